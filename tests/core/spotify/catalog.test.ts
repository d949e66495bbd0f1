import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isUserFacing } from "../../../src/core/errors.js";
import { createCatalog, resolveLink, type CatalogOptions } from "../../../src/core/spotify/catalog.js";
import { formatCollection } from "../../../src/core/spotify/format-collection.js";
import { emulatorCatalogOptions } from "./emulator-catalog.js";
import {
  bigNotOwnedPlaylist,
  demoAlbum,
  editorialPlaylist,
  notOwnedPlaylist,
  roadTripPlaylist,
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
  return emulatorCatalogOptions(emu, overrides);
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

/** FACTS.md, Spotify: the embed page lists at most 100 playlist tracks and gives no total. */
const mayHaveMoreNote = "Spotify's public page lists at most 100 tracks; this playlist may have more.";

describe("catalog", () => {
  it("answers from the Web API first", async () => {
    const collection = await createCatalog(options()).resolve(
      `https://open.spotify.com/album/${demoAlbum.id}?si=1`,
    );
    expect(collection.provider).toBe("api");
    expect(collection.tracks.map((t) => t.isrc)).toEqual(demoAlbum.tracks.map((t) => t.isrc));
    expect(collection.notes).toEqual([]);
  });

  it("reads a playlist straight from the embed page: no call to /items, no note blaming the person", async () => {
    // FACTS.md, Spotify: with a client-credentials token "every playlist's `/items` answers 403 in
    // development mode … Plan for 403 as the normal answer and go to the embed page without spending calls."
    for (const playlist of [notOwnedPlaylist, roadTripPlaylist]) {
      const collection = await createCatalog(options()).resolve(`spotify:playlist:${playlist.id}`);
      expect(collection.provider).toBe("embed");
      expect(collection.tracks.map((t) => t.id)).toEqual(playlist.tracks.map((t) => t.id));
      expect(collection.notes).toEqual([]);
    }
    expect(emu.control.requests.filter((r) => r.path.includes("/items"))).toEqual([]);
    expect(emu.control.counts.api + emu.control.counts.token).toBe(0);
    expect(emu.control.counts.embed).toBe(2);
  });

  it("tells the person a playlist of 100 or more may have been cut", async () => {
    const collection = await createCatalog(options()).resolve(`spotify:playlist:${bigNotOwnedPlaylist.id}`);
    expect(collection).toMatchObject({ provider: "embed", truncated: true });
    expect(collection.tracks).toHaveLength(100);
    expect(collection.notes).toEqual([mayHaveMoreNote]);
  });

  it("reads editorial playlists from the embed page without asking the Web API", async () => {
    const collection = await createCatalog(options()).resolve(`spotify:playlist:${editorialPlaylist.id}`);
    expect(collection.provider).toBe("embed");
    expect(collection.tracks).toHaveLength(editorialPlaylist.tracks.length);
    expect(collection.notes).toEqual([]);
    expect(emu.control.counts.api + emu.control.counts.token).toBe(0);
  });

  it("says a link to nothing Spotify shows publicly is not found (embed page: HTTP 200, status 404)", async () => {
    // FACTS.md, Spotify: "an unknown or private id answers **HTTP 200** with `props.pageProps.status: 404`
    // and no `state`". Not "Spotify's embed page has changed": the link points to nothing public.
    const err = await rejection(createCatalog(options()).resolve(`spotify:playlist:${"q".repeat(22)}`));
    expect(err).toEqual({
      code: "catalog_not_found",
      userMessage:
        "Not found: that playlist link points to nothing Spotify shows publicly. It may be private, deleted or mistyped.",
    });
    expect(err.userMessage).not.toMatch(/changed/);
    expect(emu.control.requests.map((r) => [r.route, r.status])).toEqual([["embed", 200]]);
  });

  it("says a playlist can't be read when only the Web API is enabled", async () => {
    expect(
      await rejection(
        createCatalog(options({ providers: ["api"] })).resolve(`spotify:playlist:${roadTripPlaylist.id}`),
      ),
    ).toEqual({
      code: "catalog_unavailable",
      userMessage:
        "I couldn't read that playlist from Spotify. Spotify's Web API does not share playlists with this bot; only Spotify's public embed page can read them.",
    });
    expect(emu.control.counts.api + emu.control.counts.token).toBe(0);
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
      userMessage:
        "Not found: that track link points to nothing Spotify shows publicly. It may be private, deleted or mistyped.",
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
    expect(text).toContain(`Notes:\n- ${mayHaveMoreNote}`);
  });
});
