/** Commands the bot does not know, answered in private chats with a pointer to /help. */
import { Composer } from "grammy";
import type { BotContext } from "../context.js";

export function fallbackFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType("private").on("message:text", async (ctx) => {
    const command = /^\/\S+/.exec(ctx.message.text)?.[0];
    await ctx.reply(
      command !== undefined
        ? `I don't know ${command.slice(0, 40)}. /help lists what I can do.`
        : "Send me a Spotify link, or /help to see what I can do.",
    );
  });
  return feature;
}
