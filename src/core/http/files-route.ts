/**
 * GET /files/:token: the packaged collection behind a signed, expiring link, with Range support so
 * large downloads can resume. The token names only a job; the package's file name comes from that job's
 * stored result and is looked up inside this machine's packages directory, so nothing from the request
 * reaches the file system. A package written by a worker on another machine (the result names its
 * holder) is passed through from that worker's peer route, Range and all: the link always points here.
 */
import { open } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { JobService } from "../jobs/job-service.js";
import type { PeerFiles } from "../media/peer-files.js";
import { safeName } from "../media/names.js";
import { parseRange } from "./byte-range.js";
import type { LinkSigner } from "./link-signer.js";

/** A package's file name: its content key and `.zip` (package-store.ts). */
export const PACKAGE_NAME = /^[A-Za-z0-9_-]{1,100}\.zip$/;

export interface FilesRouteOptions {
  jobs: JobService;
  signer: LinkSigner;
  /** Packages are served only from inside this directory. */
  packagesDir: string;
  /** @fastify/rate-limit settings for the route. */
  rateLimit: { max: number; timeWindow: string };
  /** Reaches packages other machines hold; without it only this machine's packages are served. */
  peers?: Pick<PeerFiles, "self" | "fetchPackage">;
}

/** Characters RFC 5987 allows unescaped in `filename*` (attr-char). */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * `attachment; filename="ascii"; filename*=UTF-8''utf8` for downloading `<title>.zip`: the file name is
 * made like every other name (names.ts), so any title (a lone surrogate, a NUL, 300 characters) gives one.
 */
export function contentDisposition(title: string): string {
  const name = safeName(title || "download", { ext: "zip" });
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["%\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(name)}`;
}

/**
 * Answer with the local file `file` (Range, If-Range, ETag); false (nothing sent) when it cannot be
 * opened. The file is opened first: a package sweep deleting it mid-download cannot cut it short.
 */
export async function sendLocalFile(
  request: FastifyRequest,
  reply: FastifyReply,
  file: string,
  headers: { contentType: string; disposition?: string },
): Promise<boolean> {
  const handle = await open(file, "r").catch(() => undefined);
  const info = await handle?.stat().catch(() => undefined);
  if (!handle || !info?.isFile()) {
    await handle?.close();
    return false;
  }
  const size = info.size;
  const etag = `"${size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const ifRange = request.headers["if-range"];
  // If-Range with another validator: the file changed, so the client must take all of it.
  const rangeHeader = ifRange === undefined || ifRange === etag ? request.headers.range : undefined;
  const range = parseRange(rangeHeader, size);
  void reply
    .header("accept-ranges", "bytes")
    .header("etag", etag)
    .header("last-modified", info.mtime.toUTCString())
    .header("cache-control", "private, no-cache");
  if (headers.disposition !== undefined) void reply.header("content-disposition", headers.disposition);
  if (range.kind === "unsatisfiable") {
    await handle.close();
    void reply
      .code(416)
      .header("content-range", `bytes */${size}`)
      .send({ error: "range not satisfiable", requestId: request.id });
    return true;
  }
  const { start, end } = range.kind === "partial" ? range : { start: 0, end: size - 1 };
  if (range.kind === "partial") void reply.code(206).header("content-range", `bytes ${start}-${end}/${size}`);
  void reply.header("content-type", headers.contentType).header("content-length", String(end - start + 1));
  if (size === 0) {
    await handle.close();
    void reply.send("");
    return true;
  }
  void reply.send(handle.createReadStream({ start, end }));
  return true;
}

/** Headers of a holder's answer passed on to the client (the rest is ours: type, disposition, cache). */
const PASSED_ON = ["accept-ranges", "etag", "last-modified", "content-range", "content-length"];

export function filesRoute(app: FastifyInstance, options: FilesRouteOptions): void {
  const root = path.resolve(options.packagesDir);
  app.get<{ Params: { token: string } }>(
    "/files/:token",
    { config: { rateLimit: options.rateLimit } },
    async (request, reply) => {
      const verified = options.signer.verify(request.params.token);
      if (!verified.ok) {
        return verified.reason === "expired"
          ? reply.code(410).send({ error: "link expired", requestId: request.id })
          : reply.code(403).send({ error: "invalid link", requestId: request.id });
      }
      const notFound = () => reply.code(404).send({ error: "file not found", requestId: request.id });
      // Its package was deleted: its links expired, or the disk budget needed the room.
      const gone = () => reply.code(410).send({ error: "link expired", requestId: request.id });
      const view = await options.jobs.peek(verified.jobId);
      const packagePath = view?.result?.packagePath;
      if (packagePath === undefined) return notFound();
      // The record names the file as its worker wrote it; here only its name counts.
      const name = path.basename(packagePath);
      if (!PACKAGE_NAME.test(name)) {
        request.log.warn({ jobId: verified.jobId }, "package with an unexpected name refused");
        return notFound();
      }
      const disposition = contentDisposition(view?.result?.title || verified.jobId);
      const sent = await sendLocalFile(request, reply, path.join(root, name), {
        contentType: "application/zip",
        disposition,
      });
      if (sent) return reply;
      const holder = view?.result?.packageHolder;
      const peers = options.peers;
      if (holder === undefined || peers === undefined || holder === peers.self) return gone();

      const headers: Record<string, string> = {};
      for (const h of ["range", "if-range"] as const) {
        const value = request.headers[h];
        if (typeof value === "string") headers[h] = value;
      }
      const cut = new AbortController();
      request.raw.once("close", () => cut.abort());
      const upstream = await peers.fetchPackage(name, holder, headers, cut.signal).catch((err: unknown) => {
        request.log.warn({ err, jobId: verified.jobId }, "the package's holder cannot be reached");
        return undefined;
      });
      if (upstream === undefined) {
        return reply
          .code(503)
          .send({ error: "the download is unavailable for now; try again later", requestId: request.id });
      }
      if (![200, 206, 416].includes(upstream.status) || upstream.body === null) {
        await upstream.body?.cancel().catch(() => undefined);
        return upstream.status === 404
          ? gone()
          : reply.code(502).send({ error: "bad gateway", requestId: request.id });
      }
      void reply
        .code(upstream.status)
        .header("cache-control", "private, no-cache")
        .header("content-disposition", disposition);
      for (const h of PASSED_ON) {
        const value = upstream.headers.get(h);
        if (value !== null) void reply.header(h, value);
      }
      if (upstream.status === 416) {
        await upstream.body.cancel().catch(() => undefined);
        return reply.send({ error: "range not satisfiable", requestId: request.id });
      }
      void reply.header("content-type", "application/zip");
      return reply.send(
        Readable.fromWeb(upstream.body as import("node:stream/web").ReadableStream<Uint8Array>),
      );
    },
  );
}
