/**
 * The burn flow end to end on real Redis: a stored collection of real noise MP3s is planned, rendered
 * to real CD-DA WAVs by ffmpeg, its TOC checked by the real cdrdao, and "written" by
 * scripts/fake-cdrdao.mjs (which also runs the real cdrdao on the TOC before printing cdrdao's lines).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { QueueEvents, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createBurnProcessor, startBurner, type Burner } from "../../../src/core/burn/burn-processor.js";
import {
  createBurnService,
  type BurnProgress,
  type BurnService,
} from "../../../src/core/burn/burn-service.js";
import { createConfig } from "../../../src/core/config/load.js";
import type { Config } from "../../../src/core/config/schema.js";
import { QUEUE_BURN } from "../../../src/core/jobs/keys.js";
import { silentLogger } from "../../../src/core/log.js";
import { createMetrics, type Metrics } from "../../../src/core/metrics.js";
import { createRedis } from "../../../src/core/redis.js";
import { testRedisUrl, uniquePrefix } from "../../helpers/redis.js";
import { storeCollection, storeRunningCollection, type StoredCollection } from "./burn-fixture.js";

const fakeCdrdao = path.resolve("scripts/fake-cdrdao.mjs");

interface Env {
  dataDir: string;
  prefix: string;
  config: Config;
  redis: Redis;
  service: BurnService;
  events: QueueEvents;
  eventsConnection: Redis;
  metrics: Metrics;
  argsFile: string;
  collection: StoredCollection;
}

let env: Env;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "cdc-burn-"));
  const prefix = uniquePrefix("burn");
  const redis = createRedis({ url: testRedisUrl() }, "client");
  const { config } = createConfig({ dataDir, redis: { prefix }, burn: { cdrdaoPath: fakeCdrdao, speed: 4 } });
  const collection = await storeCollection({
    redis,
    prefix,
    dataDir,
    title: "Rauschen & Stille",
    subtitle: "Noise Ensemble",
    upc: "019029600017",
    tracks: [
      { title: "Erste Welle", seconds: 5, isrc: "DEA201000001" },
      { title: "Zweite Welle", seconds: 6, isrc: "DEA201000002", artist: "Jørgen Ås", isrcOnlyInTags: true },
      { title: "Kurz", seconds: 2.5 },
    ],
  });
  const eventsConnection = createRedis({ url: testRedisUrl() }, "events");
  const events = new QueueEvents(QUEUE_BURN, { connection: eventsConnection, prefix });
  await events.waitUntilReady();
  const service = createBurnService({
    connection: redis,
    prefix,
    capacitySectors: config.burn.capacitySectors,
  });
  env = {
    dataDir,
    prefix,
    config,
    redis,
    service,
    events,
    eventsConnection,
    metrics: createMetrics({ defaultMetrics: false }),
    argsFile: path.join(dataDir, "cdrdao-args.json"),
    collection,
  };
}, 120_000);

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

afterAll(async () => {
  await env.service.close();
  await env.events.close();
  env.eventsConnection.disconnect();
  env.redis.disconnect();
  rmSync(env.dataDir, { recursive: true, force: true });
});

function cdrdaoEnv(mode = "ok"): NodeJS.ProcessEnv {
  return {
    ...process.env,
    FAKE_CDRDAO_MODE: mode,
    FAKE_CDRDAO_DELAY_MS: "0",
    FAKE_CDRDAO_ARGS_FILE: env.argsFile,
  };
}

function runBurner(mode = "ok"): Burner {
  const burner = startBurner({
    config: env.config,
    redisUrl: testRedisUrl(),
    logger: silentLogger(),
    metrics: env.metrics,
    cdrdaoEnv: cdrdaoEnv(mode),
  });
  closers.push(() => burner.close(5000));
  return burner;
}

/** Collect every progress event of one burn until it ends (completed or failed). */
async function follow(
  burnId: string,
): Promise<{ progress: BurnProgress[]; outcome: "completed" | "failed" }> {
  const progress: BurnProgress[] = [];
  const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
    if (jobId === burnId) progress.push(data as BurnProgress);
  };
  env.events.on("progress", onProgress);
  try {
    const outcome = await new Promise<"completed" | "failed">((resolve) => {
      const done = ({ jobId }: { jobId: string }) => jobId === burnId && resolve("completed");
      const failed = ({ jobId }: { jobId: string }) => jobId === burnId && resolve("failed");
      env.events.on("completed", done);
      env.events.on("failed", failed);
      // The burn may already be over before the listeners were attached.
      void env.service.status(burnId).then((s) => {
        if (s?.state === "completed" || s?.state === "failed") resolve(s.state);
      });
    });
    return { progress, outcome };
  } finally {
    env.events.off("progress", onProgress);
  }
}

