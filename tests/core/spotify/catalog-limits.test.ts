/**
 * The catalog's bounds against a catalog that says anything: a cap on tracks per link, a page budget,
 * loop detection and one deadline per resolve, each ending in a sentence the person can read. Through the
 * Spotify stand-in, whose huge, looping and trickling listings play the hostile server.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isUserFacing } from "../../../src/core/errors.js";
import { createConfig } from "../../../src/core/config/load.js";
import { createCatalog, type CatalogOptions } from "../../../src/core/spotify/catalog.js";
import {
  endlessAlbum,
  hugePlaylist,
  loopingPlaylist,
  shortAlbum,
  startSpotifyEmulator,
  tricklingPlaylist,
  type SpotifyEmulator,
} from "../../../src/emulators/spotify/index.js";
import { emulatorCatalogOptions } from "./emulator-catalog.js";

let emu: SpotifyEmulator;
beforeEach(async () => {
  emu = await startSpotifyEmulator();
});
afterEach(async () => {
  await emu.close();
});

function catalog(overrides: Partial<CatalogOptions> = {}) {
  return createCatalog(emulatorCatalogOptions(emu, { maxTracks: 30, ...overrides }));
}

/** Requests the stand-in's Web API got whose path contains `part`. */
function apiRequests(part: string): number {
  return emu.control.requests.filter((r) => r.route === "api" && r.path.includes(part)).length;
}

describe("catalog limits", () => {
  it("cuts a 5,000-track album to the cap, reads only the page the cap needs, and says what was cut", async () => {
    const collection = await catalog().resolve(`spotify:album:${endlessAlbum.id}`);
    expect(collection.provider).toBe("api");
    expect(collection.tracks.map((t) => t.id)).toEqual(endlessAlbum.tracks.slice(0, 30).map((t) => t.id));
    expect(collection.truncated).toBe(true);
    expect(collection.total).toBe(5000);
    expect(collection.notes).toContain(
      "Only the first 30 of 5,000 tracks of this album are collected: this bot takes at most 30 tracks from one link.",
    );
    // The album with its first 50 rows, then an ISRC lookup for each kept track only: no further page.
    expect(apiRequests(`/albums/${endlessAlbum.id}`)).toBe(1);
    expect(apiRequests("/tracks/")).toBe(30);
    expect(collection.tracks.every((t) => t.isrc !== undefined)).toBe(true);
  });

  it("keeps a list of exactly the cap whole, with no note", async () => {
    const collection = await catalog({ maxTracks: shortAlbum.tracks.length }).resolve(
      `spotify:album:${shortAlbum.id}`,
    );
    expect(collection.tracks).toHaveLength(shortAlbum.tracks.length);
    expect(collection.truncated).toBe(false);
    expect(collection.notes).toEqual([]);
  });

  it("cuts a huge playlist read from the embed page to the cap and says so", async () => {
    const collection = await catalog().resolve(`spotify:playlist:${hugePlaylist.id}`);
    expect(collection.provider).toBe("embed");
    expect(collection.tracks).toHaveLength(30);
    expect(collection.truncated).toBe(true);
    expect(collection.notes).toContain(
      "Only the first 30 of at least 100 tracks of this playlist are collected: this bot takes at most 30 tracks from one link.",
    );
  });

  it("stops at once at a playlist page whose next link points back to itself", async () => {
    emu.control.setOwnerAuthorised(true);
    const collection = await catalog({ ownerAuthorised: true }).resolve(
      `spotify:playlist:${loopingPlaylist.id}`,
    );
    expect(collection.provider).toBe("api");
    expect(collection.tracks.map((t) => t.id)).toEqual(loopingPlaylist.tracks.map((t) => t.id));
    expect(collection.truncated).toBe(true);
    expect(collection.notes).toEqual([
      "Spotify's Web API sent the same page of this playlist again, so I stopped reading it after 3 tracks; it may have more.",
    ]);
    // The playlist with its first page, and the one page its `next` named, which repeated it.
    expect(apiRequests(`/playlists/${loopingPlaylist.id}`)).toBe(2);
  });

  it("stops endless one-row pages with a lying total at the page budget", async () => {
    emu.control.setOwnerAuthorised(true);
    const collection = await catalog({ ownerAuthorised: true }).resolve(
      `spotify:playlist:${tricklingPlaylist.id}`,
    );
    // A cap of 30 needs one page of 100; the budget is that plus two.
    expect(apiRequests(`/playlists/${tricklingPlaylist.id}/items`)).toBe(3);
    expect(collection.tracks).toHaveLength(4);
    expect(collection.truncated).toBe(true);
    expect(collection.notes).toEqual([
      "Spotify's Web API kept sending pages of this playlist (3 of them) without reaching its end, so I stopped reading it after 4 tracks; it may have more.",
    ]);
  });

  it("gives up a resolve that outlasts its deadline with a clear sentence", async () => {
    emu.control.failNext({ route: "any", delayMs: 10_000, count: 10 });
    const started = Date.now();
    const err = await catalog({ resolveTimeoutMs: 400 })
      .resolve(`spotify:album:${shortAlbum.id}`)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(isUserFacing(err)).toBe(true);
    expect(isUserFacing(err) && { code: err.code, message: err.userMessage }).toEqual({
      code: "catalog_timeout",
      message: "Spotify took too long to list this album: I stopped after 1 s. Please try again later.",
    });
  });

  it("has a cap of 1,000 tracks per link and a two-minute resolve deadline unless configured", () => {
    const { config } = createConfig({}, {});
    expect(config.jobs.maxTracksPerCollection).toBe(1000);
    expect(config.spotify.resolveTimeoutSeconds).toBe(120);
  });
});
