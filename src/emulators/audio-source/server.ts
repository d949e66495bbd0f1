/**
 * Loopback stand-in for YouTube Music: `POST /youtubei/v1/search` answers InnerTube's search as YouTube
 * Music does (see innertube.ts; youtubei.js parses it like the real thing), `/audio/{videoId}` serves
 * noise-like audio as long as the upload claims to be, so real yt-dlp (generic extractor) and real ffmpeg
 * can run end to end with no network, and `/youtube-faults/{id}` arms YouTube's refusals
 * (youtube-faults.ts). Audio that lies about itself (no size and no end, hours of silence) is armed per
 * video (dishonest-media.ts). One concern (the HTTP side of the stand-in), about 440 lines.
 *
 * Audio is pink noise with a quiet low tone (sine alone would push loudnorm into odd modes), made once
 * with ffmpeg per (video id, duration) and cached on disk; concurrent first requests share one ffmpeg run.
 */
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import {
  createYouTubeFaults,
  youtubeRefusal,
  type YouTubeFault,
  type YouTubeFaults,
} from "./youtube-faults.js";
import { runProcess } from "../../core/process-runner.js";
import { serveEndless, silenceRecipe, type DishonestMedia } from "./dishonest-media.js";
import type { Track } from "../../core/spotify/types.js";
import { searchCatalog, videosFor, type FakeVideo } from "./catalog.js";
import {
  innertubeContinuationResponse,
  innertubeSearchResponse,
  InvalidArgumentError,
  parseSearchRequest,
  type SearchFilter,
  type SearchRequest,
} from "./innertube.js";

/** Container of the served audio: AAC in MP4 (`m4a`) or Opus in WebM (`webm`). */
export type AudioSourceFormat = "m4a" | "webm";

export interface AudioSourceOptions {
  tracks: Track[];
  /** @defaultValue 0 (any free port) */
  port?: number;
  /** @defaultValue "ffmpeg" */
  ffmpegPath?: string;
  /** Where generated audio is kept between runs. */
  cacheDir: string;
  /** @defaultValue "m4a" */
  format?: AudioSourceFormat;
  /** Rows per page of a filtered search (YouTube Music sends 20). @defaultValue 20 */
  pageSize?: number;
}

/** One search as it was asked (continuations carry the query and filter of their search). */
export interface SearchLogEntry {
  query: string;
  filter: SearchFilter;
  continuation: boolean;
}

export interface AudioSourceStats {
  /** Requests to `/audio/...` per video id (yt-dlp's generic extractor makes two per download). */
  audioRequests: Record<string, number>;
  /** Audio bytes sent per video id, over all its requests (how far a download got before it was cut). */
  audioBytes: Record<string, number>;
  /** Requests to the search endpoint, answered or not. */
  searches: number;
  /** Every readable search request, in order (also those answered with a failure from failSearches). */
  searchLog: SearchLogEntry[];
  /** Downloads the yt-dlp wrapper asked about (each download attempt asks once). */
  youtubeChecks: number;
  /** Every YouTube refusal handed to the yt-dlp wrapper, in order, with its time (epoch ms). */
  refusals: { videoId: string; fault: YouTubeFault; at: number }[];
}

export interface AudioSourceControl {
  /** Answer this status for a video's audio from now on (e.g. 404); `undefined` restores it. */
  failAudio(videoId: string, status: number | undefined): void;
  /**
   * Serve audio that lies about itself for one video from now on (see dishonest-media.ts): a stream with
   * no Content-Length that does not stop, or hours of silence; `undefined` restores it.
   */
  dishonestAudio(videoId: string, media: DishonestMedia | undefined): void;
  /** Wait this many ms between 16 KiB chunks of audio (0: full speed), so downloads can be cancelled. */
  slowAudio(msPerChunk: number, chunkBytes?: number): void;
  /**
   * Answer the next `times` searches with `status` and a Google-style error body (429 also says
   * `retry-after: 1`); `times` 0 clears it.
   */
  failSearches(status: number, times: number): void;
  /**
   * YouTube's refusals as yt-dlp reports them (see youtube-faults.ts): for one video from now on, or for
   * the next `times` downloads of any video. Served to tests/helpers/yt-dlp-as-youtube.mjs.
   */
  youtube: Pick<YouTubeFaults, "forVideo" | "next">;
  /** Add or replace tracks at run time. */
  addTracks(tracks: Track[]): void;
}

export interface AudioSource {
  /** `http://127.0.0.1:PORT` */
  url: string;
  stats: AudioSourceStats;
  control: AudioSourceControl;
  /** Stop listening and drop open connections. Safe to call twice. */
  close(): Promise<void>;
}

