import { describe, expect, it } from "vitest";
import { findMatch, searchQueriesFor } from "../../../src/core/matching/find-match.js";
import { defaultMatchOptions } from "../../../src/core/matching/scorer.js";
import type { Candidate, CandidateSource, SearchQuery } from "../../../src/core/matching/types.js";
import type { Track } from "../../../src/core/spotify/types.js";

const track: Track = {
  id: "4iJyoBOLtHqaGxP12qzhQI",
  title: "Heat Waves",
  artists: ["Glass Animals"],
  album: "Dreamland",
  albumArtist: "Glass Animals",
  trackNumber: 16,
  discNumber: 1,
  durationMs: 238_805,
  explicit: false,
  isrc: "GBUM72000433",
};

/** A source answering from a table, recording what was asked. */
function tableSource(answers: Partial<Record<SearchQuery["kind"], Candidate[] | Error>>) {
  const asked: SearchQuery[] = [];
  const source: CandidateSource = {
    search(query) {
      asked.push(query);
      const a = answers[query.kind];
      if (a instanceof Error) return Promise.reject(a);
      return Promise.resolve(a ?? []);
    },
  };
  return { source, asked };
}

const topic = (via: Candidate["via"]): Candidate => ({
  id: "KkU3F1yVLJk",
  title: "Heat Waves",
  channel: "Glass Animals - Topic",
  durationSec: 239,
  views: 310_000_000,
  via,
});

describe("findMatch", () => {
  it("searches ISRC, then music, then video", () => {
    expect(searchQueriesFor(track)).toEqual([
      { kind: "isrc", text: "GBUM72000433" },
      { kind: "music", text: "Glass Animals - Heat Waves" },
      { kind: "video", text: "Glass Animals - Heat Waves" },
    ]);
    expect(searchQueriesFor({ ...track, isrc: undefined, artists: ["A", "B"] }).map((q) => q.text)).toEqual([
      "A, B - Heat Waves",
      "A, B - Heat Waves",
    ]);
  });

  it("stops after the ISRC search when it is confident", async () => {
    const { source, asked } = tableSource({ isrc: [topic("isrc")] });
    const result = await findMatch(track, source, defaultMatchOptions);
    expect(asked.map((q) => q.kind)).toEqual(["isrc"]);
    expect(result.choice?.id).toBe("KkU3F1yVLJk");
    expect(result.needsReview).toBe(false);
    expect(result.reasons).toContain("found by ISRC");
  });

  it("fills in title-only music results from the video search and dedupes by id", async () => {
    const { source, asked } = tableSource({
      isrc: [],
      music: [{ id: "KkU3F1yVLJk", title: "Heat Waves", channel: "", via: "music" }],
      video: [
        topic("video"),
        {
          id: "mRD0-GxqHVo",
          title: "Glass Animals - Heat Waves (Official Video)",
          channel: "Glass Animals",
          durationSec: 239,
          via: "video",
        },
      ],
    });
    const result = await findMatch(track, source, defaultMatchOptions);
    expect(asked.map((q) => q.kind)).toEqual(["isrc", "music", "video"]);
    expect(result.choice).toEqual({ ...topic("music") });
    expect(result.top.filter((s) => s.candidate.id === "KkU3F1yVLJk")).toHaveLength(1);
  });

  it("goes on after a failed search and notes it", async () => {
    const { source } = tableSource({ isrc: new Error("yt-dlp exited with code 1"), music: [topic("music")] });
    const result = await findMatch(track, source, defaultMatchOptions);
    expect(result.choice?.id).toBe("KkU3F1yVLJk");
    expect(result.reasons).toContain("isrc search failed: yt-dlp exited with code 1");
  });

  it("throws when every search failed", async () => {
    const { source } = tableSource({ isrc: new Error("a"), music: new Error("b"), video: new Error("c") });
    await expect(findMatch(track, source, defaultMatchOptions)).rejects.toThrow("c");
  });

  it("needs review with its best candidates when nothing is confident", async () => {
    const { source, asked } = tableSource({
      video: [
        {
          id: "Zz0Zz0Zz0Zz",
          title: "Heat Waves",
          channel: "Someone Else - Topic",
          durationSec: 239,
          via: "video",
        },
      ],
    });
    const result = await findMatch(track, source, defaultMatchOptions);
    expect(asked).toHaveLength(3);
    expect(result.needsReview).toBe(true);
    expect(result.top.map((s) => s.candidate.id)).toEqual(["Zz0Zz0Zz0Zz"]);
  });

  it("stops at once when aborted", async () => {
    const controller = new AbortController();
    const source: CandidateSource = {
      search(_q, signal) {
        controller.abort(new Error("cancelled by user"));
        return Promise.reject(signal?.reason as Error);
      },
    };
    await expect(findMatch(track, source, defaultMatchOptions, controller.signal)).rejects.toThrow(
      "cancelled by user",
    );
  });
});
