/**
 * ProgressBroker: workers publish typed ProgressEvents on the collection job (BullMQ progress), at most
 * every 500 ms per job plus every stage change; any process subscribes through QueueEvents. The event
 * stream is best effort, so subscribers also reconcile from job state (see `snapshot`).
 */
import { QueueEvents, type Queue } from "bullmq";
import type { Redis } from "ioredis";
import { QUEUE_COLLECTIONS } from "./keys.js";
import { isFinalStage, progressEventSchema, type ProgressEvent } from "./schemas.js";

/**
 * What this module does: carry collection progress from the workers that make it to every process that
 * shows it.
 */
export interface ProgressBroker {
  /** The publishing side, for a worker process: events go on the jobs of `queue` (the collections queue). */
  publisher(queue: Queue, minIntervalMs?: number): ProgressPublisher;
  /** The listening side, for any process: every collection's progress and end. */
  subscribe(options: SubscribeOptions): Promise<ProgressSubscription>;
}

export interface ProgressPublisher {
  /** Publish unless the last event for this job was under `minIntervalMs` ago and the stage is the same. */
  publish(event: ProgressEvent, force?: boolean): Promise<void>;
  /** Forget a job's throttle state (a job is forgotten by itself once it publishes a final stage). */
  forget(jobId: string): void;
  /** How many jobs' throttle state is held (read-only; for tests and metrics). */
  readonly jobsRemembered: number;
}

/**
 * When each job last did something, for throttling, remembered only while it can still matter: an entry
 * older than `windowMs` throttles nothing, so it is dropped as time passes (oldest first: entries are kept
 * in the order they were last set), and at most `maxJobs` entries are kept (past that the oldest go, which
 * at worst lets one more event through). So the memory stays bounded however many jobs a long-running
 * worker sees, including jobs whose final stage another process published.
 */
export class RecentJobs<Entry extends { at: number } = { at: number }> {
  readonly #entries = new Map<string, Entry>();

  constructor(
    readonly windowMs: number,
    readonly maxJobs = 10_000,
  ) {}

  /** Jobs held (read-only; for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  /** The job's entry when it was set under `windowMs` before `now`. */
  get(jobId: string, now = Date.now()): Entry | undefined {
    this.#prune(now);
    const entry = this.#entries.get(jobId);
    return entry !== undefined && now - entry.at < this.windowMs ? entry : undefined;
  }

  set(jobId: string, entry: Entry): void {
    this.#entries.delete(jobId);
    this.#entries.set(jobId, entry);
    this.#prune(entry.at);
  }

  delete(jobId: string): void {
    this.#entries.delete(jobId);
  }

  #prune(now: number): void {
    for (const [jobId, entry] of this.#entries) {
      if (now - entry.at < this.windowMs && this.#entries.size <= this.maxJobs) break;
      this.#entries.delete(jobId);
    }
  }
}

export function createProgressPublisher(queue: Queue, minIntervalMs = 500): ProgressPublisher {
  const last = new RecentJobs<{ at: number; stage: string }>(minIntervalMs);
  return {
    async publish(event, force = false) {
      const now = Date.now();
      const previous = last.get(event.jobId, now);
      if (!force && previous && previous.stage === event.stage) return;
      // A final stage is the job's last event: nothing left to throttle.
      if (isFinalStage(event.stage)) last.delete(event.jobId);
      else last.set(event.jobId, { at: now, stage: event.stage });
      await queue.updateJobProgress(event.jobId, progressEventSchema.parse(event));
    },
    forget(jobId) {
      last.delete(jobId);
    },
    get jobsRemembered() {
      return last.size;
    },
  };
}

export type ProgressListener = (event: ProgressEvent) => void;
/** A collection ended: completed (with its result) or failed. */
export type FinishedListener = (jobId: string) => void;

export interface ProgressSubscription {
  onProgress(listener: ProgressListener): void;
  onFinished(listener: FinishedListener): void;
  close(): Promise<void>;
}

export interface SubscribeOptions {
  /** Must allow blocking reads (the "events" role). */
  connection: Redis;
  /** The configured `redis.prefix`. */
  prefix: string;
}

/** Subscribe to every collection's progress, from any process. */
export async function subscribeProgress(options: SubscribeOptions): Promise<ProgressSubscription> {
  const events = new QueueEvents(QUEUE_COLLECTIONS, {
    connection: options.connection,
    prefix: options.prefix,
  });
  events.on("error", () => undefined); // reconnects on its own
  const progress: ProgressListener[] = [];
  const finished: FinishedListener[] = [];
  events.on("progress", ({ data }) => {
    const parsed = progressEventSchema.safeParse(data);
    if (!parsed.success) return;
    for (const listener of progress) listener(parsed.data);
  });
  events.on("completed", ({ jobId }) => finished.forEach((l) => l(jobId)));
  events.on("failed", ({ jobId }) => finished.forEach((l) => l(jobId)));
  events.on("removed", ({ jobId }) => finished.forEach((l) => l(jobId)));
  await events.waitUntilReady();
  let closed = false;
  return {
    onProgress: (listener) => progress.push(listener),
    onFinished: (listener) => finished.push(listener),
    async close() {
      if (closed) return;
      closed = true;
      await events.close();
    },
  };
}

/** {@link createProgressPublisher} and {@link subscribeProgress} as one {@link ProgressBroker}. */
export const progressBroker: ProgressBroker = {
  publisher: createProgressPublisher,
  subscribe: subscribeProgress,
};
