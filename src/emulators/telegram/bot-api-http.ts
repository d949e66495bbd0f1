/**
 * The HTTP side of one Bot API call, `/bot<token>/<method>`: checks the token (401) and the method
 * name (404), reads the parameters, applies the fault plan a test asked for (delay, a request held open,
 * a 5xx before or after the call took effect), runs the call in {@link EmulatedBotApi} and answers in
 * Telegram's JSON, `{ok:true,result}` or the error's own shape.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { BotApiError } from "./bot-api-error.js";
import type { EmulatedBotApi } from "./bot-api.js";
import type { CallStats } from "./call-stats.js";
import type { FaultRules } from "./fault-injector.js";
import { drain, sendFault, sendJson } from "./http-answers.js";
import { readRequestParams, type BodyLimits } from "./request-body.js";

/** What {@link serveBotApi} needs from the emulator. */
export interface BotApiHttpDeps {
  /** The token the emulator accepts. */
  readonly token: string;
  readonly api: EmulatedBotApi;
  readonly faults: FaultRules;
  readonly stats: CallStats;
  readonly bodyLimits: BodyLimits;
  /** Releases of the requests a `hang` fault holds open; closing the emulator calls them. */
  readonly held: Set<() => void>;
}

/** Serves one Bot API request for `methodName` as the client spelled it. */
export async function serveBotApi(
  deps: BotApiHttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  token: string,
  methodName: string,
  query: URLSearchParams,
): Promise<void> {
  const { api, faults, stats, held } = deps;
  const method = methodName.toLowerCase();
  if (token !== deps.token) {
    await drain(req);
    return sendJson(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
  }
  stats.call(methodName);
  if (!api.knows(method)) {
    await drain(req);
    return sendJson(res, 404, { ok: false, error_code: 404, description: "Not Found" });
  }
  const aborter = new AbortController();
  // "close" also fires after a normal answer; only a client that went away aborts (abort() is not free).
  res.once("close", () => {
    if (!res.writableFinished) aborter.abort();
  });
  try {
    const params = await readRequestParams(req, query, deps.bodyLimits);
    const plan = faults.plan(method);
    if (plan !== undefined) {
      if (plan.delayMs > 0) await sleep(plan.delayMs, aborter.signal);
      if (plan.hang) {
        await new Promise<void>((resolve) => {
          const release = (): void => {
            held.delete(release);
            resolve();
          };
          held.add(release);
          aborter.signal.addEventListener("abort", release, { once: true });
        });
        res.destroy();
        return;
      }
      if (plan.error !== undefined) {
        if (plan.error.afterEffect) await api.call(method, params, aborter.signal);
        return sendFault(res, plan.error.status, plan.error.html);
      }
    }
    const result = await api.call(method, params, aborter.signal);
    sendJson(res, 200, { ok: true, result });
  } catch (error) {
    if (error instanceof BotApiError) {
      if (error.errorCode === 413) stats.uploadsRejected += 1;
      return sendJson(res, error.errorCode, error.toJSON());
    }
    stats.internalErrors += 1;
    stats.lastInternalError = error instanceof Error ? error.message : String(error);
    sendJson(res, 500, { ok: false, error_code: 500, description: "Internal Server Error" });
  }
}

/** Waits `ms`, or less when the client goes away. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
