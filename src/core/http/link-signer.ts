/**
 * Signed, expiring download links. A token carries only a job id and an expiry time, signed with
 * HMAC-SHA256: the file behind it is looked up from the job's result, so nothing a caller sends ever
 * becomes a file-system path. Format: `base64url(payload).base64url(mac)`, payload `{"j":id,"e":secs}`.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { isJobId } from "../jobs/job-id.js";

/** Why a token was refused: `expired` may be told to the person; everything else is just `invalid`. */
export type LinkRejection = "expired" | "invalid";

export type LinkVerification =
  { ok: true; jobId: string; expiresAt: number } | { ok: false; reason: LinkRejection };

export interface LinkSigner {
  /** A token for `jobId`, valid for the configured time from `now` (ms since epoch). */
  sign(jobId: string, now?: number): string;
  /** The job id behind a token, or why it is refused. Never throws. */
  verify(token: string, now?: number): LinkVerification;
}

export interface LinkSignerOptions {
  /** Signing key; at least 16 bytes. */
  secret: Buffer | string;
  /** How long a link stays valid. */
  ttlHours: number;
}

const payloadSchema = z.strictObject({
  j: z.string().refine(isJobId),
  e: z.number().int().positive(),
});

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Tokens are short; anything far longer is not one of ours and is not worth hashing. */
const MAX_TOKEN_CHARS = 256;

export function createLinkSigner(options: LinkSignerOptions): LinkSigner {
  const key = typeof options.secret === "string" ? Buffer.from(options.secret, "utf8") : options.secret;
  if (key.length < 16) throw new RangeError("link signing secret must be at least 16 bytes");
  if (!(options.ttlHours > 0)) throw new RangeError("link ttlHours must be positive");
  const ttlMs = options.ttlHours * 3_600_000;
  const mac = (payload: string) => createHmac("sha256", key).update(payload).digest();

  return {
    sign(jobId, now = Date.now()) {
      if (!isJobId(jobId)) throw new RangeError(`not a job id: ${jobId}`);
      const payload = Buffer.from(JSON.stringify({ j: jobId, e: Math.ceil((now + ttlMs) / 1000) })).toString(
        "base64url",
      );
      return `${payload}.${mac(payload).toString("base64url")}`;
    },

    verify(token, now = Date.now()) {
      const invalid = { ok: false, reason: "invalid" } as const;
      if (typeof token !== "string" || token.length > MAX_TOKEN_CHARS) return invalid;
      const parts = token.split(".");
      if (parts.length !== 2) return invalid;
      const [payload, signature] = parts as [string, string];
      if (!BASE64URL.test(payload) || !BASE64URL.test(signature)) return invalid;
      const given = Buffer.from(signature, "base64url");
      const expected = mac(payload);
      // The signature is checked before the payload is even parsed: a forged payload teaches nothing.
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return invalid;
      let decoded: unknown;
      try {
        decoded = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
      } catch {
        return invalid;
      }
      const parsed = payloadSchema.safeParse(decoded);
      if (!parsed.success) return invalid;
      if (parsed.data.e * 1000 <= now) return { ok: false, reason: "expired" };
      return { ok: true, jobId: parsed.data.j, expiresAt: parsed.data.e * 1000 };
    },
  };
}

/**
 * The link signing key: `http.linkSecret` when set, else a random 32-byte key created once in
 * `<dataDir>/link-secret` (mode 0600), so links stay valid across restarts without configuration.
 */
export function loadLinkSecret(config: { dataDir: string; http: { linkSecret: string } }): Buffer {
  if (config.http.linkSecret !== "") return Buffer.from(config.http.linkSecret, "utf8");
  const file = path.join(config.dataDir, "link-secret");
  mkdirSync(config.dataDir, { recursive: true });
  try {
    // `wx`: two processes starting at once end up with the same key (the loser reads the winner's).
    writeFileSync(file, randomBytes(32).toString("base64url"), { flag: "wx", mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const key = readFileSync(file, "utf8").trim();
  if (key.length < 16) throw new Error(`${file} holds no usable key: delete it to make a new one`);
  return Buffer.from(key, "utf8");
}

/** The public download URL of a token, or undefined when no public base URL is configured. */
export function downloadUrl(publicBaseUrl: string, token: string): string | undefined {
  if (publicBaseUrl === "") return undefined;
  return `${publicBaseUrl.replace(/\/+$/, "")}/files/${encodeURIComponent(token)}`;
}
