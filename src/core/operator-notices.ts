/**
 * Notices for the operator: "YouTube rate-limited us, downloads paused until 15:05", "update yt-dlp",
 * "the Spotify app owner's Premium has lapsed". Any role writes them; the bot delivers them to the admins'
 * chats. They cross processes as a capped Redis stream, and a notice with a `once` key is written at most
 * once per that many seconds across the whole service (however many workers meet the same cause).
 */
import type { Redis } from "ioredis";
import type { Keys } from "./jobs/keys.js";
import type { Logger } from "./log.js";
import type { Metrics } from "./metrics.js";

/** What a notice is about (a closed set, so it can be a metric label). */
export type NoticeKind =
  | "youtube_rate_limited"
  | "youtube_resumed"
  | "youtube_bot_check"
  | "ytdlp_outdated"
  | "spotify_premium_lapsed"
  | "spotify_paused"
  | "telegram_delayed";

export interface OperatorNotice {
  kind: NoticeKind;
  /** Plain text for the admin's chat: what happened and what to do. */
  text: string;
  at: number;
}

export interface NoticeOptions {
  /** Write it at most once per this many seconds for this key (across every process). */
  once?: { key: string; seconds: number };
}

export interface OperatorNotices {
  /** Write a notice (logged as a warning too). @returns false when a `once` key suppressed it. */
  notify(kind: NoticeKind, text: string, options?: NoticeOptions): Promise<boolean>;
  /**
   * Notices after stream id `after` ("0" for all kept), waiting up to `blockMs` when there are none.
   * The connection must be one that may block.
   */
  read(after: string, blockMs: number, connection: Redis): Promise<{ id: string; notice: OperatorNotice }[]>;
}

/** How many notices the stream keeps. */
const KEEP = 1000;

export function createOperatorNotices(deps: {
  redis: Redis;
  keys: Keys;
  logger?: Pick<Logger, "warn">;
  metrics?: Pick<Metrics, "operatorNotices">;
}): OperatorNotices {
  const { redis, keys } = deps;
  return {
    async notify(kind, text, options = {}) {
      if (options.once) {
        const first = await redis.set(
          keys.noticeOnce(options.once.key),
          "1",
          "EX",
          options.once.seconds,
          "NX",
        );
        if (first === null) return false;
      }
      const notice: OperatorNotice = { kind, text, at: Date.now() };
      await redis.xadd(keys.notices, "MAXLEN", "~", String(KEEP), "*", "n", JSON.stringify(notice));
      deps.metrics?.operatorNotices.inc({ kind });
      deps.logger?.warn({ notice: kind }, text);
      return true;
    },
    async read(after, blockMs, connection) {
      const answer = await connection.xread("COUNT", 50, "BLOCK", blockMs, "STREAMS", keys.notices, after);
      const out: { id: string; notice: OperatorNotice }[] = [];
      for (const [, entries] of answer ?? []) {
        for (const [id, fields] of entries) {
          const raw = fields[fields.indexOf("n") + 1];
          try {
            if (raw !== undefined) out.push({ id, notice: JSON.parse(raw) as OperatorNotice });
          } catch {
            // a foreign or broken entry: skip it, keep the cursor moving
          }
        }
      }
      return out;
    },
  };
}
