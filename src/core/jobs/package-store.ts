/**
 * The download packages (zips) on disk: the one place that knows where they live, what they are called,
 * how long they are kept and when they are deleted.
 *
 * - A package is named after its content: a hash of its entries' names and checksums, in order. The same
 *   files under the same names (the same album asked again, by anyone) give the same package, which is
 *   reused instead of written again.
 * - Each use keeps a package until the download links handed out for it can have expired: the link
 *   lifetime (`http.linkTtlHours`, what link-signer.ts signs with) plus a margin for a delivery that
 *   signs its link a little after the job ended. Redis remembers that time per package
 *   (`keys.packages`, a sorted set), so every worker sees every use.
 * - The sweep deletes packages whose links have expired, then, while the directory is over
 *   `jobs.packageBudgetMB`, the oldest (least recently asked for) first, even when their links are still
 *   live; the newest package always stays, so one package bigger than the budget is still delivered.
 *   A link whose package is gone answers "link expired" (files-route.ts).
 *
 * Deleting is safe against a worker reusing the same package at that moment: the sweep first moves the
 * file aside, then removes its Redis entry only if nobody has used it since it looked (one Lua script),
 * and otherwise moves it back.
 */
import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { dataPaths } from "../config/data-paths.js";
import { describeError } from "../errors.js";
import type { Config } from "../config/schema.js";
import type { Metrics } from "../metrics.js";
import type { Keys } from "./keys.js";

/** One entry of a package as far as its identity goes. */
export interface PackageEntryId {
  /** Name inside the archive. */
  name: string;
  /** SHA-256 (hex) of the file's content. */
  sha256: string;
}

export interface StoredPackage {
  /** Absolute path of the zip. */
  path: string;
  bytes: number;
  /** True when an identical package was already on disk and nothing was written. */
  reused: boolean;
}

export interface PackageUsage {
  count: number;
  bytes: number;
}

export interface SweepReport extends PackageUsage {
  /** Packages deleted by this sweep. */
  deleted: number;
}

export interface PackageStore {
  readonly dir: string;
  /** How often the worker runtime sweeps (a quarter of a package's lifetime, 1 s to 15 min). */
  readonly sweepIntervalMs: number;
  /**
   * The package holding exactly `entries`: the one on disk when there is one (its life is extended),
   * else `write(dest)` makes it (writing through a temp name) and returns its size.
   */
  obtain(
    entries: readonly PackageEntryId[],
    write: (dest: string) => Promise<number>,
  ): Promise<StoredPackage>;
  /** Delete expired packages, then the oldest while over the budget. */
  sweep(now?: number): Promise<SweepReport>;
}

export interface PackageStoreOptions {
  redis: Redis;
  keys: Keys;
  config: Config;
  logger?: Logger;
  metrics?: Metrics;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
}

const MB = 1024 * 1024;
/** The most a delivery may sign its link after the job ended and still find the package. */
const MAX_DELIVERY_MARGIN_MS = 15 * 60_000;
/** A temp or moved-aside file untouched this long is a leftover of a crashed write or sweep. */
const LEFTOVER_MS = 60 * 60_000;
const PACKAGE_FILE = /^([A-Za-z0-9_-]+)\.zip$/;

/** The content key of a package (and its file name without `.zip`). */
export function packageKey(entries: readonly PackageEntryId[]): string {
  const hash = createHash("sha256");
  for (const entry of entries) hash.update(`${entry.name}\0${entry.sha256}\n`);
  return hash.digest("hex").slice(0, 40);
}

/** SHA-256 (hex) of a file's content. */
export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The packages directory of a configuration. */
export function packagesDirOf(config: Config): string {
  return dataPaths(config).packagesDir;
}

interface PackageFile {
  key: string;
  file: string;
  bytes: number;
  mtimeMs: number;
}

/** The packages in `dir` (a missing directory has none); leftovers older than an hour are removed. */
async function listPackages(dir: string, now: number): Promise<PackageFile[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    throw err;
  });
  const found: PackageFile[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) continue;
    const key = PACKAGE_FILE.exec(name)?.[1];
    if (key !== undefined) found.push({ key, file, bytes: info.size, mtimeMs: info.mtimeMs });
    // ctime: a rename (moving a package aside) counts as a change, a copied-over mtime does not.
    else if (now - info.ctimeMs > LEFTOVER_MS) await rm(file, { force: true });
  }
  return found;
}

/** Disk usage of the packages in `dir` (for doctor and the metrics). */
export async function packageUsage(dir: string): Promise<PackageUsage> {
  const files = await listPackages(dir, 0);
  return { count: files.length, bytes: files.reduce((sum, f) => sum + f.bytes, 0) };
}

/** Doctor's row: how much disk the packages use, against the budget. */
export async function checkPackages(
  config: Config,
): Promise<{ name: string; status: "ok" | "warn"; detail: string; fix?: string }> {
  const dir = packagesDirOf(config);
  const budget = config.jobs.packageBudgetMB;
  let usage: PackageUsage;
  try {
    usage = await packageUsage(dir);
  } catch (err) {
    const detail = `${dir} cannot be read: ${describeError(err)}`;
    return { name: "packages", status: "warn", detail, fix: "see the data directory above" };
  }
  const used = `${usage.count} package(s), ${(usage.bytes / MB).toFixed(1)} MB`;
  if (budget > 0 && usage.bytes > budget * MB) {
    return {
      name: "packages",
      status: "warn",
      detail: `${used} of ${budget} MB in ${dir}`,
      fix: "a running worker deletes the oldest within minutes; otherwise raise jobs.packageBudgetMB or lower http.linkTtlHours",
    };
  }
  return {
    name: "packages",
    status: "ok",
    detail: `${used} of ${budget > 0 ? `${budget} MB` : "no limit"} in ${dir}`,
  };
}

