/**
 * ProgressBroker: workers publish typed ProgressEvents on the collection job (BullMQ progress), at most
 * every 500 ms per job plus every stage change; any process subscribes through QueueEvents. The event
 * stream is best effort, so subscribers also reconcile from job state (see `snapshot`).
 */
import { QueueEvents, type Queue } from "bullmq";
import type { Redis } from "ioredis";
import { QUEUE_COLLECTIONS } from "./keys.js";
import { progressEventSchema, type ProgressEvent } from "./schemas.js";

export interface ProgressPublisher {
  /** Publish unless the last event for this job was under `minIntervalMs` ago and the stage is the same. */
  publish(event: ProgressEvent, force?: boolean): Promise<void>;
  /** Forget a finished job's throttle state. */
  forget(jobId: string): void;
}

export function createProgressPublisher(queue: Queue, minIntervalMs = 500): ProgressPublisher {
  const last = new Map<string, { at: number; stage: string }>();
  return {
    async publish(event, force = false) {
      const previous = last.get(event.jobId);
      const now = Date.now();
      if (!force && previous && previous.stage === event.stage && now - previous.at < minIntervalMs) return;
      last.set(event.jobId, { at: now, stage: event.stage });
      await queue.updateJobProgress(event.jobId, progressEventSchema.parse(event));
    },
    forget(jobId) {
      last.delete(jobId);
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

/** Subscribe to every collection's progress, from any process. `connection` must allow blocking reads. */
export async function subscribeProgress(options: {
  connection: Redis;
  prefix: string;
}): Promise<ProgressSubscription> {
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
