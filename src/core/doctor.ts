/**
 * `cd-collector doctor`: checks configuration, Redis, the data directory and every program this role
 * needs, and prints a table with a fix for each failure.
 */
import { accessSync, constants, mkdirSync } from "node:fs";
import type { Config, Role } from "./config/schema.js";
import { createRedis, waitUntilReady } from "./redis.js";
import { ProgramNotFoundError, runProcess } from "./process-runner.js";
import { describeError } from "./errors.js";
import type { DetectOptions } from "./burn/drive-detect.js";
import { checkCdWriter, checkSpotify } from "./doctor-roles.js";
import { checkBotCheckHelp, checkJsRuntime } from "./doctor-youtube.js";
import { checkPackages } from "./jobs/package-store.js";

export type CheckStatus = "ok" | "warn" | "fail";

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

interface ProgramSpec {
  name: string;
  binary: string;
  args: string[];
  versionPattern: RegExp;
  install: string;
  required: boolean;
}

const YT_DLP_MAX_AGE_DAYS = 60;

/** Age in days of a yt-dlp version string (`2025.11.12` or `2025.11.12.1`), or undefined. */
export function ytDlpAgeDays(version: string, now: Date = new Date()): number | undefined {
  const match = /^(\d{4})\.(\d{2})\.(\d{2})/.exec(version.trim());
  if (!match) return undefined;
  const released = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Math.floor((now.getTime() - released) / 86_400_000);
}

async function checkProgram(spec: ProgramSpec, env: NodeJS.ProcessEnv, now: Date): Promise<CheckResult> {
  try {
    const result = await runProcess(spec.binary, spec.args, { env, timeoutMs: 10_000, okExitCodes: [0, 1] });
    const text = `${result.stdout}\n${result.stderr}`;
    const version = spec.versionPattern.exec(text)?.[1] ?? "unknown version";
    if (spec.name === "yt-dlp") {
      const age = ytDlpAgeDays(version, now);
      if (age !== undefined && age > YT_DLP_MAX_AGE_DAYS) {
        return {
          name: spec.name,
          status: "warn",
          detail: `${version} is ${age} days old; YouTube breaks old versions`,
          fix: "install a current release: python3 -m pip install -U 'yt-dlp[default]' (or the standalone yt-dlp binary)",
        };
      }
    }
    return { name: spec.name, status: "ok", detail: version };
  } catch (err) {
    const missing = err instanceof ProgramNotFoundError;
    return {
      name: spec.name,
      status: spec.required ? "fail" : "warn",
      detail: missing ? `${spec.binary} not found` : `${spec.binary} does not run: ${describeError(err)}`,
      fix: spec.install,
    };
  }
}

export interface DoctorOptions {
  config: Config;
  role: Role;
  /** Where the configuration came from, for the first line. */
  configSource: string;
  env?: NodeJS.ProcessEnv;
  now?: Date;
  /** Where the kernel's CD-ROM table is read (tests point it at a fixture). */
  cdrom?: DetectOptions;
}

