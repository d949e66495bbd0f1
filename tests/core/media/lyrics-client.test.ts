import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/core/log.js";
import { createLyricsClient } from "../../../src/core/media/lyrics.js";
import {
  instrumentalOnLrclib,
  recordFor,
  startLrclibEmulator,
  type LrclibEmulator,
} from "../../../src/emulators/lrclib/index.js";
import { catalogTrackToTrack, demoAlbum, shortAlbums } from "../../../src/emulators/spotify/index.js";

const song = demoAlbum.tracks[1]!; // two artists
const instrumental = shortAlbums[1]!.tracks.find((t) => instrumentalOnLrclib.has(t.id))!;

describe("asking LRCLIB (its stand-in) for a track's lyrics", () => {
  let lrclib: LrclibEmulator;
  beforeAll(async () => {
    lrclib = await startLrclibEmulator();
  });
  afterAll(async () => lrclib?.close());
  afterEach(() => lrclib.failNext(0));
  const client = () => createLyricsClient({ baseUrl: lrclib.url, timeoutMs: 2000, logger: silentLogger() });

  it("a passing LRCLIB failure is asked once more and the lyrics still come", async () => {
    lrclib.failNext(1, 502);
    const lyrics = await client().find(catalogTrackToTrack(song, "http://x"));
    expect(lyrics?.synced).toBe(recordFor(song, 0)!.syncedLyrics);
    expect(lrclib.stats.requests.slice(-2).map((r) => r.status)).toEqual([502, 200]);
  });

  it("an LRCLIB that keeps failing leaves the track without lyrics after two tries", async () => {
    lrclib.failNext(5, 503);
    const before = lrclib.stats.requests.length;
    expect(await client().find(catalogTrackToTrack(song, "http://x"))).toBeUndefined();
    expect(lrclib.stats.requests.length - before).toBe(2);
  });

  it("an instrumental gets no lyrics", async () => {
    expect(await client().find(catalogTrackToTrack(instrumental, "http://x"))).toBeUndefined();
    expect(lrclib.stats.requests.at(-1)!.status).toBe(200);
  });
});
