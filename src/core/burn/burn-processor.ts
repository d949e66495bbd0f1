/**
 * The burner role: one BullMQ worker on the `burn` queue (concurrency 1: one drive, one disc at a time).
 * A burn goes planning → rendering (CD-DA WAVs) → checking (TOC through the real `cdrdao toc-info`) →
 * writing (`cdrdao write`/`simulate`) → done, reporting each stage through `job.updateProgress`.
 * Failures end the job failed with the operator's sentence (BurnError and friends) as its reason; a
 * burn is never retried, because a half-written disc is not something to write onto again.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { isUserFacing } from "../errors.js";
import { QUEUE_BURN } from "../jobs/keys.js";
import { dataPaths } from "../jobs/workers.js";
import { probe } from "../media/ffmpeg.js";
import type { Metrics } from "../metrics.js";
import { createRedis } from "../redis.js";
import {
  assertBurnable,
  burnJobDataSchema,
  DEVICE_PATTERN,
  planCollection,
  readCollectionResult,
  type BurnProgress,
  type BurnReturn,
  type BurnStage,
  type BurnTrack,
} from "./burn-service.js";
import { renderDisc } from "./cdda-renderer.js";
import { localizingBurns } from "./burn-files.js";
import { BurnError, burnToc, checkDrive, checkToc } from "./cdrdao.js";
import { writeToc } from "./toc-writer.js";

export interface BurnProcessorDeps {
  /** A client connection to read collection results. Closed by the caller. */
  redis: Redis;
  prefix: string;
  /** Where collected files live (`TrackResult.file` is relative to it). */
  libraryDir: string;
  /** Scratch space; each burn gets `<workDir>/<burnId>/`, removed afterwards. */
  workDir: string;
  /** Usable sectors of a blank. */
  capacitySectors: number;
  ffmpegPath: string;
  ffprobePath: string;
  loudnessTarget: number;
  truePeak: number;
  discGain: "album" | "track";
  cdrdaoPath: string;
  /** Default CD writer (a burn request may name another). */
  device: string;
  driver: string;
  speed: number;
  eject: boolean;
  /** Environment for cdrdao (tests steer the fake cdrdao). @defaultValue process.env */
  cdrdaoEnv?: NodeJS.ProcessEnv;
  /** Keep the rendered WAVs and TOC after the burn (debugging). @defaultValue false */
  keepFiles?: boolean;
  logger: Logger;
  metrics?: Metrics;
}

/** Share of the whole burn each stage ends at (writing takes the rest). */
const STAGE_END = { planning: 5, rendering: 60, checking: 65 } as const;

/** Resolve a library-relative path; refuses anything that would leave the library. */
function insideLibrary(libraryDir: string, file: string): string {
  const root = path.resolve(libraryDir);
  const full = path.resolve(root, file);
  if (full !== root && full.startsWith(root + path.sep)) return full;
  throw new BurnError("burn_failed", `A track's file lies outside the library (${file}).`, file);
}

async function isrcOf(track: BurnTrack, file: string, ffprobePath: string, signal: AbortSignal) {
  if (track.isrc !== undefined) return track.isrc;
  try {
    const info = await probe(file, ffprobePath, signal);
    return info.tags.tsrc ?? info.tags.isrc;
  } catch {
    return undefined; // The ISRC is a nicety; the render step reports unreadable files properly.
  }
}

