/**
 * The album gain of a finished album request (replaygain.ts `writeAlbumGain`), run by finalize just
 * before packing, over the tracks' local files (the same paths the package then reads).
 *
 * Tagging rewrites files in place, so what names their content is kept true here: each track result's
 * `bytes` (and `holder`: the rewritten copy is this machine's), and the track cache's `sha256`/`bytes`
 * where the file is the cache's shared one; the new checksum also goes to the package, which is named
 * after its content. Tracks collected in this job bring their measured loudness (TrackResult.loudness);
 * cached ones are measured here.
 *
 * A failure never fails the job: it is logged and the album goes on without album gain. Since a failed
 * run may have rewritten some files already, every file is then checked against what was known of it.
 */
import { stat } from "node:fs/promises";
import type { Logger } from "pino";
import type { LibraryFormat } from "../media/library.js";
import { writeAlbumGain, type AlbumGainWritten } from "../media/replaygain.js";
import type { TrackCache, TrackCacheEntry } from "../media/track-cache.js";
import { sha256OfFile } from "./package-store.js";
import type { TrackResult } from "./schemas.js";

/** One collected track with its local file and its cache entry (when the cache has one). */
export interface LocalTrack {
  track: TrackResult;
  /** Absolute path of the file on this machine. */
  file: string;
  cached?: TrackCacheEntry;
}

export interface AlbumGainDeps {
  format: LibraryFormat;
  trackCache: TrackCache;
  /** This machine's holder URL (peer-files.ts); undefined on one machine. */
  self: string | undefined;
  ffmpegPath: string;
  ffprobePath: string;
  signal: AbortSignal;
  logger: Logger;
}

/** A track after album gain: its result (bytes, holder updated) and the file's checksum when known. */
export interface GainedTrack {
  track: TrackResult;
  file: string;
  sha256?: string;
}

/** True when `cached` describes `file` on this machine: the shared cached file itself. */
function isCachedFile(cached: TrackCacheEntry | undefined, file: string, self: string | undefined) {
  return (
    cached !== undefined && cached.path === file && (cached.holder === undefined || cached.holder === self)
  );
}

/** Write the album gain into every track's file; resolves with the tracks as they now are. */
export async function applyAlbumGain(
  tracks: readonly LocalTrack[],
  deps: AlbumGainDeps,
): Promise<GainedTrack[]> {
  let written: (AlbumGainWritten | undefined)[];
  try {
    written = await writeAlbumGain(
      tracks.map((t) => ({
        path: t.file,
        durationSec: t.track.durationSec ?? 0,
        ...(t.track.loudness ? { loudness: t.track.loudness } : {}),
      })),
      { ffmpegPath: deps.ffmpegPath, ffprobePath: deps.ffprobePath, signal: deps.signal },
    );
  } catch (err) {
    if (deps.signal.aborted) throw err;
    deps.logger.warn({ err }, "album gain not written; the album goes on without it");
    // Which files were rewritten before the failure is unknown: each is checked below.
    written = tracks.map(() => undefined);
  }
  const out: GainedTrack[] = [];
  for (const [i, t] of tracks.entries()) {
    const w = written[i];
    const known = isCachedFile(t.cached, t.file, deps.self) ? t.cached : undefined;
    if (w !== undefined && !w.rewritten) {
      out.push({ track: t.track, file: t.file, ...(known ? { sha256: known.sha256 } : {}) });
      continue;
    }
    const bytes = w?.bytes ?? (await stat(t.file)).size;
    const sha256 = await sha256OfFile(t.file);
    if (known && (known.sha256 !== sha256 || known.bytes !== bytes)) {
      await deps.trackCache.updateFile(t.track.trackId, deps.format, t.file, { sha256, bytes });
    }
    const changed =
      w !== undefined || bytes !== t.track.bytes || (known !== undefined && known.sha256 !== sha256);
    if (!changed) {
      out.push({ track: t.track, file: t.file, sha256 });
      continue;
    }
    // This machine now holds the file as the result describes it (another worker's copy has no album gain).
    const { holder: _elsewhere, ...rest } = t.track;
    const track: TrackResult = { ...rest, bytes, ...(deps.self !== undefined ? { holder: deps.self } : {}) };
    out.push({ track, file: t.file, sha256 });
  }
  return out;
}
