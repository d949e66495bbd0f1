/**
 * Contract tests: the production parser (youtubei.js + youtube-music-parse.ts) on real recorded YouTube Music
 * traffic (tests/fixtures/recorded, spotDL's cassettes). The expected values were read by hand from the JSON.
 */
import { describe, expect, it } from "vitest";
import { candidatesFromResponse, parseViews } from "../../../src/core/matching/youtube-music-parse.js";
import { filterOfParams } from "../../../src/core/matching/search-params.js";
import type { Candidate } from "../../../src/core/matching/types.js";
import { readRecorded } from "../../fixtures/recorded/read-recorded.js";

interface Exchange {
  url: string;
  request: { query?: string; params?: string };
  response: unknown;
}
const searchLines = readRecorded("youtube-music-search.jsonl.gz") as Exchange[];
const matchingLines = readRecorded("youtube-music-matching.jsonl.gz") as {
  case: string;
  searches: Exchange[];
}[];

const byId = (list: Candidate[], id: string) => list.find((c) => c.id === id);

describe("YouTube Music search responses, recorded", () => {
  it("reads the ISRC query's top-result card: the label's song with artist, album and length", () => {
    const isrc = searchLines.find((l) => l.request.query === "GB2LD2210007")!;
    const found = candidatesFromResponse(isrc.response, "isrc");
    expect(found).toEqual([
      {
        id: "nfyk-V5CoIE",
        title: "Nobody Else",
        channel: "Abstrakt",
        artists: ["Abstrakt"],
        album: "Nobody Else",
        kind: "song",
        explicit: false, // the card has no subtitleBadges
        durationSec: 163,
        via: "isrc",
      },
    ]);
  });

  it("reads the explicit badge of a label's song (the card's subtitleBadges)", () => {
    const spy = matchingLines.find((l) => l.case === "0QsZ3W21xNvnUnUMbiAY4z")!;
    const found = candidatesFromResponse(spy.searches[0]!.response, "isrc");
    // musicCardShelfRenderer "spy?": subtitleBadges [musicInlineBadgeRenderer MUSIC_EXPLICIT_BADGE], onTap hy3kaD5zsew
    expect(found[0]).toMatchObject({ id: "hy3kaD5zsew", title: "spy?", kind: "song", explicit: true });
  });

  it("reads songs, official videos and other uploads from a text query, and skips albums, playlists, podcasts", () => {
    const text = searchLines.find((l) => l.request.query === "Lost Identities Moments")!;
    const found = candidatesFromResponse(text.response, "music");
    // The top-result card: an official video, "Video • Robbie Rosen und Lost Identities • 32.894 Aufrufe • 3:41".
    expect(found[0]).toMatchObject({
      id: "fxhzvHrTO2k",
      kind: "official-video",
      artists: ["Robbie Rosen", "Lost Identities"],
      durationSec: 221,
      views: 32_894,
    });
    expect(byId(found, "0h6XAAwX8II")).toMatchObject({
      title: "Moments",
      kind: "song",
      artists: ["Lost Identities", "Robbie Rosen"],
      album: "Moments",
      durationSec: 220,
      views: 1_000_000, // "1 Mio. Wiedergaben"
    });
    expect(byId(found, "wgpEmlJ3guA")).toMatchObject({
      album: "Moments (Acoustic Version)",
      durationSec: 169,
    });
    expect(byId(found, "14CjyUYO8lE")).toMatchObject({
      kind: "official-video",
      durationSec: 219,
      views: 909_011,
    });
    expect(byId(found, "GnKXjblvqOg")).toMatchObject({
      kind: "video",
      artists: ["Lyrics Kart"],
      durationSec: 218,
      views: 531,
    });
    expect(byId(found, "GnKXjblvqOg")?.album).toBeUndefined();
    // A podcast episode ("Folgen") and album/playlist/artist rows are not recordings to download.
    expect(byId(found, "6V5zEW6WiYI")).toBeUndefined();
    expect(found.every((c) => /^[A-Za-z0-9_-]{11}$/u.test(c.id))).toBe(true);
    expect(new Set(found.map((c) => c.id)).size).toBe(found.length);
  });

  it("reads a videos-filtered page and a continuation page", () => {
    const santa = matchingLines.find((l) => l.case === "1foCxQtxBweJtZmdxhEHVO")!;
    const videos = santa.searches.find(
      (s) => filterOfParams(s.request.params) === "video" && !s.url.includes("ctoken"),
    )!;
    const first = candidatesFromResponse(videos.response, "video");
    expect(first).toHaveLength(20);
    expect(first[0]).toEqual({
      id: "no1lU_ausc8",
      title: 'Eartha Kitt "Santa Baby" (feat. Henri René & His Orchestra)',
      channel: "Resurrected Tunes",
      artists: ["Resurrected Tunes"],
      kind: "video",
      durationSec: 213,
      views: 37_527,
      via: "video",
    });
    const more = santa.searches.filter(
      (s) => s.url.includes("ctoken") && filterOfParams(s.request.params) === "video",
    );
    const next = candidatesFromResponse(more[0]!.response, "video");
    expect(next.length).toBeGreaterThan(0);
    expect(next.map((c) => c.id)).not.toContain("no1lU_ausc8");
  });

  it("reads the songs filter with several credited artists and their album", () => {
    const club = matchingLines.find((l) => l.case === "0zmxM4MXfisJRTQcPa1wbv")!;
    const songs = club.searches.find(
      (s) => filterOfParams(s.request.params) === "song" && !s.url.includes("ctoken"),
    )!;
    const found = candidatesFromResponse(songs.response, "music");
    expect(found[0]).toMatchObject({
      id: "Y_yLrxkgU0k",
      title: "club2020 (mit Otsochodzi, CatchUp & Young Igi)",
      artists: ["Taco Hemingway", "OKI"],
      album: "club2020",
      kind: "song",
      durationSec: 125,
    });
    expect(found.every((c) => c.kind === "song")).toBe(true);
  });

  it("answers no candidates, without throwing, for 'no results' and 'did you mean' pages", () => {
    const empty = matchingLines
      .flatMap((l) => l.searches)
      .filter(
        (s) => JSON.stringify(s.response).includes("messageRenderer") && s.request.params === undefined,
      );
    expect(empty.length).toBeGreaterThan(0);
    for (const s of empty) expect(() => candidatesFromResponse(s.response, "isrc")).not.toThrow();
  });

  it("parses every recorded search response, and finds candidates on every page that lists recordings", () => {
    let pages = 0;
    let candidates = 0;
    for (const s of [...searchLines, ...matchingLines.flatMap((l) => l.searches)]) {
      const found = candidatesFromResponse(s.response, "music");
      pages++;
      candidates += found.length;
      const listsRecordings = /"musicVideoType":"MUSIC_VIDEO_TYPE_(?:ATV|OMV|UGC)"/u.test(
        JSON.stringify(s.response),
      );
      expect(found.length > 0, `${s.url} ${s.request.query ?? ""}`).toBe(listsRecordings);
      for (const c of found) {
        expect(c.title).not.toBe("");
        expect(c.durationSec, `${c.id} has a length`).toBeGreaterThan(0);
        expect(c.artists?.length, `${c.id} has a credit`).toBeGreaterThan(0);
      }
    }
    expect(pages).toBe(2 + matchingLines.reduce((n, l) => n + l.searches.length, 0));
    expect(candidates).toBeGreaterThan(300);
  });

  it("throws a clear error for something that is not a search response", () => {
    expect(() => candidatesFromResponse("nope", "music")).toThrow(/not an InnerTube response/u);
    expect(() => candidatesFromResponse({ responseContext: {} }, "music")).toThrow();
  });
});

