/**
 * JobService: the one door to the pipeline for the bot, the CLI and the HTTP API. Submit is idempotent
 * and cheap (no network beyond Redis: links are resolved by the workers), so a burst of requests is
 * queued in milliseconds and the limits answer in plain words.
 */
import { createHash } from "node:crypto";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { UserFacingError, type ErrorCode } from "../errors.js";
import type { AudioFormat, Config } from "../config/schema.js";
import { VIDEO_ID } from "../media/yt-dlp.js";
import type { SpotifyRef } from "../spotify/types.js";
import { newJobId, parseJobId } from "./job-id.js";
import { createJobRecords, endedWithoutTracks, stageOfOutcome, type JobIdentity } from "./job-record.js";
import { createKeys, QUEUE_COLLECTIONS, type Keys } from "./keys.js";
import {
  collectionJobDataSchema,
  progressEventSchema,
  type CollectionJobData,
  type CollectionResult,
  type DeliveryMode,
  type JobStage,
  type Owner,
  type ProgressEvent,
  type Quality,
  isFinalStage,
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
  /** The person's quality (absent: the service's bitrate). */
  quality?: Quality;
  /** What the person gets in the chat at the end (absent: audio and link). */
  delivery?: DeliveryMode;
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
  /** A job that re-collects the failed tracks of an earlier one: that job, and the 0-based indexes re-collected. */
  retry?: { of: string; indexes: number[] };
  /** A job that replaces one track (0-based index) of an earlier job with a YouTube video chosen by a person. */
  fix?: { of: string; index: number; videoId: string };
}

/** Who may fix a track's match (config `jobs.whoMayFix`). */
export type WhoMayFix = Config["jobs"]["whoMayFix"];

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
  /**
   * Who may fix a track's match: "own" (a person their own jobs, admins every job), "admins", or
   * "anyone" (every allowlisted person, any job). @defaultValue "own"
   */
  whoMayFix?: WhoMayFix;
}

export interface SubmitRequest {
  owner: Owner;
  ref: SpotifyRef;
  format?: AudioFormat;
  /** Absent: the service's bitrate. Part of what the files are, so part of the dedupe key. */
  quality?: Quality;
  /** Kept with the job for its delivery; not part of the files, so not of the dedupe key. */
  delivery?: DeliveryMode;
}

export interface JobService {
  submit(request: SubmitRequest): Promise<{ job: JobView; existing: boolean }>;
  /** A job as its owner (or an admin) sees it. @throws JobNotFoundError for anyone else's or an unknown id */
  status(jobId: string, actor: Actor): Promise<JobView>;
  /**
   * A job for the service's own use (the progress relay, the download route, burning): no person asks,
   * so no owner check. Undefined when the id is unknown or expired.
   */
  peek(jobId: string): Promise<JobView | undefined>;
  list(actor: Actor, limit?: number): Promise<JobView[]>;
  /**
   * Everyone's latest jobs, newest first (for an admin's `/status all`; the caller checks who asks).
   * Read from `keys.recentJobs`, the last {@link recentJobsKept} jobs submitted. @defaultValue limit 20
   */
  listAll(limit?: number): Promise<JobView[]>;
  cancel(jobId: string, actor: Actor): Promise<JobView>;
  /**
   * Re-collect only the failed tracks of an ended job (a new job; its result lists every track of the
   * collection, earlier ones carried over, and has its own package). UserFacingError when nothing failed,
   * the job has not ended, or it is not the actor's. A job already being retried returns that retry (a
   * double tap starts one); a retry that has ended is retried in turn (its result is the whole collection).
   */
  retryFailed(jobId: string, actor: Actor): Promise<JobView>;
  /**
   * Replace track `index` (0-based) of an ended job with the YouTube video `videoId` (a new job with
   * `fix`): the file in the library, the shared track cache, the earlier job's result and package, and a
   * match override every later request of that track uses. Who may: {@link JobServiceOptions.whoMayFix}.
   * UserFacingError with a clear sentence otherwise (not allowed, bad index, not a video id, not ended).
   */
  fixTrack(jobId: string, index: number, videoId: string, actor: Actor): Promise<JobView>;
  /**
   * Remember which message shows this job's progress in a chat (one per chat: the same job asked in two
   * chats is shown in both), so a restarted bot can resume. A later message in the same chat replaces it.
   */
  setRelay(jobId: string, target: RelayTarget): Promise<void>;
  /** Every stored relay: job id → the messages showing it, one per chat. */
  relays(): Promise<Map<string, RelayTarget[]>>;
  /** Forget the message showing this job in one chat (delivered there, or the chat is gone). */
  clearRelay(jobId: string, chatId: number): Promise<void>;
  /** Collections waiting or running. */
  depth(): Promise<number>;
  readonly queue: Queue;
  close(): Promise<void>;
}

