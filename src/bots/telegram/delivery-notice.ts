/**
 * What the person reads when Telegram makes tracks wait: which tracks are still coming and roughly
 * when, in plain words. Sent once per job's delivery, however many waits follow.
 */
import { displayTitle } from "./render.js";

/** Why the tracks wait. */
export type WaitCause = "flood" | "server";

/** Album positions (1-based) as ranges: [4,5,6,9] → "tracks 4–6 and 9"; [7] → "track 7". */
export function trackRanges(positions: readonly number[]): string {
  const sorted = [...new Set(positions)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j > i ? `${sorted[i]}–${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  const list = parts.length > 1 ? `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}` : (parts[0] ?? "");
  return `${sorted.length === 1 ? "track" : "tracks"} ${list}`;
}

/** "about 20 seconds", "about 2 minutes", "about 1 hour". */
export function aboutHowLong(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  const n = s <= 10 ? s : Math.round(s / 5) * 5;
  if (n < 60) return `about ${n} second${n === 1 ? "" : "s"}`;
  if (s < 90 * 60) {
    const m = Math.max(1, Math.round(s / 60));
    return `about ${m} minute${m === 1 ? "" : "s"}`;
  }
  const h = Math.round(s / 3600);
  return `about ${h} hour${h === 1 ? "" : "s"}`;
}

/**
 * "Telegram asked me to slow down; tracks 5–12 of “Title” will follow in about 2 minutes."
 * `positions` are 1-based album positions of the tracks still to come.
 */
export function stillComingText(options: {
  cause: WaitCause;
  positions: readonly number[];
  waitMs: number;
  title?: string;
}): string {
  const why =
    options.cause === "flood" ? "Telegram asked me to slow down" : "Telegram is having trouble right now";
  const of =
    options.title !== undefined && options.title !== "" ? ` of “${displayTitle(options.title)}”` : "";
  return `${why}; ${trackRanges(options.positions)}${of} will follow in ${aboutHowLong(options.waitMs)}.`;
}

/** Told when Telegram refuses a file as too large (413) although it was under the budget. */
export function refusedAsTooBigText(position: number, title: string, hasLink: boolean): string {
  return `Telegram refused track ${position} (${displayTitle(title)}) as too big, so it is not sent here${hasLink ? "; it is in the download" : ""}.`;
}
