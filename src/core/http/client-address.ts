/**
 * Who is on the other end of a request. Behind a reverse proxy on the same host every socket peer is
 * 127.0.0.1, so the client's address must come from the proxy's X-Forwarded-For, and only when the
 * peer is listed in `http.trustedProxies`. When a request carries a forwarding header but no proxy is
 * trusted (or a trusted proxy sends only X-Real-IP / Forwarded, which Fastify does not read), the
 * client's address is unknown: such a request is never taken for one from the LAN.
 */
import type { FastifyRequest } from "fastify";
import { createAddressFilter, normalizeAddress, type AddressFilter } from "./address-filter.js";

const FORWARDING_HEADERS = ["x-forwarded-for", "forwarded", "x-real-ip"] as const;

export interface ClientAddressPolicy {
  /** Fastify's `trustProxy`: false, or which hops may name the client in X-Forwarded-For. */
  trustProxy: false | ((address: string, hop: number) => boolean);
  /**
   * Whether the client is inside http.adminCidrs. `unknown` (with a sentence for the caller and the
   * operator) when the address looks inside but came through a proxy whose word cannot be taken.
   */
  classify(
    request: FastifyRequest,
  ): { kind: "inside" } | { kind: "outside" } | { kind: "unknown"; why: string };
}

/** Throws a RangeError naming a bad entry of either list (a typo must stop the start). */
export function createClientAddressPolicy(options: {
  adminCidrs: readonly string[];
  trustedProxies: readonly string[];
}): ClientAddressPolicy {
  const inside: AddressFilter = createAddressFilter(options.adminCidrs);
  const proxies = options.trustedProxies.length > 0 ? createAddressFilter(options.trustedProxies) : undefined;

  const unknownClient = (request: FastifyRequest): string | undefined => {
    const headers = FORWARDING_HEADERS.filter((name) => request.headers[name] !== undefined);
    if (headers.length === 0) return undefined;
    if (!proxies) {
      return (
        `this request came through a reverse proxy (${headers.join(", ")}) but http.trustedProxies is ` +
        `not set, so the client's address is unknown; set http.trustedProxies to the proxy's address, ` +
        `e.g. ["127.0.0.1"] for a proxy on this host`
      );
    }
    const peer = request.socket.remoteAddress;
    if (proxies.allows(peer) && request.headers["x-forwarded-for"] === undefined) {
      return (
        `the trusted proxy sent ${headers.join(", ")} but no X-Forwarded-For, so the client's address ` +
        `is unknown; make the proxy send X-Forwarded-For`
      );
    }
    return undefined;
  };

  return {
    trustProxy: proxies ? (address) => proxies.allows(address) : false,
    classify(request) {
      if (!inside.allows(request.ip)) return { kind: "outside" };
      const why = unknownClient(request);
      return why === undefined ? { kind: "inside" } : { kind: "unknown", why };
    },
  };
}

/**
 * The rate-limit bucket of a request: its client address, IPv4-mapped addresses as IPv4, and an IPv6
 * client by its /64 (one home connection owns a whole /64, so per-address buckets would be endless).
 */
export function rateLimitKey(request: FastifyRequest): string {
  const ip = normalizeAddress(request.ip);
  if (!ip.includes(":")) return ip;
  const expanded = expandIpv6(ip);
  return expanded ? `${expanded.slice(0, 4).join(":")}::/64` : ip;
}

/** `2001:db8::1` → its eight groups, or undefined for something that is not IPv6. */
function expandIpv6(address: string): string[] | undefined {
  const halves = address.toLowerCase().split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  if (tail.some((g) => g.includes(".")) || head.some((g) => g.includes("."))) return undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...Array<string>(missing).fill("0"), ...tail];
  return groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))
    ? groups.map((g) => g.replace(/^0+(?=.)/, ""))
    : undefined;
}
