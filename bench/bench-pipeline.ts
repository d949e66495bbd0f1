/**
 * The pieces a benchmark run needs, built the way the service builds them: the emulators on loopback, a
 * config pointing at them, and per run a fresh data dir and key prefix (so nothing is a cache hit by
 * accident), a JobService on a producer connection, and the worker runtime.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Redis } from "ioredis";
import { createConfig } from "../src/core/config/load.js";
import type { Config } from "../src/core/config/schema.js";
import {
  createJobService,
  jobServiceOptions,
  type JobService,
  type JobView,
} from "../src/core/jobs/job-service.js";
import { startWorkers, type WorkerRuntime, type WorkerRuntimeDeps } from "../src/core/jobs/workers.js";
import { silentLogger } from "../src/core/log.js";
import { createRedis } from "../src/core/redis.js";
import { createMediaServices } from "../src/core/services.js";
import type { Track } from "../src/core/spotify/types.js";
import { expectedVideoId } from "../src/emulators/audio-source/index.js";
import { startOfflineStack, type OfflineStack } from "../src/emulators/offline-stack.js";

/**
 * Generated stand-in audio, kept between benchmark runs on purpose: it depends only on the fixture, and
 * making it again would cost a minute of ffmpeg before every run. Override with CDC_BENCH_AUDIO_CACHE.
 */
export const benchAudioCacheDir =
  process.env.CDC_BENCH_AUDIO_CACHE ?? path.join(os.tmpdir(), "cdc-bench-audio-cache");

/** A key prefix no other run uses. */
export function freshPrefix(name: string): string {
  return `bench-${name}-${randomBytes(4).toString("hex")}`;
}

/** Start the Spotify emulator and the audio stand-in on 127.0.0.1. */
export function startBenchStack(): Promise<OfflineStack> {
  return startOfflineStack({ cacheDir: benchAudioCacheDir });
}

/**
 * Make the stand-in generate (or find in its cache) the audio of `tracks` before anything is timed, so
 * timed runs only download bytes that already exist. `parallel` requests at a time.
 */
export async function warmAudio(stack: OfflineStack, tracks: readonly Track[], parallel = 2): Promise<void> {
  const queue = [...tracks];
  const worker = async () => {
    for (let track = queue.shift(); track; track = queue.shift()) {
      const res = await fetch(`${stack.audio.url}/audio/${expectedVideoId(track)}.m4a`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`warming audio of ${track.id}: HTTP ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

/** Total audio requests the stand-in has answered (yt-dlp's generic extractor makes two per download). */
export function audioRequestCount(stack: OfflineStack): number {
  return Object.values(stack.audio.stats.audioRequests).reduce((a, b) => a + b, 0);
}

export interface BenchPipeline {
  config: Config;
  dataDir: string;
  jobs: JobService;
  startWorkers(overrides?: Partial<WorkerRuntimeDeps>): Promise<WorkerRuntime>;
  /** Poll the job every `pollMs` until it is done, failed or cancelled. */
  waitForEnd(jobId: string, options?: { timeoutMs?: number; pollMs?: number }): Promise<JobView>;
  /** Stop workers, close connections, remove the data dir. Idempotent. */
  close(): Promise<void>;
}

/** A run with its own data dir and prefix, on the given Redis and stack. */
export async function createBenchPipeline(options: {
  redisUrl: string;
  stack: OfflineStack;
  name: string;
  /** Config sections to merge over the emulator settings (as if from the TOML file). */
  configData?: Record<string, Record<string, unknown>>;
}): Promise<BenchPipeline> {
  const { stack, redisUrl } = options;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `cdc-bench-${options.name}-`));
  let config: Config;
  let producer: Redis | undefined;
  try {
    const data: Record<string, unknown> = {
      dataDir,
      ...stack.configOverrides,
      redis: { prefix: freshPrefix(options.name) },
    };
    for (const [section, values] of Object.entries(options.configData ?? {})) {
      data[section] = { ...(data[section] ?? {}), ...values };
    }
    config = createConfig(data, { ...stack.env, REDIS_URL: redisUrl }).config;
    const connection = createRedis({ url: redisUrl }, "producer");
    producer = connection;
    await new Promise<void>((resolve, reject) => {
      if (connection.status === "ready") return resolve();
      connection.once("ready", () => resolve());
      connection.once("error", reject);
    });
  } catch (err) {
    producer?.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const jobs = createJobService({ connection: producer, ...jobServiceOptions(config) });
  const runtimes: WorkerRuntime[] = [];
  const logger = silentLogger();
  let closing: Promise<void> | undefined;
  return {
    config,
    dataDir,
    jobs,
    async startWorkers(overrides = {}) {
      const runtime = await startWorkers({
        config,
        redisUrl,
        logger,
        ...createMediaServices(config, logger),
        ...overrides,
      });
      runtimes.push(runtime);
      return runtime;
    },
    async waitForEnd(jobId, { timeoutMs = 300_000, pollMs = 25 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const view = await jobs.status(jobId, { userId: 0, isAdmin: true });
        if (view.stage === "done" || view.stage === "failed" || view.stage === "cancelled") return view;
        if (Date.now() > deadline) throw new Error(`job ${jobId} still ${view.stage} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
    close() {
      closing ??= (async () => {
        await Promise.all(runtimes.map((r) => r.close(5000)));
        await jobs.close();
        producer.disconnect();
        rmSync(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
