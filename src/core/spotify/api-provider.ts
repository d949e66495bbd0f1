/**
 * The `api` provider: the official Web API with client credentials. Richest metadata (ISRC, UPC, disc
 * numbers), but since 2026 a client-credentials token reads no playlist at all (every `/items` answers
 * 403), so playlists go to the embed page without a call.
 *
 * It also remembers, service-wide, when Spotify stops answering for a long time (a long Retry-After, an
 * exhausted quota, the app owner's lapsed Premium): the Web API is then paused in Redis and skipped, with
 * no request, by every job on every process until the pause ends, and the operator is told once.
 */
import type { z } from "zod";
import { defaultMaxTracks } from "../config/schema.js";
import type { OperatorNotices } from "../operator-notices.js";
import { formatUntil, type Pause, type ServicePauses } from "../service-pauses.js";
import { ProviderError, type CatalogProvider } from "./provider.js";
import { humanSeconds } from "./spotify-http.js";
import { WebApiClient, type WebApiClientOptions } from "./web-api-client.js";
import {
  albumSchema,
  pagingSchema,
  playlistRowSchema,
  playlistSchema,
  simplifiedTrackSchema,
  trackSchema,
  type AlbumObject,
  type PlaylistRow,
  type SimplifiedTrackObject,
  type TrackObject,
} from "./web-api-schemas.js";
import type { Collection, SpotifyRef, Track } from "./types.js";

export interface ApiProviderOptions extends WebApiClientOptions {
  /** Market (ISO 3166-1 alpha-2) for track availability. @defaultValue "US" */
  market?: string;
  /**
   * Fetch each album track on its own to learn its ISRC (album listings do not carry it; batch lookups
   * are gone since 2026). Costs one request per track. @defaultValue true
   */
  albumIsrcs?: boolean;
  /** Parallel per-track lookups for album ISRCs. @defaultValue 4 */
  detailConcurrency?: number;
  /**
   * The catalog's cap on tracks per link: pages are read until just past it (so the catalog can tell a
   * cut from a list of exactly this many, and say so), ISRCs are looked up only for the tracks kept, and
   * the page budget is derived from it. @defaultValue 1000 (`jobs.maxTracksPerCollection`)
   */
  maxTracks?: number;
  /**
   * Read playlists through the Web API. Only true once the client holds a user token of the playlists'
   * owner: this service has no such authorisation (a future admin PKCE login would set this), and with
   * client credentials alone Spotify answers 403 to every playlist's `/items` (FACTS.md, Spotify: navispot
   * PR #24, smudge PR #113, spoton #119), so without it playlists go to the embed page with no call.
   * @defaultValue false
   */
  ownerAuthorised?: boolean;
  /** Service-wide pause memory shared through Redis; without it nothing is remembered between resolves. */
  pauses?: ServicePauses;
  /** Where the operator is told about a lapsed Premium or a long pause; without it, only the log. */
  notices?: OperatorNotices;
  /** How long the Web API rests after the Premium-lapse 403 before it is tried again. @defaultValue 3600 */
  premiumLapsePauseSeconds?: number;
}

/** The pause every process honours before calling the Web API (see service-pauses.ts). */
const pausedService = "spotify_api";
/** How often the operator is reminded of a lapsed Premium, however many jobs meet it. */
const premiumNoticeSeconds = 6 * 3600;
const premiumPauseReason = "the Spotify app owner's Premium subscription has lapsed";

/** Editorial and algorithmic playlists owned by Spotify; closed to new apps since November 2024. */
export const editorialPlaylistPrefix = "37i9dQZF";

const albumPageLimit = 50;
const playlistPageLimit = 100;

const albumTracksPage = pagingSchema(simplifiedTrackSchema);
const playlistItemsPage = pagingSchema(playlistRowSchema);

/**
 * Why reading a paged list stopped before its last page: more rows than the cap (`enough`; the catalog
 * cuts and says so), a page already read or one that repeats earlier rows (`loop`), an empty page that
 * still points further (`empty`), or more pages than the cap can need (`budget`).
 */
type PageStop = "enough" | "loop" | "empty" | "budget";

/** Pages allowed beyond what the cap needs at the page size asked for (room for a short page or two). */
const pageSlack = 2;

