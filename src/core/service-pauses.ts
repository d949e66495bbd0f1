/**
 * Service-wide pauses, stored in Redis so that every worker on every machine honours them: when YouTube
 * rate-limits our session or Spotify asks us to wait a day, nobody asks again until the pause ends.
 *
 * A pause is one key per outside service with a TTL: it ends by itself. Setting a pause never shortens
 * one already in force.
 */
import type { Redis } from "ioredis";
import type { Keys } from "./jobs/keys.js";

/** What can be paused. */
export type PausedService = "youtube" | "spotify_api";

export interface Pause {
  /** Epoch ms when the pause ends. */
  until: number;
  /** Why, in words for the operator (e.g. "YouTube rate-limited this session"). */
  reason: string;
}

export interface ServicePauses {
  /**
   * Pause `service` for `seconds` (at least 1), unless a pause that ends later is in force.
   * @returns the pause in force afterwards, and whether this call started it (no pause was in force).
   */
  pause(service: PausedService, seconds: number, reason: string): Promise<{ pause: Pause; started: boolean }>;
  /** The pause in force, or undefined. */
  get(service: PausedService): Promise<Pause | undefined>;
  /** End a pause early (an operator fixed the cause). */
  clear(service: PausedService): Promise<void>;
}

// Keeps the later of the stored and the new end; answers the stored value and whether it was empty.
const SET_LATER = `
local old = redis.call('GET', KEYS[1])
local deadline = tonumber(ARGV[1])
if old then
  local ok, decoded = pcall(cjson.decode, old)
  if ok and tonumber(decoded['until']) and tonumber(decoded['until']) >= deadline then
    return {old, 0}
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return {ARGV[2], old and 0 or 1}
`;

function decode(raw: string | null): Pause | undefined {
  if (raw === null) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<Pause>;
    if (typeof value.until !== "number" || typeof value.reason !== "string") return undefined;
    return value.until > Date.now() ? { until: value.until, reason: value.reason } : undefined;
  } catch {
    return undefined;
  }
}

export function createServicePauses(redis: Redis, keys: Keys): ServicePauses {
  return {
    async pause(service, seconds, reason) {
      const ms = Math.max(1000, Math.round(seconds * 1000));
      const until = Date.now() + ms;
      const value = JSON.stringify({ until, reason });
      const [stored, started] = (await redis.eval(
        SET_LATER,
        1,
        keys.pause(service),
        String(until),
        value,
        String(ms),
      )) as [string, number];
      return { pause: decode(stored) ?? { until, reason }, started: started === 1 };
    },
    async get(service) {
      return decode(await redis.get(keys.pause(service)));
    },
    async clear(service) {
      await redis.del(keys.pause(service));
    },
  };
}

/** "14:05 UTC" for a person; the date too when it is not today. */
export function formatUntil(until: number, now = Date.now()): string {
  const d = new Date(until);
  const time = `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")} UTC`;
  return new Date(now).toISOString().slice(0, 10) === d.toISOString().slice(0, 10)
    ? time
    : `${d.toISOString().slice(0, 10)} ${time}`;
}
