/**
 * bot (issue 8): many people in separate private chats send `/download <link>` and `/status` through the
 * Telegram emulator at once. The bot under test runs in its own process (so its RSS is its own, and the
 * emulator's clock is not slowed by the bot's work); the emulator, the people and Redis live here.
 *
 *   npx tsx bench/bot.ts                      # CDC_BENCH_BOT_PEOPLE=500 by default
 *
 * Three sides, same people, same emulator limits (1 msg/s per chat with a burst of 3, 30/s overall,
 * 429 with retry_after beyond them: LIMITS, handed to the emulator), a fresh emulator each:
 * - real: createBot from src/bots/telegram, wired as the service wires it (JobService on a private
 *   redis-server, progress subscription, catalog, track cache, metrics), with NO download workers: every
 *   job stays queued, so /download is answered by the status message ("waiting in line") and /status
 *   lists the job. Per-person limits, the flood guard and the queue depth are raised so nobody is refused.
 * - oldOrder: the same bot with the pacer's priorities off (tuning.pacerPriorities false): calls leave in
 *   arrival order, as before issue 15, so a chat's second reply can queue ahead of another's first.
 * - baseline: a plain grammY bot with only @grammyjs/auto-retry (defaults: retry every 429 forever), on
 *   @grammyjs/runner like the real bot (so the difference is the pacing, not the concurrency model), no
 *   pacing, no Redis: /download replies "queued" and edits that message twice like a naive progress bar,
 *   /status replies once.
 *
 * Figures per side: update-to-first-reply latency (from the moment a person's update is queued in the
 * emulator to the first bot message in that chat), messages and edits delivered per second against the
 * emulator's limits, 429s the bot received, peak RSS of the bot process (VmRSS every 200 ms), and the
 * ratios real / baseline.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { autoRetry } from "@grammyjs/auto-retry";
import { run } from "@grammyjs/runner";
import { Bot } from "grammy";
import { z } from "zod";
import { createBot } from "../src/bots/telegram/index.js";
import { createConfig } from "../src/core/config/load.js";
import { createJobService, jobServiceOptions } from "../src/core/jobs/job-service.js";
import { subscribeProgress } from "../src/core/jobs/progress-broker.js";
import { dataPaths } from "../src/core/jobs/workers.js";
import { createLogger } from "../src/core/log.js";
import { createTrackCache } from "../src/core/media/track-cache.js";
import { createMetrics } from "../src/core/metrics.js";
import { ProcessError, runProcess } from "../src/core/process-runner.js";
import { createRedis } from "../src/core/redis.js";
import { createCatalog, catalogOptionsFromConfig } from "../src/core/spotify/index.js";
import { sprintPlaylist } from "../src/emulators/spotify/index.js";
import { startTelegramEmulator, type EmulatorStats } from "../src/emulators/telegram/index.js";
import { goal, isMain, note, runMain, type BenchResult } from "./bench-result.js";
import { startBenchRedis } from "./bench-redis.js";
import { freshPrefix } from "./bench-pipeline.js";
import { startPidRssSampler } from "./memory-child.js";
import { mib, percentile, round } from "./stats.js";

const PEOPLE = Number(process.env.CDC_BENCH_BOT_PEOPLE ?? "") || 500;
const TOKEN = "777000777:bench-bot-load-token";
/** People get ids from here up; each has a private chat with the same id. */
const FIRST_PERSON_ID = 2_000_001;
/** The limits the emulator enforces here (Telegram's documented ones); the first-reply goal derives from them. */
const LIMITS = { perChatPerSecond: 1, perChatBurst: 3, globalPerSecond: 30 };
/** Goal: the p99 first reply within this factor of the fastest the enforced overall rate allows. */
const FIRST_REPLY_GOAL_FACTOR = 1.2;
/** How long one side may take from the first update to the last expected delivery. */
const SIDE_TIMEOUT_MS = Number(process.env.CDC_BENCH_BOT_TIMEOUT_MS ?? "") || 180_000;
const LINK = `https://open.spotify.com/playlist/${sprintPlaylist.id}`;

