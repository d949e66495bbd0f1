/**
 * Who may call /admin: a client inside the configured networks AND the right bearer token. Both, because
 * a LAN is not a credential and a leaked token should not work from the internet. The client address is
 * the socket's, unless `http.trustedProxies` lets Fastify take it from X-Forwarded-For; a request that
 * came through a proxy nobody said to trust is refused (behind a same-host proxy every peer is
 * 127.0.0.1, see client-address.ts). The guard runs as a preParsing hook: after the rate limiter (so
 * token guessing is limited too), before the body is read (so strangers cannot make us parse anything).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { ClientAddressPolicy } from "./client-address.js";
import { HttpError } from "./errors.js";

export interface AdminGuardOptions {
  /** Who the client is and whether it is inside http.adminCidrs. */
  clients: ClientAddressPolicy;
  /** The admin bearer token (ADMIN_TOKEN); must not be empty. */
  token: string;
}

/** Compare secrets in constant time, whatever their lengths (hashing first hides the length too). */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/** True when an Authorization header carries `Bearer <token>` (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = typeof header === "string" ? /^Bearer +(\S+) *$/i.exec(header) : null;
  return match !== null && secretEquals(match[1]!, token);
}

export function createAdminGuard(options: AdminGuardOptions) {
  if (options.token === "") throw new RangeError("the admin guard needs a token");
  const { clients } = options;
  let toldOperator = false;
  /** Throws an {@link HttpError} (403 or 401) unless the request may pass. */
  return function adminGuard(request: FastifyRequest, reply: FastifyReply): void {
    const client = clients.classify(request);
    if (client.kind === "unknown") {
      // Once per process: the operator needs one clear line, not one per request.
      if (!toldOperator)
        request.log.warn({ peer: request.socket.remoteAddress }, `admin refused: ${client.why}`);
      toldOperator = true;
      throw new HttpError(403, `forbidden: ${client.why}`);
    }
    if (client.kind === "outside") {
      request.log.warn({ ip: request.ip }, "admin request from outside the allowed networks");
      throw new HttpError(403, "forbidden");
    }
    if (!bearerMatches(request.headers.authorization, options.token)) {
      void reply.header("www-authenticate", 'Bearer realm="cd-collector admin"');
      throw new HttpError(401, "unauthorized");
    }
  };
}