/** Run every check for `role`. */
export async function runDoctor(options: DoctorOptions): Promise<CheckResult[]> {
  const { config, role } = options;
  const env = options.env ?? process.env;
  const now = options.now ?? new Date();
  const results: CheckResult[] = [{ name: "configuration", status: "ok", detail: options.configSource }];

  try {
    mkdirSync(config.dataDir, { recursive: true });
    accessSync(config.dataDir, constants.W_OK);
    results.push({ name: "data directory", status: "ok", detail: `${config.dataDir} is writable` });
  } catch (err) {
    results.push({
      name: "data directory",
      status: "fail",
      detail: `${config.dataDir}: ${describeError(err)}`,
      fix: `create it and give this user write access, or set DATA_DIR (e.g. DATA_DIR=$HOME/.local/share/cd-collector)`,
    });
  }

  results.push(await checkPackages(config));

  const downloads = role === "worker" || role === "all";
  const programs: ProgramSpec[] = [
    {
      name: "ffmpeg",
      binary: config.download.ffmpegPath,
      args: ["-version"],
      versionPattern: /ffmpeg version (\S+)/,
      install: "apt-get install -y ffmpeg",
      required: downloads || role === "burner",
    },
    {
      name: "ffprobe",
      binary: config.download.ffprobePath,
      args: ["-version"],
      versionPattern: /ffprobe version (\S+)/,
      install: "apt-get install -y ffmpeg",
      required: downloads,
    },
    {
      name: "yt-dlp",
      binary: config.download.ytDlpPath,
      args: ["--version"],
      versionPattern: /^(\S+)/,
      install: "apt-get install -y yt-dlp, or a current release: python3 -m pip install -U 'yt-dlp[default]'",
      required: downloads,
    },
    {
      name: "cdrdao",
      binary: config.burn.cdrdaoPath,
      args: [],
      versionPattern: /Cdrdao version (\S+)/,
      install: "apt-get install -y cdrdao",
      required: role === "burner",
    },
  ];
  if (config.redis.url === "") {
    programs.unshift({
      name: "redis-server",
      binary: config.redis.binary,
      args: ["--version"],
      versionPattern: /v=(\S+)/,
      install: "apt-get install -y redis-server, or set REDIS_URL to an existing Redis",
      required: true,
    });
  }
  results.push(...(await Promise.all(programs.map((p) => checkProgram(p, env, now)))));
  if (downloads) {
    const ytDlp = results.find((r) => r.name === "yt-dlp");
    const version = /^(\d{4}\.\d{2}\.\d{2}(?:\.\d+)?)/u.exec(ytDlp?.detail ?? "")?.[1];
    results.push(
      ...(await Promise.all([
        checkJsRuntime(config, version, env),
        checkBotCheckHelp(config, env),
        checkSpotify(config),
      ])),
    );
  }
  if (role === "burner" || role === "all")
    results.push(await checkCdWriter(config, role, options.cdrom ?? {}));

  if (config.redis.url !== "") {
    const client = createRedis({ url: config.redis.url }, "producer");
    client.on("error", () => undefined);
    try {
      // Connect first: a producer connection refuses commands until it is ready.
      await waitUntilReady(client, 5000);
      const pong = await client.ping();
      const info = await client.info("server");
      const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "?";
      const policy = await client.config("GET", "maxmemory-policy");
      const noeviction = policy[1] === "noeviction" || policy.length === 0;
      results.push(
        noeviction
          ? { name: "redis", status: "ok", detail: `${pong}, version ${version}` }
          : {
              name: "redis",
              status: "warn",
              detail: `maxmemory-policy is ${policy[1]}; queues can be evicted`,
              fix: "set maxmemory-policy noeviction in redis.conf",
            },
      );
    } catch (err) {
      results.push({
        name: "redis",
        status: "fail",
        detail: `REDIS_URL does not answer: ${describeError(err)}`,
        fix: "start Redis, or unset REDIS_URL to use the embedded redis-server",
      });
    } finally {
      client.disconnect();
    }
  } else {
    results.push({ name: "redis", status: "ok", detail: `embedded redis-server under ${config.dataDir}` });
  }

  if (role === "bot" || role === "all") {
    const ids = config.telegram.allowedUserIds.length + config.telegram.adminUserIds.length;
    results.push(
      config.telegram.token === ""
        ? {
            name: "telegram token",
            status: "fail",
            detail: "TELEGRAM_BOT_TOKEN is not set",
            fix: "set TELEGRAM_BOT_TOKEN (from @BotFather)",
          }
        : ids === 0
          ? {
              name: "telegram token",
              status: "warn",
              detail: "set, but nobody is allowed to use the bot",
              fix: "set TELEGRAM_ALLOWED_USER_IDS (send /whoami to the bot to learn an id)",
            }
          : { name: "telegram token", status: "ok", detail: `set; ${ids} person(s) allowed` },
    );
  }
  return results;
}

/** The table printed by `cd-collector doctor`. */
export function formatDoctor(results: CheckResult[]): string {
  const mark: Record<CheckStatus, string> = { ok: "ok", warn: "WARN", fail: "FAIL" };
  const nameWidth = Math.max(...results.map((r) => r.name.length), 5);
  const lines = results.map((r) => {
    const line = `${mark[r.status].padEnd(4)}  ${r.name.padEnd(nameWidth)}  ${r.detail}`;
    return r.fix ? `${line}\n${" ".repeat(nameWidth + 8)}fix: ${r.fix}` : line;
  });
  const failed = results.filter((r) => r.status === "fail").length;
  const warned = results.filter((r) => r.status === "warn").length;
  lines.push(
    "",
    failed > 0
      ? `${failed} problem(s) must be fixed.`
      : warned > 0
        ? `Ready, with ${warned} warning(s).`
        : "Ready.",
  );
  return lines.join("\n");
}
