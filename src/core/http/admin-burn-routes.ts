/**
 * POST /admin/burn and GET /admin/burn/:id: queue a burn of a finished collection and follow it. The
 * answer to POST is the disc plan, shown before anything is written. Bodies are strict (unknown keys
 * are refused) and small.
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { DEVICE_PATTERN, type BurnService } from "../burn/burn-service.js";
import { isUserFacing } from "../errors.js";
import { isJobId } from "../jobs/job-id.js";
import { readJobView, type JobService } from "../jobs/job-service.js";
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

/** HTTP status for the refusals the burn service can give. */
const STATUS_OF: Record<string, number> = {
  job_not_found: 404,
  burn_job_not_ready: 409,
  burn_no_files: 409,
  burn_no_such_disc: 409,
  burn_bad_device: 400,
};

export function adminBurnRoutes(app: FastifyInstance, options: AdminBurnRoutesOptions): void {
  const config = { rateLimit: options.rateLimit };

  app.post("/admin/burn", { bodyLimit: options.bodyLimit, config }, async (request, reply) => {
    const body = burnBodySchema.parse(request.body ?? {});
    if (options.jobs) {
      const view = await readJobView(options.jobs, body.jobId);
      if (!view) throw new HttpError(404, `There is no job ${body.jobId}.`);
      if (view.stage !== "done") {
        throw new HttpError(
          409,
          `Job ${body.jobId} is ${view.stage}: only a finished collection can be burned.`,
        );
      }
    }
    try {
      const { burnId, plan } = await options.burn.enqueue(body);
      request.log.info({ burnId, jobId: body.jobId, simulate: body.simulate ?? false }, "burn queued");
      return reply.code(202).send({ burnId, status: `/admin/burn/${burnId}`, plan });
    } catch (err) {
      const status = isUserFacing(err) ? STATUS_OF[err.code] : undefined;
      if (status !== undefined && isUserFacing(err)) throw new HttpError(status, err.userMessage);
      throw err;
    }
  });

  app.get<{ Params: { id: string } }>("/admin/burn/:id", { config }, async (request) => {
    const status = isJobId(request.params.id) ? await options.burn.status(request.params.id) : undefined;
    if (!status) throw new HttpError(404, "There is no such burn.");
    return status;
  });
}
