/**
 * Long polling that outlives Telegram's refusals. Updates are handled concurrently by grammY's runner,
 * but getUpdates is called here rather than by the runner's own fetcher, so that:
 * - a failed getUpdates never ends the process: 409 (another program polls with this token: a second
 *   instance, the demo, a curl), 401, 429, 5xx and network failures are retried with backoff, forever;
 * - each kind of failure is logged once per episode with what to do (again only after it stayed away
 *   for `quietMs`), and every failure is counted (`cdc_telegram_polling_failures_total`);
 * - stop() aborts the pending long poll and any wait between tries: stopping never takes the poll timeout;
 * - the runner's task is observed: should it ever end on its own, it is started again after a pause.
 */
import {
  createConcurrentSink,
  createRunner,
  createSource,
  type RunnerHandle,
  type UpdateSink,
} from "@grammyjs/runner";
import { GrammyError, HttpError, type Bot, type BotError, type Context } from "grammy";
import type { Update } from "grammy/types";
import type { Logger } from "../../core/log.js";
import type { Metrics } from "../../core/metrics.js";
import { apiSignal } from "./api-signal.js";

export type AllowedUpdate = Exclude<keyof Update, "update_id">;

export interface LongPollingOptions<C extends Context> {
  bot: Bot<C>;
  allowedUpdates: readonly AllowedUpdate[];
  logger: Logger;
  metrics: Pick<Metrics, "telegramPollingFailures">;
  /** How long one getUpdates waits for updates (s; Telegram allows up to 50). @defaultValue 30 */
  pollTimeoutSeconds?: number;
  /** Pause after the first failed getUpdates (ms); doubles with each failure in a row. @defaultValue 1000 */
  retryMinMs?: number;
  /** Longest pause between tries (ms). @defaultValue 60000 */
  retryMaxMs?: number;
  /** A kind of failure is logged again only after none was seen for this long (ms). @defaultValue 600000 */
  quietMs?: number;
}

export interface LongPolling {
  /** True from the start until stop(), also while failed polls are being retried. */
  isRunning(): boolean;
  /** Ends polling: aborts the pending getUpdates and any pause; resolves within about a second. */
  stop(): Promise<void>;
}

/** Why a getUpdates failed, as the metric's `reason` label says it. */
type Reason = "conflict" | "webhook" | "unauthorized" | "rate_limited" | "server" | "network" | "other";

/** What the operator reads once per episode of each kind of failure. */
const advice: Record<Reason, string> = {
  conflict:
    "Telegram ended the bot's long poll: another program is using this bot token (a second instance, the demo, or a getUpdates by hand). Stop it, or give it a bot token of its own; polling is retried meanwhile, and the bot gets no messages while the other one polls.",
  webhook:
    "Telegram refuses getUpdates because a webhook is set for this bot token (another instance in webhook mode?). Stop it, or switch this one to webhook mode; polling is retried meanwhile.",
  unauthorized:
    "Telegram refuses the bot token (401 Unauthorized): it was revoked or mistyped. Put the current token from @BotFather in telegram.token and restart; polling is retried meanwhile.",
  rate_limited: "Telegram asked the bot to slow down its getUpdates calls; polling waits as told.",
  server: "Telegram answers getUpdates with server errors; polling is retried with backoff.",
  network: "Telegram cannot be reached for getUpdates (network); polling is retried with backoff.",
  other: "getUpdates failed unexpectedly; polling is retried with backoff.",
};

interface Failure {
  reason: Reason;
  /** Telegram's error code and description (never the URL: it holds the token). */
  code?: number;
  description: string;
  retryAfterMs?: number;
}

function describe(err: unknown): Failure {
  if (err instanceof GrammyError) {
    const base = { code: err.error_code, description: err.description };
    if (err.error_code === 409)
      return { reason: /webhook/i.test(err.description) ? "webhook" : "conflict", ...base };
    if (err.error_code === 401) return { reason: "unauthorized", ...base };
    if (err.error_code === 429) {
      const after = err.parameters.retry_after;
      return {
        reason: "rate_limited",
        ...base,
        ...(after !== undefined ? { retryAfterMs: after * 1000 } : {}),
      };
    }
    if (err.error_code >= 500) return { reason: "server", ...base };
    return { reason: "other", ...base };
  }
  // grammY's own message ("Network request for 'getUpdates' failed!"), not the cause's: that one names the URL.
  if (err instanceof HttpError) return { reason: "network", description: err.message };
  return { reason: "other", description: err instanceof Error ? err.name : "unknown error" };
}

