/** /start and /help: what the bot does, the links it takes, and this person's limits. */
import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { renderHelp } from "../render.js";
import type { FeatureDeps } from "./feature-deps.js";

export function helpFeature(deps: Pick<FeatureDeps, "config" | "metrics" | "version">): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.command(["start", "help"], async (ctx) => {
    const t = deps.config.telegram;
    await ctx.reply(
      renderHelp({
        maxActiveJobs: deps.config.jobs.maxActiveJobsPerPerson,
        downloadsCapacity: t.downloadsCapacity,
        downloadsRefillSeconds: t.downloadsRefillSeconds,
        uploadLimitMb: t.uploadLimitMb,
        isAdmin: ctx.actor.isAdmin,
        version: deps.version,
      }),
      { link_preview_options: { is_disabled: true } },
    );
    deps.metrics.commands.inc({
      command: ctx.message?.text?.startsWith("/start") === true ? "start" : "help",
      outcome: "ok",
    });
  });
  return feature;
}
