/**
 * /metrics in Prometheus text format from this app's own Registry. Queue gauges are sampled at scrape
 * time (one getJobCounts per queue) instead of by a timer, so an idle process costs Redis nothing. One
 * collection is kept for a few seconds and shared by every scrape meanwhile (concurrent ones included),
 * so a flood of scrapes costs Redis no more than one. With `http.metricsToken` set, a scrape must bring
 * it as a bearer token.
 */
import type { Queue } from "bullmq";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import type { Metrics } from "../metrics.js";
import type { PausedService, ServicePauses } from "../service-pauses.js";
import { bearerMatches } from "./admin-guard.js";
import { HttpError } from "./errors.js";

const STATES = [
  "waiting",
  "active",
  "delayed",
  "prioritized",
  "waiting-children",
  "completed",
  "failed",
] as const;

export interface MetricsRouteOptions {
  metrics: Metrics;
  /** Queues to sample into `cdc_queue_jobs{queue,state}`. */
  queues: () => Queue[];
  /** Sampled into `cdc_service_paused{service}`. */
  pauses?: ServicePauses;
  /** Bearer token a scrape must bring (http.metricsToken); empty: none. */
  token: string;
  /** How long one collection answers scrapes. @defaultValue 5000 */
  cacheMs?: number;
}

const PAUSABLE: readonly PausedService[] = ["youtube", "spotify_api"];

/** Sample the queues and pauses into the gauges, then render the registry. */
async function collect(options: MetricsRouteOptions, log: FastifyBaseLogger): Promise<string> {
  await Promise.all(
    options.queues().map(async (queue) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error("no answer from Redis within 2 s")), 2000);
        });
        const counts = await Promise.race([queue.getJobCounts(...STATES), late]);
        for (const state of STATES)
          options.metrics.queueJobs.set({ queue: queue.name, state }, counts[state] ?? 0);
      } catch (err) {
        // A scrape must still answer when Redis is down: the gauges keep their last values.
        log.warn({ err, queue: queue.name }, "could not sample queue counts");
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  if (options.pauses) {
    const pauses = options.pauses;
    await Promise.all(
      PAUSABLE.map(async (service) => {
        try {
          options.metrics.servicePaused.set({ service }, (await pauses.get(service)) ? 1 : 0);
        } catch (err) {
          log.warn({ err, service }, "could not sample a service pause");
        }
      }),
    );
  }
  return options.metrics.registry.metrics();
}

export function metricsRoute(app: FastifyInstance, options: MetricsRouteOptions): void {
  const cacheMs = options.cacheMs ?? 5000;
  let last: { at: number; body: Promise<string> } | undefined;
  app.get("/metrics", async (request, reply) => {
    if (options.token !== "" && !bearerMatches(request.headers.authorization, options.token)) {
      void reply.header("www-authenticate", 'Bearer realm="cd-collector metrics"');
      throw new HttpError(401, "unauthorized");
    }
    const now = Date.now();
    if (!last || now - last.at >= cacheMs) {
      const body = collect(options, request.log);
      last = { at: now, body };
      // A failed collection is not kept: the next scrape tries again.
      body.catch(() => {
        if (last?.body === body) last = undefined;
      });
    }
    const body = await last.body;
    return reply
      .header("content-type", options.metrics.registry.contentType)
      .header("cache-control", "no-store")
      .send(body);
  });
}
