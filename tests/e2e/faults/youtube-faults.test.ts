/**
 * YouTube as it really refuses in 2026 (yt-dlp's real texts, served by tests/helpers/yt-dlp-as-youtube.mjs
 * in front of the real yt-dlp; sources in src/emulators/audio-source/youtube-faults.ts), through the whole
 * service and the Telegram stand-in: what the person sees, what the admin sees, and that no track fails for
 * a passing cause and no job is lost.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import { Queue } from "bullmq";
import { afterEach, describe, expect, it } from "vitest";
import { createRedis } from "../../../src/core/redis.js";
import { QUEUE_TRACKS } from "../../../src/core/jobs/keys.js";
import { videoIdFor } from "../../../src/emulators/audio-source/index.js";
import { catalogTrackToTrack, shortAlbum, sprintPlaylist } from "../../../src/emulators/spotify/index.js";
import { projectRoot } from "../../helpers/cli.js";
import {
  alice,
  expectCleanEnd,
  expectToldOnce,
  spawnWorker,
  spotifyLink,
  startRig,
  type Rig,
} from "./fault-rig.js";

const wrapper = path.join(projectRoot, "tests/helpers/yt-dlp-as-youtube.mjs");
const admin = { id: 3001, firstName: "Ada" };

/** What YouTube-refusal tests share: the wrapper as yt-dlp, an admin, short pauses, quick retries. */
function config(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    telegram: { adminUserIds: [admin.id] },
    download: { ytDlpPath: wrapper },
    youtube: { rateLimitPauseMinutes: 0.1, botCheckPauseMinutes: 0.1 },
    jobs: { workerConcurrency: 2, maxActiveDownloads: 4, backoffSeconds: 1 },
    ...extra,
  };
}

/** The bot's messages in a chat (the admin's starts with the bot's answer to /start). */
const texts = (r: Rig, chatId: number) =>
  r
    .tg!.transcript(chatId)
    .map((m) => m.text)
    .filter((t) => t.startsWith("⚠️") || chatId !== admin.id);

/** Telegram lets a bot write only to people who opened a chat with it: the admin says /start first. */
async function adminStarts(r: Rig): Promise<void> {
  r.tg!.sendText(admin, "/start");
  await r.tg!.waitForMessage(admin.id, /./u, 15_000);
}

