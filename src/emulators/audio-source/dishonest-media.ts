/**
 * Audio that lies about itself, for the stand-in's `/audio/{id}` (issue 16): a stream that announces no
 * size and never stops on its own, and a file far longer than the upload claims (hours of silence behind a
 * three-minute song, a FLAC of about a megabyte). Armed per video through the stand-in's control; they show
 * that the download's byte budget holds while reading and that such a file is never converted.
 */
import type http from "node:http";
import { createReadStream } from "node:fs";

/** How a video's audio lies. */
export type DishonestMedia =
  | {
      /** No Content-Length (chunked), the audio over and over, paced, until the client hangs up. */
      kind: "endless";
      /** Where the stream ends by itself, so a run without a byte budget still ends. @defaultValue 64 MiB */
      limitBytes?: number;
      /** @defaultValue 16 MiB/s */
      bytesPerSecond?: number;
    }
  | {
      /** A FLAC of this many seconds of silence, whatever the upload claims. */
      kind: "long_silence";
      seconds: number;
    };

const MIB = 1024 * 1024;
const ENDLESS_LIMIT_BYTES = 64 * MIB;
const ENDLESS_BYTES_PER_SECOND = 16 * MIB;

/** The cached file's name and the ffmpeg arguments that make `seconds` of silence as FLAC. */
export function silenceRecipe(seconds: number): { name: string; args: string[] } {
  // 8 kHz mono: two hours take about a second to make and stay near a megabyte (FLAC packs silence).
  return {
    name: `silence-${seconds}s.flac`,
    args: [
      "-f",
      "lavfi",
      "-i",
      `anullsrc=r=8000:cl=mono`,
      "-t",
      String(seconds),
      "-c:a",
      "flac",
      "-f",
      "flac",
    ],
  };
}

/** Resolves when `res` can take more, or is gone. */
function drainedOrClosed(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done).off("close", done);
      resolve();
    };
    res.once("drain", done).once("close", done);
  });
}

/**
 * Send `file` over and over without a Content-Length, at most `bytesPerSecond`, until `limitBytes` are
 * out or the client hangs up. `onBytes` hears every chunk written.
 */
export async function serveEndless(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  file: string,
  contentType: string,
  fault: Extract<DishonestMedia, { kind: "endless" }>,
  onBytes: (bytes: number) => void,
): Promise<void> {
  const limit = fault.limitBytes ?? ENDLESS_LIMIT_BYTES;
  const rate = fault.bytesPerSecond ?? ENDLESS_BYTES_PER_SECOND;
  res.writeHead(200, { "content-type": contentType }); // no content-length: Node sends it chunked
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const started = Date.now();
  let sent = 0;
  while (!res.destroyed && sent < limit) {
    const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (res.destroyed || sent >= limit) break;
      const piece = chunk.subarray(0, limit - sent);
      sent += piece.length;
      onBytes(piece.length);
      if (!res.write(piece)) await drainedOrClosed(res);
      const ahead = (sent / rate) * 1000 - (Date.now() - started);
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    }
    stream.destroy();
  }
  if (!res.destroyed) res.end();
}
