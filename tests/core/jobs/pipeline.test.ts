import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probe } from "../../../src/core/media/ffmpeg.js";
import { dataPaths } from "../../../src/core/jobs/workers.js";
import { shortAlbum } from "../../../src/emulators/spotify/index.js";
import { createTestPipeline, type TestPipeline } from "../../helpers/pipeline.js";

const owner = { userId: 1001, chatId: 1001 };
const albumRef = { kind: "album" as const, id: shortAlbum.id, uri: `spotify:album:${shortAlbum.id}` };

describe("download pipeline, end to end on real Redis, yt-dlp and ffmpeg", () => {
  let p: TestPipeline;
  let firstPackage: string | undefined;
  beforeAll(async () => {
    p = await createTestPipeline({ jobs: { workerConcurrency: 3, maxActiveDownloads: 4 } });
    await p.startWorkers();
  }, 120_000);
  afterAll(async () => p?.close());

  it("collects a 10-track album into tagged files with cover art and an ordered playlist", async () => {
    const { job } = await p.jobs.submit({ owner, ref: albumRef });
    expect(job.id).toMatch(/^[a-z2-9]{7}$/);
    const end = await p.waitForEnd(job.id, 240_000);
    expect(end.stage).toBe("done");
    const result = end.result!;
    expect(result.outcome).toBe("done");
    expect(result.tracks).toHaveLength(10);
    expect(result.tracks.map((t) => t.outcome)).toEqual(Array(10).fill("done"));
    expect(result.upc).toBe(shortAlbum.upc);
    expect(result.tracks[3]!.isrc).toBe(shortAlbum.tracks[3]!.isrc);

    const { libraryDir } = dataPaths(p.config);
    const first = path.join(libraryDir, result.tracks[0]!.file!);
    const info = await probe(first);
    expect(info.codec).toBe("mp3");
    expect(info.tags.title).toBe(shortAlbum.tracks[0]!.title);
    expect(info.tags.album).toBe(shortAlbum.name);
    expect(info.tags.track).toBe("1/10");
    expect(info.tags.tsrc ?? info.tags.isrc).toBe(shortAlbum.tracks[0]!.isrc);
    expect(info.hasCover).toBe(true);
    expect(Math.abs(info.durationSec - shortAlbum.tracks[0]!.durationMs / 1000)).toBeLessThan(1.5);

    // Played in album mode, the album keeps its own levels: every file carries the same album gain.
    const files = result.tracks.map((t) => path.join(libraryDir, t.file!));
    const probes = await Promise.all(files.map((f) => probe(f)));
    const albumGains = new Set(probes.map((i) => i.tags.replaygain_album_gain));
    expect(albumGains.size).toBe(1);
    expect([...albumGains][0]).toMatch(/^-?\d+\.\d\d dB$/);
    expect(probes.every((i) => /^-?\d+\.\d\d dB$/.test(i.tags.replaygain_track_gain ?? ""))).toBe(true);
    // ...and the result tells each file's size as it is after that rewrite.
    expect(result.tracks.map((t) => t.bytes)).toEqual(files.map((f) => statSync(f).size));
    firstPackage = result.packagePath;

    const playlist = readFileSync(path.join(libraryDir, result.playlistFile!), "utf8").split("\n");
    const entries = playlist.filter((l) => l && !l.startsWith("#"));
    expect(entries).toHaveLength(10);
    for (const [i, t] of result.tracks.entries()) expect(entries[i]).toBe(path.basename(t.file!));
    expect(existsSync(path.join(libraryDir, result.folder!, "cover.jpg"))).toBe(true);
    expect(result.packagePath && existsSync(result.packagePath)).toBe(true);
    // No temp leftovers anywhere in the library.
    const all = readdirSync(libraryDir, { recursive: true }).map(String);
    expect(all.filter((f) => f.endsWith(".tmp") || f.includes(".part"))).toEqual([]);
  }, 300_000);

  it("answers a repeat request with the same job, and a new request for the same album costs no downloads", async () => {
    const again = await p.jobs.submit({ owner, ref: albumRef });
    expect(again.existing).toBe(true);
    const before = { ...p.stack.audio.stats.audioRequests };
    const other = await p.jobs.submit({ owner: { userId: 2002, chatId: 2002 }, ref: albumRef });
    expect(other.existing).toBe(false);
    const end = await p.waitForEnd(other.job.id);
    expect(end.result!.tracks.map((t) => t.outcome)).toEqual(Array(10).fill("cached"));
    expect(p.stack.audio.stats.audioRequests).toEqual(before);
    // The same files (album gain and all) under the same names: the same package, not a second one.
    expect(end.result!.packagePath).toBe(firstPackage);
  }, 120_000);
});
