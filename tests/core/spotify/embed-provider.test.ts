import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEmbedProvider } from "../../../src/core/spotify/embed-provider.js";
import { spotifyRef } from "../../../src/core/spotify/link-parser.js";
import { ProviderError } from "../../../src/core/spotify/provider.js";
import type { FetchLike } from "../../../src/core/spotify/spotify-http.js";
import {
  bigPlaylist,
  demoAlbum,
  japaneseAlbum,
  notOwnedPlaylist,
  startSpotifyEmulator,
  type SpotifyEmulator,
} from "../../../src/emulators/spotify/index.js";

let emu: SpotifyEmulator;
beforeEach(async () => {
  emu = await startSpotifyEmulator();
});
afterEach(async () => {
  await emu.close();
});

const provider = () => createEmbedProvider({ embedBaseUrl: emu.url, requestTimeoutMs: 5_000 });

describe("embed provider", () => {
  it("reads an album's tracks, artists and durations without credentials", async () => {
    const collection = await provider().resolve(spotifyRef("album", demoAlbum.id));
    expect(collection).toMatchObject({
      provider: "embed",
      title: "Façades & Fjords",
      subtitle: "Léa Marchand",
      total: 5,
      truncated: false,
      notes: [],
      coverUrl: `${emu.url}/image/${demoAlbum.id}.jpg`,
    });
    expect(collection.tracks[1]).toEqual({
      id: demoAlbum.tracks[1]!.id,
      title: "Über den Fjord",
      artists: ["Léa Marchand", "Jørgen Ås"],
      artistCredit: "Léa Marchand, Jørgen Ås",
      album: "Façades & Fjords",
      albumArtist: "Léa Marchand",
      trackNumber: 2,
      discNumber: 1,
      durationMs: 47_800,
      explicit: false,
      releaseDate: "2021-05-14",
      coverUrl: `${emu.url}/image/${demoAlbum.id}.jpg`,
    });
    expect(emu.control.counts.token).toBe(0);
  });

  it("reads a single track with its explicit flag", async () => {
    const track = japaneseAlbum.tracks[0]!;
    const collection = await provider().resolve(spotifyRef("track", track.id));
    expect(collection.tracks).toEqual([
      expect.objectContaining({
        id: track.id,
        title: "東京の雨",
        artists: ["月見バンド"],
        explicit: true,
        durationMs: track.durationMs,
      }),
    ]);
  });

  it("reads a playlist the Web API refuses", async () => {
    const collection = await provider().resolve(spotifyRef("playlist", notOwnedPlaylist.id));
    expect(collection.tracks.map((t) => t.id)).toEqual(notOwnedPlaylist.tracks.map((t) => t.id));
    expect(collection.subtitle).toBe("Another Listener");
    expect(collection.truncated).toBe(false);
  });

  it("cuts playlists at 100 tracks and says so", async () => {
    const collection = await provider().resolve(spotifyRef("playlist", bigPlaylist.id));
    expect(collection.tracks).toHaveLength(100);
    expect(collection.tracks.map((t) => t.id)).toEqual(bigPlaylist.tracks.slice(0, 100).map((t) => t.id));
    expect(collection.truncated).toBe(true);
    expect(collection.notes).toEqual([
      "Spotify's public page lists at most 100 tracks; this playlist may have more.",
    ]);
  });

  it("reports unknown items and broken pages", async () => {
    await expect(provider().resolve(spotifyRef("album", "x".repeat(22)))).rejects.toMatchObject({
      failure: "not_found",
    });
    // The old shape (HTTP 404) still reads as not found.
    emu.control.failNext({ route: "embed", status: 404 });
    await expect(provider().resolve(spotifyRef("album", demoAlbum.id))).rejects.toMatchObject({
      failure: "not_found",
    });
    emu.control.failNext({ route: "embed", status: 503 });
    const err: unknown = await provider()
      .resolve(spotifyRef("album", demoAlbum.id))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({
      failure: "unavailable",
      userReason: "Spotify's embed page failed (HTTP 503).",
    });
  });

  it("reads the HTTP 200 'status 404' page as not found, in words that do not blame Spotify's format", async () => {
    // FACTS.md, Spotify: "an unknown or private id answers **HTTP 200** with `props.pageProps.status: 404`
    // and no `state`".
    const err: unknown = await provider()
      .resolve(spotifyRef("playlist", "x".repeat(22)))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({
      failure: "not_found",
      userReason:
        "Spotify's public page for that link shows nothing (not found): it may be private, deleted or mistyped.",
    });
    expect((err as ProviderError).userReason).not.toMatch(/changed/);
    expect(emu.control.requests.map((r) => r.status)).toEqual([200]);
  });
});

