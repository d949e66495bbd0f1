/**
 * The composition root: one process running the pieces of a role (bot, worker, burner, or all of them),
 * the HTTP API in every role, and an ordered, deadline-bounded shutdown. This is the only place that
 * wires `src/core` to `src/bots`.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { createBot, type TelegramBot } from "../bots/telegram/index.js";
import { createBurnService, type BurnService } from "../core/burn/burn-service.js";
import { startBurner, type Burner } from "../core/burn/burn-processor.js";
import type { Config, Role } from "../core/config/schema.js";
import {
  createHttpApp,
  createLinkSigner,
  createReadiness,
  downloadUrl,
  programCheck,
  redisCheck,
  type HealthCheck,
} from "../core/http/index.js";
import { progressBroker, type ProgressSubscription } from "../core/jobs/progress-broker.js";
import { dataPaths, startWorkers, type WorkerRuntime, type WorkerRuntimeDeps } from "../core/jobs/workers.js";
import { sharedLinkSecret } from "../core/http/link-signer.js";
import { openPeerFiles } from "../core/media/peer-files.js";
import { createTrackCache } from "../core/media/track-cache.js";
import { createMetrics, type Metrics } from "../core/metrics.js";
import { createMediaServices } from "../core/services.js";
import { createShutdown, type Shutdown } from "../core/shutdown.js";
import { makeDataPrivate } from "../core/config/data-paths.js";
import { createKeys } from "../core/jobs/keys.js";
import { createOperatorNotices } from "../core/operator-notices.js";
import { createServicePauses } from "../core/service-pauses.js";
import { startNoticeRelay, type NoticeRelay } from "../bots/telegram/notice-relay.js";
import type { BotTuning } from "../bots/telegram/index.js";
import { openCore, type CoreRuntime } from "./core-runtime.js";

export interface ServiceOptions {
  config: Config;
  role: Role;
  logger: Logger;
  version: string;
  metrics?: Metrics;
  /**
   * The shutdown to register with, when the caller installed its signal handlers before start-up (the
   * CLI does: a SIGTERM while starting then stops what was started). @defaultValue a new one
   */
  shutdown?: Shutdown;
  /** Tests and the demo shorten BullMQ's lock times and the bot's pacing. */
  workerOptions?: WorkerRuntimeDeps["workerOptions"];
  botTuning?: BotTuning;
}

export interface Service {
  role: Role;
  core: CoreRuntime;
  metrics: Metrics;
  /** `http://host:port` when the HTTP API is on. */
  httpUrl?: string;
  http?: FastifyInstance;
  bot?: TelegramBot;
  workers?: WorkerRuntime;
  shutdown: Shutdown;
}

/** Raised by start-up when a shutdown was asked for while it was starting. */
export class StartInterrupted extends Error {
  override readonly name = "StartInterrupted";
  constructor() {
    super("stopped during start-up");
  }
}

/**
 * How long the closing steps after the drain (progress events, HTTP API, queues, Redis, logs) are kept
 * for: the drain gets the rest of the deadline.
 */
function closingReserveMs(deadlineMs: number): number {
  return Math.min(3000, Math.round(deadlineMs / 4));
}

