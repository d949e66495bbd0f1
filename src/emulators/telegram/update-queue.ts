/**
 * {@link UpdateQueue}: the updates waiting for the bot and the getUpdates long poll over them
 * (offsets, allowed_updates, the 409 when a second poller arrives).
 */
import { BotApiError } from "./bot-api-error.js";
import type { Update } from "./bot-api-types.js";

/** Types Telegram leaves out when `allowed_updates` is empty or was never set. */
const OFF_BY_DEFAULT = new Set(["chat_member", "message_reaction", "message_reaction_count"]);

/** Parameters of one getUpdates call, already validated. */
export interface PollRequest {
  readonly offset: number | undefined;
  readonly limit: number;
  readonly timeoutSeconds: number;
  readonly allowedUpdates: string[] | undefined;
  /** Aborted when the client goes away, so a dead long poll does not swallow updates. */
  readonly signal: AbortSignal;
}

interface Waiter {
  limit: number;
  resolve: (updates: Update[]) => void;
  reject: (error: BotApiError) => void;
  timer: NodeJS.Timeout;
}

/**
 * Pending updates and the long poll over them, with getUpdates semantics: an update stays until a
 * call's `offset` is above its id; a negative offset keeps only the last `-offset` updates; a call
 * returns at once when something is queued, else waits up to `timeout` seconds for the next update.
 * A second poll while one waits ends the first with 409, as Telegram does with two bot instances.
 */
export class UpdateQueue {
  private items: Update[] = [];
  private head = 0;
  private nextId = 1;
  private allowed: Set<string> | undefined;
  private waiter: Waiter | undefined;
  /** Called after an update was queued (the webhook sender listens here). */
  onPush: (() => void) | undefined;

  /** Update types the bot asked for; undefined means Telegram's default set. */
  get allowedUpdates(): string[] | undefined {
    return this.allowed === undefined ? undefined : [...this.allowed];
  }

  /** True while a long poll waits (a new poll now ends it with 409). */
  get isPolled(): boolean {
    return this.waiter !== undefined;
  }

  get pendingCount(): number {
    return this.items.length - this.head;
  }

  /** Queues an update (its id is assigned here) unless the bot's allowed_updates excludes its type. */
  push(body: Omit<Update, "update_id">): Update | undefined {
    const type = Object.keys(body)[0] ?? "";
    if (this.allowed !== undefined ? !this.allowed.has(type) : OFF_BY_DEFAULT.has(type)) return undefined;
    const update = { update_id: this.nextId++, ...body };
    this.items.push(update);
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.resolve(this.peek(w.limit));
    }
    this.onPush?.();
    return update;
  }

  /** The oldest pending update (what a webhook delivery sends next). */
  first(): Update | undefined {
    return this.items[this.head];
  }

  /** Confirms every update up to and including `updateId` (a webhook answered 2xx for it). */
  ack(updateId: number): void {
    this.confirm(updateId + 1);
  }

  /** Forgets every pending update (deleteWebhook/setWebhook with drop_pending_updates). */
  dropPending(): void {
    this.items = [];
    this.head = 0;
  }

  setAllowed(types: string[] | undefined): void {
    if (types === undefined) return;
    this.allowed = types.length === 0 ? undefined : new Set(types);
  }

  poll(req: PollRequest): Promise<Update[]> {
    this.confirm(req.offset);
    this.setAllowed(req.allowedUpdates);
    const previous = this.waiter;
    if (previous !== undefined) {
      this.waiter = undefined;
      clearTimeout(previous.timer);
      previous.reject(
        new BotApiError(
          409,
          "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
        ),
      );
    }
    const ready = this.peek(req.limit);
    if (ready.length > 0 || req.timeoutSeconds <= 0 || req.signal.aborted) return Promise.resolve(ready);
    return new Promise<Update[]>((resolve, reject) => {
      const waiter: Waiter = {
        limit: req.limit,
        resolve,
        reject,
        timer: setTimeout(() => {
          if (this.waiter === waiter) this.waiter = undefined;
          resolve([]);
        }, req.timeoutSeconds * 1000),
      };
      this.waiter = waiter;
      req.signal.addEventListener(
        "abort",
        () => {
          if (this.waiter !== waiter) return;
          this.waiter = undefined;
          clearTimeout(waiter.timer);
          resolve([]);
        },
        { once: true },
      );
    });
  }

  /** Ends a waiting poll with no updates (emulator shutdown). */
  close(): void {
    const w = this.waiter;
    this.waiter = undefined;
    if (w !== undefined) {
      clearTimeout(w.timer);
      w.resolve([]);
    }
  }

  private confirm(offset: number | undefined): void {
    if (offset === undefined || offset === 0) return;
    if (offset < 0) {
      this.head = Math.max(this.head, this.items.length + offset);
    } else {
      while (this.head < this.items.length && (this.items[this.head]?.update_id ?? Infinity) < offset)
        this.head += 1;
    }
    // Compact now and then so confirmed updates do not pile up.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  private peek(limit: number): Update[] {
    return this.items.slice(this.head, this.head + limit);
  }
}
