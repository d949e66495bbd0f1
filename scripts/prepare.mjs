#!/usr/bin/env node
// Brings in what `npm test`, `npm run demo`, `npm start` and `npm run bench` need on a fresh
// Debian/Ubuntu machine: npm dependencies when missing, and system programs through apt when missing
// and running as root. Otherwise it stops with the exact command to run. Plain Node, no dependencies,
// because it runs before `npm install` has happened.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const purpose = process.argv[2] ?? "test";

/** program -> Debian package */
const needs = {
  test: {
    "redis-server": "redis-server",
    ffmpeg: "ffmpeg",
    ffprobe: "ffmpeg",
    "yt-dlp": "yt-dlp",
    cdrdao: "cdrdao",
    // Checks of the deploy files with the real tools (no Docker engine needed).
    promtool: "prometheus",
    "docker-compose": "docker-compose",
    "systemd-analyze": "systemd",
  },
  demo: { "redis-server": "redis-server", ffmpeg: "ffmpeg", ffprobe: "ffmpeg", "yt-dlp": "yt-dlp" },
  bench: { "redis-server": "redis-server", ffmpeg: "ffmpeg", ffprobe: "ffmpeg", "yt-dlp": "yt-dlp" },
  start: {},
}[purpose];
if (!needs) {
  console.error(`prepare: unknown purpose ${purpose}`);
  process.exit(2);
}

function say(text) {
  process.stderr.write(`[prepare] ${text}\n`);
}

function onPath(program) {
  return spawnSync("sh", ["-c", `command -v "$1"`, "sh", program], { stdio: "ignore" }).status === 0;
}

// 1. npm dependencies
const lock = path.join(root, "package-lock.json");
const marker = path.join(root, "node_modules", ".package-lock.json");
const stale =
  !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
if (stale) {
  say("installing npm dependencies (npm install)...");
  // `npm ci` fails on this registry (a missing optional platform build of msgpackr-extract): use install.
  const result = spawnSync("npm", ["install", "--no-audit", "--no-fund"], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0) {
    say("npm install failed; run it yourself and look at the error above.");
    process.exit(1);
  }
}

// 2. system programs
const missing = Object.entries(needs).filter(([program]) => !onPath(program));
if (missing.length > 0) {
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  const command = `apt-get install -y --no-install-recommends ${packages.join(" ")}`;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !onPath("apt-get")) {
    say(`missing: ${missing.map(([p]) => p).join(", ")}`);
    say(`install them with: sudo apt-get update && sudo ${command}`);
    process.exit(1);
  }
  say(`installing ${packages.join(", ")} with apt (missing: ${missing.map(([p]) => p).join(", ")})...`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    execFileSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"], env });
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], {
      stdio: ["ignore", "ignore", "inherit"],
      env,
    });
  } catch {
    say(`apt-get failed; run: ${command}`);
    process.exit(1);
  }
  const still = missing.filter(([program]) => !onPath(program));
  if (still.length > 0) {
    say(`still missing after apt: ${still.map(([p]) => p).join(", ")}`);
    process.exit(1);
  }
}
