/**
 * The download package: a real zip (read back with Info-ZIP's unzip) with the collection's folder, its
 * tracks numbered by their place in the collection under unique names, their .lrc beside them, a
 * playlist naming them as they are in the zip, and the cover.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { packCollection } from "../../../src/core/jobs/packager.js";
import { createConfig } from "../../../src/core/config/load.js";
import { createKeys } from "../../../src/core/jobs/keys.js";
import { createPackageStore } from "../../../src/core/jobs/package-store.js";
import { createRedis } from "../../../src/core/redis.js";
import { testRedisUrl, uniquePrefix } from "../../helpers/redis.js";

describe("packCollection", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("a playlist zip numbers its tracks 01, 02, 03 by playlist order, whatever album folder they live in", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "cdc-pack-"));
    dirs.push(root);
    const file = (rel: string, body: string) => {
      const p = path.join(root, "library", rel);
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, body);
      return p;
    };
    // Two tracks of a playlist from two albums share a file name.
    const a = file("Band A/Album/01 - Intro.mp3", "a");
    const b = file("Band B/Other/01 - Intro.mp3", "bb");
    const c = file("Band A/Album/02 - Song.mp3", "ccc");
    const cover = file("cover.jpg", "jpeg");
    const { config } = createConfig({ dataDir: root, redis: { prefix: uniquePrefix("pack") } }, {});
    const redis = createRedis({ url: testRedisUrl() }, "client");
    const store = createPackageStore({ redis, keys: createKeys(config.redis.prefix), config });
    const { path: dest, bytes } = await packCollection({
      store,
      folder: "Road Trip",
      tracks: [
        { file: a, durationSec: 61, artist: "Band A", title: "Intro" },
        { file: b, durationSec: 62, artist: "Band B", title: "Intro" },
        { file: c, durationSec: 63, artist: "Band A", title: "Song" },
      ],
      cover,
      workDir: path.join(root, "tmp"),
    }).finally(() => redis.disconnect());
    expect(bytes).toBeGreaterThan(0);
    const names = execFileSync("unzip", ["-Z1", dest]).toString().trim().split("\n");
    expect(names).toEqual([
      "Road Trip/01 - Band A - Intro.mp3",
      "Road Trip/02 - Band B - Intro.mp3",
      "Road Trip/03 - Band A - Song.mp3",
      "Road Trip/Road Trip.m3u8",
      "Road Trip/cover.jpg",
    ]);
    const playlist = execFileSync("unzip", ["-p", dest, "Road Trip/Road Trip.m3u8"]).toString();
    expect(playlist.split("\n").filter((l) => l.endsWith(".mp3"))).toEqual([
      "01 - Band A - Intro.mp3",
      "02 - Band B - Intro.mp3",
      "03 - Band A - Song.mp3",
    ]);
    expect(execFileSync("unzip", ["-p", dest, "Road Trip/02 - Band B - Intro.mp3"]).toString()).toBe("bb");
  });

  it("a zip keeps each track's lyrics beside it, explicit and clean versions apart, numbered by position", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "cdc-pack-"));
    dirs.push(root);
    const file = (rel: string, body: string) => {
      const p = path.join(root, "library", rel);
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, body);
      return p;
    };
    // Tracks 3 and 7 of a playlist (the rest failed); the clean and the explicit version of one song.
    const clean = file("Band/Album/05 - Song.m4a", "clean");
    const explicit = file("Band/Album/05 - Song [explicit].m4a", "explicit");
    file("Band/Album/05 - Song [explicit].lrc", "[00:01.00] la");
    const { config } = createConfig({ dataDir: root, redis: { prefix: uniquePrefix("pack") } }, {});
    const redis = createRedis({ url: testRedisUrl() }, "client");
    const store = createPackageStore({ redis, keys: createKeys(config.redis.prefix), config });
    const { path: dest } = await packCollection({
      store,
      folder: "Mix",
      tracks: [
        { file: clean, durationSec: 61, artist: "Band", title: "Song", position: 3 },
        { file: explicit, durationSec: 61, artist: "Band", title: "Song", position: 7 },
      ],
      workDir: path.join(root, "tmp"),
    }).finally(() => redis.disconnect());
    const names = execFileSync("unzip", ["-Z1", dest]).toString().trim().split("\n");
    expect(names).toEqual([
      "Mix/03 - Band - Song.m4a",
      "Mix/07 - Band - Song [explicit].m4a",
      "Mix/07 - Band - Song [explicit].lrc",
      "Mix/Mix.m3u8",
    ]);
    // unzip reads [ ] as a wildcard class, so the entry is named by a pattern.
    expect(execFileSync("unzip", ["-p", dest, "Mix/07*.lrc"]).toString()).toBe("[00:01.00] la");
  });
});
