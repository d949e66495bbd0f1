/**
 * The one pino logger. JSON lines on stdout; pretty when stdout is a terminal. Secrets are redacted by
 * key name wherever they appear, so a config object or an error carrying a token never leaks it.
 */
import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

/** Key names whose values never reach a log line. */
const secretKeys = [
  "token",
  "adminToken",
  "metricsToken",
  "linkSecret",
  "clientSecret",
  "webhookSecret",
  "authorization",
  "Authorization",
  "password",
  "secret",
  "redisUrl", // Redis URLs may carry a password
  "access_token",
];

export interface LoggerSettings {
  level?: string;
  /** Force pretty output on or off. @defaultValue stdout is a TTY */
  pretty?: boolean;
  /** Write here instead of stdout (tests). */
  destination?: NodeJS.WritableStream;
}

/** Paths pino should censor, at the top level and two levels down. */
export function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of secretKeys) {
    paths.push(key, `*.${key}`, `*.*.${key}`, `req.headers.${key.toLowerCase()}`);
  }
  paths.push('req.headers["x-telegram-bot-api-secret-token"]', "redis.url", "*.redis.url");
  return paths;
}

/** Strip bot tokens and URL credentials from free text (error messages often embed request URLs). */
export function scrubSecrets(text: string): string {
  return text
    .replace(/bot\d+:[A-Za-z0-9_-]{20,}/g, "bot<redacted>")
    .replace(/\b\d{6,}:[A-Za-z0-9_-]{30,}\b/g, "<redacted-token>")
    .replace(/(\w+:\/\/)([^/\s:@]*):([^@\s/]+)@/g, "$1$2:<redacted>@");
}

/** Redis commands whose arguments are credentials (AUTH pw, HELLO 3 AUTH user pw, MIGRATE ... AUTH pw). */
const credentialCommands = new Set(["auth", "hello", "migrate", "acl", "config"]);
const secretKeySet = new Set(secretKeys.map((k) => k.toLowerCase()));
const REDACTED = "<redacted>";
const MAX_DEPTH = 8;

/**
 * A copy of a log object with secrets taken out at any depth: values under secret key names, the
 * arguments of a failed Redis command that an error carries (`err.command = { name, args }`: ioredis
 * puts AUTH's password there), a credential command's `args`, and tokens or URL passwords in error
 * messages and stacks. Errors stay errors (same prototype), so pino's error serializer still applies.
 */
export function sanitizeForLog(value: unknown, depth = 0, seen = new WeakMap<object, unknown>()): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (depth > MAX_DEPTH) return "[too deep]";
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(sanitizeForLog(item, depth + 1, seen));
    return copy;
  }
  const isError = value instanceof Error;
  const proto = Object.getPrototypeOf(value) as object | null;
  // Class instances other than errors (Buffers, sockets, requests) are left to their serializers.
  if (!isError && proto !== Object.prototype && proto !== null) return value;
  const copy = Object.create(proto) as Record<PropertyKey, unknown>;
  seen.set(value, copy);
  const source = value as Record<PropertyKey, unknown>;
  const commandName = typeof source.name === "string" ? source.name.toLowerCase() : undefined;
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (!descriptor) continue;
    if (!("value" in descriptor)) continue; // getters are not logged by pino's serializers either
    let inner: unknown = descriptor.value;
    const name = typeof key === "string" ? key.toLowerCase() : "";
    if (secretKeySet.has(name) && inner !== undefined && inner !== "") inner = REDACTED;
    else if (isError && (key === "message" || key === "stack") && typeof inner === "string") {
      inner = scrubSecrets(inner);
    } else if (name === "command" && typeof inner === "object" && inner !== null && "args" in inner) {
      inner = { ...(sanitizeForLog(inner, depth + 1, seen) as object), args: REDACTED };
    } else if (name === "args" && commandName !== undefined && credentialCommands.has(commandName)) {
      inner = REDACTED;
    } else inner = sanitizeForLog(inner, depth + 1, seen);
    Object.defineProperty(copy, key, { ...descriptor, value: inner });
  }
  return copy;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? "info",
    redact: { paths: redactPaths(), censor: "<redacted>" },
    base: { pid: process.pid },
    formatters: {
      // Every logged object is copied with secrets taken out, however deep (see sanitizeForLog).
      log: (object) => sanitizeForLog(object) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        // `log.error(err)` takes its message from the error: scrub that one too.
        const [first] = args as unknown[];
        const given = first instanceof Error && args.length === 1 ? [{ err: first }, first.message] : args;
        const scrubbed = given.map((arg) =>
          typeof arg === "string" ? scrubSecrets(arg) : arg,
        ) as Parameters<typeof method>;
        method.apply(this, scrubbed);
      },
    },
  };
  if (settings.destination) return pino(options, settings.destination);
  const pretty = settings.pretty ?? process.stdout.isTTY === true;
  if (pretty) {
    return pino({
      ...options,
      transport: {
        target: "pino-pretty",
        options: { colorize: true, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname" },
      },
    });
  }
  return pino(options);
}

/** A logger that writes nothing (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
