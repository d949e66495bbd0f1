import { statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { probe } from "../../../src/core/media/ffmpeg.js";
import {
  expectedVideoId,
  startAudioSource,
  videoIdFor,
  videosFor,
  type AudioSource,
} from "../../../src/emulators/audio-source/index.js";
import { makeTrack, tempDir } from "../../core/media/fixtures.js";

const track = makeTrack({ durationMs: 3000 });
const other = makeTrack({
  id: "1111111111111111111111",
  title: "Звезда по имени Солнце",
  artists: ["Кино"],
  isrc: "RUA000000001",
  durationMs: 2000,
});

describe("audio source stand-in", () => {
  const toClose: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of toClose.splice(0)) await close();
  });
  async function start(cacheDir: string, format?: "m4a" | "webm"): Promise<AudioSource> {
    const source = await startAudioSource({ tracks: [track, other], cacheDir, format });
    toClose.push(() => source.close());
    return source;
  }

  it("keeps its video ids and shows each upload as YouTube Music does", () => {
    const all = videosFor(makeTrack({ durationMs: 213_000 }));
    // Ids of earlier catalogue versions stay put (fixtures and demos refer to them).
    expect(Object.fromEntries(all.map((v) => [v.variant, v.id]))).toEqual({
      official: "CGzF_d9RZeR",
      live: "nH2yRCZVMsz",
      cover: "X-KBTfwWjX_",
      slowed: "i_hhX9KB4K_",
      long: "KsLsrh3KvCE",
      lyric: "meLKwECwLFp",
      emulation: "_e1--iksD5K",
      single: "eOf6I8lbi-4",
    });
    const by = Object.fromEntries(all.map((v) => [v.variant, v]));
    expect(by.official).toMatchObject({
      musicVideoType: "MUSIC_VIDEO_TYPE_ATV",
      channel: "Rick Astley - Topic",
      artists: [{ name: "Rick Astley" }],
      album: { name: track.album },
      durationSec: 213,
    });
    expect(by.official!.album!.browseId).toMatch(/^MPREb_[A-Za-z0-9_-]{11}$/);
    expect(by.slowed).toMatchObject({
      musicVideoType: "MUSIC_VIDEO_TYPE_ATV",
      artists: [{ name: "moonlit edits" }],
    });
    expect(by.slowed!.album?.name).toBe(by.slowed!.title);
    expect(by.long).toMatchObject({ musicVideoType: "MUSIC_VIDEO_TYPE_OMV", channel: "Rick AstleyVEVO" });
    expect(by.long!.artists).toEqual(by.official!.artists);
    expect(by.long!.album).toBeUndefined();
    for (const v of [by.live!, by.cover!, by.lyric!]) {
      expect(v.musicVideoType).toBe("MUSIC_VIDEO_TYPE_UGC");
      expect(v.artists).toEqual([{ name: v.channel, channelId: v.channelId }]);
    }
    expect(by.emulation).toMatchObject({
      musicVideoType: "MUSIC_VIDEO_TYPE_ATV",
      title: `${track.title} (8-Bit Rick Astley Emulation)`,
      artists: [{ name: "8-Bit Arcade" }],
    });
    expect(Math.abs(by.emulation!.durationSec - 213)).toBe(1);
    for (const v of all) for (const a of v.artists) expect(a.channelId).toMatch(/^UC[A-Za-z0-9_-]{22}$/);
  });

  it("serves audio as long as each upload claims, generated once and cached", async () => {
    const { dir, cleanup } = tempDir("as-audio");
    toClose.push(cleanup);
    const source = await start(dir);
    const id = expectedVideoId(track);
    // Three parallel first requests (one ffmpeg run behind them) all get the same file.
    const bodies = await Promise.all(
      [1, 2, 3].map(async () =>
        Buffer.from(await (await fetch(`${source.url}/audio/${id}.m4a`)).arrayBuffer()),
      ),
    );
    expect(bodies[0]!.length).toBeGreaterThan(1000);
    expect(bodies[1]!.equals(bodies[0]!)).toBe(true);
    expect(source.stats.audioRequests[id]).toBe(3);
    const cached = path.join(dir, `${id}-3s.m4a`);
    expect((await probe(cached)).durationSec).toBeCloseTo(3, 0);
    const mtime = statSync(cached).mtimeMs;

    const again = await start(dir);
    await (await fetch(`${again.url}/audio/${id}`)).arrayBuffer();
    expect(statSync(cached).mtimeMs).toBe(mtime);

    const long = videosFor(track).find((v) => v.variant === "long")!;
    const res = await fetch(`${source.url}/audio/${long.id}`, { headers: { range: "bytes=0-99" } });
    expect(res.status).toBe(206);
    expect((await res.arrayBuffer()).byteLength).toBe(100);
    expect((await probe(path.join(dir, `${long.id}-43s.m4a`))).durationSec).toBeCloseTo(43, 0);
  });

  it("fails chosen audio on request and answers 404 for unknown ids", async () => {
    const { dir, cleanup } = tempDir("as-fail");
    toClose.push(cleanup);
    const source = await start(dir, "webm");
    const id = videoIdFor(track.id, "cover");
    source.control.failAudio(id, 410);
    expect((await fetch(`${source.url}/audio/${id}`)).status).toBe(410);
    source.control.failAudio(id, undefined);
    const ok = await fetch(`${source.url}/audio/${id}.webm`);
    expect([ok.status, ok.headers.get("content-type")]).toEqual([200, "audio/webm"]);
    expect((await probe(path.join(dir, `${id}-5s.webm`))).codec).toBe("opus");
    expect((await fetch(`${source.url}/audio/AAAAAAAAAAA`)).status).toBe(404);
    expect((await fetch(`${source.url}/audio/../../etc/passwd`)).status).toBe(404);
    await source.close();
    await source.close(); // idempotent
  });
});
