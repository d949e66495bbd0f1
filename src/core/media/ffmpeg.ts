/**
 * ffmpeg and ffprobe through the process runner: transcode a downloaded recording into the library format
 * with tags and cover art, report progress, and check the result's length against Spotify's.
 *
 * Every written file also gets its ReplayGain track tags (replaygain.ts) before it takes its final name,
 * and the result carries the measured loudness so an album gain needs no second measurement.
 *
 * Why not fluent-ffmpeg: archived, and it no longer works properly with recent ffmpeg. The argument list
 * below is small enough to own.
 */
import { randomBytes } from "node:crypto";
import { rm, stat } from "node:fs/promises";
import path from "node:path";
import { UserFacingError } from "../errors.js";
import { ProcessError, runProcess } from "../process-runner.js";
import { diskFullMessage, saysDiskFull } from "./disk-full.js";
import { atomicMove, type LibraryFormat } from "./library.js";
import { writeUsltLyrics } from "./id3-lyrics.js";
import { writeMp4Tags, type Mp4Tags } from "./mp4-tags.js";
import { writePictureMetadata } from "./opus-picture.js";
import { addTags, measureFile, replayGainTags, type Loudness } from "./replaygain.js";
import { truncateUtf8, wellFormed } from "./names.js";

/** Tags written into every file. Empty or missing values are left out. */
export interface AudioTags {
  title?: string;
  artist?: string;
  album?: string;
  albumArtist?: string;
  trackNumber?: number;
  trackTotal?: number;
  discNumber?: number;
  discTotal?: number;
  /** `YYYY`, `YYYY-MM` or `YYYY-MM-DD`. */
  date?: string;
  isrc?: string;
  /**
   * Plain lyrics, line breaks kept (lyrics.ts). ffmpeg's `lyrics` key: `©lyr` in m4a, `LYRICS` in
   * Vorbis comments; in mp3 ffmpeg 5.1 writes a TXXX frame named `USLT` (ffmpeg ticket #8795), which
   * id3-lyrics.ts then turns into a real USLT frame.
   */
  lyrics?: string;
  /** Genre, only where the catalog knows one. */
  genre?: string;
  /** Record label: ID3 `TPUB`, Vorbis `LABEL`, an iTunes freeform `LABEL` atom in m4a. */
  label?: string;
  /** Copyright line (`cprt` in m4a, `TCOP` in ID3, `COPYRIGHT` in Vorbis comments). */
  copyright?: string;
  /** Explicit lyrics: `rtng` = 1 in m4a (iTunes' advisory), `ITUNESADVISORY=1` elsewhere. */
  explicit?: boolean;
  /** Where the audio came from (a YouTube Music watch URL); written as the comment, in every format. */
  sourceUrl?: string;
}

export interface TranscodeOptions {
  input: string;
  /** Final path; written through a temp name in the same folder and renamed at the end. */
  output: string;
  format: LibraryFormat;
  /** Bitrate of lossy formats. @defaultValue 192 */
  bitrateKbps?: number;
  /**
   * Set when the person asked to keep the original stream: the source's audio codec (from ffprobe). When
   * the container takes it as it is ({@link keepsStream}) the audio is copied, not re-encoded; otherwise
   * it is converted at `bitrateKbps`.
   */
  keepSourceCodec?: string;
  tags: AudioTags;
  /** JPEG/PNG to embed: a picture stream in mp3, m4a, flac; a METADATA_BLOCK_PICTURE comment in opus. */
  coverPath?: string;
  /**
   * Spotify's duration: the 100 % mark of progress, the reference of the length check, and the bound of
   * the output (`-t`, see {@link LENGTH_MARGIN_SEC}) and of ffmpeg's running time.
   */
  durationSec: number;
  /** Largest output written (`-fs`); reaching it fails the transcode. Omitted: no size bound. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
  /** Stop ffmpeg after this long; never later than {@link transcodeTimeoutMs} of the duration. */
  timeoutMs?: number;
  /** 0-100, from ffmpeg's `out_time_us`; 100 only once ffmpeg says `progress=end`. */
  onProgress?: (percent: number) => void;
  /** @defaultValue "ffmpeg" */
  ffmpegPath?: string;
  /** @defaultValue "ffprobe" */
  ffprobePath?: string;
  /** Difference from `durationSec` above which the result is flagged. @defaultValue 5 */
  durationToleranceSec?: number;
}

