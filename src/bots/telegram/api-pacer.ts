/**
 * Paces outgoing sends and edits so the bot stays under Telegram's limits instead of living on 429s:
 * one call at a time per chat with a minimum gap (about 1/s in private chats, 20/min in groups), all
 * chained to a global limiter under 30/s. Installed as a grammY API transformer, inside auto-retry, so
 * retried calls are paced too.
 */
import Bottleneck from "bottleneck";
import type { Transformer } from "grammy";

export interface ApiPacerOptions {
  /** @defaultValue 1050 */
  perChatMinTimeMs?: number;
  /** @defaultValue 3100 */
  groupMinTimeMs?: number;
  /** @defaultValue 25 */
  globalPerSecond?: number;
}

export interface ApiPacer {
  transformer: Transformer;
  /** Drops queued calls and timers. Idempotent. */
  stop(): Promise<void>;
}

/** Methods Telegram counts toward its flood limits. */
export function isPacedMethod(method: string): boolean {
  return (
    (method.startsWith("send") && method !== "sendChatAction") ||
    method.startsWith("edit") ||
    method === "copyMessage" ||
    method === "forwardMessage"
  );
}

export function createApiPacer(options: ApiPacerOptions = {}): ApiPacer {
  const global = new Bottleneck({ minTime: Math.ceil(1000 / (options.globalPerSecond ?? 25)) });
  const makeGroup = (minTime: number) => {
    // maxConcurrent 1: the next call starts only after the previous one was answered.
    const group = new Bottleneck.Group({ maxConcurrent: 1, minTime });
    group.on("created", (limiter: Bottleneck) => {
      limiter.chain(global);
    });
    return group;
  };
  const perChatMs = options.perChatMinTimeMs ?? 1050;
  const groupMs = options.groupMinTimeMs ?? 3100;
  const chats = makeGroup(perChatMs);
  const groups = makeGroup(groupMs);
  // Bottleneck's minTime runs from the start of a call, but Telegram counts a send when it has read the
  // request: after an upload that can be much later. So the gap is also kept from the previous answer.
  const lastDone = new Map<string, number>();
  let stopping: Promise<void> | undefined;

  const transformer: Transformer = (prev, method, payload, signal) => {
    if (!isPacedMethod(method)) return prev(method, payload, signal);
    const chatId = (payload as { chat_id?: unknown } | undefined)?.chat_id;
    if (typeof chatId !== "number" && typeof chatId !== "string") {
      return global.schedule(() => prev(method, payload, signal));
    }
    const isGroup =
      typeof chatId === "string" ? chatId.startsWith("-") || chatId.startsWith("@") : chatId < 0;
    const key = String(chatId);
    const gap = isGroup ? groupMs : perChatMs;
    return (isGroup ? groups : chats).key(key).schedule(async () => {
      const wait = (lastDone.get(key) ?? 0) + gap - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        return await prev(method, payload, signal);
      } finally {
        lastDone.set(key, Date.now());
        if (lastDone.size > 50_000) forgetOld(lastDone, gap);
      }
    });
  };

  return {
    transformer,
    stop() {
      stopping ??= (async () => {
        const limiters = [...chats.limiters(), ...groups.limiters()].map((l) => l.limiter);
        await Promise.allSettled([...limiters, global].map((l) => l.stop({ dropWaitingJobs: true })));
        await Promise.allSettled([chats.disconnect(), groups.disconnect()]);
      })();
      return stopping;
    },
  };
}

function forgetOld(lastDone: Map<string, number>, gap: number): void {
  const cutoff = Date.now() - 10 * gap;
  for (const [key, at] of lastDone) if (at < cutoff) lastDone.delete(key);
}
