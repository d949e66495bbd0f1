/**
 * Turns whatever a person pasted into a canonical Spotify reference, or says in plain words why not.
 * Only the parsed kind and id ever leave this module: nothing a person typed reaches yt-dlp or a URL
 * we fetch, except a short link, whose host is checked here and again on every redirect.
 */
import { UserFacingError } from "../errors.js";
import type { SpotifyKind, SpotifyRef } from "./types.js";

/** A `spotify.link` / `spoti.fi` short link, still to be resolved with `resolveShortLink`. */
export interface ShortLinkRef {
  shortLink: URL;
}

export type ParsedLink = SpotifyRef | ShortLinkRef;

/** Longest input we look at (bytes, UTF-8). */
export const maxLinkInputBytes = 2048;

/** The host of full links. */
export const openSpotifyHost = "open.spotify.com";
/** Hosts of Spotify's short links. */
export const shortLinkHosts: readonly string[] = ["spotify.link", "spoti.fi"];

const supportedKinds: readonly SpotifyKind[] = ["track", "album", "playlist"];

/** Spotify pages that exist but are not a list of music tracks, with the words we use for them. */
const unsupportedKinds: Readonly<Record<string, string>> = {
  artist: "Artist pages",
  show: "Podcast shows",
  episode: "Podcast episodes",
  user: "User profiles",
  audiobook: "Audiobooks",
  chapter: "Audiobook chapters",
  collection: "Your Library pages",
  genre: "Genre pages",
  concert: "Concert pages",
  search: "Search pages",
};

const accepted =
  "Send a link to a Spotify track, album or playlist, like https://open.spotify.com/album/… or spotify:track:….";

const base62Id = /^[0-9A-Za-z]{22}$/;
const shortCode = /^[0-9A-Za-z_-]{1,64}$/;
const intlSegment = /^intl-[a-z]{2,3}(?:[-_][a-z0-9]{2,4})?$/i;

/** True when `value` is a short link still to be resolved. */
export function isShortLink(value: ParsedLink): value is ShortLinkRef {
  return "shortLink" in value;
}

/** Build the canonical reference for a kind and a (checked) id. */
export function spotifyRef(kind: SpotifyKind, id: string): SpotifyRef {
  return { kind, id, uri: `spotify:${kind}:${id}` };
}

/** `https://open.spotify.com/{kind}/{id}` for a reference. */
export function spotifyUrl(ref: SpotifyRef): string {
  return `https://${openSpotifyHost}/${ref.kind}/${ref.id}`;
}

/**
 * Find the Spotify link in `text` and parse it.
 *
 * Accepts `open.spotify.com/{track|album|playlist}/{id}` (optionally with `intl-xx/` or `embed/`, a query
 * string, a trailing slash, `http` or `https` or no scheme at all, inside text or angle brackets),
 * `spotify:{kind}:{id}` URIs, and `spotify.link` / `spoti.fi` short links (returned unresolved).
 *
 * @throws UserFacingError with code `link_empty`, `link_too_long`, `link_not_spotify`, `link_scheme`,
 *   `link_unsupported_kind`, `link_bad_id` or `link_invisible_chars`, whose message tells the person
 *   what was wrong.
 */
