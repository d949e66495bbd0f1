/**
 * What the LRCLIB stand-in knows: lyrics for the Spotify stand-in's catalog tracks, made up from each
 * track's length (a line every few seconds, so every `.lrc` fits its song), with a few deliberate gaps
 * so the core meets every answer LRCLIB gives: a track it does not know (404), an instrumental (no
 * lyrics at all), and one with plain lyrics but no synced ones.
 */
import { albums, shortAlbums, shortSingle, type CatalogTrack } from "../spotify/index.js";

/** A record as LRCLIB's `GET /api/get` answers it (the recorded shape; either lyrics field may be null). */
export interface LrclibRecord {
  id: number;
  name: string;
  trackName: string;
  artistName: string;
  albumName: string;
  /** Seconds. */
  duration: number;
  instrumental: boolean;
  plainLyrics: string | null;
  syncedLyrics: string | null;
}

/** Tracks LRCLIB has never heard of: `GET /api/get` answers 404. */
export const unknownToLrclib: ReadonlySet<string> = new Set([shortSingle.tracks[1]!.id]);
/** Tracks LRCLIB knows as instrumental: found, with no lyrics. */
export const instrumentalOnLrclib: ReadonlySet<string> = new Set([shortAlbums[1]!.tracks[9]!.id]);
/** Tracks LRCLIB has plain lyrics for, but no synced ones. */
export const plainOnlyOnLrclib: ReadonlySet<string> = new Set([shortAlbums[1]!.tracks[8]!.id]);

const phrases = [
  "The lights come up along the river",
  "I kept your letter in my coat",
  "We were singing on the night train",
  "Every window holds a different story",
  "Slow down, the morning can wait",
  "Count the bridges on the way home",
  "Your voice still echoes in the hallway",
  "Paper boats on a silver tide",
  "Hold on to the last of the summer",
  "And the city hums our song",
];

/** `[mm:ss.xx]`, as LRC writes a time. */
export function lrcTime(sec: number): string {
  const cs = Math.max(0, Math.round(sec * 100));
  const m = Math.floor(cs / 6000);
  const s = Math.floor((cs % 6000) / 100);
  const c = cs % 100;
  const two = (n: number) => String(n).padStart(2, "0");
  return `[${two(m)}:${two(s)}.${two(c)}]`;
}

/** The lines of a track's made-up song and when each starts: one every ~4 s, from 1 s to 1 s before the end. */
export function songLines(track: CatalogTrack): { at: number; text: string }[] {
  const seconds = track.durationMs / 1000;
  const count = Math.max(1, Math.floor((seconds - 2) / 4));
  const step = count > 1 ? (seconds - 2) / count : 0;
  const seed = [...track.id].reduce((sum, ch) => sum + ch.charCodeAt(0), 0);
  return Array.from({ length: count }, (_, i) => ({
    at: 1 + i * step,
    text: i === 0 ? track.title : phrases[(seed + i) % phrases.length]!,
  }));
}

/** The record of a catalog track, or undefined when LRCLIB does not know it. */
export function recordFor(track: CatalogTrack, id: number): LrclibRecord | undefined {
  if (unknownToLrclib.has(track.id)) return undefined;
  const instrumental = instrumentalOnLrclib.has(track.id);
  const lines = songLines(track);
  return {
    id,
    name: track.title,
    trackName: track.title,
    artistName: track.artists.join(", "),
    albumName: track.album,
    duration: Math.round(track.durationMs / 1000),
    instrumental,
    plainLyrics: instrumental ? null : lines.map((l) => l.text).join("\n"),
    syncedLyrics:
      instrumental || plainOnlyOnLrclib.has(track.id)
        ? null
        : lines.map((l) => `${lrcTime(l.at)} ${l.text}`).join("\n"),
  };
}

/** Every catalog track the stand-in answers for, with a stable LRCLIB id. */
export function lrclibTracks(): { track: CatalogTrack; id: number }[] {
  return albums.flatMap((a) => a.tracks).map((track, i) => ({ track, id: 1000 + i }));
}
