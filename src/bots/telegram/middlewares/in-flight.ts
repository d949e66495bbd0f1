/**
 * Counts running handlers, because the runner's stop() does not wait for them: stop() waits on `idle()`.
 */
import type { Context, MiddlewareFn } from "grammy";

export interface InFlight<C extends Context> {
  middleware: MiddlewareFn<C>;
  /** Also track work started outside a handler (progress edits, deliveries). */
  track<T>(work: Promise<T>): Promise<T>;
  readonly count: number;
  /** Resolves when nothing runs. */
  idle(): Promise<void>;
}

export function createInFlight<C extends Context>(): InFlight<C> {
  let count = 0;
  let waiters: (() => void)[] = [];
  const done = () => {
    count -= 1;
    if (count === 0) {
      const w = waiters;
      waiters = [];
      w.forEach((resolve) => resolve());
    }
  };
  const track = async <T>(work: Promise<T>): Promise<T> => {
    count += 1;
    try {
      return await work;
    } finally {
      done();
    }
  };
  return {
    middleware: (_ctx, next) => track(next()),
    track,
    get count() {
      return count;
    },
    idle() {
      return count === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
    },
  };
}
