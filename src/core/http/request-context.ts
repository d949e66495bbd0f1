/**
 * Request ids and the one log line per request. Why: every log line of a request carries its id (pino
 * child bindings), the id is echoed in `x-request-id` so a person can quote it, and the access log
 * names the route template, never the raw URL, so download tokens stay out of logs and metric labels.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { FastifyInstance } from "fastify";
import type { Metrics } from "../metrics.js";

const ACCEPTED_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Reuse a sane incoming `x-request-id` (from a proxy), else a fresh UUID. */
export function genReqId(req: IncomingMessage): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && ACCEPTED_ID.test(given) ? given : randomUUID();
}

export function registerRequestContext(app: FastifyInstance, metrics: Metrics): void {
  app.addHook("onSend", async (request, reply, payload) => {
    void reply.header("x-request-id", request.id);
    return payload;
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequests.observe(
      { route, method: request.method, status: String(reply.statusCode) },
      seconds,
    );
    request.log.info(
      { method: request.method, route, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      "request",
    );
  });
}
