/**
 * One collection, in two steps of the same BullMQ job:
 *  1. resolve: read the track list from Spotify, add one child job per track (they spread over every
 *     worker), and wait for the children;
 *  2. finalize: gather the children's results, write the .m3u8 and cover.jpg, pack a zip (tracks other
 *     workers hold are fetched from them first: peer-files.ts), record the result and tell the person.
 *
 * A follow-up of an earlier job (data `retry` or `fix`, made by JobService) skips Spotify: its first step
 * adds children only for the tracks it re-collects, each with the earlier child's data (`${of}-${index}`,
 * kept by BullMQ for keepHours; followed back through earlier follow-ups); finalize takes the earlier
 * result's tracks and puts the new ones in their places, so the result and package are the whole
 * collection again. A fix that worked also rewrites the earlier job's result (its link, its /status).
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { Job, WaitingChildrenError, type Queue } from "bullmq";
import type { Logger } from "pino";
import { isUserFacing } from "../errors.js";
import { diskFullMessage, isDiskFull } from "../media/disk-full.js";
import { fetchCover } from "../media/cover.js";
import { localOnlyFiles, type PeerFiles } from "../media/peer-files.js";
import type { TrackCache } from "../media/track-cache.js";
import {
  collectionDir,
  collectionFiles,
  resolveInside,
  trackPath,
  writeCover,
  writeM3u8,
} from "../media/library.js";
import type { Metrics } from "../metrics.js";
import type { Catalog } from "../spotify/catalog.js";
import type { CancelBus } from "./cancel-bus.js";
import { endedWithoutTracks, stageOfOutcome, type JobRecords } from "./job-record.js";
import { applyAlbumGain, type LocalTrack } from "./album-gain.js";
import { packCollection } from "./packager.js";
import type { PackageStore } from "./package-store.js";
import type { ProgressAggregator } from "./progress-aggregator.js";
import {
  collectionJobDataSchema,
  trackJobDataSchema,
  trackResultSchema,
  type CollectionJobData,
  type CollectionResult,
  type TrackJobData,
  type TrackResult,
} from "./schemas.js";

export interface CollectionProcessorDeps {
  catalog: Catalog;
  tracksQueue: Queue;
  /** The collections' own queue: an earlier collection's data, for a retry's or fix's tracks. */
  collectionsQueue: Queue;
  cancel: CancelBus;
  progress: ProgressAggregator;
  /** Where the collection's end is recorded (job-record.ts). */
  records: JobRecords;
  libraryDir: string;
  /**
   * Tracks other workers hold (peer-files.ts), fetched here before packing.
   * @defaultValue only this machine's library
   */
  files?: Pick<PeerFiles, "ensureLocal" | "self">;
  tmpDir: string;
  /** Where packages are made or reused (package-store.ts). */
  packages: PackageStore;
  /**
   * The track cache, for the files' checksums (a package is named after its content); album gain keeps
   * them true when it rewrites a cached file.
   */
  trackCache: TrackCache;
  /** For the album gain (album-gain.ts). @defaultValue "ffmpeg" */
  ffmpegPath?: string;
  /** @defaultValue "ffprobe" */
  ffprobePath?: string;
  pathTemplate: string;
  coverMaxBytes: number;
  /** Origins covers may come from besides Spotify's image CDNs (coverOrigins in cover.ts). */
  coverOrigins?: readonly string[];
  trackAttempts: number;
  backoffSeconds: number;
  keepHours: number;
  logger: Logger;
  metrics?: Metrics;
}

/** What a person reads of a track BullMQ gave up on (every attempt threw). */
export const keptFailingReason = "This track kept failing.";

/** Why there is no download package when packing failed for a reason other than a full disk. */
const packingFailedMessage = "something went wrong while packing it; the tracks are sent one by one.";

/** File names inside a playlist folder; `{track}` is the position in the playlist. */
const PLAYLIST_TEMPLATE = "{track} - {artist} - {title}";

/**
 * A track's BullMQ priority: its position in its collection (1 first; lower runs sooner, ties in the order
 * added). Every collection's first tracks come before anyone's later ones, so one person's long playlist
 * never holds up another's album: the queue takes tracks round by round across collections. Never 0 (an
 * unprioritised job would jump every prioritised one); BullMQ allows at most 2^21 - 1.
 */
export function trackPriority(index: number): number {
  return Math.min(index + 1, 2 ** 21 - 1);
}

function childIndex(key: string): number | undefined {
  const match = /-(\d+)$/.exec(key);
  return match ? Number(match[1]) : undefined;
}

