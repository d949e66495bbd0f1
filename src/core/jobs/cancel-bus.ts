/**
 * Cross-process cancel. BullMQ's `worker.cancelJob` only reaches the process that runs the job, so a
 * cancel is published on a Redis channel every worker listens to; each aborts the work it runs for that
 * collection. A flag key makes the cancel stick for work that starts later.
 */
import type { Redis } from "ioredis";
import type { Keys } from "./keys.js";

export interface CancelBus {
  /** An AbortSignal that fires when `collectionId` is cancelled from any process. Call `release` when done. */
  watch(collectionId: string): { signal: AbortSignal; release: () => void };
  isCancelled(collectionId: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function createCancelBus(options: {
  subscriber: Redis;
  client: Redis;
  keys: Keys;
}): Promise<CancelBus> {
  const { subscriber, client, keys } = options;
  const watchers = new Map<string, Set<AbortController>>();
  subscriber.on("message", (channel: string, jobId: string) => {
    if (channel !== keys.cancelChannel) return;
    for (const controller of watchers.get(jobId) ?? []) controller.abort(new Error("cancelled"));
  });
  await subscriber.subscribe(keys.cancelChannel);
  let closed = false;
  return {
    watch(collectionId) {
      const controller = new AbortController();
      let set = watchers.get(collectionId);
      if (!set) watchers.set(collectionId, (set = new Set()));
      set.add(controller);
      // The cancel may have come before this watch started.
      void client.exists(keys.cancelFlag(collectionId)).then(
        (n) => {
          if (n > 0) controller.abort(new Error("cancelled"));
        },
        () => undefined,
      );
      return {
        signal: controller.signal,
        release: () => {
          set.delete(controller);
          if (set.size === 0) watchers.delete(collectionId);
        },
      };
    },
    async isCancelled(collectionId) {
      return (await client.exists(keys.cancelFlag(collectionId))) > 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      await subscriber.unsubscribe(keys.cancelChannel).catch(() => undefined);
    },
  };
}
