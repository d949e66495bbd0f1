import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApiProvider, type ApiProviderOptions } from "../../../src/core/spotify/api-provider.js";
import { spotifyRef } from "../../../src/core/spotify/link-parser.js";
import { ProviderError } from "../../../src/core/spotify/provider.js";
import {
  archiveAlbums,
  bigPlaylist,
  catalogTrackToTrack,
  cyrillicAlbum,
  editorialPlaylist,
  emulatorCredentials,
  explicitTwin,
  notOwnedPlaylist,
  roadTripPlaylist,
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

function provider(overrides: Partial<ApiProviderOptions> = {}) {
  return createApiProvider({
    ...emulatorCredentials,
    apiBaseUrl: emu.apiBaseUrl,
    accountsBaseUrl: emu.url,
    requestTimeoutMs: 5_000,
    maxRetryAfterSeconds: 30,
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error("resolved");
}

describe("api provider", () => {
  it("reads a track with ISRC and the cover on the emulator", async () => {
    const collection = await provider().resolve(spotifyRef("track", explicitTwin.id));
    const { albumUpc: _upc, ...expected } = catalogTrackToTrack(explicitTwin, emu.url);
    expect(collection).toMatchObject({
      provider: "api",
      title: "Midnight Static",
      total: 1,
      truncated: false,
    });
    expect(collection.tracks).toEqual([{ ...expected, albumUpc: undefined }]);
  });

  it("reads an album with UPC, every track's ISRC and the album's label", async () => {
    const collection = await provider().resolve(spotifyRef("album", cyrillicAlbum.id));
    expect(collection.title).toBe("Белые ночи");
    expect(collection.subtitle).toBe("Ансамбль «Северный ветер»");
    // The full album object names the label; its tracks carry it (for the file's label tag).
    expect(collection.tracks).toEqual(
      cyrillicAlbum.tracks.map((t) => ({ ...catalogTrackToTrack(t, emu.url), label: cyrillicAlbum.label })),
    );
    expect(emu.control.counts.api).toBe(1 + cyrillicAlbum.tracks.length);
  });

  it("follows next through every page of a long album", async () => {
    const album = archiveAlbums[0]!;
    const collection = await provider({ albumIsrcs: false }).resolve(spotifyRef("album", album.id));
    expect(collection.tracks.map((t) => t.id)).toEqual(album.tracks.map((t) => t.id));
    expect(collection.total).toBe(60);
    expect(emu.control.requests.filter((r) => r.route === "api").map((r) => r.path.split("?")[0])).toEqual([
      `/v1/albums/${album.id}`,
      `/v1/albums/${album.id}/tracks`,
    ]);
  });

  it("makes no request at all for a playlist under client credentials (every /items answers 403 in 2026)", async () => {
    // FACTS.md, Spotify: "Plan for 403 as the normal answer and go to the embed page without spending calls."
    const err = await failure(provider().resolve(spotifyRef("playlist", roadTripPlaylist.id)));
    expect(err.failure).toBe("skipped");
    expect(err.userReason).not.toMatch(/someone else|your|private/i);
    expect(emu.control.counts.api + emu.control.counts.token).toBe(0);
  });

  it("reads a playlist of 170 tracks over two pages with the owner's authorisation, numbering tracks by position", async () => {
    // The seam for a future admin authorisation: both the stand-in and the provider must opt in.
    emu.control.setOwnerAuthorised(true);
    const collection = await provider({ ownerAuthorised: true }).resolve(
      spotifyRef("playlist", bigPlaylist.id),
    );
    expect(collection.tracks).toHaveLength(bigPlaylist.tracks.length);
    expect(collection.tracks.map((t) => t.id)).toEqual(bigPlaylist.tracks.map((t) => t.id));
    expect(collection.tracks[169]).toMatchObject({ trackNumber: 170, isrc: bigPlaylist.tracks[169]!.isrc });
    expect(collection).toMatchObject({
      total: 170,
      truncated: false,
      title: bigPlaylist.name,
      subtitle: "CD-Collector Demo",
    });
    expect(emu.control.requests.filter((r) => r.route === "api").map((r) => r.path)).toEqual([
      `/v1/playlists/${bigPlaylist.id}?market=US`,
      `/v1/playlists/${bigPlaylist.id}/items?offset=100&limit=100`,
    ]);
  });

  it("asks for one token for many calls", async () => {
    emu.control.setOwnerAuthorised(true);
    const p = provider({ ownerAuthorised: true });
    await Promise.all([
      p.resolve(spotifyRef("track", explicitTwin.id)),
      p.resolve(spotifyRef("playlist", roadTripPlaylist.id)),
    ]);
    await p.resolve(spotifyRef("album", cyrillicAlbum.id));
    expect(emu.control.counts.token).toBe(1);
  });

  it("renews a token the server stopped accepting", async () => {
    const p = provider();
    await p.resolve(spotifyRef("track", explicitTwin.id));
    emu.control.expireTokens();
    await p.resolve(spotifyRef("track", explicitTwin.id));
    expect(emu.control.counts.token).toBe(2);
  });

  it("keeps the reason when a playlist is not the owner's (403)", async () => {
    emu.control.setOwnerAuthorised(true);
    const err = await failure(
      provider({ ownerAuthorised: true }).resolve(spotifyRef("playlist", notOwnedPlaylist.id)),
    );
    expect(err.failure).toBe("forbidden");
    expect(err.userReason).toBe(
      "Spotify's Web API only lets this bot read playlists its owner created or collaborates on, and this one is someone else's.",
    );
  });

  it("says editorial playlists are closed without asking Spotify", async () => {
    const err = await failure(
      provider({ ownerAuthorised: true }).resolve(spotifyRef("playlist", editorialPlaylist.id)),
    );
    expect(err.failure).toBe("closed");
    expect(err.userReason).toContain("Spotify's own editorial playlists");
    expect(emu.control.counts.api + emu.control.counts.token).toBe(0);
  });

  it("honours a Retry-After under the cap", async () => {
    emu.control.failNext({ status: 429, retryAfter: 1 });
    const started = Date.now();
    const collection = await provider().resolve(spotifyRef("track", explicitTwin.id));
    expect(collection.tracks[0]!.id).toBe(explicitTwin.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(emu.control.requests.filter((r) => r.route === "api").map((r) => r.status)).toEqual([429, 200]);
  });

  it("gives up at once on a Retry-After over the cap", async () => {
    emu.control.failNext({ status: 429, retryAfter: 120 });
    const started = Date.now();
    const err = await failure(
      provider({ maxRetryAfterSeconds: 30 }).resolve(spotifyRef("track", explicitTwin.id)),
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(err.failure).toBe("rate_limited");
    expect(err.userReason).toBe(
      "Spotify's Web API asked us to wait 2 min, longer than this bot waits (30 s).",
    );
  });

  it("reports QUOTA_EXCEEDED as such", async () => {
    emu.control.failNext({ status: 429, retryAfter: 86400, reason: "QUOTA_EXCEEDED" });
    const err = await failure(provider().resolve(spotifyRef("album", cyrillicAlbum.id)));
    expect(err.failure).toBe("quota");
    expect(err.userReason).toBe(
      "This bot's Spotify Web API quota is used up (QUOTA_EXCEEDED); Spotify says to come back in about 24 h.",
    );
  });

  it("tells the Premium-lapse 403 from a plain one, without blaming the link", async () => {
    // FACTS.md, Spotify: every call answers 403 "Active premium subscription required for the owner of
    // the app" (LavaSrc #334, spotDL #2634): an operator problem, not the person's link.
    emu.control.setPremiumLapsed(true);
    const err = await failure(provider().resolve(spotifyRef("track", explicitTwin.id)));
    expect(err.failure).toBe("premium_lapsed");
    expect(err.message).toContain("Active premium subscription required for the owner of the app");
    expect(err.userReason).toBe(
      "Spotify's Web API is switched off for this bot until its admin renews the Spotify account behind it; your link is fine.",
    );
    emu.control.setPremiumLapsed(false);
    emu.control.failNext({ status: 403 });
    expect((await failure(provider().resolve(spotifyRef("track", explicitTwin.id)))).failure).toBe(
      "forbidden",
    );
  });

  it("reports refused credentials and unknown ids", async () => {
    const bad = await failure(
      provider({ clientSecret: "wrong" }).resolve(spotifyRef("track", explicitTwin.id)),
    );
    expect(bad.failure).toBe("auth");
    const missing = await failure(provider().resolve(spotifyRef("album", "x".repeat(22))));
    expect(missing.failure).toBe("not_found");
  });

  it("times out on a Web API that does not answer", async () => {
    emu.control.failNext({ delayMs: 3_000 });
    const err = await failure(
      provider({ requestTimeoutMs: 300 }).resolve(spotifyRef("track", explicitTwin.id)),
    );
    expect(err.failure).toBe("unavailable");
    expect(err.userReason).toBe("Spotify's Web API did not answer within 1 s.");
  });

  it("stops at once when the caller aborts", async () => {
    emu.control.failNext({ status: 429, retryAfter: 20 });
    const controller = new AbortController();
    const pending = provider().resolve(spotifyRef("track", explicitTwin.id), controller.signal);
    // Abort while the provider waits out the 429.
    await vi.waitFor(() => expect(emu.control.requests.some((r) => r.status === 429)).toBe(true));
    controller.abort(new Error("cancelled"));
    await expect(pending).rejects.toThrow("cancelled");
  });
});
