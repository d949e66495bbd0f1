/**
 * Every text the bot sends about jobs: the progress message, the final status, the summary, /status
 * lines and /help. Plain text (no parse mode), so nothing a title contains can break a message. Every
 * title, artist list and reason goes through {@link displayTitle}, and every text stays within Telegram's
 * 4,096 characters: a summary drops list lines (saying how many) before it would lose its download link.
 */
import type { JobView } from "../../core/jobs/job-service.js";
import {
  isFinalStage,
  type CollectionResult,
  type JobStage,
  type ProgressEvent,
  type TrackResult,
} from "../../core/jobs/schemas.js";
import { InlineKeyboard } from "grammy";
import { formatUntil } from "../../core/service-pauses.js";

/** Telegram's limit on one message. */
export const maxMessageChars = 4096;

/** Longest title, artist list or reason shown in one place of a job's text. */
export const maxTitleChars = 200;

/**
 * A title (or artist list, or reason) as shown in a job's text: on one line, at most `max` characters
 * (counted as Telegram counts them, in UTF-16 units), cut with "…" without splitting a character.
 */
export function displayTitle(text: string, max = maxTitleChars): string {
  const line = text.replace(/\s+/g, " ").trim();
  if (line.length <= max) return line;
  let out = "";
  for (const char of line) {
    if (out.length + char.length > max - 1) break;
    out += char;
  }
  return `${out.trimEnd()}…`;
}

/** What a progress message shows; built from a JobView or a ProgressEvent. */
export type ProgressSnapshot = Pick<
  JobView,
  | "stage"
  | "percent"
  | "title"
  | "total"
  | "done"
  | "failed"
  | "needsReview"
  | "current"
  | "etaSeconds"
  | "waiting"
> & { jobId: string; kind?: string };

export function snapshotOfView(view: JobView): ProgressSnapshot {
  return {
    jobId: view.id,
    stage: view.stage,
    percent: view.percent,
    kind: view.ref.kind,
    total: view.total,
    done: view.done,
    failed: view.failed,
    needsReview: view.needsReview,
    ...(view.title !== undefined ? { title: view.title } : {}),
    ...(view.current !== undefined ? { current: view.current } : {}),
    ...(view.etaSeconds !== undefined ? { etaSeconds: view.etaSeconds } : {}),
    ...(view.waiting !== undefined ? { waiting: view.waiting } : {}),
  };
}

export function snapshotOfEvent(event: ProgressEvent, previous?: ProgressSnapshot): ProgressSnapshot {
  return {
    jobId: event.jobId,
    stage: event.stage,
    percent: event.percent,
    total: event.total,
    done: event.done,
    failed: event.failed,
    needsReview: event.needsReview,
    ...(previous?.kind !== undefined ? { kind: previous.kind } : {}),
    ...((event.title ?? previous?.title) !== undefined ? { title: event.title ?? previous?.title } : {}),
    ...(event.current !== undefined ? { current: event.current } : {}),
    ...(event.etaSeconds !== undefined ? { etaSeconds: event.etaSeconds } : {}),
    ...(event.waiting !== undefined ? { waiting: event.waiting } : {}),
  };
}

const stageWords: Record<JobStage, string> = {
  queued: "waiting in line",
  resolving: "reading the track list",
  downloading: "downloading",
  packaging: "packing the files",
  done: "done",
  failed: "failed",
  cancelled: "cancelled",
};

/** Kept here for the bot modules that import it from here; the definition is in core/jobs/schemas.ts. */
export { isFinalStage };

/** A 12-cell bar: `▓▓▓▓░░░░░░░░ 33%`. */
export function progressBar(percent: number, cells = 12): string {
  const p = Math.max(0, Math.min(100, Math.round(percent)));
  const full = Math.round((p / 100) * cells);
  return `${"▓".repeat(full)}${"░".repeat(cells - full)} ${p}%`;
}

/** `5:08`, `1:02:03`. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** "15:05 UTC" (with the date when not today): what a person reads as "when". */
function clock(until: number): string {
  return formatUntil(until);
}

/** The one message a person gets when YouTube lets the waiting tracks go on. */
export function renderResumed(s: { jobId: string; title?: string; kind?: string }): string {
  const what = s.title !== undefined ? displayTitle(s.title) : `your ${s.kind ?? "request"}`;
  return `▶ YouTube lets us download again: ${what} continues (job ${s.jobId}).`;
}