type Side = "real" | "oldOrder" | "baseline";

/** What the parent hands a side's process (JSON in CDC_BENCH_BOT). */
const sideInputSchema = z.object({
  apiRoot: z.string(),
  token: z.string(),
  people: z.number().int().positive(),
  firstPersonId: z.number().int().positive(),
  redisUrl: z.string().optional(),
  dataDir: z.string().optional(),
  /** The real bot's pacer priorities (false: arrival order). */
  priorities: z.boolean().optional(),
});
type SideInput = z.infer<typeof sideInputSchema>;

/** Lines a side's process prints on stdout. */
type SideLine =
  | { type: "ready"; pid: number }
  /** `outcomes`: handled commands by "command outcome" (the real bot's metrics; the baseline counts errors). */
  | { type: "stopped"; outcomes: Record<string, number> };

function say(line: SideLine): void {
  process.stdout.write(JSON.stringify(line) + "\n");
}

// ---------------------------------------------------------------------------------------------------
// The side processes
// ---------------------------------------------------------------------------------------------------

/** The service's bot, wired like src/commands/service.ts (and tests/bots/telegram/bot-harness.ts). */
async function runRealSide(input: SideInput): Promise<void> {
  const redisUrl = input.redisUrl ?? "";
  const dataDir = input.dataDir ?? os.tmpdir();
  const people = Array.from({ length: input.people }, (_, i) => input.firstPersonId + i);
  const { config } = createConfig(
    {
      dataDir,
      redis: { prefix: freshPrefix("bot") },
      telegram: {
        apiRoot: input.apiRoot,
        allowedUserIds: people,
        // Raised so that no one of the crowd is refused for a limit: this measures the bot, not the limits.
        floodMessages: 100,
        downloadsCapacity: 10,
      },
      jobs: { maxActiveJobsPerPerson: 10, maxQueueDepth: input.people * 2 + 100 },
    },
    { TELEGRAM_BOT_TOKEN: input.token, REDIS_URL: redisUrl },
  );
  const logger = createLogger({ level: "warn", pretty: false, destination: process.stderr });
  const producer = createRedis({ url: redisUrl }, "producer");
  const events = createRedis({ url: redisUrl }, "worker");
  const client = createRedis({ url: redisUrl }, "client");
  const jobs = createJobService({ connection: producer, ...jobServiceOptions(config) });
  const progress = await subscribeProgress({ connection: events, prefix: config.redis.prefix });
  const metrics = createMetrics();
  const telegram = createBot({
    config: { telegram: config.telegram, jobs: config.jobs, download: config.download },
    jobs,
    progress,
    catalog: createCatalog(catalogOptionsFromConfig(config.spotify)),
    trackCache: createTrackCache(client, { prefix: `${config.redis.prefix}:x` }),
    linkFor: () => undefined,
    metrics,
    logger,
    version: "bench",
    libraryDir: dataPaths(config).libraryDir,
    tmpDir: dataDir,
    tuning: { pacerPriorities: input.priorities ?? true },
  });
  await telegram.start();
  await untilSigterm();
  await telegram.stop();
  await progress.close();
  await jobs.close();
  for (const connection of [producer, events, client]) connection.disconnect();
  const outcomes: Record<string, number> = {};
  for (const v of (await metrics.commands.get()).values) {
    outcomes[`${String(v.labels.command)} ${String(v.labels.outcome)}`] = v.value;
  }
  say({ type: "stopped", outcomes });
}

