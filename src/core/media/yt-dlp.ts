/**
 * yt-dlp, driven through the process runner: download one recording, by validated video id only, into a
 * private temp folder, with JSON progress and the output path printed by yt-dlp itself.
 *
 * Why not yt-dlp-wrap: it parses only human progress lines and is unmaintained. Why the version check:
 * an old yt-dlp exits 2 on any flag it does not know, so we pass only flags the installed one has.
 */
import { copyFile, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { UserFacingError } from "../errors.js";
import { classifyYtDlpError, tail, YtDlpError } from "./yt-dlp-errors.js";
import { ytDlpExtraArgsProblem } from "./yt-dlp-extra-args.js";

export { classifyYtDlpError, YtDlpError, type YtDlpErrorKind } from "./yt-dlp-errors.js";
import { ProcessError, runProcess } from "../process-runner.js";
import { atomicMove } from "./library.js";

/** A YouTube video id: exactly 11 characters of `[A-Za-z0-9_-]`. */
export const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;

/** True when `id` is a well-formed video id (the only thing ever put into a yt-dlp URL). */
export function isValidVideoId(id: string): boolean {
  return VIDEO_ID.test(id);
}

/** Where audio is fetched from. */
export type YtDlpSource =
  | { kind: "youtube" }
  | {
      kind: "local";
      baseUrl: string;
      /**
       * Extension put on the stand-in's audio URL. The generic extractor names the file after the URL's
       * extension (without one the file ends in `.unknown_video`). @defaultValue "m4a"
       */
      audioExt?: "m4a" | "webm";
    };

export interface YtDlpOptions {
  /** yt-dlp program. @defaultValue "yt-dlp" */
  path?: string;
  /** Netscape cookies file (copied per download, because yt-dlp writes the jar back on exit). */
  cookiesFile?: string;
  /** Operator's extra arguments; dangerous ones are refused, ones newer than the installed yt-dlp dropped. */
  extraArgs?: readonly string[];
  source: YtDlpSource;
  /**
   * Largest download accepted, in MiB (yt-dlp's `M`). yt-dlp itself checks only a size the source
   * announces; the driver also stops it once the bytes written pass this, announced or not.
   */
  maxFileMb: number;
  /** yt-dlp's cache (player scripts, signatures), kept between runs; none: `--no-cache-dir`. */
  cacheDir?: string;
}

/** One progress tick of a download. */
export interface DownloadProgress {
  downloadedBytes: number;
  totalBytes?: number;
  /** 0-100 when the total is known. */
  percent?: number;
  /** Bytes per second. */
  speed?: number;
  etaSec?: number;
}

export interface DownloadOptions {
  /** Folder the finished file is moved into. Partial files never appear here. */
  dir: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  onProgress?: (progress: DownloadProgress) => void;
  /**
   * The codec to prefer because its stream will be kept as it is (quality "original"): `aac` for m4a,
   * `opus` for opus. Omitted: the best audio whatever its codec.
   */
  preferCodec?: "aac" | "opus";
}

/**
 * yt-dlp's `-f`: the best audio-only stream (of the preferred codec first, when one is given), else the
 * best combined one: some uploads have only combined formats left ("Requested format is not available"
 * with bare bestaudio, yt-dlp #17666, #15909).
 */
export function formatSelector(preferCodec?: "aac" | "opus"): string {
  if (preferCodec === "aac") return "ba[acodec^=mp4a]/ba/b";
  if (preferCodec === "opus") return "ba[acodec=opus]/ba/b";
  return "ba/b";
}

export interface DownloadResult {
  path: string;
  bytes: number;
}

export interface YtDlp {
  /** The byte budget of one download (from {@link YtDlpOptions.maxFileMb}). */
  readonly maxBytes: number;
  /** The installed version, e.g. `2023.03.04` (asked once, then remembered). */
  version(): Promise<string>;
  /** Download the best audio of `videoId` without re-encoding. Throws {@link YtDlpError}. */
  download(videoId: string, options: DownloadOptions): Promise<DownloadResult>;
}

/** A yt-dlp flag and the first release that has it. */
interface FlagInfo {
  since: string;
  /** How many values follow the flag. */
  values: number;
}

/**
 * Flags we use or that operators commonly add, with the first stable release that knows them
 * (checked against `yt-dlp --help` of 2023.03.04 for the ones at or before it).
 */
export const flagSince: Record<string, FlagInfo> = {
  "--ignore-config": { since: "2021.01.01", values: 0 },
  "--no-playlist": { since: "2021.01.01", values: 0 },
  "--newline": { since: "2021.01.01", values: 0 },
  "--cookies": { since: "2021.01.01", values: 1 },
  "--max-filesize": { since: "2021.01.01", values: 1 },
  "--progress-template": { since: "2021.06.23", values: 1 },
  "--progress": { since: "2021.10.09", values: 0 },
  "--print": { since: "2021.10.09", values: 1 },
  "--paths": { since: "2021.01.08", values: 1 },
  "--use-extractors": { since: "2022.09.01", values: 1 },
  "--ies": { since: "2022.09.01", values: 1 },
  "--no-quiet": { since: "2023.06.21", values: 0 },
  "--xff": { since: "2023.06.21", values: 1 },
  "--netrc-cmd": { since: "2023.07.06", values: 1 },
  "--impersonate": { since: "2024.03.10", values: 1 },
  "--js-runtimes": { since: "2025.11.12", values: 1 },
  "--remote-components": { since: "2025.11.12", values: 1 },
};

/** Raised at start-up for extra arguments that are not allowed. */
export class UnsafeYtDlpArgsError extends UserFacingError {
  constructor(problem: string) {
    super("ytdlp_args_refused", `download.ytDlpExtraArgs: ${problem}.`);
  }
}

/** Throw {@link UnsafeYtDlpArgsError} unless every argument is allowed (see yt-dlp-extra-args.ts). */
export function checkExtraArgs(args: readonly string[]): void {
  const problem = ytDlpExtraArgsProblem(args);
  if (problem !== undefined) throw new UnsafeYtDlpArgsError(problem);
}

/** Compare two yt-dlp versions (`2023.03.04`, `2023.03.04.1`, nightly `2023.05.29.044647`). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split(/[.-]/).map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** True when yt-dlp `version` knows `flag` (flags missing from the table are assumed known). */
export function supportsFlag(version: string, flag: string): boolean {
  const info = flagSince[flag.split("=")[0] ?? flag];
  return info === undefined || compareVersions(version, info.since) >= 0;
}

/** Drop extra arguments (and their values) that the installed yt-dlp would reject. */
export function filterExtraArgs(
  version: string,
  args: readonly string[],
): { kept: string[]; dropped: string[] } {
  const kept: string[] = [];
  const dropped: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const info = flagSince[arg.split("=")[0] ?? arg];
    const takes = info && !arg.includes("=") ? info.values : 0;
    const group = args.slice(i, i + 1 + takes);
    if (supportsFlag(version, arg)) kept.push(...group);
    else dropped.push(...group);
    i += takes;
  }
  return { kept, dropped };
}

