/**
 * Errors a person or an operator can cause. Each carries a message written for that person
 * (`userMessage`) and a code from one closed set ({@link errorStatus}), which also says the HTTP status it
 * answers with. The HTTP API's error handler and the bot's error boundary are the only places that turn
 * one into an answer. They never crash a process.
 */

/** Every code, with the HTTP status it answers with: the one list (a new refusal is added here first). */
export const errorStatus = {
  // links a person sends
  link_empty: 400,
  link_too_long: 400,
  link_invisible_chars: 400,
  link_scheme: 400,
  link_not_spotify: 400,
  link_bad_id: 400,
  link_unsupported_kind: 400,
  link_short_unresolved: 400,
  link_short_unsafe: 400,
  link_short_timeout: 504,
  // reading the track list
  catalog_not_found: 404,
  catalog_unavailable: 503,
  catalog_timeout: 504,
  // jobs
  job_not_found: 404,
  job_finished: 409,
  limit_per_person: 429,
  queue_full: 503,
  bad_setting: 400,
  job_not_ended: 409,
  nothing_to_retry: 409,
  fix_not_allowed: 403,
  bad_fix: 400,
  job_too_old: 410,
  // downloading (yt-dlp), one per YtDlpErrorKind
  download_invalid_id: 400,
  download_unavailable: 404,
  download_sign_in: 403,
  download_bot_check: 503,
  download_session_limited: 503,
  download_format_unavailable: 404,
  download_forbidden: 502,
  download_rate_limited: 503,
  download_network: 502,
  download_too_large: 413,
  download_no_file: 502,
  download_timeout: 504,
  download_aborted: 409,
  download_too_old: 500,
  download_not_installed: 500,
  download_unknown: 502,
  // transcoding
  transcode_failed: 500,
  source_too_long: 422,
  transcode_aborted: 409,
  probe_failed: 500,
  // burning
  burn_job_not_ready: 409,
  burn_no_files: 409,
  burn_no_such_disc: 409,
  burn_bad_device: 400,
  burn_ffmpeg_missing: 500,
  burn_render_failed: 500,
  burn_no_writer: 409,
  burn_no_drive: 409,
  burn_no_disc: 409,
  burn_disc_not_blank: 409,
  burn_disc_too_small: 409,
  burn_drive_busy: 409,
  burn_permission: 500,
  burn_speed_unsupported: 400,
  burn_buffer_underrun: 500,
  burn_toc_invalid: 500,
  burn_cdrdao_missing: 500,
  burn_aborted: 409,
  burn_failed: 500,
  // the operator's set-up
  config_source: 400,
  ytdlp_args_refused: 400,
  redis_missing: 500,
  telegram_token_refused: 500,
} as const satisfies Record<string, number>;

/** The closed set of codes. */
export type ErrorCode = keyof typeof errorStatus;

export class UserFacingError extends Error {
  override readonly name: string = "UserFacingError";
  constructor(
    /** Stable machine-readable code, e.g. `link_unsupported_kind`. */
    readonly code: ErrorCode,
    /** A sentence for the person, ready to send. */
    readonly userMessage: string,
    options?: { cause?: unknown },
  ) {
    super(userMessage, options);
  }

  /** The HTTP status this refusal answers with. */
  get httpStatus(): number {
    return errorStatus[this.code];
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
