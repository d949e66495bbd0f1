/**
 * Fixing what went wrong, from the chat:
 * - "🔁 Retry N failed" under a summary (`rf:<job>`): a new job collects only the failed tracks again;
 * - "🤔 Wrong song?" under a track (`w:<job>:<n>`) or under a summary (`wl:<job>`: which track?): the
 *   track's best candidates (title, channel, length, confidence, a link to watch) as buttons
 *   (`wc:<job>:<n>:<k>`) and "None of these" (`wn:<job>:<n>`); choosing one starts a fix job that puts
 *   that recording in place of the track, in the chat, the library, the package and the shared cache;
 * - `/fix <track> <YouTube link>` (or `/fix <job> <track> <link>`) does the same with any recording.
 * Who may fix whose job is the job service's decision (`jobs.whoMayFix`); every button press is answered.
 */
import { Composer, InlineKeyboard } from "grammy";
import { parseJobId } from "../../../core/jobs/job-id.js";
import type { JobView } from "../../../core/jobs/job-service.js";
import type { TrackResult } from "../../../core/jobs/schemas.js";
import { isValidVideoId } from "../../../core/media/yt-dlp.js";
import type { BotContext } from "../context.js";
import { displayTitle, formatDuration, isFinalStage, renderJobMessage, trackLine } from "../render.js";
import { commandArgs } from "./command-args.js";
import type { FeatureDeps } from "./feature-deps.js";

export const fixUsage =
  "Usage: /fix <track number> <YouTube link>, for example /fix 3 https://music.youtube.com/watch?v=dQw4w9WgXcQ (your latest finished job), or /fix <job id> <track number> <link>.";

/** Most tracks offered as buttons when asking which track is wrong (Telegram keeps keyboards small). */
const maxTrackButtons = 40;

/** A YouTube video id from a link (youtube.com/watch, youtu.be, music.youtube.com, shorts) or a bare id. */
export function youtubeVideoId(text: string): string | undefined {
  if (isValidVideoId(text.trim())) return text.trim();
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  const host = url.hostname.toLowerCase().replace(/^(www|m)\./, "");
  let id: string | null | undefined;
  if (host === "youtu.be") id = url.pathname.slice(1).split("/")[0];
  else if (host === "youtube.com" || host === "music.youtube.com") {
    id =
      url.pathname === "/watch"
        ? url.searchParams.get("v")
        : /^\/(?:shorts|embed|live)\/([^/]+)/.exec(url.pathname)?.[1];
  }
  return id !== null && id !== undefined && isValidVideoId(id) ? id : undefined;
}

const watchUrl = (id: string) => `https://music.youtube.com/watch?v=${id}`;

/** A track as its buttons and choices name it: shorter than in a summary. */
const trackName = (t: TrackResult) => trackLine(t, 80);

/** The candidates message of a track: who it is now, the choices with a link each, and buttons. */
export function renderCandidates(view: JobView, t: TrackResult): { text: string; keyboard: InlineKeyboard } {
  const candidates = (t.candidates ?? []).filter((c) => c.id !== t.videoId).slice(0, 5);
  const lines = [`🤔 Track ${trackName(t)} (job ${view.id})`];
  if (t.videoId !== undefined)
    lines.push(`Now: ${watchUrl(t.videoId)}${t.confidence !== undefined ? ` (${t.confidence}% sure)` : ""}`);
  const kb = new InlineKeyboard();
  if (candidates.length === 0) {
    lines.push("", "I have no other recording to offer for this track.");
  } else {
    lines.push("", "Other recordings I found (tap the right one):");
    candidates.forEach((c, k) => {
      const length = c.durationSec !== undefined ? ` · ${formatDuration(c.durationSec)}` : "";
      lines.push(
        `${k + 1}. ${displayTitle(c.title, 80)} · ${displayTitle(c.channel, 40)}${length} · ${Math.round(c.score)}% — ${watchUrl(c.id)}`,
      );
      kb.text(
        `${k + 1}. ${displayTitle(c.title, 30)}${length}`,
        `wc:${view.id}:${t.index}:${(t.candidates ?? []).indexOf(c)}`,
      ).row();
    });
  }
  kb.text("None of these", `wn:${view.id}:${t.index}`);
  lines.push("", `Or send /fix ${view.id} ${t.index + 1} <YouTube link> with the right recording.`);
  return { text: lines.join("\n"), keyboard: kb };
}