/** How many of everyone's latest jobs `keys.recentJobs` keeps (for `listAll`). */
export const recentJobsKept = 100;

/** A chat message that shows a job's progress (kept in `keys.relay` until the job is delivered there). */
export interface RelayTarget {
  chatId: number;
  messageId: number;
}

/** The field of a job's relay in one chat in `keys.relay` (job ids never contain `:`). */
function relayField(jobId: string, chatId: number): string {
  return `${jobId}:${chatId}`;
}

/**
 * Codes of the refusals of retryFailed and fixTrack. errors.ts (not this module's to change) has no codes
 * of their own yet; the nearest existing ones stand in, so adding `job_not_ended`, `nothing_to_retry`,
 * `fix_not_allowed`, `bad_fix` and `job_too_old` there is a change of this table only.
 */
const refusalCode = {
  notEnded: "job_not_ended",
  nothingToRetry: "nothing_to_retry",
  notAllowed: "fix_not_allowed",
  badFix: "bad_fix",
  tooOld: "job_too_old",
} as const satisfies Record<string, ErrorCode>;

/** An earlier job BullMQ no longer keeps (older than keepHours): it cannot be retried or fixed. */
export class JobTooOldError extends UserFacingError {
  constructor(id: string, what: "retry" | "fix") {
    super(
      refusalCode.tooOld,
      `Job ${id} is too old to ${what}: I no longer know its tracks. Send the link again.`,
    );
  }
}

export class JobNotFoundError extends UserFacingError {
  constructor(id: string) {
    super("job_not_found", `I can't find a job "${id}" of yours. /status lists your jobs.`);
  }
}

/** BullMQ states of a collection that is still queued or running (the queue depth). */
const activeStates = ["waiting", "active", "waiting-children", "delayed", "prioritized"] as const;

/**
 * A job as it ended: its final stage, counts and title from the result. Used by the job service and by the
 * relay when a final progress event brings the result along (no second read).
 */
export function endedView(view: JobView, result: CollectionResult): JobView {
  const count = (...outcomes: string[]) => result.tracks.filter((t) => outcomes.includes(t.outcome)).length;
  const { current: _current, etaSeconds: _eta, waiting: _waiting, ...rest } = view;
  return {
    ...rest,
    stage: stageOfOutcome(result.outcome),
    percent: 100,
    title: result.title,
    total: result.tracks.length,
    done: count("done", "cached"),
    failed: count("failed"),
    needsReview: count("needs_review"),
    result,
    finishedAt: result.finishedAt,
  };
}

