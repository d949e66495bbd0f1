/**
 * Collections with names that push the file system, end to end through the stand-ins with real workers,
 * Redis, yt-dlp and ffmpeg: a 200-byte CJK album title, a 300-character classical playlist title, and two
 * people's playlists with the same name. Each collection is one or two 4-6 s tracks.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataPaths } from "../../../src/core/config/data-paths.js";
import type { JobView } from "../../../src/core/jobs/job-service.js";
import { NAME_PATH_BYTES, NAME_SEGMENT_BYTES } from "../../../src/core/media/names.js";
import {
  type CatalogPlaylist,
  longCjkAlbum,
  longTitlePlaylist,
  sameNamePlaylists,
} from "../../../src/emulators/spotify/index.js";
import { createTestPipeline, type TestPipeline } from "../../helpers/pipeline.js";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

function expectBounded(relative: string): void {
  expect(bytes(relative), relative).toBeLessThanOrEqual(NAME_PATH_BYTES);
  for (const segment of relative.split("/")) {
    expect(bytes(segment), segment).toBeLessThanOrEqual(NAME_SEGMENT_BYTES);
  }
}

/** The audio lines of an .m3u8 text. */
const entriesOf = (m3u8: string) => m3u8.split("\n").filter((l) => l && !l.startsWith("#"));

describe("collections with very long or shared names", () => {
  let p: TestPipeline;
  let libraryDir: string;
  let tmpDir: string;
  const [ada, bruno] = sameNamePlaylists as [CatalogPlaylist, CatalogPlaylist];
  // All four collections run at once (six short tracks); each test waits for its own.
  let ends: Record<"cjk" | "classical" | "ada" | "bruno", Promise<JobView>>;
  beforeAll(async () => {
    p = await createTestPipeline({ jobs: { workerConcurrency: 4, maxActiveDownloads: 6 } });
    ({ libraryDir, tmpDir } = dataPaths(p.config));
    await p.startWorkers();
    const collect = async (kind: "album" | "playlist", id: string, userId: number) => {
      const ref = { kind, id, uri: `spotify:${kind}:${id}` };
      const { job } = await p.jobs.submit({ owner: { userId, chatId: userId }, ref });
      return p.waitForEnd(job.id, 60_000);
    };
    ends = {
      cjk: collect("album", longCjkAlbum.id, 3003),
      classical: collect("playlist", longTitlePlaylist.id, 3003),
      ada: collect("playlist", ada.id, 4004),
      bruno: collect("playlist", bruno.id, 5005),
    };
    for (const end of Object.values(ends)) end.catch(() => undefined); // awaited by the tests
  }, 60_000);
  afterAll(async () => p?.close());

  /** Done, with a library playlist and a zip whose playlist names exactly the zip's audio files. */
  function expectWholeCollection(end: JobView, trackCount: number): void {
    expect(end.result?.reason).toBeUndefined();
    expect(end.stage).toBe("done");
    const result = end.result!;
    expect(result.tracks.map((t) => t.outcome)).toEqual(Array(trackCount).fill("done"));

    // The library: every name bounded, the playlist keeps its extension and finds every file.
    expect(result.playlistFile!.endsWith(".m3u8")).toBe(true);
    for (const rel of [result.folder!, result.playlistFile!, ...result.tracks.map((t) => t.file!)]) {
      expectBounded(rel);
    }
    const playlistPath = path.join(libraryDir, result.playlistFile!);
    const listed = entriesOf(readFileSync(playlistPath, "utf8"));
    expect(listed.map((l) => path.resolve(path.dirname(playlistPath), l))).toEqual(
      result.tracks.map((t) => path.join(libraryDir, t.file!)),
    );
    for (const t of result.tracks) expect(existsSync(path.join(libraryDir, t.file!))).toBe(true);

    // The zip: bounded names, the playlist's entries are the zip's audio files, in order.
    const zip = result.packagePath!;
    const utf8 = { env: { ...process.env, LC_ALL: "C.UTF-8" } };
    const names = execFileSync("unzip", ["-Z1", zip], utf8).toString("utf8").trim().split("\n");
    for (const name of names) expectBounded(name);
    const m3u8Name = names.find((n) => n.endsWith(".m3u8"))!;
    expect(m3u8Name).toBeDefined();
    const audio = names.filter((n) => n.endsWith(".mp3"));
    expect(audio).toHaveLength(trackCount);
    // Unpacked as a person would: the playlist finds every file, in order.
    const unpacked = path.join(p.dataDir, `unzipped-${end.id}`);
    execFileSync("unzip", ["-q", zip, "-d", unpacked], utf8);
    const inZip = entriesOf(readFileSync(path.join(unpacked, m3u8Name), "utf8"));
    expect(inZip.map((l) => `${path.posix.dirname(m3u8Name)}/${l}`)).toEqual(audio);
    for (const name of audio) expect(existsSync(path.join(unpacked, name)), name).toBe(true);

    expect(existsSync(path.join(tmpDir, end.id)), "the job's temp folder").toBe(false);
  }

  it("an album with a 200-byte CJK title ends done with a zip and m3u8 whose entries match the files", async () => {
    expect(bytes(longCjkAlbum.name)).toBeGreaterThanOrEqual(200);
    const end = await ends.cjk;
    expectWholeCollection(end, 2);
  }, 60_000);

  it("a playlist with a 300-character classical title ends done, zip and m3u8 correct", async () => {
    expect(longTitlePlaylist.name).toHaveLength(300);
    const end = await ends.classical;
    expectWholeCollection(end, 2);
    expect(end.result!.folder).toMatch(/^Playlists\/Symphony No\. 9 .* \[[0-9a-f]{8}\]$/);
  }, 60_000);

  it("two people's playlists with the same name get separate folders", async () => {
    expect(ada.name).toBe(bruno.name);
    const [first, second] = await Promise.all([ends.ada, ends.bruno]);
    expectWholeCollection(first, 1);
    expectWholeCollection(second, 1);
    expect(first.result!.folder).not.toBe(second.result!.folder);
    // Each person's playlist still lists their own track after the other's was written.
    for (const [end, playlist] of [
      [first, ada],
      [second, bruno],
    ] as const) {
      const text = readFileSync(path.join(libraryDir, end.result!.playlistFile!), "utf8");
      expect(text).toContain(playlist.tracks[0]!.title);
      const folder = path.join(libraryDir, end.result!.folder!);
      expect(
        readdirSync(folder).filter((f) => f.endsWith(".mp3")),
        folder,
      ).toEqual([path.basename(end.result!.tracks[0]!.file!)]);
    }
  }, 60_000);
});
