/**
 * The one way this service starts an external program (yt-dlp, ffmpeg, ffprobe, cdrdao, redis-server).
 *
 * Why not a library: we need the child in its own process group so that an abort or a timeout kills
 * everything it started (ffmpeg started by yt-dlp, for instance), and we want line callbacks on both
 * streams while keeping only a bounded tail of stderr for the error message.
 *
 * Children die with the service: on Linux every child is started through util-linux `setpriv
 * --pdeathsig`, so the kernel signals it when this process dies however it dies (SIGKILL, a crash, the
 * OOM killer), when no handler of ours can run. Why not a watchdog process or a pidfile sweep: the
 * kernel's parent-death signal needs no extra process, cannot miss a death, and is exec'd away (setpriv
 * replaces itself with the program: same pid, same process group). Its limit: it reaches the program we
 * started, not programs that one starts (yt-dlp's short ffmpeg fix-ups end on their own).
 */
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";

export interface RunOptions {
  /** Kill the process group after this many milliseconds. @defaultValue no timeout */
  timeoutMs?: number;
  /** Aborting kills the whole process group (SIGTERM, then SIGKILL after {@link RunOptions.killGraceMs}). */
  signal?: AbortSignal;
  cwd?: string;
  /** Full environment for the child. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** Called once per complete stdout line (without the newline). */
  onStdoutLine?: (line: string) => void;
  /** Called once per complete stderr line (without the newline). */
  onStderrLine?: (line: string) => void;
  /** Data written to stdin, which is then closed. Without it stdin is closed at once (`ignore`). */
  input?: string | Buffer;
  /** Keep at most this many characters of stdout in the result. @defaultValue 8 MiB */
  maxStdoutChars?: number;
  /** Characters of stderr kept for the error message. @defaultValue 4000 */
  stderrTailChars?: number;
  /** Milliseconds between SIGTERM and SIGKILL. @defaultValue 500 */
  killGraceMs?: number;
  /** Exit codes that count as success. @defaultValue [0] */
  okExitCodes?: number[];
  /**
   * Signal the kernel sends the child when this process dies (Linux, through setpriv); `null` lets the
   * child outlive us. @defaultValue "SIGKILL"
   */
  parentDeathSignal?: NodeJS.Signals | null;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Why a run did not succeed. */
export type ProcessFailure = "exit" | "timeout" | "aborted" | "spawn";

/** An external program failed; carries what a reader needs to understand why. */
export class ProcessError extends Error {
  override readonly name = "ProcessError";
  constructor(
    message: string,
    readonly command: string,
    readonly failure: ProcessFailure,
    readonly exitCode: number | null,
    readonly signalName: NodeJS.Signals | null,
    readonly stderrTail: string,
    readonly stdout: string,
  ) {
    super(message);
  }
}

/** Raised when the program is not installed (ENOENT on spawn). */
export class ProgramNotFoundError extends ProcessError {
  constructor(command: string) {
    super(`${command}: program not found on PATH`, command, "spawn", null, null, "", "");
  }
}

function lineSplitter(onLine: ((line: string) => void) | undefined) {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  return {
    push(chunk: Buffer): string {
      const text = decoder.write(chunk);
      if (onLine) {
        pending += text;
        let nl = pending.search(/\r?\n|\r/);
        while (nl !== -1) {
          const line = pending.slice(0, nl);
          const sepLength = pending.startsWith("\r\n", nl) ? 2 : 1;
          pending = pending.slice(nl + sepLength);
          onLine(line);
          nl = pending.search(/\r?\n|\r/);
        }
      }
      return text;
    },
    end(): string {
      const text = decoder.end();
      if (onLine) {
        pending += text;
        if (pending.length > 0) onLine(pending);
        pending = "";
      }
      return text;
    },
  };
}

let setprivPath: string | null | undefined;

/** Absolute path of a `setpriv` that knows `--pdeathsig` (util-linux 2.33+), or null; looked up once. */
function setpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.platform !== "linux") return setprivPath;
  const found = findProgram("setpriv", `${process.env.PATH ?? ""}:/usr/bin:/bin:/usr/sbin:/sbin`);
  if (found === undefined) return setprivPath;
  const help = spawnSync(found, ["--help"], { encoding: "utf8", timeout: 5000 });
  if (help.status === 0 && help.stdout.includes("--pdeathsig")) setprivPath = found;
  return setprivPath;
}

/** Where `command` would be run from (as execvp finds it), or undefined when it is not an executable file. */
function findProgram(command: string, pathVar: string, cwd = process.cwd()): string | undefined {
  const executable = (file: string) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes("/")) {
    const file = path.resolve(cwd, command);
    return executable(file) ? file : undefined;
  }
  for (const dir of pathVar.split(":")) {
    if (dir === "") continue;
    const file = path.join(path.resolve(cwd, dir), command);
    if (executable(file)) return file;
  }
  return undefined;
}

/**
 * The program and arguments to spawn so that the kernel sends `deathSignal` to the child when this
 * process dies; with `privateFiles`, the child's files are created 0600/0700 whatever our umask. The
 * command is unchanged when `setpriv` is missing (not Linux) or the program cannot be found: then
 * spawn's own ENOENT still says "not installed". Used by {@link runProcess} and the embedded redis-server.
 */
