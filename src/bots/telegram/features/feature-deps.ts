/** What the feature composers share (built once by createBot). */
import type { JobService } from "../../../core/jobs/job-service.js";
import type { PersonSettingsStore } from "../../../core/jobs/person-settings.js";
import type { Metrics } from "../../../core/metrics.js";
import type { Catalog } from "../../../core/spotify/catalog.js";
import type { BotConfig } from "../context.js";
import type { ProgressRelay } from "../progress-relay.js";
import type { TokenBucket } from "../token-bucket.js";

export interface FeatureDeps {
  config: BotConfig;
  jobs: JobService;
  catalog: Pick<Catalog, "parse" | "canonicalRef">;
  relay: ProgressRelay;
  downloads: TokenBucket;
  /** Each person's format, quality and delivery (/settings). */
  settings: PersonSettingsStore;
  metrics: Pick<Metrics, "commands" | "rateLimited">;
  version: string;
}
