/**
 * Lyrics from LRCLIB (lrclib.net, keyless): one `GET /api/get` per collected track, by the names and
 * length Spotify gave. Plain lyrics go into the file's tags (ffmpeg.ts), synced lyrics into a `.lrc`
 * beside the audio file, named after it. Lyrics are optional: a lookup that fails (timeout, network, a
 * 5xx after one more try, a malformed answer) is logged at debug and the track goes on without them; a
 * track LRCLIB does not know (404) or knows as instrumental gets none.
 *
 * LRCLIB asks clients to name themselves in the User-Agent, and finds a record only when the duration is
 * within 2 seconds of its own.
 */
import path from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import type { Track } from "../spotify/types.js";
import { atomicWriteFile } from "./library.js";
import { wellFormed } from "./names.js";

/** What the service tells LRCLIB about itself. */
export const LYRICS_USER_AGENT = "CD-Collector (self-hosted Telegram bot collecting Spotify links to CDs)";

export interface Lyrics {
  /** Plain text, one line per line. */
  plain?: string;
  /** LRC lines (`[mm:ss.xx] text`). */
  synced?: string;
}

export interface LyricsClientOptions {
  /** LRCLIB's origin (`lyrics.baseUrl`). */
  baseUrl: string;
  /** Time one request may take. */
  timeoutMs: number;
  logger: Logger;
}

export interface LyricsClient {
  /** The track's lyrics; undefined when there are none or LRCLIB could not say. Never rejects. */
  find(track: Track, signal?: AbortSignal): Promise<Lyrics | undefined>;
}

const recordSchema = z.object({
  instrumental: z.boolean().optional(),
  plainLyrics: z.string().nullish(),
  syncedLyrics: z.string().nullish(),
});

/** Raised for an answer worth one more try (5xx, timeout, network). */
class Transient extends Error {}

/** `text` with CRLF as LF, lone surrogates fixed, other control characters gone, and no blank edges. */
function cleanLines(text: string): string {
  return (
    wellFormed(text)
      .replace(/\r\n?/g, "\n")
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "")
      .trim()
  );
}

/** Plain lyrics from LRC lines: the time tags taken off. */
export function plainFromSynced(synced: string): string {
  return synced
    .split("\n")
    .map((line) => line.replace(/^(\s*\[\d+:\d+(?:[.:]\d+)?\])+\s?/, ""))
    .join("\n")
    .trim();
}

export function createLyricsClient(options: LyricsClientOptions): LyricsClient {
  const endpoint = new URL("/api/get", options.baseUrl);

  async function ask(url: URL, signal: AbortSignal | undefined): Promise<unknown> {
    const deadline = AbortSignal.timeout(options.timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { "user-agent": LYRICS_USER_AGENT, accept: "application/json" },
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new Transient(deadline.aborted ? "timed out" : "network error", { cause: err });
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (response.status >= 500) {
      await response.body?.cancel();
      throw new Transient(`HTTP ${response.status}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status}`);
    }
    return response.json();
  }

  return {
    async find(track, signal) {
      const url = new URL(endpoint);
      url.searchParams.set("track_name", track.title);
      url.searchParams.set("artist_name", track.artistCredit ?? track.artists.join(", "));
      url.searchParams.set("album_name", track.album);
      url.searchParams.set("duration", String(Math.round(track.durationMs / 1000)));
      const log = options.logger.child({ trackId: track.id });
      try {
        let body: unknown;
        try {
          body = await ask(url, signal);
        } catch (err) {
          if (!(err instanceof Transient)) throw err;
          log.debug({ err }, "LRCLIB lookup failed; asking once more");
          body = await ask(url, signal);
        }
        if (body === undefined) return undefined;
        const record = recordSchema.parse(body);
        if (record.instrumental) return undefined;
        const synced = record.syncedLyrics ? cleanLines(record.syncedLyrics) : "";
        const plain = record.plainLyrics ? cleanLines(record.plainLyrics) : plainFromSynced(synced);
        if (!plain && !synced) return undefined;
        return { ...(plain ? { plain } : {}), ...(synced ? { synced } : {}) };
      } catch (err) {
        log.debug({ err }, "no lyrics: LRCLIB lookup failed");
        return undefined;
      }
    },
  };
}

/**
 * The `.lrc` beside an audio file: the same name with `.lrc` for its extension. Audio names come from
 * names.ts with the extension kept whole and `.lrc` is no longer than any audio extension, so the name
 * stays within the same limits.
 */
export function lrcPathFor(audioPath: string): string {
  const { dir, name } = path.parse(audioPath);
  return path.join(dir, `${name}.lrc`);
}

/** Write synced lyrics beside `audioPath`, atomically. Returns the `.lrc` path. */
export async function writeLrc(audioPath: string, synced: string): Promise<string> {
  const dest = lrcPathFor(audioPath);
  await atomicWriteFile(dest, `${synced}\n`);
  return dest;
}