/** Start everything `role` runs. On failure, whatever was started is stopped again. */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { config, role, logger, version } = options;
  const metrics = options.metrics ?? createMetrics();
  const runsBot = role === "bot" || role === "all";
  const runsWorkers = role === "worker" || role === "all";
  const runsBurner = role === "burner" || role === "all";
  const deadlineMs = config.shutdownDeadlineSeconds * 1000;
  const shutdown = options.shutdown ?? createShutdown({ deadlineMs, logger });
  /** Between pieces: a shutdown asked for during start-up stops starting (the catch below cleans up). */
  const checkpoint = () => {
    if (shutdown.requested) throw new StartInterrupted();
  };
  // Before any child process (the embedded redis-server) starts: they inherit the umask.
  makeDataPrivate(config);
  // Steps are registered in shutdown order as pieces start; a failed start runs what exists so far.
  const late: { name: string; run: () => Promise<void> }[] = [];

  checkpoint();
  const core = await openCore(config, logger);
  late.push({ name: "close redis", run: () => core.close() });
  let bot: TelegramBot | undefined;
  let workers: WorkerRuntime | undefined;
  let burner: Burner | undefined;
  let burnService: BurnService | undefined;
  let progress: ProgressSubscription | undefined;
  let http: FastifyInstance | undefined;
  let noticeRelay: NoticeRelay | undefined;
  let httpUrl: string | undefined;
  const keys = createKeys(config.redis.prefix);
  // One connection for the outside world's memory: pauses, notices and the notice relay's cursor.
  const outside = core.connect("client");
  const pauses = createServicePauses(outside, keys);
  const notices = createOperatorNotices({ redis: outside, keys, logger, metrics });

  try {
    checkpoint();
    const services =
      runsBot || runsWorkers ? createMediaServices(config, logger, { pauses, notices }) : undefined;
    const { libraryDir, tmpDir } = dataPaths(config);

    if (runsWorkers && services) {
      workers = await startWorkers({
        config,
        redisUrl: core.redisUrl,
        logger,
        metrics,
        ...services,
        ...(options.workerOptions ? { workerOptions: options.workerOptions } : {}),
      });
    }
    checkpoint();
    if (runsBurner) burner = startBurner({ config, redisUrl: core.redisUrl, logger, metrics });
    burnService = createBurnService({
      connection: core.connect("client"),
      prefix: config.redis.prefix,
      capacitySectors: config.burn.capacitySectors,
      keepHours: config.jobs.keepHours,
    });

    // One signing key for every machine (the environment's, or the one kept in Redis).
    const signer = createLinkSigner({
      secret: await sharedLinkSecret(config, outside, keys.linkSecret),
      ttlHours: config.http.linkTtlHours,
    });
    // The files this process's machine holds, served to the other roles, and theirs fetched from them.
    const peers = await openPeerFiles({ config, redis: outside, keys, logger });
    if (runsBot && services) {
      mkdirSync(path.join(tmpDir, "telegram"), { recursive: true });
      progress = await progressBroker.subscribe({
        connection: core.connect("events"),
        prefix: config.redis.prefix,
      });
      bot = createBot({
        config: { telegram: config.telegram, jobs: config.jobs, download: config.download },
        jobs: core.jobs,
        progress,
        catalog: services.catalog,
        trackCache: createTrackCache(core.connect("client"), {
          prefix: keys.trackCachePrefix,
          ...(peers.self !== undefined ? { holder: peers.self } : {}),
        }),
        files: peers,
        linkFor: (jobId) => {
          const now = Date.now();
          const url = config.http.enabled
            ? downloadUrl(config.http.publicBaseUrl, signer.sign(jobId, now))
            : undefined;
          return url !== undefined ? { url, expiresAt: signer.expiresAt(now) } : undefined;
        },
        metrics,
        logger,
        version,
        libraryDir,
        tmpDir: path.join(tmpDir, "telegram"),
        // Deliveries Telegram asked us to hold back wait in Redis, so a restart does not lose them.
        outbox: { connection: core.connect("client"), prefix: config.redis.prefix },
        settings: { storage: outside, prefix: config.redis.prefix },
        // An admin's /burn, and every burn's progress: in the chat it was pressed in, else burn.adminChatId.
        burn: {
          service: burnService,
          events: core.connect("events"),
          prefix: config.redis.prefix,
          adminChatId: config.burn.adminChatId,
        },
        ...(options.botTuning ? { tuning: options.botTuning } : {}),
      });
    }

    if (config.http.enabled) {
      const health: Record<string, HealthCheck> = { redis: redisCheck(core.connect("client")) };
      if (runsWorkers) {
        health.ffmpeg = programCheck(config.download.ffmpegPath);
        health["yt-dlp"] = programCheck(config.download.ytDlpPath, ["--version"]);
      }
      // Only a dedicated burner is unhealthy without cdrdao: role all (the image's default, built without
      // cdrdao unless WITH_CDRDAO=true) still collects music, and a burn says "cdrdao is not installed".
      if (options.role === "burner") health.cdrdao = programCheck(config.burn.cdrdaoPath, []);
      const running: Record<string, () => boolean> = {};
      if (workers) running.workers = () => workers?.running() ?? false;
      if (bot) running["bot polling"] = () => bot?.isRunning() ?? false;
      http = createHttpApp({
        config,
        logger,
        metrics,
        pauses,
        health: { checks: health },
        ready: createReadiness({
          connections: { redis: core.connect("client") },
          running,
          depth: () => core.jobs.depth(),
          maxQueueDepth: config.http.readyMaxQueueDepth,
        }),
        jobs: core.jobs,
        burn: burnService,
        linkSigner: signer,
        peers,
        version,
      });
      if (bot && config.telegram.mode === "webhook") http.post("/telegram/webhook", bot.webhookHandler);
      await http.ready();
      httpUrl = await http.listen({ host: config.http.host, port: config.http.port });
    }
    checkpoint();
    if (bot) {
      await bot.start();
      const telegram = bot;
      if (config.telegram.adminUserIds.length > 0) {
        noticeRelay = startNoticeRelay({
          notices,
          blocking: core.connect("events"),
          client: outside,
          cursorKey: keys.noticesCursor,
          chatIds: config.telegram.adminUserIds,
          send: (chatId, text) => telegram.bot.api.sendMessage(chatId, text),
          logger,
        });
      }
    }
    checkpoint();
  } catch (err) {
    if (err instanceof StartInterrupted)
      logger.info("shutdown asked for during start-up; stopping what was started");
    else logger.error({ err }, "start failed; stopping what was started");
    await noticeRelay?.close().catch(() => undefined);
    await bot?.stop().catch(() => undefined);
    await http?.close().catch(() => undefined);
    await workers?.close(2000).catch(() => undefined);
    await burner?.close(2000).catch(() => undefined);
    await progress?.close().catch(() => undefined);
    await burnService?.close().catch(() => undefined);
    for (const step of late) await step.run().catch(() => undefined);
    throw err;
  }

  // Shutdown order: stop intake, drain work, close the API, close queues and Redis, flush logs.
  if (noticeRelay) shutdown.add("stop operator notices", () => noticeRelay.close());
  // The bot stops while the workers drain (they share nothing but Redis): a slow stop of the bot must
  // not eat the drain's time. The drain gets what is left of the deadline but the closing steps' reserve,
  // counted when the shutdown runs, so running tracks are stopped and their partial files removed in time.
  const reserveMs = closingReserveMs(deadlineMs);
  const drainMs = () => Math.max(0, shutdown.remainingMs() - reserveMs);
  shutdown.add("stop the bot and drain work", async () => {
    // All of them end before Redis closes, even when one fails.
    const ends = await Promise.allSettled([bot?.stop(), workers?.close(drainMs()), burner?.close(drainMs())]);
    const failed = ends.find((e): e is PromiseRejectedResult => e.status === "rejected");
    if (failed) throw failed.reason;
  });
  if (progress) shutdown.add("close progress events", () => progress.close());
  if (http) {
    shutdown.add("close the HTTP API", async () => {
      // A client that keeps a download open must not hold the shutdown: cut what is left soon.
      const cut = setTimeout(() => http.server.closeAllConnections(), Math.min(3000, reserveMs / 2));
      await http.close();
      clearTimeout(cut);
    });
  }
  shutdown.add("close the burn queue", () => burnService?.close() ?? Promise.resolve());
  for (const step of late) shutdown.add(step.name, step.run);
  shutdown.add("flush logs", () => new Promise<void>((resolve) => logger.flush(() => resolve())));

  logger.info({ role, version, http: httpUrl }, "cd-collector started");
  return {
    role,
    core,
    metrics,
    shutdown,
    ...(httpUrl ? { httpUrl } : {}),
    ...(http ? { http } : {}),
    ...(bot ? { bot } : {}),
    ...(workers ? { workers } : {}),
  };
}