/** `7.1 MB`, `830 kB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 * 1024) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} kB`;
}

function heading(s: { jobId: string; title?: string; kind?: string }): string {
  const what =
    s.title !== undefined ? displayTitle(s.title) : s.kind !== undefined ? `your ${s.kind}` : "your request";
  return `🎵 ${what}\nJob ${s.jobId}`;
}

/** Callback data of the Cancel button: `c:<jobId>` (well under Telegram's 64 bytes). */
export function cancelData(jobId: string): string {
  return `c:${jobId}`;
}

/** The keyboard under a running job's status message. */
export function cancelKeyboard(jobId: string): InlineKeyboard {
  return new InlineKeyboard().text("✖ Cancel", cancelData(jobId));
}

/**
 * A job's status message as a person sees it, wherever it is drawn (the answer to /download, /status <id>,
 * the relay's edits): progress with a Cancel button while it runs, the final status once it ended.
 */
export function renderJobMessage(job: JobView | ProgressSnapshot): {
  text: string;
  keyboard?: InlineKeyboard;
} {
  if ("owner" in job && isFinalStage(job.stage)) return { text: renderFinalStatus(job) };
  const snapshot = "owner" in job ? snapshotOfView(job) : job;
  return { text: renderProgress(snapshot), keyboard: cancelKeyboard(snapshot.jobId) };
}

/** The text of a running job's status message. */
export function renderProgress(s: ProgressSnapshot): string {
  const lines = [heading(s), `${stageWords[s.stage]} ${progressBar(s.percent)}`];
  if (s.current !== undefined && s.stage === "downloading") {
    const artists = s.current.artists.length > 0 ? ` — ${displayTitle(s.current.artists.join(", "))}` : "";
    const step =
      s.current.step === "cached"
        ? "already collected"
        : s.current.step === "waiting"
          ? "waiting"
          : `${s.current.step} ${Math.round(s.current.percent)}%`;
    lines.push(
      `Track ${s.current.index + 1}${s.total > 0 ? `/${s.total}` : ""}: ${displayTitle(s.current.title)}${artists} (${step})`,
    );
  }
  if (s.total > 0) {
    const parts = [`${s.done} of ${s.total} ready`];
    if (s.failed > 0) parts.push(`${s.failed} failed`);
    if (s.needsReview > 0) parts.push(`${s.needsReview} need review`);
    lines.push(parts.join(" · "));
  }
  if (s.waiting !== undefined) {
    lines.push(
      `⏸ ${capitalise(displayTitle(s.waiting.reason))}: downloads continue around ${clock(s.waiting.until)}. No track is lost.`,
    );
  } else if (s.etaSeconds !== undefined && s.etaSeconds > 0) {
    lines.push(`About ${formatDuration(s.etaSeconds)} left`);
  }
  return clip(lines.join("\n"));
}

/**
 * A short final status of an ended job (for /status <id>, and the status message when its summary cannot
 * be made); the status message of a job followed in a chat ends as the summary ({@link renderSummary}).
 */
export function renderFinalStatus(view: JobView): string {
  const r = view.result;
  const head = heading({
    jobId: view.id,
    kind: view.ref.kind,
    ...(view.title !== undefined ? { title: view.title } : {}),
  });
  switch (view.stage) {
    case "cancelled":
      return `${head}\n🚫 Cancelled.`;
    case "failed":
      return clip(`${head}\n❌ Failed${r?.reason !== undefined ? `: ${displayTitle(r.reason, 1000)}` : "."}`);
    default: {
      const ok = view.done;
      const icon = r?.outcome === "partial" ? "⚠️ Partly done" : "✅ Done";
      return `${head}\n${icon} ${progressBar(100)}\n${ok} of ${view.total} tracks ready.`;
    }
  }
}

const privatePlaylistHelp =
  "Spotify doesn't let bots read private playlists or (often) playlists someone else made. Make the playlist public, copy its songs into a playlist of your own, or send an album link instead.";
const quotaHelp =
  "The bot has used up its Spotify quota for now. Links will work again once it resets (usually within a day).";
const botCheckHelp =
  "YouTube asked this server to prove it is not a bot, so some downloads were refused. Try again later; the admin can add YouTube cookies to fix it for good.";

function isQuota(text: string): boolean {
  return /quota/i.test(text);
}

