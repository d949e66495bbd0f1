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

export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? "info",
    redact: { paths: redactPaths(), censor: "<redacted>" },
    base: { pid: process.pid },
    formatters: {
      log(object) {
        const err = object.err as { message?: unknown; stack?: unknown } | undefined;
        if (err && typeof err.message === "string") {
          return {
            ...object,
            err: {
              ...err,
              message: scrubSecrets(err.message),
              stack: typeof err.stack === "string" ? scrubSecrets(err.stack) : undefined,
            },
          };
        }
        return object;
      },
    },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg) => (typeof arg === "string" ? scrubSecrets(arg) : arg)) as Parameters<
          typeof method
        >;
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