const REQUIRED_FLAGS = ["--ies", "--print", "--progress-template", "--progress"];
const FILE_MARK = "cdc-file:";
const COOKIE_JAR = "cookies.txt";
const MIB = 1024 * 1024;
/**
 * How often the work folder is measured while yt-dlp writes. Its progress lines are read at once; this
 * catches downloaders that print none (an external one for a fragmented stream).
 */
const BUDGET_POLL_MS = 250;

/** Bytes of the files yt-dlp is writing in `work` (the cookie jar aside). */
async function bytesWritten(work: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(work)) {
    if (name === COOKIE_JAR) continue;
    total += (await stat(path.join(work, name)).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

/** True when `signal` ended because its time ran out (AbortSignal.timeout), not because of a cancel. */
function timedOut(signal: AbortSignal | undefined): boolean {
  return signal?.reason instanceof DOMException && signal.reason.name === "TimeoutError";
}

function numberOrUndefined(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Parse one `download:%(progress)j` line; undefined for anything else. */
export function parseProgressLine(line: string): DownloadProgress | undefined {
  if (!line.startsWith("{")) return undefined;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const downloadedBytes = numberOrUndefined(raw.downloaded_bytes);
  if (downloadedBytes === undefined) return undefined;
  const totalBytes = numberOrUndefined(raw.total_bytes) ?? numberOrUndefined(raw.total_bytes_estimate);
  const progress: DownloadProgress = { downloadedBytes };
  if (totalBytes !== undefined && totalBytes > 0) {
    progress.totalBytes = totalBytes;
    progress.percent = Math.min(100, (downloadedBytes / totalBytes) * 100);
  }
  const speed = numberOrUndefined(raw.speed);
  if (speed !== undefined) progress.speed = speed;
  const eta = numberOrUndefined(raw.eta);
  if (eta !== undefined) progress.etaSec = eta;
  return progress;
}

/** Build a yt-dlp driver. Refused extra arguments throw here, at start-up. */
export function createYtDlp(options: YtDlpOptions): YtDlp {
  const binary = options.path ?? "yt-dlp";
  const maxBytes = options.maxFileMb * MIB;
  const extraArgs = [...(options.extraArgs ?? [])];
  checkExtraArgs(extraArgs);
  if (options.source.kind === "local") {
    const url = new URL(options.source.baseUrl); // throws early on a bad URL
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw new Error("local source must be http(s)");
  }
  let versionPromise: Promise<string> | undefined;

  const version = (): Promise<string> => {
    versionPromise ??= runProcess(binary, ["--version"], { timeoutMs: 30_000 })
      .then((r) => r.stdout.trim().split(/\s+/)[0] ?? "")
      .catch((err: unknown) => {
        versionPromise = undefined; // try again next time (it may get installed)
        if (err instanceof ProcessError && err.failure === "spawn") {
          throw new YtDlpError("not_installed", err.message, { cause: err });
        }
        throw err;
      });
    return versionPromise;
  };

  const sourceUrl = (videoId: string): { url: string; ies: string } => {
    const source = options.source;
    if (source.kind === "youtube")
      return { url: `https://www.youtube.com/watch?v=${videoId}`, ies: "youtube" };
    const base = source.baseUrl.replace(/\/+$/, "");
    // The generic extractor can reach any host: it is allowed only for the configured local stand-in.
    return { url: `${base}/audio/${videoId}.${source.audioExt ?? "m4a"}`, ies: "generic" };
  };

  const download = async (videoId: string, opts: DownloadOptions): Promise<DownloadResult> => {
    if (!isValidVideoId(videoId)) throw new YtDlpError("invalid_id", JSON.stringify(videoId));
    const ver = await version();
    const missing = REQUIRED_FLAGS.filter((f) => !supportsFlag(ver, f));
    if (missing.length > 0) throw new YtDlpError("too_old", `yt-dlp ${ver} lacks ${missing.join(", ")}`);
    const { kept } = filterExtraArgs(ver, extraArgs);

    // A private folder inside the target: partial (.part) files stay there and go with it.
    const work = await mkdtemp(path.join(opts.dir, ".ytdlp-"));
    try {
      const { url, ies } = sourceUrl(videoId);
      const args = [
        "--ignore-config",
        "--no-playlist",
        "--ies",
        ies,
        "-f",
        formatSelector(opts.preferCodec),
        "--max-filesize",
        `${options.maxFileMb}M`,
        "--no-mtime",
        ...(options.cacheDir ? ["--cache-dir", options.cacheDir] : ["--no-cache-dir"]),
        "--paths",
        work,
        "-o",
        "%(id)s.%(ext)s",
        "--progress",
        "--newline",
        "--progress-template",
        "download:%(progress)j",
        // --print implies --quiet; with --verbose the log still goes to stderr, which is where the
        // otherwise silent "larger than max-filesize" notice (exit 0, no file) can be seen.
        "--print",
        `after_move:${FILE_MARK}%(filepath)s`,
        "--verbose",
      ];
      if (options.cookiesFile) {
        const jar = path.join(work, COOKIE_JAR);
        await copyFile(options.cookiesFile, jar);
        args.push("--cookies", jar);
      }
      args.push(...kept, "--", url);

      let printed: string | undefined;
      let stderrLog = "";
      // The byte budget, kept while reading: a source that announces no size (or a false one) and never
      // stops is cut here, not by the track's timeout.
      const budget = new AbortController();
      let overBudget: number | undefined;
      const count = (bytes: number) => {
        if (bytes <= maxBytes || overBudget !== undefined) return;
        overBudget = bytes;
        budget.abort();
      };
      const poll = setInterval(() => void bytesWritten(work).then(count, () => undefined), BUDGET_POLL_MS);
      try {
        await runProcess(binary, args, {
          cwd: work,
          signal: opts.signal ? AbortSignal.any([opts.signal, budget.signal]) : budget.signal,
          timeoutMs: opts.timeoutMs,
          onStdoutLine: (line) => {
            if (line.startsWith(FILE_MARK)) {
              printed = line.slice(FILE_MARK.length);
              return;
            }
            const progress = parseProgressLine(line);
            if (!progress) return;
            count(progress.downloadedBytes);
            opts.onProgress?.(progress);
          },
          onStderrLine: (line) => {
            if (/^(ERROR|WARNING):|max-filesize/.test(line))
              stderrLog = (stderrLog + line + "\n").slice(-8000);
          },
        });
      } catch (err) {
        if (overBudget !== undefined) throw tooLarge(overBudget, maxBytes, err);
        if (err instanceof ProcessError) {
          // The track's time running out is not a cancel: the person reads that it took too long.
          if (err.failure === "aborted" && timedOut(opts.signal))
            throw new YtDlpError("timeout", err.stderrTail, { cause: err });
          if (err.failure === "aborted") throw new YtDlpError("aborted", "", { cause: err });
          if (err.failure === "timeout") throw new YtDlpError("timeout", err.stderrTail, { cause: err });
          if (err.failure === "spawn") throw new YtDlpError("not_installed", err.message, { cause: err });
          throw withCause(classifyYtDlpError(stderrLog || err.stderrTail), err);
        }
        throw err;
      } finally {
        clearInterval(poll);
      }
      if (overBudget !== undefined) throw tooLarge(overBudget, maxBytes);
      if (printed === undefined) {
        // Exit 0 without a file: --max-filesize and filters skip this way.
        const classified = classifyYtDlpError(stderrLog);
        throw classified.kind === "unknown" ? new YtDlpError("no_file", tail(stderrLog)) : classified;
      }
      const produced = path.resolve(work, printed);
      if (path.dirname(produced) !== work)
        throw new YtDlpError("no_file", `unexpected output path ${printed}`);
      const info = await stat(produced).catch(() => undefined);
      if (!info?.isFile() || info.size === 0) throw new YtDlpError("no_file", `missing output ${printed}`);
      if (info.size > maxBytes) throw tooLarge(info.size, maxBytes);
      const dest = path.join(opts.dir, path.basename(produced));
      await atomicMove(produced, dest);
      return { path: dest, bytes: info.size };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  };

  return { maxBytes, version, download };
}

function tooLarge(bytes: number, maxBytes: number, cause?: unknown): YtDlpError {
  return new YtDlpError(
    "too_large",
    `stopped after ${bytes} bytes: past the budget of ${maxBytes} bytes`,
    cause === undefined ? undefined : { cause },
  );
}

function withCause(error: YtDlpError, cause: unknown): YtDlpError {
  return new YtDlpError(error.kind, error.detail, { cause });
}
