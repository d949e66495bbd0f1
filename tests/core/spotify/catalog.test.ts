import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isUserFacing } from "../../../src/core/errors.js";
import { createCatalog, resolveLink, type CatalogOptions } from "../../../src/core/spotify/catalog.js";
import { formatCollection } from "../../../src/core/spotify/format-collection.js";
import {
  bigNotOwnedPlaylist,
  demoAlbum,
  editorialPlaylist,
  emulatorCredentials,
  notOwnedPlaylist,
  shortLinkCodes,
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

function options(overrides: Partial<CatalogOptions> = {}): CatalogOptions {
  return {
    providers: ["api", "embed"],
    ...emulatorCredentials,
    apiBaseUrl: emu.apiBaseUrl,
    accountsBaseUrl: emu.url,
    embedBaseUrl: emu.url,
    shortLinkBaseUrl: emu.url,
    maxRetryAfterSeconds: 5,
    requestTimeoutMs: 5_000,
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; userMessage: string }> {
  try {
    await promise;
  } catch (err) {
    if (!isUserFacing(err)) throw err;
    return { code: err.code, userMessage: err.userMessage };
  }
  throw new Error("resolved");
}

const forbiddenNote =
  "The Spotify Web API was not used: Spotify's Web API only lets this bot read playlists its owner created or collaborates on, and this one is someone else's.";

describe("catalog", () => {
  it("answers from the Web API first", async () => {
    const collection = await createCatalog(options()).resolve(
      `https://open.spotify.com/album/${demoAlbum.id}?si=1`,
    );
    expect(collection.provider).toBe("api");
    expect(collection.tracks.map((t) => t.isrc)).toEqual(demoAlbum.tracks.map((t) => t.isrc));
    expect(collection.notes).toEqual([]);
  });

  it("falls through to the embed page on a 403 and keeps the reason", async () => {
    const collection = await createCatalog(options()).resolve(`spotify:playlist:${notOwnedPlaylist.id}`);
    expect(collection.provider).toBe("embed");
    expect(collection.tracks).toHaveLength(notOwnedPlaylist.tracks.length);
    expect(collection.notes).toEqual([forbiddenNote]);
  });

  it("tells the person a refused playlist was cut at 100", async () => {
    const collection = await createCatalog(options()).resolve(`spotify:playlist:${bigNotOwnedPlaylist.id}`);
    expect(collection).toMatchObject({ provider: "embed", truncated: true });
    expect(collection.tracks).toHaveLength(100);
    expect(collection.notes).toEqual([
      forbiddenNote,
      "Only the first 100 tracks are included: Spotify's public embed page lists no more.",
    ]);
  });

  it("explains editorial playlists and still reads them from the embed page", async () => {
    const collection = await createCatalog(options()).resolve(`spotify:playlist:${editorialPlaylist.id}`);
    expect(collection.provider).toBe("embed");
    expect(collection.notes[0]).toBe(
      "The Spotify Web API was not used: This is one of Spotify's own editorial playlists, which Spotify closed to new apps' Web API access in November 2024.",
    );
  });

  it("fails over when Spotify asks for a wait over the cap, and reports QUOTA_EXCEEDED", async () => {
    emu.control.failNext({ status: 429, retryAfter: 600 });
    const limited = await createCatalog(options()).resolve(`spotify:album:${demoAlbum.id}`);
    expect(limited.provider).toBe("embed");
    expect(limited.notes[0]).toBe(
      "The Spotify Web API was not used: Spotify's Web API asked us to wait 10 min, longer than this bot waits (5 s).",
    );
    emu.control.failNext({ status: 429, retryAfter: 3600, reason: "QUOTA_EXCEEDED" });
    const quota = await createCatalog(options()).resolve(`spotify:album:${demoAlbum.id}`);
    expect(quota.provider).toBe("embed");
    expect(quota.notes[0]).toContain("(QUOTA_EXCEEDED)");
  });

  it("says why when no provider could answer", async () => {
    emu.control.failNext({ status: 429, retryAfter: 3600, reason: "QUOTA_EXCEEDED" });
    expect(
      await rejection(
        createCatalog(options({ providers: ["api"] })).resolve(`spotify:album:${demoAlbum.id}`),
      ),
    ).toEqual({
      code: "catalog_unavailable",
      userMessage:
        "I couldn't read that album from Spotify. This bot's Spotify Web API quota is used up (QUOTA_EXCEEDED); Spotify says to come back in about 60 min.",
    });
    expect(await rejection(createCatalog(options()).resolve(`spotify:track:${"x".repeat(22)}`))).toEqual({
      code: "catalog_not_found",
      userMessage: "Spotify doesn't know that track: it may have been deleted, or be private.",
    });
  });

  it("leaves the Web API out without credentials", async () => {
    const catalog = createCatalog(options({ clientId: "", clientSecret: "" }));
    expect(catalog.providers).toEqual(["embed"]);
    expect((await catalog.resolve(`spotify:album:${demoAlbum.id}`)).provider).toBe("embed");
    expect(emu.control.counts.token).toBe(0);
    expect(
      await rejection(
        createCatalog(options({ clientId: "", providers: ["api"] })).resolve(`spotify:album:${demoAlbum.id}`),
      ),
    ).toEqual({
      code: "catalog_unavailable",
      userMessage:
        "This bot can't read Spotify right now: no Spotify credentials are configured and no other source is enabled.",
    });
  });

  it("resolves short links before asking the providers", async () => {
    const catalog = createCatalog(options());
    expect(await catalog.canonicalRef(`look: https://spotify.link/${shortLinkCodes.demoAlbum}`)).toEqual({
      kind: "album",
      id: demoAlbum.id,
      uri: `spotify:album:${demoAlbum.id}`,
    });
    const collection = await resolveLink(`https://spotify.link/${shortLinkCodes.demoAlbum}`, options());
    expect(collection.ref.id).toBe(demoAlbum.id);
  });

  it("formats a collection for the CLI", async () => {
    const collection = await resolveLink(`spotify:album:${demoAlbum.id}`, options());
    expect(formatCollection(collection)).toBe(
      [
        "Album: Façades & Fjords — Léa Marchand",
        `spotify:album:${demoAlbum.id}`,
        "",
        "1. Léa Marchand — Café au Lait  0:34",
        "2. Léa Marchand, Jørgen Ås — Über den Fjord  0:48",
        "3. Léa Marchand — Señal de Humo  0:58",
        "4. Léa Marchand — Déjà Vu à Montréal  1:12",
        "5. Léa Marchand — Ça Ira  1:35",
        "",
        "5 tracks, 5:08 in total, from the Spotify Web API.",
      ].join("\n"),
    );
    const cut = await resolveLink(`spotify:playlist:${bigNotOwnedPlaylist.id}`, options());
    const text = formatCollection(cut);
    expect(text).toContain("100. ");
    expect(text).toContain("from Spotify's public embed page.");
    expect(text).toContain("Cut: only the first 100 tracks are listed; the playlist may have more.");
    expect(text).toContain(`Notes:\n- ${forbiddenNote}`);
  });
});
