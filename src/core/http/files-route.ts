/**
 * GET /files/:token: the packaged collection behind a signed, expiring link, with Range support so
 * large downloads can resume. The token names only a job; the file comes from that job's stored
 * result and must lie inside the packages directory, so nothing from the request reaches the file
 * system.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { JobService } from "../jobs/job-service.js";
import { parseRange } from "./byte-range.js";
import type { LinkSigner } from "./link-signer.js";

export interface FilesRouteOptions {
  jobs: JobService;
  signer: LinkSigner;
  /** Packages are served only from inside this directory. */
  packagesDir: string;
  /** @fastify/rate-limit settings for the route. */
  rateLimit: { max: number; timeWindow: string };
}

/** Characters RFC 5987 allows unescaped in `filename*` (attr-char). */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** `attachment; filename="ascii"; filename*=UTF-8''utf8` for a download name. */
export function contentDisposition(name: string): string {
  const clean =
    Array.from(name, (c) => (c < " " || c === "\u007f" || c === "/" || c === "\\" ? "_" : c))
      .join("")
      .trim() || "download";
  const ascii = clean.replace(/[^\x20-\x7e]/g, "_").replace(/["%]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(clean)}`;
}

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
      const view = await options.jobs.peek(verified.jobId);
      const packagePath = view?.result?.packagePath;
      if (packagePath === undefined) return notFound();
      const file = path.resolve(packagePath);
      if (!file.startsWith(root + path.sep)) {
        request.log.warn({ jobId: verified.jobId }, "package outside the packages directory refused");
        return notFound();
      }
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) return notFound();

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
        .header("cache-control", "private, no-cache")
        .header("content-disposition", contentDisposition(`${view?.result?.title || verified.jobId}.zip`));
      if (range.kind === "unsatisfiable") {
        return reply
          .code(416)
          .header("content-range", `bytes */${size}`)
          .send({ error: "range not satisfiable", requestId: request.id });
      }
      const { start, end } = range.kind === "partial" ? range : { start: 0, end: size - 1 };
      if (range.kind === "partial")
        void reply.code(206).header("content-range", `bytes ${start}-${end}/${size}`);
      void reply.header("content-type", "application/zip").header("content-length", String(end - start + 1));
      if (size === 0) return reply.send("");
      return reply.send(createReadStream(file, { start, end }));
    },
  );
}
