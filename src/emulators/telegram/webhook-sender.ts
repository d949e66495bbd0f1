/**
 * Webhook delivery, as Telegram does it once `setWebhook` was called: each pending update is POSTed as
 * JSON to the webhook URL, oldest first, with the `X-Telegram-Bot-Api-Secret-Token` header when a secret
 * was set. An update counts as delivered only on a 2xx answer; otherwise it stays queued, the failure is
 * reported by getWebhookInfo (`last_error_date`, `last_error_message` such as "Wrong response from the
 * webhook: 401 Unauthorized") and the delivery is tried again later.
 */
import type { Update } from "./bot-api-types.js";
import type { UpdateQueue } from "./update-queue.js";

/** Where updates go: the URL and secret of the last setWebhook. */
export interface WebhookTarget {
  readonly url: string;
  readonly secretToken?: string;
}

/** The outcome of one delivery attempt, for the emulator's events. */
export interface WebhookAttempt {
  readonly update: Update;
  readonly url: string;
  /** HTTP status of the answer; 0 when no answer came. */
  readonly status: number;
  readonly ok: boolean;
  /** Telegram's wording of the failure, when it failed. */
  readonly error?: string;
}

export interface WebhookSenderDeps {
  /** The current webhook, or undefined while none is set (updates then wait for getUpdates). */
  target(): WebhookTarget | undefined;
  readonly queue: UpdateQueue;
  /** Called after each attempt. */
  onAttempt(attempt: WebhookAttempt): void;
  /** Pause before trying again after a failed delivery (ms). */
  readonly retryMs: number;
  /** How long one POST may take before it counts as failed (ms). */
  readonly timeoutMs: number;
}

export class WebhookSender {
  private running = false;
  private again = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private inFlight: AbortController | undefined;

  constructor(private readonly deps: WebhookSenderDeps) {}

  /** Delivers what is pending now (a new update, a new webhook). Cheap when there is nothing to do. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.run().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Stops delivering and cancels a request under way. */
  close(): void {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.inFlight?.abort();
  }

  private async run(): Promise<void> {
    for (;;) {
      const target = this.deps.target();
      const update = this.deps.queue.first();
      if (this.closed || target === undefined || update === undefined) return;
      const attempt = await this.post(target, update);
      if (this.closed) return;
      // The webhook may have changed (or gone) while the request ran: only the answer of the current one counts.
      this.deps.onAttempt(attempt);
      if (attempt.ok) {
        if (this.deps.target()?.url === target.url) this.deps.queue.ack(update.update_id);
        continue;
      }
      if (this.retryTimer === undefined) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, this.deps.retryMs);
        this.retryTimer.unref();
      }
      return;
    }
  }

  private async post(target: WebhookTarget, update: Update): Promise<WebhookAttempt> {
    const controller = new AbortController();
    this.inFlight = controller;
    const timer = setTimeout(() => controller.abort(), this.deps.timeoutMs);
    try {
      const res = await fetch(target.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(target.secretToken !== undefined
            ? { "x-telegram-bot-api-secret-token": target.secretToken }
            : {}),
        },
        body: JSON.stringify(update),
        signal: controller.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        return { update, url: target.url, status: res.status, ok: true };
      }
      return {
        update,
        url: target.url,
        status: res.status,
        ok: false,
        error: `Wrong response from the webhook: ${res.status} ${res.statusText}`.trim(),
      };
    } catch (error) {
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      const message = controller.signal.aborted
        ? "Read timeout expired"
        : code === "ECONNREFUSED"
          ? "Connection refused"
          : `Failed to connect: ${error instanceof Error ? error.message : String(error)}`;
      return { update, url: target.url, status: 0, ok: false, error: message };
    } finally {
      clearTimeout(timer);
      if (this.inFlight === controller) this.inFlight = undefined;
    }
  }
}
