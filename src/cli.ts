#!/usr/bin/env node
/**
 * `cd-collector`: start, download, resolve, match, demo, doctor.
 * Usage errors and bad configuration print readable lines and exit 2, never a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { roles, type Role } from "./core/config/schema.js";
import { scrubSecrets } from "./core/log.js";
import { isUserFacing } from "./core/errors.js";
import { CommandExit, EXIT_USAGE, version } from "./commands/context.js";

const usage = `Usage: cd-collector <command> [options]

Commands:
  start [--role bot|worker|burner|all]   run the service (default role: all)
  download <spotify link> [--format F]   collect a link in this process, with progress
  resolve <spotify link> [--json]        show what a link would download
  match                                  score JSON lines from stdin: {track, candidates} or recorded cases
  demo                                   the whole service against local emulators, offline
  doctor [--role R]                      check configuration, Redis and programs

Options:
  --config PATH    TOML configuration (default: config/bot.toml when present)
  --version        print the version
  --help           this text
`;

type Handler = (
  positionals: string[],
  values: Record<string, string | boolean | undefined>,
) => Promise<number>;

function roleOf(value: unknown): Role {
  const role = (value ?? "all") as Role;
  if (!roles.includes(role))
    throw new CommandExit(EXIT_USAGE, `--role must be one of ${roles.join(", ")}; got ${String(value)}`);
  return role;
}

function configOf(values: Record<string, string | boolean | undefined>): string | undefined {
  return typeof values.config === "string" ? values.config : undefined;
}

const commands: Record<string, { options: ParseArgsConfig["options"]; run: Handler }> = {
  start: {
    options: { role: { type: "string" } },
    run: async (_p, values) => {
      const { startCommand } = await import("./commands/start.js");
      return startCommand({ config: configOf(values), role: roleOf(values.role) });
    },
  },
  demo: {
    options: { dir: { type: "string" }, quick: { type: "boolean", default: false } },
    run: async (_p, values) => {
      const { demoCommand } = await import("./commands/demo.js");
      return demoCommand({
        dir: typeof values.dir === "string" ? values.dir : undefined,
        quick: values.quick === true,
      });
    },
  },
  resolve: {
    options: { json: { type: "boolean", default: false } },
    run: async (positionals, values) => {
      const { resolveCommand } = await import("./commands/resolve.js");
      return resolveCommand({
        config: configOf(values),
        link: positionals.join(" ") || undefined,
        json: values.json === true,
      });
    },
  },
  match: {
    options: { verbose: { type: "boolean", default: false } },
    run: async (_p, values) => {
      const { matchCommand } = await import("./commands/match.js");
      return matchCommand({ config: configOf(values), verbose: values.verbose === true });
    },
  },
  download: {
    options: { format: { type: "string" } },
    run: async (positionals, values) => {
      const { downloadCommand } = await import("./commands/download.js");
      return downloadCommand({
        config: configOf(values),
        link: positionals.join(" ") || undefined,
        format: typeof values.format === "string" ? values.format : undefined,
      });
    },
  },
  doctor: {
    options: { role: { type: "string" } },
    run: async (_p, values) => {
      const { doctorCommand } = await import("./commands/doctor.js");
      return doctorCommand({ config: configOf(values), role: roleOf(values.role) });
    },
  },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage);
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`cd-collector ${version()}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) throw new CommandExit(EXIT_USAGE, `unknown command "${name}"\n\n${usage}`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { ...command.options, config: { type: "string" }, help: { type: "boolean" } },
    });
  } catch (err) {
    throw new CommandExit(EXIT_USAGE, `${(err as Error).message}\n\n${usage}`);
  }
  if (parsed.values.help) {
    process.stdout.write(usage);
    return 0;
  }
  return command.run(parsed.positionals, parsed.values);
}

/** Once a command has finished, a handle something forgot to close must not keep the process alive. */
function exitSoon(): void {
  setTimeout(() => process.exit(), 3000).unref();
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    exitSoon();
  },
  (err: unknown) => {
    if (err instanceof CommandExit) {
      process.stderr.write(`${scrubSecrets(err.message)}\n`);
      process.exitCode = err.exitCode;
    } else if (isUserFacing(err)) {
      process.stderr.write(`${err.userMessage}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(
        `cd-collector: ${scrubSecrets(err instanceof Error ? err.message : String(err))}\n`,
      );
      process.exitCode = 1;
    }
    exitSoon();
  },
);
