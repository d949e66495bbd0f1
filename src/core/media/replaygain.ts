/**
 * ReplayGain 2 tags: a track's (and an album's) gain to the −18 LUFS reference and its peak, so players
 * that honour ReplayGain play every collected file equally loud without the audio being changed.
 *
 * Loudness is measured on the written file with ffmpeg's ebur128 filter (loudness.ts `measureEbur128`:
 * integrated loudness to 0.1 LU, several times faster than loudnorm); the peak is its true peak as a
 * linear value. Tags go in without re-encoding: `-c copy` into the
 * same container through a temp file and a rename for mp3, flac and opus (whose cover comment the copy
 * would drop, so it is carried over, opus-picture.ts), and as iTunes freeform atoms for m4a (mp4-tags.ts;
 * ffmpeg 5.1 cannot write them). Values look like foobar2000's: `-6.52 dB`, `0.912345`.
 */
import { randomBytes } from "node:crypto";
import { rm, stat } from "node:fs/promises";
import path from "node:path";
import { runProcess } from "../process-runner.js";
import { formatExtension, atomicMove, type LibraryFormat } from "./library.js";
import { discLoudness, measureEbur128 } from "./loudness.js";
import { writeUsltLyrics } from "./id3-lyrics.js";
import { writeMp4Tags } from "./mp4-tags.js";
import { extractPicture, writePictureMetadata } from "./opus-picture.js";

/** ReplayGain 2's reference loudness (LUFS). */
export const REPLAYGAIN_REFERENCE_LUFS = -18;

/** Loudness of a file or album: integrated (LUFS) and true peak (linear, 1.0 = full scale). */
export interface Loudness {
  integrated: number;
  peak: number;
}

export interface ReplayGainOptions {
  ffmpegPath: string;
  ffprobePath: string;
  signal?: AbortSignal;
  /** Per ffmpeg run. @defaultValue 10 minutes */
  timeoutMs?: number;
}

/** `-6.52 dB`: the gain that brings `integrated` LUFS to the reference. */
export function formatGain(integrated: number): string {
  return `${(REPLAYGAIN_REFERENCE_LUFS - integrated).toFixed(2)} dB`;
}

/** `0.912345`: a linear peak with six decimals. */
export function formatPeak(peak: number): string {
  return peak.toFixed(6);
}

/**
 * The ReplayGain tags of one scope. Empty for silence (no finite loudness): no gain is better than an
 * absurd one.
 */
export function replayGainTags(scope: "TRACK" | "ALBUM", loudness: Loudness): Record<string, string> {
  if (!Number.isFinite(loudness.integrated) || !Number.isFinite(loudness.peak)) return {};
  return {
    [`REPLAYGAIN_${scope}_GAIN`]: formatGain(loudness.integrated),
    [`REPLAYGAIN_${scope}_PEAK`]: formatPeak(loudness.peak),
  };
}