describe("search params and view counts", () => {
  it("reads the filter from youtubei.js's and ytmusicapi's params", () => {
    expect(filterOfParams("EgWKAQIIAQ%3D%3D")).toBe("song");
    expect(filterOfParams("EgWKAQIQAQ%3D%3D")).toBe("video");
    expect(filterOfParams("EgWKAQIIAUICCAFqDBAOEAoQAxAEEAkQBQ%3D%3D")).toBe("song");
    expect(filterOfParams("EgWKAQIQAUICCAFqDBAOEAoQAxAEEAkQBQ%3D%3D")).toBe("video");
    expect(filterOfParams(undefined)).toBe("none");
    expect(filterOfParams("%%%not base64")).toBeUndefined();
    expect(filterOfParams("not base64!")).toBeUndefined();
    expect(filterOfParams("AAAA")).toBeUndefined(); // base64, but not a protobuf message
    expect(filterOfParams("EgWKAQIIAQ_x")).toBeUndefined(); // a valid start, then garbage
  });

  it("reads view counts in English and German", () => {
    expect(parseViews("1.2M views")).toBe(1_200_000);
    expect(parseViews("37,527 views")).toBe(37_527);
    expect(parseViews("37.527 Aufrufe")).toBe(37_527);
    expect(parseViews("1\u00a0Mio.\u00a0Wiedergaben")).toBe(1_000_000);
    expect(parseViews("2,5 Mrd. Aufrufe")).toBe(2_500_000_000);
    expect(parseViews("3:41")).toBeUndefined();
    expect(parseViews("Robbie Rosen")).toBeUndefined();
  });
});
