/** /status [id | all]: one job in detail, the person's active and recent jobs, or (admins) everyone's. */
import { Composer } from "grammy";
import { parseJobId } from "../../../core/jobs/job-id.js";
import type { BotContext } from "../context.js";
import { renderJobMessage, renderStatusList } from "../render.js";
import { adminOnly, renderAllJobsList } from "../render-burn.js";
import { commandArgs } from "./command-args.js";
import type { FeatureDeps } from "./feature-deps.js";

export const statusUsage =
  "Usage: /status for your jobs, or /status <job id> (7 letters and digits, like ab3def7) for one job.";

/** How many jobs an admin's `/status all` lists. */
export const allJobsShown = 20;

export function statusFeature(deps: Pick<FeatureDeps, "jobs" | "metrics">): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.command("status", async (ctx) => {
    const count = (outcome: string) => deps.metrics.commands.inc({ command: "status", outcome });
    const id = commandArgs(ctx);
    if (id.toLowerCase() === "all") {
      if (!ctx.actor.isAdmin) {
        count("refused");
        await ctx.reply(adminOnly("/status all"));
        return;
      }
      await ctx.reply(renderAllJobsList(await deps.jobs.listAll(allJobsShown)));
      count("ok");
      return;
    }
    if (id !== "") {
      if (parseJobId(id) === undefined) {
        count("invalid");
        await ctx.reply(statusUsage);
        return;
      }
      // The text only: the live message with its Cancel button is the one /download answered with. An
      // unknown id goes to the error boundary, which answers it.
      await ctx.reply(renderJobMessage(await deps.jobs.status(id, ctx.actor)).text);
      count("ok");
      return;
    }
    const views = await deps.jobs.list({ userId: ctx.actor.userId, isAdmin: false }, 10);
    count("ok");
    if (views.length === 0) {
      await ctx.reply(
        `You have no jobs yet. Send /download <Spotify link> to start one.${ctx.actor.isAdmin ? " /status all lists everyone's." : ""}`,
      );
      return;
    }
    await ctx.reply(renderStatusList(views));
  });
  return feature;
}
