/**
 * The job record as the one truth: stages written by their one writer, the result kept once, a person's
 * running jobs derived from it, and a cancel that leaves nothing behind in BullMQ.
 */
import { Queue } from "bullmq";
import { afterEach, describe, expect, it } from "vitest";
import { createJobRecords, endedWithoutTracks } from "../../../src/core/jobs/job-record.js";
import { createKeys, QUEUE_COLLECTIONS } from "../../../src/core/jobs/keys.js";
import type { CollectionResult } from "../../../src/core/jobs/schemas.js";
import { shortAlbum, shortAlbums } from "../../../src/emulators/spotify/index.js";
import { createTestPipeline, type TestPipeline } from "../../helpers/pipeline.js";

const refOf = (id: string) => ({ kind: "album" as const, id, uri: `spotify:album:${id}` });
const owner = { userId: 91, chatId: 91 };

async function queueCounts(p: TestPipeline) {
  const queue = new Queue(QUEUE_COLLECTIONS, { connection: p.redis, prefix: p.config.redis.prefix });
  try {
    return await queue.getJobCounts("waiting", "active", "delayed", "prioritized", "waiting-children");
  } finally {
    await queue.close();
  }
}

describe("the job record", () => {
  let p: TestPipeline | undefined;
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  it("a job cancelled before it started ends cancelled and leaves nothing waiting in BullMQ", async () => {
    p = await createTestPipeline({ jobs: { maxActiveJobsPerPerson: 1 } });
    const { job } = await p.jobs.submit({ owner, ref: refOf(shortAlbum.id) });
    expect(job.stage).toBe("queued");
    expect((await queueCounts(p)).waiting).toBe(1);
    const cancelled = await p.jobs.cancel(job.id, { userId: owner.userId, isAdmin: false });
    expect(cancelled.stage).toBe("cancelled");
    expect(cancelled.result?.outcome).toBe("cancelled");
    expect(await queueCounts(p)).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
      prioritized: 0,
      "waiting-children": 0,
    });
    // The person still sees it, and it no longer counts against their limit of one running job.
    expect((await p.jobs.status(job.id, { userId: owner.userId, isAdmin: false })).stage).toBe("cancelled");
    const next = await p.jobs.submit({ owner, ref: refOf(shortAlbums[1]!.id) });
    expect(next.existing).toBe(false);
  });

  it("keeps the result once and never lets a late stage undo the end", async () => {
    p = await createTestPipeline();
    const keys = createKeys(p.config.redis.prefix);
    const records = createJobRecords(p.redis, keys, 60);
    const who = { owner, ref: refOf(shortAlbum.id), format: "mp3" as const, createdAt: Date.now() };
    await records.create("abcdefg", who);
    await records.setStage("abcdefg", "downloading");
    const result: CollectionResult = endedWithoutTracks("done", "Zehn kleine Stücke");
    expect(await records.finish("abcdefg", result)).toBe(true);
    expect(await records.finish("abcdefg", { ...result, outcome: "failed" })).toBe(false);
    await records.setStage("abcdefg", "packaging"); // a straggler
    expect(await records.read("abcdefg")).toEqual({ who, stage: "done", result });
    expect(Object.keys(await p.redis.hgetall(keys.job("abcdefg"))).sort()).toEqual([
      "result",
      "stage",
      "who",
    ]);
    expect(await p.redis.ttl(keys.job("abcdefg"))).toBeGreaterThan(0);
  });

  it("a finished collection's stages come from the record, the final event brings the result, BullMQ's return value stays empty", async () => {
    p = await createTestPipeline();
    await p.startWorkers();
    const { job } = await p.jobs.submit({ owner, ref: refOf(shortAlbum.id) });
    const end = await p.waitForEnd(job.id, 90_000);
    expect(end.stage).toBe("done");
    expect(end.result?.tracks).toHaveLength(shortAlbum.tracks.length);
    const queue = new Queue(QUEUE_COLLECTIONS, { connection: p.redis, prefix: p.config.redis.prefix });
    try {
      const done = await queue.getJob(job.id);
      expect(done?.returnvalue ?? null).toBeNull();
      // The final progress event carries what the summary needs (the relay shows it without a re-read).
      const last = done?.progress as { stage?: string; result?: { tracks: unknown[] } };
      expect(last.stage).toBe("done");
      expect(last.result?.tracks).toHaveLength(shortAlbum.tracks.length);
    } finally {
      await queue.close();
    }
    expect(await p.jobs.peek(job.id)).toMatchObject({ id: job.id, stage: "done", owner });
    expect(await p.jobs.peek("zzzzzzz")).toBeUndefined();
  }, 120_000);
});
