/**
 * Cover art: download the collection's (or track's) cover image to a file, within a size limit, for
 * ffmpeg to embed and for the collection folder's cover.jpg.
 *
 * A cover URL comes from the catalog, so it is fetched only from Spotify's image CDNs over https (or
 * from a configured Spotify origin, which is how a stand-in's covers are reached), and a redirect is
 * followed only to such a place: a URL pointing into the LAN or at a local service is never fetched.
 */
import { atomicWriteFile } from "./library.js";

/** Spotify's image hosts (i.scdn.co, mosaic.scdn.co, image-cdn-ak.spotifycdn.com, thisis-images.scdn.co...). */
const SPOTIFY_IMAGE_DOMAINS = ["scdn.co", "spotifycdn.com"];
const MAX_REDIRECTS = 3;

/**
 * Origins covers may also come from: the configured Spotify base URLs (the Web API and the embed page
 * serve their own covers when a stand-in takes Spotify's place).
 */
export function coverOrigins(spotify: { apiBaseUrl: string; embedBaseUrl: string }): string[] {
  return [...new Set([spotify.apiBaseUrl, spotify.embedBaseUrl].map((url) => new URL(url).origin))];
}

/** True when a cover may be fetched from `url`. */
export function coverUrlAllowed(url: URL, origins: readonly string[]): boolean {
  if (origins.includes(url.origin)) return true;
  if (url.protocol !== "https:" || url.username !== "" || url.password !== "" || url.port !== "")
    return false;
  return SPOTIFY_IMAGE_DOMAINS.some((domain) => url.hostname.endsWith(`.${domain}`));
}

export interface FetchCoverOptions {
  /** Stop reading and give up past this many bytes. */
  maxBytes: number;
  /** Where to write the image. */
  dest: string;
  signal?: AbortSignal;
  /** @defaultValue 15000 */
  timeoutMs?: number;
  /** Origins allowed besides Spotify's image CDNs (see {@link coverOrigins}). @defaultValue none */
  origins?: readonly string[];
}

/**
 * Fetch a cover image, refusing anything over `maxBytes` (checked on Content-Length and again while
 * reading, so a lying server cannot fill the disk). Returns `dest`, or undefined when there is no usable
 * image (a host or redirect not allowed, HTTP error, not an image, too big, network failure). Throws
 * only when `signal` aborts.
 */
export async function fetchCover(url: string, options: FetchCoverOptions): Promise<string | undefined> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 15_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const origins = options.origins ?? [];
    let target = new URL(url);
    let res: Response;
    for (let hop = 0; ; hop++) {
      if (!coverUrlAllowed(target, origins)) return undefined;
      res = await fetch(target, { signal, redirect: "manual" });
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || location === null) break;
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) return undefined;
      target = new URL(location, target);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      return undefined;
    }
    const type = res.headers.get("content-type") ?? "";
    const length = Number(res.headers.get("content-length") ?? "0");
    if (!type.startsWith("image/") || length > options.maxBytes) {
      await res.body.cancel();
      return undefined;
    }
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBytes) {
        await reader.cancel();
        return undefined;
      }
      chunks.push(value);
    }
    if (total === 0) return undefined;
    await atomicWriteFile(options.dest, Buffer.concat(chunks));
    return options.dest;
  } catch (err) {
    if (options.signal?.aborted) throw err;
    return undefined;
  }
}
