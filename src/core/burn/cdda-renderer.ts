/**
 * Renders a disc's tracks to CD-DA WAV files (44.1 kHz, 16-bit, stereo) with ffmpeg, in two passes:
 *
 * 1. measure: `loudnorm=...:print_format=json` on each input; ffmpeg prints the JSON on stderr at the end.
 * 2. render: normalise, resample with soxr and dither (triangular) to 16 bit, pad to at least 4 s.
 *
 * Gain, per {@link RenderOptions.discGain}:
 * - `track`: each track on its own, with loudnorm in linear mode fed with its pass-1 measurement.
 * - `album`: one gain for the whole disc so the loudness differences between tracks stay. The disc's
 *   loudness is the duration-weighted energy mean of the tracks' integrated loudness (what EBU R128 would
 *   give for the disc played through, short of the relative gate); gain = target − that, clamped to
 *   ±{@link MAX_ALBUM_GAIN_DB}. Every track gets `volume=<gain>dB`, is resampled to 44.1 kHz, and then
 *   goes through `alimiter` at the true-peak ceiling (delay compensated, auto-level off), so loud peaks
 *   are held down instead of lowering the whole disc. alimiter limits sample peaks at the output rate;
 *   inter-sample peaks can still go a little over the ceiling.
 *
 * Afterwards every WAV is padded with silence to a whole number of CD sectors (588 samples), so its
 * length on disc is exactly what the planner counted.
 */
import { mkdir, open, rm } from "node:fs/promises";
import path from "node:path";
import { ProcessError, ProgramNotFoundError, runProcess } from "../process-runner.js";
import { UserFacingError } from "../errors.js";
import { MIN_TRACK_SAMPLES, SAMPLES_PER_SECTOR, CD_SAMPLE_RATE } from "./disc-planner.js";
import { discLoudness, filterNumber, measureLoudness, type LoudnessMeasurement } from "../media/loudness.js";

// The measuring pass lives in media/loudness.ts (ReplayGain tagging measures the same way).
export { discLoudness, parseLoudnormJson, type LoudnessMeasurement } from "../media/loudness.js";

export interface RenderInput<T> {
  /** Source audio (any format ffmpeg reads). */
  path: string;
  /** Carried through to the result. */
  track: T;
}

export interface RenderProgress {
  phase: "measure" | "render";
  /** 0-based index of the track being worked on. */
  index: number;
  total: number;
  /** Share of the whole job done, 0..1. */
  fraction: number;
}

export interface RenderOptions {
  /** ffmpeg program. @defaultValue "ffmpeg" */
  ffmpegPath?: string;
  /** Integrated loudness target (LUFS). @defaultValue -14 */
  loudnessTarget?: number;
  /** True-peak ceiling (dBTP). @defaultValue -1 */
  truePeak?: number;
  /** Loudness range target for loudnorm (LU). @defaultValue 11 */
  loudnessRange?: number;
  /** `album`: one gain for the disc; `track`: each track normalised on its own. @defaultValue "album" */
  discGain?: "album" | "track";
  signal?: AbortSignal;
  onProgress?: (progress: RenderProgress) => void;
  /** Timeout per ffmpeg run. @defaultValue 10 minutes */
  timeoutMs?: number;
}

export interface RenderedTrack<T> {
  track: T;
  /** The CD-DA WAV written. */
  wavPath: string;
  /** Samples in the WAV (a multiple of 588, at least 4 s). */
  samples: number;
  /** `samples / 588`. */
  sectors: number;
  durationMs: number;
  measured: LoudnessMeasurement;
  /** The gain applied in album mode (dB); undefined in track mode. */
  gainDb?: number;
}

export interface RenderedDisc<T> {
  tracks: RenderedTrack<T>[];
  /** The disc's computed loudness in album mode (LUFS). */
  discLoudness?: number;
  /** The one gain applied to every track in album mode (dB). */
  discGainDb?: number;
}

/** Album gain never exceeds this many dB either way (quiet or silent input would ask for absurd gains). */
export const MAX_ALBUM_GAIN_DB = 24;

