/**
 * /download <link>, or a bare Spotify link in a message: parse the link (no network), take a token from
 * the person's bucket, resolve short links, submit the job, and post the status message the progress
 * relay then keeps up to date.
 */
import { Composer } from "grammy";
import type { ParsedLink } from "../../../core/spotify/link-parser.js";
import type { BotContext } from "../context.js";
import { renderJobMessage } from "../render.js";
import { commandArgs } from "./command-args.js";
import type { FeatureDeps } from "./feature-deps.js";

export const downloadUsage =
  "Usage: /download <Spotify link>, for example /download https://open.spotify.com/album/… (a track, album or playlist). You can also just paste the link.";

export function downloadFeature(deps: FeatureDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const count = (outcome: string) => deps.metrics.commands.inc({ command: "download", outcome });

  async function download(ctx: BotContext, text: string): Promise<void> {
    const chatId = ctx.chat?.id;
    if (chatId === undefined) return;
    // A refusal (bad link, a limit) goes to the error boundary, which answers it and counts it.
    const parsed: ParsedLink = deps.catalog.parse(text);
    const token = deps.downloads.take(String(ctx.actor.userId));
    if (!token.ok) {
      deps.metrics.rateLimited.inc({ kind: "bucket" });
      count("limited");
      await ctx.reply(
        `You've sent several links in a short time. Try again in ${Math.ceil(token.retryAfterMs / 1000)} s.`,
      );
      return;
    }
    const ref = await deps.catalog.canonicalRef(parsed);
    // The person's own choices (/settings): what the files are, and what they get in the chat.
    const mine = await deps.settings.get(ctx.actor.userId);
    const { job, existing } = await deps.jobs.submit({
      owner: { userId: ctx.actor.userId, chatId },
      ref,
      format: mine.format,
      quality: mine.quality,
      delivery: mine.delivery,
    });
    ctx.log.info({ jobId: job.id, existing, ref: job.ref.uri }, "download submitted");
    if (existing && deps.relay.isFollowing(job.id, chatId)) {
      await ctx.reply(`You asked for that already: it is job ${job.id}, and its progress is shown above.`);
      count("ok");
      return;
    }
    const shown = renderJobMessage(job);
    const message = await ctx.reply(shown.text, shown.keyboard ? { reply_markup: shown.keyboard } : {});
    await deps.relay.follow(job, { chatId, messageId: message.message_id }, shown.text);
    count("ok");
  }

  feature.command("download", async (ctx) => {
    const args = commandArgs(ctx);
    if (args === "") {
      count("invalid");
      await ctx.reply(downloadUsage);
      return;
    }
    await download(ctx, args);
  });

  // A bare link: in private chats any text is taken as a try; in groups only text that parses as a link.
  feature.on("message:text", async (ctx, next) => {
    const text = ctx.message.text;
    if (text.startsWith("/")) return next();
    if (ctx.chat.type !== "private") {
      try {
        deps.catalog.parse(text);
      } catch {
        return next();
      }
    }
    await download(ctx, text);
  });
  return feature;
}
