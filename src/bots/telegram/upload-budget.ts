/**
 * How large an audio file may be for the bot to upload it. Telegram's limit (`telegram.uploadLimitMb`:
 * 50 MB on the cloud Bot API, up to 2000 with a local server; 413 above) is for the whole multipart
 * request, so the audio must leave room for the thumbnail, the multipart framing and a margin.
 */
import { maxThumbnailBytes } from "./thumbnail.js";

/**
 * Bytes in one "MB" of `uploadLimitMb`. Telegram writes "50 MB" without saying which megabyte; the
 * decimal one is the smaller reading, so a file that fits it fits either.
 */
export const bytesPerLimitMb = 1_000_000;

/**
 * The multipart framing of a sendAudio: boundaries, part headers and the small fields (chat_id, title,
 * performer, duration, file names). Under 2 kB in practice; 16 kB leaves room for long titles.
 */
export const multipartOverheadBytes = 16 * 1024;

/** Headroom on top, as a share of the limit: a file just under the line is not worth a refused upload. */
export const uploadMarginRatio = 0.01;

export interface UploadBudget {
  /** The most Telegram accepts for one request (the whole multipart body). */
  readonly requestLimitBytes: number;
  /** The largest audio file the bot uploads: the request limit less thumbnail, framing and margin. */
  readonly maxAudioBytes: number;
  /** `maxAudioBytes` in MB as the person reads sizes (1 MB = 1024 kB), rounded down (to 0.1 below 10). */
  readonly maxAudioMb: number;
}

/** The upload budget for a configured `uploadLimitMb`; derive it once. */
export function uploadBudget(uploadLimitMb: number): UploadBudget {
  const requestLimitBytes = uploadLimitMb * bytesPerLimitMb;
  const maxAudioBytes = Math.floor(
    requestLimitBytes - maxThumbnailBytes - multipartOverheadBytes - requestLimitBytes * uploadMarginRatio,
  );
  return {
    requestLimitBytes,
    maxAudioBytes,
    maxAudioMb: roundDownMb(maxAudioBytes / (1024 * 1024)),
  };
}

function roundDownMb(mb: number): number {
  if (mb <= 0) return 0;
  return mb < 10 ? Math.floor(mb * 10) / 10 : Math.floor(mb);
}
