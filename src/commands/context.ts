/** What every command needs: parsed config (or a clean exit 2), a logger, the version. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, checkRole, loadConfig, type LoadedConfig } from "../core/config/load.js";
import type { Role } from "../core/config/schema.js";

/** Exit code for a bad configuration or bad command line. */
export const EXIT_USAGE = 2;

/** Thrown by commands to end the process with a message and an exit code, no stack trace. */
export class CommandExit extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}

let cachedVersion: string | undefined;
/** The version from package.json (works from src/ under tsx and from dist/). */
export function version(): string {
  if (cachedVersion) return cachedVersion;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "cd-collector" && pkg.version) return (cachedVersion = pkg.version);
    } catch {
      // keep walking up
    }
    dir = path.dirname(dir);
  }
  return (cachedVersion = "0.0.0");
}

/** Load the configuration; problems become a {@link CommandExit} with one line each. */
export function loadForCommand(configPath: string | undefined, role?: Role | "bot-only"): LoadedConfig {
  try {
    const loaded = loadConfig(configPath === undefined ? {} : { configPath });
    if (role) {
      const problems = checkRole(loaded.config, role);
      if (problems.length > 0) throw new ConfigError(problems);
    }
    return loaded;
  } catch (err) {
    if (err instanceof ConfigError) throw new CommandExit(EXIT_USAGE, err.message);
    throw err;
  }
}
