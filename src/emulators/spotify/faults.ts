/**
 * The failures a test can inject into the Spotify emulator: {@link FailureRule}s, validated with zod,
 * queued in the order they were added and each used up by the next `count` matching requests (by route
 * and path), which are delayed and/or answered with the rule's status instead of the normal answer. A
 * failure looks like the real one on that route: the Web API's and accounts' JSON error (429 says "API
 * rate limit exceeded" or, with `QUOTA_EXCEEDED`, "Quota exceeded for this application"), with
 * `Retry-After` when asked, or a bare HTML page on the embed, short-link and image hosts.
 */
import type { ServerResponse } from "node:http";
import { z } from "zod";
import { sendJson, type EmulatorRoute } from "./http-shared.js";

/** A failure (or a delay) to inject into the next matching requests. */
export interface FailureRule {
  /** Status to answer with; omit to only delay and then answer normally. */
  status?: number;
  /** `Retry-After` header, in seconds. */
  retryAfter?: number;
  /** `error.reason` in the body, e.g. `QUOTA_EXCEEDED`. */
  reason?: string;
  /** How many requests this rule applies to. @defaultValue 1 */
  count?: number;
  /** Which requests it applies to. @defaultValue "api" */
  route?: EmulatorRoute | "any";
  /** Only requests whose path contains this. */
  pathIncludes?: string;
  /** Wait this long before answering. */
  delayMs?: number;
}

const failureRuleSchema = z.object({
  status: z.number().int().min(100).max(599).optional(),
  retryAfter: z.number().int().nonnegative().optional(),
  reason: z.string().optional(),
  count: z.number().int().positive().default(1),
  route: z.enum(["token", "api", "embed", "shortLink", "image", "any"]).default("api"),
  pathIncludes: z.string().optional(),
  delayMs: z.number().nonnegative().optional(),
});

/** A queued rule, validated and with its defaults filled in. */
export type PendingFailure = z.output<typeof failureRuleSchema>;

/** The pending failure rules of one emulator. */
export interface FaultRules {
  /** Queue a rule (throws a ZodError for an invalid one). */
  add(rule: FailureRule): void;
  /** Drop every pending rule. */
  clear(): void;
  /** Use up one request of the first pending rule that matches this request, if any. */
  take(route: EmulatorRoute | "other", path: string): PendingFailure | undefined;
}

/** An empty queue of failure rules. */
export function createFaultRules(): FaultRules {
  let rules: (PendingFailure & { left: number })[] = [];
  return {
    add(rule) {
      const parsed = failureRuleSchema.parse(rule);
      rules.push({ ...parsed, left: parsed.count });
    },
    clear() {
      rules = [];
    },
    take(route, path) {
      const rule = rules.find(
        (r) =>
          r.left > 0 &&
          (r.route === "any" || r.route === route) &&
          (!r.pathIncludes || path.includes(r.pathIncludes)),
      );
      if (rule) {
        rule.left--;
        rules = rules.filter((r) => r.left > 0);
      }
      return rule;
    },
  };
}

/** Answer a rule's failure the way `route` fails for real. */
export function injectFailure(
  res: ServerResponse,
  route: EmulatorRoute | "other",
  rule: PendingFailure,
): void {
  const status = rule.status ?? 500;
  const headers: Record<string, string> = {};
  if (rule.retryAfter !== undefined) headers["retry-after"] = String(rule.retryAfter);
  if (route === "embed" || route === "shortLink" || route === "image") {
    res
      .writeHead(status, { ...headers, "content-type": "text/html; charset=utf-8" })
      .end(`<h1>${status}</h1>`);
    return;
  }
  const message =
    status === 429
      ? rule.reason === "QUOTA_EXCEEDED"
        ? "Quota exceeded for this application"
        : "API rate limit exceeded"
      : status === 403
        ? "Forbidden"
        : "Injected failure";
  sendJson(
    res,
    status,
    { error: { status, message, ...(rule.reason ? { reason: rule.reason } : {}) } },
    headers,
  );
}

/** Wait, but stop waiting when the client goes away (so close() is never held up). */
export function delay(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    res.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
