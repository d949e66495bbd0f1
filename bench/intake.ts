/**
 * intake: how fast JobService takes requests. 1,000 submits for distinct links (album, playlist and track
 * refs with distinct, valid, made-up ids: nothing resolves them, because no worker runs), 50 in flight,
 * spread over 250 people with the per-person cap and the queue depth raised so none is refused.
 * Baseline in the same run: BullMQ's own `queue.add` of the same job data and options, same concurrency.
 *
 *   npx tsx bench/intake.ts
 */
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { createJobService } from "../src/core/jobs/job-service.js";
import { newJobId } from "../src/core/jobs/job-id.js";
import { QUEUE_COLLECTIONS } from "../src/core/jobs/keys.js";
import type { CollectionJobData } from "../src/core/jobs/schemas.js";
import { createRedis } from "../src/core/redis.js";
import type { SpotifyKind, SpotifyRef } from "../src/core/spotify/types.js";
import { goal, isMain, note, runMain, type BenchResult } from "./bench-result.js";
import { startBenchRedis } from "./bench-redis.js";
import { freshPrefix } from "./bench-pipeline.js";
import { cpuSecondsOf } from "./cpu-usage.js";
import { percentile, round } from "./stats.js";

const SUBMITS = Number(process.env.CDC_BENCH_INTAKE_SUBMITS ?? "") || 1000;
const IN_FLIGHT = 50;
const OWNERS = Number(process.env.CDC_BENCH_INTAKE_OWNERS ?? "") || 250;
const WARMUP = 100;
const GOAL_PER_SECOND = 500;
const KEEP_SECONDS = 24 * 3600;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const kinds: SpotifyKind[] = ["album", "playlist", "track"];

/** `count` refs with distinct 22-character base62 ids, kinds taking turns. */
export function distinctRefs(count: number): SpotifyRef[] {
  const seen = new Set<string>();
  const refs: SpotifyRef[] = [];
  while (refs.length < count) {
    const id = [...randomBytes(22)].map((b) => BASE62[b % 62]).join("");
    if (seen.has(id)) continue;
    seen.add(id);
    const kind = kinds[refs.length % kinds.length]!;
    refs.push({ kind, id, uri: `spotify:${kind}:${id}` });
  }
  return refs;
}

interface IntakeFigures {
  seconds: number;
  /** CPU this process and redis-server spent: shows which side the time goes to. */
  benchCpuSeconds: number;
  redisCpuSeconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Run `submit` for every ref, `IN_FLIGHT` at a time, timing each call. */
async function drive(
  redisPid: number,
  refs: readonly SpotifyRef[],
  submit: (ref: SpotifyRef, index: number) => Promise<void>,
): Promise<IntakeFigures> {
  const latencies: number[] = [];
  let next = 0;
  const cpu0 = process.cpuUsage();
  const redis0 = cpuSecondsOf(redisPid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < refs.length) {
        const index = next++;
        const t0 = performance.now();
        await submit(refs[index]!, index);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    seconds: round(seconds),
    benchCpuSeconds: round((cpu.user + cpu.system) / 1e6, 2),
    redisCpuSeconds: round(cpuSecondsOf(redisPid) - redis0, 2),
    perSecond: round(refs.length / seconds, 1),
    p50Ms: round(percentile(latencies, 50), 2),
    p99Ms: round(percentile(latencies, 99), 2),
    maxMs: round(percentile(latencies, 100), 2),
  };
}

async function ready(connection: Redis): Promise<void> {
  if (connection.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    connection.once("ready", () => resolve());
    connection.once("error", reject);
  });
}

/** JobService.submit for every ref, on a fresh prefix. Throws when any request is refused. */
async function jobServiceRun(
  redisUrl: string,
  redisPid: number,
  refs: readonly SpotifyRef[],
): Promise<IntakeFigures> {
  const connection = createRedis({ url: redisUrl }, "producer");
  await ready(connection);
  const jobs = createJobService({
    connection,
    prefix: freshPrefix("intake"),
    defaultFormat: "mp3",
    maxActiveJobsPerPerson: Math.ceil(refs.length / OWNERS) + 1,
    maxQueueDepth: refs.length * 10,
    dedupeSeconds: 3600,
    keepHours: 24,
  });
  try {
    let created = 0;
    const figures = await drive(redisPid, refs, async (ref, index) => {
      const userId = 10_000 + (index % OWNERS);
      const { existing } = await jobs.submit({ owner: { userId, chatId: userId }, ref });
      if (!existing) created++;
    });
    if (created !== refs.length) throw new Error(`only ${created} of ${refs.length} submits made a new job`);
    return figures;
  } finally {
    await jobs.close();
    connection.disconnect();
  }
}

/** The same job data and options straight into BullMQ, on a fresh prefix. */
async function rawQueueRun(
  redisUrl: string,
  redisPid: number,
  refs: readonly SpotifyRef[],
): Promise<IntakeFigures> {
  const connection = createRedis({ url: redisUrl }, "producer");
  await ready(connection);
  const queue = new Queue(QUEUE_COLLECTIONS, { connection, prefix: freshPrefix("intake-raw") });
  queue.on("error", () => undefined);
  try {
    return await drive(redisPid, refs, async (ref, index) => {
      const userId = 10_000 + (index % OWNERS);
      const data: CollectionJobData = {
        owner: { userId, chatId: userId },
        ref,
        format: "mp3",
        createdAt: Date.now(),
        step: "resolve",
      };
      await queue.add("collection", data, {
        jobId: newJobId(),
        attempts: 3,
        backoff: { type: "exponential", delay: 2000, jitter: 0.5 },
        removeOnComplete: { age: KEEP_SECONDS },
        removeOnFail: { age: KEEP_SECONDS },
      });
    });
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

export async function runIntakeBenchmark(): Promise<BenchResult[]> {
  const redis = await startBenchRedis();
  try {
    note(`intake: warming up (${WARMUP} submits each way, untimed)`);
    await rawQueueRun(redis.url, redis.pid, distinctRefs(WARMUP));
    await jobServiceRun(redis.url, redis.pid, distinctRefs(WARMUP));
    note(`intake: ${SUBMITS} raw queue.add, ${IN_FLIGHT} in flight`);
    const raw = await rawQueueRun(redis.url, redis.pid, distinctRefs(SUBMITS));
    note(`intake: ${SUBMITS} JobService.submit, ${IN_FLIGHT} in flight, ${OWNERS} people`);
    const service = await jobServiceRun(redis.url, redis.pid, distinctRefs(SUBMITS));
    return [
      {
        benchmark: "intake",
        submits: SUBMITS,
        inFlight: IN_FLIGHT,
        owners: OWNERS,
        workers: 0,
        jobService: service,
        rawQueueAdd: raw,
        // How many times slower JobService is than a bare queue.add: its dedupe, limit and depth checks.
        costRatio: round(raw.perSecond / service.perSecond, 2),
        goals: [goal(`JobService >= ${GOAL_PER_SECOND} submits/s`, service.perSecond >= GOAL_PER_SECOND)],
      },
    ];
  } finally {
    await redis.stop();
  }
}

if (isMain(import.meta.url)) runMain(runIntakeBenchmark);
