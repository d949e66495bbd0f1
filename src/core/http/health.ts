/**
 * /healthz and /readyz. Two questions, two routes: "is this process alive and can it reach what it
 * needs" (a load balancer or Docker restarts it when not) and "should it be given work now" (Redis
 * connected, bot polling or workers running, queue not over its limit). Checks have a deadline, so a
 * hung dependency answers 503 instead of hanging the probe.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";
import { ProgramNotFoundError, runProcess } from "../process-runner.js";

export interface CheckResult {
  ok: boolean;
  detail?: string;
}
/** One dependency check; may throw (counted as down). */
export type HealthCheck = () => Promise<CheckResult>;

export interface Readiness {
  ready: boolean;
  reasons: string[];
}

export interface HealthRoutesOptions {
  version: string;
  checks: Record<string, HealthCheck>;
  ready: () => Promise<Readiness>;
  /** Deadline of one check. @defaultValue 2000 */
  checkTimeoutMs?: number;
  /**
   * Whether the caller may see the version and each check's detail (program versions, error texts);
   * others see only what is up. The app allows callers inside http.adminCidrs.
   */
  showDetails: (request: FastifyRequest) => boolean;
}

async function withDeadline<T>(work: () => Promise<T>, ms: number, onLate: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onLate), ms);
  });
  try {
    return await Promise.race([work(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Run every check at once; a throw or a timeout counts as down. */
export async function runChecks(
  checks: Record<string, HealthCheck>,
  timeoutMs = 2000,
): Promise<{ ok: boolean; checks: Record<string, CheckResult> }> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const result = await withDeadline<CheckResult>(
        () =>
          check().catch((err: unknown) => ({
            ok: false,
            detail: err instanceof Error ? err.message : String(err),
          })),
        timeoutMs,
        { ok: false, detail: `no answer within ${timeoutMs} ms` },
      );
      return [name, result] as const;
    }),
  );
  return { ok: entries.every(([, r]) => r.ok), checks: Object.fromEntries(entries) };
}

/** A check that PINGs Redis over `redis`. */
export function redisCheck(redis: Pick<Redis, "ping">): HealthCheck {
  return async () => {
    const answer = await redis.ping();
    return answer === "PONG" ? { ok: true } : { ok: false, detail: `unexpected answer ${String(answer)}` };
  };
}

/**
 * A check that a program can be started (`ffmpeg -version`). The answer is cached (programs do not
 * come and go between probes, and starting one per probe would be wasteful).
 */
export function programCheck(command: string, args: string[] = ["-version"], cacheMs = 60_000): HealthCheck {
  let cached: { at: number; result: CheckResult } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < cacheMs) return cached.result;
    let result: CheckResult;
    try {
      const run = await runProcess(command, args, { timeoutMs: 5000, okExitCodes: [0, 1] });
      result = { ok: true, detail: (run.stdout.split("\n")[0] ?? "").slice(0, 120) };
    } catch (err) {
      result = {
        ok: false,
        detail: err instanceof ProgramNotFoundError ? `${command} is not installed` : String(err),
      };
    }
    cached = { at: Date.now(), result };
    return result;
  };
}

export interface ReadinessOptions {
  /** Connections that must be connected, by name (e.g. `{ redis: producer }`). */
  connections?: Record<string, { status: string }>;
  /** Things that must be running, by name (e.g. `{ "bot polling": () => runner.isRunning() }`). */
  running?: Record<string, () => boolean>;
  /** Collections waiting or running (JobService.depth). */
  depth?: () => Promise<number>;
  /** Not ready above this depth (http.readyMaxQueueDepth). */
  maxQueueDepth: number;
}

/** Build the `ready()` function /readyz calls from the pieces a role has. */
export function createReadiness(options: ReadinessOptions): () => Promise<Readiness> {
  return async () => {
    const reasons: string[] = [];
    for (const [name, c] of Object.entries(options.connections ?? {})) {
      if (c.status !== "ready") reasons.push(`${name} is not connected (${c.status})`);
    }
    for (const [name, isRunning] of Object.entries(options.running ?? {})) {
      if (!isRunning()) reasons.push(`${name} is not running`);
    }
    if (options.depth && reasons.length === 0) {
      try {
        const depth = await withDeadline(options.depth, 2000, -1);
        if (depth < 0) reasons.push("the queue depth could not be read in time");
        else if (depth > options.maxQueueDepth) {
          reasons.push(`${depth} collections are waiting (limit ${options.maxQueueDepth})`);
        }
      } catch (err) {
        reasons.push(
          `the queue depth could not be read: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    return { ready: reasons.length === 0, reasons };
  };
}

export function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): void {
  app.get("/healthz", async (request, reply) => {
    const result = await runChecks(options.checks, options.checkTimeoutMs);
    const status = result.ok ? "ok" : "down";
    const body = options.showDetails(request)
      ? { status, version: options.version, checks: result.checks }
      : {
          status,
          checks: Object.fromEntries(Object.entries(result.checks).map(([name, r]) => [name, { ok: r.ok }])),
        };
    return reply
      .code(result.ok ? 200 : 503)
      .header("cache-control", "no-store")
      .send(body);
  });

  app.get("/readyz", async (_request, reply) => {
    const readiness = await withDeadline(options.ready, (options.checkTimeoutMs ?? 2000) + 1000, {
      ready: false,
      reasons: ["the readiness check did not answer in time"],
    });
    return reply
      .code(readiness.ready ? 200 : 503)
      .header("cache-control", "no-store")
      .send({ status: readiness.ready ? "ready" : "not ready", reasons: readiness.reasons });
  });
}
