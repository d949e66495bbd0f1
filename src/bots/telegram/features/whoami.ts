/** /whoami answers anyone, strangers included, with their numeric id, so an admin can add them. */
import { Composer } from "grammy";
import type { Metrics } from "../../../core/metrics.js";
import type { BotContext } from "../context.js";

export function whoamiFeature(deps: { metrics: Pick<Metrics, "commands"> }): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.command("whoami", async (ctx) => {
    const user = ctx.from;
    if (user === undefined) return;
    const name = [user.first_name, user.last_name].filter(Boolean).join(" ");
    const handle = user.username !== undefined ? ` (@${user.username})` : "";
    await ctx.reply(`You are ${name}${handle}. Your Telegram id is ${user.id}.`);
    deps.metrics.commands.inc({ command: "whoami", outcome: "ok" });
  });
  return feature;
}
