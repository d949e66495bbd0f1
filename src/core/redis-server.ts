/**
 * The embedded redis-server: a private Redis started (and stopped) by this process when no REDIS_URL is
 * set. Connections to it, or to any Redis, are opened with redis.ts.
 *
 * Private by construction: it listens on a unix socket (mode 0700) and never on TCP unless a caller asks
 * for a port (tests). When `<dir>/redis.sock` is too long for a unix socket (about 107 bytes), the socket
 * goes into a fresh 0700 directory under the temp dir (mkdtemp: unguessable, ours) instead; why not a
 * password on TCP: a socket only our user can open needs no secret to keep out of logs and URLs, and
 * no port another local user can knock on. Its files (AOF, log) are created 0600 in a 0700 directory.
 *
 * One server per data: `<dir>/embedded-redis.json` records the server and the process that owns it. A
 * redis-server found on this directory whose owner is gone (a killed service) is shut down (SIGTERM:
 * redis flushes its AOF) before a new one starts, so two servers never write the same append-only file;
 * one whose owner still runs is refused with a clear message.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  chmodSync,
  writeFileSync,
} from "node:fs";
import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import { UserFacingError } from "./errors.js";
import { freePort } from "./free-port.js";
import { guardedCommand } from "./process-runner.js";

/** A private redis-server owned by this process. */
export interface EmbeddedRedis {
  /** `unix:///.../redis.sock` or `redis://127.0.0.1:PORT` */
  url: string;
  /** The server's pid. */
  pid: number;
  /** Stop the server (SHUTDOWN, then SIGKILL after a deadline). Safe to call twice. */
  stop(): Promise<void>;
}

export interface EmbeddedRedisOptions {
  binary?: string;
  /** Directory for the socket, AOF and log. */
  dir: string;
  /** Listen on this TCP port on 127.0.0.1 instead of a unix socket (tests use 0 = pick a free one). */
  port?: number;
  /** Keep an append-only file. @defaultValue true */
  appendOnly?: boolean;
  logger?: Logger;
  /** How long to wait for the server to answer. @defaultValue 10 s */
  startTimeoutMs?: number;
}

/** Raised when redis-server is not installed. */
export class RedisNotInstalledError extends UserFacingError {
  constructor(binary: string) {
    super(
      "redis_missing",
      `${binary} is not installed. Install it (apt-get install -y redis-server) or set REDIS_URL to an existing Redis.`,
    );
  }
}

/** One PING over a fresh socket; true when the server answers PONG. */
async function rawPing(target: { path: string } | { port: number; host: string }): Promise<boolean> {
  const net = await import("node:net");
  return new Promise((resolve) => {
    const socket = net.createConnection(target);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

/** What `<dir>/embedded-redis.json` records about the server running on the directory. */
interface RedisLock {
  /** The process that started the server, and when it started (so a reused pid is not mistaken). */
  owner: number;
  ownerStart?: string;
  redisPid: number;
  socket?: string;
  /** The private socket directory under the temp dir, when the data path was too long. */
  socketDir?: string;
}

const LOCK_FILE = "embedded-redis.json";
/** A unix socket path holds at most 107 bytes; keep a margin. */
const SOCKET_PATH_MAX = 100;

/** Raised when another running process already has an embedded redis-server on this directory. */
export class EmbeddedRedisInUseError extends Error {
  override readonly name = "EmbeddedRedisInUseError";
  constructor(dir: string, owner: number) {
    super(
      `another cd-collector (pid ${owner}) is running the embedded Redis in ${dir}; stop it first, or set REDIS_URL so both use one Redis`,
    );
  }
}

/** The kernel's start time of `pid` (field 22 of /proc/pid/stat), or undefined when it is gone. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** True when the process that wrote `lock` is still running (the same process, not a reused pid). */
function ownerRuns(lock: RedisLock): boolean {
  if (!isAlive(lock.owner)) return false;
  const now = startTimeOf(lock.owner);
  return lock.ownerStart === undefined || now === undefined || now === lock.ownerStart;
}

function readLock(dir: string): RedisLock | undefined {
  try {
    const data = JSON.parse(readFileSync(path.join(dir, LOCK_FILE), "utf8")) as Partial<RedisLock>;
    if (typeof data.owner !== "number" || typeof data.redisPid !== "number") return undefined;
    return data as RedisLock;
  } catch {
    return undefined;
  }
}

/**
 * Pids of redis-servers working in `dir` (redis chdirs to its `--dir`), found through /proc: also those a
 * killed older version left without a lock. Empty where there is no /proc.
 */
export function redisServersOn(dir: string): number[] {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return [];
  }
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) !== real) continue;
      if (!readFileSync(`/proc/${entry}/comm`, "utf8").startsWith("redis-server")) continue;
      pids.push(Number(entry));
    } catch {
      // Not ours to read (another user), or gone.
    }
  }
  return pids;
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/**
 * Before starting: a redis-server already on `dir` is refused when the process that owns it still runs,
 * otherwise (its service was killed) it is shut down, so the new one is the only one on the AOF.
 */
