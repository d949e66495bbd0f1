/**
 * The download's byte budget holds while reading, also for a source that announces no size: real yt-dlp
 * against the audio stand-in's endless stream (no Content-Length, never stops by itself).
 */
import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createYtDlp, YtDlpError } from "../../../src/core/media/yt-dlp.js";
import {
  expectedVideoId,
  startAudioSource,
  type AudioSource,
} from "../../../src/emulators/audio-source/index.js";
import { audioCacheDir, makeTrack, tempDir } from "./fixtures.js";

const MIB = 1024 * 1024;

describe("a download's byte budget", () => {
  const track = makeTrack({ id: "00000000000000budgetone", title: "Budget One", durationMs: 6000 });
  let source: AudioSource;
  beforeAll(async () => {
    source = await startAudioSource({ tracks: [track], cacheDir: audioCacheDir });
  });
  afterAll(async () => {
    await source.close();
  });

  it("a source that sends no Content-Length and never stops is cut at the budget within seconds, nothing left behind", async () => {
    const id = expectedVideoId(track);
    // Without a budget kept while reading this runs 10 s (40 MiB at 4 MiB/s), then yt-dlp keeps it all.
    source.control.dishonestAudio(id, { kind: "endless", limitBytes: 40 * MIB, bytesPerSecond: 4 * MIB });
    const yt = createYtDlp({ source: { kind: "local", baseUrl: source.url }, maxFileMb: 1 });
    const { dir, cleanup } = tempDir("budget");
    try {
      const started = Date.now();
      const err = await yt.download(id, { dir }).catch((e: unknown) => e);
      const tookMs = Date.now() - started;
      expect(err).toBeInstanceOf(YtDlpError);
      expect((err as YtDlpError).kind).toBe("too_large");
      expect((err as YtDlpError).userMessage).toMatch(/larger than the download size limit/);
      expect(tookMs).toBeLessThan(8000); // yt-dlp alone needs 1-3 s to start on a busy machine
      // Cut near the budget: the extractor's first look plus one megabyte and a little, not 40 MiB.
      expect(source.stats.audioBytes[id]).toBeLessThan(4 * MIB);
      expect(readdirSync(dir)).toEqual([]); // no .part file, no work folder
    } finally {
      source.control.dishonestAudio(id, undefined);
      cleanup();
    }
  });

  it("the track's time running out reads as 'took too long', not as a cancel", async () => {
    const id = expectedVideoId(track);
    // Slow and endless: the budget is far, the deadline near.
    source.control.dishonestAudio(id, { kind: "endless", limitBytes: 48 * MIB, bytesPerSecond: 64 * 1024 });
    const yt = createYtDlp({ source: { kind: "local", baseUrl: source.url }, maxFileMb: 50 });
    const { dir, cleanup } = tempDir("budget-time");
    try {
      const err = await yt.download(id, { dir, signal: AbortSignal.timeout(1500) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(YtDlpError);
      expect((err as YtDlpError).kind).toBe("timeout");
      expect((err as YtDlpError).userMessage).toMatch(/took too long/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      source.control.dishonestAudio(id, undefined);
      cleanup();
    }
  });
});
