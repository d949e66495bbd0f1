/**
 * The JSON objects the emulated Web API answers with, built from the catalog and shaped like Spotify's:
 * simplified and full tracks (with the album and its ISRC), albums with their first 50 tracks, playlists
 * whose rows say `item` (not `track`), and the paging object with absolute `href`/`next`/`previous` URLs on
 * the emulator's own origin, which is also where cover image URLs point.
 */
import { albumsById, type CatalogAlbum, type CatalogPlaylist, type CatalogTrack } from "./catalog.js";
import { coverImage } from "./cover-image.js";

/** One page of a list, as the Web API's paging object. */
export interface PageRequest {
  offset: number;
  limit: number;
}

/** Builders of Web API objects whose URLs start with `origin` (`http://127.0.0.1:{port}`). */
export function createWebApiObjects(origin: string) {
  const image = (coverPath: string) => [coverImage(origin, coverPath)];
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
        playlist.listing,
      ),
    };
  }

  /** One page; `listing` makes it misbehave as {@link CatalogPlaylist.listing} says. */
  function paging<T>(
    path: string,
    all: T[],
    page: PageRequest,
    map: (t: T) => unknown,
    listing?: CatalogPlaylist["listing"],
  ) {
    const href = (offset: number) => `${origin}${path}?offset=${offset}&limit=${page.limit}`;
    const end = page.offset + (listing === "trickles" ? 1 : page.limit);
    return {
      href: href(page.offset),
      items: all.slice(page.offset, end).map(map),
      limit: page.limit,
      offset: page.offset,
      total: listing === "trickles" ? 1 : all.length,
      next: listing === "loops" ? href(page.offset) : end < all.length ? href(end) : null,
      previous: page.offset > 0 ? href(Math.max(0, page.offset - page.limit)) : null,
    };
  }

  return { simplifiedTrack, fullTrack, albumObject, playlistRow, playlistObject, paging };
}
