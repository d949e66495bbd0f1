/**
 * One track: cache -> match -> yt-dlp -> ffmpeg (tags, cover) -> library -> cache.
 *
 * Permanent outcomes (no confident match, unavailable recording, cancelled) are returned as results so
 * they neither retry nor fail the collection; temporary trouble (network, timeouts, a bot check) is
 * thrown so BullMQ retries it with backoff.
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
import type { CandidateSource } from "../matching/types.js";
import { fetchCover, transcode, MediaError, type AudioTags } from "../media/ffmpeg.js";
import type { Track } from "../spotify/types.js";
import { diskFullMessage, isDiskFull } from "../media/disk-full.js";
import { resolveInside } from "../media/library.js";
import type { TrackCache } from "../media/track-cache.js";
import { YtDlpError, type YtDlp } from "../media/yt-dlp.js";
import type { Metrics } from "../metrics.js";
import type { CancelBus } from "./cancel-bus.js";
import type { ProgressAggregator } from "./progress-aggregator.js";
import { trackJobDataSchema, type TrackResult } from "./schemas.js";

export interface TrackProcessorDeps {
  cache: TrackCache;
  source: CandidateSource;
  ytDlp: YtDlp;
  match: MatchOptions;
  libraryDir: string;
  /** Partial downloads live here, per collection, and go when it ends. */
  tmpDir: string;
  ffmpegPath: string;
  ffprobePath: string;
  bitrateKbps: number;
  coverMaxBytes: number;
  trackTimeoutMs: number;
  /** Flag files whose length differs from Spotify's by more than this. */
  durationToleranceSec: number;
  cancel: CancelBus;
  progress: ProgressAggregator;
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

/** The tags a collected file carries (the benchmark's baseline writes the same). */
export function trackTags(track: Track, placement: { trackTotal?: number; discCount: number }): AudioTags {
  return {
    title: track.title,
    artist: track.artists.join(", "),
    album: track.album,
    albumArtist: track.albumArtist,
    trackNumber: track.trackNumber,
    ...(placement.trackTotal ? { trackTotal: placement.trackTotal } : {}),
    discNumber: track.discNumber,
    discTotal: placement.discCount,
    ...(track.releaseDate ? { date: track.releaseDate } : {}),
    ...(track.isrc ? { isrc: track.isrc } : {}),
  };
}

/** Temp folder of one track of one collection. */
export function trackTmpDir(tmpDir: string, collectionId: string, index: number): string {
  return path.join(tmpDir, collectionId, String(index));
}

export function createTrackProcessor(deps: TrackProcessorDeps) {
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
      await deps.progress.trackFinished(collectionId, index, result.outcome, track, result.searches ?? 0);
      return result;
    };

    if (await deps.cancel.isCancelled(collectionId))
      return finish({ ...base, outcome: "cancelled", reason: "Cancelled." });

    const cached = await deps.cache.get(track.id, data.format);
    if (cached) {
      deps.metrics?.cacheHits.inc({ kind: "file" });
      return finish({
        ...base,
        outcome: "cached",
        file: path.relative(deps.libraryDir, cached.path),
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

    try {
      await rm(work, { recursive: true, force: true }); // leftovers of a killed attempt
      await mkdir(work, { recursive: true });
      await report("matching", 0);
      const match = await findMatch(track, deps.source, deps.match, signal);
      const searches = match.searched?.length ?? 0;
      for (const kind of match.searched ?? []) deps.metrics?.searchRequests.inc({ kind });
      if (!match.choice || match.needsReview) {
        const candidates = match.top.map((s) => ({
          id: s.candidate.id,
          title: s.candidate.title,
          channel: s.candidate.channel,
          score: Math.round(s.score),
        }));
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
      const choice = match.choice;
      log.debug({ videoId: choice.id, confidence: match.confidence }, "matched");

      await report("downloading", 0);
      const downloaded = await deps.ytDlp.download(choice.id, {
        dir: work,
        signal,
        timeoutMs: deps.trackTimeoutMs,
        onProgress: (p) => void report("downloading", p.percent ?? 0).catch(() => undefined),
      });

      const cover = track.coverUrl
        ? await fetchCover(track.coverUrl, {
            maxBytes: deps.coverMaxBytes,
            dest: path.join(work, "cover.jpg"),
            signal,
          })
        : undefined;
      await report("transcoding", 0);
      const output = resolveInside(deps.libraryDir, data.relativePath);
      await mkdir(path.dirname(output), { recursive: true });
      const written = await transcode({
        input: downloaded.path,
        output,
        format: data.format,
        bitrateKbps: deps.bitrateKbps,
        tags: trackTags(track, data),
        ...(cover ? { coverPath: cover } : {}),
        durationSec: track.durationMs / 1000,
        signal,
        timeoutMs: deps.trackTimeoutMs,
        ffmpegPath: deps.ffmpegPath,
        ffprobePath: deps.ffprobePath,
        durationToleranceSec: deps.durationToleranceSec,
        onProgress: (percent) => void report("transcoding", percent).catch(() => undefined),
      });
      const warnings: string[] = [];
      if (written.durationMismatch) {
        warnings.push(
          `length differs from Spotify's by ${Math.abs(Math.round(written.deltaSec))} s: it may be another version`,
        );
      }
      await deps.cache.put(track.id, data.format, {
        path: written.path,
        sha256: await sha256Of(written.path),
        bytes: written.bytes,
        durationSec: written.durationSec,
        videoId: choice.id,
        createdAt: new Date().toISOString(),
      });
      return finish({
        ...base,
        outcome: "done",
        file: path.relative(deps.libraryDir, written.path),
        bytes: written.bytes,
        durationSec: written.durationSec,
        videoId: choice.id,
        confidence: Math.round(match.confidence),
        searches,
        warnings,
      });
    } catch (err) {
      if (watch.signal.aborted) return finish({ ...base, outcome: "cancelled", reason: "Cancelled." });
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
