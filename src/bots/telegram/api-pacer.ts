/**
 * Paces outgoing sends and edits so the bot stays under Telegram's limits instead of living on 429s:
 * one call at a time per chat with a minimum gap (about 1/s in private chats, 20/min in groups; a
 * Bottleneck limiter per chat), each then waiting for a start ticket from one queue for the whole bot,
 * under Telegram's 30/s. Installed as a grammY API transformer, inside auto-retry, so retried calls are
 * paced too.
 *
 * The whole-bot queue serves the most urgent call first (priorities 0 first … 9 last, as Bottleneck
 * counts them): the first word to a person who has not heard from the bot lately goes before follow-ups
 * and uploads, and progress edits go last. Within one chat nothing is reordered: each chat's calls stay
 * first-in first-out.
 */
import Bottleneck from "bottleneck";
import type { Transformer } from "grammy";

export interface ApiPacerOptions {
  /** @defaultValue 1050 */
  perChatMinTimeMs?: number;
  /** @defaultValue 3100 */
  groupMinTimeMs?: number;
  /** @defaultValue 28 */
  globalPerSecond?: number;
  /**
   * A message into a chat counts as a first reply when the pacer has nothing queued for that chat and
   * wrote nothing to it within this time (ms). @defaultValue 5000
   */
  firstReplyQuietMs?: number;
  /** Serve urgent calls first; false keeps the plain arrival order (benchmark baseline). @defaultValue true */
  priorities?: boolean;
}

export interface ApiPacer {
  transformer: Transformer;
  /** Drops queued calls and timers. Idempotent. */
  stop(): Promise<void>;
}

/** Bottleneck priorities of paced calls (0 is served first, 9 last; Bottleneck's default is 5). */
export const CALL_PRIORITY = {
  /** A message to a chat the bot has not written to lately: the answer a person is waiting for. */
  firstReply: 1,
  /** Follow-up messages, audio, documents: everything else that is new in the chat. */
  normal: 5,
  /** Edits of messages already there (progress): a late edit only shows a newer state. */
  edit: 8,
} as const;

/** Methods Telegram counts toward its flood limits. */
export function isPacedMethod(method: string): boolean {
  return (
    (method.startsWith("send") && method !== "sendChatAction") ||
    method.startsWith("edit") ||
    method === "copyMessage" ||
    method === "forwardMessage"
  );
}

/**
 * The priority of one paced call: `chatIsQuiet` when the pacer has nothing queued for the chat and wrote
 * nothing to it lately. (answerCallbackQuery and sendChatAction are not paced: they are never held.)
 */
export function pacedCallPriority(method: string, chatIsQuiet: boolean): number {
  if (method.startsWith("edit")) return CALL_PRIORITY.edit;
  const isMessage = method === "sendMessage" || method === "copyMessage" || method === "forwardMessage";
  return isMessage && chatIsQuiet ? CALL_PRIORITY.firstReply : CALL_PRIORITY.normal;
}