function isBotCheck(text: string | undefined): boolean {
  return text !== undefined && /not a bot|bot check|sign in to confirm|confirm you/i.test(text);
}

/** `3. Title — Artist` (numbered from 1), each part at most `max` characters. */
export function trackLine(t: Pick<TrackResult, "index" | "title" | "artists">, max = maxTitleChars): string {
  const artists = t.artists.length > 0 ? ` — ${displayTitle(t.artists.join(", "), max)}` : "";
  return `${t.index + 1}. ${displayTitle(t.title, max)}${artists}`;
}

/** A reason or note as shown after a track line. */
const reasonText = (text: string) => displayTitle(text, 300);

export interface SummaryExtras {
  /** Tracks not sent because they exceed the upload limit. */
  tooBig: TrackResult[];
  uploadLimitMb: number;
  /** The download link and when it stops working. */
  link?: { url: string; expiresAt: number };
  /** False when tracks are not sent as audio at all. */
  sendingAudio: boolean;
}

/**
 * What a job's status message ends as: counts, failures with reasons, review candidates, notes, the link
 * and until when it works. For a retry it says how many tracks were tried again; for a fix, which track
 * was replaced.
 */
export function renderSummary(view: JobView, extras: SummaryExtras): string {
  const r: CollectionResult | undefined = view.result;
  const title = displayTitle(r?.title ?? view.title ?? view.ref.uri);
  const subtitle = r?.subtitle !== undefined ? ` — ${displayTitle(r.subtitle)}` : "";
  // `out` is the head (always shown), `body` the lists (cut to fit), then helps and the link (always shown).
  const out: string[] = [];
  const body: string[] = [];
  if (view.stage === "cancelled") {
    out.push(`🚫 ${title}${subtitle}: cancelled (job ${view.id}).`);
  } else if (view.stage === "failed") {
    out.push(`❌ ${title}${subtitle}: I couldn't collect it (job ${view.id}).`);
    if (r?.reason !== undefined) out.push(displayTitle(r.reason, 1000));
  } else {
    out.push(`${r?.outcome === "partial" ? "⚠️" : "✅"} ${title}${subtitle} (job ${view.id})`);
  }
  if (view.fix !== undefined && r !== undefined) {
    const fixed = r.tracks.find((t) => t.index === view.fix?.index);
    if (
      fixed !== undefined &&
      (fixed.outcome === "done" || fixed.outcome === "cached") &&
      fixed.videoId === view.fix.videoId
    )
      out.push(
        `🔧 Track ${trackLine(fixed)} is replaced by the recording you chose, for everyone from now on.`,
      );
  }
  if (view.retry !== undefined && r !== undefined) {
    const again = r.tracks.filter((t) => view.retry?.indexes.includes(t.index) === true);
    const now = again.filter((t) => t.outcome === "done" || t.outcome === "cached").length;
    out.push(
      `🔁 Tried the ${again.length} failed track${again.length === 1 ? "" : "s"} again: ${now} now ready.`,
    );
  }
  const helps = new Set<string>();
  const allText = [r?.reason ?? "", ...(r?.notes ?? [])].join(" ");
  if (r?.reasonCode === "catalog_unavailable" && !isQuota(allText)) helps.add(privatePlaylistHelp);
  if (isQuota(allText) || r?.reasonCode === "quota_exceeded") helps.add(quotaHelp);

  if (r !== undefined && r.tracks.length > 0) {
    const ok = r.tracks.filter((t) => t.outcome === "done" || t.outcome === "cached").length;
    const failed = r.tracks.filter((t) => t.outcome === "failed");
    const review = r.tracks.filter((t) => t.outcome === "needs_review");
    const cancelled = r.tracks.filter((t) => t.outcome === "cancelled").length;
    const counts = [`${ok} of ${r.tracks.length} tracks ready`];
    if (failed.length > 0) counts.push(`${failed.length} failed`);
    if (review.length > 0) counts.push(`${review.length} need review`);
    if (cancelled > 0) counts.push(`${cancelled} cancelled`);
    out.push(counts.join(" · "));
    if (r.totalDurationSec > 0 || r.totalBytes > 0) {
      out.push(`Length ${formatDuration(r.totalDurationSec)} · size ${formatBytes(r.totalBytes)}`);
    }
    if (failed.length > 0) {
      body.push("", "Failed:");
      for (const t of failed) {
        body.push(`${trackLine(t)}: ${reasonText(t.reason ?? "unknown error")}`);
        if (isBotCheck(t.reason)) helps.add(botCheckHelp);
      }
    }
    if (review.length > 0) {
      body.push("", "No confident match (not downloaded; these were the closest):");
      for (const t of review) {
        const names = (t.candidates ?? [])
          .slice(0, 3)
          .map((c) => `“${displayTitle(c.title)}” (${displayTitle(c.channel)})`);
        body.push(
          `${trackLine(t)}: ${names.length > 0 ? names.join(", ") : reasonText(t.reason ?? "nothing close enough")}`,
        );
      }
    }
    const warned = r.tracks.filter((t) => t.warnings.length > 0);
    if (warned.length > 0) {
      body.push("", "Worth a listen:");
      for (const t of warned) body.push(`${trackLine(t)}: ${reasonText(t.warnings.join(" "))}`);
    }
  }
  if (r !== undefined && r.notes.length > 0) {
    body.push("", ...r.notes.map((note) => displayTitle(note, 1000)));
  }
  if (extras.tooBig.length > 0) {
    body.push(
      "",
      `Over the ${extras.uploadLimitMb} MB upload limit, so not sent here${extras.link !== undefined ? " (they are in the download below)" : ""}:`,
      ...extras.tooBig.map((t) => `${trackLine(t)} (${formatBytes(t.bytes ?? 0)})`),
    );
  }
  const tail: string[] = [];
  if (helps.size > 0) tail.push("", ...helps);
  if (extras.link !== undefined) {
    tail.push(
      "",
      `Download everything (the link works until ${clock(extras.link.expiresAt)}):`,
      extras.link.url,
    );
  }
  return fitMessage(out, body, tail, extras.link !== undefined);
}