export function fixFeature(deps: Pick<FeatureDeps, "jobs" | "relay" | "metrics">): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const count = (command: string, outcome: string) => deps.metrics.commands.inc({ command, outcome });

  /** An ended job's track, or a sentence saying why not. */
  async function trackOf(
    jobIdText: string,
    index: number,
  ): Promise<{ view: JobView; track: TrackResult } | string> {
    const jobId = parseJobId(jobIdText);
    const view = jobId !== undefined ? await deps.jobs.peek(jobId) : undefined;
    if (view === undefined) return "That job is gone (jobs are kept for a while only).";
    if (!isFinalStage(view.stage) || view.result === undefined) return "That job has not ended yet.";
    const track = view.result.tracks.find((t) => t.index === index);
    if (track === undefined) return `Job ${view.id} has no track ${index + 1}.`;
    return { view, track };
  }

  /** Shows a new job (a retry or a fix) in `messageId` when given (edited), else in a new message. */
  async function showJob(ctx: BotContext, job: JobView, messageId?: number): Promise<void> {
    const chatId = ctx.chat?.id;
    if (chatId === undefined) return;
    const shown = renderJobMessage(job);
    const markup = shown.keyboard ? { reply_markup: shown.keyboard } : {};
    let id = messageId;
    if (id !== undefined) {
      try {
        await ctx.api.editMessageText(chatId, id, shown.text, markup);
      } catch {
        id = undefined;
      }
    }
    if (id === undefined) id = (await ctx.reply(shown.text, markup)).message_id;
    await deps.relay.follow(job, { chatId, messageId: id }, shown.text);
  }

  feature.callbackQuery(/^rf:(.+)$/, async (ctx) => {
    const view = await deps.jobs.retryFailed(ctx.match[1] ?? "", ctx.actor); // a refusal goes to the error boundary
    await ctx.answerCallbackQuery({
      text: `Trying ${view.retry?.indexes.length ?? 0} failed track(s) again.`,
    });
    await showJob(ctx, view);
    count("retry", "ok");
  });

  feature.callbackQuery(/^wl:(.+)$/, async (ctx) => {
    const jobId = parseJobId(ctx.match[1] ?? "");
    const view = jobId !== undefined ? await deps.jobs.peek(jobId) : undefined;
    const tracks = view?.result?.tracks ?? [];
    // Unsure tracks (not downloaded, with candidates) first, then the collected ones.
    const ready = [
      ...tracks.filter((t) => t.outcome === "needs_review" && (t.candidates?.length ?? 0) > 0),
      ...tracks.filter((t) => t.outcome === "done" || t.outcome === "cached"),
    ];
    if (view === undefined || ready.length === 0) {
      await ctx.answerCallbackQuery({ text: "That job is gone or has no tracks to fix." });
      return;
    }
    await ctx.answerCallbackQuery();
    const kb = new InlineKeyboard();
    ready.slice(0, maxTrackButtons).forEach((t, i) => {
      const mark = t.outcome === "needs_review" ? "❓ " : "";
      kb.text(`${mark}${trackName(t)}`.slice(0, 60), `w:${view.id}:${t.index}`);
      if (i % 2 === 1) kb.row();
    });
    const more =
      ready.length > maxTrackButtons
        ? `\n(The first ${maxTrackButtons} are shown; for another one send /fix ${view.id} <track number> <YouTube link>.)`
        : "";
    await ctx.reply(
      `Which track is the wrong song? (job ${view.id}; ❓: not downloaded, no sure match)${more}`,
      {
        reply_markup: kb,
      },
    );
  });

  feature.callbackQuery(/^w:([^:]+):(\d{1,5})$/, async (ctx) => {
    const found = await trackOf(ctx.match[1] ?? "", Number(ctx.match[2]));
    if (typeof found === "string") {
      await ctx.answerCallbackQuery({ text: found });
      return;
    }
    await ctx.answerCallbackQuery();
    const { text, keyboard } = renderCandidates(found.view, found.track);
    const message = ctx.callbackQuery.message;
    // Under the track picker: that message turns into the choices; under an audio message: a new one.
    if (message !== undefined && message.text !== undefined) {
      await ctx.editMessageText(text, {
        reply_markup: keyboard,
        link_preview_options: { is_disabled: true },
      });
    } else {
      await ctx.reply(text, { reply_markup: keyboard, link_preview_options: { is_disabled: true } });
    }
  });

  feature.callbackQuery(/^wc:([^:]+):(\d{1,5}):(\d{1,2})$/, async (ctx) => {
    const found = await trackOf(ctx.match[1] ?? "", Number(ctx.match[2]));
    if (typeof found === "string") {
      await ctx.answerCallbackQuery({ text: found });
      return;
    }
    const choice = found.track.candidates?.[Number(ctx.match[3])];
    if (choice === undefined) {
      await ctx.answerCallbackQuery({ text: "That button is out of date." });
      return;
    }
    const job = await deps.jobs.fixTrack(found.view.id, found.track.index, choice.id, ctx.actor);
    await ctx.answerCallbackQuery({ text: `Replacing track ${found.track.index + 1}…` });
    await showJob(ctx, job, ctx.callbackQuery.message?.message_id);
    count("fix", "ok");
  });

  feature.callbackQuery(/^wn:([^:]+):(\d{1,5})$/, async (ctx) => {
    await ctx.answerCallbackQuery();
    const jobId = ctx.match[1] ?? "";
    const n = Number(ctx.match[2]) + 1;
    await ctx.editMessageText(
      `Find the right recording on YouTube or YouTube Music, copy its link and send:\n/fix ${jobId} ${n} <link>`,
    );
  });

  feature.command("fix", async (ctx) => {
    const args = commandArgs(ctx)
      .split(/\s+/)
      .filter((a) => a !== "");
    const [a, b, c] = args;
    let jobIdText: string | undefined;
    let numberText: string | undefined;
    let link: string | undefined;
    if (args.length === 3) [jobIdText, numberText, link] = [a, b, c];
    else if (args.length === 2) [numberText, link] = [a, b];
    const n = numberText !== undefined && /^\d{1,5}$/.test(numberText) ? Number(numberText) : undefined;
    const videoId = link !== undefined ? youtubeVideoId(link) : undefined;
    if (n === undefined || n < 1 || videoId === undefined) {
      count("fix", "invalid");
      await ctx.reply(
        link !== undefined && videoId === undefined && n !== undefined
          ? `That is not a YouTube link I can read. ${fixUsage}`
          : fixUsage,
      );
      return;
    }
    if (jobIdText === undefined) {
      const mine = await deps.jobs.list(ctx.actor, 10);
      // Tracks arrive while a job runs: a /fix without a job id is about the newest job, never an older one.
      const newest = mine[0];
      if (newest !== undefined && !isFinalStage(newest.stage)) {
        count("fix", "invalid");
        await ctx.reply(
          `Your latest job ${newest.id} is still running; /fix works on it once it has ended. For an older job: /fix <job id> ${n} <link> (/status lists your jobs).`,
        );
        return;
      }
      jobIdText = newest?.result !== undefined ? newest.id : undefined;
      if (jobIdText === undefined) {
        count("fix", "invalid");
        await ctx.reply("You have no finished job to fix. /status lists your jobs.");
        return;
      }
    }
    const job = await deps.jobs.fixTrack(jobIdText, n - 1, videoId, ctx.actor); // refusals: error boundary
    await showJob(ctx, job);
    count("fix", "ok");
  });
  return feature;
}
