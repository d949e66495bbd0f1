/** Where each kind of file lives under the data directory: the one place that knows these paths. */
import path from "node:path";
import type { Config } from "./schema.js";

export function dataPaths(config: Config) {
  return {
    libraryDir: config.download.libraryDir
      ? path.resolve(config.download.libraryDir)
      : path.join(config.dataDir, "library"),
    tmpDir: path.join(config.dataDir, "tmp"),
    packagesDir: path.join(config.dataDir, "packages"),
    /** yt-dlp's own cache (player scripts, signature solutions), kept between runs. */
    ytDlpCacheDir: path.join(config.dataDir, "cache", "yt-dlp"),
  };
}
