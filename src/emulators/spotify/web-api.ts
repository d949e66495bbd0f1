/**
 * The routes of the emulated Web API (`/v1/tracks/{id}`, `/v1/albums/{id}` and `/tracks`,
 * `/v1/playlists/{id}` and `/items`) and the rules they answer by: a valid bearer token from the accounts
 * service or 401, the Premium-lapse 403 on every call when that switch is on, 400 for an id that is not
 * 22 base62 characters and for a bad `limit`/`offset` (50 at most for album tracks, 100 for playlist
 * items), 404 for unknown ids and editorial playlists, and 403 for every playlist under client
 * credentials (2026 development-mode rules) unless the opt-in owner authorisation opens the app owner's.
 * A fixture playlist may page like a broken or hostile server (`CatalogPlaylist.listing`: a `next` that
 * points back to its own page, or one row a page with a lying `total`). The JSON it answers with is built
 * in web-api-objects.ts.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Accounts } from "./accounts.js";
import { albumsById, playlistsById, tracksById, type CatalogPlaylist } from "./catalog.js";
import { sendJson } from "./http-shared.js";
import { createWebApiObjects, type PageRequest } from "./web-api-objects.js";

/**
 * The 403 message of every Web API call once the app owner's Premium has lapsed, even `GET /v1/tracks/{id}`.
 * Source: FACTS.md, Spotify ("When the app owner's Premium lapses…"), from LavaSrc #334 and spotDL #2634.
 */
export const premiumLapsedMessage = "Active premium subscription required for the owner of the app";

/** The switches the control side flips and the Web API reads on every call. */
export interface ApiSwitches {
  /** Open the playlists the emulated app owner owns, as if the owner had authorised the app. */
  ownerAuthorised: boolean;
  /** Answer every call with the Premium-lapse 403. */
  premiumLapsed: boolean;
}

const base62Id = /^[0-9A-Za-z]{22}$/;
/** The `limit` a list takes when none is given, and the largest it allows. */
interface PageLimits {
  defaultLimit: number;
  maxLimit: number;
}
const albumTracksLimits: PageLimits = { defaultLimit: 20, maxLimit: 50 };
const playlistItemsLimits: PageLimits = { defaultLimit: 100, maxLimit: 100 };

/** The Web API handler for an emulator on `origin`, checking tokens with `accounts`. */
export function createWebApi(
  origin: string,
  accounts: Accounts,
  switches: Readonly<ApiSwitches>,
): (req: IncomingMessage, res: ServerResponse, url: URL) => void {
  const { fullTrack, albumObject, simplifiedTrack, playlistObject, playlistRow, paging } =
    createWebApiObjects(origin);

  return function handleApi(req, res, url) {
    const tokenError = accounts.bearerError(req.headers.authorization ?? "");
    if (tokenError !== undefined) {
      sendJson(res, 401, { error: { status: 401, message: tokenError } });
      return;
    }
    if (switches.premiumLapsed) {
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
    /** One page of `all` at `path`, as `limit`/`offset` ask, or 400 when they are out of range. */
    const sendPage = <T>(
      path: string,
      all: T[],
      limits: PageLimits,
      map: (t: T) => unknown,
      listing?: CatalogPlaylist["listing"],
    ): void => {
      const page = pageParams(url, limits);
      if (typeof page === "string") {
        sendJson(res, 400, { error: { status: 400, message: page } });
        return;
      }
      sendJson(res, 200, paging(path, all, page, map, listing));
    };

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
      return sendPage(`/v1/albums/${id}/tracks`, album.tracks, albumTracksLimits, simplifiedTrack);
    }
    const playlist = playlistsById.get(id);
    // New apps see editorial playlists as missing.
    if (!playlist || playlist.owner.id === "spotify") return notFound();
    // Since 2026 a development-mode app reads only playlists the authorised user owns or collaborates on,
    // and a client-credentials token has no user: every playlist answers 403 (FACTS.md, Spotify: navispot
    // PR #24, smudge PR #113, spoton #119). Only the opt-in owner authorisation opens the owner's own.
    if (!(switches.ownerAuthorised && playlist.ownedByApp)) {
      sendJson(res, 403, { error: { status: 403, message: "Forbidden" } });
      return;
    }
    if (sub === undefined) {
      sendJson(res, 200, playlistObject(playlist));
      return;
    }
    if (sub !== "items") return notFound();
    sendPage(
      `/v1/playlists/${id}/items`,
      playlist.tracks,
      playlistItemsLimits,
      playlistRow,
      playlist.listing,
    );
  };
}

/** The page `limit`/`offset` ask for, or the 400 message when they are not whole numbers in range. */
function pageParams(url: URL, { defaultLimit, maxLimit }: PageLimits): PageRequest | string {
  const limitText = url.searchParams.get("limit");
  const offsetText = url.searchParams.get("offset");
  const limit = limitText === null ? defaultLimit : Number(limitText);
  const offset = offsetText === null ? 0 : Number(offsetText);
  if (!Number.isInteger(limit) || limit < 1 || limit > maxLimit) return "Invalid limit";
  if (!Number.isInteger(offset) || offset < 0) return "Invalid offset";
  return { offset, limit };
}
