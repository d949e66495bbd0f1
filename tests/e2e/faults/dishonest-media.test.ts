/**
 * Sources that lie about their audio, through the whole service (real yt-dlp and ffmpeg, the stand-ins,
 * the person's chat): a stream that announces no size and never stops is cut at the byte budget, and two
 * hours of silence behind a three-minute song are never converted. The budget is small here
 * (download.maxFileMb = 5), so each case takes seconds.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataPaths } from "../../../src/core/jobs/workers.js";
import { videoIdFor } from "../../../src/emulators/audio-source/index.js";
import { archiveAlbums, catalogTrackToTrack, shortAlbum } from "../../../src/emulators/spotify/index.js";
import { expectCleanEnd, spotifyLink, startRig, type Rig } from "./fault-rig.js";

const MIB = 1024 * 1024;
const budgetMb = 5;

describe("sources that lie about their audio", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({
      role: "all",
      telegram: true,
      config: { download: { maxFileMb: budgetMb }, jobs: { backoffSeconds: 1 } },
    });
  }, 30_000);
  afterAll(async () => {
    await rig?.close();
  });

  it("a source that sends no Content-Length and never stops is cut at the byte budget within seconds; the person reads why, no partial file left", async () => {
    const song = catalogTrackToTrack(shortAlbum.tracks[2]!, rig.stack.spotify.url);
    const official = videoIdFor(song.id, "official");
    // Bounded so the case ends by itself even without a budget: 96 MiB at 16 MiB/s.
    rig.stack.audio.control.dishonestAudio(official, { kind: "endless", limitBytes: 96 * MIB });
    const started = Date.now();
    const jobId = await rig.requestByChat(spotifyLink("track", song.id));
    const end = await rig.waitForEnd(jobId, 30_000);
    expect(Date.now() - started).toBeLessThan(15_000);

    const [track] = end.result!.tracks;
    expect(track!.outcome).toBe("failed");
    expect(track!.reason).toMatch(/larger than the download size limit/);
    // Cut near the budget (what the extractor peeked at, the budget, and the last block), not 96 MiB.
    expect(rig.stack.audio.stats.audioBytes[official]).toBeLessThan((2 * budgetMb + 8) * MIB);
    const summary = await rig.summaryFor(jobId, 15_000);
    expect(summary.text).toMatch(/larger than the download size limit/);
    await expectCleanEnd(end, rig.config, rig.config.redis.url);
  }, 40_000);

  it("a 2-hour silent FLAC for a 3-minute song is not transcoded into a huge file: the next candidate is used, and the person is told", async () => {
    const catalogSong = archiveAlbums[0]!.tracks[58]!; // 2:58
    const song = catalogTrackToTrack(catalogSong, rig.stack.spotify.url);
    const official = videoIdFor(song.id, "official");
    rig.stack.audio.control.dishonestAudio(official, { kind: "long_silence", seconds: 7200 });
    const jobId = await rig.requestByChat(spotifyLink("track", song.id));
    const end = await rig.waitForEnd(jobId, 60_000);

    const [track] = end.result!.tracks;
    expect(track!.outcome).toBe("done");
    expect(rig.stack.audio.stats.audioRequests[official]).toBeGreaterThan(0); // it was downloaded, and refused
    expect(track!.videoId).toBe(videoIdFor(song.id, "single"));
    expect(track!.warnings.join(" ")).toMatch(/far longer than the song; the next one/);
    expect(track!.durationSec).toBeLessThan(song.durationMs / 1000 + 2);
    const file = path.join(dataPaths(rig.config).libraryDir, track!.file!);
    expect(statSync(file).size).toBeLessThan(budgetMb * MIB); // not 165 MB
    const summary = await rig.summaryFor(jobId, 15_000);
    expect(summary.text).toMatch(/far longer than the song/);
    // A single track's file lives at its library path, outside the link's own folder (which holds only
    // the playlist file): the folder's audio check does not apply to track links.
    await expectCleanEnd(
      { ...end, result: { ...end.result!, folder: undefined } },
      rig.config,
      rig.config.redis.url,
    );
  }, 70_000);
});
