import { createHmac } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { storeCollection, type StoredCollection } from "../burn/burn-fixture.js";
import { createHttpFixture, LINK_SECRET, type HttpFixture } from "./http-fixture.js";
import { createKeys } from "../../../src/core/jobs/keys.js";

let f: HttpFixture;
let stored: StoredCollection;
let zip: Buffer;

beforeEach(async () => {
  f = await createHttpFixture();
  stored = await storeCollection({
    redis: f.redis,
    prefix: f.prefix,
    dataDir: f.dataDir,
    title: 'Grüße aus Köln "live"',
    tracks: [{ title: "Eins", seconds: 1 }],
  });
  zip = readFileSync(stored.result.packagePath!);
});
afterEach(async () => f.close());

const get = (url: string, headers: Record<string, string> = {}) =>
  f.app.inject({ method: "GET", url, headers });

/** A token with our MAC over any payload: what someone holding the key (or a bug) could produce. */
function forge(payload: unknown): string {
  const p = Buffer.from(JSON.stringify(payload)).toString("base64url");
  return `${p}.${createHmac("sha256", LINK_SECRET).update(p).digest("base64url")}`;
}

describe("GET /files/:token", () => {
  it("serves the packaged collection with download headers", async () => {
    const res = await get(`/files/${f.signer.sign(stored.jobId)}`);
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(zip)).toBe(true);
    expect(res.headers["content-type"]).toBe("application/zip");
    expect(res.headers["content-length"]).toBe(String(zip.length));
    expect(res.headers["accept-ranges"]).toBe("bytes");
    expect(res.headers["content-disposition"]).toBe(
      `attachment; filename="Gr__e aus K_ln _live_.zip"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20aus%20K%C3%B6ln%20_live_.zip`,
    );
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("answers a HEAD request with the size and no body", async () => {
    const res = await f.app.inject({ method: "HEAD", url: `/files/${f.signer.sign(stored.jobId)}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-length"]).toBe(String(zip.length));
    expect(res.rawPayload.length).toBe(0);
  });

  it.each([
    ["bytes=0-99", 0, 99],
    ["bytes=100-", 100, -1],
    ["bytes=-50", -50, -1],
    ["bytes=10-999999999", 10, -1],
  ])("serves the range %s with 206 and Content-Range", async (range, start, end) => {
    const res = await get(`/files/${f.signer.sign(stored.jobId)}`, { range });
    const from = start < 0 ? zip.length + start : start;
    const to = end < 0 ? zip.length - 1 : end;
    expect(res.statusCode).toBe(206);
    expect(res.headers["content-range"]).toBe(`bytes ${from}-${to}/${zip.length}`);
    expect(res.headers["content-length"]).toBe(String(to - from + 1));
    expect(res.rawPayload.equals(zip.subarray(from, to + 1))).toBe(true);
  });

  it.each(["bytes=999999999-", "bytes=-0"])("answers the unsatisfiable range %s with 416", async (range) => {
    const res = await get(`/files/${f.signer.sign(stored.jobId)}`, { range });
    expect(res.statusCode).toBe(416);
    expect(res.headers["content-range"]).toBe(`bytes */${zip.length}`);
  });

  it("serves the whole file for several ranges, other units, or a stale If-Range", async () => {
    const url = `/files/${f.signer.sign(stored.jobId)}`;
    const variants: Record<string, string>[] = [
      { range: "bytes=0-1,5-6" },
      { range: "items=0-1" },
      { range: "bytes=0-1", "if-range": '"old"' },
    ];
    for (const headers of variants) {
      const res = await get(url, headers);
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.length).toBe(zip.length);
    }
    const etag = (await get(url)).headers.etag as string;
    expect((await get(url, { range: "bytes=0-1", "if-range": etag })).statusCode).toBe(206);
  });

  it("answers 410 for an expired link and 403 for tampered or malformed ones", async () => {
    const expired = f.signer.sign(stored.jobId, Date.now() - 73 * 3_600_000);
    const res = await get(`/files/${expired}`);
    expect(res.statusCode).toBe(410);
    expect(res.json()).toMatchObject({ error: "link expired" });

    const good = f.signer.sign(stored.jobId);
    const [payload, mac] = good.split(".") as [string, string];
    const otherPayload = Buffer.from(JSON.stringify({ j: "zzzzzzz", e: 9_999_999_999 })).toString(
      "base64url",
    );
    for (const token of [
      `${payload}.${mac.slice(0, -2)}AA`,
      `${otherPayload}.${mac}`,
      "abc",
      `${good}.x`,
      "..%2f..%2fetc%2fpasswd",
      "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      forge({ j: "../x", e: 9_999_999_999 }),
      forge({ j: stored.jobId, e: 9_999_999_999, path: "/etc/passwd" }),
    ]) {
      const r = await get(`/files/${token}`);
      expect(r.statusCode, token).toBe(403);
      expect(r.json()).toMatchObject({ error: "invalid link" });
    }
  });

  it("answers 404 when the job is unknown, and 410 'link expired' when its package is gone", async () => {
    expect((await get(`/files/${f.signer.sign("zzzzzzz")}`)).statusCode).toBe(404);
    rmSync(stored.result.packagePath!);
    const gone = await get(`/files/${f.signer.sign(stored.jobId)}`);
    expect(gone.statusCode).toBe(410);
    expect(gone.json()).toMatchObject({ error: "link expired" });
  });

  it("serves a file whose title has a lone surrogate, a NUL or 300 characters", async () => {
    const key = createKeys(f.prefix).job(stored.jobId);
    for (const title of ["Half \ud83c moon", "a\u0000b", "Sinfonie ".repeat(33)]) {
      await f.redis.hset(key, "result", JSON.stringify({ ...stored.result, title }));
      const res = await get(`/files/${f.signer.sign(stored.jobId)}`);
      expect(res.statusCode, title).toBe(200);
      expect(res.rawPayload.equals(zip)).toBe(true);
      const disposition = String(res.headers["content-disposition"]);
      expect(disposition).toMatch(/^attachment; filename="[\x20-\x7e]+\.zip"; filename\*=UTF-8''\S+\.zip$/);
    }
    const half = await (async () => {
      await f.redis.hset(key, "result", JSON.stringify({ ...stored.result, title: "Half \ud83c moon" }));
      return get(`/files/${f.signer.sign(stored.jobId)}`);
    })();
    expect(half.headers["content-disposition"]).toContain("filename*=UTF-8''Half%20%EF%BF%BD%20moon.zip");
  });

  it("refuses a package path outside the packages directory even when the job record names one", async () => {
    const key = createKeys(f.prefix).job(stored.jobId);
    await f.redis.hset(key, "result", JSON.stringify({ ...stored.result, packagePath: "/etc/passwd" }));
    expect((await get(`/files/${f.signer.sign(stored.jobId)}`)).statusCode).toBe(404);
  });
});

describe("rate limit on /files", () => {
  it("turns away the request over the limit with 429 and counts it", async () => {
    const limited = await createHttpFixture({ http: { rateLimitPerMinute: 2 } });
    try {
      const url = `/files/${limited.signer.sign("zzzzzzz")}`;
      const codes = [];
      for (let i = 0; i < 3; i++)
        codes.push((await limited.app.inject({ url, remoteAddress: "10.1.2.3" })).statusCode);
      expect(codes).toEqual([404, 404, 429]);
      // Another address has its own budget.
      expect((await limited.app.inject({ url, remoteAddress: "10.1.2.4" })).statusCode).toBe(404);
      const metrics = await limited.app.inject({ url: "/metrics" });
      expect(metrics.body).toContain('cdc_rate_limited_total{kind="http"} 1');
    } finally {
      await limited.close();
    }
  });
});