/** Create the `api` provider. The client (and its cached token) lives as long as the provider. */
export function createApiProvider(
  options: ApiProviderOptions,
): CatalogProvider & { readonly client: WebApiClient } {
  const client = new WebApiClient(options);
  const market = encodeURIComponent(options.market ?? "US");
  const log = options.logger;
  const maxTracks = options.maxTracks ?? defaultMaxTracks;
  const apiBase = options.apiBaseUrl.replace(/\/+$/, "") + "/";

  /** One page's identity, whatever else the server puts in its URL: the list's path and the offset. */
  function pageKey(next: string): string {
    try {
      const url = new URL(next, apiBase);
      return `${url.pathname}@${url.searchParams.get("offset") ?? url.search}`;
    } catch {
      return next;
    }
  }

  /**
   * Follow `next` from the rows already read, within bounds that hold whatever the server says (a lying
   * `total`, a `next` that points back, endless pages): stop once more than `maxTracks` rows are in, at a
   * page already read, at a page that brings nothing new, and after a page budget derived from the cap.
   */
  async function readPages<T>(
    rows: T[],
    next: string | null | undefined,
    schema: z.ZodType<{ items: T[]; next?: string | null | undefined }>,
    pageLimit: number,
    keyOf: (row: T) => string | undefined,
    signal?: AbortSignal,
  ): Promise<{ stop?: PageStop; pages: number }> {
    const budget = Math.ceil((maxTracks + 1) / pageLimit) + pageSlack;
    const read = new Set<string>();
    const known = new Set(rows.map(keyOf).filter((k) => k !== undefined));
    let pages = 0;
    for (; next; pages++) {
      if (rows.length > maxTracks) return { stop: "enough", pages };
      const key = pageKey(next);
      if (read.has(key)) return { stop: "loop", pages };
      if (pages >= budget) return { stop: "budget", pages };
      read.add(key);
      const page = await get(next, schema, signal);
      const keys = page.items.map(keyOf);
      // A page of rows already listed is the list starting over under another URL. Rows that repeat
      // inside a page with new ones are kept: a playlist may hold a song twice.
      if (page.next && keys.every((k) => k !== undefined && known.has(k))) {
        return { stop: page.items.length === 0 ? "empty" : "loop", pages: pages + 1 };
      }
      rows.push(...page.items);
      for (const k of keys) if (k !== undefined) known.add(k);
      next = page.next;
    }
    return { pages };
  }

  /** What the person is told when a list was not read to its end for a reason other than the cap. */
  function stopNote(stop: PageStop | undefined, kind: string, tracks: number, pages: number): string[] {
    const after = `so I stopped reading it after ${tracks} ${tracks === 1 ? "track" : "tracks"}; it may have more.`;
    switch (stop) {
      case "loop":
        return [`Spotify's Web API sent the same page of this ${kind} again, ${after}`];
      case "empty":
        return [`Spotify's Web API sent an empty page in the middle of this ${kind}, ${after}`];
      case "budget":
        return [
          `Spotify's Web API kept sending pages of this ${kind} (${pages} of them) without reaching its end, ${after}`,
        ];
      case "enough":
        // The catalog tells of the cut when more tracks than the cap came back; fewer means rows were
        // skipped (episodes, local files) among the ones read.
        return tracks > maxTracks
          ? []
          : [
              `Only the first ${maxTracks.toLocaleString("en-US")} entries of this ${kind} were read, this bot's limit per link.`,
            ];
      default:
        return [];
    }
  }

  /** Every Web API call goes through here, so a failure that should pause the service is never missed. */
  async function get<S extends z.ZodType>(
    path: string,
    schema: S,
    signal?: AbortSignal,
  ): Promise<z.infer<S>> {
    try {
      return await client.get(path, schema, signal);
    } catch (err) {
      if (err instanceof ProviderError) await remember(err);
      throw err;
    }
  }

  /** Pause the Web API service-wide and tell the operator, when `err` says Spotify will not answer for a while. */
  async function remember(err: ProviderError): Promise<void> {
    if (err.failure === "premium_lapsed") {
      const seconds = options.premiumLapsePauseSeconds ?? 3600;
      const result = await safely(() => options.pauses?.pause(pausedService, seconds, premiumPauseReason));
      const until = formatUntil(result?.pause.until ?? Date.now() + seconds * 1000);
      log?.warn({ detail: err.message }, "spotify app owner's premium lapsed; web api paused");
      await safely(() =>
        options.notices?.notify(
          "spotify_premium_lapsed",
          `Spotify's Web API answers every call with 403 "Active premium subscription required for the owner of the app": ` +
            `the Premium subscription of the Spotify developer account that owns this bot's app has lapsed. ` +
            `Renew Premium on that account (the one that owns the app at developer.spotify.com). ` +
            `Until then links are read from Spotify's public embed page (no ISRCs, playlists cut at 100 tracks); ` +
            `the Web API is paused until ${until} and then tried again.`,
          { once: { key: "spotify_premium_lapsed", seconds: premiumNoticeSeconds } },
        ),
      );
      return;
    }
    const wait = err.retryAfterSeconds;
    if (wait === undefined) return;
    const longWait = err.failure === "rate_limited" && wait > options.maxRetryAfterSeconds;
    const quota = err.failure === "quota";
    if (!longWait && !quota) return;
    const reason = quota
      ? `Spotify asked us to wait ${humanSeconds(wait)}: this bot's Web API quota is used up (QUOTA_EXCEEDED)`
      : `Spotify asked us to wait ${humanSeconds(wait)} (HTTP 429 with Retry-After: ${wait})`;
    const result = await safely(() => options.pauses?.pause(pausedService, wait, reason));
    log?.warn({ retryAfter: wait, quota }, "spotify web api paused");
    if (result && !result.started) return; // a pause was already in force: its notice was written then
    const until = formatUntil(result?.pause.until ?? Date.now() + wait * 1000);
    await safely(() =>
      options.notices?.notify(
        "spotify_paused",
        `${reason}. Spotify's Web API is paused until ${until} for every worker; ` +
          `links are read from Spotify's public embed page meanwhile (no ISRCs, playlists cut at 100 tracks). ` +
          (quota
            ? "The quota is per developer account; nothing to do unless this keeps happening."
            : "Nothing to do unless this keeps happening."),
        { once: { key: "spotify_paused", seconds: Math.max(60, Math.round(wait)) } },
      ),
    );
  }

  /** Pause memory and notices are a help, never a reason to fail the person's link: failures are logged. */
  async function safely<T>(store: () => Promise<T> | undefined): Promise<T | undefined> {
    try {
      return await store();
    } catch (storeErr) {
      log?.warn(
        { err: storeErr instanceof Error ? storeErr.message : String(storeErr) },
        "could not record a spotify pause or notice",
      );
      return undefined;
    }
  }

  /** The pause in force, if any (an unreachable Redis counts as none). */
  async function pauseInForce(): Promise<Pause | undefined> {
    if (!options.pauses) return undefined;
    try {
      return await options.pauses.get(pausedService);
    } catch (err) {
      log?.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "could not read the spotify pause",
      );
      return undefined;
    }
  }

  async function resolveTrack(ref: SpotifyRef, signal?: AbortSignal): Promise<Collection> {
    const track = await get(`tracks/${ref.id}?market=${market}`, trackSchema, signal);
    const mapped = fromTrackObject(track);
    return {
      ref,
      title: mapped.title,
      subtitle: mapped.artists.join(", "),
      coverUrl: mapped.coverUrl,
      tracks: [mapped],
      total: 1,
      truncated: false,
      provider: "api",
      notes: [],
    };
  }

  async function resolveAlbum(ref: SpotifyRef, signal?: AbortSignal): Promise<Collection> {
    const album = await get(`albums/${ref.id}?market=${market}`, albumSchema, signal);
    const rows: SimplifiedTrackObject[] = [...album.tracks.items];
    let next = album.tracks.next;
    if (next && !/[?&]limit=/.test(next)) next += `&limit=${albumPageLimit}`;
    const { stop, pages } = await readPages(rows, next, albumTracksPage, albumPageLimit, (r) => r.id, signal);
    // One row past the cap tells the catalog the album was cut; no ISRC is looked up for rows it drops.
    const kept = rows.slice(0, maxTracks + 1);
    const notes: string[] = [];
    const isrcs =
      options.albumIsrcs === false
        ? new Map<string, string>()
        : await albumIsrcs(kept.slice(0, maxTracks), notes, signal);
    const tracks = kept.map((row) => fromAlbumRow(row, album, isrcs.get(row.id)));
    return {
      ref,
      title: album.name,
      subtitle: album.artists.map((a) => a.name).join(", "),
      coverUrl: largestImage(album.images),
      tracks,
      total: album.tracks.total,
      truncated: stop !== undefined,
      provider: "api",
      notes: [...stopNote(stop, "album", tracks.length, pages), ...notes],
    };
  }

  /** ISRCs by track id; stops quietly (with a note) at the first failure, since the album itself is fine. */
  async function albumIsrcs(
    rows: SimplifiedTrackObject[],
    notes: string[],
    signal?: AbortSignal,
  ): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const queue = rows.filter((r) => !r.external_ids?.isrc).map((r) => r.id);
    for (const row of rows) if (row.external_ids?.isrc) found.set(row.id, row.external_ids.isrc);
    let failed = false;
    const worker = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined && !failed; id = queue.shift()) {
        try {
          const track = await get(`tracks/${id}?market=${market}`, trackSchema, signal);
          if (track.external_ids?.isrc) found.set(id, track.external_ids.isrc);
        } catch (err) {
          if (!(err instanceof ProviderError)) throw err;
          failed = true;
        }
      }
    };
    const lanes = Math.max(1, Math.min(options.detailConcurrency ?? 4, queue.length));
    await Promise.all(Array.from({ length: lanes }, worker));
    if (failed)
      notes.push(
        "Some tracks have no ISRC (Spotify stopped answering), so their matches rely on names and durations.",
      );
    return found;
  }

  /** Only with an owner authorisation (see {@link ApiProviderOptions.ownerAuthorised}); never today. */
  async function resolvePlaylist(ref: SpotifyRef, signal?: AbortSignal): Promise<Collection> {
    if (ref.id.startsWith(editorialPlaylistPrefix)) {
      throw new ProviderError(
        "api",
        "closed",
        "This is one of Spotify's own editorial playlists, which Spotify closed to new apps' Web API access in November 2024.",
      );
    }
    let playlist;
    try {
      playlist = await get(`playlists/${ref.id}?market=${market}`, playlistSchema, signal);
    } catch (err) {
      throw forbiddenPlaylist(err);
    }
    const list = playlist.items ?? playlist.tracks;
    const rows: PlaylistRow[] = [...(list?.items ?? [])];
    const next: string | null | undefined = list?.items
      ? list.next
      : `playlists/${ref.id}/items?limit=${playlistPageLimit}&offset=0&market=${market}`;
    let paged: Awaited<ReturnType<typeof readPages>>;
    try {
      paged = await readPages(rows, next, playlistItemsPage, playlistPageLimit, playlistRowKey, signal);
    } catch (err) {
      throw forbiddenPlaylist(err);
    }
    const tracks: Track[] = [];
    let skipped = 0;
    for (const row of rows.slice(0, maxTracks + 1)) {
      const parsed = trackSchema.safeParse(row.item ?? row.track);
      if (
        !parsed.success ||
        row.is_local === true ||
        parsed.data.is_local === true ||
        parsed.data.type !== "track"
      ) {
        skipped++;
        continue;
      }
      tracks.push({ ...fromTrackObject(parsed.data), trackNumber: tracks.length + 1, discNumber: 1 });
    }
    const notes = stopNote(paged.stop, "playlist", tracks.length, paged.pages);
    if (skipped > 0) {
      notes.push(
        `${skipped} ${skipped === 1 ? "entry was" : "entries were"} skipped: podcast episodes, local files or tracks no longer on Spotify.`,
      );
    }
    return {
      ref,
      title: playlist.name,
      subtitle: playlist.owner?.display_name ?? playlist.owner?.id ?? undefined,
      coverUrl: largestImage(playlist.images ?? []),
      tracks,
      total: list?.total ?? rows.length,
      truncated: paged.stop !== undefined,
      provider: "api",
      notes,
    };
  }

  return {
    name: "api",
    client,
    async resolve(ref, signal) {
      if (ref.kind === "playlist" && options.ownerAuthorised !== true) {
        // The seam for a future admin PKCE authorisation: with the owner's user token, `ownerAuthorised`
        // lets resolvePlaylist read the owner's own playlists. With client credentials every `/items`
        // answers 403 in development mode, so no call is spent: the catalog goes to the embed page, and
        // the person is told nothing (it is the normal route, not something wrong with their link).
        throw new ProviderError(
          "api",
          "skipped",
          "Spotify's Web API does not share playlists with this bot; only Spotify's public embed page can read them.",
        );
      }
      const pause = await pauseInForce();
      if (pause) throw pausedError(pause);
      switch (ref.kind) {
        case "track":
          return resolveTrack(ref, signal);
        case "album":
          return resolveAlbum(ref, signal);
        case "playlist":
          return resolvePlaylist(ref, signal);
      }
    },
  };
}