/** What most people write: grammY + auto-retry, nothing else. */
async function runBaselineSide(input: SideInput): Promise<void> {
  const bot = new Bot(input.token, { client: { apiRoot: input.apiRoot } });
  bot.api.config.use(autoRetry());
  let handlerErrors = 0;
  bot.command("download", async (ctx) => {
    const sent = await ctx.reply("Queued: your download starts soon.");
    await ctx.api.editMessageText(sent.chat.id, sent.message_id, "Downloading… 50 %");
    await ctx.api.editMessageText(sent.chat.id, sent.message_id, "Downloading… 100 %");
  });
  bot.command("status", (ctx) => ctx.reply("You have 1 job: queued."));
  bot.catch((err) => {
    handlerErrors++;
    process.stderr.write(`baseline handler failed: ${String(err.error)}\n`);
  });
  await bot.init();
  const runner = run(bot);
  await untilSigterm();
  await runner.stop();
  say({ type: "stopped", outcomes: { error: handlerErrors } });
}

function untilSigterm(): Promise<void> {
  return new Promise((resolve) => {
    say({ type: "ready", pid: process.pid });
    process.once("SIGTERM", () => resolve());
  });
}

// ---------------------------------------------------------------------------------------------------
// The parent: emulator, people, measurement
// ---------------------------------------------------------------------------------------------------

interface SideFigures {
  people: number;
  /** Chats that got every expected message (2 for the real bot, 2 + 2 edits for the baseline). */
  chatsComplete: number;
  /** Chats whose replies were the expected ones (real bot: the status message and the job list). */
  chatsAnsweredAsExpected: number;
  /** Update-to-first-reply latency over chats that got a reply, ms. */
  firstReplyP50Ms: number;
  firstReplyP99Ms: number;
  firstReplyMaxMs: number;
  /** First update queued -> last delivery of the run, s. */
  seconds: number;
  messagesSent: number;
  messagesEdited: number;
  /** (messages + edits) / seconds. */
  deliveredPerSecond: number;
  /** Sends + edits delivered per second from the first update to the last first reply. */
  deliveredPerSecondUntilLastFirstReply: number;
  tooManyRequests: number;
  /** Bot API calls by method (429 answers included). */
  callsByMethod: Record<string, number>;
  /** Highest successful rate-counted calls in any 1 s window, overall and for one chat. */
  maxGlobalPerSecond: number;
  maxPerChatPerSecond: number;
  peakRssMiB: number;
  idleRssMiB: number;
  /** Commands handled, by "command outcome", as the bot counted them (baseline: only errors). */
  outcomes: Record<string, number>;
  timedOut: boolean;
}

