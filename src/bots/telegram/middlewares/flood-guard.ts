/**
 * Drops a person's updates beyond `floodMessages` per `floodWindowSeconds` (@grammyjs/ratelimiter),
 * counted as `flood`. Button presses are still answered: Telegram wants every callback query answered.
 */
import { limit } from "@grammyjs/ratelimiter";
import type { MiddlewareFn } from "grammy";
import type { Metrics } from "../../../core/metrics.js";
import type { BotContext } from "../context.js";

export function floodGuard(options: {
  messages: number;
  windowSeconds: number;
  metrics: Pick<Metrics, "rateLimited">;
}): MiddlewareFn<BotContext> {
  return limit<BotContext, never>({
    timeFrame: options.windowSeconds * 1000,
    limit: options.messages,
    keyGenerator: (ctx) => (ctx.from !== undefined ? String(ctx.from.id) : undefined),
    onLimitExceeded: (ctx) => {
      options.metrics.rateLimited.inc({ kind: "flood" });
      ctx.log.info("flood guard dropped an update");
      if (ctx.callbackQuery !== undefined) {
        ctx.answerCallbackQuery({ text: "Slow down a little, please." }).catch(() => undefined);
      }
    },
  });
}