// Remove a package's entry only if it still has the score the sweep saw ("" = no entry): a worker that
// reused the package since then has raised it, and the package stays.
const TAKE = `local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (s or '') ~= ARGV[2] then return 0 end
if s then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 1`;

// Raise a package's "live until" (never lower it); ZADD GT needs Redis 6.2, BullMQ runs on 5.
const USE = `local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s or tonumber(s) < tonumber(ARGV[2]) then redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) end
return 1`;

export function createPackageStore(options: PackageStoreOptions): PackageStore {
  const { redis, keys, config } = options;
  const now = options.now ?? Date.now;
  const dir = packagesDirOf(config);
  const linkMs = config.http.linkTtlHours * 3_600_000;
  /** How long after its last use a package is kept when under the budget. */
  const lifeMs = linkMs + Math.min(MAX_DELIVERY_MARGIN_MS, linkMs);
  const budgetBytes = config.jobs.packageBudgetMB * MB;
  const inflight = new Map<string, Promise<number>>();

  const report = (usage: PackageUsage) => {
    options.metrics?.packages.set(usage.count);
    options.metrics?.packageBytes.set(usage.bytes);
  };

  /** Move the package aside, drop its entry if unused since `seen`, then delete it; else move it back. */
  async function take(item: PackageFile, seen: string): Promise<boolean> {
    const aside = `${item.file}.${randomUUID()}.gone`;
    try {
      await rename(item.file, aside);
    } catch {
      return false; // another sweep took it
    }
    const taken = (await redis.eval(TAKE, 1, keys.packages, item.key, seen).catch(() => 0)) === 1;
    if (taken) await rm(aside, { force: true });
    else {
      await rename(aside, item.file).catch((err: unknown) => {
        options.logger?.warn({ err, package: path.basename(item.file) }, "could not put a package back");
      });
    }
    return taken;
  }

  async function sweep(at = now()): Promise<SweepReport> {
    const files = await listPackages(dir, at);
    const listed = files.length > 0 ? await redis.zrange(keys.packages, "0", "-1", "WITHSCORES") : [];
    const scores = new Map<string, string>();
    for (let i = 0; i + 1 < listed.length; i += 2) scores.set(listed[i] ?? "", listed[i + 1] ?? "");
    const items = files
      .map((f) => {
        const seen = scores.get(f.key) ?? "";
        // A file without an entry (Redis lost it, or it predates the store) lives from its last write.
        return { ...f, seen, liveUntil: seen === "" ? f.mtimeMs + lifeMs : Number(seen) };
      })
      .sort((a, b) => a.liveUntil - b.liveUntil);
    let bytes = items.reduce((sum, f) => sum + f.bytes, 0);
    let count = items.length;
    let deleted = 0;
    for (const [index, item] of items.entries()) {
      const expired = item.liveUntil <= at;
      const overBudget = budgetBytes > 0 && bytes > budgetBytes && index < items.length - 1;
      if (!expired && !overBudget) break; // sorted: nothing later is expired, and the total only shrinks
      if (!(await take(item, item.seen))) continue;
      bytes -= item.bytes;
      count -= 1;
      deleted += 1;
      options.logger?.info(
        { package: path.basename(item.file), bytes: item.bytes, why: expired ? "expired" : "over budget" },
        "package deleted",
      );
    }
    // Entries whose package is gone and whose links have expired.
    await redis.zremrangebyscore(keys.packages, "-inf", at);
    report({ count, bytes });
    return { count, bytes, deleted };
  }

  const use = (key: string) => redis.eval(USE, 1, keys.packages, key, String(now() + lifeMs));

  async function reuse(key: string, file: string): Promise<StoredPackage | undefined> {
    // Raise (or create) its entry first: a sweep that looked before this keeps the file (see TAKE).
    await use(key);
    const info = await stat(file).catch(() => undefined);
    return info?.isFile() ? { path: file, bytes: info.size, reused: true } : undefined;
  }

  return {
    dir,
    sweepIntervalMs: Math.min(MAX_DELIVERY_MARGIN_MS, Math.max(1000, lifeMs / 4)),
    sweep,
    async obtain(entries, write) {
      const key = packageKey(entries);
      const file = path.join(dir, `${key}.zip`);
      for (;;) {
        // The same package being written by this process for another job: wait for it, then reuse it.
        const running = inflight.get(key);
        if (running) await running.catch(() => undefined);
        const found = await reuse(key, file);
        if (found) return found;
        if (inflight.has(key)) continue;
        const writing = write(file);
        inflight.set(key, writing);
        try {
          const bytes = await writing;
          await use(key);
          await sweep().catch((err: unknown) => options.logger?.warn({ err }, "package sweep failed"));
          return { path: file, bytes, reused: false };
        } finally {
          inflight.delete(key);
        }
      }
    },
  };
}
