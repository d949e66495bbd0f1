/** Gives each update a child logger (update id, chat, user) and logs how long it took. */
import type { MiddlewareFn } from "grammy";
import type { Logger } from "../../../core/log.js";
import type { BotContext } from "../context.js";

export function updateLogger(logger: Logger): MiddlewareFn<BotContext> {
  return async (ctx, next) => {
    ctx.log = logger.child({ updateId: ctx.update.update_id, chatId: ctx.chat?.id, userId: ctx.from?.id });
    const started = Date.now();
    try {
      await next();
    } finally {
      ctx.log.debug({ ms: Date.now() - started }, "update handled");
    }
  };
}
