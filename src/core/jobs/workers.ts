/**
 * The worker role: BullMQ workers for collections and tracks with everything they need, and a close()
 * that drains within a deadline (running tracks finish, or go back to the queue without losing an
 * attempt) and then closes every connection it opened.
 */
import os from "node:os";
import { Queue, Worker, type WorkerOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { dataPaths } from "../config/data-paths.js";
import type { Config } from "../config/schema.js";
import type { CandidateSource } from "../matching/types.js";
import { createLyricsClient } from "../media/lyrics.js";
import { openPeerFiles } from "../media/peer-files.js";
import { createTrackCache } from "../media/track-cache.js";
import { createYouTubeGate } from "../media/youtube-gate.js";
import { createOperatorNotices } from "../operator-notices.js";
import { createServicePauses } from "../service-pauses.js";
import type { YtDlp } from "../media/yt-dlp.js";
import type { Metrics } from "../metrics.js";
import { createRedis } from "../redis.js";
import type { Catalog } from "../spotify/catalog.js";
import { createCancelBus } from "./cancel-bus.js";
import { createCollectionProcessor, keptFailingReason } from "./collection-processor.js";
import { createJobRecords, endedWithoutTracks } from "./job-record.js";
import { createPackageStore } from "./package-store.js";
import { collectionJobDataSchema, trackJobDataSchema } from "./schemas.js";
import { createKeys, QUEUE_COLLECTIONS, QUEUE_TRACKS } from "./keys.js";
import { createMatchOverrides } from "./match-overrides.js";
import { createProgressAggregator } from "./progress-aggregator.js";
import { progressBroker } from "./progress-broker.js";
import { createTrackProcessor } from "./track-processor.js";
import { coverOrigins } from "../media/cover.js";

export interface WorkerRuntimeDeps {
  config: Config;
  redisUrl: string;
  catalog: Catalog;
  source: CandidateSource;
  ytDlp: YtDlp;
  logger: Logger;
  metrics?: Metrics;
  /** The YouTube budget's window (an hour; benchmarks shrink it to measure the rate). */
  youtubeBudgetWindowMs?: number;
  /** Override BullMQ worker settings (tests shorten lock and stall times). */
  workerOptions?: Partial<Pick<WorkerOptions, "lockDuration" | "stalledInterval" | "maxStalledCount">>;
}

export interface WorkerRuntime {
  /** True while both workers are running. */
  running(): boolean;
  /** Stop taking work; give running tracks until the deadline; then close everything. Idempotent. */
  close(deadlineMs?: number): Promise<void>;
}

/** Kept here too for the modules that found it here first; the definition is in config/data-paths.ts. */
export { dataPaths } from "../config/data-paths.js";

export async function startWorkers(deps: WorkerRuntimeDeps): Promise<WorkerRuntime> {
  const { config, logger } = deps;
  const prefix = config.redis.prefix;
  const keys = createKeys(prefix);
  const { libraryDir, tmpDir } = dataPaths(config);
  const connections: Redis[] = [];
  const open = (role: "worker" | "client") => {
    const connection = createRedis({ url: deps.redisUrl }, role);
    connection.on("error", (err) => logger.debug({ err }, "redis connection error"));
    connections.push(connection);
    return connection;
  };
  const client = open("client");
  const subscriber = open("worker");
  const collectionsQueue = new Queue(QUEUE_COLLECTIONS, { connection: open("worker"), prefix });
  const tracksQueue = new Queue(QUEUE_TRACKS, { connection: open("worker"), prefix });
  collectionsQueue.on("error", () => undefined);
  tracksQueue.on("error", () => undefined);
  // The global concurrency guard: max tracks downloading at once across every worker process.
  await tracksQueue.setGlobalConcurrency(config.jobs.maxActiveDownloads);

  const cancel = await createCancelBus({ subscriber, client, keys });
  const records = createJobRecords(client, keys, config.jobs.keepHours * 3600);
  const progress = createProgressAggregator({
    redis: client,
    keys,
    records,
    publisher: progressBroker.publisher(collectionsQueue),
  });
  let shuttingDown = false;
  const notices = createOperatorNotices({
    redis: client,
    keys,
    logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  const youtube = createYouTubeGate({
    redis: client,
    keys,
    pauses: createServicePauses(client, keys),
    notices,
    ...config.youtube,
    ...(deps.youtubeBudgetWindowMs ? { windowMs: deps.youtubeBudgetWindowMs } : {}),
  });

  // Files this worker writes name it as their holder; files other workers hold are fetched from them.
  const files = await openPeerFiles({ config, redis: client, keys, logger });
  const trackCache = createTrackCache(client, {
    prefix: keys.trackCachePrefix,
    ...(files.self !== undefined ? { holder: files.self } : {}),
  });
  // This role writes the packages, so it also deletes them: when their links expire, or over the budget.
  const packages = createPackageStore({
    redis: client,
    keys,
    config,
    logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  const sweepPackages = () => {
    packages.sweep().catch((err: unknown) => logger.warn({ err }, "package sweep failed"));
  };
  const sweepTimer = setInterval(sweepPackages, packages.sweepIntervalMs);
  sweepTimer.unref();
  sweepPackages();

  const processTrack = createTrackProcessor({
    youtube,
    cache: trackCache,
    source: deps.source,
    ytDlp: deps.ytDlp,
    match: {
      minConfidence: config.matching.minConfidence,
      maxDurationDeltaSeconds: config.matching.maxDurationDeltaSeconds,
    },
    libraryDir,
    files,
    tmpDir,
    ffmpegPath: config.download.ffmpegPath,
    ffprobePath: config.download.ffprobePath,
    bitrateKbps: config.download.bitrateKbps,
    coverMaxBytes: config.download.coverMaxBytes,
    coverOrigins: coverOrigins(config.spotify),
    trackTimeoutMs: config.download.trackTimeoutSeconds * 1000,
    durationToleranceSec: config.download.durationToleranceSeconds,
    cancel,
    progress,
    overrides: createMatchOverrides(client, keys),
    ...(config.lyrics.enabled
      ? {
          lyrics: createLyricsClient({
            baseUrl: config.lyrics.baseUrl,
            timeoutMs: config.lyrics.timeoutMs,
            logger,
          }),
        }
      : {}),
    logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    shuttingDown: () => shuttingDown,
  });
  const processCollection = createCollectionProcessor({
    ffmpegPath: config.download.ffmpegPath,
    ffprobePath: config.download.ffprobePath,
    catalog: deps.catalog,
    tracksQueue,
    collectionsQueue,
    cancel,
    progress,
    records,
    libraryDir,
    files,
    tmpDir,
    packages,
    trackCache,
    pathTemplate: config.download.pathTemplate,
    coverMaxBytes: config.download.coverMaxBytes,
    coverOrigins: coverOrigins(config.spotify),
    trackAttempts: config.jobs.trackAttempts,
    backoffSeconds: config.jobs.backoffSeconds,
    keepHours: config.jobs.keepHours,
    logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });

  const common = { prefix, ...deps.workerOptions };
  const trackWorker = new Worker(QUEUE_TRACKS, (job, token, signal) => processTrack(job, token, signal), {
    ...common,
    // Kept on each job as `processedBy`: which worker (machine and process) collected a track.
    name: `${os.hostname()}:${process.pid}`,
    connection: open("worker"),
    concurrency: config.jobs.workerConcurrency,
  });
  const collectionWorker = new Worker(
    QUEUE_COLLECTIONS,
    (job, token, signal) => processCollection(job, token, signal),
    {
      ...common,
      connection: open("worker"),
      concurrency: 4,
    },
  );
  for (const worker of [trackWorker, collectionWorker]) {
    worker.on("error", (err) => logger.warn({ err }, "worker error"));
    worker.on("failed", (job, err) => logger.warn({ err, jobId: job?.id }, "job attempt failed"));
  }
  // BullMQ gave up on a track (its last attempt threw): say so as for any ended track, so the chat does not
  // hold back the tracks after it until the whole collection ends, and the counts include it.
  trackWorker.on("failed", (job) => {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const data = trackJobDataSchema.safeParse(job.data);
    if (!data.success) return;
    const { collectionId, index, track } = data.data;
    void progress
      .trackFinished(collectionId, index, "failed", track, 0, {
        index,
        trackId: track.id,
        title: track.title,
        artists: track.artists,
        outcome: "failed",
        reason: keptFailingReason,
        warnings: [],
      })
      .catch((err: unknown) => logger.warn({ err, jobId: collectionId }, "could not record a failed track"));
  });
  // BullMQ gave up on a collection (its last attempt threw): record the end, so the person is told and
  // the job no longer counts as running.
  collectionWorker.on("failed", (job) => {
    if (!job?.id || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    const data = collectionJobDataSchema.safeParse(job.data);
    const title = (data.success ? data.data.title : undefined) ?? job.id;
    void records
      .finish(
        job.id,
        endedWithoutTracks("failed", title, {
          reason: "Something went wrong while collecting this; please try again later.",
        }),
      )
      .catch((err: unknown) => logger.warn({ err, jobId: job.id }, "could not record a failed collection"));
  });
  await Promise.all([trackWorker.waitUntilReady(), collectionWorker.waitUntilReady()]);
  logger.info(
    { concurrency: config.jobs.workerConcurrency, maxActiveDownloads: config.jobs.maxActiveDownloads },
    "workers started",
  );

  let closing: Promise<void> | undefined;
  return {
    running: () => !closing && trackWorker.isRunning() && collectionWorker.isRunning(),
    close(deadlineMs = config.shutdownDeadlineSeconds * 1000) {
      closing ??= (async () => {
        clearInterval(sweepTimer);
        const graceful = Promise.all([trackWorker.close(), collectionWorker.close()]);
        // The end of the deadline is kept for stopping: a stopped track's yt-dlp/ffmpeg get half a second
        // (the runner's kill grace), then the track removes its partial files (.part, temp transcode).
        const stopMs = Math.min(1000, deadlineMs / 2);
        let timer: NodeJS.Timeout | undefined;
        const inTime = await Promise.race([
          graceful.then(() => true),
          new Promise<boolean>(
            (resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadlineMs - stopMs))),
          ),
        ]);
        clearTimeout(timer);
        if (!inTime) {
          // Out of time: stop yt-dlp/ffmpeg and put the running tracks back on the queue.
          logger.warn("drain deadline reached: requeueing running tracks");
          shuttingDown = true;
          trackWorker.cancelAllJobs("shutdown");
          collectionWorker.cancelAllJobs("shutdown");
          await Promise.race([graceful, new Promise((r) => setTimeout(r, stopMs))]);
          await Promise.all([trackWorker.close(true), collectionWorker.close(true)]).catch(() => undefined);
        }
        await cancel.close();
        await Promise.all([collectionsQueue.close(), tracksQueue.close()]).catch(() => undefined);
        for (const connection of connections) connection.disconnect();
      })();
      return closing;
    },
  };
}
