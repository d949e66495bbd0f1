/**
 * The candidate source production runs: YouTube Music's own search (InnerTube, client WEB_REMIX) through
 * youtubei.js. yt-dlp is used for downloading only.
 *
 * youtubei.js is created once, lazily, with a session made locally (no page is fetched), no player download
 * and no config request, so one search costs exactly one HTTP request. Every request goes through
 * youtubei.js's documented `fetch` hook, which is where our discipline lives: requests for YouTube's hosts
 * go to `baseUrl` (YouTube itself in production, the loopback stand-in in the demo, tests and benchmarks),
 * each attempt has its own timeout and follows the caller's cancel, and a 429 or 5xx is retried a few times
 * with backoff (honouring a short Retry-After) before the search fails.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Innertube, Log } from "youtubei.js";
import { parseRetryAfter, sleep, withTimeout } from "../spotify/spotify-http.js";
import { candidatesFromSearch } from "./youtube-music-parse.js";
import type { Candidate, CandidateSource, SearchQuery } from "./types.js";

/** Hosts youtubei.js sends InnerTube requests to; all are rebased onto {@link YouTubeMusicOptions.baseUrl}. */
const YOUTUBE_ORIGINS = new Set([
  "https://www.youtube.com",
  "https://music.youtube.com",
  "https://youtubei.googleapis.com",
]);

/** Options of {@link createYouTubeMusicSource}. */
export interface YouTubeMusicOptions {
  /** Origin of the InnerTube API. @defaultValue "https://www.youtube.com" */
  baseUrl?: string;
  /** Candidates kept per search. @defaultValue 10 */
  limit?: number;
  /** Per attempt. @defaultValue 15000 */
  timeoutMs?: number;
  /** Extra attempts after a 429, a 5xx or a network error. @defaultValue 2 */
  retries?: number;
  /** Longest Retry-After we wait for inside one search; longer ones fail the search. @defaultValue 10 */
  maxRetryAfterSeconds?: number;
  /** Language and region of the answers (text such as "1.2M views" is read in English). */
  lang?: string;
  location?: string;
  /** Called once per HTTP attempt, with its status (0 for a network error or timeout). */
  onRequest?: (status: number) => void;
}

/** A search that could not be answered: YouTube refused or did not answer in time. */
export class SearchUnavailableError extends Error {
  override name = "SearchUnavailableError";
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** Search text as one safe line: no control characters, bounded length. */
export function cleanSearchText(text: string): string {
  return Array.from(text.replace(/[\p{Cc}\p{Cf}]+/gu, " "))
    .slice(0, 200)
    .join("")
    .replace(/\s+/gu, " ")
    .trim();
}

// youtubei.js reports parser surprises on the console; our own parser decides what a result is.
Log.setLevel(Log.Level.ERROR);

/** A {@link CandidateSource} backed by YouTube Music search through youtubei.js. */
export function createYouTubeMusicSource(options: YouTubeMusicOptions = {}): CandidateSource {
  const base = new URL(options.baseUrl ?? "https://www.youtube.com");
  const limit = Math.max(1, Math.floor(options.limit ?? 10));
  const timeoutMs = options.timeoutMs ?? 15_000;
  const retries = Math.max(0, options.retries ?? 2);
  const maxRetryAfter = options.maxRetryAfterSeconds ?? 10;
  const callerSignal = new AsyncLocalStorage<AbortSignal | undefined>();

  const innertubeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (YOUTUBE_ORIGINS.has(url.origin)) {
      url.protocol = base.protocol;
      url.host = base.host;
    }
    const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.text();
    const signal = callerSignal.getStore();
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: request.method,
          headers: request.headers,
          body,
          redirect: "error",
          signal: withTimeout(timeoutMs, signal),
        });
      } catch (err) {
        options.onRequest?.(0);
        if (signal?.aborted) throw signal.reason as Error;
        if (attempt >= retries) {
          const why =
            err instanceof Error && err.name === "TimeoutError"
              ? `no answer in ${timeoutMs} ms`
              : String(err);
          throw new SearchUnavailableError(`YouTube Music search failed: ${why}`, 0);
        }
        await sleep(500 * 2 ** attempt, signal);
        continue;
      }
      options.onRequest?.(response.status);
      if (response.status !== 429 && response.status < 500) return response;
      const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
      await response.body?.cancel();
      if (attempt >= retries || (retryAfter ?? 0) > maxRetryAfter) {
        throw new SearchUnavailableError(
          response.status === 429
            ? `YouTube Music is rate-limiting searches${retryAfter !== undefined ? ` (retry after ${retryAfter} s)` : ""}`
            : `YouTube Music search answered HTTP ${response.status}`,
          response.status,
          retryAfter,
        );
      }
      await sleep(retryAfter !== undefined ? retryAfter * 1000 : 500 * 2 ** attempt, signal);
    }
  };

  let client: Promise<Innertube> | undefined;
  const innertube = (): Promise<Innertube> => {
    client ??= Innertube.create({
      fetch: innertubeFetch,
      generate_session_locally: true,
      retrieve_player: false,
      retrieve_innertube_config: false,
      enable_session_cache: false,
      lang: options.lang ?? "en",
      location: options.location ?? "US",
    }).catch((err: unknown) => {
      client = undefined; // the next search tries again
      throw err;
    });
    return client;
  };

  return {
    async search(query: SearchQuery, signal?: AbortSignal): Promise<Candidate[]> {
      signal?.throwIfAborted();
      let text = cleanSearchText(query.text);
      if (query.kind === "isrc") text = text.replace(/[^A-Za-z0-9]/gu, "").toUpperCase();
      if (text === "") return [];
      const yt = await innertube();
      const filter =
        query.kind === "music"
          ? { type: "song" as const }
          : query.kind === "video"
            ? { type: "video" as const }
            : {};
      const result = await callerSignal.run(signal, () => yt.music.search(text, filter));
      return candidatesFromSearch(result, query.kind).slice(0, limit);
    },
  };
}
