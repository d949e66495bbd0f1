/**
 * Counts every failed Bot API answer by method and error code (`cdc_telegram_api_errors_total`), as the
 * innermost API transformer so each raw answer (retries included) is seen once. "Message is not
 * modified" is Telegram's way of saying an edit had nothing to change: not an error.
 */
import { HttpError, type Transformer } from "grammy";
import type { Metrics } from "../../core/metrics.js";

/** True for Telegram's answer to an edit that would change nothing. */
export function isNotModified(description: string | undefined): boolean {
  return description?.includes("message is not modified") ?? false;
}

/** Telegram's answers to an edit of a message that is gone (deleted by the person) or cannot be edited. */
export function isMessageGone(description: string | undefined): boolean {
  return /message to edit not found|message can't be edited|MESSAGE_ID_INVALID/i.test(description ?? "");
}

export function createApiErrorCounter(metrics: Pick<Metrics, "telegramErrors">): Transformer {
  return async (prev, method, payload, signal) => {
    try {
      const result = await prev(method, payload, signal);
      if (!result.ok && !isNotModified(result.description)) {
        metrics.telegramErrors.inc({ method, code: String(result.error_code) });
      }
      return result;
    } catch (err) {
      if (err instanceof HttpError) metrics.telegramErrors.inc({ method, code: "network" });
      throw err;
    }
  };
}
