/**
 * Track results as they end: the track processor writes each track's result here the moment it ends (one
 * field per track of a Redis hash per collection, `keys.trackResults`), so the chat can get a track long
 * before the slowest one of its collection is done. The collection's final result (job-record.ts) stays
 * the one truth about how the job ended; this hash only says what has ended so far. It lives as long as
 * the collection's progress record (`keys.trackProgress`).
 */
import type { Redis } from "ioredis";
import type { Keys } from "./keys.js";
import { trackResultSchema, type TrackResult } from "./schemas.js";

export interface TrackResults {
  /** Keep a track's result (its collection's progress record gives the lifetime). */
  write(collectionId: string, result: TrackResult): Promise<void>;
  /** The results of the tracks that have ended so far, by 0-based index. */
  read(collectionId: string): Promise<Map<number, TrackResult>>;
}

// The results live as long as the progress record they belong to (or a day, if that has no expiry).
const WRITE = `
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then ttl = 86400 end
redis.call('EXPIRE', KEYS[2], ttl)
return 1`;

export function createTrackResults(
  redis: Redis,
  keys: Pick<Keys, "trackProgress" | "trackResults">,
): TrackResults {
  return {
    async write(collectionId, result) {
      await redis.eval(
        WRITE,
        2,
        keys.trackProgress(collectionId),
        keys.trackResults(collectionId),
        String(result.index),
        JSON.stringify(result),
      );
    },
    async read(collectionId) {
      const raw = await redis.hgetall(keys.trackResults(collectionId));
      const out = new Map<number, TrackResult>();
      for (const value of Object.values(raw)) {
        try {
          const parsed = trackResultSchema.safeParse(JSON.parse(value));
          if (parsed.success) out.set(parsed.data.index, parsed.data);
        } catch {
          // an unreadable entry reads as a track that has not ended yet
        }
      }
      return out;
    },
  };
}
