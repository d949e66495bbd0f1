/**
 * Resolves `spotify.link` / `spoti.fi` short links by following redirects by hand, so that every hop is
 * checked: only Spotify's own hosts (and, in tests, the configured stand-in) are ever contacted.
 */
import { UserFacingError } from "../errors.js";
import { isShortLink, openSpotifyHost, parseSpotifyUrl, shortLinkHosts } from "./link-parser.js";
import { discardBody, type FetchLike, isTimeout, readTextCapped, withTimeout } from "./spotify-http.js";
import type { SpotifyRef } from "./types.js";

export interface ResolveShortLinkOptions {
  /**
   * Where short links are resolved instead of their own host (the emulator in tests). Its origin is then
   * also an allowed redirect target.
   * @defaultValue the link's own host
   */
  baseUrl?: string;
  /** Timeout of the whole resolution, all hops together. */
  timeoutMs: number;
  /** @defaultValue globalThis.fetch */
  fetch?: FetchLike;
  signal?: AbortSignal;
  /** Most redirects followed. @defaultValue 5 */
  maxHops?: number;
}

const fullLinkInPage =
  /https:\/\/open\.spotify\.com\/(?:intl-[a-z-]+\/)?(?:track|album|playlist)\/[0-9A-Za-z]{22}/;

/**
 * Follow a short link to the open.spotify.com link it stands for and parse that.
 *
 * @throws UserFacingError `link_short_unsafe` (a hop leaves Spotify), `link_short_unresolved` (dead link,
 *   too many hops, no link at the end), `link_short_timeout`, or any error of `parseSpotifyLink` for the
 *   final link (e.g. it is an artist page).
 */
export async function resolveShortLink(
  shortLink: URL,
  options: ResolveShortLinkOptions,
): Promise<SpotifyRef> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const maxHops = options.maxHops ?? 5;
  const stand = options.baseUrl ? new URL(options.baseUrl) : undefined;
  const signal = withTimeout(options.timeoutMs, options.signal);

  const rebase = (url: URL): URL =>
    stand && shortLinkHosts.includes(url.hostname.toLowerCase()) ? new URL(url.pathname, stand) : url;
  const allowed = (url: URL): boolean => {
    if (url.protocol !== "https:" && url.protocol !== "http:") return false;
    if (stand && url.origin === stand.origin) return true;
    const host = url.hostname.toLowerCase();
    return (
      url.port === "" && url.username === "" && (host === openSpotifyHost || shortLinkHosts.includes(host))
    );
  };

  let current = rebase(shortLink);
  try {
    for (let hop = 0; hop <= maxHops; hop++) {
      if (current.hostname.toLowerCase() === openSpotifyHost) return finalRef(current);
      const res = await fetchFn(current, { redirect: "manual", signal, headers: { accept: "text/html" } });
      if (res.status >= 300 && res.status < 400) {
        await discardBody(res);
        const location = res.headers.get("location");
        if (location === null) break;
        let next: URL;
        try {
          next = new URL(location, current);
        } catch {
          break;
        }
        if (!allowed(next)) {
          throw new UserFacingError(
            "link_short_unsafe",
            `That short link leads to ${next.hostname || next.protocol}, which is not Spotify, so I didn't follow it. Send the full open.spotify.com link instead.`,
          );
        }
        current = rebase(next);
        continue;
      }
      if (res.status === 404 || res.status === 410) {
        await discardBody(res);
        throw new UserFacingError(
          "link_short_unresolved",
          "That short link doesn't lead anywhere (Spotify doesn't know it). Open it in Spotify and send the full link.",
        );
      }
      if (res.ok) {
        // Some short-link pages answer 200 with the target in the page instead of a redirect.
        const match = fullLinkInPage.exec(await readTextCapped(res, 256 * 1024));
        if (match) return finalRef(new URL(match[0]));
      } else {
        await discardBody(res);
      }
      break;
    }
  } catch (err) {
    if (err instanceof UserFacingError) throw err;
    options.signal?.throwIfAborted();
    if (isTimeout(err, options.signal)) {
      throw new UserFacingError(
        "link_short_timeout",
        `The short link didn't answer within ${Math.max(1, Math.round(options.timeoutMs / 1000))} s. Try again, or send the full open.spotify.com link.`,
        { cause: err },
      );
    }
    throw new UserFacingError(
      "link_short_unresolved",
      "I couldn't open that short link. Try again, or send the full open.spotify.com link.",
      { cause: err },
    );
  }
  throw new UserFacingError(
    "link_short_unresolved",
    "That short link didn't lead to a Spotify track, album or playlist. Open it in Spotify and send the full link.",
  );
}

function finalRef(url: URL): SpotifyRef {
  const parsed = parseSpotifyUrl(url);
  // Only short-link hosts parse to short links, and those are fetched, never parsed as final.
  if (isShortLink(parsed)) {
    throw new UserFacingError("link_short_unresolved", "That short link only led to another short link.");
  }
  return parsed;
}
