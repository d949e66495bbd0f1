/**
 * The embedded redis-server: a private Redis started (and stopped) by this process when no REDIS_URL is
 * set. Connections to it, or to any Redis, are opened with redis.ts.
 */
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { Logger } from "pino";
import { UserFacingError } from "./errors.js";
import { freePort } from "./free-port.js";

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

/**
 * Start redis-server with AOF on and `noeviction` (queues must never be evicted), wait until it answers
 * PING, and return a handle that stops it.
 */
export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const binary = options.binary ?? "redis-server";
  mkdirSync(options.dir, { recursive: true });
  const socket = path.join(options.dir, "redis.sock");
  // A unix socket path is limited to about 107 bytes.
  const useTcp = options.port !== undefined || socket.length > 100;
  const port = useTcp ? options.port || (await freePort()) : 0;
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

  const child: ChildProcess = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const spawnError = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    child.once("error", (err) => resolve(err));
    child.once("spawn", () => resolve(undefined));
  });
  if (spawnError) {
    if (spawnError.code === "ENOENT") throw new RedisNotInstalledError(binary);
    throw spawnError;
  }
  const pid = child.pid ?? 0;

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM"); // redis-server handles SIGTERM as SHUTDOWN (flushing the AOF)
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
      if (!useTcp) rmSync(socket, { force: true });
    })();
    return stopped;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  for (;;) {
    if (child.exitCode !== null) {
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