/** The resampling/dither step the Red Book output goes through. */
const CDDA_RESAMPLE = `aresample=${CD_SAMPLE_RATE}:resampler=soxr:osf=s16:dither_method=triangular`;

const f = filterNumber;

function wrapFfmpegError(err: unknown, ffmpeg: string, input: string): unknown {
  if (err instanceof ProgramNotFoundError) {
    return new UserFacingError("burn_ffmpeg_missing", `ffmpeg is not installed (looked for "${ffmpeg}").`, {
      cause: err,
    });
  }
  if (err instanceof ProcessError && err.failure === "exit") {
    const last = err.stderrTail
      .split("\n")
      .filter((l) => l.trim() !== "")
      .slice(-2)
      .join(" ");
    return new UserFacingError(
      "burn_render_failed",
      `Could not convert ${path.basename(input)} to CD audio: ${last || err.message}`,
      { cause: err },
    );
  }
  return err;
}

async function measure(
  input: string,
  opts: Required<Pick<RenderOptions, "loudnessTarget" | "truePeak" | "loudnessRange" | "timeoutMs">> & {
    ffmpeg: string;
    signal?: AbortSignal;
  },
): Promise<{ measured: LoudnessMeasurement; durationMs: number }> {
  try {
    return await measureLoudness(input, { ...opts, ffmpegPath: opts.ffmpeg });
  } catch (err) {
    throw wrapFfmpegError(err, opts.ffmpeg, input);
  }
}

/**
 * Pad a 16-bit stereo WAV written by ffmpeg with silence to a whole number of sectors (and at least 4 s)
 * and fix its header sizes. Returns the sample count.
 */
export async function padWavToSectors(wavPath: string): Promise<number> {
  const handle = await open(wavPath, "r+");
  try {
    const { size } = await handle.stat();
    const header = Buffer.alloc(Math.min(size, 4096));
    await handle.read(header, 0, header.length, 0);
    if (header.toString("ascii", 0, 4) !== "RIFF" || header.toString("ascii", 8, 12) !== "WAVE") {
      throw new Error(`${wavPath}: not a RIFF/WAVE file`);
    }
    let offset = 12;
    let dataOffset = -1;
    while (offset + 8 <= header.length) {
      const id = header.toString("ascii", offset, offset + 4);
      if (id === "data") {
        dataOffset = offset;
        break;
      }
      offset += 8 + header.readUInt32LE(offset + 4) + (header.readUInt32LE(offset + 4) % 2);
    }
    if (dataOffset === -1) throw new Error(`${wavPath}: no data chunk`);
    // ffmpeg writes the data chunk last; trust the file size over a header it may not have finished.
    const dataBytes = size - (dataOffset + 8);
    const frames = Math.floor(dataBytes / 4);
    const wanted = Math.ceil(Math.max(frames, MIN_TRACK_SAMPLES) / SAMPLES_PER_SECTOR) * SAMPLES_PER_SECTOR;
    const padBytes = wanted * 4 - dataBytes;
    if (padBytes > 0) await handle.write(Buffer.alloc(padBytes), 0, padBytes, size);
    const sizes = Buffer.alloc(4);
    sizes.writeUInt32LE(wanted * 4, 0);
    await handle.write(sizes, 0, 4, dataOffset + 4);
    sizes.writeUInt32LE(dataOffset + 8 + wanted * 4 - 8, 0);
    await handle.write(sizes, 0, 4, 4);
    return wanted;
  } finally {
    await handle.close();
  }
}

/**
 * Render `inputs` (in disc order) to `outDir/NN.wav`. Resolves with each WAV, its exact length and the
 * loudness measured; rejects with a {@link UserFacingError} when ffmpeg cannot read an input, or with
 * the runner's `ProcessError` (failure `aborted`) when `signal` fires.
 */
