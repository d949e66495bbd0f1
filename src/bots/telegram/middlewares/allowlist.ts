/**
 * Only allowlisted people (and admins) act. Anyone else gets one clear refusal that carries their id (so
 * an admin can add them), at most once per cooldown so a stranger cannot make the bot spam; nothing is
 * queued, and every refused update is logged and counted. In groups, strangers' commands are refused
 * and their other chatter is ignored.
 */
import type { MiddlewareFn } from "grammy";
import type { Metrics } from "../../../core/metrics.js";
import type { BotContext } from "../context.js";

export interface AllowlistOptions {
  allowedUserIds: readonly number[];
  adminUserIds: readonly number[];
  metrics: Pick<Metrics, "refusals" | "commands">;
  refusalCooldownMs: number;
}

export function refusalText(userId: number): string {
  return `Sorry, this bot only works for people its admin has let in. Your Telegram id is ${userId}: send it to the admin if you should have access.`;
}

export function allowlist(options: AllowlistOptions): MiddlewareFn<BotContext> {
  const admins = new Set(options.adminUserIds);
  const allowed = new Set([...options.allowedUserIds, ...options.adminUserIds]);
  const lastRefused = new Map<number, number>();
  return async (ctx, next) => {
    const user = ctx.from;
    if (user !== undefined && allowed.has(user.id) && !user.is_bot) {
      ctx.actor = { userId: user.id, isAdmin: admins.has(user.id) };
      return next();
    }
    options.metrics.refusals.inc();
    ctx.log.info({ chatType: ctx.chat?.type }, "refused: not on the allowlist"); // userId is in ctx.log already
    if (user === undefined) return;
    if (ctx.callbackQuery !== undefined) {
      await ctx.answerCallbackQuery({ text: refusalText(user.id), show_alert: true });
      return;
    }
    const text = ctx.message?.text ?? "";
    const isCommand = text.startsWith("/");
    if (ctx.chat?.type !== "private" && !isCommand) return;
    const now = Date.now();
    if (now - (lastRefused.get(user.id) ?? -Infinity) < options.refusalCooldownMs) return;
    lastRefused.set(user.id, now);
    if (lastRefused.size > 10_000) lastRefused.clear();
    if (isCommand) options.metrics.commands.inc({ command: commandName(text), outcome: "refused" });
    await ctx.reply(refusalText(user.id), {
      ...(ctx.message !== undefined ? { reply_parameters: { message_id: ctx.message.message_id } } : {}),
    });
  };
}

/** `download` for `/download@bot link`; `other` for anything unusual, to keep metric labels bounded. */
export function commandName(text: string): string {
  const name = /^\/([a-z]+)/i.exec(text)?.[1]?.toLowerCase() ?? "other";
  return ["start", "help", "download", "status", "cancel", "whoami", "settings"].includes(name)
    ? name
    : "other";
}
