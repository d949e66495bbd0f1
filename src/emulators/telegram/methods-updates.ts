/**
 * The Bot API methods that decide how updates reach the bot: getUpdates (long polling over the update
 * queue) and the webhook methods setWebhook, deleteWebhook and getWebhookInfo. Delivery to a webhook is
 * webhook-sender.ts; the queue and its offset rules are update-queue.ts.
 */
import { badRequest } from "./bot-api-error.js";
import {
  DEFAULT_MAX_CONNECTIONS,
  MAX_POLL_TIMEOUT_S,
  MAX_UPDATES_PER_POLL,
  webhookActiveConflict,
} from "./bot-api-limits.js";
import type { BotApiState, MethodTable } from "./bot-api-state.js";
import type { Update } from "./bot-api-types.js";
import type { ParamReader } from "./param-reader.js";

/** getUpdates and the webhook methods. */
export function updateMethods(api: BotApiState): MethodTable {
  return {
    getUpdates: (p, signal) => getUpdates(api, p, signal),
    setWebhook: (p) => setWebhook(api, p),
    deleteWebhook: (p) => {
      api.webhook = undefined;
      if (p.bool("drop_pending_updates")) api.updates.dropPending();
      api.deps.webhookChanged?.();
      return true;
    },
    getWebhookInfo: () => ({
      url: api.webhook?.url ?? "",
      has_custom_certificate: false,
      pending_update_count: api.updates.pendingCount,
      ...(api.webhook !== undefined ? { max_connections: api.webhook.maxConnections } : {}),
      ...(api.webhook !== undefined && api.webhookError !== undefined
        ? { last_error_date: api.webhookError.date, last_error_message: api.webhookError.message }
        : {}),
      ...(api.updates.allowedUpdates !== undefined ? { allowed_updates: api.updates.allowedUpdates } : {}),
    }),
  };
}

async function getUpdates(api: BotApiState, p: ParamReader, signal: AbortSignal): Promise<Update[]> {
  if (api.webhook !== undefined) throw webhookActiveConflict();
  const limit = Math.min(MAX_UPDATES_PER_POLL, Math.max(1, p.int("limit") ?? MAX_UPDATES_PER_POLL));
  const timeoutSeconds = Math.min(MAX_POLL_TIMEOUT_S, Math.max(0, p.int("timeout") ?? 0));
  const allowed = p.json("allowed_updates");
  const before = api.updates.pendingCount;
  const conflict = api.updates.isPolled;
  const pending = api.updates.poll({
    offset: p.int("offset"),
    limit,
    timeoutSeconds,
    allowedUpdates: Array.isArray(allowed) ? allowed.map(String) : undefined,
    signal,
  });
  if (conflict) api.deps.emit(() => ({ type: "poll-conflict" }));
  const after = api.updates.pendingCount;
  if (after < before) api.deps.emit(() => ({ type: "updates-confirmed", pending: after }));
  if (after === 0 && timeoutSeconds > 0 && !signal.aborted) api.deps.emit(() => ({ type: "poll-waiting" }));
  return await pending;
}

function setWebhook(api: BotApiState, p: ParamReader): true {
  const url = p.string("url") ?? "";
  if (url === "") {
    api.webhook = undefined;
    api.deps.webhookChanged?.();
    return true;
  }
  if (!/^https?:\/\//.test(url)) throw badRequest("bad webhook: An HTTPS URL must be provided for webhook");
  const secret = p.string("secret_token");
  api.webhookError = undefined;
  api.webhook = {
    url,
    maxConnections: p.int("max_connections") ?? DEFAULT_MAX_CONNECTIONS,
    ...(secret !== undefined ? { secretToken: secret } : {}),
  };
  const allowed = p.json("allowed_updates");
  if (Array.isArray(allowed)) api.updates.setAllowed(allowed.map(String));
  if (p.bool("drop_pending_updates")) api.updates.dropPending();
  api.deps.webhookChanged?.();
  return true;
}
