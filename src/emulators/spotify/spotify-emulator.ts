/**
 * A local stand-in for Spotify's servers (accounts, Web API, embed pages, short links, cover images) on
 * node:http, so tests and the demo run with no network. It behaves like the real services where our code
 * cares: client-credentials tokens that expire, 50/100 page limits with absolute `next` URLs, rows that
 * say `item`, 403 for every playlist under client credentials (2026 development-mode rules), 404 for
 * editorial playlists, 429 with Retry-After and `QUOTA_EXCEEDED` on demand, the Premium-lapse 403 on
 * demand, embed pages cut at 100 playlist tracks, and the embed page's HTTP 200 "status 404" answer for an
 * unknown or private id.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import {
  albumsById,
  playlistsById,
  shortLinkTargets,
  tracksById,
  type CatalogAlbum,
  type CatalogPlaylist,
  type CatalogTrack,
} from "./catalog.js";
import { coverJpeg } from "./cover-image.js";

/** The credentials the emulator accepts unless told otherwise. */
export const emulatorCredentials = {
  clientId: "cdc-emulator-client",
  clientSecret: "cdc-emulator-secret",
} as const;

export interface SpotifyEmulatorOptions {
  /** @defaultValue 0 (a free port) */
  port?: number;
  /** @defaultValue emulatorCredentials.clientId */
  clientId?: string;
  /** @defaultValue emulatorCredentials.clientSecret */
  clientSecret?: string;
  /** Lifetime of issued tokens. @defaultValue 3600 */
  tokenTtlSeconds?: number;
  /** Start with {@link SpotifyEmulatorControl.setOwnerAuthorised} on. @defaultValue false */
  ownerAuthorised?: boolean;
  /** Start with {@link SpotifyEmulatorControl.setPremiumLapsed} on. @defaultValue false */
  premiumLapsed?: boolean;
}

/**
 * The 403 message of every Web API call once the app owner's Premium has lapsed, even `GET /v1/tracks/{id}`.
 * Source: FACTS.md, Spotify ("When the app owner's Premium lapses…"), from LavaSrc #334 and spotDL #2634.
 */
export const premiumLapsedMessage = "Active premium subscription required for the owner of the app";

/** Which part of the emulator a request went to. */
export type EmulatorRoute = "token" | "api" | "embed" | "shortLink" | "image";

/** A failure (or a delay) to inject into the next matching requests. */
export interface FailureRule {
  /** Status to answer with; omit to only delay and then answer normally. */
  status?: number;
  /** `Retry-After` header, in seconds. */
  retryAfter?: number;
  /** `error.reason` in the body, e.g. `QUOTA_EXCEEDED`. */
  reason?: string;
  /** How many requests this rule applies to. @defaultValue 1 */
  count?: number;
  /** Which requests it applies to. @defaultValue "api" */
  route?: EmulatorRoute | "any";
  /** Only requests whose path contains this. */
  pathIncludes?: string;
  /** Wait this long before answering. */
  delayMs?: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  route: EmulatorRoute | "other";
  status: number;
}

/** The test side of the emulator. */
export interface SpotifyEmulatorControl {
  /** Make the next matching requests fail (or wait). Rules are used in the order they were added. */
  failNext(rule: FailureRule): void;
  /** Requests per route since start or the last reset. */
  readonly counts: Readonly<Record<EmulatorRoute | "other", number>>;
  /** Every request since start or the last reset. */
  readonly requests: readonly RequestRecord[];
  /** Invalidate every issued token (the next API call answers 401). */
  expireTokens(): void;
  /**
   * Opt-in, off by default: answer playlists (`/playlists/{id}` and `/items`) of the emulated app owner
   * (`ownedByApp`) as if the owner had authorised the app with a user token (a future admin PKCE login).
   * Off, every playlist answers 403 under client credentials, as Spotify does in development mode since
   * 2026 (FACTS.md, Spotify: navispot PR #24, smudge PR #113, spoton #119).
   */
  setOwnerAuthorised(on: boolean): void;
  /**
   * Answer every Web API call (tokens are still issued) with the 403 Spotify gives once the app owner's
   * Premium lapses: `{"error": {"status": 403, "message": "Active premium subscription required for the
   * owner of the app"}}`.
   */
  setPremiumLapsed(on: boolean): void;
  /** Forget counters, requests and pending failure rules (the switches above stay as they are). */
  reset(): void;
}