/** Skipped with no request: the Web API is paused. Says why in the person's words, never blaming the link. */
function pausedError(pause: Pause): ProviderError {
  const until = formatUntil(pause.until);
  const userReason = /premium/i.test(pause.reason)
    ? `Spotify's Web API is switched off for this bot until its admin renews the Spotify account behind it (next try after ${until}); your link is fine.`
    : /quota/i.test(pause.reason)
      ? `This bot's Spotify Web API quota is used up, so the Web API is resting until ${until}.`
      : `Spotify's Web API is resting until ${until}, as Spotify asked.`;
  return new ProviderError("api", "paused", userReason, {
    detail: `spotify web api paused until ${new Date(pause.until).toISOString()}: ${pause.reason}`,
  });
}

/** A playlist row's track or episode id, to tell a page that repeats earlier rows. */
function playlistRowKey(row: PlaylistRow): string | undefined {
  const item = row.item ?? row.track;
  if (typeof item !== "object" || item === null || !("id" in item)) return undefined;
  return typeof item.id === "string" ? item.id : undefined;
}

function forbiddenPlaylist(err: unknown): unknown {
  if (err instanceof ProviderError && err.failure === "forbidden") {
    return new ProviderError(
      "api",
      "forbidden",
      "Spotify's Web API only lets this bot read playlists its owner created or collaborates on, and this one is someone else's.",
      { cause: err, detail: err.message },
    );
  }
  return err;
}

