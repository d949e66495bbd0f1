/**
 * Cover art in Ogg Opus. ffmpeg 5.1 cannot mux an attached picture into Ogg, but players (and ffmpeg's own
 * demuxer, which shows it as an attached-picture stream) read the Vorbis comment METADATA_BLOCK_PICTURE:
 * the base64 of a FLAC PICTURE block (type 3 "front cover", MIME type, description, width, height, colour
 * depth, palette size, the image bytes). The comment is too long for one command-line argument (Linux
 * caps one at 128 KiB), so it reaches ffmpeg through an ffmetadata file given as an extra input.
 */
import { readFile, writeFile } from "node:fs/promises";
import { runProcess } from "../process-runner.js";

/** Larger covers are not embedded in opus (the collection folder still has cover.jpg). */
export const OPUS_COVER_MAX_BYTES = 1024 * 1024;

/** The FLAC PICTURE block of a front cover. */
export function pictureBlock(image: Buffer, mime: string, width: number, height: number): Buffer {
  const mimeBytes = Buffer.from(mime, "ascii");
  const head = Buffer.alloc(8 + mimeBytes.length + 4 + 16 + 4);
  let at = head.writeUInt32BE(3, 0); // front cover
  at = head.writeUInt32BE(mimeBytes.length, at);
  at += mimeBytes.copy(head, at);
  at = head.writeUInt32BE(0, at); // empty description
  at = head.writeUInt32BE(width, at);
  at = head.writeUInt32BE(height, at);
  at = head.writeUInt32BE(24, at); // colour depth
  at = head.writeUInt32BE(0, at); // not indexed
  head.writeUInt32BE(image.length, at);
  return Buffer.concat([head, image]);
}

/** A value in an ffmetadata file: `=`, `;`, `#`, `\` and line breaks are escaped with `\`. */
function ffmetadataValue(value: string): string {
  return value.replace(/[=;#\\\n]/g, (c) => `\\${c}`);
}

/** Image type and size from ffprobe; undefined when it is not a picture ffprobe can read. */
async function imageInfo(
  file: string,
  ffprobePath: string,
  signal?: AbortSignal,
): Promise<{ mime: string; width: number; height: number } | undefined> {
  try {
    const { stdout } = await runProcess(
      ffprobePath,
      [
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-show_entries",
        "stream=codec_name,width,height",
        "-of",
        "json",
        "--",
        file,
      ],
      { timeoutMs: 30_000, signal },
    );
    const stream = (
      JSON.parse(stdout) as { streams?: { codec_name?: string; width?: number; height?: number }[] }
    ).streams?.[0];
    const mime =
      stream?.codec_name === "png" ? "image/png" : stream?.codec_name === "mjpeg" ? "image/jpeg" : undefined;
    if (!stream || !mime || !stream.width || !stream.height) return undefined;
    return { mime, width: stream.width, height: stream.height };
  } catch {
    return undefined;
  }
}

/**
 * Write an ffmetadata file at `dest` holding the METADATA_BLOCK_PICTURE comment for `cover`. Resolves
 * false (nothing written) when the image is unreadable or over {@link OPUS_COVER_MAX_BYTES}.
 */
export async function writePictureMetadata(
  cover: string,
  dest: string,
  ffprobePath: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const image = await readFile(cover);
  if (image.length === 0 || image.length > OPUS_COVER_MAX_BYTES) return false;
  const info = await imageInfo(cover, ffprobePath, signal);
  if (!info) return false;
  const block = pictureBlock(image, info.mime, info.width, info.height).toString("base64");
  await writeFile(dest, `;FFMETADATA1\nMETADATA_BLOCK_PICTURE=${ffmetadataValue(block)}\n`);
  return true;
}

/** Copy the embedded cover of an audio file out to `dest` (as it is stored). False when it has none. */
export async function extractPicture(
  file: string,
  dest: string,
  ffmpegPath: string,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await runProcess(
      ffmpegPath,
      [
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-i",
        file,
        "-map",
        "0:v:0",
        "-c",
        "copy",
        "-frames:v",
        "1",
        "-f",
        "image2",
        dest,
      ],
      { timeoutMs: 60_000, signal },
    );
    return true;
  } catch {
    return false;
  }
}