/** What a follow-up re-collects: the earlier job, and the track indexes taken anew. */
function followUpOf(data: CollectionJobData): { of: string; indexes: number[] } | undefined {
  if (data.retry) return data.retry;
  if (data.fix) return { of: data.fix.of, indexes: [data.fix.index] };
  return undefined;
}

/** How many follow-ups back a track's data is looked for (a retry of a fix of a retry ...). */
const MAX_FOLLOW_UP_HOPS = 20;

export function createCollectionProcessor(deps: CollectionProcessorDeps) {
  const files = deps.files ?? localOnlyFiles(deps.libraryDir);
  const keepSeconds = Math.round(deps.keepHours * 3600);

  async function finish(
    job: Job,
    data: CollectionJobData,
    result: CollectionResult,
  ): Promise<CollectionResult> {
    const jobId = job.id ?? "";
    await deps.records.finish(jobId, result);
    const stage = stageOfOutcome(result.outcome);
    const ok = result.tracks.filter((t) => t.outcome === "done" || t.outcome === "cached").length;
    await deps.progress.stage(jobId, stage, {
      percent: 100,
      title: result.title,
      total: result.tracks.length,
      done: ok,
      failed: result.tracks.filter((t) => t.outcome === "failed").length,
      needsReview: result.tracks.filter((t) => t.outcome === "needs_review").length,
      result,
    });
    deps.metrics?.jobs.inc({ outcome: result.outcome });
    deps.metrics?.jobDuration.observe({ outcome: result.outcome }, (Date.now() - data.createdAt) / 1000);
    await rm(path.join(deps.tmpDir, jobId), { recursive: true, force: true }).catch(() => undefined);
    return result;
  }

  function emptyResult(
    data: CollectionJobData,
    outcome: CollectionResult["outcome"],
    reason?: string,
    code?: string,
  ): CollectionResult {
    return endedWithoutTracks(outcome, data.title ?? data.ref.uri, {
      ...(data.subtitle ? { subtitle: data.subtitle } : {}),
      ...(data.upc ? { upc: data.upc } : {}),
      ...(reason ? { reason } : {}),
      ...(code ? { reasonCode: code } : {}),
      notes: data.notes ?? [],
      truncated: data.truncated ?? false,
    });
  }

  /** A track child of `job` (its id is fixed: a retry of the step after a crash adds nothing twice). */
  function child(job: Job, data: TrackJobData) {
    const jobId = job.id ?? "";
    return {
      name: "track",
      data,
      opts: {
        jobId: `${jobId}-${data.index}`,
        parent: { id: jobId, queue: job.queueQualifiedName },
        priority: trackPriority(data.index),
        attempts: deps.trackAttempts,
        backoff: { type: "exponential", delay: deps.backoffSeconds * 1000, jitter: 0.5 },
        ignoreDependencyOnFailure: true,
        removeOnComplete: { age: keepSeconds },
        removeOnFail: { age: keepSeconds },
      },
    };
  }

  /**
   * The data track `index` of job `of` was collected with: that job's child, or (when `of` is itself a
   * follow-up that did not re-collect it) the child of the job it followed, and so on back.
   */
  async function earlierTrackData(of: string, index: number): Promise<TrackJobData | undefined> {
    let id: string | undefined = of;
    for (let hop = 0; id !== undefined && hop < MAX_FOLLOW_UP_HOPS; hop++) {
      const earlier = await Job.fromId(deps.tracksQueue, `${id}-${index}`);
      const parsed = earlier ? trackJobDataSchema.safeParse(earlier.data) : undefined;
      if (parsed?.success) return parsed.data;
      const collection: Job | undefined = await Job.fromId(deps.collectionsQueue, id);
      const data = collectionJobDataSchema.safeParse(collection?.data);
      id = data.success ? followUpOf(data.data)?.of : undefined;
    }
    return undefined;
  }

  /**
   * The first step of a retry or a fix: no Spotify; children for the tracks it re-collects only (a fix's
   * child carries the chosen video). A track whose earlier data is gone keeps its earlier result.
   */
  async function followUpStep(
    job: Job,
    data: CollectionJobData,
    redo: { of: string; indexes: number[] },
    token: string,
  ): Promise<undefined> {
    const jobId = job.id ?? "";
    deps.metrics?.queueWait.observe((Date.now() - data.createdAt) / 1000);
    await deps.progress.stage(jobId, "resolving");
    const children = [];
    for (const index of redo.indexes) {
      const earlier = await earlierTrackData(redo.of, index);
      if (!earlier) {
        deps.logger.warn({ jobId, of: redo.of, index }, "earlier track data gone; the track stays as it was");
        continue;
      }
      const { videoId: _earlierChoice, ...rest } = earlier;
      children.push(
        child(job, {
          ...rest,
          collectionId: jobId,
          ...(data.fix ? { videoId: data.fix.videoId } : {}),
        }),
      );
    }
    const title = data.title ?? data.ref.uri;
    // Progress counts the tracks re-collected (the rest are done already).
    await deps.progress.begin(jobId, { title, total: children.length }, keepSeconds);
    await deps.tracksQueue.addBulk(children);
    await job.updateData({ ...data, step: "finalize" } satisfies CollectionJobData);
    await deps.progress.stage(jobId, "downloading", { title, total: children.length });
    if (await job.moveToWaitingChildren(token)) throw new WaitingChildrenError();
    return undefined;
  }

  async function resolveStep(
    job: Job,
    data: CollectionJobData,
    token: string,
    signal: AbortSignal,
  ): Promise<CollectionResult | undefined> {
    const jobId = job.id ?? "";
    deps.metrics?.queueWait.observe((Date.now() - data.createdAt) / 1000);
    await deps.progress.stage(jobId, "resolving");
    let collection;
    try {
      collection = await deps.catalog.resolve(data.ref.uri, signal);
    } catch (err) {
      if (signal.aborted) return finish(job, data, emptyResult(data, "cancelled"));
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (isUserFacing(err)) return finish(job, data, emptyResult(data, "failed", err.userMessage, err.code));
      if (lastAttempt) {
        deps.logger.warn({ err, jobId }, "could not read the track list");
        return finish(
          job,
          data,
          emptyResult(
            data,
            "failed",
            "I couldn't read this link from Spotify. Please try again later.",
            "catalog_error",
          ),
        );
      }
      throw err;
    }
    const discCounts = new Map<string, number>();
    const perDisc = new Map<number, number>();
    for (const t of collection.tracks) {
      discCounts.set(t.album, Math.max(discCounts.get(t.album) ?? 1, t.discNumber));
      perDisc.set(t.discNumber, (perDisc.get(t.discNumber) ?? 0) + 1);
    }
    const folder = path.relative(
      deps.libraryDir,
      collectionDir(deps.libraryDir, {
        kind: collection.ref.kind,
        id: collection.ref.id,
        title: collection.title,
        ...(collection.subtitle ? { subtitle: collection.subtitle } : {}),
      }),
    );
    const updated: CollectionJobData = {
      ...data,
      step: "finalize",
      title: collection.title,
      ...(collection.subtitle ? { subtitle: collection.subtitle } : {}),
      ...(collection.coverUrl ? { coverUrl: collection.coverUrl } : {}),
      provider: collection.provider,
      truncated: collection.truncated,
      notes: collection.notes,
      totalTracks: collection.tracks.length,
      folder,
      ...(collection.ref.kind === "album" && collection.tracks[0]?.albumUpc
        ? { upc: collection.tracks[0].albumUpc }
        : {}),
    };
    if (collection.tracks.length === 0) {
      return finish(
        job,
        updated,
        emptyResult(updated, "failed", "This link has no tracks I can collect.", "empty"),
      );
    }
    await deps.progress.begin(
      jobId,
      { title: collection.title, total: collection.tracks.length },
      keepSeconds,
    );
    const total = collection.tracks.length;
    const children = collection.tracks.map((track, index) => {
      const discCount = discCounts.get(track.album) ?? 1;
      const childData: TrackJobData = {
        collectionId: jobId,
        index,
        total,
        track,
        format: data.format,
        ...(data.quality !== undefined ? { quality: data.quality } : {}),
        // Albums and tracks go where the library template says; a playlist gets a folder of its own with
        // its tracks numbered in playlist order (its tracks come from many albums, some unnamed).
        relativePath:
          collection.ref.kind === "playlist"
            ? trackPath(PLAYLIST_TEMPLATE, track, { discCount: 1, format: data.format, under: folder })
            : trackPath(deps.pathTemplate, track, { discCount, format: data.format }),
        discCount,
        ...(collection.ref.kind === "album" ? { trackTotal: perDisc.get(track.discNumber) ?? total } : {}),
      };
      return child(job, childData);
    });
    // Ids are fixed, so a retry of this step after a crash adds nothing twice.
    await deps.tracksQueue.addBulk(children);
    await job.updateData(updated);
    await deps.progress.stage(jobId, "downloading", { title: collection.title, total });
    if (await job.moveToWaitingChildren(token)) throw new WaitingChildrenError();
    return undefined;
  }

  async function finalizeStep(
    job: Job,
    data: CollectionJobData,
    signal: AbortSignal,
  ): Promise<CollectionResult> {
    const jobId = job.id ?? "";
    const cancelled = await deps.cancel.isCancelled(jobId);
    await deps.progress.stage(jobId, "packaging", {
      title: data.title,
      percent: 99,
      total: data.totalTracks ?? 0,
    });
    const values = (await job.getChildrenValues()) as Record<string, unknown>;
    const failures = await job.getIgnoredChildrenFailures();
    const byIndex = new Map<number, TrackResult>();
    for (const value of Object.values(values)) {
      const parsed = trackResultSchema.safeParse(value);
      if (parsed.success) byIndex.set(parsed.data.index, parsed.data);
    }
    const total = data.totalTracks ?? 0;
    // A retry or fix starts from the earlier job's tracks and replaces those it re-collected.
    const redo = followUpOf(data);
    const earlier = redo ? (await deps.records.read(redo.of)).result : undefined;
    if (redo && !earlier) {
      return finish(
        job,
        data,
        emptyResult(
          data,
          "failed",
          `Job ${redo.of} is too old: I no longer know its tracks. Send the link again.`,
          "job_too_old",
        ),
      );
    }
    const tracks: TrackResult[] = earlier ? [...earlier.tracks] : [];
    const indexes = redo ? redo.indexes : Array.from({ length: total }, (_, i) => i);
    for (const index of indexes) {
      const known = byIndex.get(index);
      const before = earlier?.tracks[index];
      if (known) {
        // A fixed track keeps the earlier candidates, so "Wrong song?" still offers them.
        tracks[index] =
          known.candidates === undefined && before?.candidates !== undefined
            ? { ...known, candidates: before.candidates }
            : known;
        continue;
      }
      // A child that crashed out of its attempts, or one removed by a cancel before it ran.
      const child = await Job.fromId(deps.tracksQueue, `${jobId}-${index}`);
      if (!child && before) continue; // a follow-up that could not re-collect it: as it was
      const childData = child ? trackJobDataSchema.safeParse(child.data) : undefined;
      const track = childData?.success ? childData.data.track : undefined;
      const failedKey = Object.keys(failures).find((k) => childIndex(k) === index);
      tracks[index] = {
        index,
        trackId: track?.id ?? "",
        title: track?.title ?? `Track ${index + 1}`,
        artists: track?.artists ?? [],
        outcome: cancelled ? "cancelled" : "failed",
        reason: cancelled ? "Cancelled." : failedKey ? keptFailingReason : "This track was not processed.",
        warnings: [],
      };
    }

    const collected = tracks.filter((t) => (t.outcome === "done" || t.outcome === "cached") && t.file);
    const result: CollectionResult = {
      ...emptyResult(
        data,
        cancelled
          ? "cancelled"
          : collected.length === 0
            ? "failed"
            : collected.length === tracks.length
              ? "done"
              : "partial",
      ),
      tracks,
      folder: data.folder,
      totalDurationSec: collected.reduce((s, t) => s + (t.durationSec ?? 0), 0),
      totalBytes: collected.reduce((s, t) => s + (t.bytes ?? 0), 0),
    };
    if (!cancelled && collected.length === 0) result.reason = "None of the tracks could be collected.";

    try {
      if (collected.length > 0 && data.folder !== undefined) {
        const dir = resolveInside(deps.libraryDir, data.folder);
        const names = collectionFiles(data.folder);
        const playlist = await writeM3u8(
          resolveInside(deps.libraryDir, names.playlist),
          collected.map((t) => ({
            path: resolveInside(deps.libraryDir, t.file ?? ""),
            durationSec: t.durationSec ?? 0,
            artist: t.artists.join(", "),
            title: t.title,
          })),
        );
        result.playlistFile = path.relative(deps.libraryDir, playlist);
        let cover: string | undefined;
        if (data.coverUrl) {
          const temp = path.join(deps.tmpDir, jobId, "collection-cover.jpg");
          const fetched = await fetchCover(data.coverUrl, {
            maxBytes: deps.coverMaxBytes,
            ...(deps.coverOrigins ? { origins: deps.coverOrigins } : {}),
            dest: temp,
            signal,
          }).catch(() => undefined);
          if (fetched) cover = await writeCover(resolveInside(deps.libraryDir, names.cover), fetched);
        }
        if (!cancelled) {
          // Local paths once: the album gain and the package read the same files.
          const local: LocalTrack[] = await Promise.all(
            collected.map(async (t) => {
              // A track another worker collected is fetched from it (its holder) first.
              const file = await files.ensureLocal(t.file ?? "", t.holder, {
                ...(t.bytes !== undefined ? { bytes: t.bytes } : {}),
                signal,
              });
              const cached = await deps.trackCache.get(t.trackId, data.format);
              return { track: t, file, ...(cached ? { cached } : {}) };
            }),
          );
          // Album gain only for albums: a playlist's tracks come from many records, and played in album
          // mode they should keep their own albums' levels, so a playlist writes none.
          const gained =
            data.ref.kind === "album"
              ? await applyAlbumGain(local, {
                  format: data.format,
                  trackCache: deps.trackCache,
                  self: files.self,
                  ffmpegPath: deps.ffmpegPath ?? "ffmpeg",
                  ffprobePath: deps.ffprobePath ?? "ffprobe",
                  signal,
                  logger: deps.logger.child({ jobId }),
                })
              : local.map((l) => ({
                  track: l.track,
                  file: l.file,
                  // The cache's checksum names the file's content without reading it again.
                  ...(l.cached?.path === l.file ? { sha256: l.cached.sha256 } : {}),
                }));
          for (const g of gained) tracks[g.track.index] = g.track;
          result.totalBytes = gained.reduce((sum, g) => sum + (g.track.bytes ?? 0), 0);
          const packed = await packCollection({
            store: deps.packages,
            folder: path.basename(dir),
            tracks: gained.map(({ track: t, file, sha256 }) => ({
              file,
              durationSec: t.durationSec ?? 0,
              artist: t.artists.join(", "),
              title: t.title,
              // Numbered by its place in the collection, even when earlier tracks are missing.
              position: t.index + 1,
              ...(sha256 !== undefined ? { sha256 } : {}),
            })),
            ...(cover ? { cover } : {}),
            workDir: path.join(deps.tmpDir, jobId),
            signal,
          });
          result.packagePath = packed.path;
          result.packageBytes = packed.bytes;
          if (files.self !== undefined) result.packageHolder = files.self;
        }
      }
    } catch (err) {
      // The tracks are in the library (and can still be sent): a full disk, or any other failure on the
      // last attempt, ends the job with them and a note saying why there is no zip, never with no reason.
      const diskFull = isDiskFull(err);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (!diskFull && (!lastAttempt || signal.aborted)) throw err;
      deps.logger.warn({ err, jobId }, "could not write the collection's playlist, cover or package");
      delete result.packagePath;
      delete result.packageBytes;
      delete result.packageHolder;
      result.notes = [
        ...result.notes,
        `No download package could be made: ${diskFull ? diskFullMessage : packingFailedMessage}`,
      ];
    }
    const ended = await finish(job, data, result);
    const fixed = data.fix ? ended.tracks[data.fix.index] : undefined;
    if (data.fix && earlier && fixed?.outcome === "done") {
      // The earlier job shows the fixed track too (its link, its /status), with the new package; it
      // still ended when it ended.
      await deps.records.replaceResult(data.fix.of, { ...ended, finishedAt: earlier.finishedAt });
    }
    return ended;
  }

  /** Finalize; a failed attempt leaves no `tmp/<job>` behind (the next attempt starts clean). */
  async function finalizeOrClean(
    job: Job,
    data: CollectionJobData,
    signal: AbortSignal,
  ): Promise<CollectionResult> {
    try {
      return await finalizeStep(job, data, signal);
    } catch (err) {
      await rm(path.join(deps.tmpDir, job.id ?? ""), { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
  }

  async function run(job: Job, token?: string, signal?: AbortSignal): Promise<CollectionResult | undefined> {
    const data = collectionJobDataSchema.parse(job.data);
    const jobId = job.id ?? "";
    const watch = deps.cancel.watch(jobId);
    const combined = signal ? AbortSignal.any([signal, watch.signal]) : watch.signal;
    try {
      if (data.step === "resolve") {
        if (await deps.cancel.isCancelled(jobId))
          return await finish(job, data, emptyResult(data, "cancelled"));
        const redo = followUpOf(data);
        const early = redo
          ? await followUpStep(job, data, redo, token ?? "")
          : await resolveStep(job, data, token ?? "", combined);
        if (early) return early;
        // moveToWaitingChildren said every child had already finished: finalize now.
        return await finalizeOrClean(job, collectionJobDataSchema.parse(job.data), combined);
      }
      return await finalizeOrClean(job, data, combined);
    } finally {
      watch.release();
    }
  }

  /** The BullMQ processor. The result is kept once, in the job record: BullMQ's return value stays empty. */
  return async function processCollection(job: Job, token?: string, signal?: AbortSignal): Promise<void> {
    await run(job, token, signal);
  };
}
