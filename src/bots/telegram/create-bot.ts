/**
 * createBot(deps): the grammY bot with its middlewares, features, outgoing pacing and progress relay.
 *
 * Update path: in-flight tracking -> log context -> flood guard -> /whoami (answers anyone) ->
 * allowlist -> sequentialize(chat) -> error boundary around the features.
 * Outgoing calls: auto-retry (capped) -> per-chat and global pacing -> error counting -> HTTP.
 * Deliveries go through a per-chat outbox (delivery.ts): a send auto-retry gives up on is re-scheduled.
 * Long polling (long-polling.ts) retries its own getUpdates: a 409 from a second poller with the same
 * token is logged once and waited out, never the end of the process.
 */
import { autoRetry } from "@grammyjs/auto-retry";
import { sequentialize } from "@grammyjs/runner";
import { Bot, GrammyError, webhookCallback, type Transformer } from "grammy";
import type { PeerFiles } from "../../core/media/peer-files.js";
import { UserFacingError } from "../../core/errors.js";
import type { Redis } from "ioredis";
import { createApiErrorCounter } from "./api-error-counter.js";
import { createApiPacer } from "./api-pacer.js";
import { apiTimeout } from "./api-timeout.js";
import { syncCommands } from "./bot-commands.js";
import type { BotContext, BotDeps } from "./context.js";
import { createDelivery, defaultTmpDir } from "./delivery.js";
import { createMemoryOutboxStore, createRedisOutboxStore } from "./delivery-outbox.js";
import { startBurnRelay, type BurnRelay } from "../../core/burn/burn-relay.js";
import type { BurnService } from "../../core/burn/burn-service.js";
import { burnFeature } from "./features/burn.js";
import { cancelFeature } from "./features/cancel.js";
import { settingsFeature } from "./features/settings.js";
import {
  createPersonSettings,
  memoryStorage,
  settingsOffer,
  type SettingsStorage,
} from "../../core/jobs/person-settings.js";
import { downloadFeature } from "./features/download.js";
import { fallbackFeature } from "./features/fallback.js";
import type { FeatureDeps } from "./features/feature-deps.js";
import { helpFeature } from "./features/help.js";
import { statusFeature } from "./features/status.js";
import { whoamiFeature } from "./features/whoami.js";
import { allowlist } from "./middlewares/allowlist.js";
import { handleBotError } from "./error-boundary.js";
import { floodGuard } from "./middlewares/flood-guard.js";
import { createInFlight } from "./middlewares/in-flight.js";
import { updateLogger } from "./middlewares/update-logger.js";
import { startLongPolling, type LongPolling } from "./long-polling.js";
import { createProgressRelay, type ProgressRelay } from "./progress-relay.js";
import { fixFeature } from "./features/fix.js";
import { createTrackResults } from "../../core/jobs/track-results.js";
import { createKeys } from "../../core/jobs/keys.js";
import { createTokenBucket } from "./token-bucket.js";

/** Updates the bot asks Telegram for. */
export const allowedUpdates = ["message", "callback_query"] as const;

type FastifyWebhookHandler = ReturnType<typeof webhookCallback<BotContext, "fastify">>;

/** What createBot needs beyond {@link BotDeps}. */
export interface TelegramBotDeps extends BotDeps {
  /**
   * Where the delivery outbox keeps sends that wait for Telegram: a Redis connection (a "client" one)
   * and the service's key prefix, so they outlive a restart. Without it the outbox is kept in memory.
   */
  outbox?: { connection: Redis; prefix: string };
  /** First pause after Telegram kept answering 5xx to a delivery (ms). @defaultValue 30000 */
  deliveryServerErrorDelayMs?: number;
  /**
   * Track files the workers hold on other machines (peer-files.ts), fetched before they are sent.
   * @defaultValue only this machine's library
   */
  files?: Pick<PeerFiles, "ensureLocal">;
  /** Where each person's /settings are kept (a Redis connection) and the key prefix. Without it: in memory. */
  settings?: { storage: SettingsStorage; prefix: string };
  /**
   * The burn queue, for an admin's /burn and burn progress in the chat (features/burn.ts): progress of
   * a burn pressed in a chat goes there, of any other burn to `adminChatId` (0: nowhere). `events` is a
   * connection that may block (the relay's QueueEvents), closed by the caller. Without it /burn says
   * burning is not set up.
   */
  burn?: { service: BurnService; events: Redis; prefix: string; adminChatId: number };
}

