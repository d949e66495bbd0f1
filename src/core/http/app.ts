/**
 * The Fastify app: /healthz /readyz /metrics for operators and monitors, /files/:token for signed
 * downloads, /admin/burn for the LAN admin. Built by a factory with everything handed in, so tests
 * build one per test and talk to it with `inject`; the caller decides where it listens.
 *
 * Concerns are registered in this order, which matters: request ids and logging, the error handler,
 * security headers, the rate limiter (before any limited route), then one plugin per route group.
 */
import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import type { Queue } from "bullmq";
import Fastify, { LogController, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { BurnService } from "../burn/burn-service.js";
import type { Config } from "../config/schema.js";
import type { JobService } from "../jobs/job-service.js";
import { dataPaths } from "../jobs/workers.js";
import type { Metrics } from "../metrics.js";
import type { ServicePauses } from "../service-pauses.js";
import { adminBurnRoutes } from "./admin-burn-routes.js";
import { createAdminGuard } from "./admin-guard.js";
import { createAddressFilter } from "./address-filter.js";
import { registerErrorHandling } from "./errors.js";
import { filesRoute } from "./files-route.js";
import { healthRoutes, type HealthCheck, type Readiness } from "./health.js";
import { createLinkSigner, loadLinkSecret, type LinkSigner } from "./link-signer.js";
import { metricsRoute } from "./metrics-route.js";
import { genReqId, registerRequestContext } from "./request-context.js";

/** Largest body an admin route accepts. */
export const ADMIN_BODY_LIMIT = 16 * 1024;

export interface HttpAppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Dependency checks behind /healthz, by name (see `redisCheck`, `programCheck`). */
  health: { checks: Record<string, HealthCheck> };
  /** Behind /readyz (see `createReadiness`). */
  ready: () => Promise<Readiness>;
  /** Needed for /files and for checking a job before a burn; without it /files is not served. */
  jobs?: JobService;
  /** Needed for /admin/burn; without it (or without an admin token) the admin routes do not exist. */
  burn?: BurnService;
  /** More queues sampled into `cdc_queue_jobs` (the jobs' and burns' queues are always sampled). */
  queues?: Queue[];
  /** Service-wide pauses, sampled into `cdc_service_paused`. */
  pauses?: ServicePauses;
  /** Link signer for /files. @defaultValue built from `loadLinkSecret(config)` and `http.linkTtlHours` */
  linkSigner?: LinkSigner;
  version: string;
}

/** Build the app (not listening). Throws on a bad `http.adminCidrs` entry. */
export function createHttpApp(deps: HttpAppDeps): FastifyInstance {
  const { config, metrics } = deps;
  const http = config.http;
  // Validate the networks now: a typo must stop the start, not silently close (or open) /admin.
  createAddressFilter(http.adminCidrs);
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: "http" }),
    // Our own access line (request-context.ts) names the route template, not the URL with its token.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "reqId" }),
    genReqId,
    requestIdHeader: false,
    trustProxy: http.trustedProxies.length > 0 ? [...http.trustedProxies] : false,
    bodyLimit: 1024 * 1024,
    // Download tokens are about 90 characters; leave room without inviting huge paths.
    routerOptions: { maxParamLength: 256 },
  }) as unknown as FastifyInstance;

  registerRequestContext(app, metrics);
  registerErrorHandling(app);
  void app.register(helmet, { global: true });
  void app.register(rateLimit, {
    global: false,
    onExceeded: () => metrics.rateLimited.inc({ kind: "http" }),
  });
  const limited = { max: http.rateLimitPerMinute, timeWindow: "1 minute" };

  void app.register((scope, _options, done) => {
    healthRoutes(scope, { version: deps.version, checks: deps.health.checks, ready: deps.ready });
    metricsRoute(scope, {
      metrics,
      ...(deps.pauses ? { pauses: deps.pauses } : {}),
      queues: () => [
        ...(deps.jobs ? [deps.jobs.queue] : []),
        ...(deps.burn ? [deps.burn.queue] : []),
        ...(deps.queues ?? []),
      ],
    });
    done();
  });

  if (deps.jobs) {
    const jobs = deps.jobs;
    const signer =
      deps.linkSigner ?? createLinkSigner({ secret: loadLinkSecret(config), ttlHours: http.linkTtlHours });
    void app.register((scope, _options, done) => {
      filesRoute(scope, { jobs, signer, packagesDir: dataPaths(config).packagesDir, rateLimit: limited });
      done();
    });
  }

  if (http.adminToken !== "" && deps.burn) {
    const burn = deps.burn;
    const guard = createAdminGuard({ cidrs: http.adminCidrs, token: http.adminToken });
    void app.register((scope, _options, done) => {
      scope.addHook("preParsing", (request, reply, payload, next) => {
        try {
          guard(request, reply);
          next(null, payload);
        } catch (err) {
          next(err as Error);
        }
      });
      adminBurnRoutes(scope, {
        burn,
        ...(deps.jobs ? { jobs: deps.jobs } : {}),
        bodyLimit: ADMIN_BODY_LIMIT,
        rateLimit: limited,
      });
      done();
    });
  }
  return app;
}
