/**
 * The emulator's counters: calls per method, 429 answers, uploads accepted and refused, internal
 * errors, and the busiest second per chat and for the whole bot ({@link CallStats}, read back as
 * {@link EmulatorStats}).
 */
/** Counters a test or benchmark reads back from the emulator. */
export interface EmulatorStats {
  /** Calls received per method name as the client spelled it (answered or not). */
  readonly callsByMethod: Record<string, number>;
  /** 429 answers sent (rate limits and storms). */
  readonly tooManyRequests: number;
  /** File parts received in upload requests that were accepted. */
  readonly uploads: { readonly count: number; readonly bytes: number };
  /** Uploads refused with 413. */
  readonly uploadsRejected: number;
  /** Largest number of rate-counted calls that succeeded for one chat within any 1 s window. */
  readonly maxPerChatPerSecond: number;
  /** Largest number of rate-counted calls that succeeded for the whole bot within any 1 s window. */
  readonly maxGlobalPerSecond: number;
  /** Calls that failed inside the emulator (answered 500 without being asked to); should stay 0. */
  readonly internalErrors: number;
  /** The message of the last internal error, for debugging the emulator itself. */
  readonly lastInternalError?: string;
}

/** A sliding 1-second window over increasing timestamps, O(1) amortised per event. */
class WindowCounter {
  readonly times: number[] = [];
  private start = 0;
  max = 0;

  add(t: number): void {
    this.times.push(t);
    while ((this.times[this.start] ?? t) <= t - 1000) this.start += 1;
    this.max = Math.max(this.max, this.times.length - this.start);
  }
}

export class CallStats {
  private calls = new Map<string, number>();
  tooManyRequests = 0;
  uploadCount = 0;
  uploadBytes = 0;
  uploadsRejected = 0;
  internalErrors = 0;
  lastInternalError: string | undefined;
  private perChat = new Map<number, WindowCounter>();
  private global = new WindowCounter();
  private maxPerChat = 0;

  call(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }

  /** Records a rate-counted call that went through. */
  sent(chatId: number, t: number): void {
    let w = this.perChat.get(chatId);
    if (w === undefined) {
      w = new WindowCounter();
      this.perChat.set(chatId, w);
    }
    w.add(t);
    this.maxPerChat = Math.max(this.maxPerChat, w.max);
    this.global.add(t);
  }

  sendTimestamps(chatId: number): number[] {
    return [...(this.perChat.get(chatId)?.times ?? [])];
  }

  snapshot(): EmulatorStats {
    return {
      callsByMethod: Object.fromEntries(this.calls),
      tooManyRequests: this.tooManyRequests,
      uploads: { count: this.uploadCount, bytes: this.uploadBytes },
      uploadsRejected: this.uploadsRejected,
      maxPerChatPerSecond: this.maxPerChat,
      maxGlobalPerSecond: this.global.max,
      internalErrors: this.internalErrors,
      ...(this.lastInternalError !== undefined ? { lastInternalError: this.lastInternalError } : {}),
    };
  }

  reset(): void {
    this.calls = new Map();
    this.tooManyRequests = 0;
    this.uploadCount = 0;
    this.uploadBytes = 0;
    this.uploadsRejected = 0;
    this.internalErrors = 0;
    this.lastInternalError = undefined;
    this.perChat = new Map();
    this.global = new WindowCounter();
    this.maxPerChat = 0;
  }
}
