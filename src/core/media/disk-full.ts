/**
 * Recognising a full disk, whichever way it shows: Node's ENOSPC/EDQUOT, or the words yt-dlp and ffmpeg
 * print (ffmpeg 5 even exits 0 when the disk fills while it writes the trailer). A full disk is no
 * reason to retry a track in seconds, and "an unexpected error" tells nobody what to do.
 */

/** The sentence a person (and the admin) gets when the disk is full. */
export const diskFullMessage =
  "The server's disk is full (no space left on device), so this could not be saved. The admin needs to free some space.";

const diskFullText = /no space left on device|disk quota exceeded|\bENOSPC\b|\bEDQUOT\b/i;

/** True when the disk-full words appear in a program's output. */
export function saysDiskFull(text: string): boolean {
  return diskFullText.test(text);
}

/** True when `err` (or one of its causes) comes from a full disk. */
export function isDiskFull(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const e = current as Error & { code?: unknown; detail?: unknown; stderrTail?: unknown };
    if (e.code === "ENOSPC" || e.code === "EDQUOT") return true;
    for (const text of [e.message, e.detail, e.stderrTail]) {
      if (typeof text === "string" && saysDiskFull(text)) return true;
    }
    current = e.cause;
  }
  return false;
}
