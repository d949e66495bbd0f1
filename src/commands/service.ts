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
import { startBurnRelay, type BurnRelay } from "../core/burn/burn-relay.js";
import { createBurnService, type BurnService } from "../core/burn/burn-service.js";
import { startBurner, type Burner } from "../core/burn/burn-processor.js";
import type { Config, Role } from "../core/config/schema.js";
import {
  createHttpApp,
  createLinkSigner,
  createReadiness,
  downloadUrl,
  loadLinkSecret,
  programCheck,
  redisCheck,
  type HealthCheck,
} from "../core/http/index.js";
import { progressBroker, type ProgressSubscription } from "../core/jobs/progress-broker.js";
import { dataPaths, startWorkers, type WorkerRuntime, type WorkerRuntimeDeps } from "../core/jobs/workers.js";
import { createTrackCache } from "../core/media/track-cache.js";
import { createMetrics, type Metrics } from "../core/metrics.js";
import { createMediaServices } from "../core/services.js";
import { createShutdown, type Shutdown } from "../core/shutdown.js";
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

/** Start everything `role` runs. On failure, whatever was started is stopped again. */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { config, role, logger, version } = options;
  const metrics = options.metrics ?? createMetrics();
  const runsBot = role === "bot" || role === "all";
  const runsWorkers = role === "worker" || role === "all";
  const runsBurner = role === "burner" || role === "all";
  const shutdown = createShutdown({ deadlineMs: config.shutdownDeadlineSeconds * 1000, logger });
  // Steps are registered in shutdown order as pieces start; a failed start runs what exists so far.
  const late: { name: string; run: () => Promise<void> }[] = [];

  const core = await openCore(config, logger);
  late.push({ name: "close redis", run: () => core.close() });
  let bot: TelegramBot | undefined;
  let workers: WorkerRuntime | undefined;
  let burner: Burner | undefined;
  let burnService: BurnService | undefined;
  let progress: ProgressSubscription | undefined;
  let http: FastifyInstance | undefined;
  let burnRelay: BurnRelay | undefined;
  let noticeRelay: NoticeRelay | undefined;
  let httpUrl: string | undefined;
  const keys = createKeys(config.redis.prefix);
  // One connection for the outside world's memory: pauses, notices and the notice relay's cursor.
  const outside = core.connect("client");
  const pauses = createServicePauses(outside, keys);
  const notices = createOperatorNotices({ redis: outside, keys, logger, metrics });

  try {
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
    if (runsBurner) burner = startBurner({ config, redisUrl: core.redisUrl, logger, metrics });
    burnService = createBurnService({
      connection: core.connect("client"),
      prefix: config.redis.prefix,
      capacitySectors: config.burn.capacitySectors,
      keepHours: config.jobs.keepHours,
    });

    const signer = createLinkSigner({ secret: loadLinkSecret(config), ttlHours: config.http.linkTtlHours });
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
        trackCache: createTrackCache(core.connect("client"), { prefix: keys.trackCachePrefix }),
        linkFor: (jobId) =>
          config.http.enabled && config.http.publicBaseUrl
            ? downloadUrl(config.http.publicBaseUrl, signer.sign(jobId))
            : undefined,
        metrics,
        logger,
        version,
        libraryDir,
        tmpDir: path.join(tmpDir, "telegram"),
        // Deliveries Telegram asked us to hold back wait in Redis, so a restart does not lose them.
        outbox: { connection: core.connect("client"), prefix: config.redis.prefix },
        ...(options.botTuning ? { tuning: options.botTuning } : {}),
      });
    }

    if (config.http.enabled) {
      const health: Record<string, HealthCheck> = { redis: redisCheck(core.connect("client")) };
      if (runsWorkers) {
        health.ffmpeg = programCheck(config.download.ffmpegPath);
        health["yt-dlp"] = programCheck(config.download.ytDlpPath, ["--version"]);
      }
      if (runsBurner) health.cdrdao = programCheck(config.burn.cdrdaoPath, []);
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
        version,
      });
      if (bot && config.telegram.mode === "webhook") http.post("/telegram/webhook", bot.webhookHandler);
      await http.ready();
      httpUrl = await http.listen({ host: config.http.host, port: config.http.port });
    }
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
      const adminChat = config.burn.adminChatId;
      if (adminChat !== 0) {
        burnRelay = await startBurnRelay({
          notifier: {
            send: async (text) => (await telegram.bot.api.sendMessage(adminChat, text)).message_id,
            edit: async (messageId, text) => {
              await telegram.bot.api.editMessageText(adminChat, messageId, text);
            },
          },
          connection: core.connect("events"),
          prefix: config.redis.prefix,
          logger,
        });
      }
    }
  } catch (err) {
    logger.error({ err }, "start failed; stopping what was started");
    await burnRelay?.close().catch(() => undefined);
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
  if (burnRelay) shutdown.add("stop burn progress", () => burnRelay.close());
  if (noticeRelay) shutdown.add("stop operator notices", () => noticeRelay.close());
  if (bot) shutdown.add("stop the bot", () => bot.stop());
  if (workers) shutdown.add("drain workers", () => workers.close(config.shutdownDeadlineSeconds * 1000));
  if (burner) shutdown.add("stop the burner", () => burner.close(config.shutdownDeadlineSeconds * 1000));
  if (progress) shutdown.add("close progress events", () => progress.close());
  if (http) {
    shutdown.add("close the HTTP API", async () => {
      // A client that keeps a download open must not hold the shutdown: cut what is left after 3 s.
      const cut = setTimeout(() => http.server.closeAllConnections(), 3000);
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
