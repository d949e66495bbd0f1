/**
 * Loading the configuration: defaults < TOML file < `.env` file < process environment.
 * Every problem becomes one readable line (key path, where it came from, what was given, what is
 * expected, an example); secrets are never echoed.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseEnv } from "node:util";
import toml from "toml";
import type { z } from "zod";
import { configSchema, docAt, listOptions, type Config, type Role } from "./schema.js";

/** One problem with the configuration. */
export interface ConfigProblem {
  /** Dotted key path, e.g. `telegram.allowedUserIds`. */
  path: string;
  /** `file config/bot.toml`, `env TELEGRAM_BOT_TOKEN`, or `default`. */
  source: string;
  /** What was given, already made safe to print (secrets hidden). */
  given: string;
  expected: string;
  example: string;
}

/** The configuration is unusable; `problems` has one entry per issue. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `config: ${p.path} (from ${p.source}): got ${p.given}; expected ${p.expected}; example: ${p.example}`;
}

export interface LoadOptions {
  /** Path of the TOML file; when absent, `config/bot.toml` is used if it exists. */
  configPath?: string;
  /** Environment to read overrides from. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** Read `.env` from this directory. @defaultValue process.cwd(); `false` skips it. */
  dotenvDir?: string | false;
  /** Working directory used to find the default config file. @defaultValue process.cwd() */
  cwd?: string;
}

export interface LoadedConfig {
  config: Config;
  /** The file that was read, if any. */
  file?: string;
  /** Dotted paths set from the environment, with the variable name. */
  fromEnv: Record<string, string>;
}

const secretPaths = new Set(
  listOptions()
    .filter(([, d]) => d.secret)
    .map(([p]) => p),
);
const envOptions = listOptions().filter(([, d]) => d.env) as [string, { env: string }][];

/** Dotted paths of secret options (used by the logger's redaction too). */
export function secretOptionPaths(): string[] {
  return [...secretPaths];
}

