import { describe, expect, it } from "vitest";
import { createAddressFilter } from "../../../src/core/http/address-filter.js";

const defaults = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

describe("createAddressFilter", () => {
  const filter = createAddressFilter(defaults);

  it.each([
    "127.0.0.1",
    "::1",
    "10.255.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "fd00::1",
    "::ffff:192.168.1.1",
    "::FFFF:10.0.0.1",
  ])("allows %s", (ip) => expect(filter.allows(ip)).toBe(true));

  it.each([
    "8.8.8.8",
    "172.32.0.1",
    "::ffff:8.8.8.8",
    "2001:db8::1",
    "fe80::1",
    "",
    undefined,
    "not-an-ip",
    "192.168.1.1.1",
  ])("refuses %s", (ip) => expect(filter.allows(ip)).toBe(false));

  it("takes single addresses and refuses bad entries", () => {
    expect(createAddressFilter(["203.0.113.7"]).allows("203.0.113.7")).toBe(true);
    expect(createAddressFilter(["203.0.113.7"]).allows("203.0.113.8")).toBe(false);
    for (const bad of [
      "10.0.0.0/33",
      "fc00::/129",
      "10.0.0/8",
      "10.0.0.0/x",
      "host.example",
      "10.0.0.0/8/8",
    ]) {
      expect(() => createAddressFilter([bad]), bad).toThrow(/not an IP network/);
    }
  });
});
