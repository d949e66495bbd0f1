/**
 * Files another role wrote, wherever it runs. Roles share nothing but Redis, so every file a worker
 * writes (a track in its library, a package) is recorded with its **holder**: the base URL at which
 * that worker's HTTP server answers its peers (`http.peerBaseUrl`, derived when empty). A role that
 * needs the file (the bot sending audio, a worker packing a collection or reusing a cached track, the
 * burner) calls `ensureLocal`: a file that is here is used as it is; otherwise it is fetched from the
 * holder's peer route (`GET /files/peer/<signed token>`, peer-files-route.ts) into this machine's
 * library, written atomically, with a size cap and a deadline. On one machine nothing is ever fetched.
 */
import os from "node:os";
import path from "node:path";
import { rm, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { dataPaths } from "../config/data-paths.js";
import type { Config } from "../config/schema.js";
import { createPeerSigner, sharedLinkSecret, type PeerSigner } from "../http/link-signer.js";
import type { Keys } from "../jobs/keys.js";
import { atomicWriteFile, resolveInside } from "./library.js";

/** How long one peer fetch may take (a track or a package over a LAN). */
const FETCH_TIMEOUT_MS = 5 * 60_000;
const MB = 1024 * 1024;
/** How much a file may have grown since its size was recorded (tags rewritten in place: the album gain). */
const tagSlackBytes = MB;

/** A file that is neither here nor to be had from its holder. */
export class PeerFileError extends Error {
  override readonly name = "PeerFileError";
  constructor(
    readonly code: "missing" | "unreachable" | "refused" | "too_large",
    message: string,
  ) {
    super(message);
  }
}

export interface PeerFiles {
  /** This process's holder URL (what it records on the files it writes); undefined without HTTP. */
  readonly self: string | undefined;
  /** Signs and checks the peer route's tokens (the same key on every machine). */
  readonly signer: PeerSigner;
  readonly libraryDir: string;
  readonly packagesDir: string;
  /**
   * The absolute local path of the library file `relPath`: the file here when it is here (with `bytes`,
   * when given, as its size), else fetched from `holder` first. Throws {@link PeerFileError}.
   */
  ensureLocal(
    relPath: string,
    holder: string | undefined,
    options?: { bytes?: number; signal?: AbortSignal },
  ): Promise<string>;
  /**
   * The holder's answer for the package `name` (a `<key>.zip` file name), for passing on to a client;
   * `headers` (Range, If-Range) are sent along. Throws {@link PeerFileError} when the holder cannot be
   * reached.
   */
  fetchPackage(
    name: string,
    holder: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Response>;
}

export interface PeerFilesOptions {
  libraryDir: string;
  packagesDir: string;
  self: string | undefined;
  signer: PeerSigner;
  /** The largest file fetched. */
  maxBytes: number;
  /** @defaultValue five minutes */
  timeoutMs?: number;
  logger?: Logger;
}

/**
 * The holder URL of a process with this configuration: `http.peerBaseUrl`, else `http.publicBaseUrl`,
 * else `http://<host>:<port>` (the machine's name when listening on every address). Undefined when HTTP
 * is off, or when the port is chosen at start (0) and nothing else is configured: then nothing can fetch
 * from this process, and its files are only found on its own machine.
 */
export function selfHolder(config: Pick<Config, "http">): string | undefined {
  const { http } = config;
  if (!http.enabled) return undefined;
  const configured = http.peerBaseUrl || http.publicBaseUrl;
  if (configured !== "") return configured.replace(/\/+$/, "");
  if (http.port === 0) return undefined;
  const host = ["0.0.0.0", "::", "[::]"].includes(http.host) ? os.hostname() : http.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${http.port}`;
}

/** The peer route's URL for a token. */
function peerUrl(holder: string, token: string): string {
  return `${holder.replace(/\/+$/, "")}/files/peer/${encodeURIComponent(token)}`;
}

/** The chunks of `body`, refusing to go past `maxBytes`. */
async function* capped(body: ReadableStream<Uint8Array>, maxBytes: number): AsyncIterable<Uint8Array> {
  let total = 0;
  for await (const chunk of Readable.fromWeb(body)) {
    const bytes = chunk as Uint8Array;
    total += bytes.length;
    if (total > maxBytes) throw new PeerFileError("too_large", `the file is larger than ${maxBytes} bytes`);
    yield bytes;
  }
}

export function createPeerFiles(options: PeerFilesOptions): PeerFiles {
  const timeoutMs = options.timeoutMs ?? FETCH_TIMEOUT_MS;
  const inflight = new Map<string, Promise<string>>();

  async function get(
    holder: string,
    token: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Response> {
    const deadline = AbortSignal.timeout(timeoutMs);
    try {
      // No redirects: a peer answers itself, and a token is never handed on to somewhere else.
      return await fetch(peerUrl(holder, token), {
        headers,
        redirect: "error",
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      });
    } catch (err) {
      throw new PeerFileError("unreachable", `${holder} could not be reached: ${(err as Error).message}`);
    }
  }

  async function fetchInto(
    local: string,
    relPath: string,
    holder: string,
    bytes: number | undefined,
    signal?: AbortSignal,
  ): Promise<string> {
    const token = options.signer.sign({ kind: "library", path: relPath });
    const response = await get(holder, token, {}, signal);
    if (!response.ok || response.body === null) {
      await response.body?.cancel().catch(() => undefined);
      throw new PeerFileError("refused", `${holder} answered ${response.status} for ${relPath}`);
    }
    const length = Number(response.headers.get("content-length") ?? NaN);
    // The recorded size bounds what is taken, with room for tags rewritten in place since it was recorded
    // (the album gain adds a few hundred bytes); the holder's own Content-Length must then be met exactly.
    const max = Math.min(options.maxBytes, bytes !== undefined ? bytes + tagSlackBytes : Infinity);
    if (length > max) {
      await response.body.cancel().catch(() => undefined);
      throw new PeerFileError("too_large", `${relPath} on ${holder} is ${length} bytes, over ${max}`);
    }
    await atomicWriteFile(local, capped(response.body, max));
    const info = await stat(local);
    if (Number.isFinite(length) ? info.size !== length : bytes !== undefined && info.size !== bytes) {
      await rm(local, { force: true }).catch(() => undefined);
      throw new PeerFileError(
        "refused",
        `${relPath} on ${holder} is ${info.size} bytes, not ${Number.isFinite(length) ? length : bytes}`,
      );
    }
    options.logger?.info({ file: relPath, holder, bytes: info.size }, "fetched a file from its holder");
    return local;
  }

  return {
    self: options.self,
    signer: options.signer,
    libraryDir: options.libraryDir,
    packagesDir: options.packagesDir,

    async ensureLocal(relPath, holder, opts = {}) {
      const local = resolveInside(options.libraryDir, relPath);
      const info = await stat(local).catch(() => undefined);
      // A file this machine holds is used as it is: its size may have changed since it was recorded (the
      // album gain rewrites tags in place). A copy of another machine's file must have the recorded size.
      const ours = holder === undefined || holder === options.self;
      if (info?.isFile() && (ours || opts.bytes === undefined || info.size === opts.bytes)) return local;
      if (ours) {
        throw new PeerFileError("missing", `${relPath} is not in the library`);
      }
      // Two needs of the same file at once (two chats, two tracks of a package) fetch it once.
      let running = inflight.get(local);
      if (running === undefined) {
        running = fetchInto(local, path.normalize(relPath), holder, opts.bytes, opts.signal);
        inflight.set(local, running);
        void running.catch(() => undefined).finally(() => inflight.delete(local));
      }
      return running;
    },

    async fetchPackage(name, holder, headers, signal) {
      return get(holder, options.signer.sign({ kind: "package", name }), headers, signal);
    },
  };
}

/**
 * The peer files of a process with this configuration, signing with the key every machine shares
 * (`sharedLinkSecret`: the environment's, or the one in Redis).
 */
export async function openPeerFiles(deps: {
  config: Config;
  redis: Redis;
  keys: Keys;
  logger?: Logger;
}): Promise<PeerFiles> {
  const { config } = deps;
  const { libraryDir, packagesDir } = dataPaths(config);
  const secret = await sharedLinkSecret(config, deps.redis, deps.keys.linkSecret);
  return createPeerFiles({
    libraryDir,
    packagesDir,
    self: selfHolder(config),
    signer: createPeerSigner({ secret }),
    // What is fetched into the library is a track (or a cover): at most the download budget.
    maxBytes: config.download.maxFileMb * MB,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
}

/** Peer files for a process that never fetches (tests, one machine without HTTP): only what is here. */
export function localOnlyFiles(libraryDir: string): Pick<PeerFiles, "ensureLocal" | "self"> {
  return {
    self: undefined,
    async ensureLocal(relPath) {
      // Every file is this machine's: used as it is (its tags may have been rewritten since it was recorded).
      const local = resolveInside(libraryDir, relPath);
      const info = await stat(local).catch(() => undefined);
      if (info?.isFile()) return local;
      throw new PeerFileError("missing", `${relPath} is not in the library`);
    },
  };
}