/** Callback data of a track's "Wrong song?" button: `w:<jobId>:<index>` (0-based). */
export function wrongSongData(jobId: string, index: number): string {
  return `w:${jobId}:${index}`;
}

/** Callback data of the summary's "Wrong song?" button (which track?): `wl:<jobId>`. */
export function wrongSongListData(jobId: string): string {
  return `wl:${jobId}`;
}

/** Callback data of the summary's "Retry failed" button: `rf:<jobId>`. */
export function retryFailedData(jobId: string): string {
  return `rf:${jobId}`;
}

/** The buttons under an ended job's summary: retry its failed tracks, fix a wrong match. */
export function summaryKeyboard(view: JobView): InlineKeyboard | undefined {
  const tracks = view.result?.tracks ?? [];
  const failed = tracks.filter((t) => t.outcome === "failed").length;
  const ready = tracks.some((t) => t.outcome === "done" || t.outcome === "cached");
  const unsure = tracks.filter((t) => t.outcome === "needs_review" && (t.candidates?.length ?? 0) > 0).length;
  if (view.stage === "cancelled" || (failed === 0 && !ready && unsure === 0)) return undefined;
  const kb = new InlineKeyboard();
  if (failed > 0) kb.text(`🔁 Retry ${failed} failed`, retryFailedData(view.id));
  // Unsure tracks were not downloaded: the same picker lets the person choose their recording.
  if (unsure > 0) kb.text(`🤔 Choose for ${unsure} unsure`, wrongSongListData(view.id));
  else if (ready) kb.text("🤔 Wrong song?", wrongSongListData(view.id));
  return kb;
}

/** What a track's caption says: `3/12` (with artist and title for files sent as documents) and, for a doubtful match, how sure it is. */
export function trackCaption(
  track: { index: number; title: string; artists: string[]; confidence?: number; doubtful?: boolean },
  total: number | undefined,
  doubtfulBelow: number,
  withName: boolean,
): string {
  const position = total !== undefined && total > 0 ? `${track.index + 1}/${total}` : `${track.index + 1}`;
  const name = withName
    ? ` · ${displayTitle(track.artists.join(", "), 300)} — ${displayTitle(track.title, 300)}`
    : "";
  const doubt =
    track.doubtful === true
      ? track.confidence !== undefined && track.confidence < doubtfulBelow
        ? `\n🤔 Match ${Math.round(track.confidence)}% sure. Not the right song? Tap “Wrong song?”.`
        : `\n🤔 Worth a listen. Not the right song? Tap “Wrong song?”.`
      : "";
  return `${position}${name}${doubt}`;
}

/**
 * Lays out a message within Telegram's limit: `head` and `tail` whole, as many `body` lines as fit
 * between them, then one line saying how many were left out (and where they are, when there is a link).
 */