export async function renderDisc<T>(
  inputs: readonly RenderInput<T>[],
  outDir: string,
  options: RenderOptions = {},
): Promise<RenderedDisc<T>> {
  const ffmpeg = options.ffmpegPath ?? "ffmpeg";
  const loudnessTarget = options.loudnessTarget ?? -14;
  const truePeak = options.truePeak ?? -1;
  const loudnessRange = options.loudnessRange ?? 11;
  const timeoutMs = options.timeoutMs ?? 10 * 60_000;
  const mode = options.discGain ?? "album";
  const total = inputs.length;
  const steps = total * 2;
  let done = 0;
  const report = (phase: RenderProgress["phase"], index: number) => {
    done++;
    options.onProgress?.({ phase, index, total, fraction: done / steps });
  };

  await mkdir(outDir, { recursive: true });
  const measurements: { measured: LoudnessMeasurement; durationMs: number }[] = [];
  for (const [index, input] of inputs.entries()) {
    measurements.push(
      await measure(input.path, {
        ffmpeg,
        loudnessTarget,
        truePeak,
        loudnessRange,
        timeoutMs,
        signal: options.signal,
      }),
    );
    report("measure", index);
  }

  let albumLoudness: number | undefined;
  let albumGain: number | undefined;
  if (mode === "album") {
    albumLoudness = discLoudness(
      measurements.map((m) => ({ loudness: m.measured.inputI, durationMs: m.durationMs })),
    );
    const raw = Number.isFinite(albumLoudness) ? loudnessTarget - albumLoudness : 0;
    albumGain = Math.max(-MAX_ALBUM_GAIN_DB, Math.min(MAX_ALBUM_GAIN_DB, raw));
  }
  const limit = Math.max(0.0625, Math.min(1, 10 ** (truePeak / 20)));

  const tracks: RenderedTrack<T>[] = [];
  for (const [index, input] of inputs.entries()) {
    const { measured } = measurements[index]!;
    const gainStage =
      albumGain !== undefined
        ? // Limit after resampling to 44.1 kHz (still float), right before dither: limiting at the
          // source rate let resampling overshoot the ceiling again.
          `volume=${f(albumGain)}dB,aresample=${CD_SAMPLE_RATE}:resampler=soxr,` +
          `alimiter=limit=${limit.toFixed(4)}:level=0:latency=1:attack=5:release=50`
        : `loudnorm=I=${f(loudnessTarget)}:TP=${f(truePeak)}:LRA=${f(loudnessRange)}` +
          `:measured_I=${f(measured.inputI)}:measured_TP=${f(measured.inputTp)}` +
          `:measured_LRA=${f(measured.inputLra)}:measured_thresh=${f(measured.inputThresh)}` +
          `:offset=${f(measured.targetOffset)}:linear=true:print_format=summary`;
    const filter = `aformat=channel_layouts=stereo,${gainStage},${CDDA_RESAMPLE},apad=whole_dur=4`;
    const wavPath = path.join(outDir, `${String(index + 1).padStart(2, "0")}.wav`);
    try {
      await runProcess(
        ffmpeg,
        [
          "-hide_banner",
          "-nostdin",
          "-y",
          "-i",
          input.path,
          "-vn",
          "-map_metadata",
          "-1",
          "-af",
          filter,
          "-ar",
          String(CD_SAMPLE_RATE),
          "-ac",
          "2",
          "-c:a",
          "pcm_s16le",
          "-fflags",
          "+bitexact",
          "-flags:a",
          "+bitexact",
          "-f",
          "wav",
          wavPath,
        ],
        { signal: options.signal, timeoutMs },
      );
    } catch (err) {
      await rm(wavPath, { force: true });
      throw wrapFfmpegError(err, ffmpeg, input.path);
    }
    const samples = await padWavToSectors(wavPath);
    tracks.push({
      track: input.track,
      wavPath,
      samples,
      sectors: samples / SAMPLES_PER_SECTOR,
      durationMs: (samples / CD_SAMPLE_RATE) * 1000,
      measured,
      ...(albumGain !== undefined ? { gainDb: albumGain } : {}),
    });
    report("render", index);
  }
  return {
    tracks,
    ...(albumLoudness !== undefined ? { discLoudness: albumLoudness } : {}),
    ...(albumGain !== undefined ? { discGainDb: albumGain } : {}),
  };
}
