/**
 * Runs cdrdao: checks a TOC with `toc-info` and `toc-size` (no drive needed), burns or simulates with
 * `write`/`simulate`, turns its stderr into progress events, and its failure texts into errors with a
 * sentence for the operator.
 *
 * The failure texts are the ones cdrdao 1.2.4 prints (from its binary and sources), for example
 * `ERROR: Unable to open SCSI device /dev/sr0: Permission denied.`,
 * `ERROR: Unit not ready, giving up.`, `ERROR: Inserted disk is not empty and not appendable.`.
 * Progress lines end with `\r` (cdrdao redraws them in place); the process runner splits on it.
 */
import path from "node:path";
import { ProcessError, ProgramNotFoundError, runProcess } from "../process-runner.js";
import { UserFacingError } from "../errors.js";
import { FIRST_TRACK_PREGAP_SECTORS, SECTORS_PER_SECOND } from "./disc-planner.js";

/** Stable codes of burn failures (also metric labels). */
export type BurnErrorCode =
  | "burn_no_drive"
  | "burn_drive_busy"
  | "burn_permission"
  | "burn_no_disc"
  | "burn_disc_not_blank"
  | "burn_disc_too_small"
  | "burn_speed_unsupported"
  | "burn_toc_invalid"
  | "burn_buffer_underrun"
  | "burn_cdrdao_missing"
  | "burn_aborted"
  | "burn_failed";