const errors: Record<number, [message: string, status: string]> = {
  400: ["Request contains an invalid argument.", "INVALID_ARGUMENT"],
  403: ["The caller does not have permission", "PERMISSION_DENIED"],
  404: ["Requested entity was not found.", "NOT_FOUND"],
  413: ["Request payload size exceeds the limit.", "INVALID_ARGUMENT"],
  429: ["Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED"],
  500: ["Internal error encountered.", "INTERNAL"],
  503: ["The service is currently unavailable.", "UNAVAILABLE"],
};

/** A Google API error body: `{error: {code, message, status}}`. */
export function innertubeError(code: number): { error: { code: number; message: string; status: string } } {
  const [message, status] = errors[code] ?? ["Unknown error.", "UNKNOWN"];
  return { error: { code, message, status } };
}

/** Largest search body read; youtubei.js sends about 1.5 KiB. */
const maxBodyBytes = 64 * 1024;

class PayloadTooLargeError extends Error {}

/** The request body, or PayloadTooLargeError past maxBodyBytes (then the rest is left unread). */
function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"] ?? 0) > maxBodyBytes) {
      reject(new PayloadTooLargeError());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
      else {
        req.off("data", onData).pause();
        reject(new PayloadTooLargeError());
      }
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", reject);
  });
}

const mime: Record<AudioSourceFormat, string> = { m4a: "audio/mp4", webm: "audio/webm" };

function encodeArgs(format: AudioSourceFormat): string[] {
  return format === "m4a"
    ? ["-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart", "-f", "ipod"]
    : ["-c:a", "libopus", "-b:a", "64k", "-f", "webm"];
}