export interface TranscodeResult {
  path: string;
  bytes: number;
  /** Duration of the written file, from ffprobe. */
  durationSec: number;
  /** `durationSec` minus the expected duration. */
  deltaSec: number;
  /** True when |deltaSec| exceeds the tolerance: the match may be the wrong recording. */
  durationMismatch: boolean;
  /** Loudness of the written file (its ReplayGain track tags come from it; album gain can reuse it). */
  loudness: Loudness;
}

/**
 * How far past Spotify's length a source may run. ffmpeg stops writing there (`-t`), and a downloaded file
 * longer than that is not converted at all: the matcher accepted it for a length within a few seconds of
 * Spotify's, so it is the wrong recording or a source that lied about itself.
 */
export const LENGTH_MARGIN_SEC = 60;

/** ffmpeg's time allowance: this much to start and finish, plus {@link TRANSCODE_MS_PER_AUDIO_SEC}. */
const TRANSCODE_BASE_MS = 60_000;
/** ffmpeg must convert at least at real-time speed (it usually runs 50-100 times faster). */
const TRANSCODE_MS_PER_AUDIO_SEC = 1000;

/** The longest output (and source) accepted for a track of `durationSec`. */
export function maxLengthSec(durationSec: number): number {
  return durationSec + LENGTH_MARGIN_SEC;
}

/** How long ffmpeg may run for a track of `durationSec`: bounded by the (capped) length it writes. */
export function transcodeTimeoutMs(durationSec: number): number {
  return TRANSCODE_BASE_MS + Math.ceil(maxLengthSec(durationSec) * TRANSCODE_MS_PER_AUDIO_SEC);
}

/** Raised when ffmpeg or ffprobe fails. */
export class MediaError extends UserFacingError {
  override readonly name = "MediaError";
  constructor(
    code: "transcode_failed" | "probe_failed" | "transcode_aborted" | "source_too_long",
    userMessage: string,
    readonly detail = "",
    options?: { cause?: unknown },
  ) {
    super(code, userMessage, options);
  }
}

/**
 * Every format embeds the cover: mp3, m4a and flac as an attached picture, opus as a METADATA_BLOCK_PICTURE
 * comment (opus-picture.ts; ffmpeg 5.1 cannot mux a picture stream into Ogg), up to
 * `OPUS_COVER_MAX_BYTES` (a larger cover is left out there).
 */
export function coverSupported(_format: LibraryFormat): boolean {
  return true;
}

/** The codec each container can take from YouTube as it is: its Opus into .opus, its AAC into .m4a. */
const keptCodec: Partial<Record<LibraryFormat, string>> = { opus: "opus", m4a: "aac" };

/** Formats that offer "keep the original stream" (m4a, opus). */
export function offersOriginalStream(format: LibraryFormat): boolean {
  return keptCodec[format] !== undefined;
}

/** The source codec `format` can keep as it is (`aac`, `opus`), so a download should prefer it. */
export function keptCodecOf(format: LibraryFormat): "aac" | "opus" | undefined {
  const codec = keptCodec[format];
  return codec === "aac" || codec === "opus" ? codec : undefined;
}

/** True when a source in `codec` goes into `format` without re-encoding. */
export function keepsStream(format: LibraryFormat, codec: string): boolean {
  return keptCodec[format] === codec;
}

/** Copy the audio as it is into the container (see {@link keepsStream}). */
const copyArgs: Partial<Record<LibraryFormat, string[]>> = {
  m4a: ["-c:a", "copy", "-movflags", "+faststart", "-f", "ipod"],
  opus: ["-c:a", "copy", "-f", "ogg"],
};

const codecArgs: Record<LibraryFormat, (kbps: number) => string[]> = {
  mp3: (kbps) => [
    "-c:a",
    "libmp3lame",
    "-b:a",
    `${kbps}k`,
    "-id3v2_version",
    "3",
    "-write_id3v1",
    "0",
    "-f",
    "mp3",
  ],
  m4a: (kbps) => ["-c:a", "aac", "-b:a", `${kbps}k`, "-movflags", "+faststart", "-f", "ipod"],
  opus: (kbps) => ["-c:a", "libopus", "-b:a", `${kbps}k`, "-f", "ogg"],
  flac: () => ["-c:a", "flac", "-f", "flac"],
};

/**
 * ffmpeg `-metadata` arguments for a container. ffmpeg maps the generic names (title, album_artist,
 * track, disc, date) to each container's own; ISRC is not generic: ID3 calls it `TSRC`, Vorbis comments
 * `ISRC`, and the iTunes atoms have no slot for it (left out for m4a).
 */
