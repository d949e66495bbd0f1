/**
 * The burner's tracks, wherever the workers that collected them run: before a disc is rendered, each of
 * its tracks that is not on the burner's machine is fetched from the worker holding it (peer-files.ts)
 * into the burner's library, where the burn processor reads it. On one machine nothing is fetched.
 */
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { createKeys } from "../jobs/keys.js";
import { openPeerFiles, type PeerFiles } from "../media/peer-files.js";
import { burnJobDataSchema, planCollection, readCollectionResult } from "./burn-service.js";

export interface BurnFilesDeps {
  config: Config;
  /** A client connection (the burner's). */
  redis: Redis;
  logger: Logger;
}

/**
 * Fetch the tracks of the disc a burn job asks for into this machine's library. A track that cannot be
 * had is left for the burn processor to report (as a file it cannot read), so every failure of a burn is
 * told in one place.
 */
export async function localizeBurnTracks(
  files: Pick<PeerFiles, "ensureLocal">,
  deps: Pick<BurnFilesDeps, "config" | "redis" | "logger">,
  jobData: unknown,
  signal?: AbortSignal,
): Promise<void> {
  const data = burnJobDataSchema.pick({ jobId: true, disc: true }).safeParse(jobData);
  if (!data.success) return;
  const result = await readCollectionResult(deps.redis, deps.config.redis.prefix, data.data.jobId);
  if (result === undefined) return;
  const disc = planCollection(result, deps.config.burn.capacitySectors).plan.discs[data.data.disc - 1];
  const onDisc = new Set(disc?.tracks.map((e) => e.track.index) ?? []);
  for (const t of result.tracks) {
    if (!onDisc.has(t.index) || t.file === undefined) continue;
    await files
      .ensureLocal(t.file, t.holder, {
        ...(t.bytes !== undefined ? { bytes: t.bytes } : {}),
        ...(signal ? { signal } : {}),
      })
      .catch((err: unknown) =>
        deps.logger.warn({ err, file: t.file, holder: t.holder }, "burn: a track could not be fetched"),
      );
  }
}

type BurnProcessor<R> = (job: Job, token?: string, signal?: AbortSignal) => Promise<R>;

/**
 * `processor`, with the disc's tracks made local first. For the burner's worker:
 * `new Worker(QUEUE_BURN, localizingBurns(processor, { config, redis: client, logger }), …)`.
 */
export function localizingBurns<R>(processor: BurnProcessor<R>, deps: BurnFilesDeps): BurnProcessor<R> {
  let files: Promise<PeerFiles> | undefined;
  return async (job, token, signal) => {
    try {
      files ??= openPeerFiles({
        config: deps.config,
        redis: deps.redis,
        keys: createKeys(deps.config.redis.prefix),
        logger: deps.logger,
      });
      await localizeBurnTracks(await files, deps, job.data, signal);
    } catch (err) {
      files = undefined;
      deps.logger.warn({ err, burnId: job.id }, "burn: the tracks could not be made local");
    }
    return processor(job, token, signal);
  };
}
