/**
 * `cd-collector start --role R`: run the service until SIGINT/SIGTERM, then shut down in order within
 * `shutdownDeadlineSeconds` (running tracks finish or go back to the queue).
 */
import type { Role } from "../core/config/schema.js";
import { createLogger } from "../core/log.js";
import { loadForCommand, version } from "./context.js";
import { startService } from "./service.js";

export async function startCommand(options: { config?: string; role: Role }): Promise<number> {
  const { config, file } = loadForCommand(options.config, options.role);
  const logger = createLogger({ level: config.logLevel });
  logger.info({ version: version(), role: options.role, config: file ?? "defaults" }, "starting");
  const service = await startService({ config, role: options.role, logger, version: version() });
  const clean = await new Promise<boolean>((resolve) => {
    service.shutdown.installSignalHandlers(resolve);
  });
  return clean ? 0 : 1;
}
