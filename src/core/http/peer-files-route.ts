/**
 * GET /files/peer/:token: a file this machine holds, for another role on another machine
 * (peer-files.ts): a library file by its library-relative path, or a package by its file name, both
 * named inside the signed, expiring token. Nothing else a caller sends reaches the file system, and the
 * path is still confined to the library (or the packages directory).
 */
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { PathTemplateError, resolveInside } from "../media/library.js";
import { PACKAGE_NAME, sendLocalFile } from "./files-route.js";
import type { PeerSigner } from "./link-signer.js";

export interface PeerFilesRouteOptions {
  signer: PeerSigner;
  libraryDir: string;
  packagesDir: string;
  rateLimit: { max: number; timeWindow: string };
}

export function peerFilesRoute(app: FastifyInstance, options: PeerFilesRouteOptions): void {
  app.get<{ Params: { token: string } }>(
    "/files/peer/:token",
    { config: { rateLimit: options.rateLimit } },
    async (request, reply) => {
      const verified = options.signer.verify(request.params.token);
      if (!verified.ok) {
        return reply.code(verified.reason === "expired" ? 410 : 403).send({
          error: verified.reason === "expired" ? "token expired" : "invalid token",
          requestId: request.id,
        });
      }
      const notFound = () => reply.code(404).send({ error: "file not found", requestId: request.id });
      const { ref } = verified;
      let file: string;
      try {
        file =
          ref.kind === "library"
            ? resolveInside(options.libraryDir, ref.path)
            : PACKAGE_NAME.test(ref.name)
              ? resolveInside(options.packagesDir, ref.name)
              : "";
      } catch (err) {
        if (!(err instanceof PathTemplateError)) throw err;
        file = "";
      }
      if (file === "" || file === path.resolve(options.libraryDir)) {
        request.log.warn("peer token naming a path outside the library refused");
        return notFound();
      }
      const sent = await sendLocalFile(request, reply, file, {
        contentType: ref.kind === "package" ? "application/zip" : "application/octet-stream",
      });
      return sent ? reply : notFound();
    },
  );
}
