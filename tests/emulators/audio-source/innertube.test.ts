/**
 * The stand-in's YouTube Music search, read by real youtubei.js (its fetch pointed at the stand-in), and
 * compared with recorded real responses (tests/fixtures/recorded) for the fields a matcher reads.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Innertube, YTNodes } from "youtubei.js";
import {
  decodeSearchParams,
  expectedVideoId,
  startAudioSource,
  videosFor,
  type AudioSource,
  type FakeVideo,
  type Variant,
} from "../../../src/emulators/audio-source/index.js";
import { readRecorded } from "../../fixtures/recorded/read-recorded.js";
import { candidatesFromSearch } from "../../../src/core/matching/youtube-music-parse.js";
import { makeTrack, tempDir } from "../../core/media/fixtures.js";

type Item = YTNodes.MusicResponsiveListItem;

const rick = makeTrack({ durationMs: 213_000 });
const kino = makeTrack({
  id: "1111111111111111111111",
  title: "Звезда по имени Солнце",
  artists: ["Кино"],
  album: "Звезда по имени Солнце",
  isrc: "RUA000000001",
  durationMs: 225_400,
});
const duet = makeTrack({
  id: "2222222222222222222222",
  title: "Under Pressure",
  artists: ["Queen", "David Bowie"],
  album: "Hot Space",
  isrc: "GBUM71029604",
  durationMs: 248_000,
});
const rickText = "Rick Astley - Never Gonna Give You Up";
const variantOf = (track: typeof rick, variant: Variant): FakeVideo =>
  videosFor(track).find((v) => v.variant === variant)!;

/** youtubei.js, its requests sent to `base` instead of www/music.youtube.com. */
function clientFor(base: string | (() => Response)): Promise<Innertube> {
  const rewrite = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (typeof base === "function") return Promise.resolve(base());
    const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(href);
    const target = new URL(`${base}${url.pathname}${url.search}`);
    return input instanceof Request ? fetch(new Request(target, input), init) : fetch(target, init);
  };
  return Innertube.create({
    fetch: rewrite,
    generate_session_locally: true,
    retrieve_player: false,
    retrieve_innertube_config: false,
    enable_session_cache: false,
  });
}

/** `value` at a dotted path ("a.0.b"), or undefined. */
function dig(value: unknown, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>(
      (v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined),
      value,
    );
}
/** The raw first `musicShelfRenderer` of a search response. */
function rawShelf(response: unknown): unknown {
  const sections = dig(
    response,
    "contents.tabbedSearchResultsRenderer.tabs.0.tabRenderer.content.sectionListRenderer.contents",
  ) as unknown[];
  return dig(
    sections.find((c) => dig(c, "musicShelfRenderer")),
    "musicShelfRenderer",
  );
}
const items = (shelf: { contents?: readonly unknown[] | null } | null | undefined): Item[] =>
  (shelf?.contents ?? []).filter((c): c is Item => c instanceof YTNodes.MusicResponsiveListItem);
const videoType = (item: Item): unknown =>
  item.overlay?.content?.endpoint?.payload?.watchEndpointMusicSupportedConfigs?.watchEndpointMusicConfig
    ?.musicVideoType;
const names = (people: { name: string; channel_id?: string }[] | undefined) =>
  (people ?? []).map((p) => ({ name: p.name, channelId: p.channel_id }));

/** The populated ones of the fields a matcher reads. */
function populated(item: Item): string {
  const fields = ["id", "title", "artists", "authors", "album", "duration", "item_type"] as const;
  return fields
    .filter((f) => {
      const v: unknown = item[f];
      return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null && v !== "";
    })
    .join(",");
}

/** Dotted key paths of a JSON value (array indices dropped). */
function paths(value: unknown, prefix = "", out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) paths(v, prefix, out);
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) {
      out.add(`${prefix}${k}`);
      paths(v, `${prefix}${k}.`, out);
    }
  return out;
}