/** A page shaped like the real one: the page's own scripts, then `__NEXT_DATA__` last (FACTS.md, Spotify). */
function stubEmbed(entity: unknown): FetchLike {
  const json = JSON.stringify({ props: { pageProps: { state: { data: { entity } } } }, page: "/embed" });
  const html =
    `<!DOCTYPE html><html><head><script src="/main.js"></script></head><body><div id="__next"></div>` +
    `<script>self.x=1</script><script id="__NEXT_DATA__" type="application/json">${json}</script></body></html>`;
  return () => Promise.resolve(new Response(html, { headers: { "content-type": "text/html" } }));
}

const row = (n: number, subtitle: string) => ({
  // Rows as captured in 2026 (FACTS.md): {uri, uid, title, subtitle, isExplicit, duration, ...}, no artists.
  uri: `spotify:track:${String(n).padStart(22, "a")}`,
  uid: `uid${n}`,
  title: `Song ${n}`,
  subtitle,
  isExplicit: false,
  duration: 180_000 + n,
  isPlayable: true,
  playabilityReason: "PLAYABLE",
  audioPreview: null,
  entityType: "track",
});

describe("embed provider on the 2026 page shape", () => {
  const playlist = (rows: unknown[]) => ({
    type: "playlist",
    id: "p".repeat(22),
    name: "Captured",
    subtitle: "Someone",
    trackList: rows,
  });
  const embed = (entity: unknown) =>
    createEmbedProvider({
      embedBaseUrl: "https://open.spotify.com",
      requestTimeoutMs: 5_000,
      fetch: stubEmbed(entity),
    });

  it("keeps the whole credit 'Tyler, The Creator' for the performer tag, and splits artists only for scoring", async () => {
    // FACTS.md, Spotify: "artists only as `subtitle` joined by ", " (so "Tyler, The Creator" cannot be split safely)".
    const collection = await embed(
      playlist([row(1, "Tyler, The Creator"), row(2, "Kali Uchis, Tyler, The Creator")]),
    ).resolve(spotifyRef("playlist", "p".repeat(22)));
    expect(collection.tracks[0]).toMatchObject({
      artistCredit: "Tyler, The Creator",
      artists: ["Tyler", "The Creator"],
    });
    expect(collection.tracks[1]!.artistCredit).toBe("Kali Uchis, Tyler, The Creator");
  });

  it("says a playlist of exactly 100 rows may have more, since the page gives no total", async () => {
    // FACTS.md, Spotify: "no total, so a cut at 100 is invisible".
    const rows = Array.from({ length: 100 }, (_, i) => row(i + 1, "Band"));
    const collection = await embed(playlist(rows)).resolve(spotifyRef("playlist", "p".repeat(22)));
    expect(collection.tracks).toHaveLength(100);
    expect(collection).toMatchObject({ truncated: true, total: 100 });
    expect(collection.notes).toEqual([
      "Spotify's public page lists at most 100 tracks; this playlist may have more.",
    ]);
    const short = await embed(playlist(rows.slice(0, 99))).resolve(spotifyRef("playlist", "p".repeat(22)));
    expect(short).toMatchObject({ truncated: false, notes: [] });
  });
});
