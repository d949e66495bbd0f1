/**
 * POST /admin/burn and GET /admin/burn/:id: queue a burn of a finished collection and follow it. The
 * answer to POST is the disc plan, shown before anything is written. Bodies are strict (unknown keys
 * are refused) and small.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { DEVICE_PATTERN, type BurnService } from "../burn/burn-service.js";
import { isJobId } from "../jobs/job-id.js";
import type { JobService } from "../jobs/job-service.js";
import { HttpError } from "./errors.js";

export const burnBodySchema = z.strictObject({
  jobId: z.string().refine(isJobId, "must be a job id (7 letters and digits, e.g. ab3def7)"),
  device: z.string().regex(DEVICE_PATTERN, "must be a device path like /dev/sr0").optional(),
  simulate: z.boolean().optional(),
  disc: z.number().int().min(1).max(99).optional(),
});

export interface AdminBurnRoutesOptions {
  burn: BurnService;
  jobs?: JobService;
  /** Largest accepted body. */
  bodyLimit: number;
  rateLimit: { max: number; timeWindow: string };
}

export function adminBurnRoutes(app: FastifyInstance, options: AdminBurnRoutesOptions): void {
  const config = { rateLimit: options.rateLimit };

  app.post("/admin/burn", { bodyLimit: options.bodyLimit, config }, async (request, reply) => {
    const body = burnBodySchema.parse(request.body ?? {});
    if (options.jobs) {
      const view = await options.jobs.peek(body.jobId);
      if (!view) throw new HttpError(404, `There is no job ${body.jobId}.`);
      if (view.stage !== "done") {
        throw new HttpError(
          409,
          `Job ${body.jobId} is ${view.stage}: only a finished collection can be burned.`,
        );
      }
    }
    // A refusal (no such disc, a bad device) answers with its own status (the app's error handler).
    const { burnId, plan } = await options.burn.enqueue(body);
    request.log.info({ burnId, jobId: body.jobId, simulate: body.simulate ?? false }, "burn queued");
    return reply.code(202).send({ burnId, status: `/admin/burn/${burnId}`, plan });
  });

  app.get<{ Params: { id: string } }>("/admin/burn/:id", { config }, async (request) => {
    const status = isJobId(request.params.id) ? await options.burn.status(request.params.id) : undefined;
    if (!status) throw new HttpError(404, "There is no such burn.");
    return status;
  });
}
