/**
 * Signed, expiring tokens, the one place that makes and checks them (HMAC-SHA256). Format:
 * `base64url(payload).base64url(mac)`; the payload is JSON with an expiry `e` (seconds since the epoch).
 *
 * - Download links (`createLinkSigner`): the payload carries only a job id, `{"j":id,"e":secs}`; the file
 *   behind it is looked up from the job's result, so nothing a caller sends becomes a file-system path.
 * - Peer files (`createPeerSigner`): what one role fetches from another's library or packages, named
 *   inside the token (`{"k":"l"|"p","p":path,"e":secs}`), signed with a key derived for that purpose, so
 *   a download link is never a peer token or the other way round.
 *
 * The key is the same on every machine (`sharedLinkSecret`): the environment's, or one made once in Redis.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Redis } from "ioredis";
import { z } from "zod";
import { isJobId } from "../jobs/job-id.js";

/** Why a token was refused: `expired` may be told to the person; everything else is just `invalid`. */
export type LinkRejection = "expired" | "invalid";

export type LinkVerification =
  { ok: true; jobId: string; expiresAt: number } | { ok: false; reason: LinkRejection };

export interface LinkSigner {
  /** A token for `jobId`, valid for the configured time from `now` (ms since epoch). */
  sign(jobId: string, now?: number): string;
  /** When a token signed at `now` stops working (ms since epoch). */
  expiresAt(now?: number): number;
  /** The job id behind a token, or why it is refused. Never throws. */
  verify(token: string, now?: number): LinkVerification;
}

export interface LinkSignerOptions {
  /** Signing key; at least 16 bytes. */
  secret: Buffer | string;
  /** How long a link stays valid. */
  ttlHours: number;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

type Opened<T> = { ok: true; value: T; expiresAt: number } | { ok: false; reason: LinkRejection };

/** Seals payloads into tokens and opens them again; `purpose` derives a key of its own ("" = the key). */
function createSealer(secret: Buffer | string, purpose: string, maxChars: number) {
  const given = typeof secret === "string" ? Buffer.from(secret, "utf8") : secret;
  if (given.length < 16) throw new RangeError("link signing secret must be at least 16 bytes");
  const key = purpose === "" ? given : createHmac("sha256", given).update(`cdc-token:${purpose}`).digest();
  const mac = (payload: string) => createHmac("sha256", key).update(payload).digest();
  return {
    seal(body: Record<string, unknown>, expiresAtMs: number): string {
      const payload = Buffer.from(JSON.stringify({ ...body, e: Math.ceil(expiresAtMs / 1000) })).toString(
        "base64url",
      );
      return `${payload}.${mac(payload).toString("base64url")}`;
    },
    open<T extends { e: number }>(token: unknown, schema: z.ZodType<T>, now: number): Opened<T> {
      const invalid = { ok: false, reason: "invalid" } as const;
      // Tokens are short; anything far longer is not one of ours and is not worth hashing.
      if (typeof token !== "string" || token.length > maxChars) return invalid;
      const parts = token.split(".");
      if (parts.length !== 2) return invalid;
      const [payload, signature] = parts as [string, string];
      if (!BASE64URL.test(payload) || !BASE64URL.test(signature)) return invalid;
      const sent = Buffer.from(signature, "base64url");
      const expected = mac(payload);
      // The signature is checked before the payload is even parsed: a forged payload teaches nothing.
      if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) return invalid;
      let decoded: unknown;
      try {
        decoded = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
      } catch {
        return invalid;
      }
      const parsed = schema.safeParse(decoded);
      if (!parsed.success) return invalid;
      if (parsed.data.e * 1000 <= now) return { ok: false, reason: "expired" };
      return { ok: true, value: parsed.data, expiresAt: parsed.data.e * 1000 };
    },
  };
}

const payloadSchema = z.strictObject({
  j: z.string().refine(isJobId),
  e: z.number().int().positive(),
});

