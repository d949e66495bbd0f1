/**
 * `cd-collector start --role R`: run the service until SIGINT/SIGTERM, then shut down in order within
 * `shutdownDeadlineSeconds` (running tracks finish or go back to the queue).
 *
 * The signal handlers are installed before anything starts: a SIGTERM during start-up stops what was
 * started (no redis-server or download is left running), and whatever kills this process otherwise, its
 * children die with it (process-runner.ts: the parent-death signal).
 */
import type { Role } from "../core/config/schema.js";
import { createLogger } from "../core/log.js";
import { createShutdown } from "../core/shutdown.js";
import { loadForCommand, version } from "./context.js";
import { startService, StartInterrupted } from "./service.js";

export async function startCommand(options: { config?: string; role: Role }): Promise<number> {
  const { config, file } = loadForCommand(options.config, options.role);
  const logger = createLogger({ level: config.logLevel });
  logger.info({ version: version(), role: options.role, config: file ?? "defaults" }, "starting");
  const shutdown = createShutdown({ deadlineMs: config.shutdownDeadlineSeconds * 1000, logger });
  const finished = new Promise<boolean>((resolve) => {
    shutdown.installSignalHandlers(resolve);
  });
  const starting = startService({ config, role: options.role, logger, version: version(), shutdown });
  shutdown.waitForStartup(starting);
  try {
    await starting;
  } catch (err) {
    if (!(err instanceof StartInterrupted)) throw err;
  }
  return (await finished) ? 0 : 1;
}
