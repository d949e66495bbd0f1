/**
 * /burn <job id> (admins): the disc plan of a finished collection with Simulate and Burn buttons
 * (`b:<s|w>:<jobId>:<disc>`). A press makes sure a burner is listening (else says so at once), queues
 * the burn through the BurnService, and the burn's progress is shown in the chat it was pressed in by
 * the burn relay (core/burn/burn-relay.ts), whose notifier this feature provides: burns started here go
 * to their chat, any other burn (the HTTP route's) to `burn.adminChatId` when set. The burner checks
 * the drive before it renders anything, so a missing drive reaches the chat within seconds.
 * Every button press is answered.
 */
import { Composer, type Api } from "grammy";
import type { BurnNotifier } from "../../../core/burn/burn-relay.js";
import type { BurnService } from "../../../core/burn/burn-service.js";
import { parseJobId } from "../../../core/jobs/job-id.js";
import type { BotContext } from "../context.js";
import {
  adminOnly,
  burnDataPattern,
  burnKeyboard,
  burnUsage,
  noBurnerText,
  parseBurnData,
  renderBurnPlan,
  renderBurnQueued,
} from "../render-burn.js";
import { commandArgs } from "./command-args.js";
import type { FeatureDeps } from "./feature-deps.js";

export interface BurnFeatureDeps extends Pick<FeatureDeps, "jobs" | "metrics"> {
  /** Absent when this bot cannot reach a burn queue: /burn then says so. */
  burn?: BurnService;
  api: Api;
  /** Chat that shows burns not started from a chat (the HTTP route's). 0: none. */
  adminChatId: number;
}

export interface BurnFeature {
  composer: Composer<BotContext>;
  /** For the burn relay: where each burn's progress message goes. */
  notifier: BurnNotifier;
}

export function burnFeature(deps: BurnFeatureDeps): BurnFeature {
  const composer = new Composer<BotContext>();
  const count = (outcome: string) => deps.metrics.commands.inc({ command: "burn", outcome });
  /** Burns started from a chat, until their last text: burn id → chat, and job id → running burn. */
  const chatOf = new Map<string, number>();
  const runningFor = new Map<string, string>();
  /** Burns being queued: the relay may hear of a burn before its id is known here. */
  const queuing = new Set<Promise<unknown>>();

  const targetOf = async (burnId: string): Promise<number | undefined> => {
    if (!chatOf.has(burnId) && queuing.size > 0) await Promise.allSettled([...queuing]);
    const chat = chatOf.get(burnId) ?? deps.adminChatId;
    return chat !== 0 ? chat : undefined;
  };
  const forget = (burnId: string) => {
    chatOf.delete(burnId);
    for (const [jobId, running] of runningFor) if (running === burnId) runningFor.delete(jobId);
  };

  const notifier: BurnNotifier = {
    async send(text, burn) {
      const chat = await targetOf(burn.burnId);
      if (burn.ended) forget(burn.burnId);
      if (chat === undefined) return undefined;
      return (await deps.api.sendMessage(chat, text)).message_id;
    },
    async edit(messageId, text, burn) {
      const chat = await targetOf(burn.burnId);
      if (burn.ended) forget(burn.burnId);
      if (chat !== undefined) await deps.api.editMessageText(chat, messageId, text);
    },
  };

  composer.command("burn", async (ctx) => {
    if (!ctx.actor.isAdmin) {
      count("refused");
      await ctx.reply(adminOnly("/burn"));
      return;
    }
    const jobId = parseJobId(commandArgs(ctx));
    if (jobId === undefined) {
      count("invalid");
      await ctx.reply(burnUsage);
      return;
    }
    if (deps.burn === undefined) {
      count("error");
      await ctx.reply("Burning CDs is not set up for this bot.");
      return;
    }
    const view = await deps.jobs.status(jobId, ctx.actor); // an unknown id goes to the error boundary
    if (view.stage !== "done") {
      count("invalid");
      await ctx.reply(`Job ${jobId} is ${view.stage}: only a finished collection can be burned.`);
      return;
    }
    const plan = await deps.burn.plan(jobId); // "nothing to burn" goes to the error boundary
    await ctx.reply(renderBurnPlan(jobId, plan), { reply_markup: burnKeyboard(jobId, plan) });
    count("ok");
  });

  composer.callbackQuery(burnDataPattern, async (ctx) => {
    const request = parseBurnData(ctx.callbackQuery.data);
    if (request === undefined || deps.burn === undefined) {
      await ctx.answerCallbackQuery({ text: "That button is out of date." });
      return;
    }
    if (!ctx.actor.isAdmin) {
      count("refused");
      await ctx.answerCallbackQuery({ text: adminOnly("Burning"), show_alert: true });
      return;
    }
    // A second press while this collection's burn goes on would only fail on a written disc. Asked of
    // the queue, so a burn whose end the relay missed does not block the next one.
    const running = runningFor.get(request.jobId);
    const state = running !== undefined ? (await deps.burn.status(running))?.state : undefined;
    if (running !== undefined && (state === undefined || state === "completed" || state === "failed")) {
      runningFor.delete(request.jobId);
    } else if (running !== undefined) {
      count("limited");
      await ctx.answerCallbackQuery({
        text: `Burn ${running} of job ${request.jobId} is still going: wait for it to end.`,
        show_alert: true,
      });
      return;
    }
    // Nothing listening on the burn queue: say so now rather than queue a burn nobody takes. A Redis
    // that does not list its clients (CLIENT LIST refused) leaves it to the burner.
    const burners = await deps.burn.queue.getWorkersCount().catch(() => undefined);
    if (burners === 0) {
      count("error");
      await ctx.answerCallbackQuery({ text: "No burner is running." });
      await ctx.reply(noBurnerText);
      return;
    }
    const chatId = ctx.chat?.id ?? ctx.from.id;
    const burn = deps.burn;
    // Held in `queuing` until the "queued" line is in the chat, so progress comes after it.
    const work = (async () => {
      const { burnId } = await burn.enqueue({ ...request }); // a refusal goes to the error boundary
      chatOf.set(burnId, chatId);
      runningFor.set(request.jobId, burnId);
      await ctx.answerCallbackQuery({ text: `Queued as burn ${burnId}.` });
      await ctx.reply(renderBurnQueued(burnId, request.simulate, request.disc));
      count("ok");
    })();
    queuing.add(work);
    try {
      await work;
    } finally {
      queuing.delete(work);
    }
  });

  return { composer, notifier };
}
