/**
 * One error handler for the whole app. Why one: every route then answers errors the same way, 5xx
 * details never reach a caller (they go to the log with the request id), and a zod failure on a body
 * becomes a 400 that says which field is wrong.
 */
import type { FastifyError, FastifyInstance } from "fastify";
import { ZodError } from "zod";
import { UserFacingError } from "../errors.js";

/** An error with the HTTP status it should answer with; its message is shown to the caller. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** `jobId: must be a job id; device: ...` */
export function describeZodError(err: ZodError): string {
  return err.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "body"}: ${issue.message}`)
    .join("; ");
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ZodError | HttpError | UserFacingError, request, reply) => {
    if (err instanceof UserFacingError) {
      // A refusal from the core (unknown job, burn not possible): its own sentence and status.
      const status = err.httpStatus;
      if (status >= 500) request.log.error({ err }, "request failed");
      return reply.code(status).send({ error: err.userMessage, code: err.code, requestId: request.id });
    }
    if (err instanceof ZodError) {
      return reply
        .code(400)
        .send({ error: "invalid request", message: describeZodError(err), requestId: request.id });
    }
    const status = typeof err.statusCode === "number" ? err.statusCode : 500;
    if (status >= 400 && status < 500) {
      // Fastify's own 4xx (bad JSON, body too large, wrong content type) and ours say what is wrong.
      return reply.code(status).send({ error: err.message, requestId: request.id });
    }
    request.log.error({ err }, "request failed");
    return reply.code(500).send({ error: "internal error", requestId: request.id });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: "not found", requestId: request.id }),
  );
}