export function fitMessage(
  head: string[],
  body: string[],
  tail: string[],
  hasLink = false,
  limit = maxMessageChars,
): string {
  const whole = [...head, ...body, ...tail].join("\n");
  if (whole.length <= limit) return whole;
  const cutNote = (n: number) =>
    `… and ${n} more line${n === 1 ? "" : "s"}: too long for one message${hasLink ? " (all of it is in the download)" : ""}.`;
  const tailText = tail.join("\n");
  const room = limit - tailText.length - cutNote(body.length).length - 2;
  const headText = clip(head.join("\n"), Math.max(1, room));
  let used = headText.length;
  let taken = 0;
  while (taken < body.length && used + 1 + body[taken]!.length <= room) {
    used += 1 + body[taken]!.length;
    taken += 1;
  }
  const shown = body.slice(0, taken);
  while (shown.length > 0 && shown[shown.length - 1] === "") shown.pop();
  const left = body.slice(taken).filter((line) => line !== "").length;
  const text = [headText, ...shown, cutNote(left), ...tail].join("\n");
  // Only a tail longer than the limit (never drawn here) could still not fit.
  return clip(text, limit);
}

/** Cuts a text to Telegram's limit, saying so. */
export function clip(text: string, limit = maxMessageChars): string {
  if (text.length <= limit) return text;
  const tail = "\n… (cut: too long for one message)";
  return text.slice(0, limit - tail.length) + tail;
}

/** One line of /status for a job. */
export function renderStatusLine(view: JobView): string {
  const what = displayTitle(view.title ?? view.ref.kind, 80);
  if (isFinalStage(view.stage)) {
    const counts = view.total > 0 ? ` (${view.done}/${view.total} ready)` : "";
    return `${view.id} · ${what} · ${view.stage}${counts}`;
  }
  return `${view.id} · ${what} · ${stageWords[view.stage]} ${Math.round(view.percent)}%`;
}

/** The answer to /status: the person's running and recent jobs (newest first), one line each. */
export function renderStatusList(views: JobView[]): string {
  const active = views.filter((v) => !isFinalStage(v.stage));
  const recent = views.filter((v) => isFinalStage(v.stage));
  const lines: string[] = [];
  if (active.length > 0) lines.push("Running:", ...active.map(renderStatusLine));
  if (recent.length > 0)
    lines.push(...(lines.length > 0 ? [""] : []), "Recent:", ...recent.map(renderStatusLine));
  return fitMessage([], lines, ["", "/status <id> shows one job, /cancel <id> stops one."]);
}

export interface HelpFacts {
  maxActiveJobs: number;
  downloadsCapacity: number;
  downloadsRefillSeconds: number;
  uploadLimitMb: number;
  isAdmin: boolean;
  version: string;
}

export function renderHelp(f: HelpFacts): string {
  return [
    "I turn a Spotify link into tagged audio files.",
    "",
    "Send /download <link>, or just paste a link to a Spotify track, album or playlist:",
    "• https://open.spotify.com/album/…  (also /track/… and /playlist/…)",
    "• spotify:album:…  or a spotify.link/… short link",
    "I show the progress here and send each track as soon as it is ready, then a link to download them all.",
    "A wrong song? Tap “Wrong song?” and pick the right recording, or use /fix.",
    "",
    "Commands:",
    "/download <link> — collect a track, album or playlist",
    "/status [id] — your jobs, or one job",
    "/cancel <id> — stop a job",
    "/settings — your format, quality and how you get the files",
    "/fix <track> <YouTube link> — replace a track of your latest job with that recording",
    "/whoami — your Telegram id",
    "/help — this text",
    "",
    "Your limits:",
    `• ${f.maxActiveJobs} collection(s) running at once`,
    `• ${f.downloadsCapacity} request(s) in a row, then one more every ${formatDuration(f.downloadsRefillSeconds)} (min:s)`,
    `• files up to ${f.uploadLimitMb} MB are sent here; bigger ones only through the link`,
    ...(f.isAdmin
      ? [
          "",
          "You are an admin:",
          "/status all — everyone's latest jobs (/status <id> shows anyone's)",
          "/burn <id> — the disc plan of a finished collection, with Simulate and Burn buttons",
        ]
      : []),
    "",
    `CD-Collector ${f.version}`,
  ].join("\n");
}
