import { afterEach, describe, expect, it } from "vitest";
import { storeCollection, storeRunningCollection } from "../burn/burn-fixture.js";
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

function post(
  f: HttpFixture,
  body: unknown,
  opts: { headers?: Record<string, string>; remoteAddress?: string } = {},
) {
  return f.app.inject({
    method: "POST",
    url: "/admin/burn",
    headers: { "content-type": "application/json", ...auth, ...opts.headers },
    payload: typeof body === "string" ? body : JSON.stringify(body),
    remoteAddress: opts.remoteAddress ?? "127.0.0.1",
  });
}

async function finished(f: HttpFixture) {
  return storeCollection({
    redis: f.redis,
    prefix: f.prefix,
    dataDir: f.dataDir,
    title: "Admin Album",
    tracks: [
      { title: "One", seconds: 1.5 },
      { title: "Two", seconds: 1.5 },
      { title: "Lost", seconds: 1, failed: true },
    ],
  });
}

describe("POST /admin/burn", () => {
  it("queues a burn and answers 202 with the plan, which GET /admin/burn/:id shows too", async () => {
    const f = await fixture();
    const { jobId } = await finished(f);
    const res = await post(f, { jobId, simulate: true, device: "/dev/sr1" });
    expect(res.statusCode).toBe(202);
    const body = res.json<{
      burnId: string;
      plan: { discs: { tracks: { title: string; padded: boolean }[] }[]; rejected: unknown; text: string };
    }>();
    expect(body.burnId).toMatch(/^[a-z2-9]{7}$/);
    expect(body.plan.discs).toHaveLength(1);
    expect(body.plan.discs[0]!.tracks.map((t) => t.title)).toEqual(["One", "Two"]);
    expect(body.plan.discs[0]!.tracks[0]!.padded).toBe(true);
    expect(body.plan.rejected).toEqual([
      { index: 2, title: "Lost", reason: "It was not collected, so there is no file to burn." },
    ]);
    expect(body.plan.text).toContain("1 disc, 2 tracks");

    const status = await f.app.inject({
      url: `/admin/burn/${body.burnId}`,
      headers: auth,
      remoteAddress: "127.0.0.1",
    });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({
      burnId: body.burnId,
      jobId,
      state: "waiting",
      stage: "queued",
      percent: 0,
      simulate: true,
      device: "/dev/sr1",
      plan: body.plan,
    });
  });

  it.each([
    [{ jobId: "ab3def7", extra: 1 }, /Unrecognized key.*extra/],
    [{ jobId: "../etc" }, /jobId: must be a job id/],
    [{ jobId: "AB3DEF7" }, /jobId: must be a job id/],
    [{ jobId: "ab3def7", device: "/dev/sr0; rm -rf /" }, /device: must be a device path/],
    [{ jobId: "ab3def7", device: "/dev/../etc/passwd" }, /device: must be a device path/],
    [{ jobId: "ab3def7", disc: 0 }, /disc:/],
    [{ jobId: "ab3def7", simulate: "yes" }, /simulate:/],
    [[], /expected object/],
    [{}, /jobId:/],
  ])("answers 400 for the bad body %j", async (body, message) => {
    const f = await fixture();
    const res = await post(f, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe("invalid request");
    expect(res.json().message).toMatch(message);
  });

  it("answers 400 for malformed JSON or a text body, 413 for an oversized body, 415 for an unknown type", async () => {
    const f = await fixture();
    expect((await post(f, '{"jobId": "ab3def7"')).statusCode).toBe(400);
    const huge = JSON.stringify({ jobId: "ab3def7", device: `/dev/${"a".repeat(20_000)}` });
    expect((await post(f, huge)).statusCode).toBe(413);
    const text = await post(f, "jobId=ab3def7", { headers: { "content-type": "text/plain" } });
    expect(text.statusCode).toBe(400);
    const xml = await post(f, "<jobId/>", { headers: { "content-type": "application/xml" } });
    expect(xml.statusCode).toBe(415);
  });

  it("answers 409 for a job that is not done or has no files, 404 for an unknown job", async () => {
    const f = await fixture();
    const running = await storeRunningCollection(f.redis, f.prefix);
    const r1 = await post(f, { jobId: running });
    expect(r1.statusCode).toBe(409);
    expect(r1.json().error).toMatch(/only a finished collection can be burned/);
    const empty = await storeCollection({
      redis: f.redis,
      prefix: f.prefix,
      dataDir: f.dataDir,
      title: "Empty",
      tracks: [{ title: "Lost", seconds: 1, failed: true }],
    });
    const r2 = await post(f, { jobId: empty.jobId });
    expect(r2.statusCode).toBe(409);
    expect(r2.json().error).toMatch(/no collected tracks/);
    expect((await post(f, { jobId: "zzzzzzz" })).statusCode).toBe(404);
    const { jobId } = await finished(f);
    const r3 = await post(f, { jobId, disc: 2 });
    expect(r3.statusCode).toBe(409);
    expect(r3.json().error).toMatch(/no disc 2/);
  });
});

describe("admin access", () => {
  it("does not exist without an admin token", async () => {
    const f = await fixture({ env: { ADMIN_TOKEN: "" } });
    expect((await post(f, { jobId: "ab3def7" })).statusCode).toBe(404);
    expect((await f.app.inject({ url: "/admin/burn/ab3def7", headers: auth })).statusCode).toBe(404);
  });

  it("needs the right bearer token", async () => {
    const f = await fixture();
    const missing = await post(f, { jobId: "ab3def7" }, { headers: { authorization: "" } });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers["www-authenticate"]).toMatch(/^Bearer/);
    for (const authorization of [
      `Bearer ${ADMIN_TOKEN}x`,
      `Bearer ${ADMIN_TOKEN.slice(0, -1)}`,
      ADMIN_TOKEN,
      `Basic ${ADMIN_TOKEN}`,
    ]) {
      expect(
        (await post(f, { jobId: "ab3def7" }, { headers: { authorization } })).statusCode,
        authorization,
      ).toBe(401);
    }
  });

  it("refuses peers outside the allowed networks, also with the right token and before reading the body", async () => {
    const f = await fixture();
    for (const remoteAddress of ["8.8.8.8", "::ffff:8.8.8.8", "2001:db8::1", "100.64.0.1"]) {
      const res = await post(f, "{not json", { remoteAddress });
      expect(res.statusCode, remoteAddress).toBe(403);
    }
    // Private and loopback peers (IPv4-mapped too) get past the network check: 404 for an unknown burn.
    for (const remoteAddress of [
      "127.0.0.1",
      "::1",
      "::ffff:192.168.1.10",
      "10.9.8.7",
      "172.20.0.5",
      "fd12::5",
    ]) {
      const res = await f.app.inject({ url: "/admin/burn/zzzzzzz", headers: auth, remoteAddress });
      expect(res.statusCode, remoteAddress).toBe(404);
    }
  });

  it("ignores X-Forwarded-For unless the peer is a trusted proxy", async () => {
    const direct = await fixture();
    const forgedIn = await direct.app.inject({
      url: "/admin/burn/zzzzzzz",
      headers: { ...auth, "x-forwarded-for": "127.0.0.1" },
      remoteAddress: "8.8.8.8",
    });
    expect(forgedIn.statusCode).toBe(403);
    // From 127.0.0.1 with a forwarding header: a proxy nobody said to trust, so not taken for the LAN.
    const unknown = await direct.app.inject({
      url: "/admin/burn/zzzzzzz",
      headers: { ...auth, "x-forwarded-for": "8.8.8.8" },
      remoteAddress: "127.0.0.1",
    });
    expect(unknown.statusCode).toBe(403);

    const proxied = await fixture({ http: { trustedProxies: ["127.0.0.1"] } });
    const outside = await proxied.app.inject({
      url: "/admin/burn/zzzzzzz",
      headers: { ...auth, "x-forwarded-for": "8.8.8.8" },
      remoteAddress: "127.0.0.1",
    });
    expect(outside.statusCode).toBe(403);
    const inside = await proxied.app.inject({
      url: "/admin/burn/zzzzzzz",
      headers: { ...auth, "x-forwarded-for": "192.168.1.7" },
      remoteAddress: "127.0.0.1",
    });
    expect(inside.statusCode).toBe(404);
    const untrusted = await proxied.app.inject({
      url: "/admin/burn/zzzzzzz",
      headers: { ...auth, "x-forwarded-for": "127.0.0.1" },
      remoteAddress: "8.8.8.8",
    });
    expect(untrusted.statusCode).toBe(403);
  });

  it("rate-limits admin calls, wrong tokens included", async () => {
    const f = await fixture({ http: { rateLimitPerMinute: 3 } });
    const codes = [];
    for (let i = 0; i < 4; i++) {
      codes.push(
        (await post(f, { jobId: "zzzzzzz" }, { headers: { authorization: "Bearer guess" } })).statusCode,
      );
    }
    expect(codes).toEqual([401, 401, 401, 429]);
  });

  it("refuses a bad network in http.adminCidrs at build time", async () => {
    await expect(fixture({ http: { adminCidrs: ["192.168.0.0/33"] } })).rejects.toThrow(/not an IP network/);
  });
});
