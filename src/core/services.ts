/**
 * Builds the pieces every role shares from the configuration: the catalog, the candidate source and
 * yt-dlp. The local audio source (the stand-in) is only ever used when the config says so, and only then
 * is yt-dlp's generic extractor allowed.
 */
import type { Logger } from "pino";
import type { Config } from "./config/schema.js";
import { createYtDlpCandidateSource } from "./matching/yt-dlp-search.js";
import type { CandidateSource } from "./matching/types.js";
import { createLocalCandidateSource } from "./media/local-candidate-source.js";
import { createYtDlp, type YtDlp } from "./media/yt-dlp.js";
import { catalogOptionsFromConfig, createCatalog, type Catalog } from "./spotify/catalog.js";
import { UserFacingError } from "./errors.js";

export interface MediaServices {
  catalog: Catalog;
  source: CandidateSource;
  ytDlp: YtDlp;
}

export function createMediaServices(config: Config, logger: Logger): MediaServices {
  const catalog = createCatalog(catalogOptionsFromConfig(config.spotify, { logger }));
  const extraArgs = config.download.ytDlpExtraArgs;
  if (config.source.kind === "local") {
    if (config.source.baseUrl === "") {
      throw new UserFacingError("config_source", 'source.kind is "local" but source.baseUrl is empty.');
    }
    return {
      catalog,
      source: createLocalCandidateSource({
        baseUrl: config.source.baseUrl,
        limit: config.source.searchLimit,
      }),
      ytDlp: createYtDlp({
        path: config.download.ytDlpPath,
        extraArgs,
        source: { kind: "local", baseUrl: config.source.baseUrl },
        maxFileMb: config.download.maxFileMb,
        ...(config.download.cookiesFile ? { cookiesFile: config.download.cookiesFile } : {}),
      }),
    };
  }
  const cookies = config.download.cookiesFile ? ["--cookies", config.download.cookiesFile] : [];
  return {
    catalog,
    source: createYtDlpCandidateSource({
      ytDlpPath: config.download.ytDlpPath,
      limit: config.source.searchLimit,
      extraArgs: [...cookies, ...extraArgs],
    }),
    ytDlp: createYtDlp({
      path: config.download.ytDlpPath,
      extraArgs,
      source: { kind: "youtube" },
      maxFileMb: config.download.maxFileMb,
      ...(config.download.cookiesFile ? { cookiesFile: config.download.cookiesFile } : {}),
    }),
  };
}