function showValue(pathKey: string, value: unknown): string {
  if (secretPaths.has(pathKey) && value !== undefined && value !== "") {
    return `(hidden, ${typeof value === "string" ? value.length : "?"} characters)`;
  }
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function getIn(obj: unknown, keys: readonly PropertyKey[]): unknown {
  let current = obj;
  for (const key of keys) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function setIn(obj: Record<string, unknown>, keys: string[], value: unknown): void {
  let current = obj;
  for (const key of keys.slice(0, -1)) {
    const next = current[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  if (last !== undefined) current[last] = value;
}

/** Turn an environment string into the shape the option expects, leaving bad parts for zod to report. */
function envValue(pathKey: string, raw: string): unknown {
  const example = docAt(pathKey.split("."));
  const sample = example?.example ?? "";
  if (sample.startsWith("[")) {
    return raw
      .split(/[\s,]+/)
      .filter((part) => part.length > 0)
      .map((part) => (/^-?\d+$/.test(part) ? Number(part) : part));
  }
  if (/^-?\d+(\.\d+)?$/.test(sample)) return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  return raw;
}

function describeExpected(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `a ${issue.expected}`;
    case "invalid_value":
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return issue.origin === "array"
        ? `at least ${String(issue.minimum)} item(s)`
        : issue.origin === "string"
          ? "a non-empty value"
          : `a number ${issue.inclusive ? ">=" : ">"} ${String(issue.minimum)}`;
    case "too_big":
      return `a number ${issue.inclusive ? "<=" : "<"} ${String(issue.maximum)}`;
    case "unrecognized_keys":
      return "only known keys (see config/bot.toml)";
    case "invalid_format":
      return issue.format === "url" ? "an http(s) URL" : `a value matching ${issue.format}`;
    case "invalid_union":
      return "an http(s) URL, or empty";
    default:
      return issue.message;
  }
}

/** Options a role cannot run without. */
export function checkRole(config: Config, role: Role | "bot-only"): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (role === "bot" || role === "all" || role === "bot-only") {
    if (config.telegram.token === "") {
      problems.push({
        path: "telegram.token",
        source: "env TELEGRAM_BOT_TOKEN",
        given: "nothing",
        expected: "the bot token from @BotFather (needed by the bot)",
        example: "TELEGRAM_BOT_TOKEN=123456789:AAE...",
      });
    } else if (!/^\d+:[A-Za-z0-9_-]{20,}$/.test(config.telegram.token)) {
      problems.push({
        path: "telegram.token",
        source: "env TELEGRAM_BOT_TOKEN",
        given: showValue("telegram.token", config.telegram.token),
        expected: "<digits>:<at least 20 letters, digits, - or _>",
        example: "TELEGRAM_BOT_TOKEN=123456789:AAE...",
      });
    }
    if (
      config.telegram.mode === "webhook" &&
      (config.telegram.webhookUrl === "" || config.telegram.webhookSecret === "")
    ) {
      problems.push({
        path: "telegram.webhookUrl",
        source: "file",
        given: config.telegram.webhookUrl === "" ? "nothing" : "a URL but no TELEGRAM_WEBHOOK_SECRET",
        expected: "webhook mode needs telegram.webhookUrl and TELEGRAM_WEBHOOK_SECRET",
        example: 'webhookUrl = "https://bot.example.org/telegram/webhook"',
      });
    }
  }
  return problems;
}

/**
 * Build a configuration from plain data (as parsed from TOML) and an environment. Throws
 * {@link ConfigError} listing every problem.
 */
export function createConfig(
  fileData: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
  fileLabel = "file",
): LoadedConfig {
  const problems: ConfigProblem[] = [];
  const input = structuredClone(fileData);

  for (const secret of secretPaths) {
    const keys = secret.split(".");
    if (getIn(fileData, keys) !== undefined) {
      const d = docAt(keys);
      problems.push({
        path: secret,
        source: fileLabel,
        given: "a secret in the file",
        expected: `secrets only in the environment (${d?.env ?? "environment variable"}); remove it from the file`,
        example: `${d?.env ?? "VAR"}=${d?.example ?? "..."}`,
      });
      setIn(input, keys, undefined);
    }
  }

  const fromEnv: Record<string, string> = {};
  for (const [pathKey, d] of envOptions) {
    const raw = env[d.env];
    if (raw === undefined || (raw === "" && !secretPaths.has(pathKey))) continue;
    fromEnv[pathKey] = d.env;
    setIn(input, pathKey.split("."), envValue(pathKey, raw));
  }

  const result = configSchema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const keys = issue.path.map((k) => (typeof k === "symbol" ? String(k) : k));
      const extra = issue.code === "unrecognized_keys" ? issue.keys : [undefined];
      for (const unknownKey of extra) {
        const full = unknownKey === undefined ? keys : [...keys, unknownKey];
        const dotted = full.join(".");
        const optionKeys = full.filter((k) => typeof k === "string");
        const option = optionKeys.join(".");
        const envName = fromEnv[option];
        const d = docAt(optionKeys);
        problems.push({
          path: dotted || "(top level)",
          source: envName ? `env ${envName}` : getIn(fileData, full) !== undefined ? fileLabel : "default",
          given: showValue(option, getIn(input, full)),
          expected: unknownKey === undefined ? describeExpected(issue) : "a known key (is it misspelt?)",
          example:
            unknownKey === undefined
              ? envName
                ? `${envName}=${envExample(d?.example ?? "")}`
                : (d?.example ?? "")
              : nearestKey(keys, unknownKey),
        });
      }
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const config = result.data;
  config.dataDir = path.resolve(config.dataDir);
  return { config, fromEnv };
}

function nearestKey(parent: readonly PropertyKey[], key: string): string {
  const prefix = parent.length ? `${parent.join(".")}.` : "";
  const siblings = listOptions()
    .map(([p]) => p)
    .filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes("."))
    .map((p) => p.slice(prefix.length));
  const sections =
    parent.length === 0
      ? ["redis", "telegram", "spotify", "source", "matching", "download", "jobs", "http", "burn"]
      : [];
  const all = [...siblings, ...sections];
  const lower = key.toLowerCase().replace(/[_-]/g, "");
  const ranked = all
    .map((s) => ({ s, d: editDistance(s.toLowerCase().replace(/[_-]/g, ""), lower) }))
    .sort((a, b) => a.d - b.d);
  const best = ranked[0];
  return best && best.d <= 3 ? `${prefix}${best.s}` : `one of: ${all.join(", ")}`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** An option's example written the way its environment variable takes it. */
function envExample(example: string): string {
  return example.startsWith("[") ? example.replace(/[[\]"\s]/g, "") : example.replace(/^"(.*)"$/, "$1");
}

/** Read the TOML file (if any), `.env` and the environment into a validated configuration. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  let env = { ...(options.env ?? process.env) };
  if (options.dotenvDir !== false) {
    const dotenvPath = path.join(options.dotenvDir ?? cwd, ".env");
    if (existsSync(dotenvPath)) {
      try {
        // The process environment wins over the .env file.
        env = { ...parseEnv(readFileSync(dotenvPath, "utf8")), ...env };
      } catch (err) {
        throw new ConfigError([
          {
            path: "(.env)",
            source: `file ${dotenvPath}`,
            given: "a file that could not be read",
            expected: "KEY=value lines",
            example: "TELEGRAM_BOT_TOKEN=123456789:AAE...",
          },
        ]);
        void err;
      }
    }
  }

  let file = options.configPath;
  if (file === undefined) {
    const fallback = path.join(cwd, "config", "bot.toml");
    if (existsSync(fallback)) file = fallback;
  }
  let data: Record<string, unknown> = {};
  const relative = file ? path.relative(cwd, file) : "";
  const label = file ? `file ${relative && !relative.startsWith("..") ? relative : file}` : "file";
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      throw new ConfigError([
        {
          path: "(config file)",
          source: `--config ${file}`,
          given: "a path that cannot be read",
          expected: "an existing, readable TOML file",
          example: "--config config/bot.toml",
        },
      ]);
    }
    try {
      data = toml.parse(text) as Record<string, unknown>;
    } catch (err) {
      const e = err as { location?: { start?: { line?: number; column?: number } }; found?: unknown };
      const at = e.location?.start;
      const found = typeof e.found === "string" ? JSON.stringify(e.found) : "the end of the file";
      throw new ConfigError([
        {
          path: "(syntax)",
          source: `${label}:${at?.line ?? "?"}:${at?.column ?? "?"}`,
          given: `text that is not valid TOML (unexpected ${found})`,
          expected: "valid TOML",
          example: 'key = "value"',
        },
      ]);
    }
  }
  const loaded = createConfig(data, env, label);
  return file === undefined ? loaded : { ...loaded, file };
}
