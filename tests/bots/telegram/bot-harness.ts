/**
 * A whole bot for tests: the pipeline (Spotify and audio emulators, real Redis, optional workers), the
 * Telegram emulator, a progress subscription, and createBot deps wired like production (the delivery
 * outbox in Redis). Everything goes over HTTP through real grammY. `finishedJob` and `deliverJob` hand
 * the bot a finished job made up by the test (files of chosen sizes), without running workers.
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Redis } from "ioredis";
import type { TelegramBotDeps } from "../../../src/bots/telegram/create-bot.js";
import { createBot, type BotTuning, type TelegramBot } from "../../../src/bots/telegram/index.js";
import type { JobView } from "../../../src/core/jobs/job-service.js";
import type { TrackResult } from "../../../src/core/jobs/schemas.js";
import { runProcess } from "../../../src/core/process-runner.js";
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
  type TelegramEmulatorOptions,
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
  /** Options of the Telegram emulator (the token is the harness's). */
  emulator?: Omit<TelegramEmulatorOptions, "token">;
  /** Keep the delivery outbox in memory instead of Redis. @defaultValue false */
  memoryOutbox?: boolean;
  /** First pause after 5xx answers made a delivery wait (ms). */
  deliveryServerErrorDelayMs?: number;
}

export interface BotHarness {
  p: TestPipeline;
  tg: TelegramEmulator;
  metrics: Metrics;
  deps: TelegramBotDeps;
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
  /** The next bot message in a chat, sent or edited, whose text matches `re` (a status message turning into the summary). */
  nextText(chatId: number, re: RegExp, timeoutMs?: number): Promise<TranscriptEntry>;
  close(): Promise<void>;
}

export async function createBotHarness(options: HarnessOptions = {}): Promise<BotHarness> {
  const p = await createTestPipeline(options.jobs !== undefined ? { jobs: options.jobs } : {});
  if (options.workers === true) await p.startWorkers();
  const tg = await startTelegramEmulator({ ...options.emulator, token });
  const subscriberConnection: Redis = createRedis({ url: testRedisUrl() }, "worker");
  const progress: ProgressSubscription = await subscribeProgress({
    connection: subscriberConnection,
    prefix: p.config.redis.prefix,
  });
  const metrics = createMetrics({ defaultMetrics: false });
  // The workers' cache lives under `<prefix>:x` (see startWorkers).
  const trackCache = createTrackCache(p.redis, { prefix: `${p.config.redis.prefix}:x` });
  const deps: TelegramBotDeps = {
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
    linkFor: (jobId) => ({
      url: `https://files.example.org/c/${jobId}.zip?sig=test`,
      expiresAt: Date.now() + 72 * 3_600_000,
    }),
    metrics,
    logger: silentLogger(),
    version: "9.9.9-test",
    libraryDir: dataPaths(p.config).libraryDir,
    tmpDir: p.dataDir,
    ...(options.tuning !== undefined ? { tuning: options.tuning } : {}),
    ...(options.memoryOutbox === true
      ? {}
      : { outbox: { connection: p.redis, prefix: p.config.redis.prefix } }),
    settings: { storage: p.redis, prefix: p.config.redis.prefix },
    ...(options.deliveryServerErrorDelayMs !== undefined
      ? { deliveryServerErrorDelayMs: options.deliveryServerErrorDelayMs }
      : {}),
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
    nextText(chatId, re, timeoutMs = 20_000) {
      return tg
        .waitFor(
          (e: EmulatorEvent) =>
            (e.type === "message-sent" || e.type === "message-edited") &&
            e.chatId === chatId &&
            re.test(e.entry.text),
          timeoutMs,
        )
        .then((e) => (e as Extract<EmulatorEvent, { type: "message-sent" | "message-edited" }>).entry);
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

/** A track of a made-up finished job: its title and the size of its (random) file. */
export interface MadeUpTrack {
  title: string;
  bytes: number;
}

/**
 * A finished job made up by the test: the files (random bytes; the emulator does not decode audio) in
 * the library under a folder of their own, with a cover.jpg made by ffmpeg when `cover` is set, and the
 * JobView the job store would give for it.
 */
export async function finishedJob(
  h: BotHarness,
  options: { title: string; artist?: string; tracks: MadeUpTrack[]; cover?: boolean; owner: number },
): Promise<JobView> {
  const id = Array.from(randomBytes(7), (b) => "abcdefghijkmnpqrstuvwxyz23456789"[b % 32]).join("");
  const folder = `made-up/${options.title.replace(/[^\p{L}\p{N} ]+/gu, "")} [${id}]`;
  const dir = path.join(h.deps.libraryDir, folder);
  await mkdir(dir, { recursive: true });
  if (options.cover === true) {
    await runProcess(h.p.config.download.ffmpegPath, [
      "-hide_banner",
      "-loglevel",
      "error",
      "-nostdin",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "testsrc=size=600x600",
      "-frames:v",
      "1",
      path.join(dir, "cover.jpg"),
    ]);
  }
  const artist = options.artist ?? "Made-Up Band";
  const tracks: TrackResult[] = [];
  for (const [index, t] of options.tracks.entries()) {
    const file = path.join(folder, `${String(index + 1).padStart(2, "0")} - ${t.title}.mp3`);
    await writeFile(path.join(h.deps.libraryDir, file), randomBytes(t.bytes));
    tracks.push({
      index,
      trackId: `madeup${id}${index}`,
      title: t.title,
      artists: [artist],
      outcome: "done",
      file,
      bytes: t.bytes,
      durationSec: 30 + index,
      warnings: [],
    });
  }
  const now = Date.now();
  return {
    id,
    owner: { userId: options.owner, chatId: options.owner },
    ref: { kind: "album", id: "0madeup0madeup0madeup", uri: "spotify:album:0madeup0madeup0madeup" },
    format: "mp3",
    stage: "done",
    percent: 100,
    title: options.title,
    total: tracks.length,
    done: tracks.length,
    failed: 0,
    needsReview: 0,
    createdAt: now - 60_000,
    finishedAt: now,
    result: {
      outcome: "done",
      title: options.title,
      subtitle: artist,
      tracks,
      notes: [],
      truncated: false,
      folder,
      totalDurationSec: tracks.reduce((sum, t) => sum + (t.durationSec ?? 0), 0),
      totalBytes: tracks.reduce((sum, t) => sum + (t.bytes ?? 0), 0),
      finishedAt: now,
    },
  };
}

/**
 * Hands a finished job to the bot as the relay would get it: a status message in the person's chat,
 * followed by the relay, which edits it to its final state and runs the delivery.
 */
export async function deliverJob(
  h: BotHarness,
  view: JobView,
  person: { id: number; firstName: string },
): Promise<void> {
  h.tg.openPrivateChat(person);
  const text = `🎵 ${view.title ?? "your album"}\nJob ${view.id}`;
  const status = await h.bot.bot.api.sendMessage(person.id, text);
  await h.bot.relay.follow(view, { chatId: person.id, messageId: status.message_id }, text);
}
