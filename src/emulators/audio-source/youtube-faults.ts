/**
 * How YouTube refuses a download in 2026, as yt-dlp reports it. Here the stand-in serves audio through
 * yt-dlp's generic extractor, which never meets YouTube's own refusals, so these are the exact lines real
 * yt-dlp prints when YouTube answers that way (sources beside each). The test wrapper
 * tests/helpers/yt-dlp-as-youtube.mjs asks the stand-in (`GET /youtube-faults/{id}`) before running the real
 * yt-dlp, and prints them instead when a fault is armed. A 403 on the media itself needs no wrapper: the
 * stand-in answers HTTP 403 (`failAudio`) and real yt-dlp prints its own "HTTP Error 403: Forbidden".
 */

/** A refusal YouTube gives. */
export type YouTubeFault = "session_limit" | "bot_check" | "format_unavailable" | "removed" | "private";

/** yt-dlp's stderr and exit status for each refusal; `{id}` is the video id. */
const texts: Record<YouTubeFault, string> = {
  // yt-dlp #14921, #11426, PR #12958 (2025-2026): the guest session's ~300 videos/hour limit.
  session_limit:
    "ERROR: [youtube] {id}: Video unavailable. This content isn't available, try again later. The current " +
    "session has been rate-limited by YouTube for up to an hour. It is recommended to use `-t sleep` to add a " +
    "delay between video requests to avoid exceeding the rate limit. For more information, refer to  " +
    "https://github.com/yt-dlp/yt-dlp/wiki/Extractors#this-content-isnt-available-try-again-later",
  // FACTS.md (datacenter IPs); yt-dlp's wiki FAQ on cookies.
  bot_check:
    "ERROR: [youtube] {id}: Sign in to confirm you’re not a bot. Use --cookies-from-browser or --cookies for " +
    "the authentication. See  https://github.com/yt-dlp/yt-dlp/wiki/FAQ#how-do-i-pass-cookies-to-yt-dlp  for " +
    "how to manually pass cookies. Also see  https://github.com/yt-dlp/yt-dlp/wiki/Extractors#exporting-youtube-cookies  " +
    "for tips on effectively exporting YouTube cookies",
  // yt-dlp #17666, #15909: only SABR or combined formats left.
  format_unavailable:
    "ERROR: [youtube] {id}: Requested format is not available. Use --list-formats for a list of available formats",
  // yt-dlp's YouTube extractor for a removed upload.
  removed: "ERROR: [youtube] {id}: Video unavailable. This video has been removed by the uploader",
  // yt-dlp's YouTube extractor for a private upload.
  private: "ERROR: [youtube] {id}: Private video. Sign in if you've been granted access to this video",
};

/** What yt-dlp prints (stderr) and exits with when YouTube refuses `videoId` this way. */
export function youtubeRefusal(fault: YouTubeFault, videoId: string): { stderr: string; exitCode: number } {
  return { stderr: `${texts[fault].replaceAll("{id}", videoId)}\n`, exitCode: 1 };
}

/** Armed refusals: for given videos, or for the next `times` downloads of any video. */
export interface YouTubeFaults {
  /** Refuse `videoId` this way from now on (`undefined` clears it). */
  forVideo(videoId: string, fault: YouTubeFault | undefined): void;
  /** Refuse the next `times` downloads of any video this way (0 clears it). */
  next(fault: YouTubeFault, times: number): void;
  /** The refusal for this download, consuming one of `next` (undefined: let it through). */
  take(videoId: string): YouTubeFault | undefined;
}

export function createYouTubeFaults(): YouTubeFaults {
  const perVideo = new Map<string, YouTubeFault>();
  let pending: { fault: YouTubeFault; times: number } | undefined;
  return {
    forVideo(videoId, fault) {
      if (fault === undefined) perVideo.delete(videoId);
      else perVideo.set(videoId, fault);
    },
    next(fault, times) {
      pending = times > 0 ? { fault, times } : undefined;
    },
    take(videoId) {
      const own = perVideo.get(videoId);
      if (own) return own;
      if (!pending) return undefined;
      const { fault } = pending;
      pending.times -= 1;
      if (pending.times <= 0) pending = undefined;
      return fault;
    },
  };
}
