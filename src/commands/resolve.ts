/** `cd-collector resolve <link> [--json]`: what a link would download, and from which provider. */
import { createLogger } from "../core/log.js";
import { catalogOptionsFromConfig, createCatalog } from "../core/spotify/catalog.js";
import { formatCollection } from "../core/spotify/format-collection.js";
import { CommandExit, EXIT_USAGE, loadForCommand } from "./context.js";

export async function resolveCommand(options: {
  config?: string;
  link?: string;
  json: boolean;
}): Promise<number> {
  if (!options.link) throw new CommandExit(EXIT_USAGE, "usage: cd-collector resolve <spotify link> [--json]");
  const { config } = loadForCommand(options.config);
  const logger = createLogger({ level: "error", pretty: false, destination: process.stderr });
  const catalog = createCatalog(
    catalogOptionsFromConfig(config.spotify, { logger, maxTracks: config.jobs.maxTracksPerCollection }),
  );
  const collection = await catalog.resolve(options.link);
  process.stdout.write(
    options.json ? `${JSON.stringify(collection, null, 2)}\n` : `${formatCollection(collection)}\n`,
  );
  return 0;
}
