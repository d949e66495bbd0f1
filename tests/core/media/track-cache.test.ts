import { writeFileSync, rmSync, appendFileSync } from "node:fs";
import path from "node:path";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis } from "../../../src/core/redis.js";
import { createTrackCache, type TrackCacheEntry } from "../../../src/core/media/track-cache.js";
import { testRedisUrl, uniquePrefix } from "../../helpers/redis.js";
import { tempDir } from "./fixtures.js";

describe("track cache on real Redis", () => {
  let redis: Redis;
  let work: ReturnType<typeof tempDir>;
  beforeAll(() => {
    redis = createRedis({ url: testRedisUrl() }, "client");
    work = tempDir("cache");
  });
  afterAll(async () => {
    await redis.quit();
    work.cleanup();
  });

  function entryFor(name: string, content = "audio-bytes"): TrackCacheEntry {
    const file = path.join(work.dir, name);
    writeFileSync(file, content);
    return {
      path: file,
      sha256: "ab".repeat(32),
      bytes: Buffer.byteLength(content),
      durationSec: 212.5,
      videoId: "dQw4w9WgXcQ",
      createdAt: new Date(0).toISOString(),
    };
  }

  it("puts and gets by (track, format), separately per format", async () => {
    const cache = createTrackCache(redis, { prefix: uniquePrefix("cache") });
    const entry = entryFor("a.mp3");
    expect(await cache.get("trackA", "mp3")).toBeUndefined();
    await cache.put("trackA", "mp3", entry);
    expect(await cache.get("trackA", "mp3")).toEqual(entry);
    expect(await cache.get("trackA", "flac")).toBeUndefined();
  });

  it("remembers Telegram file ids per bot, only for existing entries; put resets them", async () => {
    const cache = createTrackCache(redis, { prefix: uniquePrefix("cache") });
    expect(await cache.setTelegramFileId("none", "mp3", "F0")).toBe(false);
    const entry = entryFor("b.mp3");
    await cache.put("trackB", "mp3", entry);
    expect(await cache.setTelegramFileId("trackB", "mp3", "F1")).toBe(true);
    expect(await cache.setTelegramFileId("trackB", "mp3", "F2", "bot42")).toBe(true);
    expect((await cache.get("trackB", "mp3"))?.telegramFileIds).toEqual({ default: "F1", bot42: "F2" });
    await cache.put("trackB", "mp3", entry);
    expect((await cache.get("trackB", "mp3"))?.telegramFileIds).toBeUndefined();
    await cache.put("trackB", "mp3", { ...entry, telegramFileIds: { default: "F3" } });
    expect((await cache.get("trackB", "mp3"))?.telegramFileIds).toEqual({ default: "F3" });
  });

  it("a file rewritten in place (album gain) keeps being served, with its new checksum and size", async () => {
    const cache = createTrackCache(redis, { prefix: uniquePrefix("cache") });
    const entry = { ...entryFor("g.mp3", "old"), durationSec: 180.010667, file: "Artist/Album/g.mp3" };
    await cache.put("trackG", "mp3", entry);
    expect(await cache.setTelegramFileId("trackG", "mp3", "OLD")).toBe(true);
    writeFileSync(entry.path, "old, with album gain");
    const next = { sha256: "cd".repeat(32), bytes: Buffer.byteLength("old, with album gain") };
    // Another file at the entry: nothing changes.
    expect(await cache.updateFile("trackG", "mp3", "/elsewhere/g.mp3", next)).toBe(false);
    expect(await cache.updateFile("trackG", "mp3", entry.path, next)).toBe(true);
    // Only a tag changed: the chat's file id is kept (a repeat still costs no upload); the rest as it was.
    expect(await cache.get("trackG", "mp3")).toEqual({
      ...entry,
      ...next,
      telegramFileIds: { default: "OLD" },
    });
    expect(await cache.updateFile("none", "mp3", entry.path, next)).toBe(false);
  });

  it("heals entries whose file vanished or changed size", async () => {
    const prefix = uniquePrefix("cache");
    const cache = createTrackCache(redis, { prefix });
    const gone = entryFor("gone.mp3");
    await cache.put("gone", "mp3", gone);
    rmSync(gone.path);
    expect(await cache.get("gone", "mp3")).toBeUndefined();
    expect(await redis.exists(`${prefix}:track:gone:mp3`)).toBe(0);

    const changed = entryFor("changed.mp3");
    await cache.put("changed", "mp3", changed);
    appendFileSync(changed.path, "more");
    expect(await cache.get("changed", "mp3")).toBeUndefined();
    expect(await redis.exists(`${prefix}:track:changed:mp3`)).toBe(0);

    await redis.hset(`${prefix}:track:junk:mp3`, "entry", "{not json");
    expect(await cache.get("junk", "mp3")).toBeUndefined();
    expect(await redis.exists(`${prefix}:track:junk:mp3`)).toBe(0);
  });

  it("deletes", async () => {
    const cache = createTrackCache(redis, { prefix: uniquePrefix("cache") });
    await cache.put("d", "opus", entryFor("d.opus"));
    await cache.delete("d", "opus");
    expect(await cache.get("d", "opus")).toBeUndefined();
  });
});
