import { Queue } from "bullmq";
import { afterEach, describe, expect, it } from "vitest";
import { QUEUE_COLLECTIONS } from "../../../src/core/jobs/keys.js";
import { progressBroker, RecentJobs } from "../../../src/core/jobs/progress-broker.js";
import type { JobStage, ProgressEvent } from "../../../src/core/jobs/schemas.js";
import { createRedis } from "../../../src/core/redis.js";
import { testRedisUrl, uniquePrefix } from "../../helpers/redis.js";

function event(jobId: string, stage: JobStage, percent: number): ProgressEvent {
  return {
    jobId,
    stage,
    percent,
    total: 10,
    done: 0,
    failed: 0,
    needsReview: 0,
    searches: 0,
    at: Date.now(),
  };
}

/** Run `fn` over `items`, `width` at a time. */
async function inBatches<T>(items: T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

describe("progress broker memory", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function collectionsQueue(jobs: number): Promise<{ queue: Queue; ids: string[] }> {
    const queue = new Queue(QUEUE_COLLECTIONS, {
      connection: createRedis({ url: testRedisUrl() }, "worker"),
      prefix: uniquePrefix("broker"),
    });
    cleanups.push(() => queue.obliterate({ force: true }).then(() => queue.close()));
    const ids = Array.from({ length: jobs }, (_, i) => `job-${i}`);
    await queue.addBulk(ids.map((jobId) => ({ name: "collection", data: {}, opts: { jobId } })));
    return { queue, ids };
  }

  it("forgets each of 1,000 jobs once it publishes a final stage", async () => {
    const { queue, ids } = await collectionsQueue(1000);
    // A throttle window far longer than the test: only the final stage can make the broker forget.
    const publisher = progressBroker.publisher(queue, 600_000);
    const finals: JobStage[] = ["done", "failed", "cancelled"];

    await inBatches(ids, 100, (id) => publisher.publish(event(id, "downloading", 40)));
    expect(publisher.jobsRemembered).toBe(1000);

    await inBatches(ids, 100, (id) =>
      publisher.publish(event(id, finals[Number(id.slice(4)) % 3]!, 100), true),
    );
    expect(publisher.jobsRemembered).toBe(0);
    // The final events really went out.
    expect((await queue.getJob("job-0"))?.progress).toMatchObject({ stage: "done", percent: 100 });
    expect((await queue.getJob("job-1"))?.progress).toMatchObject({ stage: "failed" });
    expect((await queue.getJob("job-2"))?.progress).toMatchObject({ stage: "cancelled" });
  });

  it("still throttles a running job, and drops jobs that went quiet without a final stage", async () => {
    const { queue, ids } = await collectionsQueue(200);
    // Long enough that a slow machine still publishes the 200 jobs below within one window.
    const publisher = progressBroker.publisher(queue, 1500);

    await publisher.publish(event("job-0", "downloading", 10));
    await publisher.publish(event("job-0", "downloading", 20)); // same stage, within the window: skipped
    expect((await queue.getJob("job-0"))?.progress).toMatchObject({ percent: 10 });
    await publisher.publish(event("job-0", "packaging", 0)); // a stage change always goes out
    expect((await queue.getJob("job-0"))?.progress).toMatchObject({ stage: "packaging" });

    // Jobs whose end this process never sees (another worker published it).
    await inBatches(ids, 100, (id) => publisher.publish(event(id, "downloading", 50)));
    expect(publisher.jobsRemembered).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    await publisher.publish(event("job-0", "downloading", 60));
    expect(publisher.jobsRemembered).toBe(1);
    expect((await queue.getJob("job-0"))?.progress).toMatchObject({ percent: 60 });
  });

  it("holds at most maxJobs entries, and only within the window", () => {
    const recent = new RecentJobs(1000, 100);
    for (let i = 0; i < 1000; i++) recent.set(`job-${i}`, { at: 5000 });
    expect(recent.size).toBe(100);
    expect(recent.get("job-999", 5000)).toEqual({ at: 5000 });
    expect(recent.get("job-0", 5000)).toBeUndefined();
    expect(recent.get("job-999", 5999)).toEqual({ at: 5000 });
    expect(recent.get("job-999", 6000)).toBeUndefined();
    expect(recent.size).toBe(0);
  });
});
