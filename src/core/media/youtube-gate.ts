/**
 * Politeness towards YouTube, shared by every worker through Redis:
 *
 * - an hourly download budget (a sliding window of the last hour's downloads, default below a guest
 *   session's ~300 videos an hour): a track over the budget waits for the next free slot;
 * - service-wide pauses: when YouTube rate-limits the session or asks for a bot check, nobody downloads
 *   until the pause ends, the tracks wait (never fail), and the operator is told once what to do.
 *
 * What yt-dlp's real messages mean is decided in yt-dlp.ts (classifyYtDlpError); this module decides what
 * the service does about them.
 */
import type { Redis } from "ioredis";
import type { Keys } from "../jobs/keys.js";
import type { NoticeKind, OperatorNotices } from "../operator-notices.js";
import { formatUntil, type Pause, type ServicePauses } from "../service-pauses.js";
import type { YtDlpErrorKind } from "./yt-dlp.js";

export interface YouTubeGateOptions {
  redis: Redis;
  keys: Keys;
  pauses: ServicePauses;
  notices: OperatorNotices;
  downloadsPerHour: number;
  rateLimitPauseMinutes: number;
  botCheckPauseMinutes: number;
  /** The budget's window; an hour in production (benchmarks shrink it to measure the rate). */
  windowMs?: number;
}

/** Why a download may not start now, and when to come back. */
export interface Wait {
  until: number;
  why: "paused" | "budget";
  /** For the person: "YouTube asked us to slow down" / "this hour's download budget is used up". */
  reason: string;
}

export interface YouTubeGate {
  /**
   * Take a download slot now, or say when to come back (a pause in force, or the budget used up).
   * `slotId` must be unique per attempt (e.g. job id + attempt) so retries of one track are not counted twice.
   */
  admit(slotId: string): Promise<Wait | undefined>;
  /**
   * What to do after yt-dlp failed this way: for a session rate limit or a bot check, pause every worker
   * and tell the operator (once); answers the wait the track must now do. Other failures answer undefined.
   */
  onFailure(kind: YtDlpErrorKind, ytDlpVersion: string): Promise<Wait | undefined>;
}

// Drop slots older than the window; if a slot is free take it (answer 0), else answer when the oldest ends.
const TAKE_SLOT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return 0 end
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tonumber(oldest[2]) + window
`;

const PAUSE_REASON = "YouTube asked us to slow down";

function waitFor(pause: Pause): Wait {
  return { until: pause.until, why: "paused", reason: PAUSE_REASON };
}

/** The refusals that pause every worker: for how long, why, and what the operator is told. */
function pauseCauses(
  options: YouTubeGateOptions,
  ytDlpVersion: string,
): Partial<
  Record<
    YtDlpErrorKind,
    { minutes: number; reason: string; notice: NoticeKind; text: (until: string) => string }
  >
> {
  return {
    session_limited: {
      minutes: options.rateLimitPauseMinutes,
      reason: "YouTube rate-limited this session",
      notice: "youtube_rate_limited",
      text: (until) =>
        `YouTube rate-limited this service's session ("This content isn't available, try again later"). ` +
        `Every worker has stopped downloading until ${until}; waiting tracks continue then, none fails. ` +
        `If this repeats, lower youtube.downloadsPerHour (now ${options.downloadsPerHour}) or give yt-dlp a ` +
        `logged-in cookies file (download.cookiesFile). yt-dlp ${ytDlpVersion}.`,
    },
    bot_check: {
      minutes: options.botCheckPauseMinutes,
      reason: "YouTube asked for a bot check",
      notice: "youtube_bot_check",
      text: (until) =>
        `YouTube asks this server to "confirm you're not a bot", so downloads wait until ${until} and then ` +
        `try again. To fix it: export cookies from a browser logged in to YouTube into a cookies.txt and set ` +
        `download.cookiesFile, or install a PO-token provider plugin for yt-dlp (bgutil-ytdlp-pot-provider). ` +
        `\`cd-collector doctor\` checks both. yt-dlp ${ytDlpVersion}.`,
    },
  };
}

export function createYouTubeGate(options: YouTubeGateOptions): YouTubeGate {
  const windowMs = options.windowMs ?? 3_600_000;
  const { pauses, notices } = options;

  return {
    async admit(slotId) {
      const pause = await pauses.get("youtube");
      if (pause) return waitFor(pause);
      const until = Number(
        await options.redis.eval(
          TAKE_SLOT,
          1,
          options.keys.youtubeBudget,
          String(Date.now()),
          String(windowMs),
          String(options.downloadsPerHour),
          slotId,
        ),
      );
      return until > 0
        ? { until, why: "budget", reason: "this hour's YouTube download budget is used up" }
        : undefined;
    },

    async onFailure(kind, ytDlpVersion) {
      const pausing = pauseCauses(options, ytDlpVersion)[kind];
      if (pausing) {
        const { pause, started } = await pauses.pause("youtube", pausing.minutes * 60, pausing.reason);
        // Once per pause: every worker that meets the same refusal joins the pause quietly.
        if (started) {
          await notices.notify(pausing.notice, pausing.text(formatUntil(pause.until)), {
            once: { key: `${pausing.notice}:${pause.until}`, seconds: 6 * 3600 },
          });
        }
        return waitFor(pause);
      }
      if (kind === "forbidden") {
        await notices.notify(
          "ytdlp_outdated",
          `YouTube refuses media downloads (HTTP 403) even after a retry. In 2026 this usually means the ` +
            `installed yt-dlp (${ytDlpVersion}) is behind YouTube: update it ` +
            `(python3 -m pip install -U 'yt-dlp[default]') on every worker.`,
          { once: { key: "ytdlp_outdated", seconds: 6 * 3600 } },
        );
      }
      return undefined;
    },
  };
}
