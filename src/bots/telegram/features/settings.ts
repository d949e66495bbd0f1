/**
 * /settings: a person's own format, quality and delivery (core/jobs/person-settings.ts), shown in one
 * message with buttons; a press changes the setting and edits that message. Button data is
 * `s:<userId>:<f|q|d>:<value>` (under Telegram's 64 bytes): a press by anyone else (in a group) changes
 * nothing and says so. Every press is answered.
 */
import { Composer, InlineKeyboard } from "grammy";
import { audioFormats, type AudioFormat } from "../../../core/config/schema.js";
import {
  deliveryChoices,
  qualityChoices,
  type PersonSettings,
  type PersonSettingsStore,
  type SettingsOffer,
} from "../../../core/jobs/person-settings.js";
import { deliveryModes, type DeliveryMode, type Quality } from "../../../core/jobs/schemas.js";
import type { BotContext } from "../context.js";
import type { FeatureDeps } from "./feature-deps.js";

/** Said whenever flac is chosen or shown: the sources are lossy, so flac cannot sound better. */
export const flacNote =
  "Note: my sources are lossy (YouTube's Opus and AAC streams), so FLAC only makes bigger files, not better sound.";

const deliveryWords: Record<DeliveryMode, string> = {
  audio: "audio messages",
  link: "the download link only",
  both: "audio messages and the download link",
};
const deliveryButtons: Record<DeliveryMode, string> = { audio: "Audio", link: "Link", both: "Both" };

function qualityWords(format: AudioFormat, quality: Quality, offer: SettingsOffer): string {
  if (format === "flac") return "lossless (no quality to choose)";
  if (quality === "original") {
    const codec = format === "opus" ? "Opus" : "AAC";
    return `original stream (YouTube's ${codec} kept as it is, not re-encoded; other sources are converted at ${offer.bitrateKbps} kbps)`;
  }
  return `${quality} kbps`;
}

export function renderSettings(s: PersonSettings, offer: SettingsOffer): string {
  const lines = [
    "⚙️ Your settings (they apply to your next /download):",
    `Format: ${s.format}`,
    `Quality: ${qualityWords(s.format, s.quality, offer)}`,
    `Delivery: ${deliveryWords[s.delivery]}${offer.sendAudio ? "" : " (this bot sends no audio messages)"}`,
  ];
  if (s.format === "flac") lines.push("", flacNote);
  return lines.join("\n");
}

/** Button data: `s:<userId>:<what>:<value>`. */
function data(userId: number, what: "f" | "q" | "d", value: string): string {
  return `s:${userId}:${what}:${value}`;
}

export function settingsKeyboard(userId: number, s: PersonSettings, offer: SettingsOffer): InlineKeyboard {
  const mark = (label: string, chosen: boolean) => (chosen ? `✓ ${label}` : label);
  const kb = new InlineKeyboard();
  for (const f of audioFormats) kb.text(mark(f, f === s.format), data(userId, "f", f));
  const qualities = qualityChoices(s.format, offer);
  if (qualities.length > 0) {
    kb.row();
    for (const q of qualities) {
      kb.text(mark(q === "original" ? "original" : `${q}k`, q === s.quality), data(userId, "q", String(q)));
    }
  }
  const deliveries = deliveryChoices(offer);
  if (deliveries.length > 1) {
    kb.row();
    for (const d of deliveries) kb.text(mark(deliveryButtons[d], d === s.delivery), data(userId, "d", d));
  }
  return kb;
}

/** The change a button asks for; undefined when it names no known choice. */
function changeOf(what: string, value: string): Partial<PersonSettings> | undefined {
  if (what === "f")
    return (audioFormats as readonly string[]).includes(value) ? { format: value as AudioFormat } : undefined;
  if (what === "q")
    return value === "original"
      ? { quality: "original" }
      : /^\d{2,3}$/.test(value)
        ? { quality: Number(value) }
        : undefined;
  if (what === "d")
    return (deliveryModes as readonly string[]).includes(value)
      ? { delivery: value as DeliveryMode }
      : undefined;
  return undefined;
}

export function settingsFeature(
  deps: Pick<FeatureDeps, "metrics"> & { settings: PersonSettingsStore },
): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const { offer } = deps.settings;
  const count = (outcome: string) => deps.metrics.commands.inc({ command: "settings", outcome });

  feature.command("settings", async (ctx) => {
    const userId = ctx.actor.userId;
    const s = await deps.settings.get(userId);
    await ctx.reply(renderSettings(s, offer), { reply_markup: settingsKeyboard(userId, s, offer) });
    count("ok");
  });

  feature.callbackQuery(/^s:(\d+):([fqd]):([a-z0-9]{1,10})$/, async (ctx) => {
    const [, owner, what, value] = ctx.match;
    const userId = ctx.actor.userId;
    if (Number(owner) !== userId) {
      await ctx.answerCallbackQuery({ text: "These are someone else's settings. Send /settings for yours." });
      return;
    }
    const change = changeOf(what ?? "", value ?? "");
    if (change === undefined) {
      await ctx.answerCallbackQuery({ text: "That button is out of date. Send /settings again." });
      return;
    }
    const before = await deps.settings.get(userId);
    const after = await deps.settings.set(userId, change); // a refusal goes to the error boundary
    const text = renderSettings(after, offer);
    const answer =
      change.format === "flac"
        ? flacNote.replace(/^Note: /, "")
        : after.format !== before.format
          ? `Format: ${after.format}.`
          : after.quality !== before.quality
            ? `Quality: ${after.quality === "original" ? "original stream" : `${after.quality} kbps`}.`
            : after.delivery !== before.delivery
              ? `Delivery: ${deliveryWords[after.delivery]}.`
              : "That is already your choice.";
    // An unchanged message may not be edited (Telegram answers "message is not modified").
    if (JSON.stringify(before) !== JSON.stringify(after)) {
      await ctx.editMessageText(text, { reply_markup: settingsKeyboard(userId, after, offer) });
    }
    await ctx.answerCallbackQuery({ text: answer });
    count("ok");
  });
  return feature;
}