describe("InnerTube search stand-in, read by youtubei.js", () => {
  let source: AudioSource;
  let paged: AudioSource;
  let yt: Innertube;
  let ytPaged: Innertube;
  const dir = tempDir("as-innertube");

  beforeAll(async () => {
    source = await startAudioSource({ tracks: [rick, kino, duet], cacheDir: dir.dir });
    paged = await startAudioSource({ tracks: [rick], cacheDir: dir.dir, pageSize: 2 });
    yt = await clientFor(source.url);
    ytPaged = await clientFor(paged.url);
  });
  afterAll(async () => {
    await source.close();
    await paged.close();
    dir.cleanup();
  });

  it("answers an ISRC with the label's song as the top-result card", async () => {
    const search = await yt.music.search("gbarl9300135");
    const card = search.contents?.firstOfType(YTNodes.MusicCardShelf);
    expect(card?.on_tap.payload?.videoId).toBe(expectedVideoId(rick));
    expect(card?.title.toString()).toBe(rick.title);
    expect(card?.subtitle.toString()).toBe("Song • Rick Astley • 3:33");
    const artistRun = card?.subtitle.runs?.find((r) => "endpoint" in r && r.endpoint);
    expect(artistRun && "endpoint" in artistRun ? artistRun.endpoint?.payload?.browseId : undefined).toBe(
      variantOf(rick, "official").artists[0]!.channelId,
    );
    // The card's "More from YouTube" rows: the same recording as a single, and its official video.
    expect(items(card).map((i) => [i.id, i.item_type])).toEqual([
      [variantOf(rick, "single").id, "song"],
      [variantOf(rick, "long").id, "video"],
    ]);
    expect(items(search.songs).map((i) => i.id)).toEqual([expectedVideoId(rick), idOf("single")]);

    const both = await yt.music.search("GBUM71029604");
    const duetCard = both.contents?.firstOfType(YTNodes.MusicCardShelf);
    expect(duetCard?.subtitle.toString()).toBe("Song • Queen & David Bowie • 4:08");
    expect(names(items(both.songs)[0]?.artists).map((a) => a.name)).toEqual(["Queen", "David Bowie"]);
  });

  it("lists the right song with album, artists and length, and the decoys with their own artists", async () => {
    const search = await yt.music.search(rickText, { type: "song" });
    const rows = items(search.songs);
    const official = variantOf(rick, "official");
    expect(rows.map((r) => r.id)).toEqual((["official", "single", "slowed", "emulation"] as const).map(idOf));
    expect(rows.every((r) => r.item_type === "song" && videoType(r) === "MUSIC_VIDEO_TYPE_ATV")).toBe(true);
    expect(rows[0]).toMatchObject({
      id: expectedVideoId(rick),
      title: rick.title,
      album: { name: rick.album, id: official.album!.browseId },
      duration: { text: "3:33", seconds: 213 },
    });
    expect(names(rows[0]!.artists)).toEqual(official.artists);
    // The same recording again as a single: same artists and length, its own album.
    expect(names(rows[1]!.artists)).toEqual(official.artists);
    expect(rows[1]!.album?.name).toBe(`${rick.title} (Single)`);
    expect(rows[1]!.duration?.seconds).toBe(213);
    expect(names(rows[2]!.artists).map((a) => a.name)).toEqual(["moonlit edits"]);
    expect(rows[2]!.album?.name).toBe(`${rick.title} (Slowed + Reverb)`);
    // The decoy a naive scorer picks: an ATV "song", the title and artist words, the same length ±1 s.
    const emulation = rows[3]!;
    expect(emulation.title).toBe(`${rick.title} (8-Bit Rick Astley Emulation)`);
    expect(names(emulation.artists).map((a) => a.name)).toEqual(["8-Bit Arcade"]);
    expect(Math.abs(emulation.duration!.seconds - 213)).toBe(1);
    expect(search.has_continuation).toBe(true);
    expect(search.filters).toEqual(expect.arrayContaining(["Songs", "Videos"]));
  });

  it("lists official videos and uploads with authors, views and lengths", async () => {
    const search = await yt.music.search(rickText, { type: "video" });
    const rows = items(search.videos);
    expect(rows.map((r) => r.id)).toEqual((["long", "lyric", "live", "cover"] as const).map(idOf));
    expect(rows.every((r) => r.item_type === "video")).toBe(true);
    expect(rows.map(videoType)).toEqual([
      "MUSIC_VIDEO_TYPE_OMV",
      "MUSIC_VIDEO_TYPE_UGC",
      "MUSIC_VIDEO_TYPE_UGC",
      "MUSIC_VIDEO_TYPE_UGC",
    ]);
    expect(rows[0]).toMatchObject({ views: "9.8M views", duration: { text: "4:13", seconds: 253 } });
    expect(names(rows[0]!.authors)).toEqual(variantOf(rick, "long").artists);
    expect(names(rows[1]!.authors).map((a) => a.name)).toEqual(["Lyric Vault"]);
    expect(rows.map((r) => r.duration?.seconds)).toEqual([253, 216, 236, 215]);
  });

  it("pages a filtered shelf with continuations, ending in an empty one", async () => {
    const first = await ytPaged.music.search(rickText, { type: "song" });
    expect(items(first.songs).map((r) => r.id)).toEqual([idOf("official"), idOf("single")]);
    const second = await first.getContinuation();
    expect(items(second.contents).map((r) => [r.id, r.item_type])).toEqual([
      [idOf("slowed"), "song"],
      [idOf("emulation"), "song"],
    ]);
    expect(second.has_continuation).toBe(false);

    const whole = await yt.music.search(rickText, { type: "video" });
    const rest = await whole.getContinuation();
    expect(rest.contents?.contents).toEqual([]);
    expect(rest.has_continuation).toBe(false);
  });

  it("understands ytmusicapi's long filter params and its ctoken/continuation URL", async () => {
    const post = (query: string, body: object) =>
      fetch(`${paged.url}/youtubei/v1/search?alt=json${query}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ context: { client: { clientName: "WEB_REMIX", hl: "en" } }, ...body }),
      }).then((r) => r.json());
    const first = await post("", { query: rickText, params: "EgWKAQIQAUICCAFqDBAOEAoQAxAEEAkQBQ%3D%3D" });
    const shelf = rawShelf(first);
    expect(dig(shelf, "title.runs.0.text")).toBe("Videos");
    expect(dig(shelf, "contents")).toHaveLength(2);
    const token = encodeURIComponent(
      dig(shelf, "continuations.0.nextContinuationData.continuation") as string,
    );
    const next = await post(`&ctoken=${token}&continuation=${token}&type=next`, {});
    const rows = dig(next, "continuationContents.musicShelfContinuation.contents") as unknown[];
    expect(rows.map((r) => dig(r, "musicResponsiveListItemRenderer.playlistItemData.videoId"))).toEqual([
      idOf("live"),
      idOf("cover"),
    ]);
  });

  it("answers a query that matches nothing with YouTube Music's 'No results found'", async () => {
    for (const type of [undefined, "song", "video"] as const) {
      const search = await yt.music.search("qwxz plonk", type ? { type } : {});
      expect(search.contents?.map((c) => c.type)).toEqual(["ItemSection"]);
      expect(search.page.contents_memo?.getType(YTNodes.MusicResponsiveListItem) ?? []).toHaveLength(0);
      expect(search.message?.text.toString()).toBe("No results found");
    }
  });

  it("fails searches on request: 429 with retry-after, then 503, then answers again", async () => {
    const asked = source.stats.searches;
    source.control.failSearches(429, 2);
    const raw = await fetch(`${source.url}/youtubei/v1/search?prettyPrint=false`, {
      method: "POST",
      body: JSON.stringify({ query: rickText }),
    });
    expect([raw.status, raw.headers.get("retry-after")]).toEqual([429, "1"]);
    expect(await raw.json()).toEqual({
      error: {
        code: 429,
        message: "Resource has been exhausted (e.g. check quota).",
        status: "RESOURCE_EXHAUSTED",
      },
    });
    await expect(yt.music.search(rickText)).rejects.toThrow(/429/);
    source.control.failSearches(503, 1);
    const down = await fetch(`${source.url}/youtubei/v1/search`, { method: "POST", body: "{}" });
    expect([down.status, await down.json()]).toEqual([
      503,
      { error: { code: 503, message: "The service is currently unavailable.", status: "UNAVAILABLE" } },
    ]);
    expect(items((await yt.music.search(rickText, { type: "song" })).songs)).toHaveLength(4);
    expect(source.stats.searches - asked).toBe(4);
  });

  it("rejects bad requests like InnerTube and logs what was asked", async () => {
    const { searchLog } = source.stats;
    const before = searchLog.length;
    const post = (body: string, query = "") =>
      fetch(`${source.url}/youtubei/v1/search${query}`, { method: "POST", body });
    const bad = await post("{not json");
    expect([bad.status, await bad.json()]).toEqual([
      400,
      { error: { code: 400, message: "Request contains an invalid argument.", status: "INVALID_ARGUMENT" } },
    ]);
    expect((await post(JSON.stringify({ query: "x", params: "EgWKAQIYAQ%3D%3D" }))).status).toBe(400); // albums
    expect((await post(JSON.stringify({ continuation: "garbage" }))).status).toBe(400);
    expect((await post(JSON.stringify({ query: "x".repeat(70_000) }))).status).toBe(413);
    expect((await fetch(`${source.url}/youtubei/v1/search`)).status).toBe(405);
    expect((await fetch(`${source.url}/search?q=x`)).status).toBe(404); // the yt-dlp shape is gone
    expect(searchLog.length).toBe(before);

    const songs = await yt.music.search("Кино - Звезда по имени Солнце", { type: "song" });
    expect(items(songs.songs)[0]?.id).toBe(expectedVideoId(kino));
    await songs.getContinuation();
    await yt.music.search("RUA000000001");
    expect(searchLog.slice(before)).toEqual([
      { query: "Кино - Звезда по имени Солнце", filter: "song", continuation: false },
      { query: "Кино - Звезда по имени Солнце", filter: "song", continuation: true },
      { query: "RUA000000001", filter: "none", continuation: false },
    ]);
  });

  it("agrees with recorded YouTube Music responses on every field a matcher reads", async () => {
    const recorded = readRecorded("youtube-music-matching.jsonl.gz") as {
      searches: { url: string; request: { query: string; params?: string }; response: unknown }[];
    }[];
    const searches = recorded.flatMap((c) => c.searches).filter((s) => !s.url.includes("ctoken"));
    for (const [type, prefix] of [
      ["song", "EgWKAQII"],
      ["video", "EgWKAQIQ"],
    ] as const) {
      const topic = type === "song" ? "the smiths" : "santa baby";
      const real = searches.find(
        (s) => s.request.params?.startsWith(prefix) && s.request.query.includes(topic),
      )!;
      const replay = await clientFor(() => Response.json(real.response));
      const realRows = items(
        (await replay.music.search(real.request.query, { type })).contents?.firstOfType(YTNodes.MusicShelf),
      );
      const ours = await yt.music.search(rickText, { type });
      const ourRows = items(type === "song" ? ours.songs : ours.videos);
      expect(realRows.length).toBeGreaterThan(1);
      const want =
        type === "song" ? "id,title,artists,album,duration,item_type" : "id,title,authors,duration,item_type";
      expect(new Set(realRows.map(populated))).toEqual(new Set([want]));
      expect(new Set(ourRows.map(populated))).toEqual(new Set([want]));
      expect(
        new Set(realRows.map(videoType)).has(
          type === "song" ? "MUSIC_VIDEO_TYPE_ATV" : "MUSIC_VIDEO_TYPE_UGC",
        ),
      ).toBe(true);

      // Raw shape: every key path of our rows occurs in the real rows.
      const rawRows = (response: unknown) => dig(rawShelf(response), "contents");
      const body = await fetch(`${source.url}/youtubei/v1/search`, {
        method: "POST",
        body: JSON.stringify({
          query: rickText,
          params: type === "song" ? "EgWKAQIIAQ%3D%3D" : "EgWKAQIQAQ%3D%3D",
        }),
      }).then((r) => r.json());
      const known = paths(rawRows(real.response));
      expect([...paths(rawRows(body))].filter((p) => !known.has(p))).toEqual([]);
    }
  });

  it("decodes filter params in the forms clients send", () => {
    expect(decodeSearchParams(undefined)).toBe("none");
    expect(decodeSearchParams("EgWKAQIIAQ%3D%3D")).toBe("song");
    expect(decodeSearchParams("EgWKAQIQAQ%253D%253D")).toBe("video");
    expect(decodeSearchParams("EgWKAQIIAUICCAFqDBAOEAoQAxAEEAkQBQ==")).toBe("song");
    expect(decodeSearchParams("EgWKAQIQAWoMEA4QChADEAQQCRAF")).toBe("video");
    expect(decodeSearchParams("QgIIAQ")).toBe("none");
    expect(() => decodeSearchParams("!!")).toThrow();
    expect(() => decodeSearchParams("EgWKAQIIAQ_x")).toThrow();
  });
});

function idOf(variant: Variant): string {
  return variantOf(rick, variant).id;
}

describe("the stand-in's explicit badge", () => {
  it("badges the label's explicit audio, and the service's parser reads it", async () => {
    const dir = tempDir("as-explicit");
    const explicit = makeTrack({ id: "0000000000000000000expl", explicit: true, isrc: "USAAA2600001" });
    const source = await startAudioSource({ tracks: [explicit, rick], cacheDir: dir.dir });
    try {
      const yt = await clientFor(source.url);
      const [dirty] = candidatesFromSearch(await yt.music.search("USAAA2600001"), "isrc");
      expect(dirty).toMatchObject({ id: expectedVideoId(explicit), kind: "song", explicit: true });
      const [clean] = candidatesFromSearch(await yt.music.search(rick.isrc!), "isrc");
      expect(clean).toMatchObject({ id: expectedVideoId(rick), explicit: false });
    } finally {
      await source.close();
      dir.cleanup();
    }
  });
});
