/**
 * A whole bot for tests: the pipeline (Spotify and audio emulators, real Redis, optional workers), the
 * Telegram emulator, a progress subscription, and createBot deps wired like production. Everything goes
 * over HTTP through real grammY.
 */
import type { Redis } from "ioredis";
import {
  createBot,
  type BotDeps,
  type BotTuning,
  type TelegramBot,
} from "../../../src/bots/telegram/index.js";
import type { Config } from "../../../src/core/config/schema.js";
import { subscribeProgress, type ProgressSubscription } from "../../../src/core/jobs/progress-broker.js";
import { dataPaths } from "../../../src/core/jobs/workers.js";
import { silentLogger } from "../../../src/core/log.js";
import { createTrackCache, type TrackCache } from "../../../src/core/media/track-cache.js";
import { createMetrics, type Metrics } from "../../../src/core/metrics.js";
import { createRedis } from "../../../src/core/redis.js";
import { createCatalog, catalogOptionsFromConfig } from "../../../src/core/spotify/index.js";
import {
  startTelegramEmulator,
  type EmulatorEvent,
  type TelegramEmulator,
  type TranscriptEntry,
} from "../../../src/emulators/telegram/index.js";
import { createTestPipeline, type TestPipeline } from "../../helpers/pipeline.js";
import { testRedisUrl } from "../../helpers/redis.js";

export const token = "424242:TEST-telegram-token";
export const alice = { id: 1001, firstName: "Alice" };
export const bob = { id: 1002, firstName: "Bob" };
export const carol = { id: 1003, firstName: "Carol" };
export const admin = { id: 1100, firstName: "Ada", username: "ada_admin" };
export const stranger = { id: 6660001, firstName: "Mallory", username: "mallory" };

export interface HarnessOptions {
  workers?: boolean;
  telegram?: Partial<Config["telegram"]>;
  jobs?: Record<string, unknown>;
  tuning?: BotTuning;
}

export interface BotHarness {
  p: TestPipeline;
  tg: TelegramEmulator;
  metrics: Metrics;
  deps: BotDeps;
  trackCache: TrackCache;
  /** The running bot (replaced by `restart`). */
  bot: TelegramBot;
  /** Stops the current bot and starts a new instance with the same deps. */
  restart(): Promise<TelegramBot>;
  /** Sends text as a person and resolves with the first new bot message in `chatId` matching `re`. */
  ask(
    person: { id: number; firstName: string },
    text: string,
    re: RegExp,
    chatId?: number,
  ): Promise<TranscriptEntry>;
  /** The next new bot message (sent, not edited) in a chat matching `re`. */
  nextMessage(chatId: number, re: RegExp, timeoutMs?: number): Promise<TranscriptEntry>;
  close(): Promise<void>;
}

export async function createBotHarness(options: HarnessOptions = {}): Promise<BotHarness> {
  const p = await createTestPipeline(options.jobs !== undefined ? { jobs: options.jobs } : {});
  if (options.workers === true) await p.startWorkers();
  const tg = await startTelegramEmulator({ token });
  const subscriberConnection: Redis = createRedis({ url: testRedisUrl() }, "worker");
  const progress: ProgressSubscription = await subscribeProgress({
    connection: subscriberConnection,
    prefix: p.config.redis.prefix,
  });
  const metrics = createMetrics({ defaultMetrics: false });
  // The workers' cache lives under `<prefix>:x` (see startWorkers).
  const trackCache = createTrackCache(p.redis, { prefix: `${p.config.redis.prefix}:x` });
  const deps: BotDeps = {
    config: {
      telegram: {
        ...p.config.telegram,
        token,
        apiRoot: tg.apiRoot,
        allowedUserIds: [alice.id, bob.id, carol.id],
        adminUserIds: [admin.id],
        editIntervalSeconds: 1,
        floodMessages: 30,
        ...options.telegram,
      },
      jobs: p.config.jobs,
      download: p.config.download,
    },
    jobs: p.jobs,
    progress,
    catalog: createCatalog(catalogOptionsFromConfig(p.config.spotify)),
    trackCache,
    linkFor: (jobId) => `https://files.example.org/c/${jobId}.zip?sig=test`,
    metrics,
    logger: silentLogger(),
    version: "9.9.9-test",
    libraryDir: dataPaths(p.config).libraryDir,
    tmpDir: p.dataDir,
    ...(options.tuning !== undefined ? { tuning: options.tuning } : {}),
  };
  const harness: BotHarness = {
    p,
    tg,
    metrics,
    deps,
    trackCache,
    bot: createBot(deps),
    async restart() {
      await harness.bot.stop();
      harness.bot = createBot(deps);
      await harness.bot.start();
      return harness.bot;
    },
    nextMessage(chatId, re, timeoutMs = 20_000) {
      return tg
        .waitFor(
          (e: EmulatorEvent) => e.type === "message-sent" && e.chatId === chatId && re.test(e.entry.text),
          timeoutMs,
        )
        .then((e) => (e as Extract<EmulatorEvent, { type: "message-sent" }>).entry);
    },
    async ask(person, text, re, chatId) {
      const target = chatId ?? person.id;
      const answer = harness.nextMessage(target, re);
      tg.sendText(person, text, chatId !== undefined ? { chatId } : undefined);
      try {
        return await answer;
      } catch (err) {
        const seen = tg
          .transcript(target)
          .slice(-3)
          .map((m) => m.text);
        throw new Error(
          `no answer matching ${String(re)} to ${JSON.stringify(text)}; last messages: ${JSON.stringify(seen)}`,
          { cause: err },
        );
      }
    },
    async close() {
      await harness.bot.stop();
      await progress.close();
      subscriberConnection.disconnect();
      await tg.close();
      await p.close();
    },
  };
  await harness.bot.start();
  return harness;
}

/** Bot messages of a chat that are audio messages. */
export function audioMessages(tg: TelegramEmulator, chatId: number): TranscriptEntry[] {
  return tg.transcript(chatId).filter((m) => m.kind === "audio");
}

/** Current value of a counter with labels, from the test's own metrics registry. */
export async function counterValue(
  metrics: Metrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const data = await metric.get();
  return data.values
    .filter((v) =>
      Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
    )
    .reduce((sum, v) => sum + v.value, 0);
}