export function guardedCommand(
  command: string,
  args: readonly string[],
  options: {
    deathSignal?: NodeJS.Signals | null;
    privateFiles?: boolean;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
  } = {},
): { file: string; args: string[] } {
  const deathSignal = options.deathSignal === undefined ? "SIGKILL" : options.deathSignal;
  let file = command;
  let argv = [...args];
  const found = findProgram(command, (options.env ?? process.env).PATH ?? "", options.cwd);
  if (found === undefined) return { file, args: argv };
  if (options.privateFiles) {
    // umask is inherited across exec; `exec` keeps the pid, so the process group and our kill stay right.
    argv = ["-c", 'umask 077 && exec "$0" "$@"', command, ...argv];
    file = "/bin/sh";
  }
  const guard = deathSignal === null ? null : setpriv();
  if (guard !== null && deathSignal !== null) {
    argv = ["--pdeathsig", deathSignal.replace(/^SIG/, ""), "--", file, ...argv];
    file = guard;
  }
  return { file, args: argv };
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Run `command` with `args` (no shell) and resolve with its output, or reject with a
 * {@link ProcessError}. Callbacks that throw do not break the run; the error is rethrown at the end.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const started = Date.now();
  const maxStdout = options.maxStdoutChars ?? 8 * 1024 * 1024;
  const tailChars = options.stderrTailChars ?? 4000;
  const grace = options.killGraceMs ?? 500;
  const okCodes = options.okExitCodes ?? [0];
  const display = [command, ...args].join(" ");

  return new Promise<RunResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ProcessError(`${command}: aborted before start`, display, "aborted", null, null, "", ""));
      return;
    }
    const guarded = guardedCommand(command, args, {
      deathSignal: options.parentDeathSignal,
      env: options.env,
      cwd: options.cwd,
    });
    const child = spawn(guarded.file, guarded.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true, // own process group, so we can kill the whole tree
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      windowsHide: true,
    });

    let stdout = "";
    let stderr = "";
    let callbackError: unknown;
    let stopReason: ProcessFailure | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const safe = (fn: ((line: string) => void) | undefined) =>
      fn === undefined
        ? undefined
        : (line: string) => {
            try {
              fn(line);
            } catch (err) {
              callbackError ??= err;
            }
          };
    const out = lineSplitter(safe(options.onStdoutLine));
    const err = lineSplitter(safe(options.onStderrLine));
    const addStdout = (text: string) => {
      if (stdout.length < maxStdout) stdout += text.slice(0, maxStdout - stdout.length);
    };
    const addStderr = (text: string) => {
      stderr += text;
      if (stderr.length > tailChars * 2) stderr = stderr.slice(-tailChars);
    };

    const stop = (reason: ProcessFailure) => {
      if (stopReason !== undefined || settled) return;
      stopReason = reason;
      killGroup(child.pid, "SIGTERM");
      killTimer = setTimeout(() => killGroup(child.pid, "SIGKILL"), grace);
      killTimer.unref();
    };

    const timeout =
      options.timeoutMs !== undefined ? setTimeout(() => stop("timeout"), options.timeoutMs) : undefined;
    const onAbort = () => stop("aborted");
    options.signal?.addEventListener("abort", onAbort, { once: true });

    child.stdout?.on("data", (chunk: Buffer) => addStdout(out.push(chunk)));
    child.stderr?.on("data", (chunk: Buffer) => addStderr(err.push(chunk)));
    if (options.input !== undefined && child.stdin) {
      child.stdin.on("error", () => undefined); // EPIPE when the program does not read its input
      child.stdin.end(options.input);
    }

    const cleanup = () => {
      settled = true;
      if (timeout) clearTimeout(timeout);
      options.signal?.removeEventListener("abort", onAbort);
    };

    child.on("error", (error: NodeJS.ErrnoException) => {
      cleanup();
      if (killTimer) clearTimeout(killTimer);
      if (error.code === "ENOENT") reject(new ProgramNotFoundError(command));
      else reject(new ProcessError(`${command}: ${error.message}`, display, "spawn", null, null, "", ""));
    });

    child.on("close", (code, signal) => {
      cleanup();
      addStdout(out.end());
      addStderr(err.end());
      // Anything the program left behind in its group goes too.
      if (stopReason !== undefined) killGroup(child.pid, "SIGKILL");
      if (killTimer) clearTimeout(killTimer);
      const tail = stderr.slice(-tailChars).trim();
      const durationMs = Date.now() - started;
      if (stopReason === "timeout") {
        reject(
          new ProcessError(
            `${command}: timed out after ${options.timeoutMs} ms`,
            display,
            "timeout",
            code,
            signal,
            tail,
            stdout,
          ),
        );
        return;
      }
      if (stopReason === "aborted") {
        reject(new ProcessError(`${command}: aborted`, display, "aborted", code, signal, tail, stdout));
        return;
      }
      if (code === null || !okCodes.includes(code)) {
        const how = code === null ? `killed by ${signal}` : `exited with code ${code}`;
        const last = tail.split("\n").slice(-3).join(" | ");
        reject(
          new ProcessError(
            `${command} ${how}${last ? `: ${last}` : ""}`,
            display,
            "exit",
            code,
            signal,
            tail,
            stdout,
          ),
        );
        return;
      }
      if (callbackError !== undefined) {
        reject(callbackError instanceof Error ? callbackError : new Error("an output callback failed"));
        return;
      }
      resolve({ exitCode: code, stdout, stderr: tail, durationMs });
    });
  });
}
