/**
 * Builds the pieces every role shares from the configuration: the catalog, the candidate source and
 * yt-dlp. Searching always goes through YouTube Music's API (youtubei.js) at `source.searchBaseUrl`; the
 * local audio source (the stand-in) only decides where audio is downloaded from, and only then is
 * yt-dlp's generic extractor allowed.
 */
import type { Logger } from "pino";
import type { Config } from "./config/schema.js";
import type { CandidateSource } from "./matching/types.js";
import { createYouTubeMusicSource } from "./matching/youtube-music.js";
import { createYtDlp, type YtDlp } from "./media/yt-dlp.js";
import { catalogOptionsFromConfig, createCatalog, type Catalog } from "./spotify/catalog.js";
import { UserFacingError } from "./errors.js";
import { dataPaths } from "./config/data-paths.js";
import type { OperatorNotices } from "./operator-notices.js";
import type { ServicePauses } from "./service-pauses.js";

export interface MediaServices {
  catalog: Catalog;
  source: CandidateSource;
  ytDlp: YtDlp;
}

/** Redis-backed memory of the outside world, shared by every process (see service-pauses.ts). */
export interface OutsideWorld {
  pauses: ServicePauses;
  notices: OperatorNotices;
}

export function createMediaServices(config: Config, logger: Logger, outside?: OutsideWorld): MediaServices {
  const catalog = createCatalog(
    catalogOptionsFromConfig(config.spotify, {
      logger,
      ...outside,
      maxTracks: config.jobs.maxTracksPerCollection,
    }),
  );
  if (config.source.kind === "local" && config.source.baseUrl === "") {
    throw new UserFacingError("config_source", 'source.kind is "local" but source.baseUrl is empty.');
  }
  const source = createYouTubeMusicSource({
    baseUrl: config.source.searchBaseUrl,
    limit: config.source.searchLimit,
    timeoutMs: config.source.searchTimeoutMs,
  });
  const ytDlp = createYtDlp({
    path: config.download.ytDlpPath,
    extraArgs: config.download.ytDlpExtraArgs,
    source:
      config.source.kind === "local"
        ? { kind: "local", baseUrl: config.source.baseUrl }
        : { kind: "youtube" },
    maxFileMb: config.download.maxFileMb,
    cacheDir: dataPaths(config).ytDlpCacheDir,
    ...(config.download.cookiesFile ? { cookiesFile: config.download.cookiesFile } : {}),
  });
  return { catalog, source, ytDlp };
}
