/**
 * The `api` provider: the official Web API with client credentials. Richest metadata (ISRC, UPC, disc
 * numbers), but since 2026 it only reads playlists the app owner owns, and never Spotify's editorial ones.
 */
import { ProviderError, type CatalogProvider } from "./provider.js";
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
}

/** Editorial and algorithmic playlists owned by Spotify; closed to new apps since November 2024. */
export const editorialPlaylistPrefix = "37i9dQZF";

const albumPageLimit = 50;
const playlistPageLimit = 100;

const albumTracksPage = pagingSchema(simplifiedTrackSchema);
const playlistItemsPage = pagingSchema(playlistRowSchema);

/** Create the `api` provider. The client (and its cached token) lives as long as the provider. */
export function createApiProvider(
  options: ApiProviderOptions,
): CatalogProvider & { readonly client: WebApiClient } {
  const client = new WebApiClient(options);
  const market = encodeURIComponent(options.market ?? "US");

  async function resolveTrack(ref: SpotifyRef, signal?: AbortSignal): Promise<Collection> {
    const track = await client.get(`tracks/${ref.id}?market=${market}`, trackSchema, signal);
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
    const album = await client.get(`albums/${ref.id}?market=${market}`, albumSchema, signal);
    const rows: SimplifiedTrackObject[] = [...album.tracks.items];
    let next = album.tracks.next;
    if (next && !/[?&]limit=/.test(next)) next += `&limit=${albumPageLimit}`;
    while (next) {
      const page = await client.get(next, albumTracksPage, signal);
      rows.push(...page.items);
      next = page.next;
    }
    const notes: string[] = [];
    const isrcs =
      options.albumIsrcs === false ? new Map<string, string>() : await albumIsrcs(rows, notes, signal);
    const tracks = rows.map((row) => fromAlbumRow(row, album, isrcs.get(row.id)));
    return {
      ref,
      title: album.name,
      subtitle: album.artists.map((a) => a.name).join(", "),
      coverUrl: largestImage(album.images),
      tracks,
      total: album.tracks.total,
      truncated: false,
      provider: "api",
      notes,
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
          const track = await client.get(`tracks/${id}?market=${market}`, trackSchema, signal);
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
      playlist = await client.get(`playlists/${ref.id}?market=${market}`, playlistSchema, signal);
    } catch (err) {
      throw forbiddenPlaylist(err);
    }
    const list = playlist.items ?? playlist.tracks;
    const rows: PlaylistRow[] = [...(list?.items ?? [])];
    let next: string | null | undefined = list?.items
      ? list.next
      : `playlists/${ref.id}/items?limit=${playlistPageLimit}&offset=0&market=${market}`;
    while (next) {
      let page;
      try {
        page = await client.get(next, playlistItemsPage, signal);
      } catch (err) {
        throw forbiddenPlaylist(err);
      }
      rows.push(...page.items);
      next = page.next;
    }
    const tracks: Track[] = [];
    let skipped = 0;
    for (const row of rows) {
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
    const notes: string[] = [];
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
      truncated: false,
      provider: "api",
      notes,
    };
  }

  return {
    name: "api",
    client,
    resolve(ref, signal) {
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
  };
}

function largestImage(images: readonly { url: string; width?: number | null }[]): string | undefined {
  let best: { url: string; width?: number | null } | undefined;
  for (const image of images) if (!best || (image.width ?? 0) > (best.width ?? 0)) best = image;
  return best?.url;
}
