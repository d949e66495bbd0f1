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

interface Command {
  options: ParseArgsConfig["options"];
  /** `cd-collector <command> --help`: what it does and its own options. */
  help: string;
  run: Handler;
}

const commonOptions = `  --config PATH    TOML configuration (default: config/bot.toml when present)
  --help           this text`;

const commands: Record<string, Command> = {
  start: {
    options: { role: { type: "string" } },
    help: `Usage: cd-collector start [--role bot|worker|burner|all] [--config PATH]

Runs the service: the Telegram bot, the download workers, the CD burner and the HTTP API (role all), or
one of them (a role per machine, sharing one Redis).

  --role ROLE      bot, worker, burner or all (default: all)
${commonOptions}
`,
    run: async (_p, values) => {
      const { startCommand } = await import("./commands/start.js");
      return startCommand({ config: configOf(values), role: roleOf(values.role) });
    },
  },
  demo: {
    options: {
      dir: { type: "string" },
      quick: { type: "boolean", default: false },
      serve: { type: "boolean", default: false },
    },
    help: `Usage: cd-collector demo [--dir DIR] [--quick | --serve]

The whole service offline: stand-ins for Telegram, Spotify and YouTube, a private Redis, real yt-dlp and
ffmpeg, and a scripted conversation printed as a chat transcript.

  --dir DIR        where the demo keeps its files (default: ./demo-output)
  --quick          skip the long album, the /status and the cancel
  --serve          no script: leave the stand-ins, a Redis and the service running until Ctrl-C, and
                   print the config and environment files that let resolve, download and doctor use them
  --help           this text
`,
    run: async (_p, values) => {
      const { demoCommand } = await import("./commands/demo.js");
      return demoCommand({
        dir: typeof values.dir === "string" ? values.dir : undefined,
        quick: values.quick === true,
        serve: values.serve === true,
      });
    },
  },
  resolve: {
    options: { json: { type: "boolean", default: false } },
    help: `Usage: cd-collector resolve <spotify link> [--json] [--config PATH]

Shows what a link would download: the track list, its length and where it was read from.

  --json           print the collection as JSON
${commonOptions}
`,
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
    help: `Usage: cd-collector match [--verbose] [--config PATH] < lines.jsonl

Scores YouTube candidates for Spotify tracks, one JSON line in, one out: {track, candidates} lines, or
recorded cases {spotifyTrack, searches} replayed through the search plan and YouTube Music's parser, e.g.
  zcat tests/fixtures/recorded/youtube-music-matching.jsonl.gz | cd-collector match

  --verbose        also print the three best candidates with their scores
${commonOptions}
`,
    run: async (_p, values) => {
      const { matchCommand } = await import("./commands/match.js");
      return matchCommand({ config: configOf(values), verbose: values.verbose === true });
    },
  },
  download: {
    options: { format: { type: "string" } },
    help: `Usage: cd-collector download <spotify link> [--format mp3|m4a|opus|flac] [--config PATH]

Collects a link in this process (its own workers, the configured or embedded Redis), with progress, and
prints the summary. Exits 1 when no track could be collected.

  --format F       mp3, m4a, opus or flac (default: download.format)
${commonOptions}
`,
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
    help: `Usage: cd-collector doctor [--role bot|worker|burner|all] [--config PATH]

Checks the configuration, the data directory, Redis and every program the role needs, with a fix for each
problem. Exits 1 when something must be fixed.

  --role ROLE      the role to check for (default: all)
${commonOptions}
`,
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
    // Node's own message ("Unknown option '--bitrate'. To specify a positional argument starting with a
    // '-', place it at the end of the command after '--', as in '-- \"--bitrate\"") becomes one line.
    const option = /option '([^']+)'/u.exec((err as Error).message)?.[1];
    const known = Object.keys({ ...command.options, config: 0, help: 0 }).map((o) => `--${o}`);
    throw new CommandExit(
      EXIT_USAGE,
      option !== undefined
        ? `cd-collector ${name}: unknown option ${option}; its options are ${known.join(", ")} (cd-collector ${name} --help)`
        : `cd-collector ${name}: ${(err as Error).message.split(".")[0] ?? ""} (cd-collector ${name} --help)`,
    );
  }
  if (parsed.values.help) {
    process.stdout.write(command.help);
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
