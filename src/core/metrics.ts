/**
 * Every metric this service exports, on a Registry of its own (never prom-client's global one), so
 * several app instances in one process (tests) never collide. Prefix `cdc_`; no user ids in labels.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface Metrics {
  registry: Registry;
  /** Telegram commands by command and outcome (ok, refused, invalid, limited, error). */
  commands: Counter<"command" | "outcome">;
  /** Collections by final outcome (done, partial, failed, cancelled). */
  jobs: Counter<"outcome">;
  jobDuration: Histogram<"outcome">;
  /** Seconds from submit to the first track starting. */
  queueWait: Histogram;
  /** Jobs per queue and state, sampled at scrape time. */
  queueJobs: Gauge<"queue" | "state">;
  /** Tracks by outcome (done, cached, failed, needs_review, cancelled). */
  tracks: Counter<"outcome">;
  cacheHits: Counter<"kind">;
  /** YouTube Music search requests by plan step (isrc, music, video): the cost of matching. */
  searchRequests: Counter<"kind">;
  /** Notices written for the operator, by kind (youtube_rate_limited, spotify_premium_lapsed, ...). */
  operatorNotices: Counter<"kind">;
  /** 1 while an outside service is paused service-wide (youtube, spotify_api), sampled at scrape time. */
  servicePaused: Gauge<"service">;
  telegramErrors: Counter<"method" | "code">;
  /** Requests turned away by a limit, by kind (flood, bucket, per_person, queue_full, http). */
  rateLimited: Counter<"kind">;
  burns: Counter<"outcome">;
  /** Refusals of people not on the allowlist. */
  refusals: Counter;
  /** HTTP requests by route template (never the raw URL: tokens stay out), method and status code. */
  httpRequests: Histogram<"route" | "method" | "status">;
  /** Download packages (zips) on disk, and their bytes, as of the last package sweep. */
  packages: Gauge;
  packageBytes: Gauge;
  /** Failed getUpdates calls of the bot's long polling, by reason (conflict, unauthorized, network, other). */
  telegramPollingFailures: Counter<"reason">;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: "cdc_" });
    // prom-client exports these gauges with a `_total` suffix, which Prometheus reserves for counters
    // (`promtool check metrics` rejects them); they add nothing the event-loop metrics do not show.
    for (const name of ["active_handles_total", "active_requests_total", "active_resources_total"]) {
      registry.removeSingleMetric(`cdc_nodejs_${name}`);
    }
  }
  const registers = [registry];
  return {
    registry,
    commands: new Counter({
      name: "cdc_commands_total",
      help: "Telegram commands by command and outcome",
      labelNames: ["command", "outcome"],
      registers,
    }),
    jobs: new Counter({
      name: "cdc_jobs_total",
      help: "Collections finished, by outcome",
      labelNames: ["outcome"],
      registers,
    }),
    jobDuration: new Histogram({
      name: "cdc_job_duration_seconds",
      help: "Time from submit to the end of a collection",
      labelNames: ["outcome"],
      buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 3600],
      registers,
    }),
    queueWait: new Histogram({
      name: "cdc_queue_wait_seconds",
      help: "Time from submit until the first track starts",
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900],
      registers,
    }),
    queueJobs: new Gauge({
      name: "cdc_queue_jobs",
      help: "Jobs per queue and state",
      labelNames: ["queue", "state"],
      registers,
    }),
    tracks: new Counter({
      name: "cdc_tracks_total",
      help: "Tracks by outcome",
      labelNames: ["outcome"],
      registers,
    }),
    cacheHits: new Counter({
      name: "cdc_cache_hits_total",
      help: "Track cache hits by kind (file, telegram)",
      labelNames: ["kind"],
      registers,
    }),
    operatorNotices: new Counter({
      name: "cdc_operator_notices_total",
      help: "Notices written for the operator, by kind",
      labelNames: ["kind"],
      registers,
    }),
    servicePaused: new Gauge({
      name: "cdc_service_paused",
      help: "1 while an outside service is paused service-wide (YouTube rate limit, Spotify Retry-After)",
      labelNames: ["service"],
      registers,
    }),
    searchRequests: new Counter({
      name: "cdc_search_requests_total",
      help: "YouTube Music search requests by plan step (isrc, music, video)",
      labelNames: ["kind"],
      registers,
    }),
    telegramErrors: new Counter({
      name: "cdc_telegram_api_errors_total",
      help: "Telegram Bot API errors by method and error code",
      labelNames: ["method", "code"],
      registers,
    }),
    rateLimited: new Counter({
      name: "cdc_rate_limited_total",
      help: "Requests turned away by a limit, by kind",
      labelNames: ["kind"],
      registers,
    }),
    burns: new Counter({
      name: "cdc_burns_total",
      help: "CD burns by outcome",
      labelNames: ["outcome"],
      registers,
    }),
    refusals: new Counter({
      name: "cdc_unauthorized_total",
      help: "Updates from people not on the allowlist",
      registers,
    }),
    httpRequests: new Histogram({
      name: "cdc_http_request_duration_seconds",
      help: "HTTP requests by route template, method and status code",
      labelNames: ["route", "method", "status"],
      buckets: [0.005, 0.025, 0.1, 0.5, 2, 10, 60],
      registers,
    }),
    packages: new Gauge({
      name: "cdc_packages",
      help: "Download packages (zips) on disk, as of the last package sweep",
      registers,
    }),
    packageBytes: new Gauge({
      name: "cdc_package_bytes",
      help: "Bytes of download packages (zips) on disk, as of the last package sweep",
      registers,
    }),
    telegramPollingFailures: new Counter({
      name: "cdc_telegram_polling_failures_total",
      help: "Failed getUpdates calls of the bot's long polling, by reason",
      labelNames: ["reason"],
      registers,
    }),
  };
}
