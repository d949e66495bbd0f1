/**
 * Errors a person caused (bad link, unknown job, limit reached) are answered with their own sentence;
 * anything else is rethrown to the error boundary.
 */
import { isUserFacing } from "../../../core/errors.js";
import type { BotContext } from "../context.js";

/** Replies with the error's message when it is written for the person; returns false otherwise. */
export async function replyUserError(ctx: BotContext, err: unknown): Promise<boolean> {
  if (!isUserFacing(err)) return false;
  ctx.log.info({ code: err.code }, "user-facing error");
  await ctx.reply(err.userMessage, { link_preview_options: { is_disabled: true } });
  return true;
}

/** The text after the command, trimmed (`""` when none). */
export function commandArgs(ctx: BotContext): string {
  return typeof ctx.match === "string" ? ctx.match.trim() : "";
}