export function metadataArgs(format: LibraryFormat, tags: AudioTags): string[] {
  const pairs: [string, string | undefined][] = [
    ["title", tags.title],
    ["artist", tags.artist],
    ["album", tags.album],
    ["album_artist", tags.albumArtist],
    [
      "track",
      tags.trackNumber !== undefined
        ? tags.trackTotal
          ? `${tags.trackNumber}/${tags.trackTotal}`
          : String(tags.trackNumber)
        : undefined,
    ],
    [
      "disc",
      tags.discNumber !== undefined
        ? tags.discTotal
          ? `${tags.discNumber}/${tags.discTotal}`
          : String(tags.discNumber)
        : undefined,
    ],
    ["date", tags.date],
    ["genre", tags.genre],
    ["copyright", tags.copyright],
    ["comment", tags.sourceUrl],
  ];
  // Label and the explicit flag: m4a gets them as atoms ffmpeg cannot write ({@link m4aAtoms}).
  if (format === "mp3") pairs.push(["publisher", tags.label]);
  if (format === "flac" || format === "opus") pairs.push(["LABEL", tags.label]);
  if (tags.explicit && format !== "m4a") pairs.push(["ITUNESADVISORY", "1"]);
  if (tags.isrc && format === "mp3") pairs.push(["TSRC", tags.isrc]);
  if (tags.isrc && (format === "flac" || format === "opus")) pairs.push(["ISRC", tags.isrc]);
  const args: string[] = [];
  for (const [key, raw] of pairs) {
    const value = raw === undefined ? "" : tagValue(raw);
    if (value === "") continue;
    // One argv entry per tag: no shell, so quotes and spaces need no escaping.
    args.push("-metadata", `${key}=${value}`);
  }
  const lyrics = tags.lyrics === undefined ? "" : lyricsValue(tags.lyrics);
  if (lyrics !== "") args.push("-metadata", `lyrics=${lyrics}`);
  return args;
}

/** The m4a tags ffmpeg 5.1 drops, written afterwards by mp4-tags.ts: the label and the advisory. */
export function m4aAtoms(tags: AudioTags): Mp4Tags {
  const label = tags.label === undefined ? "" : tagValue(tags.label);
  return { ...(label ? { freeform: { LABEL: label } } : {}), ...(tags.explicit ? { rating: 1 } : {}) };
}

/** Lyrics longer than this are cut at a line (one argv entry may hold 128 KiB on Linux). */
const LYRICS_MAX_BYTES = 32 * 1024;

/** Lyrics as a tag value: each line as {@link tagValue} makes it, the line breaks kept, at most 32 KiB. */
export function lyricsValue(text: string): string {
  const lines = text.split(/\r\n|[\r\n\u2028\u2029]/).map(tagValue);
  const joined = lines.join("\n").trim();
  if (Buffer.byteLength(joined) <= LYRICS_MAX_BYTES) return joined;
  const cut = truncateUtf8(joined, LYRICS_MAX_BYTES);
  return cut.slice(0, Math.max(0, cut.lastIndexOf("\n"))).trim();
}

/**
 * A tag value as ffmpeg may be given it: a NUL cannot be in an argument at all (spawn throws), other
 * control characters only confuse players, and a lone UTF-16 surrogate is not UTF-8. Line breaks and
 * tabs become a space, other control characters go, lone surrogates become U+FFFD.
 */
export function tagValue(text: string): string {
  return (
    wellFormed(text)
      .replace(/[\t\r\n\u2028\u2029]+/g, " ")
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, "")
      .trim()
  );
}

/** Parses `-progress pipe:1` key=value blocks into percentages. */
export function createProgressParser(durationSec: number, onProgress: (percent: number) => void) {
  const totalUs = durationSec * 1_000_000;
  let last = -1;
  return (line: string): void => {
    const eq = line.indexOf("=");
    if (eq < 0) return;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    let percent: number | undefined;
    if (key === "out_time_us" && totalUs > 0) {
      const us = Number(value);
      if (Number.isFinite(us) && us >= 0) percent = Math.min(99.9, (us / totalUs) * 100);
    } else if (key === "progress" && value === "end") {
      percent = 100;
    }
    if (percent !== undefined && percent > last) {
      last = percent;
      onProgress(Math.round(percent * 10) / 10);
    }
  };
}

/**
 * ffmpeg's arguments for one transcode into `temp`: the first audio stream, our tags and cover, and the
 * bounds a dishonest source cannot get past: no more than {@link maxLengthSec} of output (`-t`) and no
 * more than `maxOutputBytes` written (`-fs`).
 */
