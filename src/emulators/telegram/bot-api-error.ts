/**
 * Telegram's error answers: {@link BotApiError}, which carries the status, description and
 * `parameters` of an answer and writes it in Telegram's JSON, plus the two answers the emulator gives
 * most, 400 Bad Request and 429 Too Many Requests.
 */
/**
 * An error the emulated Bot API answers with, in Telegram's own shape:
 * `{"ok":false,"error_code":N,"description":"...","parameters":{...}}`.
 */
export class BotApiError extends Error {
  constructor(
    /** HTTP status and `error_code` (400, 401, 404, 409, 413, 429, 5xx). */
    readonly errorCode: number,
    /** Telegram's description, e.g. `Bad Request: chat not found`. */
    readonly description: string,
    /** `parameters` of the answer, e.g. `{ retry_after: 3 }`. */
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(description);
    this.name = "BotApiError";
  }

  /** The JSON body Telegram sends for this error. */
  toJSON(): Record<string, unknown> {
    const body: Record<string, unknown> = {
      ok: false,
      error_code: this.errorCode,
      description: this.description,
    };
    if (this.parameters !== undefined) body.parameters = this.parameters;
    return body;
  }
}

/** `400 Bad Request: <what>`, the most common answer. */
export function badRequest(what: string): BotApiError {
  return new BotApiError(400, `Bad Request: ${what}`);
}

/** `429 Too Many Requests: retry after N`, N in whole seconds (at least 1). */
export function tooManyRequests(retryAfterSeconds: number): BotApiError {
  const n = Math.max(1, Math.ceil(retryAfterSeconds));
  return new BotApiError(429, `Too Many Requests: retry after ${n}`, { retry_after: n });
}
