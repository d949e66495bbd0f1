/**
 * JobService: the one door to the pipeline for the bot, the CLI and the HTTP API. Submit is idempotent
 * and cheap (no network beyond Redis: links are resolved by the workers), so a burst of requests is
 * queued in milliseconds and the limits answer in plain words.
 */
import { createHash } from "node:crypto";
import { Queue, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { UserFacingError } from "../errors.js";
import type { AudioFormat, Config } from "../config/schema.js";
import type { SpotifyRef } from "../spotify/types.js";
import { newJobId, parseJobId } from "./job-id.js";
import { createKeys, QUEUE_COLLECTIONS, type Keys } from "./keys.js";
import {
  collectionJobDataSchema,
  collectionResultSchema,
  progressEventSchema,
  type CollectionJobData,
  type CollectionResult,
  type JobStage,
  type Owner,
  type ProgressEvent,
} from "./schemas.js";

/** Who is asking: people see and cancel only their own jobs; admins see all. */
export interface Actor {
  userId: number;
  isAdmin: boolean;
}

/** A job as a person sees it. */
export interface JobView {
  id: string;
  owner: Owner;
  ref: SpotifyRef;
  format: AudioFormat;
  stage: JobStage;
  percent: number;
  title?: string;
  total: number;
  done: number;
  failed: number;
  needsReview: number;
  current?: ProgressEvent["current"];
  etaSeconds?: number;
  /** Tracks wait for YouTube until then (its rate limit, a bot check, the hour's budget). */
  waiting?: ProgressEvent["waiting"];
  createdAt: number;
  finishedAt?: number;
  result?: CollectionResult;
}

export interface JobServiceOptions {
  /** A producer connection (fails fast). Closed by the caller. */
  connection: Redis;
  prefix: string;
  defaultFormat: AudioFormat;
  maxActiveJobsPerPerson: number;
  maxQueueDepth: number;
  /** The same person + link + format within this time returns the same job. */
  dedupeSeconds: number;
  /** How long finished jobs stay visible. */
  keepHours: number;
  /** Attempts of the resolve/finalize steps (network trouble talking to Spotify). @defaultValue 3 */
  collectionAttempts?: number;
}

export interface SubmitRequest {
  owner: Owner;
  ref: SpotifyRef;
  format?: AudioFormat;
}

export interface JobService {
  submit(request: SubmitRequest): Promise<{ job: JobView; existing: boolean }>;
  status(jobId: string, actor: Actor): Promise<JobView>;
  list(actor: Actor, limit?: number): Promise<JobView[]>;
  cancel(jobId: string, actor: Actor): Promise<JobView>;
  /** Remember which chat message shows this job's progress (so a restarted bot can resume). */
  setRelay(jobId: string, target: RelayTarget): Promise<void>;
  relays(): Promise<Map<string, RelayTarget>>;
  clearRelay(jobId: string): Promise<void>;
  /** Collections waiting or running. */
  depth(): Promise<number>;
  readonly queue: Queue;
  close(): Promise<void>;
}

export interface RelayTarget {
  chatId: number;
  messageId: number;
  /** Set once the final summary has been delivered. */
  delivered?: boolean;
}

export class JobNotFoundError extends UserFacingError {
  constructor(id: string) {
    super("job_not_found", `I can't find a job "${id}" of yours. /status lists your jobs.`);
  }
}

const activeStates = ["waiting", "active", "waiting-children", "delayed", "prioritized"] as const;

function stageOf(state: string, data: CollectionJobData, result: CollectionResult | undefined): JobStage {
  if (result) {
    if (result.outcome === "cancelled") return "cancelled";
    if (result.outcome === "failed") return "failed";
    return "done";
  }
  switch (state) {
    case "active":
      return data.step === "finalize" ? "packaging" : "resolving";
    case "waiting-children":
      return "downloading";
    case "failed":
      return "failed";
    case "completed":
      return "done";
    default:
      return "queued";
  }
}

export function createJobService(options: JobServiceOptions): JobService {
  const keys: Keys = createKeys(options.prefix);
  const redis = options.connection;
  const keepSeconds = Math.round(options.keepHours * 3600);
  const queue = new Queue(QUEUE_COLLECTIONS, { connection: redis, prefix: options.prefix });
  queue.on("error", () => undefined); // connection errors surface on the calls that need Redis

  async function readResult(jobId: string): Promise<CollectionResult | undefined> {
    const raw = await redis.get(keys.result(jobId));
    if (!raw) return undefined;
    const parsed = collectionResultSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  }

  async function view(job: Job, stateHint?: string): Promise<JobView> {
    const data = collectionJobDataSchema.parse(job.data);
    const [state, result] = await Promise.all([stateHint ?? job.getState(), readResult(job.id ?? "")]);
    const progress = progressEventSchema.safeParse(job.progress);
    const p = progress.success ? progress.data : undefined;
    const stage = stageOf(state, data, result);
    const final = stage === "done" || stage === "failed" || stage === "cancelled";
    const tracks = result?.tracks ?? [];
    const v: JobView = {
      id: job.id ?? "",
      owner: data.owner,
      ref: data.ref,
      format: data.format,
      stage,
      percent: final ? 100 : (p?.percent ?? 0),
      total: result ? tracks.length : (p?.total ?? data.totalTracks ?? 0),
      done: result
        ? tracks.filter((t) => t.outcome === "done" || t.outcome === "cached").length
        : (p?.done ?? 0),
      failed: result ? tracks.filter((t) => t.outcome === "failed").length : (p?.failed ?? 0),
      needsReview: result ? tracks.filter((t) => t.outcome === "needs_review").length : (p?.needsReview ?? 0),
      createdAt: data.createdAt,
    };
    const title = result?.title ?? data.title ?? p?.title;
    if (title !== undefined) v.title = title;
    if (!final && p?.current) v.current = p.current;
    if (!final && p?.etaSeconds !== undefined) v.etaSeconds = p.etaSeconds;
    if (!final && p?.waiting !== undefined && p.waiting.until > Date.now()) v.waiting = p.waiting;
    if (result) {
      v.result = result;
      v.finishedAt = result.finishedAt;
    } else if (state === "failed") {
      v.finishedAt = job.finishedOn ?? Date.now();
    }
    return v;
  }

  async function findOwned(jobIdText: string, actor: Actor): Promise<Job> {
    const jobId = parseJobId(jobIdText);
    if (!jobId) throw new JobNotFoundError(jobIdText.slice(0, 20));
    const job = await queue.getJob(jobId);
    if (!job) throw new JobNotFoundError(jobId);
    const owner = (job.data as { owner?: Owner }).owner;
    if (!actor.isAdmin && owner?.userId !== actor.userId) throw new JobNotFoundError(jobId);
    return job;
  }

  /** Active job ids of a person, dropping any that have finished or vanished. */
  async function activeOf(userId: number): Promise<string[]> {
    const ids = await redis.smembers(keys.userActive(userId));
    const alive: string[] = [];
    for (const id of ids) {
      const job = await queue.getJob(id);
      const state = job ? await job.getState() : "unknown";
      if ((activeStates as readonly string[]).includes(state) && !(await redis.exists(keys.result(id))))
        alive.push(id);
      else await redis.srem(keys.userActive(userId), id);
    }
    return alive;
  }

  return {
    queue,

    async submit(request) {
      const format = request.format ?? options.defaultFormat;
      const hash = createHash("sha256")
        .update(`${request.owner.userId}|${request.ref.uri}|${format}`)
        .digest("hex")
        .slice(0, 24);
      const dedupeKey = keys.dedupe(hash);
      const previous = await redis.get(dedupeKey);
      if (previous) {
        const job = await queue.getJob(previous);
        if (job) {
          const existing = await view(job);
          const recent =
            existing.finishedAt === undefined ||
            Date.now() - existing.finishedAt < options.dedupeSeconds * 1000;
          const usable = existing.stage !== "failed" && existing.stage !== "cancelled";
          if (recent && usable) return { job: existing, existing: true };
        }
      }

      const active = await activeOf(request.owner.userId);
      if (active.length >= options.maxActiveJobsPerPerson) {
        throw new UserFacingError(
          "limit_per_person",
          `You already have ${active.length} job(s) running (${active.join(", ")}); the limit is ${options.maxActiveJobsPerPerson}. Wait for one to finish or /cancel one.`,
        );
      }
      if ((await this.depth()) >= options.maxQueueDepth) {
        throw new UserFacingError(
          "queue_full",
          "I'm busy right now: too many collections are waiting. Please try again in a few minutes.",
        );
      }

      const id = newJobId();
      const data: CollectionJobData = {
        owner: request.owner,
        ref: { kind: request.ref.kind, id: request.ref.id, uri: request.ref.uri },
        format,
        createdAt: Date.now(),
        step: "resolve",
      };
      // SET NX: two identical requests racing end up on one job.
      const won = previous
        ? await redis.set(dedupeKey, id, "EX", keepSeconds, "XX")
        : await redis.set(dedupeKey, id, "EX", keepSeconds, "NX");
      if (won !== "OK") {
        const other = await redis.get(dedupeKey);
        const job = other ? await queue.getJob(other) : undefined;
        if (job) return { job: await view(job), existing: true };
      }
      const job = await queue.add("collection", data, {
        jobId: id,
        attempts: options.collectionAttempts ?? 3,
        backoff: { type: "exponential", delay: 2000, jitter: 0.5 },
        removeOnComplete: { age: keepSeconds },
        removeOnFail: { age: keepSeconds },
      });
      await redis
        .multi()
        .zadd(keys.userJobs(request.owner.userId), data.createdAt, id)
        .zremrangebyrank(keys.userJobs(request.owner.userId), 0, -51)
        .expire(keys.userJobs(request.owner.userId), keepSeconds)
        .sadd(keys.userActive(request.owner.userId), id)
        .expire(keys.userActive(request.owner.userId), keepSeconds)
        .exec();
      return { job: await view(job, "waiting"), existing: false };
    },

    async status(jobId, actor) {
      return view(await findOwned(jobId, actor));
    },

    async list(actor, limit = 10) {
      const ids = await redis.zrevrange(keys.userJobs(actor.userId), 0, limit - 1);
      const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
      const views = await Promise.all(jobs.filter((j): j is Job => j !== undefined).map((j) => view(j)));
      return views;
    },

    async cancel(jobIdText, actor) {
      const job = await findOwned(jobIdText, actor);
      const jobId = job.id ?? "";
      const current = await view(job);
      if (current.stage === "done" || current.stage === "failed" || current.stage === "cancelled") {
        throw new UserFacingError(
          "job_finished",
          `Job ${jobId} has already ended (${current.stage}); nothing to cancel.`,
        );
      }
      await redis.set(keys.cancelFlag(jobId), String(actor.userId), "EX", keepSeconds);
      await redis.publish(keys.cancelChannel, jobId);
      const state = await job.getState();
      if (state === "waiting" || state === "delayed" || state === "prioritized") {
        // Never started: record the outcome now; a worker that picks it up later ends it at once.
        const result: CollectionResult = {
          outcome: "cancelled",
          title: current.title ?? current.ref.uri,
          tracks: [],
          notes: [],
          truncated: false,
          totalDurationSec: 0,
          totalBytes: 0,
          finishedAt: Date.now(),
        };
        await redis
          .multi()
          .set(keys.result(jobId), JSON.stringify(result), "EX", keepSeconds)
          .srem(keys.userActive(current.owner.userId), jobId)
          .exec();
        return { ...current, stage: "cancelled", percent: 100, result, finishedAt: result.finishedAt };
      } else if (state === "waiting-children") {
        await job.removeUnprocessedChildren().catch(() => undefined);
      }
      return current;
    },

    async setRelay(jobId, target) {
      await redis.hset(keys.relay, jobId, JSON.stringify(target));
    },

    async relays() {
      const all = await redis.hgetall(keys.relay);
      const out = new Map<string, RelayTarget>();
      for (const [id, raw] of Object.entries(all)) {
        try {
          out.set(id, JSON.parse(raw) as RelayTarget);
        } catch {
          await redis.hdel(keys.relay, id);
        }
      }
      return out;
    },

    async clearRelay(jobId) {
      await redis.hdel(keys.relay, jobId);
    },

    async depth() {
      const counts = await queue.getJobCounts(...activeStates);
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },

    async close() {
      await queue.close();
    },
  };
}

/** JobService settings from the configuration (everything but the connection). */
export function jobServiceOptions(config: Config): Omit<JobServiceOptions, "connection"> {
  return {
    prefix: config.redis.prefix,
    defaultFormat: config.download.format,
    maxActiveJobsPerPerson: config.jobs.maxActiveJobsPerPerson,
    maxQueueDepth: config.jobs.maxQueueDepth,
    dedupeSeconds: config.jobs.dedupeSeconds,
    keepHours: config.jobs.keepHours,
  };
}

/** Reads a job view without permission checks (workers, relay reconciliation). */
export async function readJobView(service: JobService, jobId: string): Promise<JobView | undefined> {
  try {
    return await service.status(jobId, { userId: 0, isAdmin: true });
  } catch (err) {
    if (err instanceof JobNotFoundError) return undefined;
    throw err;
  }
}
