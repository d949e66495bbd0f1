/**
 * The emulated public embed pages (`/embed/{track|album|playlist}/{id}` on open.spotify.com): an HTML page
 * whose last <script> is `__NEXT_DATA__`, the Next.js JSON that holds the entity (title, artists,
 * duration, cover, track list) the embed provider reads without a token. Like the real page it lists a
 * playlist's first 100 tracks only, keeps `<` out of the JSON, and answers an unknown or private id with
 * HTTP 200 and `props.pageProps.status: 404`.
 */
import type { ServerResponse } from "node:http";
import {
  albumsById,
  playlistsById,
  tracksById,
  type CatalogAlbum,
  type CatalogPlaylist,
  type CatalogTrack,
} from "./catalog.js";
import { coverImage } from "./cover-image.js";

/** How many of a playlist's tracks the embed page lists. */
const embedPlaylistLimit = 100;

/** The fields every embed entity starts with. */
function entityHead(type: "track" | "album" | "playlist", id: string, name: string, subtitle: string) {
  return { type, id, uri: `spotify:${type}:${id}`, name, title: name, subtitle };
}

/** The embed page handler for an emulator on `origin` (cover URLs point there). */
export function createEmbedPage(origin: string): (res: ServerResponse, path: string) => void {
  const coverArt = (coverPath: string) => ({ sources: [coverImage(origin, coverPath)] });
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
      ...entityHead("track", track.id, track.title, track.artists.join(", ")),
      artists: track.artists.map((name) => ({ name, uri: "spotify:artist:unknown" })),
      duration: track.durationMs,
      isExplicit: track.explicit,
      releaseDate: { isoString: `${track.releaseDate}T00:00:00Z` },
      coverArt: coverArt(track.coverPath),
    };
  }

  function embedAlbumEntity(album: CatalogAlbum) {
    return {
      ...entityHead("album", album.id, album.name, album.artists.join(", ")),
      releaseDate: { isoString: `${album.releaseDate}T00:00:00Z` },
      coverArt: coverArt(album.coverPath),
      trackList: album.tracks.map(embedRow),
    };
  }

  function embedPlaylistEntity(playlist: CatalogPlaylist) {
    return {
      ...entityHead("playlist", playlist.id, playlist.name, playlist.owner.displayName),
      coverArt: coverArt(playlist.coverPath),
      trackList: playlist.tracks.slice(0, embedPlaylistLimit).map(embedRow),
    };
  }

  return function handleEmbed(res, path) {
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
  };
}