/** Start the stand-in on 127.0.0.1. */
export async function startAudioSource(options: AudioSourceOptions): Promise<AudioSource> {
  const ffmpeg = options.ffmpegPath ?? "ffmpeg";
  const format = options.format ?? "m4a";
  const videos = new Map<string, FakeVideo>();
  const tracks: Track[] = [];
  const addTracks = (list: Track[]) => {
    for (const track of list) {
      const at = tracks.findIndex((t) => t.id === track.id);
      if (at >= 0) tracks[at] = track;
      else tracks.push(track);
      for (const video of videosFor(track)) videos.set(video.id, video);
    }
  };
  addTracks(options.tracks);
  await mkdir(options.cacheDir, { recursive: true });

  const stats: AudioSourceStats = {
    audioRequests: {},
    audioBytes: {},
    searches: 0,
    searchLog: [],
    youtubeChecks: 0,
    refusals: [],
  };
  const youtubeFaults = createYouTubeFaults();
  const pageSize = Math.max(1, options.pageSize ?? 20);
  let searchFailure: { status: number; times: number } | undefined;
  const failures = new Map<string, number>();
  const dishonest = new Map<string, DishonestMedia>();
  let slowMs = 0;
  let chunkBytes = 16 * 1024;
  const generating = new Map<string, Promise<string>>();

  /** `name` in the cache folder, made once by ffmpeg with `args` (+ the output); concurrent asks share it. */
  const generated = (name: string, args: readonly string[]): Promise<string> => {
    const file = path.join(options.cacheDir, name);
    let pending = generating.get(file);
    if (!pending) {
      pending = (async () => {
        if (
          await stat(file)
            .then((s) => s.size > 0)
            .catch(() => false)
        )
          return file;
        // Another process may generate the same file: write a private temp name, then rename.
        const temp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
        try {
          await runProcess(ffmpeg, ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", ...args, temp], {
            timeoutMs: 120_000,
          });
          await rename(temp, file);
        } catch (err) {
          await rm(temp, { force: true });
          throw err;
        }
        return file;
      })();
      generating.set(file, pending);
      pending.catch(() => generating.delete(file)); // let a later request try again
    }
    return pending;
  };

  const audioFile = (video: FakeVideo): Promise<string> => {
    const d = video.durationSec;
    const seed = Number.parseInt(video.id.slice(0, 6).replace(/[^0-9]/g, "") || "1", 10) % 100000;
    const graph =
      `anoisesrc=c=pink:d=${d}:a=0.25:r=44100:seed=${seed}[n];` +
      `sine=f=${80 + (seed % 60)}:d=${d}:r=44100,volume=0.2[s];` +
      `[n][s]amix=inputs=2:duration=first,aformat=channel_layouts=stereo[out]`;
    return generated(`${video.id}-${video.durationSec}s.${format}`, [
      "-filter_complex",
      graph,
      "-map",
      "[out]",
      ...encodeArgs(format),
    ]);
  };

  const sendJson = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(text),
    });
    res.end(text);
  };

  const serveSearch = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    stats.searches++;
    let request: SearchRequest | undefined;
    let status = 200;
    try {
      const text = (await readBody(req)).toString("utf8");
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new InvalidArgumentError("body is not JSON");
      }
      request = parseSearchRequest(body, url);
      const { query, filter, continuation } = request;
      stats.searchLog.push({ query, filter, continuation });
    } catch (err) {
      if (err instanceof PayloadTooLargeError) status = 413;
      else if (err instanceof InvalidArgumentError) status = 400;
      else throw err;
    }
    if (status === 413) res.setHeader("connection", "close"); // the rest of the body is not read
    if (searchFailure && searchFailure.times > 0) {
      const failWith = searchFailure.status;
      if (--searchFailure.times === 0) searchFailure = undefined;
      if (failWith === 429) res.setHeader("retry-after", "1");
      sendJson(res, failWith, innertubeError(failWith));
      return;
    }
    if (!request) {
      sendJson(res, status, innertubeError(status));
      return;
    }
    const hits = searchCatalog(tracks, request.query);
    const { filter } = request;
    sendJson(
      res,
      200,
      request.continuation && filter !== "none"
        ? innertubeContinuationResponse(hits, { ...request, filter }, pageSize)
        : innertubeSearchResponse(hits, { query: request.query, filter, pageSize }),
    );
  };

  const serveAudio = async (req: http.IncomingMessage, res: http.ServerResponse, videoId: string) => {
    stats.audioRequests[videoId] = (stats.audioRequests[videoId] ?? 0) + 1;
    const failure = failures.get(videoId);
    if (failure !== undefined) {
      res.writeHead(failure, { "content-type": "text/plain" });
      res.end(`error ${failure}`);
      return;
    }
    const video = videos.get(videoId);
    if (!video) {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("no such video");
      return;
    }
    const sent = (bytes: number) => {
      stats.audioBytes[videoId] = (stats.audioBytes[videoId] ?? 0) + bytes;
    };
    const lie = dishonest.get(videoId);
    if (lie?.kind === "endless") {
      await serveEndless(req, res, await audioFile(video), mime[format], lie, sent);
      return;
    }
    const silence = lie?.kind === "long_silence" ? silenceRecipe(lie.seconds) : undefined;
    const file = silence ? await generated(silence.name, silence.args) : await audioFile(video);
    const size = (await stat(file)).size;
    let start = 0;
    let end = size - 1;
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
    if (range && (range[1] || range[2])) {
      start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size || start > end) {
        res.writeHead(416, { "content-range": `bytes */${size}` });
        res.end();
        return;
      }
    }
    const headers = {
      "content-type": silence ? "audio/flac" : mime[format],
      "content-length": String(end - start + 1),
      "accept-ranges": "bytes",
      ...(range ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
    };
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    const stream = createReadStream(file, { start, end, highWaterMark: chunkBytes });
    res.on("close", () => stream.destroy());
    for await (const chunk of stream) {
      if (res.destroyed) break;
      sent((chunk as Buffer).length);
      if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
      if (slowMs > 0) await new Promise((r) => setTimeout(r, slowMs));
    }
    if (!res.destroyed) res.end();
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const audio = /^\/audio\/([A-Za-z0-9_-]{11})(?:\.(?:m4a|webm|mp4))?$/.exec(url.pathname);
    if (audio && (req.method === "GET" || req.method === "HEAD")) {
      await serveAudio(req, res, audio[1] ?? "");
      return;
    }
    if (url.pathname === "/youtubei/v1/search") {
      if (req.method !== "POST") {
        res.setHeader("allow", "POST");
        sendJson(res, 405, { error: { code: 405, message: "Method Not Allowed", status: "UNIMPLEMENTED" } });
        return;
      }
      await serveSearch(req, res, url);
      return;
    }
    const fault = /^\/youtube-faults\/([A-Za-z0-9_-]{11})$/.exec(url.pathname);
    if (fault && req.method === "GET") {
      const id = fault[1] ?? "";
      stats.youtubeChecks++;
      const refusal = youtubeFaults.take(id);
      if (refusal === undefined) {
        res.writeHead(204);
        res.end();
      } else {
        stats.refusals.push({ videoId: id, fault: refusal, at: Date.now() });
        sendJson(res, 200, youtubeRefusal(refusal, id));
      }
      return;
    }
    if (url.pathname === "/healthz") {
      sendJson(res, 200, { ok: true });
      return;
    }
    sendJson(res, 404, { error: "not found" });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    control: {
      failAudio(videoId, status) {
        if (status === undefined) failures.delete(videoId);
        else failures.set(videoId, status);
      },
      dishonestAudio(videoId, media) {
        if (media === undefined) dishonest.delete(videoId);
        else dishonest.set(videoId, media);
      },
      slowAudio(ms, bytes) {
        slowMs = Math.max(0, ms);
        if (bytes !== undefined && bytes > 0) chunkBytes = bytes;
      },
      failSearches(status, times) {
        searchFailure = times > 0 ? { status, times } : undefined;
      },
      youtube: {
        forVideo: (videoId, fault) => youtubeFaults.forVideo(videoId, fault),
        next: (fault, times) => youtubeFaults.next(fault, times),
      },
      addTracks,
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
