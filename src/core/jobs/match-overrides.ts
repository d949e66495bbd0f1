/**
 * Match overrides: the YouTube video a person chose for a Spotify track ("Wrong song?" or /fix). The track
 * processor asks here before the track cache and before matching, so a fixed match is what everyone gets
 * next, in every format: a cached file of another video is not used, and no search is made.
 *
 * One Redis string per track (`keys.override`), kept without expiry: a correction stays true, and a key
 * per fixed track is tiny. A later fix of the same track replaces it.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Keys } from "./keys.js";

const overrideSchema = z.object({
  videoId: z.string(),
  /** When it was chosen (epoch ms), for an operator wondering why a track sounds different. */
  at: z.number(),
});
export type MatchOverride = z.infer<typeof overrideSchema>;

export interface MatchOverrides {
  /** The video chosen for this track, if someone fixed it. */
  get(trackId: string): Promise<MatchOverride | undefined>;
  set(trackId: string, override: MatchOverride): Promise<void>;
}

export function createMatchOverrides(redis: Redis, keys: Keys): MatchOverrides {
  return {
    async get(trackId) {
      const raw = await redis.get(keys.override(trackId));
      if (!raw) return undefined;
      try {
        const parsed = overrideSchema.safeParse(JSON.parse(raw));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined; // unreadable: matched as if never fixed
      }
    },
    async set(trackId, override) {
      await redis.set(keys.override(trackId), JSON.stringify(overrideSchema.parse(override)));
    },
  };
}
