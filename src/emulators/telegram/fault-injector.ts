/**
 * Faults a test can ask the emulated Bot API for: error answers, slow answers, requests held open,
 * a 429 storm, and a flood wait on one method or chat. Rules are matched in the order they were added;
 * each has a count of calls left.
 */

/** Options of {@link FaultInjector.failNext}. */
export interface FailNextOptions {
  /** How many calls fail. @defaultValue 1 */
  readonly count?: number;
  /** HTTP status and `error_code`. @defaultValue 500 */
  readonly status?: 500 | 502 | 503 | 504;
  /** Only calls of this method (case-insensitive); any method when absent. */
  readonly method?: string;
  /**
   * Carry out the call, then answer the error anyway: the "sent, but the answer got lost" case that
   * makes a naive retry send a message twice. @defaultValue false
   */
  readonly afterEffect?: boolean;
  /** Answer an nginx-style HTML page instead of Telegram's JSON error, as a failing proxy does. @defaultValue false */
  readonly html?: boolean;
}

/** Options of {@link FaultInjector.slowDown}. */
export interface SlowDownOptions {
  /** Delay before the answer, in milliseconds. */
  readonly delayMs: number;
  /** Only calls of this method; any method when absent. */
  readonly method?: string;
  /** How many calls are slowed. @defaultValue Infinity (until `clearFaults()`) */
  readonly count?: number;
}

/** Options of {@link FaultInjector.hang}. */
export interface HangOptions {
  /** Only calls of this method; any method when absent. */
  readonly method?: string;
  /** How many calls are held open. @defaultValue 1 */
  readonly count?: number;
}

/** Options of {@link FaultInjector.storm429}. */
export interface Storm429Options {
  /** How long every counted call is refused, in milliseconds. */
  readonly durationMs: number;
  /** Fixed `retry_after`; by default the seconds left in the storm, rounded up. */
  readonly retryAfterSeconds?: number;
}

/** Options of {@link FaultInjector.floodWait}. */
export interface FloodWaitOptions {
  /**
   * Length of the wait once it begins, in seconds: the first refused call gets `retry_after` = this,
   * later ones the seconds left (rounded up), as Telegram's flood control answers.
   */
  readonly seconds: number;
  /** Only calls of this method (case-insensitive), e.g. "sendAudio"; every rate-counted method when absent. */
  readonly method?: string;
  /** Only sends into this chat; every chat when absent. */
  readonly chatId?: number;
  /** Matching calls that still go through before the wait begins. @defaultValue 0 */
  readonly afterCalls?: number;
}

/** The control surface for faults. */
export interface FaultInjector {
  /** The next `count` calls (optionally of one method) answer a 5xx. */
  failNext(options?: FailNextOptions): void;
  /** Calls are answered only after a delay. */
  slowDown(options: SlowDownOptions): void;
  /** Calls are never answered: the request stays open until the client gives up or the emulator closes. */
  hang(options?: HangOptions): void;
  /** For a while every counted (rate-limited) call answers 429. */
  storm429(options: Storm429Options): void;
  /**
   * A flood wait: after `afterCalls` matching sends went through, every matching rate-counted call answers
   * `429 Too Many Requests: retry after N` (with `parameters.retry_after`) until `seconds` have passed.
   */
  floodWait(options: FloodWaitOptions): void;
  /** Drops every fault rule and ends a storm. */
  clearFaults(): void;
}

/** What the server does to one call. */
export interface FaultPlan {
  delayMs: number;
  error?: { status: number; afterEffect: boolean; html: boolean };
  hang: boolean;
}

interface Rule {
  kind: "error" | "delay" | "hang";
  method: string | undefined;
  remaining: number;
  status: number;
  afterEffect: boolean;
  html: boolean;
  delayMs: number;
}

interface Flood {
  method: string | undefined;
  chatId: number | undefined;
  seconds: number;
  callsLeft: number;
  /** Set when the wait began. */
  until?: number;
}

export class FaultRules implements FaultInjector {
  private rules: Rule[] = [];
  private floods: Flood[] = [];
  private stormUntil = 0;
  private stormRetryAfter: number | undefined;

