import { statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { probe } from "../../../src/core/media/ffmpeg.js";
import {
  createLocalCandidateSource,
  parseFlatSearchJson,
} from "../../../src/core/media/local-candidate-source.js";
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

  it("answers searches in yt-dlp's flat-playlist shape, right recording plus decoys", async () => {
    const { dir, cleanup } = tempDir("as-search");
    toClose.push(cleanup);
    const source = await start(dir);
    const res = await fetch(
      `${source.url}/search?q=${encodeURIComponent("Rick Astley - Never Gonna Give You Up")}&kind=video&limit=10`,
    );
    const json = (await res.json()) as { _type: string; entries: Record<string, unknown>[] };
    expect(json._type).toBe("playlist");
    expect(json.entries).toHaveLength(6);
    for (const e of json.entries) {
      expect(e).toMatchObject({ _type: "url", ie_key: "Youtube" });
      expect(e.id).toMatch(/^[A-Za-z0-9_-]{11}$/);
      expect(typeof e.duration).toBe("number");
    }
    const right = json.entries.find((e) => e.id === expectedVideoId(track));
    expect(right).toMatchObject({ title: track.title, channel: "Rick Astley - Topic", duration: 3 });
    const titles = json.entries.map((e) => String(e.title));
    expect(titles.some((t) => /\(Live at /.test(t))).toBe(true);
    expect(titles.some((t) => /Slowed \+ Reverb/.test(t))).toBe(true);
    expect(json.entries.some((e) => e.duration === 43)).toBe(true);

    const isrc = parseFlatSearchJson(
      await (await fetch(`${source.url}/search?q=RUA000000001&kind=isrc`)).json(),
      "isrc",
    );
    expect(isrc.map((c) => c.id)).toEqual([expectedVideoId(other)]);
    const none = await (await fetch(`${source.url}/search?q=nothing+like+this&kind=music`)).json();
    expect(none).toMatchObject({ entries: [] });
    expect((await fetch(`${source.url}/search?kind=music`)).status).toBe(400);
    expect(source.stats.searches).toBe(4);
  });

  it("serves a candidate source that finds Cyrillic titles and limits results", async () => {
    const { dir, cleanup } = tempDir("as-cands");
    toClose.push(cleanup);
    const source = await start(dir);
    const candidates = createLocalCandidateSource({ baseUrl: source.url, limit: 3 });
    const found = await candidates.search({ text: "Кино - Звезда по имени Солнце", kind: "music" });
    expect(found).toHaveLength(3);
    expect(found[0]).toEqual({
      id: expectedVideoId(other),
      title: other.title,
      channel: "Кино - Topic",
      durationSec: 2,
      views: 1_250_000,
      via: "music",
    });
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
