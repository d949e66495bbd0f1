/** Where each kind of file lives under the data directory: the one place that knows these paths. */
import { chmodSync, mkdirSync } from "node:fs";
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
    /** The embedded redis-server's AOF, log and lock. */
    redisDir: path.join(config.dataDir, "redis"),
  };
}

/**
 * Make what this process writes private, whatever umask it was started with (`npm start` under umask
 * 022 made the data directory 0755 and zips 0644): the umask becomes 077, so every file and directory
 * this process and its children (yt-dlp, ffmpeg, redis-server) create is 0600/0700, and the data
 * directory itself is 0700 (tightened when an earlier run made it wider). Call at process start, before
 * any child is started: children take the umask they are started with.
 */
export function makeDataPrivate(config: Config): void {
  process.umask(0o077);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  try {
    chmodSync(config.dataDir, 0o700);
  } catch {
    // Not ours to change (a directory an operator prepared); its files are still created private.
  }
}
