import { describe, expect, it } from "vitest";
import { formatCollection, formatDuration } from "../../../src/core/spotify/format-collection.js";
import { spotifyRef } from "../../../src/core/spotify/link-parser.js";
import type { Track } from "../../../src/core/spotify/types.js";

const track = (title: string, durationMs: number, explicit = false): Track => ({
  id: "a".repeat(22),
  title,
  artists: ["The Loud Quiet"],
  album: "Midnight Static",
  albumArtist: "The Loud Quiet",
  trackNumber: 1,
  discNumber: 1,
  durationMs,
  explicit,
});

describe("formatCollection", () => {
  it("writes m:ss under an hour and h:mm:ss from an hour on", () => {
    expect(formatDuration(59_499)).toBe("0:59");
    expect(formatDuration(131_400)).toBe("2:11");
    expect(formatDuration(3_725_000)).toBe("1:02:05");
  });

  it("marks explicit tracks, says when a list was cut by the source's own count, and lists notes", () => {
    const text = formatCollection({
      ref: spotifyRef("playlist", "b".repeat(22)),
      title: "Mix",
      tracks: [track("Midnight Static", 131_000, true), track("Midnight Static", 131_400)],
      total: 12,
      truncated: true,
      provider: "embed",
      notes: ["A note."],
    });
    expect(text.split("\n")).toEqual([
      "Playlist: Mix",
      `spotify:playlist:${"b".repeat(22)}`,
      "",
      "1. The Loud Quiet — Midnight Static [E]  2:11",
      "2. The Loud Quiet — Midnight Static  2:11",
      "",
      "2 tracks, 4:22 in total, from Spotify's public embed page.",
      "Cut: only 2 of 12 tracks are listed.",
      "Notes:",
      "- A note.",
    ]);
  });
});
