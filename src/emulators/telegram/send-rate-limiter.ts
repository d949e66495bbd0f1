/**
 * Telegram's flood control as token buckets: a bucket per chat (a steady rate plus a small burst), an
 * extra slower bucket per group chat, and one bucket for the whole bot. A call goes through only when
 * every bucket it touches has a token, and then takes one from each; otherwise the answer is the time
 * until the emptiest bucket refills, rounded up to whole seconds like Telegram's `retry_after`.
 */

/** Limits of {@link SendRateLimiter}. A rate of 0 or `Infinity` switches that bucket off. */
export interface SendRateLimits {
  /** Sustained messages per second into one chat. @defaultValue 1 */
  readonly perChatPerSecond: number;
  /** Messages one chat can take at once before the per-second rate applies. @defaultValue 3 */
  readonly perChatBurst: number;
  /** Sustained messages per minute into one group (capacity equals the rate). @defaultValue 20 */
  readonly perGroupPerMinute: number;
  /** Sustained messages per second for the whole bot. @defaultValue 30 */
  readonly globalPerSecond: number;
  /** Burst for the whole bot. @defaultValue same as `globalPerSecond` */
  readonly globalBurst: number;
}

class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly capacity: number,
    private readonly perMs: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }

  /** Milliseconds until one token is available (0 when one is there now). */
  waitMs(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    return this.tokens >= 1 ? 0 : (1 - this.tokens) / this.perMs;
  }

  take(): void {
    this.tokens -= 1;
  }
}

function enabled(rate: number): boolean {
  return rate > 0 && Number.isFinite(rate);
}

export class SendRateLimiter {
  private readonly chats = new Map<number, TokenBucket>();
  private readonly groups = new Map<number, TokenBucket>();
  private global: TokenBucket | undefined;

  constructor(private readonly limits: SendRateLimits) {}

  /**
   * Takes a token for a send into `chatId` and answers 0, or takes nothing and answers the seconds
   * to wait (at least 1).
   */
  acquire(chatId: number, isGroup: boolean, now: number): number {
    const buckets: TokenBucket[] = [];
    const l = this.limits;
    if (enabled(l.perChatPerSecond)) {
      buckets.push(
        this.bucket(this.chats, chatId, Math.max(1, l.perChatBurst), l.perChatPerSecond / 1000, now),
      );
    }
    if (isGroup && enabled(l.perGroupPerMinute)) {
      buckets.push(this.bucket(this.groups, chatId, l.perGroupPerMinute, l.perGroupPerMinute / 60_000, now));
    }
    if (enabled(l.globalPerSecond)) {
      this.global ??= new TokenBucket(Math.max(1, l.globalBurst), l.globalPerSecond / 1000, now);
      buckets.push(this.global);
    }
    let waitMs = 0;
    for (const b of buckets) waitMs = Math.max(waitMs, b.waitMs(now));
    if (waitMs > 0) return Math.max(1, Math.ceil(waitMs / 1000));
    for (const b of buckets) b.take();
    return 0;
  }

  private bucket(
    map: Map<number, TokenBucket>,
    id: number,
    capacity: number,
    perMs: number,
    now: number,
  ): TokenBucket {
    let b = map.get(id);
    if (b === undefined) {
      b = new TokenBucket(capacity, perMs, now);
      map.set(id, b);
    }
    return b;
  }
}
