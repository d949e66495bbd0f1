/**
 * How a yt-dlp run failed, read from what yt-dlp printed: the kinds of failure, the sentence a person
 * reads for each, whether retrying can help, and the patterns of yt-dlp's real messages (2026) that tell
 * them apart. What the service then does about a kind (wait, try the next upload, tell the operator) is
 * decided by the track processor and the YouTube gate.
 */
import { UserFacingError, type ErrorCode } from "../errors.js";

/** How a download failed, for the person and for the retry policy. */
/** The kinds of download failure: the `download_*` codes of the one list in errors.ts. */
export type YtDlpErrorKind = ErrorCode extends infer C
  ? C extends `download_${infer K}`
    ? K
    : never
  : never;

const messages: Record<YtDlpErrorKind, [permanent: boolean, userMessage: string]> = {
  invalid_id: [true, "That recording id is not valid, so nothing was downloaded."],
  unavailable: [true, "The matched recording is unavailable (removed, private or blocked)."],
  sign_in: [true, "The matched recording needs a signed-in account (age-restricted or members-only)."],
  bot_check: [
    false,
    "YouTube asked to confirm we are not a bot; the operator has been told. The track waits and tries again.",
  ],
  session_limited: [false, "YouTube asked us to slow down; the track waits and continues when it allows."],
  format_unavailable: [true, "YouTube offers no audio format for this upload."],
  forbidden: [false, "YouTube refused the download (HTTP 403); the operator has been told to update yt-dlp."],
  rate_limited: [false, "The audio source is rate-limiting downloads right now. Will retry later."],
  network: [false, "A network problem interrupted the download. Will retry."],
  too_large: [true, "The matched recording is larger than the download size limit."],
  no_file: [false, "The downloader finished without producing a file."],
  timeout: [false, "The download took too long and was stopped."],
  aborted: [true, "The download was cancelled."],
  too_old: [true, "The installed yt-dlp is too old for this service; please update it."],
  not_installed: [true, "yt-dlp is not installed on this worker."],
  unknown: [false, "The download failed for an unexpected reason."],
};

/** A failed download, with a sentence for the person and whether retrying can help. */
export class YtDlpError extends UserFacingError {
  override readonly name = "YtDlpError";
  /** True when retrying cannot help (unavailable, age/sign-in, too large, cancelled). */
  readonly permanent: boolean;
  constructor(
    readonly kind: YtDlpErrorKind,
    /** The last lines yt-dlp wrote, for logs (never shown to the person). */
    readonly detail = "",
    options?: { cause?: unknown },
  ) {
    const [permanent, userMessage] = messages[kind];
    super(`download_${kind}`, userMessage, options);
    this.permanent = permanent;
  }
}

// Order matters: a 404 page says "Unable to download" too, the bot check says "Sign in", and YouTube's
// session rate limit says "Video unavailable" (yt-dlp #14921, #11426: "Video unavailable. This content
// isn't available, try again later. The current session has been rate-limited by YouTube for up to an
// hour."), so the passing causes come before the permanent ones.
const patterns: [YtDlpErrorKind, RegExp][] = [
  ["too_large", /larger than max-filesize/i],
  ["session_limited", /rate-limited by YouTube|content isn(’|')t available, try again later/i],
  ["bot_check", /confirm (that )?you(’|')?re not a bot|not a robot/i],
  // "Requested format is not available. Use --list-formats for a list of available formats" (#17666).
  ["format_unavailable", /requested format (is )?not available/i],
  // "unable to download video data: HTTP Error 403: Forbidden" (#15712, #15750): yt-dlp behind YouTube.
  ["forbidden", /HTTP Error 403/i],
  [
    "sign_in",
    /confirm your age|age[- ]restricted|inappropriate for some users|members[- ]only|join this channel|requires payment|sign in to view/i,
  ],
  [
    "unavailable",
    /video unavailable|this video is (not |no longer )?(available|unavailable)|has been removed|private video|this video is private|account associated with this video has been terminated|copyright|HTTP Error 404|HTTP Error 410|not available in your country|does not exist|Incomplete YouTube ID/i,
  ],
  ["rate_limited", /HTTP Error 429|too many requests/i],
  [
    "network",
    /unable to download|connection (refused|reset|aborted)|timed out|name resolution|network is unreachable|no route to host|IncompleteRead|urlopen error|HTTP Error 5\d\d|remote end closed|ssl|EOF occurred/i,
  ],
  ["sign_in", /sign in/i],
];

/** Classify yt-dlp's stderr into a {@link YtDlpError}. */
export function classifyYtDlpError(stderr: string): YtDlpError {
  const errorLines = stderr
    .split(/\r?\n/)
    .filter((l) => /^ERROR:|larger than max-filesize/i.test(l))
    .join("\n");
  const text = errorLines || stderr;
  for (const [kind, re] of patterns) if (re.test(text)) return new YtDlpError(kind, tail(stderr));
  return new YtDlpError("unknown", tail(stderr));
}

/** The last lines of yt-dlp's output, for logs. */
export function tail(text: string, lines = 6): string {
  return text.trim().split(/\r?\n/).slice(-lines).join("\n");
}