describe("burn flow on real Redis, ffmpeg and cdrdao", () => {
  it("renders, checks and writes a disc, reporting every stage up to 100 %", async () => {
    // Run the processor on a worker of our own, keeping its files, so the TOC it wrote can be read.
    const workDir = path.join(env.dataDir, "burn-kept");
    const client = createRedis({ url: testRedisUrl() }, "client");
    const workerConnection = createRedis({ url: testRedisUrl() }, "worker");
    const worker = new Worker(
      QUEUE_BURN,
      createBurnProcessor({
        redis: client,
        prefix: env.prefix,
        libraryDir: path.join(env.dataDir, "library"),
        workDir,
        capacitySectors: env.config.burn.capacitySectors,
        ffmpegPath: "ffmpeg",
        ffprobePath: "ffprobe",
        loudnessTarget: -14,
        truePeak: -1,
        discGain: "album",
        cdrdaoPath: fakeCdrdao,
        device: "/dev/sr0",
        driver: "generic-mmc:0x10",
        speed: 4,
        eject: true,
        cdrdaoEnv: cdrdaoEnv(),
        keepFiles: true,
        logger: silentLogger(),
        metrics: env.metrics,
      }),
      { connection: workerConnection, prefix: env.prefix, concurrency: 1 },
    );
    closers.push(async () => {
      await worker.close();
      workerConnection.disconnect();
      client.disconnect();
    });

    const { burnId, plan } = await env.service.enqueue({ jobId: env.collection.jobId });
    expect(plan.discs).toHaveLength(1);
    expect(plan.discs[0]!.tracks.map((t) => t.title)).toEqual(["Erste Welle", "Zweite Welle", "Kurz"]);
    expect(plan.discs[0]!.tracks[2]!.padded).toBe(true);
    expect(plan.text).toContain("1 disc, 3 tracks");

    const { progress, outcome } = await follow(burnId);
    expect(outcome).toBe("completed");
    const stages = [...new Set(progress.map((p) => p.stage))];
    expect(stages).toEqual(["planning", "rendering", "checking", "writing", "done"]);
    const percents = progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ stage: "done", percent: 100 });

    const status = await env.service.status(burnId);
    expect(status).toMatchObject({
      state: "completed",
      stage: "done",
      percent: 100,
      disc: 1,
      simulate: false,
    });
    expect(status!.result).toMatchObject({ tracks: 3, simulate: false });
    // 5 s + 6 s + 4 s (the 2.5 s track padded) + the 2 s lead-in gap, in sectors.
    expect(status!.result!.discSectors).toBe(150 + 375 + 450 + 300);

    const args = JSON.parse(readFileSync(env.argsFile, "utf8")) as string[];
    expect(args.slice(0, -1)).toEqual([
      "write",
      "--device",
      "/dev/sr0",
      "--driver",
      "generic-mmc:0x10",
      "--speed",
      "4",
      "--eject",
      "-n",
    ]);
    const toc = readFileSync(args.at(-1)!, "latin1");
    expect(toc).toContain('CATALOG "0019029600017"');
    expect(toc).toContain('ISRC "DEA201000001"');
    // Not in the track result: read back from the file's TSRC tag.
    expect(toc).toContain('ISRC "DEA201000002"');
    expect(toc).toContain('TITLE "Rauschen & Stille"');
    expect(toc).toContain('PERFORMER "J\\370rgen \\305s"');
    const wavs = readdirSync(path.join(workDir, burnId)).filter((f) => f.endsWith(".wav"));
    expect(wavs).toEqual(["01.wav", "02.wav", "03.wav"]);
    expect(await env.metrics.burns.get()).toMatchObject({
      values: [expect.objectContaining({ labels: { outcome: "done" }, value: 1 })],
    });
  }, 120_000);

  it("simulates on the requested device, then removes its files", async () => {
    runBurner();
    const { burnId } = await env.service.enqueue({
      jobId: env.collection.jobId,
      simulate: true,
      device: "/dev/sr1",
    });
    const { outcome, progress } = await follow(burnId);
    expect(outcome).toBe("completed");
    expect(progress.at(-1)?.message).toMatch(/Simulation finished/);
    const args = JSON.parse(readFileSync(env.argsFile, "utf8")) as string[];
    expect(args[0]).toBe("simulate");
    expect(args.slice(1, 3)).toEqual(["--device", "/dev/sr1"]);
    expect(args.at(-1)).toBe(path.join(env.dataDir, "burn", burnId, "disc.toc"));
    const status = await env.service.status(burnId);
    expect(status).toMatchObject({ state: "completed", simulate: true, device: "/dev/sr1" });
    // The burner removes its WAVs and TOC once the burn is over.
    expect(readdirSync(path.join(env.dataDir, "burn"))).not.toContain(burnId);
  }, 120_000);

  it.each([
    ["no-drive", "burn_no_drive", "No CD writer at /dev/sr0: check that the drive is connected"],
    ["no-disk", "burn_no_disc", "There is no disc in /dev/sr0: insert a blank CD-R and try again."],
    ["not-blank", "burn_disc_not_blank", "The disc in /dev/sr0 is not blank"],
    ["permission", "burn_permission", 'add the user this service runs as to the "cdrom" group'],
    ["busy", "burn_drive_busy", "/dev/sr0 is busy"],
  ])(
    "a drive that answers %s fails the burn with the operator's sentence, before any audio is rendered",
    async (mode, code, sentence) => {
      runBurner(mode);
      const { burnId } = await env.service.enqueue({ jobId: env.collection.jobId });
      const { outcome, progress } = await follow(burnId);
      expect(outcome).toBe("failed");
      expect(progress.map((p) => p.stage)).not.toContain("rendering");
      const status = await env.service.status(burnId);
      expect(status).toMatchObject({ state: "failed", stage: "failed", errorCode: code });
      expect(status!.error).toContain(sentence);
      const counted = (await env.metrics.burns.get()).values.find((v) => v.labels.outcome === code);
      expect(counted?.value).toBeGreaterThanOrEqual(1);
    },
    120_000,
  );

  it("fails with a clear sentence when a track cannot be converted", async () => {
    const broken = await storeCollection({
      redis: env.redis,
      prefix: env.prefix,
      dataDir: env.dataDir,
      title: "Broken",
      tracks: [
        { title: "Fine", seconds: 4 },
        { title: "Garbage", seconds: 4 },
      ],
    });
    writeFileSync(path.join(env.dataDir, "library", broken.result.tracks[1]!.file!), "this is not audio");
    runBurner();
    const { burnId } = await env.service.enqueue({ jobId: broken.jobId });
    expect((await follow(burnId)).outcome).toBe("failed");
    const status = await env.service.status(burnId);
    expect(status?.errorCode).toBe("burn_render_failed");
    expect(status?.error).toMatch(/^Could not convert 02 - Garbage\.mp3 to CD audio/);
  }, 120_000);

  it("plans a collection over several discs and burns the one asked for", async () => {
    const small = createBurnService({ connection: env.redis, prefix: env.prefix, capacitySectors: 1100 });
    closers.push(() => small.close());
    // Disc 1: 150 + 375 + 450 = 975 sectors; track 3 (300) would overflow 1100, so it opens disc 2.
    const plan = await small.plan(env.collection.jobId);
    expect(plan.discs.map((d) => d.tracks.map((t) => t.title))).toEqual([
      ["Erste Welle", "Zweite Welle"],
      ["Kurz"],
    ]);
    await expect(small.enqueue({ jobId: env.collection.jobId, disc: 3 })).rejects.toMatchObject({
      code: "burn_no_such_disc",
    });
  });

  it("refuses collections that are not finished or have nothing to burn", async () => {
    const running = await storeRunningCollection(env.redis, env.prefix);
    await expect(env.service.enqueue({ jobId: running })).rejects.toMatchObject({
      code: "burn_job_not_ready",
    });
    const failedOnly = await storeCollection({
      redis: env.redis,
      prefix: env.prefix,
      dataDir: env.dataDir,
      title: "Nothing",
      tracks: [{ title: "Lost", seconds: 4, failed: true }],
    });
    await expect(env.service.enqueue({ jobId: failedOnly.jobId })).rejects.toMatchObject({
      code: "burn_no_files",
    });
    expect(await env.service.status("zzzzzzz")).toBeUndefined();
  });
});