export function createJobService(options: JobServiceOptions): JobService {
  const keys: Keys = createKeys(options.prefix);
  const redis = options.connection;
  const keepSeconds = Math.round(options.keepHours * 3600);
  const queue = new Queue(QUEUE_COLLECTIONS, { connection: redis, prefix: options.prefix });
  queue.on("error", () => undefined); // connection errors surface on the calls that need Redis

  const records = createJobRecords(redis, keys, keepSeconds);

  /** A job from its record, with the numbers of its last progress event (BullMQ keeps that). */
  async function view(jobId: string): Promise<JobView | undefined> {
    const [record, job] = await Promise.all([records.read(jobId), queue.getJob(jobId)]);
    if (!record.who) return undefined;
    const data = job ? collectionJobDataSchema.safeParse(job.data) : undefined;
    const work = data?.success ? data.data : undefined;
    const progress = job ? progressEventSchema.safeParse(job.progress) : undefined;
    const p = progress?.success ? progress.data : undefined;
    const result = record.result;
    // A collection BullMQ gave up on before the processor could write its end (the worker runtime writes
    // it when it sees the failure; this covers a runtime that died first).
    const stage = record.stage ?? "queued";
    const failedUnrecorded = !isFinalStage(stage) && job !== undefined && (await job.getState()) === "failed";
    const final = isFinalStage(stage) || failedUnrecorded;
    const v: JobView = {
      id: jobId,
      owner: record.who.owner,
      ref: record.who.ref,
      format: record.who.format,
      ...(record.who.quality !== undefined ? { quality: record.who.quality } : {}),
      ...(record.who.delivery !== undefined ? { delivery: record.who.delivery } : {}),
      stage: failedUnrecorded ? "failed" : stage,
      percent: final ? 100 : (p?.percent ?? 0),
      total: p?.total ?? work?.totalTracks ?? 0,
      done: p?.done ?? 0,
      failed: p?.failed ?? 0,
      needsReview: p?.needsReview ?? 0,
      createdAt: record.who.createdAt,
      ...(record.who.retry ? { retry: record.who.retry } : {}),
      ...(record.who.fix ? { fix: record.who.fix } : {}),
    };
    const title = work?.title ?? p?.title;
    if (title !== undefined) v.title = title;
    if (result) return endedView(v, result);
    if (failedUnrecorded) return { ...v, finishedAt: job?.finishedOn ?? Date.now() };
    if (p?.current) v.current = p.current;
    if (p?.etaSeconds !== undefined) v.etaSeconds = p.etaSeconds;
    if (p?.waiting !== undefined && p.waiting.until > Date.now()) v.waiting = p.waiting;
    return v;
  }

  async function findOwned(jobIdText: string, actor: Actor): Promise<JobView> {
    const jobId = parseJobId(jobIdText);
    if (!jobId) throw new JobNotFoundError(jobIdText.slice(0, 20));
    const found = await view(jobId);
    if (!found || (!actor.isAdmin && found.owner.userId !== actor.userId)) throw new JobNotFoundError(jobId);
    return found;
  }

  /** A person's jobs that have not ended, newest first (derived from the records: no list of its own). */
  async function activeOf(userId: number): Promise<string[]> {
    const ids = await redis.zrevrange(keys.userJobs(userId), 0, -1);
    const stages = await Promise.all(ids.map(async (id) => (await records.read(id)).stage));
    return ids.filter((_, i) => {
      const stage = stages[i];
      return stage !== undefined && !isFinalStage(stage);
    });
  }

  /**
   * Everything that changes the files: two people (or one person) asking in another format or quality
   * get a job of their own.
   */
  function dedupeKeyOf(userId: number, uri: string, format: AudioFormat, quality?: Quality): string {
    const hash = createHash("sha256")
      .update(`${userId}|${uri}|${format}|${quality ?? ""}`)
      .digest("hex")
      .slice(0, 24);
    return keys.dedupe(hash);
  }

  async function queued(): Promise<number> {
    const counts = await queue.getJobCounts(...activeStates);
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  async function checkQueueDepth(): Promise<void> {
    if ((await queued()) >= options.maxQueueDepth) {
      throw new UserFacingError(
        "queue_full",
        "I'm busy right now: too many collections are waiting. Please try again in a few minutes.",
      );
    }
  }

  async function checkLimits(userId: number): Promise<void> {
    const active = await activeOf(userId);
    if (active.length >= options.maxActiveJobsPerPerson) {
      throw new UserFacingError(
        "limit_per_person",
        `You already have ${active.length} job(s) running (${active.join(", ")}); the limit is ${options.maxActiveJobsPerPerson}. Wait for one to finish or /cancel one.`,
      );
    }
    await checkQueueDepth();
  }

  /** Record a new job, queue it and list it under its owner and the recent jobs. */
  async function enqueue(id: string, data: CollectionJobData, who: JobIdentity): Promise<JobView> {
    // The record first: a worker that picks the job up at once finds it and moves its stage on.
    await records.create(id, who);
    await queue.add("collection", data, {
      jobId: id,
      attempts: options.collectionAttempts ?? 3,
      backoff: { type: "exponential", delay: 2000, jitter: 0.5 },
      removeOnComplete: { age: keepSeconds },
      removeOnFail: { age: keepSeconds },
    });
    await redis
      .multi()
      .zadd(keys.userJobs(who.owner.userId), data.createdAt, id)
      .zremrangebyrank(keys.userJobs(who.owner.userId), 0, -51)
      .expire(keys.userJobs(who.owner.userId), keepSeconds)
      .zadd(keys.recentJobs, data.createdAt, id)
      .zremrangebyrank(keys.recentJobs, 0, -(recentJobsKept + 1))
      .expire(keys.recentJobs, keepSeconds)
      .exec();
    const created = await view(id);
    if (!created) throw new Error(`job ${id} vanished right after it was queued`);
    return created;
  }

  /**
   * A follow-up of an earlier job (a retry, a fix): its collection data without asking Spotify again
   * (title, folder, cover, ...), kept by BullMQ for keepHours; and its identity (same person, link,
   * format, quality, delivery). Undefined when BullMQ no longer has the earlier collection.
   */
  async function followUp(
    earlier: JobView,
  ): Promise<{ data: CollectionJobData; who: JobIdentity } | undefined> {
    const job = await queue.getJob(earlier.id);
    const parsed = job ? collectionJobDataSchema.safeParse(job.data) : undefined;
    if (!parsed?.success || parsed.data.folder === undefined || parsed.data.totalTracks === undefined) {
      return undefined;
    }
    const { step: _step, createdAt: _createdAt, retry: _retry, fix: _fix, ...rest } = parsed.data;
    const createdAt = Date.now();
    return {
      data: { ...rest, createdAt, step: "resolve" },
      who: {
        owner: earlier.owner,
        ref: earlier.ref,
        format: earlier.format,
        ...(earlier.quality !== undefined ? { quality: earlier.quality } : {}),
        ...(earlier.delivery !== undefined ? { delivery: earlier.delivery } : {}),
        createdAt,
      },
    };
  }

  /** Start (or find) the retry of an ended job's failed tracks; see JobService.retryFailed. */
  async function startRetry(earlier: JobView, hops = 0): Promise<JobView> {
    const jobId = earlier.id;
    if (!isFinalStage(earlier.stage) || !earlier.result) {
      throw new UserFacingError(
        refusalCode.notEnded,
        `Job ${jobId} is still running; I can retry its failed tracks once it has ended.`,
      );
    }
    const indexes = earlier.result.tracks.filter((t) => t.outcome === "failed").map((t) => t.index);
    if (indexes.length === 0) {
      throw new UserFacingError(
        refusalCode.nothingToRetry,
        earlier.result.tracks.length === 0
          ? `Job ${jobId} ended before it had any tracks; send the link again.`
          : `No track of job ${jobId} failed: there is nothing to retry.`,
      );
    }
    const next = await followUp(earlier);
    if (!next) throw new JobTooOldError(jobId, "retry");
    // A second tap while the retry runs gets that retry, not "too many jobs running".
    const already = (await records.read(jobId)).retriedBy;
    const alreadyView = already !== undefined ? await view(already) : undefined;
    if (alreadyView !== undefined && !isFinalStage(alreadyView.stage)) return alreadyView;
    await checkLimits(earlier.owner.userId);
    const id = newJobId();
    // One retry per job: a second tap (or a second request of the link) finds the first.
    let stale = "";
    for (let round = 0; round < 3; round++) {
      const other = await records.claimRetry(jobId, id, stale);
      if (other === undefined) break;
      const running = await view(other);
      if (!running || running.stage === "cancelled" || running.stage === "failed") {
        stale = other; // that retry went nowhere: this one takes its place
        continue;
      }
      if (!isFinalStage(running.stage)) return running;
      if (hops >= 5)
        throw new UserFacingError(refusalCode.nothingToRetry, `Job ${other} was retried enough.`);
      return startRetry(running, hops + 1); // that retry ended: its result is the whole collection
    }
    const data: CollectionJobData = { ...next.data, retry: { of: jobId, indexes } };
    const created = await enqueue(id, data, { ...next.who, retry: { of: jobId, indexes } });
    // Asking for the link again now finds the retry, whose result is the whole collection.
    await redis.set(
      dedupeKeyOf(earlier.owner.userId, earlier.ref.uri, earlier.format, earlier.quality),
      id,
      "EX",
      keepSeconds,
    );
    return created;
  }

  /** True when `actor` may fix the tracks of a job `owner` asked for (config `jobs.whoMayFix`). */
  function mayFix(owner: Owner, actor: Actor): boolean {
    const rule = options.whoMayFix ?? "own";
    if (rule === "anyone" || actor.isAdmin) return true;
    return rule === "own" && owner.userId === actor.userId;
  }

  return {
    queue,

    async submit(request) {
      const format = request.format ?? options.defaultFormat;
      const quality = format === "flac" ? undefined : request.quality;
      const dedupeKey = dedupeKeyOf(request.owner.userId, request.ref.uri, format, quality);
      const previous = await redis.get(dedupeKey);
      if (previous) {
        const existing = await view(previous);
        if (existing) {
          const recent =
            existing.finishedAt === undefined ||
            Date.now() - existing.finishedAt < options.dedupeSeconds * 1000;
          const usable = existing.stage !== "failed" && existing.stage !== "cancelled";
          const failures = existing.result?.tracks.some((t) => t.outcome === "failed") ?? false;
          if (recent && usable && isFinalStage(existing.stage) && failures) {
            // Asked again after some tracks failed: re-collect only those.
            try {
              return { job: await startRetry(existing), existing: false };
            } catch (err) {
              if (!(err instanceof JobTooOldError)) throw err;
              // BullMQ no longer has the earlier collection: a new job below.
            }
          } else if (recent && usable) return { job: existing, existing: true };
        }
      }

      await checkLimits(request.owner.userId);

      const id = newJobId();
      const data: CollectionJobData = {
        owner: request.owner,
        ref: { kind: request.ref.kind, id: request.ref.id, uri: request.ref.uri },
        format,
        ...(quality !== undefined ? { quality } : {}),
        createdAt: Date.now(),
        step: "resolve",
      };
      // SET NX: two identical requests racing end up on one job.
      const won = previous
        ? await redis.set(dedupeKey, id, "EX", keepSeconds, "XX")
        : await redis.set(dedupeKey, id, "EX", keepSeconds, "NX");
      if (won !== "OK") {
        const other = await redis.get(dedupeKey);
        const existing = other ? await view(other) : undefined;
        if (existing) return { job: existing, existing: true };
      }
      const created = await enqueue(id, data, {
        owner: data.owner,
        ref: data.ref,
        format,
        ...(quality !== undefined ? { quality } : {}),
        ...(request.delivery !== undefined ? { delivery: request.delivery } : {}),
        createdAt: data.createdAt,
      });
      return { job: created, existing: false };
    },

    async retryFailed(jobIdText, actor) {
      return startRetry(await findOwned(jobIdText, actor));
    },

    async fixTrack(jobIdText, index, videoId, actor) {
      let jobId = parseJobId(jobIdText);
      if (!jobId) throw new JobNotFoundError(jobIdText.slice(0, 20));
      let earlier = await view(jobId);
      // A fix of a fix fixes the job it came from (whose record, link and /status the first fix updated), so
      // the original never keeps the first pick.
      for (let hop = 0; earlier?.fix !== undefined && hop < 5; hop++) {
        jobId = earlier.fix.of;
        earlier = await view(jobId);
      }
      if (!earlier) throw new JobNotFoundError(jobId);
      if (!mayFix(earlier.owner, actor)) {
        throw new UserFacingError(
          refusalCode.notAllowed,
          (options.whoMayFix ?? "own") === "admins"
            ? "Only an admin may fix a track's match here."
            : `Job ${jobId} is someone else's: you may fix only the tracks of your own jobs.`,
        );
      }
      if (!isFinalStage(earlier.stage) || !earlier.result) {
        throw new UserFacingError(
          refusalCode.notEnded,
          `Job ${jobId} is still running; you can fix its tracks once it has ended.`,
        );
      }
      const tracks = earlier.result.tracks;
      const track = Number.isInteger(index) ? tracks[index] : undefined;
      if (!track) {
        throw new UserFacingError(
          refusalCode.badFix,
          tracks.length === 0
            ? `Job ${jobId} has no tracks to fix.`
            : `Job ${jobId} has tracks 1 to ${tracks.length}; there is no track ${Math.trunc(index) + 1}.`,
        );
      }
      if (!VIDEO_ID.test(videoId)) {
        throw new UserFacingError(
          refusalCode.badFix,
          "That is not a YouTube video: send a link to it (youtube.com/watch?v=…, youtu.be/…) or its 11-character id.",
        );
      }
      if (!track.trackId) {
        throw new UserFacingError(
          refusalCode.badFix,
          `Track ${index + 1} of job ${jobId} was never read from Spotify, so I can't fix it; send the link again.`,
        );
      }
      if (track.videoId === videoId && (track.outcome === "done" || track.outcome === "cached")) {
        throw new UserFacingError(
          refusalCode.badFix,
          `Track ${index + 1} of job ${jobId} already comes from that video.`,
        );
      }
      const next = await followUp(earlier);
      if (!next) throw new JobTooOldError(jobId, "fix");
      await checkQueueDepth();
      const fix = { of: jobId, index, videoId };
      return enqueue(newJobId(), { ...next.data, fix }, { ...next.who, fix });
    },

    status: findOwned,

    peek: (jobId) => view(jobId),

    async list(actor, limit = 10) {
      const ids = await redis.zrevrange(keys.userJobs(actor.userId), 0, limit - 1);
      const views = await Promise.all(ids.map((id) => view(id)));
      return views.filter((v): v is JobView => v !== undefined);
    },

    async listAll(limit = 20) {
      const ids = await redis.zrevrange(keys.recentJobs, 0, Math.min(limit, recentJobsKept) - 1);
      const views = await Promise.all(ids.map((id) => view(id)));
      return views.filter((v): v is JobView => v !== undefined);
    },

    async cancel(jobIdText, actor) {
      const current = await findOwned(jobIdText, actor);
      const jobId = current.id;
      if (isFinalStage(current.stage)) {
        throw new UserFacingError(
          "job_finished",
          `Job ${jobId} has already ended (${current.stage}); nothing to cancel.`,
        );
      }
      await redis.set(keys.cancelFlag(jobId), String(actor.userId), "EX", keepSeconds);
      await redis.publish(keys.cancelChannel, jobId);
      const job = await queue.getJob(jobId);
      const state = job ? await job.getState() : "unknown";
      if (!job || state === "waiting" || state === "delayed" || state === "prioritized") {
        // Never started: record the end now and take the job out of BullMQ, so nothing is left waiting
        // (a worker that took it in the meantime holds its lock: it sees the cancel flag and ends it).
        await records.finish(jobId, endedWithoutTracks("cancelled", current.title ?? current.ref.uri));
        await job?.remove().catch(() => undefined);
        return (await view(jobId)) ?? current;
      } else if (state === "waiting-children") {
        await job?.removeUnprocessedChildren().catch(() => undefined);
      }
      return current;
    },

    async setRelay(jobId, target) {
      await redis.hset(keys.relay, relayField(jobId, target.chatId), JSON.stringify(target));
    },

    async relays() {
      const all = await redis.hgetall(keys.relay);
      const out = new Map<string, RelayTarget[]>();
      for (const [field, raw] of Object.entries(all)) {
        let target: RelayTarget;
        try {
          target = JSON.parse(raw) as RelayTarget;
        } catch {
          await redis.hdel(keys.relay, field);
          continue;
        }
        const jobId = field.split(":")[0] ?? field;
        if (!field.includes(":")) {
          // Written before relays were kept per chat (field = job id): move it to its per-chat field.
          await redis.hset(keys.relay, relayField(jobId, target.chatId), raw);
          await redis.hdel(keys.relay, field);
        }
        out.set(jobId, [...(out.get(jobId) ?? []), target]);
      }
      return out;
    },

    async clearRelay(jobId, chatId) {
      await redis.hdel(keys.relay, relayField(jobId, chatId));
    },

    depth: queued,

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
    whoMayFix: config.jobs.whoMayFix,
  };
}