  failNext(options: FailNextOptions = {}): void {
    this.add({
      kind: "error",
      method: options.method,
      remaining: options.count ?? 1,
      status: options.status ?? 500,
      afterEffect: options.afterEffect ?? false,
      html: options.html ?? false,
      delayMs: 0,
    });
  }

  slowDown(options: SlowDownOptions): void {
    this.add({
      kind: "delay",
      method: options.method,
      remaining: options.count ?? Infinity,
      status: 0,
      afterEffect: false,
      html: false,
      delayMs: options.delayMs,
    });
  }

  hang(options: HangOptions = {}): void {
    this.add({
      kind: "hang",
      method: options.method,
      remaining: options.count ?? 1,
      status: 0,
      afterEffect: false,
      html: false,
      delayMs: 0,
    });
  }

  storm429(options: Storm429Options): void {
    this.stormUntil = Date.now() + options.durationMs;
    this.stormRetryAfter = options.retryAfterSeconds;
  }

  floodWait(options: FloodWaitOptions): void {
    if (!(options.seconds > 0)) throw new Error("floodWait: seconds must be positive");
    this.floods.push({
      method: options.method?.toLowerCase(),
      chatId: options.chatId,
      seconds: options.seconds,
      callsLeft: Math.max(0, options.afterCalls ?? 0),
    });
  }

  clearFaults(): void {
    this.rules = [];
    this.floods = [];
    this.stormUntil = 0;
  }

  /**
   * `retry_after` seconds for a rate-counted call of `method` (lower-case) into `chatId` under a flood
   * wait, else 0. A wait whose calls-to-let-through are used up begins with this call.
   */
  floodRetryAfterSeconds(method: string, chatId: number, now: number): number {
    let retryAfter = 0;
    for (const flood of this.floods) {
      if (!this.floodMatches(flood, method, chatId)) continue;
      if (flood.until === undefined) {
        if (flood.callsLeft > 0) continue;
        flood.until = now + flood.seconds * 1000;
      }
      if (now < flood.until) retryAfter = Math.max(retryAfter, Math.ceil((flood.until - now) / 1000));
    }
    this.floods = this.floods.filter((f) => f.until === undefined || now < f.until);
    return retryAfter;
  }

  /** Counts a rate-counted call that went through toward the floods that wait for it. */
  noteSent(method: string, chatId: number): void {
    for (const flood of this.floods) {
      if (flood.until === undefined && flood.callsLeft > 0 && this.floodMatches(flood, method, chatId))
        flood.callsLeft -= 1;
    }
  }

  /** `retry_after` seconds while a storm lasts, else 0. */
  stormRetryAfterSeconds(now: number): number {
    if (now >= this.stormUntil) return 0;
    return this.stormRetryAfter ?? Math.max(1, Math.ceil((this.stormUntil - now) / 1000));
  }

  /** Consumes the rules that apply to one call of `method` (lower-case). Undefined when none apply. */
  plan(method: string): FaultPlan | undefined {
    if (this.rules.length === 0) return undefined;
    let plan: FaultPlan | undefined;
    let takenTerminal = false;
    for (const rule of this.rules) {
      if (rule.remaining <= 0 || (rule.method !== undefined && rule.method !== method)) continue;
      if (rule.kind === "delay") {
        plan ??= { delayMs: 0, hang: false };
        plan.delayMs += rule.delayMs;
        rule.remaining -= 1;
      } else if (!takenTerminal) {
        takenTerminal = true;
        plan ??= { delayMs: 0, hang: false };
        if (rule.kind === "hang") plan.hang = true;
        else plan.error = { status: rule.status, afterEffect: rule.afterEffect, html: rule.html };
        rule.remaining -= 1;
      }
    }
    this.rules = this.rules.filter((r) => r.remaining > 0);
    return plan;
  }

  private floodMatches(flood: Flood, method: string, chatId: number): boolean {
    return (
      (flood.method === undefined || flood.method === method) &&
      (flood.chatId === undefined || flood.chatId === chatId)
    );
  }

  private add(rule: Rule): void {
    this.rules.push({ ...rule, method: rule.method?.toLowerCase() });
  }
}