async function runSide(side: Side, redisUrl: string | undefined): Promise<SideFigures> {
  const tg = await startTelegramEmulator({ token: TOKEN, ...LIMITS });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `cdc-bench-bot-${side}-`));
  const expectedSends = 2;
  const expectedEdits = side === "baseline" ? 2 : 0;
  const queuedAt = new Map<number, number>();
  const firstReplyAt = new Map<number, number>();
  const sends = new Map<number, number>();
  const edits = new Map<number, number>();
  let messagesSent = 0;
  let messagesEdited = 0;
  let lastDeliveryAt = 0;
  const deliveredAt: number[] = [];
  let complete = 0;
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const isComplete = (chatId: number) =>
    (sends.get(chatId) ?? 0) >= expectedSends && (edits.get(chatId) ?? 0) >= expectedEdits;
  const unsubscribe = tg.onEvent((event) => {
    if (event.type !== "message-sent" && event.type !== "message-edited") return;
    const now = Date.now();
    if (!queuedAt.has(event.chatId)) return;
    const wasComplete = isComplete(event.chatId);
    if (event.type === "message-sent") {
      messagesSent++;
      sends.set(event.chatId, (sends.get(event.chatId) ?? 0) + 1);
      if (!firstReplyAt.has(event.chatId)) firstReplyAt.set(event.chatId, now);
    } else {
      messagesEdited++;
      edits.set(event.chatId, (edits.get(event.chatId) ?? 0) + 1);
    }
    lastDeliveryAt = now;
    deliveredAt.push(now);
    if (!wasComplete && isComplete(event.chatId) && ++complete === PEOPLE) allDone();
  });

  let childPid: number | undefined;
  let stoppedLine: Extract<SideLine, { type: "stopped" }> | undefined;
  let figures: SideFigures;
  let markReady: (pid: number) => void = () => undefined;
  const ready = new Promise<number>((resolve) => (markReady = resolve));
  const input: SideInput = {
    apiRoot: tg.apiRoot,
    token: TOKEN,
    people: PEOPLE,
    firstPersonId: FIRST_PERSON_ID,
    ...(redisUrl !== undefined ? { redisUrl, dataDir } : {}),
    ...(side !== "baseline" ? { priorities: side === "real" } : {}),
  };
  const child = runProcess(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--side", side],
    {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      timeoutMs: SIDE_TIMEOUT_MS + 120_000,
      env: { ...process.env, CDC_BENCH_BOT: JSON.stringify(input) },
      onStdoutLine: (line) => {
        if (!line.startsWith("{")) return;
        const parsed = JSON.parse(line) as SideLine;
        if (parsed.type === "ready") markReady(parsed.pid);
        else stoppedLine = parsed;
      },
      onStderrLine: (line) => process.stderr.write(`[bot-${side}] ${line}\n`),
      maxStdoutChars: 4096,
    },
  );
  // A child that dies before it is ready must not leave us waiting.
  const childEnded = child.then(
    () => undefined,
    (err: unknown) => err,
  );
  try {
    const pid = await Promise.race([
      ready,
      childEnded.then((err) => {
        throw new Error(`the ${side} bot ended before it was ready`, { cause: err });
      }),
    ]);
    childPid = pid;
    const rss = startPidRssSampler(pid, 200);
    // Let the bot's start-up settle (getMe, commands, the first long poll) before the crowd arrives.
    await new Promise((r) => setTimeout(r, 1000));
    const idleRss = rss.current();
    note(`bot: ${side} side ready (pid ${pid}), ${PEOPLE} people send /download and /status now`);
    const started = Date.now();
    for (let i = 0; i < PEOPLE; i++) {
      const person = tg.person({ id: FIRST_PERSON_ID + i, firstName: `Person ${i + 1}` });
      queuedAt.set(person.user.id, Date.now());
      person.sendText(`/download ${LINK}`);
      person.sendText("/status");
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      done.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), SIDE_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (timedOut) note(`bot: ${side} side timed out with ${complete}/${PEOPLE} chats complete`);
    const rssSummary = rss.stop();
    const stats: EmulatorStats = tg.stats();

    const latencies = [...firstReplyAt].map(([chat, at]) => at - (queuedAt.get(chat) ?? at));
    const seconds = (lastDeliveryAt - started) / 1000;
    const lastFirstReplyAt = Math.max(...firstReplyAt.values());
    const firstReplyPhaseSeconds = (lastFirstReplyAt - started) / 1000;
    let asExpected = 0;
    for (const chatId of queuedAt.keys()) {
      const texts = tg.transcript(chatId).map((m) => m.text);
      const ok =
        side !== "baseline"
          ? texts.some((t) => /waiting in line/i.test(t)) && texts.some((t) => /^Running:/m.test(t))
          : texts.some((t) => t.includes("100 %")) && texts.some((t) => t.includes("1 job"));
      if (ok) asExpected++;
    }
    figures = {
      people: PEOPLE,
      chatsComplete: complete,
      chatsAnsweredAsExpected: asExpected,
      firstReplyP50Ms: percentile(latencies, 50),
      firstReplyP99Ms: percentile(latencies, 99),
      firstReplyMaxMs: percentile(latencies, 100),
      seconds: round(seconds, 2),
      messagesSent,
      messagesEdited,
      deliveredPerSecond: round((messagesSent + messagesEdited) / seconds, 1),
      deliveredPerSecondUntilLastFirstReply: round(
        deliveredAt.filter((at) => at <= lastFirstReplyAt).length / firstReplyPhaseSeconds,
        1,
      ),
      tooManyRequests: stats.tooManyRequests,
      callsByMethod: stats.callsByMethod,
      maxGlobalPerSecond: stats.maxGlobalPerSecond,
      maxPerChatPerSecond: stats.maxPerChatPerSecond,
      peakRssMiB: mib(rssSummary.peakRssBytes),
      idleRssMiB: mib(idleRss),
      outcomes: {},
      timedOut,
    };
  } finally {
    unsubscribe();
    // Only the process this run started, by its id; it stops its bot and exits by itself.
    if (childPid !== undefined) {
      try {
        process.kill(childPid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    const err = await childEnded;
    if (err !== undefined && childPid !== undefined) {
      note(
        `bot: ${side} side did not stop cleanly: ${err instanceof ProcessError ? `${err.message}\n${err.stderrTail}` : err instanceof Error ? err.message : "unknown"}`,
      );
    }
    await tg.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  figures.outcomes = stoppedLine?.outcomes ?? {};
  return figures;
}

export async function runBotBenchmark(): Promise<BenchResult[]> {
  const redis = await startBenchRedis();
  let real: SideFigures;
  let oldOrder: SideFigures;
  try {
    oldOrder = await runSide("oldOrder", redis.url);
    real = await runSide("real", redis.url);
  } finally {
    await redis.stop();
  }
  const baseline = await runSide("baseline", undefined);
  const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 2) : null);
  // The fastest 500 first replies can go out is 500 / the emulator's enforced overall rate.
  const firstReplyGoalMs = Math.round((FIRST_REPLY_GOAL_FACTOR * PEOPLE * 1000) / LIMITS.globalPerSecond);
  return [
    {
      benchmark: "bot",
      people: PEOPLE,
      scenario: `${PEOPLE} people in private chats each send "/download <playlist link>" then "/status" at once; no download workers (jobs stay queued)`,
      emulatorLimits: LIMITS,
      firstReplyGoalMs,
      real,
      oldOrder,
      baseline,
      ratiosToOldOrder: {
        firstReplyP50: ratio(real.firstReplyP50Ms, oldOrder.firstReplyP50Ms),
        firstReplyP99: ratio(real.firstReplyP99Ms, oldOrder.firstReplyP99Ms),
        seconds: ratio(real.seconds, oldOrder.seconds),
      },
      ratios: {
        firstReplyP50: ratio(real.firstReplyP50Ms, baseline.firstReplyP50Ms),
        firstReplyP99: ratio(real.firstReplyP99Ms, baseline.firstReplyP99Ms),
        deliveredPerSecond: ratio(real.deliveredPerSecond, baseline.deliveredPerSecond),
        seconds: ratio(real.seconds, baseline.seconds),
        peakRss: ratio(real.peakRssMiB, baseline.peakRssMiB),
      },
      goals: [
        goal("real bot receives 0 429s", real.tooManyRequests === 0),
        goal(
          `real bot's first reply p99 <= ${FIRST_REPLY_GOAL_FACTOR} × ${PEOPLE} people / ${LIMITS.globalPerSecond} per s = ${firstReplyGoalMs / 1000} s`,
          real.firstReplyP99Ms <= firstReplyGoalMs && !real.timedOut,
        ),
        goal(
          `real bot answers all ${PEOPLE} people (status message and /status list)`,
          real.chatsAnsweredAsExpected === PEOPLE && !real.timedOut,
        ),
      ],
    },
  ];
}

if (isMain(import.meta.url)) {
  const sideIndex = process.argv.indexOf("--side");
  if (sideIndex >= 0) {
    const side = z.enum(["real", "oldOrder", "baseline"]).parse(process.argv[sideIndex + 1]);
    const input = sideInputSchema.parse(JSON.parse(process.env.CDC_BENCH_BOT ?? "{}"));
    (side === "baseline" ? runBaselineSide(input) : runRealSide(input)).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exit(1);
      },
    );
  } else {
    runMain(runBotBenchmark);
  }
}