export function createLinkSigner(options: LinkSignerOptions): LinkSigner {
  const sealer = createSealer(options.secret, "", 256);
  if (!(options.ttlHours > 0)) throw new RangeError("link ttlHours must be positive");
  const ttlMs = options.ttlHours * 3_600_000;

  return {
    sign(jobId, now = Date.now()) {
      if (!isJobId(jobId)) throw new RangeError(`not a job id: ${jobId}`);
      return sealer.seal({ j: jobId }, now + ttlMs);
    },

    expiresAt: (now = Date.now()) => now + ttlMs,

    verify(token, now = Date.now()) {
      const opened = sealer.open(token, payloadSchema, now);
      return opened.ok ? { ok: true, jobId: opened.value.j, expiresAt: opened.expiresAt } : opened;
    },
  };
}

/** A file one role may fetch from another: a library-relative path, or a package by its file name. */
export type PeerFileRef = { kind: "library"; path: string } | { kind: "package"; name: string };

export interface PeerSigner {
  sign(ref: PeerFileRef, now?: number): string;
  /** The file named in a token, or why it is refused. Never throws. */
  verify(token: string, now?: number): { ok: true; ref: PeerFileRef } | { ok: false; reason: LinkRejection };
}

/** Longest library path a peer token carries (bytes of UTF-8); names.ts keeps real ones far shorter. */
export const PEER_PATH_MAX_BYTES = 1024;
/** Longest peer token: the path in base64 plus the JSON around it and the signature. */
export const PEER_TOKEN_MAX_CHARS = 1600;

const peerPayloadSchema = z.strictObject({
  k: z.enum(["l", "p"]),
  p: z
    .string()
    .min(1)
    .refine((p) => Buffer.byteLength(p) <= PEER_PATH_MAX_BYTES),
  e: z.number().int().positive(),
});

/** Signs peer-file tokens; a token lives `ttlSeconds` (a fetch starts right after it is signed). */
export function createPeerSigner(options: { secret: Buffer | string; ttlSeconds?: number }): PeerSigner {
  const sealer = createSealer(options.secret, "peer-files", PEER_TOKEN_MAX_CHARS);
  const ttlMs = (options.ttlSeconds ?? 300) * 1000;
  return {
    sign(ref, now = Date.now()) {
      const p = ref.kind === "library" ? ref.path : ref.name;
      if (p === "" || Buffer.byteLength(p) > PEER_PATH_MAX_BYTES) throw new RangeError("peer path too long");
      return sealer.seal({ k: ref.kind === "library" ? "l" : "p", p }, now + ttlMs);
    },
    verify(token, now = Date.now()) {
      const opened = sealer.open(token, peerPayloadSchema, now);
      if (!opened.ok) return opened;
      const { k, p } = opened.value;
      return { ok: true, ref: k === "l" ? { kind: "library", path: p } : { kind: "package", name: p } };
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

/**
 * The signing key every role on every machine shares: `http.linkSecret` when set (the environment's
 * `LINK_SIGNING_SECRET`, which must then be the same everywhere), else one random key kept in Redis under
 * `key` (`keys.linkSecret`), made by whichever process asks first (SET NX). A key this machine kept in
 * `<dataDir>/link-secret` before (links already handed out) is the one offered, so those links stay valid.
 */
export async function sharedLinkSecret(
  config: { dataDir: string; http: { linkSecret: string } },
  redis: Redis,
  key: string,
): Promise<Buffer> {
  if (config.http.linkSecret !== "") return Buffer.from(config.http.linkSecret, "utf8");
  const kept = (() => {
    try {
      return readFileSync(path.join(config.dataDir, "link-secret"), "utf8").trim();
    } catch {
      return "";
    }
  })();
  const offered = kept.length >= 16 ? kept : randomBytes(32).toString("base64url");
  await redis.set(key, offered, "NX");
  const agreed = await redis.get(key);
  if (agreed === null || agreed.length < 16) throw new Error(`Redis key ${key} holds no usable signing key`);
  return Buffer.from(agreed, "utf8");
}

/** The public download URL of a token, or undefined when no public base URL is configured. */
export function downloadUrl(publicBaseUrl: string, token: string): string | undefined {
  if (publicBaseUrl === "") return undefined;
  return `${publicBaseUrl.replace(/\/+$/, "")}/files/${encodeURIComponent(token)}`;
}
