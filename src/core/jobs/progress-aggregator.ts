/**
 * Turns per-track progress from any number of workers into one ProgressEvent per collection. Each track
 * writes its own field of a Redis hash (no read-modify-write races between workers); the event is
 * computed from the whole hash, at most every 500 ms per collection plus on every track that ends.
 */
import type { Redis } from "ioredis";
import type { Wait } from "../media/youtube-gate.js";
import type { Track } from "../spotify/types.js";
import type { JobRecords } from "./job-record.js";
import type { Keys } from "./keys.js";
import { RecentJobs, type ProgressPublisher } from "./progress-broker.js";
import {
  isFinalStage,
  type JobStage,
  type ProgressEvent,
  type TrackOutcome,
  type TrackResult,
} from "./schemas.js";
import { createTrackResults } from "./track-results.js";

type Step = "matching" | "downloading" | "transcoding";

interface TrackState {
  /** step, "waiting" (for YouTube), or outcome */
  s: Step | "waiting" | TrackOutcome;
  p: number;
  /** While waiting: until when (epoch ms) and why, for the person. */
  u?: number;
  r?: string;
  /** YouTube Music search requests spent on the track (once it has ended). */
  q?: number;
}

export interface ProgressAggregator {
  /** Start a collection's progress record. */
  begin(collectionId: string, info: { title: string; total: number }, ttlSeconds: number): Promise<void>;
  trackProgress(
    collectionId: string,
    index: number,
    track: Track,
    step: Step,
    percent: number,
  ): Promise<void>;
  trackFinished(
    collectionId: string,
    index: number,
    outcome: TrackOutcome,
    track: Track,
    searches?: number,
    /** The track's whole result, kept for the chat (track-results.ts) before the progress event goes out. */
    result?: TrackResult,
  ): Promise<void>;
  /** The track waits for YouTube (a pause or the hour's budget) until `wait.until`. */
  trackWaiting(collectionId: string, index: number, track: Track, wait: Wait): Promise<void>;
  /**
   * Announce a collection-level stage: the job record takes a stage before the end (resolving,
   * downloading, packaging; the end itself is recorded with the result by `JobRecords.finish`), and a
   * progress event goes out for every stage.
   */
  stage(collectionId: string, stage: JobStage, extra?: Partial<ProgressEvent>): Promise<void>;
}

const stepWeight: Record<Step, [from: number, to: number]> = {
  matching: [0, 5],
  downloading: [5, 80],
  transcoding: [80, 100],
};

export function createProgressAggregator(options: {
  redis: Redis;
  keys: Keys;
  publisher: ProgressPublisher;
  records: JobRecords;
  minIntervalMs?: number;
}): ProgressAggregator {
  const { redis, keys, publisher } = options;
  const minInterval = options.minIntervalMs ?? 500;
  // Forgets a collection at its final stage, and (since this worker may never see that stage: another
  // worker runs the collection) once it has not published for `minInterval`.
  const lastPublished = new RecentJobs(minInterval);
  const results = createTrackResults(redis, keys);

  async function publish(
    collectionId: string,
    current: ProgressEvent["current"] | undefined,
    force: boolean,
  ): Promise<void> {
    const now = Date.now();
    if (!force && lastPublished.get(collectionId, now) !== undefined) return;
    lastPublished.set(collectionId, { at: now });
    const hash = await redis.hgetall(keys.trackProgress(collectionId));
    const total = Number(hash._total ?? 0);
    const started = Number(hash._start ?? now);
    let sum = 0;
    let done = 0;
    let failed = 0;
    let needsReview = 0;
    let searches = 0;
    let waiting: { until: number; reason: string } | undefined;
    for (const [field, raw] of Object.entries(hash)) {
      if (field.startsWith("_")) continue;
      const state = JSON.parse(raw) as TrackState;
      if (state.s === "done" || state.s === "cached") done++;
      else if (state.s === "failed" || state.s === "cancelled") failed++;
      else if (state.s === "needs_review") needsReview++;
      sum += state.p;
      searches += state.q ?? 0;
      if (
        state.s === "waiting" &&
        state.u !== undefined &&
        state.u > now &&
        state.u > (waiting?.until ?? 0)
      ) {
        waiting = { until: state.u, reason: state.r ?? "" };
      }
    }
    const percent = total > 0 ? Math.min(100, sum / total) : 0;
    const elapsed = (now - started) / 1000;
    const event: ProgressEvent = {
      jobId: collectionId,
      stage: "downloading",
      percent: Math.round(percent * 10) / 10,
      total,
      done,
      failed,
      needsReview,
      searches,
      at: now,
      ...(hash._title ? { title: hash._title } : {}),
      ...(current ? { current } : {}),
      ...(waiting ? { waiting } : {}),
      ...(percent > 2 && percent < 100
        ? { etaSeconds: Math.round((elapsed * (100 - percent)) / percent) }
        : {}),
    };
    await publisher.publish(event, true);
  }

  async function write(collectionId: string, index: number, state: TrackState): Promise<void> {
    await redis.hset(keys.trackProgress(collectionId), String(index), JSON.stringify(state));
  }

  return {
    async begin(collectionId, info, ttlSeconds) {
      const key = keys.trackProgress(collectionId);
      await redis
        .multi()
        .hset(key, "_total", String(info.total), "_title", info.title, "_start", String(Date.now()))
        .expire(key, ttlSeconds)
        .exec();
    },

    async trackProgress(collectionId, index, track, step, percent) {
      const [from, to] = stepWeight[step];
      const overall = from + ((to - from) * Math.max(0, Math.min(100, percent))) / 100;
      const now = Date.now();
      // Only touch Redis when this process would publish anyway, or when the step changes.
      if (percent > 0 && lastPublished.get(collectionId, now) !== undefined) return;
      await write(collectionId, index, { s: step, p: overall });
      await publish(
        collectionId,
        { index, title: track.title, artists: track.artists, step, percent: Math.round(percent) },
        false,
      );
    },

    async trackWaiting(collectionId, index, track, wait) {
      await write(collectionId, index, { s: "waiting", p: 0, u: wait.until, r: wait.reason });
      await publish(
        collectionId,
        { index, title: track.title, artists: track.artists, step: "waiting", percent: 0 },
        true,
      );
    },

    async trackFinished(collectionId, index, outcome, track, searches = 0, result) {
      if (result !== undefined) await results.write(collectionId, result);
      await write(collectionId, index, { s: outcome, p: 100, q: searches });
      await publish(
        collectionId,
        {
          index,
          title: track.title,
          artists: track.artists,
          step: outcome === "cached" ? "cached" : "transcoding",
          percent: 100,
        },
        true,
      );
    },

    async stage(collectionId, stage, extra = {}) {
      if (!isFinalStage(stage)) await options.records.setStage(collectionId, stage);
      lastPublished.set(collectionId, { at: Date.now() });
      await publisher.publish(
        {
          jobId: collectionId,
          stage,
          percent: 0,
          total: 0,
          done: 0,
          failed: 0,
          needsReview: 0,
          searches: 0,
          at: Date.now(),
          ...extra,
        },
        true,
      );
      if (isFinalStage(stage)) lastPublished.delete(collectionId);
    },
  };
}