export function transcodeArgs(options: TranscodeOptions, temp: string, pictureMetadata?: string): string[] {
  const withCover = options.coverPath !== undefined && options.format !== "opus";
  const withPicture = pictureMetadata !== undefined && options.format === "opus";
  const args = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", options.input];
  if (withCover) args.push("-i", options.coverPath!);
  if (withPicture) args.push("-f", "ffmetadata", "-i", pictureMetadata);
  args.push("-map", "0:a:0");
  if (withCover) args.push("-map", "1:v:0", "-c:v", "mjpeg", "-disposition:v:0", "attached_pic");
  // Drop the source's own tags (video titles, uploader) and chapters; ours follow (and, in opus, the
  // cover comment from the ffmetadata input).
  args.push("-map_metadata", withPicture ? "1" : "-1", "-map_chapters", "-1");
  const copy =
    options.keepSourceCodec !== undefined && keepsStream(options.format, options.keepSourceCodec)
      ? copyArgs[options.format]
      : undefined;
  args.push(...(copy ?? codecArgs[options.format](options.bitrateKbps ?? 192)));
  args.push(...metadataArgs(options.format, options.tags));
  args.push("-t", String(Math.ceil(maxLengthSec(options.durationSec))));
  if (options.maxOutputBytes !== undefined) args.push("-fs", String(options.maxOutputBytes));
  args.push("-progress", "pipe:1", "-nostats", temp);
  return args;
}

/** True when `signal` ended because its time ran out (AbortSignal.timeout), not because of a cancel. */
function timedOut(signal: AbortSignal | undefined): boolean {
  return signal?.reason instanceof DOMException && signal.reason.name === "TimeoutError";
}

