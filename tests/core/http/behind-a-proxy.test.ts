import { afterEach, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createHttpFixture, type HttpFixture } from "./http-fixture.js";

const fixtures: HttpFixture[] = [];
afterEach(async () => {
  for (const f of fixtures.splice(0)) await f.close();
});

async function fixture(options: Parameters<typeof createHttpFixture>[0] = {}): Promise<HttpFixture> {
  const f = await createHttpFixture(options);
  fixtures.push(f);
  return f;
}

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
/** An unknown burn: 404 for whoever passes the guard, 403 for whoever does not. */
const ADMIN_URL = "/admin/burn/zzzzzzz";

describe("behind a reverse proxy on the same host", () => {
  it("refuses an internet client on admin routes without trustedProxies, and says what to set", async () => {
    const f = await fixture();
    // What a same-host nginx or Caddy sends: the socket peer is 127.0.0.1, the client is in a header.
    for (const header of [
      { "x-forwarded-for": "203.0.113.9" },
      { "x-real-ip": "203.0.113.9" },
      { forwarded: "for=203.0.113.9;proto=https" },
    ]) {
      const res = await f.app.inject({
        url: ADMIN_URL,
        headers: { ...auth, ...header },
        remoteAddress: "127.0.0.1",
      });
      expect(res.statusCode, JSON.stringify(header)).toBe(403);
      expect(res.json<{ error: string }>().error).toMatch(/http\.trustedProxies/);
    }
    // A call made on this host without any proxy still works.
    expect(
      (await f.app.inject({ url: ADMIN_URL, headers: auth, remoteAddress: "127.0.0.1" })).statusCode,
    ).toBe(404);
  });

  it("with trustedProxies, judges the client the proxy names", async () => {
    const f = await fixture({ http: { trustedProxies: ["127.0.0.1", "::1"] } });
    const via = (client: string, peer = "::ffff:127.0.0.1") =>
      f.app.inject({ url: ADMIN_URL, headers: { ...auth, "x-forwarded-for": client }, remoteAddress: peer });
    expect((await via("203.0.113.9")).statusCode).toBe(403);
    expect((await via("192.168.1.7")).statusCode).toBe(404);
    // A client's own forged entry in front of the proxy's is not believed.
    expect((await via("192.168.1.7, 203.0.113.9")).statusCode).toBe(403);
    // A trusted proxy that names the client only in X-Real-IP leaves it unknown.
    const realIpOnly = await f.app.inject({
      url: ADMIN_URL,
      headers: { ...auth, "x-real-ip": "203.0.113.9" },
      remoteAddress: "127.0.0.1",
    });
    expect(realIpOnly.statusCode).toBe(403);
    expect(realIpOnly.json<{ error: string }>().error).toMatch(/X-Forwarded-For/);
  });

  it("with trustedProxies, /files clients get separate rate-limit buckets", async () => {
    const f = await fixture({ http: { trustedProxies: ["127.0.0.1"], rateLimitPerMinute: 2 } });
    const get = (client: string) =>
      f.app.inject({
        url: "/files/not-a-token",
        headers: { "x-forwarded-for": client },
        remoteAddress: "127.0.0.1",
      });
    const first = [];
    for (let i = 0; i < 3; i++) first.push((await get("203.0.113.9")).statusCode);
    expect(first).toEqual([403, 403, 429]);
    // Another client behind the same proxy is not held back by the first one's requests.
    expect((await get("198.51.100.4")).statusCode).toBe(403);
    // One IPv6 home connection is one client, whichever of its addresses it uses.
    expect((await get("2001:db8:1:2::a")).statusCode).toBe(403);
    expect((await get("2001:db8:1:2::b")).statusCode).toBe(403);
    expect((await get("2001:db8:1:2:ffff::c")).statusCode).toBe(429);
  });

  it("shows versions on /healthz only to the LAN", async () => {
    const f = await fixture({
      deps: {
        health: { checks: { ffmpeg: () => Promise.resolve({ ok: true, detail: "ffmpeg version 5.1.8" }) } },
      },
    });
    const health = async (remoteAddress: string, headers: Record<string, string> = {}) => {
      const res = await f.app.inject({ url: "/healthz", remoteAddress, headers });
      expect(res.statusCode).toBe(200);
      return res.body;
    };
    for (const outsider of [
      await health("203.0.113.9"),
      await health("127.0.0.1", { "x-forwarded-for": "203.0.113.9" }),
    ]) {
      expect(JSON.parse(outsider)).toEqual({ status: "ok", checks: { ffmpeg: { ok: true } } });
    }
    const inside = await health("192.168.1.7");
    expect(inside).toContain("9.9.9-test");
    expect(inside).toContain("ffmpeg version 5.1.8");
  });
});
