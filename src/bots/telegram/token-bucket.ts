/**
 * Per-person token bucket for /download: `capacity` requests at once, one more every `refillMs`.
 * In memory: there is one bot process per token, and a restart handing everyone a full bucket is fine.
 * (Bottleneck's reservoir cannot say when the next token comes, which the answer needs.)
 */
export interface TokenBucketOptions {
  capacity: number;
  refillMs: number;
  now?: () => number;
}

export interface TokenBucket {
  /** Takes a token: `{ ok: true }`, or how long until the next one. */
  take(key: string): { ok: true } | { ok: false; retryAfterMs: number };
}

export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  const now = options.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key) {
      const t = now();
      const b = buckets.get(key) ?? { tokens: options.capacity, at: t };
      const refilled = Math.floor((t - b.at) / options.refillMs);
      if (refilled > 0) {
        b.tokens = Math.min(options.capacity, b.tokens + refilled);
        b.at = b.tokens === options.capacity ? t : b.at + refilled * options.refillMs;
      }
      if (b.tokens >= options.capacity) b.at = t;
      if (b.tokens <= 0) {
        buckets.set(key, b);
        return { ok: false, retryAfterMs: Math.max(1, b.at + options.refillMs - t) };
      }
      b.tokens -= 1;
      buckets.set(key, b);
      // Full buckets carry no information: forget them so the map does not grow with every person.
      if (buckets.size > 10_000) {
        for (const [k, v] of buckets) if (v.tokens >= options.capacity) buckets.delete(k);
      }
      return { ok: true };
    },
  };
}
