import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataPaths } from "../../../src/core/config/data-paths.js";
import type { JobView } from "../../../src/core/jobs/job-service.js";
import type { WorkerRuntime } from "../../../src/core/jobs/workers.js";
import { probe } from "../../../src/core/media/ffmpeg.js";
import { lrcPathFor } from "../../../src/core/media/lyrics.js";
import { recordFor, unknownToLrclib } from "../../../src/emulators/lrclib/index.js";
import { shortSingle } from "../../../src/emulators/spotify/index.js";
import { createTestPipeline, type TestPipeline } from "../../helpers/pipeline.js";

// shortSingle: "Aller" is on LRCLIB with plain and synced lyrics, "Retour" is not (404).
const [known, unknown] = shortSingle.tracks as [
  (typeof shortSingle.tracks)[0],
  (typeof shortSingle.tracks)[0],
];
const ref = { kind: "album" as const, id: shortSingle.id, uri: `spotify:album:${shortSingle.id}` };

describe("lyrics from LRCLIB (its stand-in), on real Redis, yt-dlp and ffmpeg", () => {
  let p: TestPipeline;
  let workers: WorkerRuntime;
  let collected: JobView;
  const fileOf = (view: JobView, index: number) =>
    path.join(dataPaths(p.config).libraryDir, view.result!.tracks[index]!.file!);

  beforeAll(async () => {
    p = await createTestPipeline();
    workers = await p.startWorkers();
    const { job } = await p.jobs.submit({ owner: { userId: 501, chatId: 501 }, ref });
    collected = await p.waitForEnd(job.id, 60_000);
  }, 90_000);
  afterAll(async () => p?.close());

  it("a collected track has its lyrics in its tags and a .lrc beside it", async () => {
    expect(unknownToLrclib.has(known.id)).toBe(false);
    const record = recordFor(known, 0)!;
    expect(collected.result!.tracks[0]!.outcome).toBe("done");
    const file = fileOf(collected, 0);
    const tags = (await probe(file)).tags;
    expect(tags.lyrics).toBe(record.plainLyrics);
    const lrc = lrcPathFor(file);
    expect(path.basename(lrc)).toBe(`${path.parse(file).name}.lrc`);
    expect(readFileSync(lrc, "utf8")).toBe(`${record.syncedLyrics}\n`);
    // LRCLIB was asked by the names and length Spotify gave, and told who asks.
    const asked = p.stack.lrclib.stats.requests.find((r) => r.query.track_name === known.title)!;
    expect(asked.query).toMatchObject({
      artist_name: known.artists.join(", "),
      album_name: known.album,
      duration: String(Math.round(known.durationMs / 1000)),
    });
    expect(asked.userAgent).toMatch(/CD-Collector/);
  });

  it("a track LRCLIB does not know is collected without lyrics", async () => {
    expect(unknownToLrclib.has(unknown.id)).toBe(true);
    expect(collected.result!.tracks[1]!.outcome).toBe("done");
    const file = fileOf(collected, 1);
    expect((await probe(file)).tags.lyrics).toBeUndefined();
    expect(existsSync(lrcPathFor(file))).toBe(false);
    const asked = p.stack.lrclib.stats.requests.filter((r) => r.query.track_name === unknown.title);
    expect(asked.map((r) => r.status)).toEqual([404]);
  });

  it("with lyrics off, LRCLIB is never asked", async () => {
    await workers.close(5000);
    await p.startWorkers({ config: { ...p.config, lyrics: { ...p.config.lyrics, enabled: false } } });
    const before = p.stack.lrclib.stats.requests.length;
    // Another format, so the tracks are collected again rather than taken from the track cache.
    const { job } = await p.jobs.submit({ owner: { userId: 502, chatId: 502 }, ref, format: "m4a" });
    const end = await p.waitForEnd(job.id, 60_000);
    expect(end.result!.tracks.map((t) => t.outcome)).toEqual(["done", "done"]);
    expect(p.stack.lrclib.stats.requests.length).toBe(before);
    // (The .lrc the mp3 left has the same name: one per song and folder, whatever the format.)
    expect((await probe(fileOf(end, 0))).tags.lyrics).toBeUndefined();
  }, 60_000);
});
