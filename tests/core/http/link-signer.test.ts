import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLinkSigner, downloadUrl, loadLinkSecret } from "../../../src/core/http/link-signer.js";

const secret = "0123456789abcdef0123456789abcdef";
const now = Date.UTC(2026, 10, 20, 12, 0, 0);

describe("createLinkSigner", () => {
  const signer = createLinkSigner({ secret, ttlHours: 72 });

  it("signs a job id into a URL-safe token that verifies until it expires", () => {
    const token = signer.sign("ab3def7", now);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(token.length).toBeLessThan(100);
    expect(signer.verify(token, now + 71 * 3_600_000)).toEqual({
      ok: true,
      jobId: "ab3def7",
      expiresAt: now + 72 * 3_600_000,
    });
    expect(signer.verify(token, now + 72 * 3_600_000)).toEqual({ ok: false, reason: "expired" });
  });

  it("says only 'invalid' for tokens signed with another key, tampered or malformed", () => {
    const token = signer.sign("ab3def7", now);
    const other = createLinkSigner({ secret: "another-secret-another-secret!!", ttlHours: 72 }).sign(
      "ab3def7",
      now,
    );
    const [payload, mac] = token.split(".") as [string, string];
    const swapped = Buffer.from(JSON.stringify({ j: "zzzzzzz", e: 9_999_999_999 })).toString("base64url");
    for (const bad of [
      other,
      `${swapped}.${mac}`,
      `${payload}.`,
      `${payload}`,
      "",
      "a.b.c",
      `${payload}.${mac}=`,
      "x".repeat(300),
    ]) {
      expect(signer.verify(bad, now), bad).toEqual({ ok: false, reason: "invalid" });
    }
  });

  it("refuses to sign something that is not a job id, and weak keys", () => {
    expect(() => signer.sign("../x")).toThrow(RangeError);
    expect(() => createLinkSigner({ secret: "short", ttlHours: 1 })).toThrow(/16 bytes/);
  });
});

describe("loadLinkSecret", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("uses http.linkSecret when set", () => {
    expect(loadLinkSecret({ dataDir: "/nonexistent", http: { linkSecret: secret } }).toString()).toBe(secret);
  });

  it("otherwise makes a random key once, private to the owner, and keeps it", () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cdc-link-"));
    const config = { dataDir: path.join(dir, "data"), http: { linkSecret: "" } };
    const first = loadLinkSecret(config);
    expect(first.length).toBeGreaterThanOrEqual(32);
    const file = path.join(config.dataDir, "link-secret");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadLinkSecret(config).equals(first)).toBe(true);
    expect(readFileSync(file, "utf8")).toBe(first.toString());
    // Links signed before a restart still verify after it.
    const token = createLinkSigner({ secret: first, ttlHours: 1 }).sign("ab3def7");
    expect(createLinkSigner({ secret: loadLinkSecret(config), ttlHours: 1 }).verify(token).ok).toBe(true);
  });
});

describe("downloadUrl", () => {
  it("joins the public base URL and the token, or gives nothing without a base URL", () => {
    expect(downloadUrl("https://music.example.org/", "abc.def")).toBe(
      "https://music.example.org/files/abc.def",
    );
    expect(downloadUrl("https://example.org/cdc", "abc.def")).toBe("https://example.org/cdc/files/abc.def");
    expect(downloadUrl("", "abc.def")).toBeUndefined();
  });
});
