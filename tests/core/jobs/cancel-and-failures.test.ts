import { readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UserFacingError } from "../../../src/core/errors.js";
import { dataPaths } from "../../../src/core/jobs/workers.js";
import { subscribeProgress } from "../../../src/core/jobs/progress-broker.js";
import { createRedis } from "../../../src/core/redis.js";
import { expectedVideoId, videoIdFor } from "../../../src/emulators/audio-source/index.js";
import { catalogTrackToTrack, shortAlbum, shortAlbums } from "../../../src/emulators/spotify/index.js";
import type { ProgressEvent } from "../../../src/core/jobs/schemas.js";
import { createTestPipeline, type TestPipeline } from "../../helpers/pipeline.js";
import { eventually, processesMentioning } from "../../helpers/processes.js";
import { testRedisUrl } from "../../helpers/redis.js";

const refOf = (id: string) => ({ kind: "album" as const, id, uri: `spotify:album:${id}` });
const owner = { userId: 77, chatId: 77 };

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true }).map(String);
  } catch {
    return [];
  }
}

describe("cancel, failures and limits", () => {
  let p: TestPipeline | undefined;
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  it("cancels a running collection: yt-dlp and ffmpeg stop within 2 s, partial files go, finished tracks stay", async () => {
    p = await createTestPipeline({ jobs: { workerConcurrency: 2, maxActiveDownloads: 2 } });
    await p.startWorkers();
    p.stack.audio.control.slowAudio(250, 4096);
    const { job } = await p.jobs.submit({ owner, ref: refOf(shortAlbum.id) });
    const { tmpDir, libraryDir } = dataPaths(p.config);
    // Wait until yt-dlp is really downloading for this job.
    expect(await eventually(() => processesMentioning(path.join(tmpDir, job.id)).length > 0, 30_000)).toBe(
      true,
    );
    const cancelledAt = Date.now();
    await p.jobs.cancel(job.id, { userId: owner.userId, isAdmin: false });
    expect(
      await eventually(() => processesMentioning(path.join(tmpDir, job.id)).length === 0, 2000, 20),
    ).toBe(true);
    expect(Date.now() - cancelledAt).toBeLessThan(2500);
    const end = await p.waitForEnd(job.id, 30_000);
    expect(end.stage).toBe("cancelled");
    expect(end.result!.tracks.filter((t) => t.outcome === "cancelled").length).toBeGreaterThan(0);
    expect(filesUnder(path.join(tmpDir, job.id))).toEqual([]);
    const leftovers = filesUnder(libraryDir).filter((f) => /\.(tmp|part|ytdl)$|\.ytdlp-/.test(f));
    expect(leftovers).toEqual([]);
    // A later request for the same album reuses whatever had finished.
    p.stack.audio.control.slowAudio(0);
    const again = await p.jobs.submit({ owner, ref: refOf(shortAlbum.id) });
    expect(again.existing).toBe(false);
    const done = await p.waitForEnd(again.job.id, 60_000);
    expect(done.stage).toBe("done");
  }, 120_000);

  it("cancels a job that has not started yet", async () => {
    p = await createTestPipeline();
    const { job } = await p.jobs.submit({ owner, ref: refOf(shortAlbum.id) });
    const cancelled = await p.jobs.cancel(job.id, { userId: owner.userId, isAdmin: false });
    expect(cancelled.stage).toBe("cancelled");
    await p.startWorkers();
    const view = await p.jobs.status(job.id, { userId: owner.userId, isAdmin: false });
    expect(view.stage).toBe("cancelled");
    await expect(p.jobs.cancel(job.id, { userId: owner.userId, isAdmin: false })).rejects.toMatchObject({
      code: "job_finished",
    });
  });

  it("fails one track whose source answers 404 alone, with its reason, and finishes the rest", async () => {
    p = await createTestPipeline();
    const broken = catalogTrackToTrack(shortAlbums[1]!.tracks[3]!, p.stack.spotify.url);
    // Every confident upload of the recording is gone: the album's and the single's.
    const uploads = [expectedVideoId(broken), videoIdFor(broken.id, "single")];
    for (const id of uploads) p.stack.audio.control.failAudio(id, 404);
    await p.startWorkers();
    const { job } = await p.jobs.submit({ owner, ref: refOf(shortAlbums[1]!.id) });
    const end = await p.waitForEnd(job.id, 90_000);
    expect(end.result!.outcome).toBe("partial");
    const failed = end.result!.tracks.filter((t) => t.outcome === "failed");
    expect(failed.map((t) => t.title)).toEqual([broken.title]);
    expect(failed[0]!.reason).toMatch(/unavailable/i);
    expect(end.result!.tracks.filter((t) => t.outcome === "done")).toHaveLength(9);
    // Permanent: each upload was fetched by one attempt only (the generic extractor asks twice at most).
    for (const id of uploads) expect(p.stack.audio.stats.audioRequests[id] ?? 0).toBeLessThanOrEqual(2);
  }, 120_000);

  it("sees only its own jobs, and answers the limits in plain words", async () => {
    p = await createTestPipeline({ jobs: { maxActiveJobsPerPerson: 1, maxQueueDepth: 2 } });
    const first = await p.jobs.submit({ owner, ref: refOf(shortAlbum.id) });
    await expect(p.jobs.status(first.job.id, { userId: 999, isAdmin: false })).rejects.toMatchObject({
      code: "job_not_found",
    });
    await expect(p.jobs.cancel(first.job.id, { userId: 999, isAdmin: false })).rejects.toMatchObject({
      code: "job_not_found",
    });
    expect((await p.jobs.status(first.job.id, { userId: 999, isAdmin: true })).id).toBe(first.job.id);
    const own = await p.jobs.submit({ owner, ref: refOf(shortAlbum.id) });
    expect(own).toMatchObject({ existing: true, job: { id: first.job.id } });
    const limited = await p.jobs.submit({ owner, ref: refOf(shortAlbums[1]!.id) }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(UserFacingError);
    expect((limited as UserFacingError).code).toBe("limit_per_person");
    expect((limited as UserFacingError).userMessage).toContain("the limit is 1");
    await p.jobs.submit({ owner: { userId: 78, chatId: 78 }, ref: refOf(shortAlbum.id) });
    const busy = await p.jobs
      .submit({ owner: { userId: 79, chatId: 79 }, ref: refOf(shortAlbum.id) })
      .catch((e: unknown) => e);
    expect((busy as UserFacingError).code).toBe("queue_full");
    expect((busy as UserFacingError).userMessage).toMatch(/busy/i);
    const mine = await p.jobs.list({ userId: owner.userId, isAdmin: false });
    expect(mine.map((j) => j.id)).toEqual([first.job.id]);
  });

  it("publishes progress across processes at most every 500 ms per job, plus every stage", async () => {
    p = await createTestPipeline();
    const connection = createRedis({ url: testRedisUrl() }, "events");
    const sub = await subscribeProgress({ connection, prefix: p.config.redis.prefix });
    const events: ProgressEvent[] = [];
    sub.onProgress((e) => events.push(e));
    // Downloads that take a second or so, so some progress falls between a track's start and its end
    // however busy the machine is (a track's end always publishes; the pace applies in between).
    p.stack.audio.control.slowAudio(60, 8192);
    await p.startWorkers();
    const { job } = await p.jobs.submit({ owner, ref: refOf(shortAlbum.id) });
    await p.waitForEnd(job.id, 60_000);
    await eventually(() => events.some((e) => e.stage === "done"), 5000);
    await sub.close();
    connection.disconnect();
    const mine = events.filter((e) => e.jobId === job.id);
    const stages = [...new Set(mine.map((e) => e.stage))];
    expect(stages).toEqual(["resolving", "downloading", "packaging", "done"]);
    const last = mine[mine.length - 1]!;
    expect(last).toMatchObject({ stage: "done", percent: 100, total: 10, done: 10 });
    const downloading = mine.filter((e) => e.stage === "downloading" && e.current?.percent !== 100);
    // Intermediate events (not a track's end, not a stage change) of one worker keep the 500 ms pace.
    for (let i = 1; i < downloading.length; i++) {
      expect(downloading[i]!.at - downloading[i - 1]!.at).toBeGreaterThanOrEqual(490);
    }
    expect(downloading.some((e) => e.current !== undefined)).toBe(true);
  }, 90_000);
});
