/**
 * The job record: the one truth about whose a collection is, where it stands and how it ended, one Redis
 * hash per job (`keys.job(id)`: `who`, `stage`, and once it ends `result`), kept for `jobs.keepHours`
 * after the last write.
 *
 * Who writes it (and nobody else):
 * - JobService.submit: `who` (owner, link, format, time) and `queued`; JobService.retryFailed also
 *   `retriedBy` on the earlier job (`claimRetry`: its one retry);
 * - the progress aggregator, when the collection processor announces a stage: `resolving`,
 *   `downloading`, `packaging`;
 * - `finish` (collection processor at the end, JobService.cancel for a job that never started, the worker
 *   runtime when BullMQ gives up on a collection): the final stage and the result, together;
 * - `replaceResult` (collection processor, when a fix job has replaced one of this job's tracks): the
 *   result of a job that has ended, rewritten so its link and /status show the fixed track.
 *
 * BullMQ keeps the work (queue, attempts, children); the record keeps what a person is told. Progress
 * numbers (percent, tracks done, the current track) live in the last progress event (`job.progress`).
 */
import type { Redis } from "ioredis";
import type { Keys } from "./keys.js";
import { z } from "zod";
import {
  collectionResultSchema,
  deliveryModes,
  jobStages,
  ownerSchema,
  qualitySchema,
  refSchema,
  type CollectionResult,
  type FinalStage,
  type JobStage,
} from "./schemas.js";
import { audioFormats } from "../config/schema.js";

/** Whose job it is and what was asked: written once, at submit. */
export const jobIdentitySchema = z.object({
  owner: ownerSchema,
  ref: refSchema,
  format: z.enum(audioFormats),
  /** The person's quality and delivery choices (absent: the service's bitrate, audio and link). */
  quality: qualitySchema.optional(),
  delivery: z.enum(deliveryModes).optional(),
  createdAt: z.number(),
  /** A retry of an earlier job's failed tracks (JobService.retryFailed). */
  retry: z.object({ of: z.string(), indexes: z.array(z.number().int()) }).optional(),
  /** A fix of one track of an earlier job (JobService.fixTrack). */
  fix: z.object({ of: z.string(), index: z.number().int(), videoId: z.string() }).optional(),
});
export type JobIdentity = z.infer<typeof jobIdentitySchema>;

/** The final stage a result means. */
export function stageOfOutcome(outcome: CollectionResult["outcome"]): JobStage {
  return outcome === "cancelled" ? "cancelled" : outcome === "failed" ? "failed" : "done";
}

/** A result without tracks: a collection that ended before any (cancelled, failed), or the base of one. */
export function endedWithoutTracks(
  outcome: CollectionResult["outcome"],
  title: string,
  extra: Partial<
    Pick<CollectionResult, "subtitle" | "upc" | "reason" | "reasonCode" | "notes" | "truncated">
  > = {},
): CollectionResult {
  return {
    outcome,
    title,
    tracks: [],
    notes: [],
    truncated: false,
    totalDurationSec: 0,
    totalBytes: 0,
    finishedAt: Date.now(),
    ...extra,
  };
}

export interface JobRecord {
  who?: JobIdentity;
  stage?: JobStage;
  result?: CollectionResult;
  /** The job retrying this one's failed tracks, once one was started (`claimRetry`). */
  retriedBy?: string;
}

export interface JobRecords {
  /** A new job: whose it is, `queued`. */
  create(jobId: string, who: JobIdentity): Promise<void>;
  /** Record a stage before the end (queued, resolving, downloading, packaging). A final record stays final. */
  setStage(jobId: string, stage: Exclude<JobStage, FinalStage>): Promise<void>;
  /** End the job: its final stage and its result, written together. @returns false when it had ended already. */
  finish(jobId: string, result: CollectionResult): Promise<boolean>;
  /**
   * Rewrite the result of a job that has ended (a fix replaced one of its tracks); its stage follows the
   * new result. @returns false when the job has not ended (or is unknown): nothing is written.
   */
  replaceResult(jobId: string, result: CollectionResult): Promise<boolean>;
  /**
   * Remember the retry of this job's failed tracks, so a double tap starts one. @returns the id of the
   * retry that was there already, or undefined when `retryId` is now the one (also when the one there is
   * `stale`, a retry that went nowhere, which `retryId` replaces).
   */
  claimRetry(jobId: string, retryId: string, stale?: string): Promise<string | undefined>;
  read(jobId: string): Promise<JobRecord>;
}

// Only a record that has not ended takes a new stage; a result is written once.
const SET_STAGE = `
if redis.call('HEXISTS', KEYS[1], 'result') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'stage', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`;
const FINISH = `
if redis.call('HEXISTS', KEYS[1], 'result') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'stage', ARGV[1], 'result', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1`;
// Only an ended job's result is rewritten (never a running one's, never a record that expired).
const REPLACE_RESULT = `
if redis.call('HEXISTS', KEYS[1], 'result') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'stage', ARGV[1], 'result', ARGV[2])
return 1`;
const CLAIM_RETRY = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local current = redis.call('HGET', KEYS[1], 'retriedBy')
if current and current ~= ARGV[2] then return current end
redis.call('HSET', KEYS[1], 'retriedBy', ARGV[1])
return false`;

export function createJobRecords(redis: Redis, keys: Keys, keepSeconds: number): JobRecords {
  const ttl = String(Math.max(1, Math.round(keepSeconds)));
  return {
    async create(jobId, who) {
      await redis
        .multi()
        .hset(keys.job(jobId), "who", JSON.stringify(who), "stage", "queued")
        .expire(keys.job(jobId), Number(ttl))
        .exec();
    },
    async setStage(jobId, stage) {
      await redis.eval(SET_STAGE, 1, keys.job(jobId), stage, ttl);
    },
    async finish(jobId, result) {
      const written = await redis.eval(
        FINISH,
        1,
        keys.job(jobId),
        stageOfOutcome(result.outcome),
        JSON.stringify(result),
        ttl,
      );
      return written === 1;
    },
    async replaceResult(jobId, result) {
      const written = await redis.eval(
        REPLACE_RESULT,
        1,
        keys.job(jobId),
        stageOfOutcome(result.outcome),
        JSON.stringify(result),
      );
      return written === 1;
    },
    async claimRetry(jobId, retryId, stale = "") {
      const existing = await redis.eval(CLAIM_RETRY, 1, keys.job(jobId), retryId, stale);
      return typeof existing === "string" ? existing : undefined;
    },
    async read(jobId) {
      const raw = await redis.hgetall(keys.job(jobId));
      const record: JobRecord = {};
      try {
        const who = jobIdentitySchema.safeParse(JSON.parse(raw.who ?? "null"));
        if (who.success) record.who = who.data;
      } catch {
        // unreadable: the job reads as unknown
      }
      if ((jobStages as readonly string[]).includes(raw.stage ?? "")) record.stage = raw.stage as JobStage;
      if (raw.retriedBy) record.retriedBy = raw.retriedBy;
      if (raw.result) {
        try {
          const parsed = collectionResultSchema.safeParse(JSON.parse(raw.result));
          if (parsed.success) record.result = parsed.data;
        } catch {
          // a broken result reads as none; the stage still says the job ended
        }
      }
      return record;
    },
  };
}
