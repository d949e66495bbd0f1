/**
 * What an operator notices about the data directory and the embedded Redis: its files are private under
 * a loose umask, a long data path never exposes Redis on TCP without a password, and a redis-server left
 * by a killed run is not joined by a second one writing the same append-only file.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createConfig } from "../../src/core/config/load.js";
import { dataPaths, makeDataPrivate } from "../../src/core/config/data-paths.js";
import { runProcess } from "../../src/core/process-runner.js";
import { createRedis } from "../../src/core/redis.js";
import {
  EmbeddedRedisInUseError,
  redisServersOn,
  startEmbeddedRedis,
  type EmbeddedRedis,
} from "../../src/core/redis-server.js";
import { eventually } from "../helpers/processes.js";

const mode = (file: string) => statSync(file).mode & 0o777;

/** Every file and directory under `dir` with its mode, as `relative: 0oNNN`. */
function modesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() && !e.isDirectory()) continue;
    const full = path.join(e.parentPath, e.name);
    out[path.relative(dir, full)] = `0o${mode(full).toString(8)}`;
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the data directory and the embedded Redis", () => {
  const dirs: string[] = [];
  const servers: EmbeddedRedis[] = [];
  const strays: number[] = [];
  const umaskBefore = process.umask();
  afterEach(async () => {
    process.umask(umaskBefore);
    for (const s of servers.splice(0)) await s.stop();
    for (const pid of strays.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL");
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cdc-priv-"));
    dirs.push(dir);
    return dir;
  };

  it("the data directory and its files are private under umask 022", async () => {
    const root = tempDir();
    process.umask(0o022); // as under `npm start` on most systems
    // An earlier version left the data directory open.
    const dataDir = path.join(root, "data");
    mkdirSync(dataDir, { mode: 0o755 });
    const { config } = createConfig({ dataDir }, {});
    const redisDir = dataPaths(config).redisDir;

    // The embedded redis-server keeps its files private on its own (the `download` command starts it
    // without the service), so it is started before the process-wide setting.
    const server = await startEmbeddedRedis({ dir: redisDir });
    servers.push(server);
    const client = createRedis({ url: server.url }, "client");
    await client.set("k", "v");
    await client.call("BGREWRITEAOF");
    client.disconnect();

    makeDataPrivate(config);
    const library = path.join(dataDir, "library", "Artist");
    mkdirSync(library, { recursive: true });
    writeFileSync(path.join(library, "zip-like.zip"), "x");
    // A program the service starts writes with the same mask (ffmpeg, yt-dlp).
    await runProcess("sh", ["-c", "echo x > transcoded.mp3"], { cwd: library });
    await server.stop();

    expect(mode(dataDir)).toBe(0o700);
    const modes = modesUnder(dataDir);
    expect(Object.keys(modes)).toEqual(
      expect.arrayContaining([
        "redis",
        "redis/redis.log",
        "redis/appendonlydir",
        "library/Artist/zip-like.zip",
        "library/Artist/transcoded.mp3",
      ]),
    );
    expect(Object.keys(modes).some((f) => f.startsWith("redis/appendonlydir/"))).toBe(true);
    for (const [file, m] of Object.entries(modes)) {
      const isDir = statSync(path.join(dataDir, file)).isDirectory();
      expect(`${file}: ${m}`).toBe(`${file}: ${isDir ? "0o700" : "0o600"}`);
    }
  });

  it("a data path too long for a unix socket still gives a private socket, never open TCP", async () => {
    const dir = path.join(tempDir(), "a-very-long-data-directory-name-".repeat(3), "redis");
    expect(Buffer.byteLength(path.join(dir, "redis.sock"))).toBeGreaterThan(107);
    const server = await startEmbeddedRedis({ dir });
    servers.push(server);
    expect(server.url).toMatch(/^unix:\/\//);
    const socket = server.url.slice("unix://".length);
    expect(Buffer.byteLength(socket)).toBeLessThanOrEqual(100);
    expect(mode(path.dirname(socket))).toBe(0o700);
    expect(statSync(path.dirname(socket)).uid).toBe(os.userInfo().uid);
    const client = createRedis({ url: server.url }, "client");
    expect(await client.config("GET", "port")).toEqual(["port", "0"]); // no TCP listener at all
    client.disconnect();
    await server.stop();
    expect(() => statSync(path.dirname(socket))).toThrow(); // the private socket folder goes with it
  });

  it("a stale redis-server from a killed run is not doubled", async () => {
    const dir = path.join(tempDir(), "redis");
    mkdirSync(dir, { recursive: true });
    // What a killed older version left: a redis-server on the directory, no owner any more.
    const socket = path.join(dir, "redis.sock");
    const stale = spawn(
      "redis-server",
      ["--port", "0", "--dir", dir, "--unixsocket", socket, "--appendonly", "yes", "--save", ""],
      { stdio: "ignore", detached: true },
    );
    strays.push(stale.pid!);
    expect(await eventually(() => existsSync(socket), 5000)).toBe(true);
    const old = createRedis({ url: `unix://${socket}` }, "client");
    await old.set("written before the kill", "kept");
    old.disconnect();

    const server = await startEmbeddedRedis({ dir });
    servers.push(server);
    expect(redisServersOn(dir)).toEqual([server.pid]);
    expect(alive(stale.pid!)).toBe(false);
    const client = createRedis({ url: server.url }, "client");
    expect(await client.get("written before the kill")).toBe("kept");
    client.disconnect();

    // While its owner runs, a second start on the same data is refused, not doubled.
    await expect(startEmbeddedRedis({ dir })).rejects.toBeInstanceOf(EmbeddedRedisInUseError);
    expect(redisServersOn(dir)).toEqual([server.pid]);
  });
});