export function createApiPacer(options: ApiPacerOptions = {}): ApiPacer {
  const global = createStartTickets(options.globalPerSecond ?? 28);
  const ticket = (priority: number) => global.take(priority);
  // maxConcurrent 1: the next call into a chat starts only after the previous one was answered.
  const chats = new Bottleneck.Group({ maxConcurrent: 1 });
  const groups = new Bottleneck.Group({ maxConcurrent: 1 });
  const perChatMs = options.perChatMinTimeMs ?? 1050;
  const groupMs = options.groupMinTimeMs ?? 3100;
  const quietMs = options.firstReplyQuietMs ?? 5000;
  const prioritize = options.priorities ?? true;
  const forgetAfterMs = Math.max(10 * Math.max(perChatMs, groupMs), quietMs);
  // Telegram counts a send when it has read the request: after an upload that can be much later than
  // its start. So the gap is kept from the previous answer.
  const lastDone = new Map<string, number>();
  const pending = new Map<string, number>();
  let stopping: Promise<void> | undefined;

  const transformer: Transformer = async (prev, method, payload, signal) => {
    if (!isPacedMethod(method)) return prev(method, payload, signal);
    const chatId = (payload as { chat_id?: unknown } | undefined)?.chat_id;
    if (typeof chatId !== "number" && typeof chatId !== "string") {
      await ticket(CALL_PRIORITY.normal);
      return prev(method, payload, signal);
    }
    const isGroup =
      typeof chatId === "string" ? chatId.startsWith("-") || chatId.startsWith("@") : chatId < 0;
    const key = String(chatId);
    const gap = isGroup ? groupMs : perChatMs;
    const quiet = !pending.has(key) && (lastDone.get(key) ?? -Infinity) + quietMs <= Date.now();
    const priority = prioritize ? pacedCallPriority(method, quiet) : CALL_PRIORITY.normal;
    pending.set(key, (pending.get(key) ?? 0) + 1);
    try {
      // The chat's own limiter keeps its calls in arrival order; only the global ticket is prioritized.
      return await (isGroup ? groups : chats).key(key).schedule(async () => {
        const wait = (lastDone.get(key) ?? 0) + gap - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await ticket(priority);
        try {
          return await prev(method, payload, signal);
        } finally {
          lastDone.set(key, Date.now());
          if (lastDone.size > 50_000) forgetOld(lastDone, forgetAfterMs);
        }
      });
    } finally {
      const left = (pending.get(key) ?? 1) - 1;
      if (left > 0) pending.set(key, left);
      else pending.delete(key);
    }
  };

  return {
    transformer,
    stop() {
      stopping ??= (async () => {
        const limiters = [...chats.limiters(), ...groups.limiters()].map((l) => l.limiter);
        global.stop();
        await Promise.allSettled(limiters.map((l) => l.stop({ dropWaitingJobs: true })));
        await Promise.allSettled([chats.disconnect(), groups.disconnect()]);
      })();
      return stopping;
    },
  };
}

/**
 * Start tickets for the whole bot, at most `perSecond`: the most urgent waiter first (0 … 9, as
 * Bottleneck counts), first come first served within a priority. A waiting call is only given its slot
 * when the slot comes, so a more urgent call that arrives meanwhile goes ahead of it. One timer hop per
 * start (a Bottleneck limiter takes several, which cost a loaded event loop about a tenth of the rate).
 */
function createStartTickets(perSecond: number): { take(priority: number): Promise<void>; stop(): void } {
  const slotMs = 1000 / perSecond;
  const waiting: (() => void)[][] = Array.from({ length: 10 }, () => []);
  const rejects = new Map<() => void, (err: Error) => void>();
  let nextSlot = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const grant = (): void => {
    timer = undefined;
    const now = Date.now();
    if (now < nextSlot) {
      timer = setTimeout(grant, nextSlot - now);
      return;
    }
    const start = waiting.find((queue) => queue.length > 0)?.shift();
    if (start === undefined) return;
    rejects.delete(start);
    // A slot lost to a late timer (a busy event loop) is made up, but never more than one: no second
    // holds more than perSecond + 2 starts.
    nextSlot = Math.max(nextSlot, now - slotMs) + slotMs;
    start();
    if (waiting.some((queue) => queue.length > 0)) timer = setTimeout(grant, nextSlot - Date.now());
  };

  return {
    take(priority) {
      if (stopped) return Promise.reject(new Error("the API pacer was stopped"));
      return new Promise<void>((resolve, reject) => {
        waiting[Math.min(9, Math.max(0, Math.round(priority)))]!.push(resolve);
        rejects.set(resolve, reject);
        if (timer === undefined) grant();
      });
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      for (const reject of rejects.values()) reject(new Error("the API pacer was stopped"));
      rejects.clear();
      for (const queue of waiting) queue.length = 0;
    },
  };
}

function forgetOld(lastDone: Map<string, number>, afterMs: number): void {
  const cutoff = Date.now() - afterMs;
  for (const [key, at] of lastDone) if (at < cutoff) lastDone.delete(key);
}
