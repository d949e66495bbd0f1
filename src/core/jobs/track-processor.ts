/**
 * One track: cache -> YouTube's gate (pause, hourly budget) -> match -> yt-dlp (LRCLIB asked meanwhile) ->
 * ffmpeg (tags, cover, plain lyrics) -> library (and a .lrc beside the file) -> cache.
 *
 * A person's choice of video comes first: a fix (the track job names the video) skips the cache and the
 * matcher, replaces the file and the cache entry, and records a match override; every later request of
 * the track (any format, anyone) then uses that video: a cached file of another video is not used, and
 * nothing is searched.
 *
 * Permanent outcomes (no confident match, unavailable recording, cancelled) are returned as results so
 * they neither retry nor fail the collection; temporary trouble (network, timeouts) is thrown so BullMQ
 * retries it with backoff. A passing cause on YouTube's side (its session rate limit, a bot check, the
 * hour's budget used up) never fails a track: the track waits, as a delayed job, until YouTube allows.
 * A removed or private recording is replaced by the next confident candidate.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { DelayedError, type Job } from "bullmq";
import type { Logger } from "pino";
import { isUserFacing } from "../errors.js";
import { findMatch } from "../matching/find-match.js";
import type { MatchOptions } from "../matching/scorer.js";
import type { Candidate, CandidateSource, MatchResult } from "../matching/types.js";
import { fetchCover } from "../media/cover.js";
import { checkSourceLength, keptCodecOf, transcode, MediaError, type AudioTags } from "../media/ffmpeg.js";
import type { Track } from "../spotify/types.js";
import { diskFullMessage, isDiskFull } from "../media/disk-full.js";
import { resolveInside } from "../media/library.js";
import { writeLrc, type LyricsClient } from "../media/lyrics.js";
import { localOnlyFiles, type PeerFiles } from "../media/peer-files.js";
import type { TrackCache, TrackCacheEntry } from "../media/track-cache.js";
import type { Wait, YouTubeGate } from "../media/youtube-gate.js";
import { YtDlpError, type DownloadResult, type YtDlp } from "../media/yt-dlp.js";
import type { Metrics } from "../metrics.js";
import type { CancelBus } from "./cancel-bus.js";
import type { MatchOverrides } from "./match-overrides.js";
import type { ProgressAggregator } from "./progress-aggregator.js";
import { qualityMark, trackJobDataSchema, type TrackResult } from "./schemas.js";

export interface TrackProcessorDeps {
  cache: TrackCache;
  /** YouTube's pauses and hourly budget, shared by every worker. */
  youtube: YouTubeGate;
  source: CandidateSource;
  ytDlp: YtDlp;
  match: MatchOptions;
  libraryDir: string;
  /**
   * Files other workers hold (peer-files.ts): a cached track on another machine is fetched from it.
   * @defaultValue only this machine's library
   */
  files?: Pick<PeerFiles, "ensureLocal" | "self">;
  /** Partial downloads live here, per collection, and go when it ends. */
  tmpDir: string;
  ffmpegPath: string;
  ffprobePath: string;
  bitrateKbps: number;
  coverMaxBytes: number;
  /** Origins covers may come from besides Spotify's image CDNs (coverOrigins in cover.ts). */
  coverOrigins?: readonly string[];
  trackTimeoutMs: number;
  /** Flag files whose length differs from Spotify's by more than this. */
  durationToleranceSec: number;
  cancel: CancelBus;
  progress: ProgressAggregator;
  /** The videos people chose for tracks (fixes): asked before the cache and the matcher. */
  overrides: MatchOverrides;
  /** Lyrics lookups (LRCLIB); absent when `lyrics.enabled` is false. */
  lyrics?: LyricsClient;
  logger: Logger;
  metrics?: Metrics;
  /** Set when the worker is shutting down: running tracks go back to the queue instead of failing. */
  shuttingDown: () => boolean;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * The tags a collected file carries (the benchmark's baseline writes the same); `videoId` is the YouTube
 * recording it came from, written as the source URL.
 */
export function trackTags(
  track: Track,
  placement: { trackTotal?: number; discCount: number },
  videoId?: string,
): AudioTags {
  return {
    title: track.title,
    artist: track.artistCredit ?? track.artists.join(", "),
    album: track.album,
    albumArtist: track.albumArtist,
    trackNumber: track.trackNumber,
    ...(placement.trackTotal ? { trackTotal: placement.trackTotal } : {}),
    discNumber: track.discNumber,
    discTotal: placement.discCount,
    ...(track.releaseDate ? { date: track.releaseDate } : {}),
    ...(track.isrc ? { isrc: track.isrc } : {}),
    ...(track.genre ? { genre: track.genre } : {}),
    ...(track.label ? { label: track.label } : {}),
    ...(track.copyright ? { copyright: track.copyright } : {}),
    ...(track.explicit ? { explicit: true } : {}),
    ...(videoId ? { sourceUrl: `https://music.youtube.com/watch?v=${encodeURIComponent(videoId)}` } : {}),
  };
}

/** `dir/01 - Song.m4a` with mark `original`: `dir/01 - Song [original].m4a`. */
function withMark(relativePath: string, mark: string | undefined): string {
  if (mark === undefined) return relativePath;
  const ext = path.posix.extname(relativePath);
  return `${relativePath.slice(0, relativePath.length - ext.length)} [${mark}]${ext}`;
}

/** Temp folder of one track of one collection. */
export function trackTmpDir(tmpDir: string, collectionId: string, index: number): string {
  return path.join(tmpDir, collectionId, String(index));
}

/** The choice, then the other candidates that are confident too, best first. */
function confidentPicks(match: MatchResult, opts: MatchOptions): Candidate[] {
  const rest = match.top
    .filter((s) => !s.rejected && s.score >= opts.minConfidence && s.candidate.id !== match.choice?.id)
    .map((s) => s.candidate);
  return match.choice ? [match.choice, ...rest] : rest;
}

/** A confident candidate passed over, and why. */
interface Skipped {
  id: string;
  why: "unavailable" | "too_long";
}

/** The warning a person reads when the track came from another candidate than the best one. */
function skippedWarning(skipped: readonly Skipped[], used: string): string | undefined {
  const first = skipped[0];
  if (!first) return undefined;
  return first.why === "unavailable"
    ? `the best match was unavailable on YouTube; the next one (${used}) was used`
    : `the best match turned out far longer than the song; the next one (${used}) was used`;
}

/** The candidates a person may pick instead (best first, at most 5), as a result carries them. */
function candidatesOf(match: MatchResult): NonNullable<TrackResult["candidates"]> {
  return match.top.slice(0, 5).map((s) => ({
    id: s.candidate.id,
    title: s.candidate.title,
    channel: s.candidate.channel,
    score: Math.round(s.score),
    ...(s.candidate.durationSec !== undefined ? { durationSec: s.candidate.durationSec } : {}),
  }));
}

/** A video a person chose, as a pick to download (nothing else is known of it before it is). */
function chosenPick(videoId: string): Candidate {
  return { id: videoId, title: "", channel: "", via: "video" };
}

function scoreOf(match: MatchResult, candidate: Candidate): number {
  return match.top.find((s) => s.candidate.id === candidate.id)?.score ?? match.confidence;
}

export function createTrackProcessor(deps: TrackProcessorDeps) {
  const files = deps.files ?? localOnlyFiles(deps.libraryDir);
  /** Recorded on every file this worker writes or copies: where the other roles fetch it from. */
  const held = files.self !== undefined ? { holder: files.self } : {};

  /**
   * The local path of a cached track: its file here, or a copy fetched from the worker holding it.
   * Undefined when that worker cannot give it (gone, unreachable): the track is then collected again.
   */
  async function cachedCopy(entry: TrackCacheEntry, log: Logger): Promise<string | undefined> {
    if (entry.holder === undefined || entry.holder === files.self) return entry.path; // checked by the cache
    const file = entry.file ?? path.relative(deps.libraryDir, entry.path);
    try {
      return await files.ensureLocal(file, entry.holder, { bytes: entry.bytes });
    } catch (err) {
      log.info(
        { err, holder: entry.holder },
        "cached track not available from its holder; collecting it again",
      );
      return undefined;
    }
  }

  /**
   * Download the first pick YouTube still has and that is as long as the song: a removed, private or
   * format-less upload, and a file far longer than Spotify's length (probed before anything is converted:
   * the wrong recording, or a source that lied about itself), move on to the next confident candidate. A
   * 403 on the media is tried once more before it counts (usually an outdated yt-dlp; the gate tells the
   * operator). Every other failure (a download past the size budget among them) is thrown as it is.
   */
  async function downloadFirstAvailable(
    picks: readonly Candidate[],
    durationSec: number,
    options: Parameters<YtDlp["download"]>[1],
  ): Promise<{ choice: Candidate; downloaded: DownloadResult; skipped: Skipped[]; codec: string }> {
    const skipped: Skipped[] = [];
    for (const [i, pick] of picks.entries()) {
      try {
        let downloaded: DownloadResult;
        try {
          downloaded = await deps.ytDlp.download(pick.id, options);
        } catch (err) {
          if (!(err instanceof YtDlpError && err.kind === "forbidden")) throw err;
          downloaded = await deps.ytDlp.download(pick.id, options);
        }
        let codec: string;
        try {
          ({ codec } = await checkSourceLength(
            downloaded.path,
            durationSec,
            deps.ffprobePath,
            options.signal,
          ));
        } catch (err) {
          await rm(downloaded.path, { force: true });
          throw err;
        }
        return { choice: pick, downloaded, skipped, codec };
      } catch (err) {
        const why: Skipped["why"] | undefined =
          err instanceof YtDlpError && (err.kind === "unavailable" || err.kind === "format_unavailable")
            ? "unavailable"
            : err instanceof MediaError && err.code === "source_too_long"
              ? "too_long"
              : undefined;
        if (why === undefined || i === picks.length - 1) throw err;
        deps.logger.info({ videoId: pick.id, why, err }, "candidate skipped");
        skipped.push({ id: pick.id, why });
      }
    }
    throw new YtDlpError("unavailable", "no candidate to download");
  }

  return async function processTrack(
    job: Job,
    token?: string,
    workerSignal?: AbortSignal,
  ): Promise<TrackResult> {
    const data = trackJobDataSchema.parse(job.data);
    const { track, collectionId, index } = data;
    const log = deps.logger.child({ jobId: collectionId, track: index });
    const base: Pick<TrackResult, "index" | "trackId" | "title" | "artists" | "warnings" | "isrc"> = {
      index,
      trackId: track.id,
      title: track.title,
      artists: track.artists,
      warnings: [],
      ...(track.isrc ? { isrc: track.isrc } : {}),
    };
    const finish = async (result: TrackResult): Promise<TrackResult> => {
      deps.metrics?.tracks.inc({ outcome: result.outcome });
      await deps.progress.trackFinished(
        collectionId,
        index,
        result.outcome,
        track,
        result.searches ?? 0,
        result,
      );
      return result;
    };

    if (await deps.cancel.isCancelled(collectionId))
      return finish({ ...base, outcome: "cancelled", reason: "Cancelled." });

    // A quality of the person's own makes a file of its own, beside the shared one and not cached.
    const mark = qualityMark(data.format, data.quality, deps.bitrateKbps);
    // A fix names its video (and replaces whatever is cached); else an earlier fix of this track may.
    const chosen = data.videoId;
    const pinned = chosen ?? (await deps.overrides.get(track.id))?.videoId;
    const entry =
      mark === undefined && chosen === undefined ? await deps.cache.get(track.id, data.format) : undefined;
    const cached =
      entry !== undefined && (pinned === undefined || entry.videoId === pinned) ? entry : undefined;
    const copy = cached ? await cachedCopy(cached, log) : undefined;
    if (cached && copy !== undefined) {
      deps.metrics?.cacheHits.inc({ kind: "file" });
      return finish({
        ...base,
        outcome: "cached",
        file: path.relative(deps.libraryDir, copy),
        ...held,
        bytes: cached.bytes,
        durationSec: cached.durationSec,
        videoId: cached.videoId,
      });
    }

    const watch = deps.cancel.watch(collectionId);
    const signals = [watch.signal, AbortSignal.timeout(deps.trackTimeoutMs)];
    if (workerSignal) signals.push(workerSignal);
    const signal = AbortSignal.any(signals);
    const work = trackTmpDir(deps.tmpDir, collectionId, index);
    const report = (step: "matching" | "downloading" | "transcoding", percent: number) =>
      deps.progress.trackProgress(collectionId, index, track, step, percent);
    /** Wait as a delayed job (no attempt spent) until YouTube allows; restarts spread over a tenth of the wait. */
    const waitFor = async (wait: Wait): Promise<never> => {
      await deps.progress.trackWaiting(collectionId, index, track, wait);
      if (!token) throw new Error(`waiting: ${wait.reason}`);
      log.info({ until: new Date(wait.until).toISOString(), why: wait.why }, "track waits for YouTube");
      const spread = Math.min(20_000, Math.max(0, wait.until - Date.now()) / 10);
      await job.moveToDelayed(wait.until + Math.round(Math.random() * spread), token);
      throw new DelayedError();
    };

    try {
      await rm(work, { recursive: true, force: true }); // leftovers of a killed attempt
      await mkdir(work, { recursive: true });
      const wait = await deps.youtube.admit(`${job.id ?? index}:${job.attemptsMade}`);
      if (wait) return await waitFor(wait);
      // A chosen video is not searched for; otherwise the matcher picks.
      let match: MatchResult | undefined;
      if (pinned === undefined) {
        await report("matching", 0);
        match = await findMatch(track, deps.source, deps.match, signal);
      }
      const searches = match?.searched?.length ?? 0;
      for (const kind of match?.searched ?? []) deps.metrics?.searchRequests.inc({ kind });
      if (match && (!match.choice || match.needsReview)) {
        const candidates = candidatesOf(match);
        const best = match.choice ? ` (best guess ${Math.round(match.confidence)}% sure)` : "";
        return finish({
          ...base,
          outcome: "needs_review",
          reason:
            match.top.length === 0
              ? "No recording found for this track."
              : `No confident match${best}: ${match.reasons.slice(0, 2).join("; ")}`,
          confidence: Math.round(match.confidence),
          searches,
          candidates,
        });
      }
      // Asked while the audio downloads; it never rejects (lyrics are optional).
      const lyricsLookup = deps.lyrics?.find(track, signal);
      const { choice, downloaded, skipped, codec } = await downloadFirstAvailable(
        match ? confidentPicks(match, deps.match) : [chosenPick(pinned ?? "")],
        track.durationMs / 1000,
        {
          dir: work,
          ...(data.quality === "original" ? { preferCodec: keptCodecOf(data.format) } : {}),
          signal,
          timeoutMs: deps.trackTimeoutMs,
          onProgress: (p) => void report("downloading", p.percent ?? 0).catch(() => undefined),
        },
      );
      log.debug({ videoId: choice.id, confidence: match?.confidence, chosen: !match, skipped }, "downloaded");

      const cover = track.coverUrl
        ? await fetchCover(track.coverUrl, {
            maxBytes: deps.coverMaxBytes,
            ...(deps.coverOrigins ? { origins: deps.coverOrigins } : {}),
            dest: path.join(work, "cover.jpg"),
            signal,
          })
        : undefined;
      await report("transcoding", 0);
      const lyrics = await lyricsLookup;
      const output = resolveInside(deps.libraryDir, withMark(data.relativePath, mark));
      await mkdir(path.dirname(output), { recursive: true });
      const written = await transcode({
        input: downloaded.path,
        output,
        format: data.format,
        bitrateKbps: typeof data.quality === "number" ? data.quality : deps.bitrateKbps,
        ...(data.quality === "original" ? { keepSourceCodec: codec } : {}),
        tags: { ...trackTags(track, data, choice.id), ...(lyrics?.plain ? { lyrics: lyrics.plain } : {}) },
        ...(cover ? { coverPath: cover } : {}),
        durationSec: track.durationMs / 1000,
        // The output may be no larger than a download may be: one budget for both.
        maxOutputBytes: deps.ytDlp.maxBytes,
        signal,
        timeoutMs: deps.trackTimeoutMs,
        ffmpegPath: deps.ffmpegPath,
        ffprobePath: deps.ffprobePath,
        durationToleranceSec: deps.durationToleranceSec,
        onProgress: (percent) => void report("transcoding", percent).catch(() => undefined),
      });
      if (lyrics?.synced) {
        await writeLrc(written.path, lyrics.synced).catch((err: unknown) =>
          log.info({ err }, "synced lyrics not written; the track goes on without them"),
        );
      }
      const warnings: string[] = [];
      const skippedNote = skippedWarning(skipped, choice.id);
      if (skippedNote) warnings.push(skippedNote);
      // A fix is what a person chose: its entry carries no warning.
      if (written.durationMismatch && chosen === undefined) {
        warnings.push(
          `length differs from Spotify's by ${Math.abs(Math.round(written.deltaSec))} s: it may be another version`,
        );
      }
      if (mark === undefined)
        await deps.cache.put(track.id, data.format, {
          path: written.path,
          file: path.relative(deps.libraryDir, written.path),
          ...held,
          sha256: await sha256Of(written.path),
          bytes: written.bytes,
          durationSec: written.durationSec,
          videoId: choice.id,
          createdAt: new Date().toISOString(),
        });
      // After the cache holds the new file: whoever follows the override finds it there.
      if (chosen !== undefined) await deps.overrides.set(track.id, { videoId: chosen, at: Date.now() });
      return finish({
        ...base,
        outcome: "done",
        file: path.relative(deps.libraryDir, written.path),
        ...held,
        bytes: written.bytes,
        durationSec: written.durationSec,
        // Kept for the album gain (collection-processor). Silence (−inf) has no JSON number: left out.
        ...(Number.isFinite(written.loudness.integrated) ? { loudness: written.loudness } : {}),
        videoId: choice.id,
        ...(match ? { confidence: Math.round(scoreOf(match, choice)), candidates: candidatesOf(match) } : {}),
        searches,
        warnings,
      });
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      if (watch.signal.aborted) return finish({ ...base, outcome: "cancelled", reason: "Cancelled." });
      if (err instanceof YtDlpError) {
        const wait = await deps.youtube.onFailure(
          err.kind,
          await deps.ytDlp.version().catch(() => "unknown"),
        );
        if (wait) return await waitFor(wait);
      }
      if (deps.shuttingDown() && token) {
        // Back to the queue without spending an attempt; another worker (or this one, restarted) takes it.
        log.info("shutting down: track goes back to the queue");
        await job.moveToDelayed(Date.now() + 1000, token);
        throw new DelayedError();
      }
      const diskFull = isDiskFull(err);
      const permanent =
        diskFull ||
        (err instanceof YtDlpError && err.permanent) ||
        (err instanceof MediaError && err.code !== "transcode_aborted");
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const reason = diskFull
        ? diskFullMessage
        : isUserFacing(err)
          ? err.userMessage
          : "An unexpected error stopped this track.";
      if (permanent || lastAttempt) {
        log.warn({ err }, "track failed");
        return finish({ ...base, outcome: "failed", reason });
      }
      log.info({ err, attempt: job.attemptsMade + 1 }, "track failed; will retry");
      throw err;
    } finally {
      watch.release();
      await rm(work, { recursive: true, force: true }).catch(() => undefined);
    }
  };
}
