/**
 * Which peer addresses may call the admin routes. Built on node's BlockList; IPv4-mapped IPv6 addresses
 * (`::ffff:192.168.1.5`, what a dual-stack socket reports for IPv4 peers) are checked as IPv4, so one
 * `192.168.0.0/16` entry covers both spellings.
 */
import { BlockList, isIP } from "node:net";

export interface AddressFilter {
  /** True when `address` lies inside one of the networks. */
  allows(address: string | undefined): boolean;
}

/** `::ffff:a.b.c.d` → `a.b.c.d`; other addresses unchanged (zone ids dropped). */
export function normalizeAddress(address: string): string {
  const plain = address.replace(/%.*$/, "");
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(plain);
  return mapped ? mapped[1]! : plain;
}

/**
 * Build a filter from CIDR strings (`10.0.0.0/8`, `fc00::/7`) or single addresses. Throws a RangeError
 * naming the bad entry, so a typo in `http.adminCidrs` stops the start instead of opening the door.
 */
export function createAddressFilter(cidrs: readonly string[]): AddressFilter {
  const list = new BlockList();
  for (const entry of cidrs) {
    const [rawAddress, rawPrefix, ...rest] = entry.trim().split("/");
    const address = normalizeAddress(rawAddress ?? "");
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefix = rawPrefix === undefined ? max : Number(rawPrefix);
    if (
      family === 0 ||
      rest.length > 0 ||
      (rawPrefix !== undefined && !/^\d{1,3}$/.test(rawPrefix)) ||
      prefix < 0 ||
      prefix > max
    ) {
      throw new RangeError(`not an IP network: "${entry}" (expected e.g. 192.168.0.0/16 or fc00::/7)`);
    }
    // A mapped IPv4 network given in IPv6 form (::ffff:10.0.0.0/104) becomes its IPv4 network.
    const mappedPrefix = address !== rawAddress && rawPrefix !== undefined ? prefix - 96 : prefix;
    if (family === 4) list.addSubnet(address, Math.max(0, Math.min(32, mappedPrefix)), "ipv4");
    else list.addSubnet(address, prefix, "ipv6");
  }
  return {
    allows(address) {
      if (address === undefined || address === "") return false;
      const plain = normalizeAddress(address);
      const family = isIP(plain);
      if (family === 0) return false;
      return list.check(plain, family === 4 ? "ipv4" : "ipv6");
    },
  };
}
