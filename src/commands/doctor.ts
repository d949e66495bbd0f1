import { formatDoctor, runDoctor } from "../core/doctor.js";
import type { Role } from "../core/config/schema.js";
import { loadForCommand } from "./context.js";

/** `cd-collector doctor [--role R]`: exit 1 when something required is missing. */
export async function doctorCommand(options: { config?: string; role: Role }): Promise<number> {
  const loaded = loadForCommand(options.config);
  const results = await runDoctor({
    config: loaded.config,
    role: options.role,
    configSource: loaded.file ? `read ${loaded.file}` : "defaults (no config file)",
  });
  process.stdout.write(`${formatDoctor(results)}\n`);
  return results.some((r) => r.status === "fail") ? 1 : 0;
}
