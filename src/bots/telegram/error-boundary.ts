/**
 * The bot's error boundary: the one place where an error a feature let through becomes an answer. A
 * refusal written for the person (a UserFacingError: bad link, unknown job, a limit) is answered with its
 * own sentence and counted as `invalid` or `limited`; anything else is logged with the update and the
 * person gets a short apology.
 */
import type { BotError } from "grammy";
import { isUserFacing } from "../../core/errors.js";
import type { Logger } from "../../core/log.js";
import type { Metrics } from "../../core/metrics.js";
import type { BotContext } from "./context.js";
import { commandName } from "./middlewares/allowlist.js";

/** Which command an update was: a /command, the Cancel button, or a bare link (a download). */
function commandOf(ctx: BotContext): string | undefined {
  const text = ctx.message?.text;
  if (text !== undefined) return text.startsWith("/") ? commandName(text) : "download";
  if (ctx.callbackQuery?.data?.startsWith("c:") === true) return "cancel";
  return undefined;
}

/** Refusals that are limits (the person may try again later), with the rate-limit metric's kind. */
const limits: Partial<Record<string, "per_person" | "queue_full">> = {
  limit_per_person: "per_person",
  queue_full: "queue_full",
};

export async function handleBotError(
  err: BotError<BotContext>,
  deps: { logger: Logger; metrics: Metrics },
): Promise<void> {
  const ctx = err.ctx;
  const log = ctx.log ?? deps.logger;
  const command = commandOf(ctx);
  const refusal = isUserFacing(err.error) ? err.error : undefined;
  try {
    if (refusal) {
      const limit = limits[refusal.code];
      if (limit) deps.metrics.rateLimited.inc({ kind: limit });
      if (command) deps.metrics.commands.inc({ command, outcome: limit ? "limited" : "invalid" });
      log.info({ code: refusal.code }, "user-facing error");
      if (ctx.callbackQuery !== undefined) {
        await ctx.answerCallbackQuery({ text: refusal.userMessage.slice(0, 200), show_alert: true });
      } else if (ctx.chat !== undefined) {
        await ctx.reply(refusal.userMessage, { link_preview_options: { is_disabled: true } });
      }
      return;
    }
    log.error({ err: err.error }, "handler failed");
    if (command) deps.metrics.commands.inc({ command, outcome: "error" });
    if (ctx.callbackQuery !== undefined) {
      await ctx.answerCallbackQuery({ text: "Something went wrong on my side. Please try again." });
    } else if (ctx.chat !== undefined) {
      await ctx.reply("Something went wrong on my side. Please try again in a minute.");
    }
  } catch (replyErr) {
    log.warn({ err: replyErr }, "could not tell the person about an error");
  }
}
