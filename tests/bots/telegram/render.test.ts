/** The summary a person reads when a job ends: reasons in plain words, never over Telegram's limit. */
import { describe, expect, it } from "vitest";
import { renderProgress, renderSummary } from "../../../src/bots/telegram/render.js";
import type { JobView } from "../../../src/core/jobs/job-service.js";
import type { CollectionResult, TrackResult } from "../../../src/core/jobs/schemas.js";

function view(result: Partial<CollectionResult>, stage: JobView["stage"] = "done"): JobView {
  const r: CollectionResult = {
    outcome: "done",
    title: "Mix",
    tracks: [],
    notes: [],
    truncated: false,
    totalDurationSec: 0,
    totalBytes: 0,
    finishedAt: 1,
    ...result,
  };
  return {
    id: "ab3def7",
    owner: { userId: 1, chatId: 1 },
    ref: { kind: "playlist", id: "x", uri: "spotify:playlist:x" },
    format: "mp3",
    stage,
    percent: 100,
    total: r.tracks.length,
    done: 0,
    failed: 0,
    needsReview: 0,
    createdAt: 0,
    result: r,
  };
}

/** A track result at `position` (1-based, as a person counts; results keep a 0-based index). */
const track = (position: number, extra: Partial<TrackResult>): TrackResult => ({
  index: position - 1,
  trackId: `t${position}`,
  title: `Song ${position}`,
  artists: ["Artist"],
  outcome: "done",
  warnings: [],
  ...extra,
});
const extras = { tooBig: [], uploadLimitMb: 50, sendingAudio: true };

describe("renderSummary", () => {
  it("explains a playlist Spotify will not share", () => {
    const text = renderSummary(
      view(
        {
          outcome: "failed",
          reasonCode: "catalog_unavailable",
          reason: "I couldn't read that playlist from Spotify.",
        },
        "failed",
      ),
      extras,
    );
    expect(text).toContain("I couldn't read that playlist from Spotify.");
    expect(text).toContain("private playlists");
    expect(text).toContain("send an album link");
  });

  it("says when the Spotify quota is used up", () => {
    const text = renderSummary(
      view(
        {
          outcome: "failed",
          reasonCode: "catalog_unavailable",
          reason: "The Spotify Web API quota is exhausted (QUOTA_EXCEEDED).",
        },
        "failed",
      ),
      extras,
    );
    expect(text).toContain("used up its Spotify quota");
    expect(text).not.toContain("private playlists");
  });

  it("lists failures with reasons, YouTube's bot check, and the closest candidates of unsure matches", () => {
    const text = renderSummary(
      view({
        outcome: "partial",
        tracks: [
          track(1, {}),
          track(2, { outcome: "failed", reason: "YouTube said: Sign in to confirm you're not a bot." }),
          track(3, {
            outcome: "needs_review",
            candidates: [{ id: "v1", title: "Song 3 (Live)", channel: "Fan", score: 61 }],
          }),
        ],
        notes: ["The playlist was cut at 100 tracks."],
      }),
      {
        ...extras,
        tooBig: [track(1, { bytes: 60 * 1024 * 1024 })],
        link: { url: "https://x/y", expiresAt: Date.UTC(2026, 10, 26, 18, 30) },
      },
    );
    expect(text).toContain("1 of 3 tracks ready · 1 failed · 1 need review");
    expect(text).toContain("2. Song 2 — Artist: YouTube said: Sign in to confirm");
    expect(text).toContain("prove it is not a bot");
    expect(text).toContain("3. Song 3 — Artist: “Song 3 (Live)” (Fan)");
    expect(text).toContain("The playlist was cut at 100 tracks.");
    expect(text).toContain("Over the 50 MB upload limit");
    expect(text).toContain("1. Song 1 — Artist (60.0 MB)");
    // The link says until when it works, and stands on a line of its own (easy to tap and copy).
    expect(text).toMatch(
      /\n\nDownload everything \(the link works until (2026-11-26 )?18:30 UTC\):\nhttps:\/\/x\/y$/u,
    );
  });

  it("stays within 4096 characters for a long list of failures", () => {
    const tracks = Array.from({ length: 100 }, (_, i) =>
      track(i + 1, { outcome: "failed", reason: "x".repeat(80) }),
    );
    const text = renderSummary(view({ outcome: "failed", tracks }, "failed"), extras);
    expect(text.length).toBeLessThanOrEqual(4096);
    expect(text).toContain("too long for one message");
  });

  it("counts tracks from 1 and shows a wait for YouTube with the time it ends", () => {
    const until = Date.UTC(2026, 10, 26, 15, 5);
    const text = renderProgress({
      jobId: "ab3def7",
      stage: "downloading",
      percent: 10,
      total: 6,
      done: 0,
      failed: 0,
      needsReview: 0,
      current: { index: 0, title: "Über den Fjord", artists: ["Nordlys"], step: "waiting", percent: 0 },
      waiting: { until, reason: "YouTube asked us to slow down" },
    });
    expect(text).toContain("Track 1/6: Über den Fjord — Nordlys (waiting)");
    expect(text).toMatch(
      /⏸ YouTube asked us to slow down: downloads continue around (2026-11-26 )?15:05 UTC\. No track is lost\./u,
    );
    expect(text).not.toContain("left");
  });
});
