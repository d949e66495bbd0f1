/** What the features share about a command's text (refusals are answered by the error boundary). */
import type { BotContext } from "../context.js";

/** The text after the command, trimmed (`""` when none). */
export function commandArgs(ctx: BotContext): string {
  return typeof ctx.match === "string" ? ctx.match.trim() : "";
}