export function parseSpotifyLink(text: string): ParsedLink {
  if (Buffer.byteLength(text, "utf8") > maxLinkInputBytes) {
    throw new UserFacingError(
      "link_too_long",
      `That message is too long to be a link (over ${maxLinkInputBytes / 1024} kB). ${accepted}`,
    );
  }
  const tokens = text
    // Brackets and quotes (ASCII and typographic) that people and chat apps put around links.
    .split(/[\s<>"'`(){}|«»“”‘’„]+/u)
    .map((t) => t.replace(/[.,;:!?…]+$/u, ""))
    .filter((t) => t.length > 0);
  if (tokens.length === 0) {
    throw new UserFacingError("link_empty", `There is no link in that message. ${accepted}`);
  }

  // The first Spotify-looking token wins; other candidates only shape the error message.
  let firstProblem: UserFacingError | undefined;
  for (const token of tokens) {
    // Zero-width and direction characters hide what a link really is, and URL parsing would drop some
    // of them silently (open.spo\u200Btify.com becomes open.spotify.com): refuse such links outright.
    if (invisibleChars.test(token)) {
      const bare = token.replace(invisibleCharsAll, "");
      if (/^spotify:/i.test(bare) || toUrl(bare) !== undefined) firstProblem ??= invisibleInLink();
      continue;
    }
    if (/^spotify:/i.test(token)) return parseUri(token);
    const url = toUrl(token);
    if (url === undefined) continue;
    if (url instanceof UserFacingError) {
      firstProblem ??= url;
      continue;
    }
    const host = url.hostname.toLowerCase().replace(/\.$/, "");
    if (host === openSpotifyHost || shortLinkHosts.includes(host)) return parseSpotifyUrl(url, host);
    firstProblem ??= notSpotify(host);
  }
  throw (
    firstProblem ??
    new UserFacingError("link_not_spotify", `I couldn't find a link in that message. ${accepted}`)
  );
}

/** Parse a URL already known to point at a Spotify host (also used for redirect targets). */
export function parseSpotifyUrl(url: URL, host = url.hostname.toLowerCase().replace(/\.$/, "")): ParsedLink {
  if (url.protocol !== "https:" && url.protocol !== "http:") throw badScheme(url.protocol);
  if (url.username !== "" || url.password !== "" || url.port !== "") {
    throw new UserFacingError(
      "link_not_spotify",
      `That link carries a user name or port, which Spotify's links never do. ${accepted}`,
    );
  }
  const segments = url.pathname.split("/").filter((s) => s !== "");
  if (shortLinkHosts.includes(host)) {
    const code = segments[0];
    if (segments.length !== 1 || code === undefined || !shortCode.test(code)) {
      throw new UserFacingError(
        "link_bad_id",
        `That ${host} link is incomplete: it should look like https://${host}/AbCd123. Copy it again from Spotify's Share menu.`,
      );
    }
    return { shortLink: new URL(`https://${host}/${code}`) };
  }
  if (host !== openSpotifyHost) throw notSpotify(host);

  if (segments[0] !== undefined && intlSegment.test(segments[0])) segments.shift();
  if (segments[0] === "embed") segments.shift();
  // Old playlist links: /user/{name}/playlist/{id}.
  if (segments[0] === "user" && segments[2] === "playlist") segments.splice(0, 2);
  return refFromParts(segments[0], segments[1]);
}

function parseUri(token: string): ParsedLink {
  const parts = token.split(":").slice(1);
  // Old playlist URIs: spotify:user:{name}:playlist:{id}.
  if (parts[0]?.toLowerCase() === "user" && parts[2]?.toLowerCase() === "playlist") parts.splice(0, 2);
  return refFromParts(parts[0]?.toLowerCase(), parts[1]);
}

function refFromParts(kindPart: string | undefined, idPart: string | undefined): SpotifyRef {
  const kind = kindPart?.toLowerCase();
  if (kind === undefined || kind === "") {
    throw new UserFacingError(
      "link_unsupported_kind",
      `That Spotify link doesn't point to a track, an album or a playlist. ${accepted}`,
    );
  }
  if (!(supportedKinds as readonly string[]).includes(kind)) {
    const what = unsupportedKinds[kind];
    throw new UserFacingError(
      "link_unsupported_kind",
      what !== undefined
        ? `${what} can't be downloaded, only tracks, albums and playlists. ${accepted}`
        : `That Spotify link doesn't point to a track, an album or a playlist. ${accepted}`,
    );
  }
  if (idPart === undefined || idPart === "") {
    throw new UserFacingError(
      "link_bad_id",
      `That ${kind} link has no id at its end. Copy the link again with Share → Copy link.`,
    );
  }
  if (!base62Id.test(idPart)) {
    const shown = idPart.length > 40 ? `${idPart.slice(0, 40)}…` : idPart;
    throw new UserFacingError(
      "link_bad_id",
      `“${shown}” isn't a Spotify ${kind} id: those are 22 letters and digits. Copy the link again with Share → Copy link.`,
    );
  }
  return spotifyRef(kind as SpotifyKind, idPart);
}

/** A URL for link-like tokens, an error for dangerous schemes, undefined for plain words. */
function toUrl(token: string): URL | UserFacingError | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(token)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== "http" && scheme !== "https") {
    // "word:" at the end of a sentence is not a scheme; "javascript:alert(1)" is.
    if (token.length === scheme.length + 1) return undefined;
    return badScheme(`${scheme}:`);
  }
  if (scheme === undefined) {
    // Bare host names like open.spotify.com/track/… or example.org.
    if (!/^[\w-]+(\.[\w-]+)+(?::\d+)?(\/|$)/.test(token) && !/^\[[0-9a-f:.]+\](\/|$)/i.test(token)) {
      return undefined;
    }
    token = `https://${token}`;
  }
  try {
    return new URL(token);
  } catch {
    return undefined;
  }
}

/** Unicode format characters (zero-width spaces and joiners, direction marks, BOM, soft hyphen). */
const invisibleChars = /\p{Cf}/u;
const invisibleCharsAll = /\p{Cf}/gu;

function invisibleInLink(): UserFacingError {
  return new UserFacingError(
    "link_invisible_chars",
    `That link contains invisible characters (like zero-width spaces or direction marks), which Spotify's links never have. Copy the link again with Share → Copy link.`,
  );
}

function notSpotify(host: string): UserFacingError {
  if (/^\[.*\]$/.test(host) || /^\d+(\.\d+){3}$/.test(host) || /^\d+$/.test(host)) {
    return new UserFacingError(
      "link_not_spotify",
      `That link points to a bare IP address, not to Spotify. ${accepted}`,
    );
  }
  const shown = host.length > 60 ? `${host.slice(0, 60)}…` : host;
  return new UserFacingError("link_not_spotify", `That link is to ${shown}, not to Spotify. ${accepted}`);
}

function badScheme(protocol: string): UserFacingError {
  return new UserFacingError(
    "link_scheme",
    `Links starting with “${protocol}” aren't accepted, only https:// links to Spotify and spotify: URIs. ${accepted}`,
  );
}
