/**
 * /cancel <id> and the Cancel button (`c:<id>`). The JobService only lets a person act on their own
 * jobs, so pressing someone else's button (in a group) gets "can't find a job of yours". Every button
 * press is answered. A cancel ends in one message: the job's status message turns into the summary.
 */
import { Composer } from "grammy";
import { parseJobId } from "../../../core/jobs/job-id.js";
import type { JobView } from "../../../core/jobs/job-service.js";
import type { BotContext } from "../context.js";
import { isFinalStage } from "../render.js";
import { commandArgs } from "./command-args.js";
import type { FeatureDeps } from "./feature-deps.js";

export const cancelUsage = "Usage: /cancel <job id>, for example /cancel ab3def7. /status lists your jobs.";

function cancelledText(view: JobView): string {
  return isFinalStage(view.stage) ? `Job ${view.id} is cancelled.` : `Cancelling job ${view.id}…`;
}

export function cancelFeature(deps: Pick<FeatureDeps, "jobs" | "relay" | "metrics">): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const count = (outcome: string) => deps.metrics.commands.inc({ command: "cancel", outcome });

  feature.command("cancel", async (ctx) => {
    const id = commandArgs(ctx);
    if (id === "" || parseJobId(id) === undefined) {
      count("invalid");
      await ctx.reply(cancelUsage);
      return;
    }
    const view = await deps.jobs.cancel(id, ctx.actor); // a refusal goes to the error boundary
    // A job shown in this chat ends in its own status message ("cancelled", with what was ready): no
    // second message says it again.
    if (!deps.relay.isFollowing(view.id, ctx.chat.id)) await ctx.reply(cancelledText(view));
    count("ok");
    await deps.relay.refresh(view.id);
  });

  feature.callbackQuery(/^c:(.+)$/, async (ctx) => {
    const jobId = parseJobId(ctx.match[1] ?? "");
    if (jobId === undefined) {
      await ctx.answerCallbackQuery({ text: "That button is out of date." });
      return;
    }
    const view = await deps.jobs.cancel(jobId, ctx.actor); // a refusal goes to the error boundary
    await ctx.answerCallbackQuery({ text: cancelledText(view) });
    count("ok");
    await deps.relay.refresh(view.id);
  });

  // Any other button (e.g. from an older version): answer so the client stops spinning.
  feature.on("callback_query:data", async (ctx) => {
    await ctx.answerCallbackQuery({ text: "That button is out of date." });
  });
  return feature;
}