export function startLongPolling<C extends Context>(options: LongPollingOptions<C>): LongPolling {
  const { bot, logger, metrics } = options;
  const timeout = options.pollTimeoutSeconds ?? 30;
  const retryMinMs = options.retryMinMs ?? 1000;
  const retryMaxMs = options.retryMaxMs ?? 60_000;
  const quietMs = options.quietMs ?? 600_000;
  const stopper = new AbortController();
  /** Failure kind → when it was last seen, and whether "works again" was logged for this episode. */
  const episodes = new Map<Reason, { lastAt: number; recovered: boolean }>();
  let offset = 0;
  let failuresInRow = 0;
  let runner: RunnerHandle | undefined;
  let relaunch: NodeJS.Timeout | undefined;

  const backoffMs = () =>
    Math.min(retryMaxMs, retryMinMs * 2 ** Math.min(20, Math.max(0, failuresInRow - 1)));

  function noteFailure(failure: Failure): void {
    metrics.telegramPollingFailures.inc({ reason: failure.reason });
    failuresInRow += 1;
    const now = Date.now();
    const episode = episodes.get(failure.reason);
    if (episode === undefined || now - episode.lastAt > quietMs) {
      logger.error(
        { reason: failure.reason, code: failure.code, description: failure.description },
        `telegram long polling: ${advice[failure.reason]}`,
      );
      episodes.set(failure.reason, { lastAt: now, recovered: false });
    } else {
      episode.lastAt = now;
    }
  }

  function noteSuccess(): void {
    if (failuresInRow === 0) return;
    failuresInRow = 0;
    for (const [reason, episode] of episodes) {
      if (episode.recovered) continue;
      episode.recovered = true;
      logger.info({ reason }, "telegram long polling works again");
    }
  }

  /** getUpdates until it answers; only an abort (stop) ends it with an error. */
  async function supply(batchSize: number, runnerSignal: AbortSignal): Promise<Update[]> {
    const signal = linked(runnerSignal, stopper.signal);
    try {
      for (;;) {
        try {
          const updates = await bot.api.getUpdates(
            {
              offset,
              limit: Math.max(1, Math.min(batchSize, 100)),
              timeout,
              allowed_updates: options.allowedUpdates,
            },
            apiSignal(signal.signal),
          );
          noteSuccess();
          const last = updates[updates.length - 1];
          if (last !== undefined) offset = last.update_id + 1;
          return updates;
        } catch (err) {
          if (signal.signal.aborted) throw err;
          const failure = describe(err);
          noteFailure(failure);
          await pause(Math.max(failure.retryAfterMs ?? 0, backoffMs()), signal.signal);
          if (signal.signal.aborted) throw new Error("long polling stopped");
        }
      }
    } finally {
      signal.unlink();
    }
  }

  function launch(): void {
    if (stopper.signal.aborted) return;
    // The runner types its signal with the abort-controller polyfill; it is Node's own at run time.
    const source = createSource<Update>({
      supply: (batchSize, signal) => supply(batchSize, signal as unknown as AbortSignal),
    });
    const sink: UpdateSink<Update> = createConcurrentSink<Update, BotError<C>>(
      { consume: (update) => bot.handleUpdate(update) },
      async (error) => {
        try {
          await bot.errorHandler(error);
        } catch (err) {
          logger.error({ err }, "telegram: the bot's error handler failed");
        }
      },
    );
    const handle = createRunner(source, sink);
    runner = handle;
    handle.start();
    // Observed, so a runner that ends on its own (it should not) is started again instead of
    // ending the process with an unhandled rejection.
    void (handle.task() ?? Promise.resolve()).then(
      () => restartAfterEnd(handle, undefined),
      (err: unknown) => restartAfterEnd(handle, err),
    );
  }

  function restartAfterEnd(handle: RunnerHandle, err: unknown): void {
    if (stopper.signal.aborted || runner !== handle) return;
    noteFailure(err === undefined ? { reason: "other", description: "the runner ended" } : describe(err));
    relaunch = setTimeout(() => {
      relaunch = undefined;
      launch();
    }, backoffMs());
  }

  launch();

  let stopping: Promise<void> | undefined;
  return {
    isRunning: () => !stopper.signal.aborted,
    stop() {
      stopping ??= (async () => {
        const handle = runner;
        runner = undefined;
        if (relaunch !== undefined) clearTimeout(relaunch);
        const task = handle?.stop();
        stopper.abort();
        await settlesWithin(task ?? Promise.resolve(), 1000);
      })();
      return stopping;
    },
  };
}

/** A signal aborted when either is; `unlink` drops the listeners (one call of getUpdates each). */
function linked(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; unlink(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (a.aborted || b.aborted) abort();
  a.addEventListener("abort", abort, { once: true });
  b.addEventListener("abort", abort, { once: true });
  return {
    signal: controller.signal,
    unlink() {
      a.removeEventListener("abort", abort);
      b.removeEventListener("abort", abort);
    },
  };
}

/** Waits `ms`, or until `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}
