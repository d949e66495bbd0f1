/**
 * Failed tracks retried sensibly: asking again for a link whose job ended with failures (or the "Retry
 * failed" button, JobService.retryFailed) re-collects only those tracks, through the real pipeline.
 */
import { existsSync } from "node:fs";
import { Queue } from "bullmq";
import { afterEach, describe, expect, it } from "vitest";
import type { UserFacingError } from "../../../src/core/errors.js";
import { QUEUE_TRACKS } from "../../../src/core/jobs/keys.js";
import { expectedVideoId, videoIdFor } from "../../../src/emulators/audio-source/index.js";
import { catalogTrackToTrack, shortAlbums } from "../../../src/emulators/spotify/index.js";
import { createTestPipeline, type TestPipeline } from "../../helpers/pipeline.js";

const album = shortAlbums[1]!;
const ref = { kind: "album" as const, id: album.id, uri: `spotify:album:${album.id}` };
const owner = { userId: 91, chatId: 91 };
const person = { userId: owner.userId, isAdmin: false };

describe("retrying failed tracks", () => {
  let p: TestPipeline | undefined;
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  it("asking again for a link whose job ended with a failed track re-collects only that track", async () => {
    p = await createTestPipeline();
    const broken = catalogTrackToTrack(album.tracks[3]!, p.stack.spotify.url);
    // Every confident upload of track 4 is gone for the first job.
    const uploads = [expectedVideoId(broken), videoIdFor(broken.id, "single")];
    for (const id of uploads) p.stack.audio.control.failAudio(id, 404);
    await p.startWorkers();
    const first = await p.jobs.submit({ owner, ref });
    const firstEnd = await p.waitForEnd(first.job.id, 90_000);
    expect(firstEnd.result!.outcome).toBe("partial");
    expect(firstEnd.result!.tracks.filter((t) => t.outcome === "failed").map((t) => t.index)).toEqual([3]);

    // YouTube has the recording again; the person sends the same link.
    for (const id of uploads) p.stack.audio.control.failAudio(id, undefined);
    const requestsBefore = { ...p.stack.audio.stats.audioRequests };
    const again = await p.jobs.submit({ owner, ref });
    expect(again.existing).toBe(false);
    expect(again.job.id).not.toBe(first.job.id);
    expect(again.job.retry).toEqual({ of: first.job.id, indexes: [3] });
    expect(again.job.title).toBe(firstEnd.title);
    const end = await p.waitForEnd(again.job.id, 90_000);

    // One child: the failed track; nothing else was fetched from YouTube again.
    const tracksQueue = new Queue(QUEUE_TRACKS, { connection: p.redis, prefix: p.config.redis.prefix });
    const children = await Promise.all(
      firstEnd.result!.tracks.map((t) => tracksQueue.getJob(`${again.job.id}-${t.index}`)),
    );
    await tracksQueue.close();
    expect(children.filter((c) => c !== undefined)).toHaveLength(1);
    const fetchedAgain = Object.keys(p.stack.audio.stats.audioRequests).filter(
      (id) => p!.stack.audio.stats.audioRequests[id] !== requestsBefore[id],
    );
    expect(fetchedAgain).toEqual([expectedVideoId(broken)]);

    // The result is the whole album, complete, with a package of its own.
    expect(end.stage).toBe("done");
    expect(end.result!.outcome).toBe("done");
    expect(end.result!.tracks).toHaveLength(firstEnd.result!.tracks.length);
    expect(end.result!.tracks.every((t) => t.outcome === "done")).toBe(true);
    expect(end.result!.tracks[3]).toMatchObject({ title: broken.title, videoId: expectedVideoId(broken) });
    for (const [i, t] of firstEnd.result!.tracks.entries()) {
      if (i !== 3) expect(end.result!.tracks[i]).toEqual(t);
    }
    expect(end.total).toBe(10);
    expect(end.done).toBe(10);
    expect(end.result!.packagePath).toBeDefined();
    expect(end.result!.packagePath).not.toBe(firstEnd.result!.packagePath);
    expect(existsSync(end.result!.packagePath!)).toBe(true);

    // Asking a third time finds the retry (its result is whole), and there is nothing left to retry.
    const third = await p.jobs.submit({ owner, ref });
    expect(third).toMatchObject({ existing: true, job: { id: again.job.id } });
    const nothing = await p.jobs.retryFailed(again.job.id, person).catch((e: unknown) => e);
    expect((nothing as UserFacingError).userMessage).toBe(
      `No track of job ${again.job.id} failed: there is nothing to retry.`,
    );
  }, 180_000);

  it("the Retry button starts one retry however often it is pressed, and only for the job's owner", async () => {
    p = await createTestPipeline();
    const broken = catalogTrackToTrack(album.tracks[6]!, p.stack.spotify.url);
    const uploads = [expectedVideoId(broken), videoIdFor(broken.id, "single")];
    for (const id of uploads) p.stack.audio.control.failAudio(id, 404);
    await p.startWorkers();
    const { job } = await p.jobs.submit({ owner, ref });

    const early = await p.jobs.retryFailed(job.id, person).catch((e: unknown) => e);
    expect((early as UserFacingError).userMessage).toBe(
      `Job ${job.id} is still running; I can retry its failed tracks once it has ended.`,
    );
    await p.waitForEnd(job.id, 90_000);
    const stranger = await p.jobs
      .retryFailed(job.id, { userId: 4242, isAdmin: false })
      .catch((e: unknown) => e);
    expect((stranger as UserFacingError).code).toBe("job_not_found");

    const [one, two] = await Promise.all([
      p.jobs.retryFailed(job.id, person),
      p.jobs.retryFailed(job.id, person),
    ]);
    expect(two.id).toBe(one.id);
    expect(one.retry).toEqual({ of: job.id, indexes: [6] });
    // The retry fails the same way (YouTube still lacks it): retrying again re-collects it from the retry.
    const oneEnd = await p.waitForEnd(one.id, 90_000);
    expect(oneEnd.result!.tracks.filter((t) => t.outcome === "failed").map((t) => t.index)).toEqual([6]);
    for (const id of uploads) p.stack.audio.control.failAudio(id, undefined);
    const next = await p.jobs.retryFailed(job.id, person);
    expect(next.retry).toEqual({ of: one.id, indexes: [6] });
    const nextEnd = await p.waitForEnd(next.id, 90_000);
    expect(nextEnd.result!.outcome).toBe("done");
    expect(nextEnd.result!.tracks).toHaveLength(10);
  }, 180_000);
});
