/**
 * What every handler of the bot can reach: the grammY context plus a per-update logger and who is asking,
 * and the dependencies handed to `createBot` (the bot talks to the core only through these).
 */
import type { Context } from "grammy";
import type { Config } from "../../core/config/schema.js";
import type { Actor, JobService } from "../../core/jobs/job-service.js";
import type { ProgressSubscription } from "../../core/jobs/progress-broker.js";
import type { Logger } from "../../core/log.js";
import type { TrackCache } from "../../core/media/track-cache.js";
import type { Metrics } from "../../core/metrics.js";
import type { Catalog } from "../../core/spotify/catalog.js";

/** Added to grammY's context by the bot's first middlewares. */
export interface BotContextFlavor {
  /** A child logger carrying the update id, chat and user. */
  log: Logger;
  /** The sender as the JobService sees them (set for allowlisted senders). */
  actor: Actor;
}

export type BotContext = Context & BotContextFlavor;

/** The configuration values the bot reads. */
export interface BotConfig {
  telegram: Config["telegram"];
  jobs: Pick<Config["jobs"], "maxActiveJobsPerPerson">;
  download: Pick<Config["download"], "ffmpegPath" | "format" | "bitrateKbps" | "bitrateChoicesKbps">;
}

/** Knobs tests and benchmarks turn; production uses the defaults. */
export interface BotTuning {
  /** Smallest gap between two sends/edits into one private chat (ms). @defaultValue 1050 */
  perChatMinTimeMs?: number;
  /** Smallest gap between two sends/edits into one group chat (Telegram: about 20 per minute). @defaultValue 3100 */
  groupMinTimeMs?: number;
  /** Sends per second for the whole bot, under Telegram's 30. @defaultValue 28 */
  globalPerSecond?: number;
  /** Serve first replies before follow-ups and progress edits; false keeps arrival order (benchmark baseline). @defaultValue true */
  pacerPriorities?: boolean;
  /** Longest `retry_after` waited for before a call fails. @defaultValue 60 */
  maxRetryDelaySeconds?: number;
  /** Retries of one call after 429 or 5xx answers. @defaultValue 5 */
  maxRetryAttempts?: number;
  /** How often running jobs are re-read from the job store, in case a progress event was lost (ms). @defaultValue 15000 */
  reconcileIntervalMs?: number;
  /** How long stop() waits for running handlers and deliveries before aborting them (ms). @defaultValue 15000 */
  stopTimeoutMs?: number;
  /** Quiet time after a refusal before the same stranger is refused again (ms). @defaultValue 60000 */
  refusalCooldownMs?: number;
  /** Deadline of one attempt of an ordinary Bot API call; auto-retry tries again after it (ms). @defaultValue 30000 */
  apiCallTimeoutMs?: number;
  /** Deadline of one attempt of a call that may upload a file (ms). @defaultValue 300000 */
  apiUploadTimeoutMs?: number;
}

/** A download link and when it stops working (ms since epoch). */
export interface DownloadLink {
  url: string;
  expiresAt: number;
}

/** Everything `createBot` needs. */
export interface BotDeps {
  config: BotConfig;
  jobs: JobService;
  /** The progress subscription; the bot attaches listeners and never closes it (its owner does). */
  progress: Pick<ProgressSubscription, "onProgress" | "onFinished">;
  catalog: Pick<Catalog, "parse" | "canonicalRef">;
  /** The same cache (same key prefix) the workers fill. */
  trackCache: Pick<TrackCache, "get" | "setTelegramFileId">;
  /** A signed download link for a finished job's package and when it expires, if one can be made. */
  linkFor(jobId: string): DownloadLink | undefined;
  metrics: Metrics;
  logger: Logger;
  version: string;
  /** Absolute library directory: track files in job results are relative to it. */
  libraryDir: string;
  /** Where thumbnails are made. @defaultValue os.tmpdir() */
  tmpDir?: string;
  /** Key of this bot's Telegram file ids in the track cache (file ids are per bot). @defaultValue the bot id from the token */
  botKey?: string;
  tuning?: BotTuning;
}