/** Measure a file's loudness and length. */
export async function measureFile(
  file: string,
  opts: ReplayGainOptions,
): Promise<Loudness & { durationSec: number }> {
  const { measured, durationMs } = await measureEbur128(file, {
    ffmpegPath: opts.ffmpegPath,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  return {
    integrated: measured.integrated,
    peak: 10 ** (measured.truePeakDb / 20),
    durationSec: durationMs / 1000,
  };
}

const copyFormat: Record<Exclude<LibraryFormat, "m4a">, string[]> = {
  mp3: ["-id3v2_version", "3", "-write_id3v1", "0", "-f", "mp3"],
  flac: ["-f", "flac"],
  opus: ["-f", "ogg"],
};

/** The library format of a file, from its extension. */
export function formatOf(file: string): LibraryFormat {
  const ext = path.extname(file).slice(1).toLowerCase();
  const found = (Object.keys(formatExtension) as LibraryFormat[]).find((f) => formatExtension[f] === ext);
  if (!found) throw new Error(`not a library audio file: ${file}`);
  return found;
}

/**
 * Add (or replace) text tags in an audio file without re-encoding. `cover` is the opus file's cover
 * image when the caller has it; otherwise an embedded one is copied out and put back.
 */
export async function addTags(
  file: string,
  format: LibraryFormat,
  tags: Record<string, string>,
  opts: ReplayGainOptions & { cover?: string },
): Promise<void> {
  if (Object.keys(tags).length === 0) return;
  if (format === "m4a") return writeMp4Tags(file, { freeform: tags });
  const stem = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString("hex")}`);
  const temp = `${stem}.part`;
  const picture = `${stem}.ffmeta`;
  const image = `${stem}.cover.jpg`;
  try {
    const args = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", file];
    let withPicture = false;
    if (format === "opus") {
      // The copy drops METADATA_BLOCK_PICTURE (ffmpeg reads it as a picture stream it cannot write to Ogg).
      const cover =
        opts.cover ?? ((await extractPicture(file, image, opts.ffmpegPath, opts.signal)) ? image : undefined);
      withPicture =
        cover !== undefined && (await writePictureMetadata(cover, picture, opts.ffprobePath, opts.signal));
      if (withPicture) args.push("-f", "ffmetadata", "-i", picture);
    }
    args.push("-map", format === "opus" ? "0:a" : "0", "-c", "copy");
    args.push("-map_metadata", withPicture ? "1" : "0");
    for (const [key, value] of Object.entries(tags)) args.push("-metadata", `${key}=${value}`);
    args.push(...copyFormat[format], temp);
    await runProcess(opts.ffmpegPath, args, {
      timeoutMs: opts.timeoutMs ?? 10 * 60_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    await atomicMove(temp, file);
    // ffmpeg writes an mp3's lyrics back as a TXXX frame; make them a USLT frame again.
    if (format === "mp3") await writeUsltLyrics(file);
  } finally {
    await Promise.all([temp, picture, image].map((p) => rm(p, { force: true })));
  }
}

/** Measure `file` and write its REPLAYGAIN_TRACK_* tags. Resolves with the measured loudness. */
export async function writeTrackGain(
  file: string,
  format: LibraryFormat,
  opts: ReplayGainOptions & { cover?: string },
): Promise<Loudness> {
  const { integrated, peak } = await measureFile(file, opts);
  await addTags(file, format, replayGainTags("TRACK", { integrated, peak }), opts);
  return { integrated, peak };
}

/** The loudness of tracks played one after another: energy mean weighted by duration, and the top peak. */
export function albumLoudness(tracks: readonly (Loudness & { durationSec: number })[]): Loudness {
  return {
    integrated: discLoudness(
      tracks.map((t) => ({ loudness: t.integrated, durationMs: t.durationSec * 1000 })),
    ),
    peak: tracks.reduce((max, t) => (Number.isFinite(t.peak) ? Math.max(max, t.peak) : max), 0),
  };
}

/** The tags a file carries (format and stream tags, keys upper-cased), read with ffprobe. */
async function tagsOf(file: string, opts: ReplayGainOptions): Promise<Record<string, string>> {
  const run = await runProcess(
    opts.ffprobePath,
    ["-v", "error", "-show_entries", "format_tags:stream_tags", "-of", "json", "--", file],
    { timeoutMs: 60_000, ...(opts.signal ? { signal: opts.signal } : {}) },
  );
  const json = JSON.parse(run.stdout) as {
    format?: { tags?: Record<string, string> };
    streams?: { tags?: Record<string, string> }[];
  };
  const tags: Record<string, string> = {};
  for (const source of [json.format?.tags, ...(json.streams ?? []).map((s) => s.tags)]) {
    for (const [k, v] of Object.entries(source ?? {})) tags[k.toUpperCase()] ??= v;
  }
  return tags;
}

/** One file after {@link writeAlbumGain}: its size, and whether its bytes changed. */
export interface AlbumGainWritten {
  bytes: number;
  /** False when the file already carried these album tags (a repeat of the same album): left as it was. */
  rewritten: boolean;
}

/**
 * Write REPLAYGAIN_ALBUM_GAIN / _PEAK into every file of an album (or a collection played as one), from
 * their loudness (measured here when not given). Every file is measured before any is touched, so a
 * failed measurement changes nothing. A file that already carries the same album tags is not rewritten:
 * its bytes (and so its checksum, its Telegram file id, a package named after it) stay as they were.
 * Resolves with each file's size and whether it changed, in order.
 */
export async function writeAlbumGain(
  files: readonly { path: string; durationSec: number; loudness?: Loudness }[],
  opts: ReplayGainOptions,
): Promise<AlbumGainWritten[]> {
  const measured: (Loudness & { durationSec: number })[] = [];
  for (const f of files) {
    const loudness = f.loudness ?? (await measureFile(f.path, opts));
    measured.push({ integrated: loudness.integrated, peak: loudness.peak, durationSec: f.durationSec });
  }
  const tags = replayGainTags("ALBUM", albumLoudness(measured));
  const written: AlbumGainWritten[] = [];
  for (const f of files) {
    const present = await tagsOf(f.path, opts);
    const same = Object.entries(tags).every(([key, value]) => present[key] === value);
    if (!same) await addTags(f.path, formatOf(f.path), tags, opts);
    written.push({ bytes: (await stat(f.path)).size, rewritten: !same });
  }
  return written;
}