/** Transcode `input` into `output` with tags and cover, then probe it and compare durations. */
export async function transcode(options: TranscodeOptions): Promise<TranscodeResult> {
  const ffmpeg = options.ffmpegPath ?? "ffmpeg";
  const dir = path.dirname(options.output);
  const stem = path.join(dir, `.${path.basename(options.output)}.${randomBytes(4).toString("hex")}`);
  const temp = `${stem}.part`;
  const pictureFile = `${stem}.ffmeta`;
  const timeoutMs = Math.min(
    options.timeoutMs ?? Number.POSITIVE_INFINITY,
    transcodeTimeoutMs(options.durationSec),
  );
  const onLine = options.onProgress
    ? createProgressParser(options.durationSec, options.onProgress)
    : undefined;
  const media = {
    ffmpegPath: ffmpeg,
    ffprobePath: options.ffprobePath ?? "ffprobe",
    timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  try {
    const picture =
      options.format === "opus" &&
      options.coverPath !== undefined &&
      (await writePictureMetadata(options.coverPath, pictureFile, media.ffprobePath, options.signal));
    const run = await runProcess(ffmpeg, transcodeArgs(options, temp, picture ? pictureFile : undefined), {
      signal: options.signal,
      timeoutMs,
      onStdoutLine: onLine,
    });
    // ffmpeg 5 exits 0 when the disk fills while it writes the trailer, leaving a cut file behind.
    if (saysDiskFull(run.stderr)) throw new MediaError("transcode_failed", diskFullMessage, run.stderr);
    // ffmpeg also exits 0 when -fs stopped it: the file is cut, not finished.
    const written = (await stat(temp)).size;
    if (options.maxOutputBytes !== undefined && written >= options.maxOutputBytes) {
      throw new MediaError(
        "transcode_failed",
        "The converted file would be larger than the size limit, so it was not kept.",
        `${written} bytes written, limit ${options.maxOutputBytes}`,
      );
    }
    const probed = await probe(temp, media.ffprobePath);
    const measured = await measureFile(temp, media);
    const loudness = { integrated: measured.integrated, peak: measured.peak };
    const gain = replayGainTags("TRACK", loudness);
    if (options.format === "m4a") {
      const atoms = m4aAtoms(options.tags);
      await writeMp4Tags(temp, { ...atoms, freeform: { ...atoms.freeform, ...gain } });
    } else {
      await addTags(temp, options.format, gain, {
        ...media,
        ...(picture ? { cover: options.coverPath } : {}),
      });
    }
    if (options.format === "mp3") await writeUsltLyrics(temp);
    await atomicMove(temp, options.output);
    const { size } = await stat(options.output);
    const deltaSec = probed.durationSec - options.durationSec;
    return {
      path: options.output,
      bytes: size,
      durationSec: probed.durationSec,
      deltaSec,
      durationMismatch: Math.abs(deltaSec) > (options.durationToleranceSec ?? 5),
      loudness,
    };
  } catch (err) {
    await rm(temp, { force: true });
    if (err instanceof ProcessError) {
      if (err.failure === "timeout" || (err.failure === "aborted" && timedOut(options.signal))) {
        throw new MediaError(
          "transcode_failed",
          "Converting the audio took too long and was stopped.",
          err.stderrTail,
          { cause: err },
        );
      }
      if (err.failure === "aborted") {
        throw new MediaError("transcode_aborted", "Converting the audio was cancelled.", "", { cause: err });
      }
      throw new MediaError("transcode_failed", "Converting the audio failed.", err.stderrTail, {
        cause: err,
      });
    }
    throw err;
  } finally {
    await rm(pictureFile, { force: true });
  }
}

/** `m:ss`, or `h:mm:ss` from an hour on. */
function clock(sec: number): string {
  const s = Math.round(sec);
  const two = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/**
 * Probe a downloaded source before converting it. A file far longer than the song (two hours of silence
 * for a three-minute track) is the wrong recording or a source that lied about itself: it is refused with
 * a `source_too_long` {@link MediaError}, so nothing is spent converting it. An unknown length passes
 * (the transcode is bounded anyway).
 */
export async function checkSourceLength(
  file: string,
  durationSec: number,
  ffprobePath = "ffprobe",
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const probed = await probe(file, ffprobePath, signal);
  if (probed.durationSec > maxLengthSec(durationSec)) {
    throw new MediaError(
      "source_too_long",
      `The matched recording runs ${clock(probed.durationSec)} for a ${clock(durationSec)} song, so it was not converted.`,
      file,
    );
  }
  return probed;
}

export interface ProbeResult {
  durationSec: number;
  /**
   * Format and audio-stream tags, keys lower-cased (ID3 `TSRC` arrives as `tsrc`); an mp3's USLT lyrics
   * (`lyrics-xxx` to ffmpeg) also as `lyrics`.
   */
  tags: Record<string, string>;
  /** Codec of the first audio stream, e.g. `mp3`, `flac`, `aac`, `opus`. */
  codec: string;
  /** True when a stream is marked as attached picture (embedded cover). */
  hasCover: boolean;
  sampleRate: number;
  channels: number;
}

interface ProbeJson {
  format?: { duration?: string; tags?: Record<string, string> };
  streams?: {
    codec_type?: string;
    codec_name?: string;
    sample_rate?: string;
    channels?: number;
    duration?: string;
    disposition?: { attached_pic?: number };
    tags?: Record<string, string>;
  }[];
}

/** Read duration, tags, codec and cover presence of a file with ffprobe. */
export async function probe(
  file: string,
  ffprobePath = "ffprobe",
  signal?: AbortSignal,
): Promise<ProbeResult> {
  let json: ProbeJson;
  try {
    const result = await runProcess(
      ffprobePath,
      ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", "--", file],
      { timeoutMs: 60_000, signal },
    );
    json = JSON.parse(result.stdout) as ProbeJson;
  } catch (err) {
    const detail = err instanceof ProcessError ? err.stderrTail : String(err);
    throw new MediaError("probe_failed", "The audio file could not be read.", detail, { cause: err });
  }
  const streams = json.streams ?? [];
  const audio = streams.find((s) => s.codec_type === "audio");
  if (!audio) throw new MediaError("probe_failed", "The file has no audio.", file);
  const tags: Record<string, string> = {};
  for (const source of [json.format?.tags, audio.tags]) {
    for (const [k, v] of Object.entries(source ?? {})) tags[k.toLowerCase()] ??= v;
  }
  // ffmpeg names an ID3 USLT frame `lyrics-<language>`; `lyrics` is the one name for every format.
  const uslt = Object.keys(tags).find((k) => k.startsWith("lyrics-"));
  if (uslt !== undefined) tags.lyrics ??= tags[uslt]!;
  const duration = Number(json.format?.duration ?? audio.duration ?? Number.NaN);
  return {
    durationSec: Number.isFinite(duration) ? duration : 0,
    tags,
    codec: audio.codec_name ?? "",
    hasCover: streams.some((s) => s.codec_type === "video" && s.disposition?.attached_pic === 1),
    sampleRate: Number(audio.sample_rate ?? 0),
    channels: audio.channels ?? 0,
  };
}
