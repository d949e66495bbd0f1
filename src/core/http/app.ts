/**
 * The Fastify app: /healthz /readyz /metrics for operators and monitors, /files/:token for signed
 * downloads, /files/peer/:token for the other roles' machines, /admin/burn for the LAN admin. Built by a factory with everything handed in, so tests
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
import type { PeerFiles } from "../media/peer-files.js";
import type { Metrics } from "../metrics.js";
import type { ServicePauses } from "../service-pauses.js";
import { adminBurnRoutes } from "./admin-burn-routes.js";
import { createAdminGuard } from "./admin-guard.js";
import { createClientAddressPolicy, rateLimitKey } from "./client-address.js";
import { registerErrorHandling } from "./errors.js";
import { filesRoute } from "./files-route.js";
import { healthRoutes, type HealthCheck, type Readiness } from "./health.js";
import { createLinkSigner, loadLinkSecret, PEER_TOKEN_MAX_CHARS, type LinkSigner } from "./link-signer.js";
import { metricsRoute } from "./metrics-route.js";
import { peerFilesRoute } from "./peer-files-route.js";
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
  /**
   * This machine's files for the other roles: with it, /files/peer/:token serves them, and /files passes
   * on a package another machine holds. Without it neither happens (everything is on one machine).
   */
  peers?: PeerFiles;
  version: string;
}

/** Build the app (not listening). Throws on a bad `http.adminCidrs` or `http.trustedProxies` entry. */
export function createHttpApp(deps: HttpAppDeps): FastifyInstance {
  const { config, metrics } = deps;
  const http = config.http;
  // Built now: a typo in the networks must stop the start, not silently close (or open) /admin.
  const clients = createClientAddressPolicy(http);
  const requestMs = Math.round(http.requestTimeoutSeconds * 1000);
  const headersMs = Math.min(Math.round(http.headersTimeoutSeconds * 1000), requestMs);
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: "http" }),
    // Our own access line (request-context.ts) names the route template, not the URL with its token.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "reqId" }),
    genReqId,
    requestIdHeader: false,
    trustProxy: clients.trustProxy,
    // Held connections cost memory and sockets: slow headers, slow bodies and silence all end them.
    requestTimeout: requestMs,
    connectionTimeout: Math.round(http.idleTimeoutSeconds * 1000),
    http: {
      headersTimeout: headersMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(100, headersMs / 2)),
    },
    bodyLimit: 1024 * 1024,
    // Download tokens are about 90 characters, peer tokens (a library path inside) at most 1,600.
    routerOptions: { maxParamLength: PEER_TOKEN_MAX_CHARS },
  }) as unknown as FastifyInstance;
  // Over the cap, node closes a new connection as soon as it is accepted.
  app.server.maxConnections = http.maxConnections;

  registerRequestContext(app, metrics);
  registerErrorHandling(app);
  void app.register(helmet, { global: true });
  void app.register(rateLimit, {
    global: false,
    // The client behind a trusted proxy, an IPv6 client by its /64.
    keyGenerator: rateLimitKey,
    onExceeded: () => metrics.rateLimited.inc({ kind: "http" }),
  });
  const limited = { max: http.rateLimitPerMinute, timeWindow: "1 minute" };

  void app.register((scope, _options, done) => {
    healthRoutes(scope, {
      version: deps.version,
      checks: deps.health.checks,
      ready: deps.ready,
      showDetails: (request) => clients.classify(request).kind === "inside",
    });
    metricsRoute(scope, {
      metrics,
      token: http.metricsToken,
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
      filesRoute(scope, {
        jobs,
        signer,
        packagesDir: dataPaths(config).packagesDir,
        rateLimit: limited,
        ...(deps.peers ? { peers: deps.peers } : {}),
      });
      done();
    });
  }

  if (deps.peers) {
    const peers = deps.peers;
    void app.register((scope, _options, done) => {
      peerFilesRoute(scope, {
        signer: peers.signer,
        libraryDir: peers.libraryDir,
        packagesDir: peers.packagesDir,
        // Peers fetch every track of a collection at once; a client with no token gets nothing anyway.
        rateLimit: { max: Math.max(http.rateLimitPerMinute, 1200), timeWindow: "1 minute" },
      });
      done();
    });
  }

  if (http.adminToken !== "" && deps.burn) {
    const burn = deps.burn;
    const guard = createAdminGuard({ clients, token: http.adminToken });
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