/** A running (or startable) Telegram bot. */
export interface TelegramBot {
  readonly bot: Bot<BotContext>;
  readonly relay: ProgressRelay;
  /**
   * Starts the bot: getMe, the command menu (only when it changed), the delivery outbox (chats whose
   * sends wait), the progress relay (picking up the relays stored in the job store and delivering
   * finished jobs that were not delivered), then long polling, or in webhook mode setWebhook with the
   * configured secret and allowed updates, at every start: getWebhookInfo does not show the secret, so
   * only setting it again keeps a rotated secret in force.
   */
  start(): Promise<void>;
  /**
   * Stops polling, waits for running handlers and deliveries (aborting them after `stopTimeoutMs`),
   * detaches from the progress subscription (which stays open for its owner). Idempotent.
   */
  stop(): Promise<void>;
  /** True while updates are being received: long polling runs, or (webhook mode) the bot has started. */
  isRunning(): boolean;
  /** Picks up stored relays now; returns how many were resumed. */
  deliverPending(): Promise<number>;
  /** For webhook mode: mount with Fastify, e.g. `app.post("/telegram/webhook", tg.webhookHandler)`. Checks the secret token. */
  readonly webhookHandler: FastifyWebhookHandler;
}

export function createBot(deps: TelegramBotDeps): TelegramBot {
  const t = deps.config.telegram;
  const tuning = deps.tuning ?? {};
  const logger = deps.logger.child({ component: "telegram" });
  const bot = new Bot<BotContext>(t.token, { client: { apiRoot: t.apiRoot } });

  // Installed innermost first: each raw answer is counted, each attempt is paced, auto-retry wraps both.
  const pacer = createApiPacer({
    ...(tuning.perChatMinTimeMs !== undefined ? { perChatMinTimeMs: tuning.perChatMinTimeMs } : {}),
    ...(tuning.groupMinTimeMs !== undefined ? { groupMinTimeMs: tuning.groupMinTimeMs } : {}),
    ...(tuning.globalPerSecond !== undefined ? { globalPerSecond: tuning.globalPerSecond } : {}),
    ...(tuning.pacerPriorities !== undefined ? { priorities: tuning.pacerPriorities } : {}),
  });
  bot.api.config.use(
    apiTimeout({
      ...(tuning.apiCallTimeoutMs !== undefined ? { callTimeoutMs: tuning.apiCallTimeoutMs } : {}),
      ...(tuning.apiUploadTimeoutMs !== undefined ? { uploadTimeoutMs: tuning.apiUploadTimeoutMs } : {}),
    }),
  );
  bot.api.config.use(createApiErrorCounter(deps.metrics));
  bot.api.config.use(pacer.transformer);
  const retry = autoRetry({
    maxDelaySeconds: tuning.maxRetryDelaySeconds ?? 60,
    maxRetryAttempts: tuning.maxRetryAttempts ?? 5,
  });
  // getUpdates is retried by the long polling itself, which logs, counts and can be stopped mid-wait.
  const retryButPolls: Transformer = (prev, method, payload, signal) =>
    method === "getUpdates" ? prev(method, payload, signal) : retry(prev, method, payload, signal);
  bot.api.config.use(retryButPolls);

  const inFlight = createInFlight<BotContext>();
  const lifetime = new AbortController();
  const delivery = createDelivery({
    api: bot.api,
    trackCache: deps.trackCache,
    linkFor: (jobId) => deps.linkFor(jobId),
    metrics: deps.metrics,
    libraryDir: deps.libraryDir,
    ...(deps.files ? { files: deps.files } : {}),
    ffmpegPath: deps.config.download.ffmpegPath,
    tmpDir: deps.tmpDir ?? defaultTmpDir(),
    botKey: deps.botKey ?? (t.token.split(":")[0] || "default"),
    uploadLimitMb: t.uploadLimitMb,
    sendAudio: t.sendAudio,
    doubtfulBelow: t.doubtfulBelow,
    // Tracks ready within one edit interval of each other go together as an album.
    gatherMs: t.editIntervalSeconds * 1000,
    outbox:
      deps.outbox !== undefined
        ? createRedisOutboxStore(deps.outbox.connection, deps.outbox.prefix)
        : createMemoryOutboxStore(),
    logger,
    signal: lifetime.signal,
    track: (work) => inFlight.track(work),
    ...(deps.deliveryServerErrorDelayMs !== undefined
      ? { serverErrorDelayMs: deps.deliveryServerErrorDelayMs }
      : {}),
  });
  const relay = createProgressRelay({
    api: bot.api,
    jobs: deps.jobs,
    progress: deps.progress,
    delivery,
    // Tracks go to the chat as they end when the bot shares Redis with the workers.
    ...(deps.outbox !== undefined
      ? { trackResults: createTrackResults(deps.outbox.connection, createKeys(deps.outbox.prefix)) }
      : {}),
    logger,
    editIntervalMs: t.editIntervalSeconds * 1000,
    reconcileIntervalMs: tuning.reconcileIntervalMs ?? 15_000,
    signal: lifetime.signal,
    track: (work) => inFlight.track(work),
  });
  const features: FeatureDeps = {
    config: deps.config,
    jobs: deps.jobs,
    catalog: deps.catalog,
    relay,
    downloads: createTokenBucket({
      capacity: t.downloadsCapacity,
      refillMs: t.downloadsRefillSeconds * 1000,
    }),
    metrics: deps.metrics,
    version: deps.version,
    settings: createPersonSettings(deps.settings?.storage ?? memoryStorage(), {
      prefix: deps.settings?.prefix ?? "cdc",
      offer: settingsOffer(deps.config),
    }),
  };

  const burns = burnFeature({
    jobs: deps.jobs,
    metrics: deps.metrics,
    api: bot.api,
    adminChatId: deps.burn?.adminChatId ?? 0,
    ...(deps.burn ? { burn: deps.burn.service } : {}),
  });
  let burnRelay: BurnRelay | undefined;

  bot.use(inFlight.middleware);
  bot.use(updateLogger(logger));
  bot.use(
    floodGuard({ messages: t.floodMessages, windowSeconds: t.floodWindowSeconds, metrics: deps.metrics }),
  );
  bot.use(whoamiFeature(deps));
  bot.use(
    allowlist({
      allowedUserIds: t.allowedUserIds,
      adminUserIds: t.adminUserIds,
      metrics: deps.metrics,
      refusalCooldownMs: tuning.refusalCooldownMs ?? 60_000,
    }),
  );
  bot.use(sequentialize((ctx: BotContext) => ctx.chat?.id.toString()));
  bot.errorBoundary(
    (err) => handleBotError(err, deps),
    helpFeature(features),
    downloadFeature(features),
    statusFeature(features),
    settingsFeature(features),
    burns.composer,
    fixFeature(features),
    cancelFeature(features),
    fallbackFeature(),
  );
  bot.catch((err) =>
    logger.error({ err: err.error, updateId: err.ctx.update.update_id }, "unhandled bot error"),
  );

  const webhookHandler = webhookCallback(bot, "fastify", {
    ...(t.webhookSecret !== "" ? { secretToken: t.webhookSecret } : {}),
    onTimeout: "return",
    timeoutMilliseconds: 9_000,
  });

  let polling: LongPolling | undefined;
  let starting: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  return {
    bot,
    relay,
    webhookHandler,
    deliverPending: () => relay.resume(),
    isRunning: () =>
      stopping === undefined && (t.mode === "webhook" ? bot.isInited() : polling?.isRunning() === true),

    start() {
      if (stopping !== undefined) return Promise.reject(new Error("this bot was stopped; create a new one"));
      starting ??= (async () => {
        await bot.init().catch((err: unknown) => {
          if (err instanceof GrammyError && err.error_code === 401)
            throw new UserFacingError(
              "telegram_token_refused",
              "Telegram refuses the bot token (401 Unauthorized): it was revoked or mistyped. Get the current token from @BotFather (/token) and put it in TELEGRAM_BOT_TOKEN.",
              { cause: err },
            );
          throw err;
        });
        await syncCommands(bot.api, t.adminUserIds).catch((err: unknown) =>
          logger.warn({ err }, "could not set the command menu"),
        );
        const waiting = await delivery.resume();
        if (waiting > 0) logger.info({ chats: waiting }, "resumed queued deliveries");
        relay.start();
        if (deps.burn) {
          burnRelay = await startBurnRelay({
            notifier: burns.notifier,
            connection: deps.burn.events,
            prefix: deps.burn.prefix,
            logger,
          });
        }
        const resumed = await relay.resume();
        if (resumed > 0) logger.info({ resumed }, "resumed progress relays");
        if (t.mode === "webhook") {
          // Always, whatever getWebhookInfo says: it does not return the secret, so an unchanged URL
          // says nothing about whether Telegram still sends the old one.
          if (t.webhookUrl !== "") {
            await bot.api.setWebhook(t.webhookUrl, {
              allowed_updates: [...allowedUpdates],
              ...(t.webhookSecret !== "" ? { secret_token: t.webhookSecret } : {}),
            });
          }
        } else {
          const webhook = await bot.api.getWebhookInfo();
          if (webhook.url !== "") await bot.api.deleteWebhook();
          polling = startLongPolling({ bot, allowedUpdates, logger, metrics: deps.metrics });
        }
        logger.info({ mode: t.mode, username: bot.botInfo.username }, "telegram bot started");
      })();
      return starting;
    },

    stop() {
      stopping ??= (async () => {
        await starting?.catch(() => undefined);
        // First, and at once: the pending long poll is aborted, not waited out.
        await polling?.stop();
        relay.stop();
        await burnRelay
          ?.close()
          .catch((err: unknown) => logger.warn({ err }, "closing the burn relay failed"));
        delivery.stop();
        const timeoutMs = tuning.stopTimeoutMs ?? 15_000;
        if (!(await settlesWithin(inFlight.idle(), timeoutMs))) {
          logger.warn({ running: inFlight.count }, "stop: giving up on running handlers and deliveries");
          lifetime.abort();
          await settlesWithin(inFlight.idle(), 2_000);
        }
        await pacer.stop();
        logger.info("telegram bot stopped");
      })();
      return stopping;
    },
  };
}

function settlesWithin(work: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void work.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
