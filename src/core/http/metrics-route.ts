/**
 * /metrics in Prometheus text format from this app's own Registry. Queue gauges are sampled at scrape
 * time (one getJobCounts per queue) instead of by a timer, so an idle process costs Redis nothing.
 */
import type { Queue } from "bullmq";
import type { FastifyInstance } from "fastify";
import type { Metrics } from "../metrics.js";
import type { PausedService, ServicePauses } from "../service-pauses.js";

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
}

const PAUSABLE: readonly PausedService[] = ["youtube", "spotify_api"];

export function metricsRoute(app: FastifyInstance, options: MetricsRouteOptions): void {
  app.get("/metrics", async (request, reply) => {
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
          request.log.warn({ err, queue: queue.name }, "could not sample queue counts");
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
            request.log.warn({ err, service }, "could not sample a service pause");
          }
        }),
      );
    }
    const body = await options.metrics.registry.metrics();
    return reply.header("content-type", options.metrics.registry.contentType).send(body);
  });
}