/** The BullMQ processor for the `burn` queue. Declares `(job, token, signal)` so cancelJob works. */
export function createBurnProcessor(deps: BurnProcessorDeps) {
  return async function processBurn(job: Job, _token?: string, signal?: AbortSignal): Promise<BurnReturn> {
    const burnId = job.id ?? "burn";
    const abort = signal ?? new AbortController().signal;
    const log = deps.logger.child({ burnId });
    const dir = path.join(deps.workDir, burnId);
    let last: BurnProgress = { stage: "planning", percent: 0 };
    let chain: Promise<unknown> = Promise.resolve();
    const report = (stage: BurnStage, percent: number, message?: string) => {
      const rounded = Math.max(0, Math.min(100, Math.floor(percent)));
      if (stage === last.stage && rounded === last.percent && message === last.message) return;
      last = { stage, percent: rounded, ...(message !== undefined ? { message } : {}) };
      const event = last;
      chain = chain
        .then(() => job.updateProgress(event))
        .catch((err: unknown) => log.debug({ err }, "progress lost"));
    };

    try {
      const data = burnJobDataSchema.parse(job.data);
      report("planning", 0, "Planning the disc");
      const result = assertBurnable(
        data.jobId,
        await readCollectionResult(deps.redis, deps.prefix, data.jobId),
      );
      const { plan } = planCollection(result, deps.capacitySectors);
      const disc = plan.discs[data.disc - 1];
      if (disc === undefined) {
        throw new BurnError(
          "burn_failed",
          `The plan for job ${data.jobId} has ${plan.discs.length} disc(s) now; there is no disc ${data.disc}.`,
          "",
        );
      }
      const device = data.device ?? deps.device;
      if (!DEVICE_PATTERN.test(device)) {
        throw new BurnError("burn_no_drive", `"${device}" is not a device path like /dev/sr0.`, device);
      }
      report("planning", 0, `Checking the CD writer at ${device}`);
      await checkDrive(device, {
        cdrdaoPath: deps.cdrdaoPath,
        driver: deps.driver,
        signal: abort,
        ...(deps.cdrdaoEnv ? { env: deps.cdrdaoEnv } : {}),
      });
      const inputs = disc.tracks.map((entry) => ({
        path: insideLibrary(deps.libraryDir, entry.track.file),
        track: entry.track,
      }));
      const isrcs = await Promise.all(inputs.map((i) => isrcOf(i.track, i.path, deps.ffprobePath, abort)));
      report("planning", STAGE_END.planning, `Disc ${data.disc}: ${inputs.length} tracks`);

      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const rendered = await renderDisc(inputs, dir, {
        ffmpegPath: deps.ffmpegPath,
        loudnessTarget: deps.loudnessTarget,
        truePeak: deps.truePeak,
        discGain: deps.discGain,
        signal: abort,
        onProgress: (p) =>
          report(
            "rendering",
            STAGE_END.planning + p.fraction * (STAGE_END.rendering - STAGE_END.planning),
            `${p.phase === "measure" ? "Measuring" : "Rendering"} track ${p.index + 1} of ${p.total}`,
          ),
      });

      report("checking", STAGE_END.rendering, "Checking the disc layout with cdrdao");
      const tocPath = path.join(dir, "disc.toc");
      const toc = writeToc(
        {
          tracks: rendered.tracks.map((t, i) => ({
            path: path.basename(t.wavPath),
            title: t.track.title,
            performer: t.track.artists.join(", "),
            ...(isrcs[i] !== undefined ? { isrc: isrcs[i] } : {}),
          })),
        },
        {
          title: result.title,
          performer: result.subtitle ?? "",
          ...(result.upc !== undefined ? { catalog: result.upc } : {}),
        },
      );
      await writeFile(tocPath, toc);
      const cdrdao = {
        cdrdaoPath: deps.cdrdaoPath,
        signal: abort,
        ...(deps.cdrdaoEnv ? { env: deps.cdrdaoEnv } : {}),
      };
      const check = await checkToc(tocPath, cdrdao);
      if (check.discSectors > deps.capacitySectors) {
        throw new BurnError(
          "burn_disc_too_small",
          `The rendered disc needs ${check.discSectors} sectors but a blank holds ${deps.capacitySectors}.`,
          check.summary,
        );
      }
      report("checking", STAGE_END.checking, check.summary);

      const verb = data.simulate ? "Simulating" : "Writing";
      report("writing", STAGE_END.checking, `${verb} on ${device}`);
      const span = 100 - STAGE_END.checking;
      await burnToc(tocPath, {
        ...cdrdao,
        device,
        driver: deps.driver,
        speed: deps.speed,
        eject: deps.eject,
        simulate: data.simulate,
        onProgress: (event) => {
          if (event.type === "progress") {
            // 99 at most: 100 is said only once cdrdao has confirmed the disc.
            report(
              "writing",
              Math.min(99, STAGE_END.checking + (event.percent * span) / 100),
              `${verb}: ${event.wroteMb} of ${event.totalMb} MB`,
            );
          } else if (event.type === "track") {
            report("writing", last.percent, `${verb} track ${event.track} of ${rendered.tracks.length}`);
          } else if (event.type === "warning") {
            log.warn({ cdrdao: event.message }, "cdrdao warning");
          }
        },
      });

      report("done", 100, data.simulate ? "Simulation finished: the disc would burn fine" : "Disc written");
      await chain;
      deps.metrics?.burns.inc({ outcome: data.simulate ? "simulated" : "done" });
      log.info(
        { jobId: data.jobId, disc: data.disc, simulate: data.simulate, sectors: check.discSectors },
        "burn finished",
      );
      return {
        simulate: data.simulate,
        tracks: check.tracks,
        discSectors: check.discSectors,
        seconds: check.seconds,
        summary: check.summary,
      };
    } catch (err) {
      const code = isUserFacing(err) ? err.code : "burn_error";
      const message = isUserFacing(err)
        ? err.userMessage
        : "Burning failed because of an internal error; the burner's log has the details.";
      log.warn({ err, code, ...(err instanceof BurnError ? { detail: err.detail } : {}) }, "burn failed");
      deps.metrics?.burns.inc({ outcome: code });
      last = { stage: "failed", percent: last.percent, message, code };
      const failure = last;
      chain = chain.then(() => job.updateProgress(failure)).catch(() => undefined);
      await chain;
      throw new UnrecoverableError(message);
    } finally {
      if (!deps.keepFiles) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  };
}

export interface BurnerDeps {
  config: Config;
  redisUrl: string;
  logger: Logger;
  metrics?: Metrics;
  /** Environment for cdrdao. @defaultValue process.env */
  cdrdaoEnv?: NodeJS.ProcessEnv;
}

export interface Burner {
  /** Stop taking burns; wait for a running one until the deadline, then close connections. Idempotent. */
  close(deadlineMs?: number): Promise<void>;
}

/** Run the burner: a worker on the `burn` queue with concurrency 1 (one drive). */
export function startBurner(deps: BurnerDeps): Burner {
  const { config, logger } = deps;
  const client = createRedis({ url: deps.redisUrl }, "client");
  const workerConnection = createRedis({ url: deps.redisUrl }, "worker");
  for (const c of [client, workerConnection])
    c.on("error", (err) => logger.debug({ err }, "redis connection error"));
  const processor = createBurnProcessor({
    redis: client,
    prefix: config.redis.prefix,
    libraryDir: dataPaths(config).libraryDir,
    workDir: path.join(config.dataDir, "burn"),
    capacitySectors: config.burn.capacitySectors,
    ffmpegPath: config.download.ffmpegPath,
    ffprobePath: config.download.ffprobePath,
    loudnessTarget: config.burn.loudnessTarget,
    truePeak: config.burn.truePeak,
    discGain: config.burn.discGain,
    cdrdaoPath: config.burn.cdrdaoPath,
    device: config.burn.device,
    driver: config.burn.driver,
    speed: config.burn.speed,
    eject: config.burn.eject,
    ...(deps.cdrdaoEnv ? { cdrdaoEnv: deps.cdrdaoEnv } : {}),
    logger: logger.child({ role: "burner" }),
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  // Tracks collected on other machines are fetched into this library first (burn-files.ts).
  const worker = new Worker(QUEUE_BURN, localizingBurns(processor, { config, redis: client, logger }), {
    connection: workerConnection,
    prefix: config.redis.prefix,
    concurrency: 1,
  });
  worker.on("error", (err) => logger.warn({ err }, "burn worker error"));
  let closing: Promise<void> | undefined;
  return {
    close(deadlineMs = config.shutdownDeadlineSeconds * 1000) {
      closing ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<"late">((resolve) => {
          timer = setTimeout(() => resolve("late"), deadlineMs);
        });
        try {
          const closed = worker.close();
          if ((await Promise.race([closed.then(() => "closed" as const), deadline])) === "late") {
            // Aborting kills cdrdao's process group; the disc is lost either way once we go down.
            logger.warn("a burn was still running at shutdown; stopping it");
            worker.cancelAllJobs("shutdown");
            await closed;
          }
        } catch (err) {
          logger.warn({ err }, "closing the burn worker failed");
        } finally {
          clearTimeout(timer);
          for (const c of [workerConnection, client]) c.disconnect();
        }
      })();
      return closing;
    },
  };
}