/** A burn step failed; `userMessage` is for the operator, `detail` is cdrdao's own words. */
export class BurnError extends UserFacingError {
  override readonly name = "BurnError";
  constructor(
    override readonly code: BurnErrorCode,
    userMessage: string,
    /** cdrdao's ERROR lines (or the tail of its output), for logs. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(code, userMessage, options);
  }
}

/** What cdrdao said, as one event. */
export type CdrdaoEvent =
  | { type: "start"; speed: number; simulate: boolean }
  | { type: "stage"; stage: "calibration" | "cd-text" | "lead-in" | "lead-out" | "flush" }
  | { type: "track"; track: number }
  | {
      type: "progress";
      wroteMb: number;
      totalMb: number;
      percent: number;
      fifoPercent?: number;
      drivePercent?: number;
    }
  | { type: "finished"; simulate: boolean }
  | { type: "warning"; message: string }
  | { type: "error"; message: string };

/** Parse one line of cdrdao's stderr; undefined for lines that carry nothing we use. */
export function parseCdrdaoLine(rawLine: string): CdrdaoEvent | undefined {
  const line = rawLine.trim();
  if (line === "") return undefined;
  let m = /^Wrote (\d+) of (\d+) MB(?: \(Buffers? +(\d+)%(?: +(\d+)%)?\))?\.?$/.exec(line);
  if (m) {
    const wroteMb = Number(m[1]);
    const totalMb = Number(m[2]);
    const percent = totalMb > 0 ? Math.min(100, Math.floor((wroteMb / totalMb) * 100)) : 0;
    return {
      type: "progress",
      wroteMb,
      totalMb,
      percent,
      ...(m[3] !== undefined ? { fifoPercent: Number(m[3]) } : {}),
      ...(m[4] !== undefined ? { drivePercent: Number(m[4]) } : {}),
    };
  }
  m = /^Writing track (\d+) \(mode /.exec(line);
  if (m) return { type: "track", track: Number(m[1]) };
  m = /^Starting write (simulation )?at speed (\d+)\.\.\.$/.exec(line);
  if (m) return { type: "start", speed: Number(m[2]), simulate: m[1] !== undefined };
  if (line === "Writing finished successfully.") return { type: "finished", simulate: false };
  if (line === "Simulation finished successfully.") return { type: "finished", simulate: true };
  if (line.startsWith("Executing power calibration")) return { type: "stage", stage: "calibration" };
  if (line.startsWith("Writing CD-TEXT lead-in")) return { type: "stage", stage: "cd-text" };
  if (line.startsWith("Writing lead-in and gap")) return { type: "stage", stage: "lead-in" };
  if (line.startsWith("Writing lead-out")) return { type: "stage", stage: "lead-out" };
  if (line.startsWith("Flushing cache")) return { type: "stage", stage: "flush" };
  m = /^WARNING: (.*)$/.exec(line);
  if (m) return { type: "warning", message: m[1]! };
  m = /^ERROR: (.*)$/.exec(line);
  if (m) return { type: "error", message: m[1]! };
  return undefined;
}

/** A classified cdrdao failure. */
export interface CdrdaoFailure {
  code: BurnErrorCode;
  /** A sentence for the operator. */
  message: string;
  /** cdrdao's ERROR lines. */
  detail: string;
}

function errorLines(stderr: string): string[] {
  return stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith("ERROR: "))
    .map((l) => l.slice("ERROR: ".length));
}

/**
 * cdrdao's first complaint about a TOC. A failed consistency check prints WARNING lines (the reason,
 * e.g. "Track 1: Length is shorter than 4 seconds.") followed by generic ERROR lines.
 */
function tocComplaint(stderr: string): string | undefined {
  const errors = errorLines(stderr);
  if (errors[0]?.startsWith("The toc check function")) {
    const warning = stderr.split(/\r?\n|\r/).find((l) => l.startsWith("WARNING: "));
    if (warning !== undefined) return warning.slice("WARNING: ".length);
  }
  return errors[0];
}

/**
 * Map cdrdao's stderr after a failed run to a code and an operator sentence. The most specific cause
 * wins: a missing device also prints "Cannot setup device", an empty tray also "Cannot setup device".
 */
export function classifyCdrdaoFailure(stderr: string, context: { device?: string } = {}): CdrdaoFailure {
  const errors = errorLines(stderr);
  const detail = errors.length > 0 ? errors.join("\n") : stderr.trim().split("\n").slice(-3).join("\n");
  const device = context.device ?? /Unable to open SCSI device ([^:]+):/.exec(stderr)?.[1] ?? "the CD writer";
  const has = (pattern: RegExp) => pattern.test(stderr);
  const result = (code: BurnErrorCode, message: string): CdrdaoFailure => ({ code, message, detail });

  if (
    has(/(?:Unable to|Cannot) open SCSI device .*: (Permission denied|Operation not permitted)/) ||
    has(/No permission to write to SCSI device/)
  ) {
    return result(
      "burn_permission",
      `No permission to use ${device}: add the user this service runs as to the "cdrom" group and restart the service.`,
    );
  }
  if (has(/Device or resource busy/)) {
    return result(
      "burn_drive_busy",
      `${device} is busy: another program (a desktop auto-mounter, another burn) is using it. Close it and try again.`,
    );
  }
  if (
    has(/(?:Unable to|Cannot) open SCSI device .*: No such (file or directory|device)/) ||
    has(/No device specified, no default device found/)
  ) {
    return result(
      "burn_no_drive",
      `No CD writer at ${device}: check that the drive is connected and burn.device is right.`,
    );
  }
  if (has(/Unit not ready, giving up/) || has(/Medium not present/)) {
    return result("burn_no_disc", `There is no disc in ${device}: insert a blank CD-R and try again.`);
  }
  if (has(/not empty and not appendable/) || has(/Inserted medium is not appendable/)) {
    return result(
      "burn_disc_not_blank",
      `The disc in ${device} is not blank: insert a blank CD-R (or blank the CD-RW) and try again.`,
    );
  }
  const capacity =
    /Length of toc \(([\d:]+), (\d+) blocks\) exceeds capacity\s*(?:\n|\r)?\s*of CD-R \(([\d:]+), (\d+) blocks\)/.exec(
      stderr,
    );
  if (capacity || has(/exceeds capacity/)) {
    const need = capacity ? ` (needs ${capacity[1]}, the disc holds ${capacity[3]})` : "";
    return result(
      "burn_disc_too_small",
      `The disc in ${device} is too small for this disc plan${need}: use an 80-minute blank or plan with a smaller capacity.`,
    );
  }
  const speed = /Writing speed (\d+) not supported by device/.exec(stderr);
  if (speed) {
    return result(
      "burn_speed_unsupported",
      `${device} cannot write at speed ${speed[1]}: lower burn.speed and try again.`,
    );
  }
  if (has(/buffer under run/)) {
    return result(
      "burn_buffer_underrun",
      "Writing stopped because the drive ran out of data (buffer underrun); the disc is probably unusable. Try a lower speed.",
    );
  }
  if (
    has(/Cannot open audio file/) ||
    has(/Toc file ".*" is inconsistent/) ||
    has(/Toc-file ".*" (may create undefined results|is not suitable)/) ||
    has(/\.toc:\d+: /) ||
    has(/toc check function detected/)
  ) {
    return result(
      "burn_toc_invalid",
      `cdrdao rejected the disc layout: ${tocComplaint(stderr) ?? "see the log"}`,
    );
  }
  if (has(/Cannot setup device/) || has(/Inquiry command failed/)) {
    return result("burn_no_drive", `${device} is not a usable CD writer: check burn.device and burn.driver.`);
  }
  return result("burn_failed", `Burning failed: ${errors.at(-1) ?? "cdrdao stopped with an error"}.`);
}

function toBurnError(err: unknown, cdrdaoPath: string, device?: string): unknown {
  if (err instanceof ProgramNotFoundError) {
    return new BurnError("burn_cdrdao_missing", `cdrdao is not installed (looked for "${cdrdaoPath}").`, "", {
      cause: err,
    });
  }
  if (err instanceof ProcessError) {
    if (err.failure === "aborted") {
      return new BurnError(
        "burn_aborted",
        "Burning was cancelled; a disc already being written is probably unusable.",
        err.stderrTail,
        { cause: err },
      );
    }
    if (err.failure === "timeout") {
      return new BurnError("burn_failed", "cdrdao took too long and was stopped.", err.stderrTail, {
        cause: err,
      });
    }
    if (err.failure === "exit") {
      const failure = classifyCdrdaoFailure(err.stderrTail, device !== undefined ? { device } : {});
      return new BurnError(failure.code, failure.message, failure.detail, { cause: err });
    }
  }
  return err;
}

export interface CdrdaoOptions {
  /** cdrdao program. @defaultValue "cdrdao" */
  cdrdaoPath?: string;
  signal?: AbortSignal;
  /** @defaultValue 60 s for checks, 2 h for a burn */
  timeoutMs?: number;
  /** Environment for cdrdao. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * Ask the drive about its disc (`cdrdao disk-info`) before anything is rendered: a missing, busy or
 * forbidden drive, no disc or a written one are told in seconds, not after minutes of rendering audio.
 * Rejects with the same {@link BurnError} codes as {@link burnToc}.
 */
export async function checkDrive(
  device: string,
  options: CdrdaoOptions & { driver?: string } = {},
): Promise<void> {
  const cdrdao = options.cdrdaoPath ?? "cdrdao";
  let stdout: string;
  try {
    ({ stdout } = await runProcess(
      cdrdao,
      ["disk-info", "--device", device, "--driver", options.driver ?? "generic-mmc:0x10"],
      {
        signal: options.signal,
        timeoutMs: options.timeoutMs ?? 60_000,
        env: options.env,
        stderrTailChars: 8000,
      },
    ));
  } catch (err) {
    throw toBurnError(err, cdrdao, device);
  }
  if (/^CD-R empty\s*:\s*no\b/m.test(stdout)) {
    throw new BurnError(
      "burn_disc_not_blank",
      `The disc in ${device} is not blank: insert a blank CD-R (or blank the CD-RW) and try again.`,
      stdout,
    );
  }
}

/** What cdrdao says about a TOC. */
export interface TocCheck {
  tracks: number;
  /** Track data sectors, as `cdrdao toc-size` prints them (without the 150-sector pregap). */
  sectors: number;
  /** Sectors on disc including the pregap before track 1: compare with the planner's `sectors`. */
  discSectors: number;
  /** `discSectors / 75`. */
  seconds: number;
  /** cdrdao's one-line summary (`disc.toc: 3 tracks, length 00:15:00, 1125 blocks, 2 MB`). */
  summary: string;
}

/**
 * Check a TOC with the real `cdrdao toc-info` and `toc-size` (syntax, every WAV readable, tracks at
 * least 4 s). cdrdao runs in the TOC's directory, so relative FILE paths resolve next to it.
 * Rejects with a {@link BurnError} `burn_toc_invalid` naming cdrdao's complaint.
 */
export async function checkToc(tocPath: string, options: CdrdaoOptions = {}): Promise<TocCheck> {
  const cdrdao = options.cdrdaoPath ?? "cdrdao";
  const run = {
    cwd: path.dirname(tocPath),
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? 60_000,
    env: options.env,
  };
  try {
    const info = await runProcess(cdrdao, ["toc-info", tocPath], run);
    const size = await runProcess(cdrdao, ["toc-size", tocPath], run);
    const summary = info.stdout.trim().split("\n").at(-1) ?? "";
    const tracks = /: (\d+) tracks?,/.exec(summary);
    const sectors = Number(size.stdout.trim().split("\n").at(-1));
    if (!tracks || !Number.isInteger(sectors)) {
      throw new BurnError(
        "burn_toc_invalid",
        "cdrdao did not report the disc's size.",
        `${info.stdout}\n${size.stdout}`,
      );
    }
    const discSectors = sectors + FIRST_TRACK_PREGAP_SECTORS;
    return {
      tracks: Number(tracks[1]),
      sectors,
      discSectors,
      seconds: discSectors / SECTORS_PER_SECOND,
      summary,
    };
  } catch (err) {
    if (err instanceof ProcessError && err.failure === "exit") {
      const reason = tocComplaint(err.stderrTail);
      throw new BurnError(
        "burn_toc_invalid",
        `cdrdao rejected the disc layout: ${reason ?? "see the log"}`,
        err.stderrTail,
        { cause: err },
      );
    }
    throw toBurnError(err, cdrdao);
  }
}

export interface BurnOptions extends CdrdaoOptions {
  /** CD writer device. @defaultValue "/dev/sr0" */
  device?: string;
  /** cdrdao driver; `generic-mmc:0x10` makes Debian's cdrdao write CD-TEXT. @defaultValue "generic-mmc:0x10" */
  driver?: string;
  /** Write speed. @defaultValue 8 */
  speed?: number;
  /** Eject the disc when done. @defaultValue true */
  eject?: boolean;
  /** Run `cdrdao simulate` (laser off). @defaultValue false */
  simulate?: boolean;
  onProgress?: (event: CdrdaoEvent) => void;
}

export interface BurnResult {
  simulate: boolean;
  durationMs: number;
}

/**
 * Burn (or simulate) a checked TOC. stdin is closed so cdrdao never waits for a key; `-n` skips its
 * 10-second pause. Every stderr line that means something is passed to `onProgress` in order; the last
 * event of a good run is `finished`. Rejects with a {@link BurnError} whose code says what the
 * operator must fix (no drive, busy, permission, no disc, disc not blank, ...).
 */
export async function burnToc(tocPath: string, options: BurnOptions = {}): Promise<BurnResult> {
  const cdrdao = options.cdrdaoPath ?? "cdrdao";
  const device = options.device ?? "/dev/sr0";
  const simulate = options.simulate ?? false;
  const args = [
    simulate ? "simulate" : "write",
    "--device",
    device,
    "--driver",
    options.driver ?? "generic-mmc:0x10",
    "--speed",
    String(options.speed ?? 8),
    ...((options.eject ?? true) ? ["--eject"] : []),
    "-n",
    tocPath,
  ];
  let finished = false;
  try {
    const result = await runProcess(cdrdao, args, {
      cwd: path.dirname(tocPath),
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? 2 * 60 * 60_000,
      env: options.env,
      stderrTailChars: 8000,
      onStderrLine: (line) => {
        const event = parseCdrdaoLine(line);
        if (event === undefined) return;
        if (event.type === "finished") finished = true;
        options.onProgress?.(event);
      },
    });
    if (!finished) {
      throw new BurnError("burn_failed", "cdrdao ended without saying the disc was written.", result.stderr);
    }
    return { simulate, durationMs: result.durationMs };
  } catch (err) {
    throw toBurnError(err, cdrdao, device);
  }
}
