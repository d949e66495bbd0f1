import { Queue, Worker } from "bullmq";
import { afterEach, describe, expect, it } from "vitest";
import { startBurnRelay } from "../../../src/core/burn/burn-relay.js";
import { QUEUE_BURN } from "../../../src/core/jobs/keys.js";
import { silentLogger } from "../../../src/core/log.js";
import { createRedis } from "../../../src/core/redis.js";
import { eventually } from "../../helpers/processes.js";
import { testRedisUrl, uniquePrefix } from "../../helpers/redis.js";

describe("burn progress in the admin's chat", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("shows one message per burn, edited at a limited pace, ending with the outcome", async () => {
    const prefix = uniquePrefix("burnrelay");
    const sent: { id: number; texts: string[]; at: number[] }[] = [];
    const connection = createRedis({ url: testRedisUrl() }, "events");
    const relay = await startBurnRelay({
      notifier: {
        send: (text) => {
          sent.push({ id: sent.length + 1, texts: [text], at: [Date.now()] });
          return Promise.resolve(sent.length);
        },
        edit: (id, text) => {
          const m = sent[id - 1]!;
          m.texts.push(text);
          m.at.push(Date.now());
          return Promise.resolve();
        },
      },
      connection,
      prefix,
      logger: silentLogger(),
      minIntervalMs: 300,
    });
    const queue = new Queue(QUEUE_BURN, {
      connection: createRedis({ url: testRedisUrl() }, "worker"),
      prefix,
    });
    const worker = new Worker(
      QUEUE_BURN,
      async (job) => {
        for (let p = 0; p <= 100; p += 10) {
          await job.updateProgress({ stage: p < 50 ? "rendering" : "writing", percent: p });
          await new Promise((r) => setTimeout(r, 50));
        }
        return { ok: true };
      },
      { connection: createRedis({ url: testRedisUrl() }, "worker"), prefix },
    );
    cleanups.push(
      () => relay.close(),
      () => Promise.resolve(connection.disconnect()),
      () => queue.close(),
      () => worker.close(),
    );
    await queue.add("burn", {}, { jobId: "burn-one" });
    expect(await eventually(() => sent[0]?.texts.some((t) => t.includes("done")) ?? false, 10_000)).toBe(
      true,
    );
    expect(sent).toHaveLength(1);
    const { texts, at } = sent[0]!;
    expect(texts[0]).toMatch(/Burn burn-one: rendering CD audio/);
    expect(texts[texts.length - 1]).toBe("💿✅ Burn burn-one: done 100%");
    // Fewer edits than progress reports, and none closer than the pace (the final one is always sent).
    expect(texts.length).toBeLessThan(11);
    for (let i = 1; i < at.length - 1; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(280);
  });
});
