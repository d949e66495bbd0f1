/**
 * The process the memory benchmark watches: the worker runtime and JobService in one process, as role
 * `all` runs them (without the bot and the HTTP API: `cd-collector start --role all` is not finished).
 * It reports its own RSS every 200 ms as JSON lines on stdout and runs the plan it is given:
 * idle, then the same playlist twice, each time for another person and with the library emptied first,
 * so the second run really downloads again (the track cache heals entries whose file is gone).
 *
 * Environment: REDIS_URL (the benchmark's private server), CDC_BENCH_CONFIG (config data as JSON),
 * CDC_BENCH_PLAN (JSON: ref, trackLimit, idleMs, runs). Started by bench/memory.ts with --expose-gc.
 */
import { rm } from "node:fs/promises";
import { z } from "zod";
import { createConfig } from "../src/core/config/load.js";
import { createJobService } from "../src/core/jobs/job-service.js";
import { dataPaths, startWorkers } from "../src/core/jobs/workers.js";
import { createLogger } from "../src/core/log.js";
import { createRedis } from "../src/core/redis.js";
import { createMediaServices } from "../src/core/services.js";
import type { Catalog } from "../src/core/spotify/catalog.js";
import { mediaChildrenRss, canSeeChildren } from "./rss-sampler.js";

const planSchema = z.object({
  ref: z.object({ kind: z.enum(["album", "playlist", "track"]), id: z.string(), uri: z.string() }),
  /** Keep only this many of the collection's tracks: the shortest, in their playlist order. */
  trackLimit: z.number().int().positive(),
  idleMs: z.number().int().positive(),
  runs: z.number().int().positive(),
});

/** Lines this process writes on stdout. */
export type ChildLine =
  | { type: "rss"; phase: string; t: number; rss: number; heapUsed: number; childrenRss?: number }
  | { type: "phase"; phase: string; t: number }
  | { type: "run"; run: number; seconds: number; tracks: number; outcomes: Record<string, number> };

function say(line: ChildLine): void {
  process.stdout.write(JSON.stringify(line) + "\n");
}

/**
 * A catalog that resolves through the real one (HTTP to the emulator) and keeps the `limit` shortest
 * tracks: the fixture has no 50-track playlist of short tracks, and long ones only make the run slower
 * without changing what this process holds (the audio lives in yt-dlp's and ffmpeg's processes).
 */
function shortestTracks(catalog: Catalog, limit: number): Catalog {
  return {
    providers: catalog.providers,
    parse: (text) => catalog.parse(text),
    canonicalRef: (input, signal) => catalog.canonicalRef(input, signal),
    async resolve(input, signal) {
      const collection = await catalog.resolve(input, signal);
      const keep = new Set(
        [...collection.tracks]
          .sort((a, b) => a.durationMs - b.durationMs)
          .slice(0, limit)
          .map((t) => t.id),
      );
      const tracks = collection.tracks.filter((t) => keep.has(t.id));
      return { ...collection, tracks, total: tracks.length, truncated: false };
    },
  };
}

const plan = planSchema.parse(JSON.parse(process.env.CDC_BENCH_PLAN ?? "{}"));
const redisUrl = process.env.REDIS_URL ?? "";
const { config } = createConfig(
  JSON.parse(process.env.CDC_BENCH_CONFIG ?? "{}") as Record<string, unknown>,
  process.env,
);
const t0 = performance.now();
let phase = "start";
const withChildren = canSeeChildren();
const sample = () => {
  const { rss, heapUsed } = process.memoryUsage();
  say({
    type: "rss",
    phase,
    t: Math.round(performance.now() - t0),
    rss,
    heapUsed,
    ...(withChildren ? { childrenRss: mediaChildrenRss() } : {}),
  });
};
const setPhase = (next: string) => {
  phase = next;
  say({ type: "phase", phase, t: Math.round(performance.now() - t0) });
  sample();
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const timer = setInterval(sample, 200);
sample();

const logger = createLogger({ level: "warn", pretty: false, destination: process.stderr });
const services = createMediaServices(config, logger);
const runtime = await startWorkers({
  config,
  redisUrl,
  logger,
  ...services,
  catalog: shortestTracks(services.catalog, plan.trackLimit),
});
const producer = createRedis({ url: redisUrl }, "producer");
const jobs = createJobService({
  connection: producer,
  prefix: config.redis.prefix,
  defaultFormat: config.download.format,
  maxActiveJobsPerPerson: config.jobs.maxActiveJobsPerPerson,
  maxQueueDepth: config.jobs.maxQueueDepth,
  dedupeSeconds: config.jobs.dedupeSeconds,
  keepHours: config.jobs.keepHours,
});

try {
  setPhase("idle");
  await sleep(plan.idleMs);
  for (let run = 1; run <= plan.runs; run++) {
    // Empty library: every track is downloaded again (a cache entry whose file is gone heals itself).
    const { libraryDir, packagesDir } = dataPaths(config);
    await rm(libraryDir, { recursive: true, force: true });
    await rm(packagesDir, { recursive: true, force: true });
    setPhase(`run${run}`);
    const started = performance.now();
    const { job } = await jobs.submit({ owner: { userId: 100 + run, chatId: 100 + run }, ref: plan.ref });
    let view = await jobs.status(job.id, { userId: 0, isAdmin: true });
    while (view.stage !== "done" && view.stage !== "failed" && view.stage !== "cancelled") {
      await sleep(100);
      view = await jobs.status(job.id, { userId: 0, isAdmin: true });
    }
    const outcomes: Record<string, number> = {};
    for (const t of view.result?.tracks ?? []) outcomes[t.outcome] = (outcomes[t.outcome] ?? 0) + 1;
    say({
      type: "run",
      run,
      seconds: (performance.now() - started) / 1000,
      tracks: view.result?.tracks.length ?? 0,
      outcomes,
    });
    // Let finished work be collected before "after" is read: growth should mean retained memory.
    setPhase(`settle${run}`);
    await sleep(1500);
    (globalThis as { gc?: () => void }).gc?.();
    await sleep(1500);
  }
  setPhase("end");
} finally {
  clearInterval(timer);
  await runtime.close(5000);
  await jobs.close();
  producer.disconnect();
}