export interface SpotifyEmulator {
  /** `http://127.0.0.1:{port}`: use as apiBaseUrl (+ `/v1`), accountsBaseUrl, embedBaseUrl and shortLinkBaseUrl. */
  url: string;
  /** `{url}/v1` */
  apiBaseUrl: string;
  control: SpotifyEmulatorControl;
  /** Stop listening and drop open connections. Safe to call twice. */
  close(): Promise<void>;
}

const failureRuleSchema = z.object({
  status: z.number().int().min(100).max(599).optional(),
  retryAfter: z.number().int().nonnegative().optional(),
  reason: z.string().optional(),
  count: z.number().int().positive().default(1),
  route: z.enum(["token", "api", "embed", "shortLink", "image", "any"]).default("api"),
  pathIncludes: z.string().optional(),
  delayMs: z.number().nonnegative().optional(),
});

const base62Id = /^[0-9A-Za-z]{22}$/;
const albumTracksMaxLimit = 50;
const playlistItemsMaxLimit = 100;
const embedPlaylistLimit = 100;

/** Start the emulator on 127.0.0.1. */
export async function startSpotifyEmulator(options: SpotifyEmulatorOptions = {}): Promise<SpotifyEmulator> {
  const clientId = options.clientId ?? emulatorCredentials.clientId;
  const clientSecret = options.clientSecret ?? emulatorCredentials.clientSecret;
  const tokenTtl = options.tokenTtlSeconds ?? 3600;
  const tokens = new Map<string, number>();
  let rules: (z.output<typeof failureRuleSchema> & { left: number })[] = [];
  let requests: RequestRecord[] = [];
  const emptyCounts = (): Record<EmulatorRoute | "other", number> => ({
    token: 0,
    api: 0,
    embed: 0,
    shortLink: 0,
    image: 0,
    other: 0,
  });
  let counts = emptyCounts();
  let origin = "";
  let ownerAuthorised = options.ownerAuthorised ?? false;
  let premiumLapsed = options.premiumLapsed ?? false;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { status: 500, message: String(err) } });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", origin);
    const path = url.pathname;
    const route = routeOf(req.method ?? "GET", path);
    counts[route]++;
    const record: RequestRecord = { method: req.method ?? "GET", path: path + url.search, route, status: 0 };
    requests.push(record);
    res.on("finish", () => {
      record.status = res.statusCode;
    });

    const rule = rules.find(
      (r) =>
        r.left > 0 &&
        (r.route === "any" || r.route === route) &&
        (!r.pathIncludes || path.includes(r.pathIncludes)),
    );
    if (rule) {
      rule.left--;
      rules = rules.filter((r) => r.left > 0);
      if (rule.delayMs) await delay(rule.delayMs, res);
      if (rule.status !== undefined) {
        injectFailure(res, route, rule);
        return;
      }
    }

    switch (route) {
      case "token":
        return handleToken(req, res);
      case "api":
        return handleApi(req, res, url);
      case "embed":
        return handleEmbed(res, path);
      case "image":
        return handleImage(res, path);
      case "shortLink":
        return handleShortLink(res, path);
      default:
        sendJson(res, 404, { error: { status: 404, message: "Service not found" } });
    }
  }

  async function handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const auth = req.headers.authorization ?? "";
    const decoded = auth.startsWith("Basic ") ? Buffer.from(auth.slice(6), "base64").toString("utf8") : "";
    const form = new URLSearchParams(body);
    if (decoded !== `${clientId}:${clientSecret}`) {
      sendJson(res, 400, { error: "invalid_client", error_description: "Invalid client" });
      return;
    }
    if (form.get("grant_type") !== "client_credentials") {
      sendJson(res, 400, {
        error: "unsupported_grant_type",
        error_description: "grant_type parameter is missing",
      });
      return;
    }
    const token = randomBytes(24).toString("base64url");
    tokens.set(token, Date.now() + tokenTtl * 1000);
    sendJson(res, 200, { access_token: token, token_type: "Bearer", expires_in: tokenTtl });
  }

  function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ")) {
      sendJson(res, 401, { error: { status: 401, message: "No token provided" } });
      return;
    }
    const expiresAt = tokens.get(auth.slice(7));
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      sendJson(res, 401, {
        error: {
          status: 401,
          message: expiresAt === undefined ? "Invalid access token" : "The access token expired",
        },
      });
      return;
    }
    if (premiumLapsed) {
      // Every call, even GET /v1/tracks/{id} (FACTS.md, Spotify; LavaSrc #334, spotDL #2634).
      sendJson(res, 403, { error: { status: 403, message: premiumLapsedMessage } });
      return;
    }
    const parts = url.pathname
      .split("/")
      .filter((p) => p !== "")
      .slice(1); // drop "v1"
    const [collection, id, sub, extra] = parts;
    if (
      id === undefined ||
      extra !== undefined ||
      !["tracks", "albums", "playlists"].includes(collection ?? "")
    ) {
      sendJson(res, 404, { error: { status: 404, message: "Service not found" } });
      return;
    }
    if (!base62Id.test(id)) {
      sendJson(res, 400, { error: { status: 400, message: "Invalid base62 id" } });
      return;
    }
    const notFound = (): void =>
      sendJson(res, 404, { error: { status: 404, message: "Resource not found" } });

    if (collection === "tracks") {
      const track = tracksById.get(id);
      if (!track || sub !== undefined) return notFound();
      sendJson(res, 200, fullTrack(track));
      return;
    }
    if (collection === "albums") {
      const album = albumsById.get(id);
      if (!album) return notFound();
      if (sub === undefined) {
        sendJson(res, 200, albumObject(album));
        return;
      }
      if (sub !== "tracks") return notFound();
      const page = pageParams(url, 20, albumTracksMaxLimit);
      if (typeof page === "string") {
        sendJson(res, 400, { error: { status: 400, message: page } });
        return;
      }
      sendJson(res, 200, paging(`/v1/albums/${id}/tracks`, album.tracks, page, simplifiedTrack));
      return;
    }
    const playlist = playlistsById.get(id);
    // New apps see editorial playlists as missing.
    if (!playlist || playlist.owner.id === "spotify") return notFound();
    // Since 2026 a development-mode app reads only playlists the authorised user owns or collaborates on,
    // and a client-credentials token has no user: every playlist answers 403 (FACTS.md, Spotify: navispot
    // PR #24, smudge PR #113, spoton #119). Only the opt-in owner authorisation opens the owner's own.
    if (!(ownerAuthorised && playlist.ownedByApp)) {
      sendJson(res, 403, { error: { status: 403, message: "Forbidden" } });
      return;
    }
    if (sub === undefined) {
      sendJson(res, 200, playlistObject(playlist));
      return;
    }
    if (sub !== "items") return notFound();
    const page = pageParams(url, 100, playlistItemsMaxLimit);
    if (typeof page === "string") {
      sendJson(res, 400, { error: { status: 400, message: page } });
      return;
    }
    sendJson(res, 200, paging(`/v1/playlists/${id}/items`, playlist.tracks, page, playlistRow));
  }

  function handleEmbed(res: ServerResponse, path: string): void {
    const [, , kind, id] = path.split("/");
    let entity: unknown;
    if (kind === "track" && id !== undefined && tracksById.has(id))
      entity = embedTrackEntity(tracksById.get(id)!);
    else if (kind === "album" && id !== undefined && albumsById.has(id))
      entity = embedAlbumEntity(albumsById.get(id)!);
    else if (kind === "playlist" && id !== undefined && playlistsById.has(id)) {
      entity = embedPlaylistEntity(playlistsById.get(id)!);
    }
    // An unknown or private id answers HTTP 200 with `props.pageProps.status: 404` and no `state`
    // (FACTS.md, Spotify: "Embed page, as captured in 2026").
    const data =
      entity === undefined
        ? { props: { pageProps: { status: 404 } }, page: "/embed/[type]/[id]" }
        : {
            props: { pageProps: { state: { data: { entity }, settings: { theme: "dark" } } } },
            page: "/embed/[type]/[id]",
          };
    // Like Next.js, keep `<` out of the script element so a title cannot close it.
    const json = JSON.stringify(data).replace(/</g, "\\u003c");
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    // `__NEXT_DATA__` is the page's last <script> (FACTS.md, Spotify), after the page's own scripts.
    res.end(
      `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Spotify Embed</title>` +
        `<script src="/embed/_next/static/chunks/main.js" defer></script></head>` +
        `<body><div id="__next"></div><script>window.__embedStart = Date.now();</script>` +
        `<script id="__NEXT_DATA__" type="application/json">${json}</script></body></html>`,
    );
  }

  function handleImage(res: ServerResponse, path: string): void {
    const id = /^\/image\/([0-9A-Za-z]{22})\.jpg$/.exec(path)?.[1];
    if (id === undefined || (!albumsById.has(id) && !playlistsById.has(id))) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "image/jpeg", "content-length": coverJpeg.length });
    res.end(coverJpeg);
  }

  function handleShortLink(res: ServerResponse, path: string): void {
    const target = shortLinkTargets.get(path.slice(1));
    if (!target) {
      res.writeHead(404, { "content-type": "text/html; charset=utf-8" }).end("<h1>Link not found</h1>");
      return;
    }
    res.writeHead(target.status, { location: target.location, "content-type": "text/html; charset=utf-8" });
    res.end(`<a href="${target.location}">Redirecting</a>`);
  }

  function injectFailure(
    res: ServerResponse,
    route: EmulatorRoute | "other",
    rule: z.output<typeof failureRuleSchema>,
  ): void {
    const status = rule.status ?? 500;
    const headers: Record<string, string> = {};
    if (rule.retryAfter !== undefined) headers["retry-after"] = String(rule.retryAfter);
    if (route === "embed" || route === "shortLink" || route === "image") {
      res
        .writeHead(status, { ...headers, "content-type": "text/html; charset=utf-8" })
        .end(`<h1>${status}</h1>`);
      return;
    }
    const message =
      status === 429
        ? rule.reason === "QUOTA_EXCEEDED"
          ? "Quota exceeded for this application"
          : "API rate limit exceeded"
        : status === 403
          ? "Forbidden"
          : "Injected failure";
    sendJson(
      res,
      status,
      { error: { status, message, ...(rule.reason ? { reason: rule.reason } : {}) } },
      headers,
    );
  }

  // ---- object builders, shaped like the Web API's answers ----

  const image = (coverPath: string) => [{ url: `${origin}${coverPath}`, width: 300, height: 300 }];
  const artistObjects = (names: string[]) => names.map((name) => ({ name, type: "artist" }));

  function simplifiedAlbum(album: CatalogAlbum) {
    return {
      id: album.id,
      name: album.name,
      type: "album",
      album_type: album.tracks.length > 3 ? "album" : "single",
      uri: `spotify:album:${album.id}`,
      artists: artistObjects(album.artists),
      images: image(album.coverPath),
      release_date: album.releaseDate,
      release_date_precision: "day",
      total_tracks: album.tracks.length,
    };
  }

  function simplifiedTrack(track: CatalogTrack) {
    return {
      id: track.id,
      name: track.title,
      type: "track",
      uri: `spotify:track:${track.id}`,
      artists: artistObjects(track.artists),
      track_number: track.trackNumber,
      disc_number: track.discNumber,
      duration_ms: track.durationMs,
      explicit: track.explicit,
      is_local: false,
    };
  }

  function fullTrack(track: CatalogTrack) {
    const album = albumsById.get(track.albumId)!;
    return {
      ...simplifiedTrack(track),
      album: simplifiedAlbum(album),
      external_ids: { isrc: track.isrc },
      popularity: 42,
    };
  }

  function albumObject(album: CatalogAlbum) {
    return {
      ...simplifiedAlbum(album),
      external_ids: { upc: album.upc },
      label: album.label,
      tracks: paging(
        `/v1/albums/${album.id}/tracks`,
        album.tracks,
        { offset: 0, limit: 50 },
        simplifiedTrack,
      ),
    };
  }

  function playlistRow(track: CatalogTrack) {
    return { added_at: "2026-01-01T00:00:00Z", is_local: false, item: fullTrack(track) };
  }

  function playlistObject(playlist: CatalogPlaylist) {
    return {
      id: playlist.id,
      name: playlist.name,
      description: playlist.description,
      type: "playlist",
      uri: `spotify:playlist:${playlist.id}`,
      public: true,
      collaborative: false,
      owner: { id: playlist.owner.id, display_name: playlist.owner.displayName, type: "user" },
      images: image(playlist.coverPath),
      items: paging(
        `/v1/playlists/${playlist.id}/items`,
        playlist.tracks,
        { offset: 0, limit: 100 },
        playlistRow,
      ),
    };
  }

  function paging<T>(
    path: string,
    all: T[],
    page: { offset: number; limit: number },
    map: (t: T) => unknown,
  ) {
    const href = (offset: number) => `${origin}${path}?offset=${offset}&limit=${page.limit}`;
    const end = page.offset + page.limit;
    return {
      href: href(page.offset),
      items: all.slice(page.offset, end).map(map),
      limit: page.limit,
      offset: page.offset,
      total: all.length,
      next: end < all.length ? href(end) : null,
      previous: page.offset > 0 ? href(Math.max(0, page.offset - page.limit)) : null,
    };
  }

  // ---- embed entities, shaped like the embed page's __NEXT_DATA__ ----

  const coverArt = (coverPath: string) => ({
    sources: [{ url: `${origin}${coverPath}`, width: 300, height: 300 }],
  });
  const embedRow = (track: CatalogTrack) => ({
    uri: `spotify:track:${track.id}`,
    uid: track.id.slice(0, 16),
    title: track.title,
    subtitle: track.artists.join(", "),
    duration: track.durationMs,
    isExplicit: track.explicit,
    isPlayable: true,
    entityType: "track",
    audioPreview: null,
  });

  function embedTrackEntity(track: CatalogTrack) {
    return {
      type: "track",
      id: track.id,
      uri: `spotify:track:${track.id}`,
      name: track.title,
      title: track.title,
      subtitle: track.artists.join(", "),
      artists: track.artists.map((name) => ({ name, uri: "spotify:artist:unknown" })),
      duration: track.durationMs,
      isExplicit: track.explicit,
      releaseDate: { isoString: `${track.releaseDate}T00:00:00Z` },
      coverArt: coverArt(track.coverPath),
    };
  }

  function embedAlbumEntity(album: CatalogAlbum) {
    return {
      type: "album",
      id: album.id,
      uri: `spotify:album:${album.id}`,
      name: album.name,
      title: album.name,
      subtitle: album.artists.join(", "),
      releaseDate: { isoString: `${album.releaseDate}T00:00:00Z` },
      coverArt: coverArt(album.coverPath),
      trackList: album.tracks.map(embedRow),
    };
  }

  function embedPlaylistEntity(playlist: CatalogPlaylist) {
    return {
      type: "playlist",
      id: playlist.id,
      uri: `spotify:playlist:${playlist.id}`,
      name: playlist.name,
      title: playlist.name,
      subtitle: playlist.owner.displayName,
      coverArt: coverArt(playlist.coverPath),
      trackList: playlist.tracks.slice(0, embedPlaylistLimit).map(embedRow),
    };
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let closing: Promise<void> | undefined;
  const control: SpotifyEmulatorControl = {
    failNext(rule) {
      const parsed = failureRuleSchema.parse(rule);
      rules.push({ ...parsed, left: parsed.count });
    },
    get counts() {
      return { ...counts };
    },
    get requests() {
      return [...requests];
    },
    expireTokens() {
      tokens.clear();
    },
    setOwnerAuthorised(on) {
      ownerAuthorised = on;
    },
    setPremiumLapsed(on) {
      premiumLapsed = on;
    },
    reset() {
      counts = emptyCounts();
      requests = [];
      rules = [];
    },
  };

  return {
    url: origin,
    apiBaseUrl: `${origin}/v1`,
    control,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function routeOf(method: string, path: string): EmulatorRoute | "other" {
  if (method === "POST" && path === "/api/token") return "token";
  if (method !== "GET" && method !== "HEAD") return "other";
  if (path.startsWith("/v1/")) return "api";
  if (path.startsWith("/embed/")) return "embed";
  if (path.startsWith("/image/")) return "image";
  if (/^\/[0-9A-Za-z_-]{1,64}$/.test(path)) return "shortLink";
  return "other";
}

function pageParams(
  url: URL,
  defaultLimit: number,
  maxLimit: number,
): { offset: number; limit: number } | string {
  const limitText = url.searchParams.get("limit");
  const offsetText = url.searchParams.get("offset");
  const limit = limitText === null ? defaultLimit : Number(limitText);
  const offset = offsetText === null ? 0 : Number(offsetText);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) return "Invalid limit";
  if (!Number.isInteger(offset) || offset < 0) return "Invalid offset";
  return { offset, limit };
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json; charset=utf-8" });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > 64 * 1024) break;
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Wait, but stop waiting when the client goes away (so close() is never held up). */
function delay(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    res.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
