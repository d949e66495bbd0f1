/**
 * The door to the burner: plans a finished collection onto discs (so the operator sees the plan before
 * anything is written), queues one burn per request on the BullMQ `burn` queue, and reads a burn's
 * state back. The burning itself runs wherever the drive is (see burn-processor.ts).
 */
import { Queue, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { z } from "zod";
import { UserFacingError } from "../errors.js";
import { isJobId, newJobId } from "../jobs/job-id.js";
import { createJobRecords } from "../jobs/job-record.js";
import { createKeys, QUEUE_BURN } from "../jobs/keys.js";
import type { CollectionResult } from "../jobs/schemas.js";
import { formatPlan, formatSectors, planDiscs, type DiscPlan, type PlannableTrack } from "./disc-planner.js";

/** Devices the burner accepts: a plain `/dev/...` path, nothing a shell or cdrdao could misread. */
export const DEVICE_PATTERN = /^\/dev\/[a-zA-Z0-9_/-]+$/;

export const burnStages = [
  "queued",
  "planning",
  "rendering",
  "checking",
  "writing",
  "done",
  "failed",
] as const;
export type BurnStage = (typeof burnStages)[number];

/** A collected track as the planner and the burner see it. */
export interface BurnTrack extends PlannableTrack {
  /** Position in the collection (0-based). */
  index: number;
  artists: string[];
  /** Library-relative path of the file. */
  file: string;
  isrc?: string;
}

const planTrackSchema = z.object({
  index: z.number().int(),
  title: z.string(),
  artists: z.array(z.string()),
  seconds: z.number(),
  /** Shorter than 4 s: silence is appended. */
  padded: z.boolean(),
});

/** The plan as shown to the operator and stored with the burn. */
export const burnPlanSchema = z.object({
  title: z.string(),
  capacitySectors: z.number().int(),
  discs: z.array(
    z.object({
      disc: z.number().int(),
      tracks: z.array(planTrackSchema),
      sectors: z.number().int(),
      seconds: z.number(),
      /** `m:ss` */
      length: z.string(),
    }),
  ),
  rejected: z.array(z.object({ index: z.number().int(), title: z.string(), reason: z.string() })),
  /** The plan as readable text. */
  text: z.string(),
});
export type BurnPlanView = z.infer<typeof burnPlanSchema>;

export const burnJobDataSchema = z.object({
  jobId: z.string().refine(isJobId),
  device: z.string().regex(DEVICE_PATTERN).optional(),
  simulate: z.boolean(),
  /** 1-based disc of the plan to burn. */
  disc: z.number().int().min(1),
  requestedAt: z.number(),
  plan: burnPlanSchema,
});
export type BurnJobData = z.infer<typeof burnJobDataSchema>;

/** What the processor reports through `job.updateProgress`. */
export const burnProgressSchema = z.object({
  stage: z.enum(burnStages),
  percent: z.number().min(0).max(100),
  message: z.string().optional(),
  /** Error code when the stage is `failed`. */
  code: z.string().optional(),
});
export type BurnProgress = z.infer<typeof burnProgressSchema>;

/** What the processor returns for a finished burn. */
export const burnReturnSchema = z.object({
  simulate: z.boolean(),
  tracks: z.number().int(),
  discSectors: z.number().int(),
  seconds: z.number(),
  /** cdrdao's own summary of the TOC. */
  summary: z.string(),
});
export type BurnReturn = z.infer<typeof burnReturnSchema>;

export interface BurnRequest {
  jobId: string;
  /** CD writer; default: the burner's `burn.device`. */
  device?: string;
  /** Laser off (cdrdao simulate). @defaultValue false */
  simulate?: boolean;
  /** 1-based disc of the plan. @defaultValue 1 */
  disc?: number;
}

export interface BurnStatus {
  burnId: string;
  jobId: string;
  /** BullMQ state: waiting, active, completed, failed, ... */
  state: string;
  stage: BurnStage;
  percent: number;
  message?: string;
  disc: number;
  simulate: boolean;
  device?: string;
  /** The operator sentence of a failed burn. */
  error?: string;
  errorCode?: string;
  plan: BurnPlanView;
  result?: BurnReturn;
}

export interface BurnService {
  /** The plan for a finished collection; rejects with a {@link UserFacingError} when there is nothing to burn. */
  plan(jobId: string): Promise<BurnPlanView>;
  /** Plan and queue a burn. */
  enqueue(request: BurnRequest): Promise<{ burnId: string; plan: BurnPlanView }>;
  /** A burn's state, or undefined when there is no such burn. */
  status(burnId: string): Promise<BurnStatus | undefined>;
  readonly queue: Queue;
  /** Idempotent. Does not close the connection (the caller owns it). */
  close(): Promise<void>;
}

export interface BurnServiceOptions {
  /** A producer/client connection; closed by the caller. */
  connection: Redis;
  prefix: string;
  /** Usable sectors of a blank. @defaultValue 359849 (80 minutes) */
  capacitySectors?: number;
  /** How long finished burns stay readable. @defaultValue 168 */
  keepHours?: number;
}

/** Read a collection's result from its job record (the same record JobService reads). */
export async function readCollectionResult(
  redis: Redis,
  prefix: string,
  jobId: string,
): Promise<CollectionResult | undefined> {
  return (await createJobRecords(redis, createKeys(prefix), 0).read(jobId)).result;
}

/** Plan a collection onto discs; tracks that were not collected are listed as left out. */
export function planCollection(
  result: CollectionResult,
  capacitySectors?: number,
): { plan: DiscPlan<BurnTrack>; view: BurnPlanView } {
  const tracks: BurnTrack[] = [];
  const missing: BurnPlanView["rejected"] = [];
  for (const t of result.tracks) {
    if ((t.outcome === "done" || t.outcome === "cached") && t.file !== undefined) {
      tracks.push({
        id: t.trackId,
        index: t.index,
        title: t.title,
        artists: t.artists,
        file: t.file,
        ...(t.durationSec !== undefined ? { durationMs: t.durationSec * 1000 } : {}),
        ...(t.isrc !== undefined ? { isrc: t.isrc } : {}),
      });
    } else {
      missing.push({
        index: t.index,
        title: t.title,
        reason: "It was not collected, so there is no file to burn.",
      });
    }
  }
  const plan = planDiscs(tracks, capacitySectors !== undefined ? { capacitySectors } : {});
  const rejected = [
    ...missing,
    ...plan.rejected.map((r) => ({ index: r.track.index, title: r.track.title, reason: r.reason })),
  ].sort((a, b) => a.index - b.index);
  let text = formatPlan(plan);
  for (const m of missing) text += `\n  - ${m.title}: ${m.reason}`;
  const view: BurnPlanView = {
    title: result.title,
    capacitySectors: plan.capacitySectors,
    discs: plan.discs.map((d, i) => ({
      disc: i + 1,
      tracks: d.tracks.map((e) => ({
        index: e.track.index,
        title: e.track.title,
        artists: e.track.artists,
        seconds: e.sectors / 75,
        padded: e.padded,
      })),
      sectors: d.sectors,
      seconds: d.seconds,
      length: formatSectors(d.sectors),
    })),
    rejected,
    text,
  };
  return { plan, view };
}

/** Throws the sentence an operator should read when a collection cannot be burned. */
export function assertBurnable(jobId: string, result: CollectionResult | undefined): CollectionResult {
  if (result === undefined) {
    throw new UserFacingError(
      "burn_job_not_ready",
      `Job ${jobId} has not finished yet: only a finished collection can be burned.`,
    );
  }
  if (result.outcome === "failed" || result.outcome === "cancelled") {
    throw new UserFacingError(
      "burn_no_files",
      `Job ${jobId} ended ${result.outcome}: there is nothing to burn.`,
    );
  }
  if (!result.tracks.some((t) => t.file !== undefined && (t.outcome === "done" || t.outcome === "cached"))) {
    throw new UserFacingError("burn_no_files", `Job ${jobId} has no collected tracks to burn.`);
  }
  return result;
}

function statusOf(job: Job, state: string): BurnStatus | undefined {
  const data = burnJobDataSchema.safeParse(job.data);
  if (!data.success) return undefined;
  const progress = burnProgressSchema.safeParse(job.progress);
  const p = progress.success ? progress.data : undefined;
  const returned = burnReturnSchema.safeParse(job.returnvalue);
  const failed = state === "failed";
  const status: BurnStatus = {
    burnId: job.id ?? "",
    jobId: data.data.jobId,
    state,
    stage: failed ? "failed" : state === "completed" ? "done" : (p?.stage ?? "queued"),
    percent: state === "completed" ? 100 : (p?.percent ?? 0),
    disc: data.data.disc,
    simulate: data.data.simulate,
    plan: data.data.plan,
  };
  if (p?.message !== undefined) status.message = p.message;
  if (data.data.device !== undefined) status.device = data.data.device;
  if (failed) {
    status.error = job.failedReason || "Burning failed.";
    if (p?.code !== undefined) status.errorCode = p.code;
  }
  if (returned.success) status.result = returned.data;
  return status;
}

export function createBurnService(options: BurnServiceOptions): BurnService {
  const redis = options.connection;
  const keepSeconds = Math.round((options.keepHours ?? 168) * 3600);
  const queue = new Queue(QUEUE_BURN, { connection: redis, prefix: options.prefix });
  queue.on("error", () => undefined); // connection errors surface on the calls that need Redis
  let closed: Promise<void> | undefined;

  async function plan(jobId: string): Promise<BurnPlanView> {
    if (!isJobId(jobId))
      throw new UserFacingError("job_not_found", `There is no job "${jobId.slice(0, 20)}".`);
    const result = assertBurnable(jobId, await readCollectionResult(redis, options.prefix, jobId));
    return planCollection(result, options.capacitySectors).view;
  }

  return {
    queue,
    plan,

    async enqueue(request) {
      if (request.device !== undefined && !DEVICE_PATTERN.test(request.device)) {
        throw new UserFacingError("burn_bad_device", "The device must be a path like /dev/sr0.");
      }
      const view = await plan(request.jobId);
      const disc = request.disc ?? 1;
      if (view.discs.length === 0) {
        throw new UserFacingError("burn_no_files", `No track of job ${request.jobId} fits on a disc.`);
      }
      if (disc > view.discs.length) {
        throw new UserFacingError(
          "burn_no_such_disc",
          `The plan has ${view.discs.length} disc(s); there is no disc ${disc}.`,
        );
      }
      const burnId = newJobId();
      const data: BurnJobData = {
        jobId: request.jobId,
        simulate: request.simulate ?? false,
        disc,
        requestedAt: Date.now(),
        plan: view,
        ...(request.device !== undefined ? { device: request.device } : {}),
      };
      // One attempt: a half-written disc is not something to retry onto.
      await queue.add("burn", data, {
        jobId: burnId,
        attempts: 1,
        removeOnComplete: { age: keepSeconds },
        removeOnFail: { age: keepSeconds },
      });
      return { burnId, plan: view };
    },

    async status(burnId) {
      if (!isJobId(burnId)) return undefined;
      const job = await queue.getJob(burnId);
      if (!job) return undefined;
      return statusOf(job, await job.getState());
    },

    close() {
      closed ??= queue.close();
      return closed;
    },
  };
}
