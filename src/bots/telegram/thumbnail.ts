/**
 * Telegram's audio thumbnail: a JPEG of at most 320 px under 200 kB, made from the collection's
 * cover.jpg with ffmpeg. Tries lower qualities until it fits; undefined when it cannot be made.
 */
import { stat } from "node:fs/promises";
import { runProcess } from "../../core/process-runner.js";

/** Telegram ignores thumbnails over 200 kB. */
export const maxThumbnailBytes = 200 * 1024;

export async function makeThumbnail(options: {
  ffmpegPath: string;
  coverPath: string;
  outPath: string;
  signal?: AbortSignal;
}): Promise<string | undefined> {
  const exists = await stat(options.coverPath).catch(() => undefined);
  if (!exists?.isFile()) return undefined;
  for (const quality of [3, 8, 16, 31]) {
    await runProcess(
      options.ffmpegPath,
      [
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostdin",
        "-y",
        "-i",
        options.coverPath,
        "-vf",
        "scale=320:320:force_original_aspect_ratio=decrease",
        "-frames:v",
        "1",
        "-q:v",
        String(quality),
        options.outPath,
      ],
      { timeoutMs: 20_000, ...(options.signal !== undefined ? { signal: options.signal } : {}) },
    );
    const made = await stat(options.outPath);
    if (made.size > 0 && made.size < maxThumbnailBytes) return options.outPath;
  }
  return undefined;
}
