import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runProcess } from "../../../src/core/process-runner.js";
import {
  albums,
  archiveAlbums,
  bigPlaylist,
  cleanTwin,
  cyrillicAlbum,
  demoAlbum,
  editorialPlaylist,
  emulatorCredentials,
  explicitTwin,
  japaneseAlbum,
  notOwnedPlaylist,
  playlists,
  premiumLapsedMessage,
  roadTripPlaylist,
  shortLinkCodes,
  startSpotifyEmulator,
  tracksById,
  type SpotifyEmulator,
} from "../../../src/emulators/spotify/index.js";

let emu: SpotifyEmulator;
beforeEach(async () => {
  emu = await startSpotifyEmulator();
});
afterEach(async () => {
  await emu.close();
});

/** Loose view of JSON answers: the assertions check the shape. */
interface Page<T> {
  items: T[];
  total: number;
  next: string | null;
}
interface TrackJson {
  id: string;
  external_ids?: { isrc: string };
  album: { images: { url: string }[] };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

async function token(): Promise<string> {
  const res = await fetch(`${emu.url}/api/token`, {
    method: "POST",
    headers: {
      authorization: basic(emulatorCredentials.clientId, emulatorCredentials.clientSecret),
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string; expires_in: number; token_type: string };
  expect(body.token_type).toBe("Bearer");
  expect(body.expires_in).toBe(3600);
  return body.access_token;
}

async function api(pathAndQuery: string, bearer?: string): Promise<Response> {
  return fetch(
    `${emu.apiBaseUrl}${pathAndQuery}`,
    bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {},
  );
}

describe("catalog fixture", () => {
  const allTracks = albums.flatMap((a) => a.tracks);

  it("has valid, unique ids and durations between 30 s and 4 min, some under a minute", () => {
    const ids = [...allTracks.map((t) => t.id), ...albums.map((a) => a.id), ...playlists.map((p) => p.id)];
    for (const id of ids) expect(id).toMatch(/^[0-9A-Za-z]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
    for (const t of allTracks) {
      expect(t.durationMs).toBeGreaterThanOrEqual(4_000); // a CD track is at least 4 s
      expect(t.durationMs).toBeLessThanOrEqual(240_000);
      expect(t.isrc).toMatch(/^[A-Z]{2}[A-Z0-9]{3}\d{7}$/);
    }
    expect(allTracks.filter((t) => t.durationMs < 60_000).length).toBeGreaterThanOrEqual(3);
    expect(new Set(allTracks.map((t) => t.durationMs)).size).toBeGreaterThan(allTracks.length * 0.8);
  });

  it("has a demo album under six minutes, a ten-track album, a big owned playlist and a not-owned one", () => {
    expect(demoAlbum.tracks.reduce((s, t) => s + t.durationMs, 0)).toBeLessThan(360_000);
    expect(cyrillicAlbum.tracks).toHaveLength(10);
    expect(bigPlaylist.tracks.length).toBeGreaterThanOrEqual(150);
    expect(new Set(bigPlaylist.tracks.map((t) => t.id)).size).toBe(bigPlaylist.tracks.length);
    expect(bigPlaylist.ownedByApp).toBe(true);
    expect(notOwnedPlaylist.ownedByApp).toBe(false);
    expect(editorialPlaylist.id.startsWith("37i9dQZF")).toBe(true);
    expect(archiveAlbums[0]!.tracks.length).toBeGreaterThan(50);
  });

  it("has titles in Latin with diacritics, Cyrillic and Japanese, and explicit/clean twins", () => {
    expect(demoAlbum.tracks.some((t) => /[À-ÿ]/.test(t.title))).toBe(true);
    expect(cyrillicAlbum.tracks.every((t) => /\p{Script=Cyrillic}/u.test(t.title))).toBe(true);
    expect(japaneseAlbum.tracks.some((t) => /[\p{Script=Hiragana}\p{Script=Han}]/u.test(t.title))).toBe(true);
    expect(explicitTwin.title).toBe(cleanTwin.title);
    expect([explicitTwin.explicit, cleanTwin.explicit]).toEqual([true, false]);
    expect(explicitTwin.isrc).not.toBe(cleanTwin.isrc);
  });
});

describe("accounts", () => {
  it("refuses wrong client credentials and issues tokens for the right ones", async () => {
    const bad = await fetch(`${emu.url}/api/token`, {
      method: "POST",
      headers: { authorization: basic(emulatorCredentials.clientId, "nope") },
      body: "grant_type=client_credentials",
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "invalid_client", error_description: "Invalid client" });
    expect(await token()).toMatch(/^[\w-]{20,}$/);
    expect(emu.control.counts.token).toBe(2);
  });

  it("answers 401 without a token or after tokens expire", async () => {
    expect((await api(`/tracks/${explicitTwin.id}`)).status).toBe(401);
    const t = await token();
    expect((await api(`/tracks/${explicitTwin.id}`, t)).status).toBe(200);
    emu.control.expireTokens();
    const expired = await api(`/tracks/${explicitTwin.id}`, t);
    expect(expired.status).toBe(401);
  });
});

describe("web api", () => {
  it("serves a track with its album, ISRC and a cover on the emulator", async () => {
    const res = await api(`/tracks/${explicitTwin.id}`, await token());
    const body = (await res.json()) as TrackJson;
    expect(body).toMatchObject({
      id: explicitTwin.id,
      name: "Midnight Static",
      explicit: true,
      duration_ms: explicitTwin.durationMs,
      external_ids: { isrc: explicitTwin.isrc },
      album: { name: "Midnight Static", release_date: "2022-02-22" },
    });
    expect(body.album.images[0]!.url).toBe(`${emu.url}/image/${explicitTwin.albumId}.jpg`);
  });

  it("pages album tracks with absolute next URLs and refuses limits over 50", async () => {
    const t = await token();
    const album = archiveAlbums[0]!;
    const first = (await (await api(`/albums/${album.id}`, t)).json()) as {
      external_ids: { upc: string };
      tracks: Page<TrackJson>;
    };
    expect(first.external_ids.upc).toBe(album.upc);
    expect(first.tracks.items).toHaveLength(50);
    expect(first.tracks.items[0]!.external_ids).toBeUndefined();
    expect(first.tracks.next).toBe(`${emu.apiBaseUrl}/albums/${album.id}/tracks?offset=50&limit=50`);
    const second = (await (
      await fetch(first.tracks.next!, { headers: { authorization: `Bearer ${t}` } })
    ).json()) as Page<TrackJson>;
    expect(second.items).toHaveLength(10);
    expect(second.next).toBeNull();
    const tooMany = await api(`/albums/${album.id}/tracks?limit=51`, t);
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toEqual({ error: { status: 400, message: "Invalid limit" } });
  });

  it("pages playlist items whose rows say item, 100 at most (with the opt-in owner authorisation)", async () => {
    emu.control.setOwnerAuthorised(true);
    const t = await token();
    const playlist = (await (await api(`/playlists/${bigPlaylist.id}`, t)).json()) as {
      items: Page<{ item: TrackJson; track?: unknown }>;
    };
    expect(playlist.items.total).toBe(bigPlaylist.tracks.length);
    expect(playlist.items.items).toHaveLength(100);
    expect(playlist.items.items[0]!.item.id).toBe(bigPlaylist.tracks[0]!.id);
    expect(playlist.items.items[0]!.track).toBeUndefined();
    const page = (await (
      await fetch(playlist.items.next!, { headers: { authorization: `Bearer ${t}` } })
    ).json()) as Page<unknown>;
    expect(page.items).toHaveLength(bigPlaylist.tracks.length - 100);
    expect(page.next).toBeNull();
    expect((await api(`/playlists/${bigPlaylist.id}/items?limit=101`, t)).status).toBe(400);
  });

  it("forbids playlists the app owner does not own and hides editorial ones", async () => {
    emu.control.setOwnerAuthorised(true);
    const t = await token();
    const forbidden = await api(`/playlists/${notOwnedPlaylist.id}/items`, t);
    expect(forbidden.status).toBe(403);
    expect((await api(`/playlists/${editorialPlaylist.id}`, t)).status).toBe(404);
    expect((await api(`/tracks/notAnId`, t)).status).toBe(400);
    expect((await api(`/tracks/${"x".repeat(22)}`, t)).status).toBe(404);
  });

  it("answers 403 to every playlist under client credentials, even the app owner's own (2026 rules)", async () => {
    // FACTS.md, Spotify: "A client-credentials token has no user, so under those rules every playlist's
    // `/items` answers 403 in development mode (reports: navispot PR #24, smudge PR #113, spoton #119)".
    const t = await token();
    for (const playlist of [bigPlaylist, roadTripPlaylist, notOwnedPlaylist]) {
      const items = await api(`/playlists/${playlist.id}/items?limit=100`, t);
      expect(items.status).toBe(403);
      expect(await items.json()).toEqual({ error: { status: 403, message: "Forbidden" } });
      expect((await api(`/playlists/${playlist.id}`, t)).status).toBe(403);
    }
    // The explicit opt-in (a future owner authorisation) opens the owner's own playlists only.
    emu.control.setOwnerAuthorised(true);
    expect((await api(`/playlists/${roadTripPlaylist.id}/items`, t)).status).toBe(200);
    expect((await api(`/playlists/${notOwnedPlaylist.id}/items`, t)).status).toBe(403);
    emu.control.setOwnerAuthorised(false);
    expect((await api(`/playlists/${roadTripPlaylist.id}/items`, t)).status).toBe(403);
  });

  it("answers every Web API call with the Premium-lapse 403 while told to, then recovers", async () => {
    // FACTS.md, Spotify: "When the app owner's Premium lapses, every call (even `GET /v1/tracks/{id}`)
    // answers 403 "Active premium subscription required for the owner of the app" (LavaSrc #334, spotDL #2634)".
    expect(premiumLapsedMessage).toBe("Active premium subscription required for the owner of the app");
    emu.control.setPremiumLapsed(true);
    const t = await token(); // tokens are still issued
    for (const path of [
      `/tracks/${explicitTwin.id}`,
      `/albums/${demoAlbum.id}`,
      `/albums/${demoAlbum.id}/tracks`,
      `/playlists/${bigPlaylist.id}/items`,
    ]) {
      const res = await api(path, t);
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({
        error: { status: 403, message: "Active premium subscription required for the owner of the app" },
      });
    }
    emu.control.setPremiumLapsed(false);
    expect((await api(`/tracks/${explicitTwin.id}`, t)).status).toBe(200);
  });

  it("injects 429 with Retry-After and QUOTA_EXCEEDED on demand, then recovers", async () => {
    const t = await token();
    emu.control.failNext({ status: 429, retryAfter: 7, count: 2 });
    emu.control.failNext({ status: 429, retryAfter: 86400, reason: "QUOTA_EXCEEDED" });
    const first = await api(`/tracks/${explicitTwin.id}`, t);
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("7");
    expect((await api(`/tracks/${explicitTwin.id}`, t)).status).toBe(429);
    const quota = await api(`/tracks/${explicitTwin.id}`, t);
    expect(quota.status).toBe(429);
    expect(await quota.json()).toMatchObject({ error: { status: 429, reason: "QUOTA_EXCEEDED" } });
    expect((await api(`/tracks/${explicitTwin.id}`, t)).status).toBe(200);
    expect(emu.control.counts.api).toBe(4);
  });
});

describe("embed pages, images and short links", () => {
  it("carries the track list as __NEXT_DATA__ JSON, cut at 100 for playlists", async () => {
    const res = await fetch(`${emu.url}/embed/playlist/${bigPlaylist.id}`);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const html = await res.text();
    const json = /<script id="__NEXT_DATA__" type="application\/json">(.*?)<\/script>/s.exec(html)?.[1];
    const entity = (
      JSON.parse(json!) as {
        props: { pageProps: { state: { data: { entity: { name: string; trackList: unknown[] } } } } };
      }
    ).props.pageProps.state.data.entity;
    expect(entity.name).toBe(bigPlaylist.name);
    expect(entity.trackList).toHaveLength(100);
    expect(entity.trackList[0]).toMatchObject({
      uri: `spotify:track:${bigPlaylist.tracks[0]!.id}`,
      title: bigPlaylist.tracks[0]!.title,
    });
    // `__NEXT_DATA__` is the page's last <script> (FACTS.md, Spotify).
    expect(html.lastIndexOf("<script")).toBe(html.indexOf('<script id="__NEXT_DATA__"'));
  });

  it("answers an unknown or private id with HTTP 200 and status 404 in __NEXT_DATA__, no state", async () => {
    // FACTS.md, Spotify: "an unknown or private id answers **HTTP 200** with `props.pageProps.status: 404`
    // and no `state`".
    for (const kind of ["album", "playlist", "track"]) {
      const res = await fetch(`${emu.url}/embed/${kind}/${"x".repeat(22)}`);
      expect(res.status).toBe(200);
      const html = await res.text();
      const json = /<script id="__NEXT_DATA__" type="application\/json">(.*?)<\/script>/s.exec(html)?.[1];
      const pageProps = (JSON.parse(json!) as { props: { pageProps: Record<string, unknown> } }).props
        .pageProps;
      expect(pageProps.status).toBe(404);
      expect(pageProps).not.toHaveProperty("state");
    }
  });

  it("serves a real 300x300 JPEG cover", async () => {
    const res = await fetch(`${emu.url}/image/${demoAlbum.id}.jpg`);
    expect(res.headers.get("content-type")).toBe("image/jpeg");
    const dir = await mkdtemp(path.join(os.tmpdir(), "cdc-cover-"));
    try {
      const file = path.join(dir, "cover.jpg");
      await writeFile(file, Buffer.from(await res.arrayBuffer()));
      const probe = await runProcess(
        "ffprobe",
        ["-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", file],
        { timeoutMs: 10_000 },
      );
      expect(probe.stdout.trim()).toBe("mjpeg,300,300");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("redirects short links to open.spotify.com, or elsewhere for the evil ones", async () => {
    const demo = await fetch(`${emu.url}/${shortLinkCodes.demoAlbum}`, { redirect: "manual" });
    expect(demo.status).toBe(302);
    expect(demo.headers.get("location")).toBe(`https://open.spotify.com/album/${demoAlbum.id}?si=emulator`);
    const big = await fetch(`${emu.url}/${shortLinkCodes.bigPlaylist}`, { redirect: "manual" });
    expect(big.status).toBe(301);
    const evil = await fetch(`${emu.url}/${shortLinkCodes.evil}`, { redirect: "manual" });
    expect(new URL(evil.headers.get("location")!).hostname).toBe("evil.example");
    expect((await fetch(`${emu.url}/noSuchCode`, { redirect: "manual" })).status).toBe(404);
    expect(emu.control.counts.shortLink).toBe(4);
  });

  it("keeps every catalog track reachable through the track endpoint", async () => {
    const t = await token();
    const sample = [...tracksById.values()].filter((_, i) => i % 40 === 0);
    for (const track of sample) expect((await api(`/tracks/${track.id}`, t)).status).toBe(200);
  });

  it("closes twice without complaint", async () => {
    await emu.close();
    await emu.close();
  });
});
