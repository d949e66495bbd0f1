/**
 * Who may call /admin: a peer inside the configured networks AND the right bearer token. Both, because
 * a LAN is not a credential and a leaked token should not work from the internet. The peer address is
 * the socket's, unless `http.trustedProxies` lets Fastify take it from X-Forwarded-For. The guard runs
 * as a preParsing hook: after the rate limiter (so token guessing is limited too), before the body is
 * read (so strangers cannot make us parse anything).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { createAddressFilter } from "./address-filter.js";
import { HttpError } from "./errors.js";

export interface AdminGuardOptions {
  /** Allowed peer networks (http.adminCidrs). */
  cidrs: readonly string[];
  /** The admin bearer token (ADMIN_TOKEN); must not be empty. */
  token: string;
}

/** Compare secrets in constant time, whatever their lengths (hashing first hides the length too). */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

export function createAdminGuard(options: AdminGuardOptions) {
  if (options.token === "") throw new RangeError("the admin guard needs a token");
  const filter = createAddressFilter(options.cidrs);
  /** Throws an {@link HttpError} (403 or 401) unless the request may pass. */
  return function adminGuard(request: FastifyRequest, reply: FastifyReply): void {
    if (!filter.allows(request.ip)) {
      request.log.warn({ ip: request.ip }, "admin request from outside the allowed networks");
      throw new HttpError(403, "forbidden");
    }
    const header = request.headers.authorization;
    const match = typeof header === "string" ? /^Bearer +(\S+) *$/i.exec(header) : null;
    if (!match || !secretEquals(match[1]!, options.token)) {
      void reply.header("www-authenticate", 'Bearer realm="cd-collector admin"');
      throw new HttpError(401, "unauthorized");
    }
  };
}