describe("YouTube's refusals", () => {
  let rig: Rig | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGTERM");
    children.length = 0;
    await rig?.close();
    rig = undefined;
  });

  it("a 20-track playlist during YouTube's session rate limit: nothing fails, two workers resume after the pause, person and admin told once", async () => {
    rig = await startRig({ role: "bot", telegram: true, config: config() });
    const r = rig;
    await adminStarts(r);
    children.push(await spawnWorker(r), await spawnWorker(r));
    // The first three downloads meet "This content isn't available, try again later ... rate-limited".
    r.stack.audio.control.youtube.next("session_limit", 3);
    const jobId = await r.requestByChat(spotifyLink("playlist", sprintPlaylist.id));
    const end = await r.waitForEnd(jobId, 150_000);

    expect(end.stage).toBe("done");
    expect(end.result!.tracks.map((t) => t.outcome)).toEqual(Array(20).fill("done"));
    const refusals = r.stack.audio.stats.refusals;
    expect(refusals.map((x) => x.fault)).toEqual(["session_limit", "session_limit", "session_limit"]);
    // No tight loop: each track asked YouTube once, plus once more for each refused attempt.
    expect(r.stack.audio.stats.youtubeChecks).toBe(20 + refusals.length);

    // The person: one message when downloads resumed, and the summary.
    await r.summaryFor(jobId, 30_000);
    await expectToldOnce(r, jobId);
    expect(texts(r, alice.id).filter((t) => /YouTube lets us download again/u.test(t))).toHaveLength(1);
    // The admin: told once why, and until when.
    const adminTexts = texts(r, admin.id);
    expect(adminTexts.filter((t) => /rate-limited/u.test(t))).toHaveLength(1);
    expect(adminTexts[0]).toMatch(/stopped downloading until \d\d:\d\d UTC/u);

    // Both worker processes downloaded after the pause ended (BullMQ keeps which worker ran a job).
    const pauseEnd = refusals[0]!.at + 6000;
    const connection = createRedis({ url: r.config.redis.url }, "client");
    try {
      const queue = new Queue(QUEUE_TRACKS, { connection, prefix: r.prefix });
      const completed = await queue.getJobs(["completed"]);
      await queue.close();
      const after = completed.filter((j) => (j.processedOn ?? 0) >= pauseEnd);
      expect(new Set(after.map((j) => j.processedBy)).size).toBe(2);
    } finally {
      connection.disconnect();
    }
    await expectCleanEnd(end, r.config, r.config.redis.url);
  }, 240_000);

  it("a bot check: the tracks wait and finish, the admin is told to add cookies or a PO-token provider", async () => {
    rig = await startRig({ role: "all", telegram: true, config: config() });
    const r = rig;
    await adminStarts(r);
    r.stack.audio.control.youtube.next("bot_check", 1);
    const jobId = await r.requestByChat(spotifyLink("album", shortAlbum.id));
    const end = await r.waitForEnd(jobId, 90_000);
    expect(end.result!.tracks.every((t) => t.outcome === "done")).toBe(true);
    const adminTexts = texts(r, admin.id);
    expect(adminTexts).toHaveLength(1);
    expect(adminTexts[0]).toMatch(/confirm you're not a bot/u);
    expect(adminTexts[0]).toMatch(/download\.cookiesFile/u);
    expect(adminTexts[0]).toMatch(/PO-token provider plugin/u);
  }, 120_000);

  it.each([
    ["a removed upload", "removed"],
    ["an upload with no usable format ('Requested format is not available')", "format_unavailable"],
  ] as const)(
    "%s: the next confident candidate is used, nothing fails",
    async (_what, fault) => {
      rig = await startRig({ role: "all", telegram: true, config: config() });
      const r = rig;
      await adminStarts(r);
      const tracks = shortAlbum.tracks.map((t) => catalogTrackToTrack(t, r.stack.spotify.url));
      const hit = tracks[0]!;
      r.stack.audio.control.youtube.forVideo(videoIdFor(hit.id, "official"), fault);
      const jobId = await r.requestByChat(spotifyLink("album", shortAlbum.id));
      const end = await r.waitForEnd(jobId, 90_000);
      const byIndex = end.result!.tracks;
      expect(byIndex.every((t) => t.outcome === "done")).toBe(true);
      // The same recording, released as a single: the next confident candidate.
      expect(byIndex[0]!.videoId).toBe(videoIdFor(hit.id, "single"));
      expect(byIndex[0]!.warnings.join(" ")).toMatch(/unavailable on YouTube; the next one/u);
      expect(byIndex[1]!.videoId).toBe(videoIdFor(tracks[1]!.id, "official"));
      expect(r.stack.audio.stats.refusals.map((x) => x.fault)).toEqual([fault]);
      expect(texts(r, admin.id)).toEqual([]); // nothing for the operator to do
    },
    120_000,
  );

  it("HTTP 403 on the media: retried once, then the admin is told to update yt-dlp, with its version", async () => {
    rig = await startRig({
      role: "all",
      telegram: true,
      config: config({ jobs: { trackAttempts: 2, backoffSeconds: 1 } }),
    });
    const r = rig;
    await adminStarts(r);
    const tracks = shortAlbum.tracks.map((t) => catalogTrackToTrack(t, r.stack.spotify.url));
    // Every upload of the first track answers 403 ("unable to download video data: HTTP Error 403").
    for (const v of ["official", "single"] as const)
      r.stack.audio.control.failAudio(videoIdFor(tracks[0]!.id, v), 403);
    const jobId = await r.requestByChat(spotifyLink("album", shortAlbum.id));
    const end = await r.waitForEnd(jobId, 90_000);
    const first = end.result!.tracks[0]!;
    expect(first.outcome).toBe("failed");
    expect(first.reason).toMatch(/refused the download \(HTTP 403\); the operator has been told/u);
    expect(end.result!.tracks.slice(1).every((t) => t.outcome === "done")).toBe(true);
    const adminTexts = texts(r, admin.id);
    expect(adminTexts).toHaveLength(1);
    const version = execFileSync("yt-dlp", ["--version"]).toString().trim();
    expect(adminTexts[0]).toContain(`installed yt-dlp (${version}) is behind YouTube`);
  }, 120_000);
});