async function stopStaleServer(dir: string, logger: Logger | undefined): Promise<void> {
  const lock = readLock(dir);
  // Only a server proven to work in this directory is touched (never a pid the lock names alone: reused).
  for (const pid of redisServersOn(dir)) {
    if (lock && lock.redisPid === pid && ownerRuns(lock)) throw new EmbeddedRedisInUseError(dir, lock.owner);
    logger?.warn({ redisPid: pid, dir }, "stopping a redis-server left by an earlier run");
    const send = (signal: NodeJS.Signals) => {
      try {
        process.kill(pid, signal);
      } catch {
        // Gone already.
      }
    };
    send("SIGTERM"); // SHUTDOWN: the AOF is flushed
    if (!(await waitGone(pid, 10_000))) {
      send("SIGKILL");
      await waitGone(pid, 2000);
    }
  }
  // Only a folder this module makes: never follow the lock elsewhere.
  if (lock?.socketDir && path.basename(lock.socketDir).startsWith("cdc-redis-"))
    rmSync(lock.socketDir, { recursive: true, force: true });
  rmSync(path.join(dir, LOCK_FILE), { force: true });
}

/** A socket path that fits: `<dir>/redis.sock`, else one in a new private directory under the temp dir. */
function socketPath(dir: string): { socket: string; socketDir?: string } {
  const inDir = path.join(dir, "redis.sock");
  if (Buffer.byteLength(inDir) <= SOCKET_PATH_MAX) return { socket: inDir };
  for (const base of [os.tmpdir(), "/tmp"]) {
    if (Buffer.byteLength(path.join(base, "cdc-redis-XXXXXX", "redis.sock")) > SOCKET_PATH_MAX) continue;
    const socketDir = mkdtempSync(path.join(base, "cdc-redis-")); // created 0700
    return { socket: path.join(socketDir, "redis.sock"), socketDir };
  }
  throw new Error(
    `no unix socket path short enough for the embedded Redis (data directory ${dir}, temp dir ${os.tmpdir()}); set TMPDIR to a short directory or REDIS_URL`,
  );
}

/**
 * Start redis-server with AOF on and `noeviction` (queues must never be evicted), wait until it answers
 * PING, and return a handle that stops it. It dies with this process (parent-death signal).
 */
export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const binary = options.binary ?? "redis-server";
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  chmodSync(options.dir, 0o700); // also when an earlier version made it 0755
  await stopStaleServer(options.dir, options.logger);
  // TCP only when a caller asks for a port (tests); otherwise always a unix socket.
  const useTcp = options.port !== undefined;
  const port = useTcp ? options.port || (await freePort()) : 0;
  const { socket, socketDir } = useTcp ? { socket: "", socketDir: undefined } : socketPath(options.dir);
  if (!useTcp && existsSync(socket)) rmSync(socket);
  const args = [
    "--bind",
    "127.0.0.1",
    "--port",
    String(port),
    "--dir",
    options.dir,
    "--appendonly",
    options.appendOnly === false ? "no" : "yes",
    "--appendfsync",
    "everysec",
    "--save",
    "",
    "--maxmemory-policy",
    "noeviction",
    "--daemonize",
    "no",
    "--protected-mode",
    "yes",
    "--logfile",
    path.join(options.dir, "redis.log"),
  ];
  if (!useTcp) args.push("--unixsocket", socket, "--unixsocketperm", "700");
  const url = useTcp ? `redis://127.0.0.1:${port}` : `unix://${socket}`;

  // SIGTERM when we die: redis shuts down cleanly (AOF flushed); its files are 0600 whatever our umask.
  const command = guardedCommand(binary, args, { deathSignal: "SIGTERM", privateFiles: true });
  const child: ChildProcess = spawn(command.file, command.args, {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const spawnError = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    child.once("error", (err) => resolve(err));
    child.once("spawn", () => resolve(undefined));
  });
  const removeSocket = () => {
    if (useTcp) return;
    rmSync(socket, { force: true });
    if (socketDir) rmSync(socketDir, { recursive: true, force: true });
  };
  if (spawnError) {
    removeSocket();
    if (spawnError.code === "ENOENT") throw new RedisNotInstalledError(binary);
    throw spawnError;
  }
  const pid = child.pid ?? 0;
  const lockFile = path.join(options.dir, LOCK_FILE);
  const lock: RedisLock = {
    owner: process.pid,
    redisPid: pid,
    ...(startTimeOf(process.pid) ? { ownerStart: startTimeOf(process.pid) } : {}),
    ...(useTcp ? {} : { socket }),
    ...(socketDir ? { socketDir } : {}),
  };
  writeFileSync(lockFile, JSON.stringify(lock), { mode: 0o600 });

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM"); // redis-server handles SIGTERM as SHUTDOWN (flushing the AOF)
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      removeSocket();
      if (readLock(options.dir)?.redisPid === pid) rmSync(lockFile, { force: true });
    })();
    return stopped;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(
        `redis-server exited at start (code ${child.exitCode}): ${stderr.trim() || "see " + path.join(options.dir, "redis.log")}`,
      );
    }
    if (await rawPing(useTcp ? { port, host: "127.0.0.1" } : { path: socket })) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer within ${options.startTimeoutMs ?? 10_000} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  options.logger?.info({ redisPid: pid, dir: options.dir }, "embedded redis-server started");
  return { url, pid, stop };
}
