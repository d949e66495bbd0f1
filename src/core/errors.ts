/**
 * Errors a person or an operator can cause. Each carries a message written for that person
 * (`userMessage`) and a stable `code` for metrics and tests. They never crash a process.
 */
export class UserFacingError extends Error {
  override readonly name: string = "UserFacingError";
  constructor(
    /** Stable machine-readable code, e.g. `link_unsupported`. */
    readonly code: string,
    /** A sentence for the person, ready to send. */
    readonly userMessage: string,
    options?: { cause?: unknown },
  ) {
    super(userMessage, options);
  }
}

/** True when `err` is a {@link UserFacingError} (also across duplicated module instances). */
export function isUserFacing(err: unknown): err is UserFacingError {
  return (
    err instanceof UserFacingError ||
    (typeof err === "object" &&
      err !== null &&
      typeof (err as { code?: unknown }).code === "string" &&
      typeof (err as { userMessage?: unknown }).userMessage === "string")
  );
}

/** Short description of any thrown value, for logs. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