/** A Web API track object as the catalog's {@link Track} (exported for replaying recorded traffic). */
export function fromTrackObject(t: TrackObject): Track {
  return {
    id: t.id,
    title: t.name,
    artists: t.artists.map((a) => a.name),
    album: t.album.name,
    albumArtist: t.album.artists[0]?.name ?? t.artists[0]?.name ?? "",
    trackNumber: t.track_number,
    discNumber: t.disc_number,
    durationMs: t.duration_ms,
    isrc: t.external_ids?.isrc,
    explicit: t.explicit,
    releaseDate: t.album.release_date ?? undefined,
    coverUrl: largestImage(t.album.images),
    albumUpc: t.album.external_ids?.upc,
  };
}

function fromAlbumRow(row: SimplifiedTrackObject, album: AlbumObject, isrc: string | undefined): Track {
  return {
    id: row.id,
    title: row.name,
    artists: row.artists.map((a) => a.name),
    album: album.name,
    albumArtist: album.artists[0]?.name ?? row.artists[0]?.name ?? "",
    trackNumber: row.track_number,
    discNumber: row.disc_number,
    durationMs: row.duration_ms,
    isrc,
    explicit: row.explicit,
    releaseDate: album.release_date ?? undefined,
    coverUrl: largestImage(album.images),
    albumUpc: album.external_ids?.upc,
    ...albumCredits(album),
  };
}

/**
 * Genre (the first the album lists; usually none), label and copyright line (the © one before the ℗ one)
 * of a full album object, left out when Spotify gives none.
 */
export function albumCredits(album: AlbumObject): Pick<Track, "genre" | "label" | "copyright"> {
  const genre = album.genres?.find((g) => g.trim() !== "")?.trim();
  const label = album.label?.trim();
  const copyrights = album.copyrights ?? [];
  const copyright = (copyrights.find((c) => c.type === "C") ?? copyrights[0])?.text.trim();
  return {
    ...(genre ? { genre } : {}),
    ...(label ? { label } : {}),
    ...(copyright ? { copyright } : {}),
  };
}

function largestImage(images: readonly { url: string; width?: number | null }[]): string | undefined {
  let best: { url: string; width?: number | null } | undefined;
  for (const image of images) if (!best || (image.width ?? 0) > (best.width ?? 0)) best = image;
  return best?.url;
}
