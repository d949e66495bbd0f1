import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEmbedProvider } from "../../../src/core/spotify/embed-provider.js";
import { spotifyRef } from "../../../src/core/spotify/link-parser.js";
import { ProviderError } from "../../../src/core/spotify/provider.js";
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
      "Only the first 100 tracks are included: Spotify's public embed page lists no more.",
    ]);
  });

  it("reports unknown items and broken pages", async () => {
    await expect(provider().resolve(spotifyRef("album", "x".repeat(22)))).rejects.toMatchObject({
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
});
