/**
 * The process a benchmark watches from outside: build the service when dist/ is missing or older than
 * src/, start `node dist/cli.js start --role <role>` as an operator would, and read its resident memory
 * (VmRSS in /proc/<pid>/status) and that of the media programs below it at a fixed interval. Used by
 * bench/memory.ts (the service, role all) and bench/bot.ts (the bot process of each side).
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ProcessError, runProcess } from "../src/core/process-runner.js";
import { mediaChildrenRss } from "./rss-sampler.js";

export const projectRoot = fileURLToPath(new URL("..", import.meta.url));
export const cliPath = path.join(projectRoot, "dist", "cli.js");

/** VmRSS of `pid` in bytes; 0 once the process is gone (or where there is no /proc). */
export function vmRssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/^VmRSS:\s*(\d+)\s*kB/m.exec(status)?.[1] ?? "0") * 1024;
  } catch {
    return 0;
  }
}

export interface PidRssSample {
  /** ms since the sampler started. */
  t: number;
  rssBytes: number;
  /** Summed RSS of yt-dlp/ffmpeg/ffprobe below the process (only when asked for). */
  childrenRssBytes?: number;
}

export interface PidRssSampler {
  /** The latest sample's RSS. */
  current(): number;
  /** Stop (after one last sample) and summarise. Idempotent. */
  stop(): { samples: number; peakRssBytes: number; lastRssBytes: number };
}

/**
 * Sample `pid` every `intervalMs`; `onSample` sees every sample (the memory benchmark labels them with
 * its phase). Samples of a process that is gone (RSS 0) are not counted.
 */
export function startPidRssSampler(
  pid: number,
  intervalMs = 200,
  options: { withChildren?: boolean; onSample?: (sample: PidRssSample) => void } = {},
): PidRssSampler {
  const t0 = performance.now();
  let samples = 0;
  let peak = 0;
  let last = 0;
  let stopped: ReturnType<PidRssSampler["stop"]> | undefined;
  const sample = () => {
    const rssBytes = vmRssOf(pid);
    if (rssBytes === 0) return;
    samples++;
    last = rssBytes;
    peak = Math.max(peak, rssBytes);
    options.onSample?.({
      t: Math.round(performance.now() - t0),
      rssBytes,
      ...(options.withChildren === true ? { childrenRssBytes: mediaChildrenRss(pid) } : {}),
    });
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    current: () => last,
    stop() {
      if (stopped) return stopped;
      clearInterval(timer);
      sample();
      stopped = { samples, peakRssBytes: peak, lastRssBytes: last };
      return stopped;
    },
  };
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtimeMs(full));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Run `npm run build` when dist/cli.js is missing or older than any file under src/. Type errors in work
 * in progress elsewhere in the tree do not stop tsc from writing dist/, so they are reported, not fatal,
 * as long as dist/cli.js comes out.
 * @returns what happened, for the benchmark's result.
 */
export async function ensureBuilt(): Promise<"up to date" | "built" | "built with type errors"> {
  const fresh =
    existsSync(cliPath) && statSync(cliPath).mtimeMs >= newestMtimeMs(path.join(projectRoot, "src"));
  if (fresh) return "up to date";
  try {
    await runProcess("npm", ["run", "-s", "build"], { cwd: projectRoot, timeoutMs: 300_000 });
    return "built";
  } catch (err) {
    if (!(err instanceof ProcessError) || err.failure !== "exit" || !existsSync(cliPath)) throw err;
    process.stderr.write(
      `[bench] npm run build reported errors (dist/ was written):\n${err.stdout.slice(-1500)}\n`,
    );
    return "built with type errors";
  }
}

export interface ServiceProcess {
  /** The service's pid (from its first log line). */
  pid: number;
  /** Log lines of the service (JSON), kept for the error message when something goes wrong. */
  logTail(): string[];
  /** SIGTERM by pid, then wait for the exit; resolves with the exit code (-1: killed). Idempotent. */
  stop(): Promise<number>;
}

/**
 * Start `node dist/cli.js start --role <role> --config <configPath>` in `cwd` with exactly `env` (plus
 * PATH), and resolve once it logged "cd-collector started". Its logs must be JSON at info level or lower.
 */
export async function startServiceProcess(options: {
  role: "all" | "bot" | "worker";
  configPath: string;
  cwd: string;
  env: Record<string, string>;
  /** @defaultValue 120000 */
  readyTimeoutMs?: number;
  /** Kill it after this long whatever happens. @defaultValue 30 min */
  timeoutMs?: number;
  /** After SIGTERM, kill the process group if it has not exited within this. @defaultValue 60000 */
  stopTimeoutMs?: number;
}): Promise<ServiceProcess> {
  const tail: string[] = [];
  let pid: number | undefined;
  let markStarted: (pid: number) => void = () => undefined;
  const started = new Promise<number>((resolve) => (markStarted = resolve));
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  // Aborting kills the process group: the way out when the service never started or will not stop.
  const kill = new AbortController();
  const run = runProcess(
    process.execPath,
    [cliPath, "start", "--role", options.role, "--config", options.configPath],
    {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? "", HOME: options.cwd, ...options.env },
      timeoutMs: options.timeoutMs ?? 30 * 60_000,
      signal: kill.signal,
      killGraceMs: 2000,
      maxStdoutChars: 64 * 1024,
      onStdoutLine: (line) => {
        keep(line);
        if (!line.startsWith("{")) return;
        const entry = JSON.parse(line) as { pid?: number; msg?: string };
        if (pid === undefined && typeof entry.pid === "number") pid = entry.pid;
        if (entry.msg === "cd-collector started" && pid !== undefined) markStarted(pid);
      },
      onStderrLine: keep,
    },
  );
  const ended = run.then(
    (r) => r.exitCode,
    (err: unknown) => {
      if (err instanceof ProcessError && err.failure !== "spawn") return err.exitCode ?? -1;
      throw err;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const readyMs = options.readyTimeoutMs ?? 120_000;
  try {
    const startedPid = await Promise.race([
      started,
      ended.then((code) => {
        throw new Error(`the service exited (${code}) before it started:\n${tail.join("\n")}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the service did not start within ${readyMs} ms:\n${tail.join("\n")}`)),
          readyMs,
        );
      }),
    ]);
    clearTimeout(timer);
    let stopping: Promise<number> | undefined;
    return {
      pid: startedPid,
      logTail: () => [...tail],
      stop() {
        stopping ??= (async () => {
          try {
            process.kill(startedPid, "SIGTERM");
          } catch {
            // already gone
          }
          const deadline = setTimeout(() => kill.abort(), options.stopTimeoutMs ?? 60_000);
          try {
            return await ended;
          } finally {
            clearTimeout(deadline);
          }
        })();
        return stopping;
      },
    };
  } catch (err) {
    clearTimeout(timer);
    kill.abort();
    await ended.catch(() => undefined);
    throw err;
  }
}
