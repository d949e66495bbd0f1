import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isUserFacing } from "../../../src/core/errors.js";
import { resolveShortLink } from "../../../src/core/spotify/short-link.js";
import {
  bigPlaylist,
  demoAlbum,
  explicitTwin,
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

const link = (code: string) => new URL(`https://spotify.link/${code}`);
const resolve = (code: string, timeoutMs = 5_000) =>
  resolveShortLink(link(code), { baseUrl: emu.url, timeoutMs });

async function rejection(promise: Promise<unknown>): Promise<{ code: string; userMessage: string }> {
  try {
    await promise;
  } catch (err) {
    if (!isUserFacing(err)) throw err;
    return { code: err.code, userMessage: err.userMessage };
  }
  throw new Error("resolved");
}

describe("resolveShortLink", () => {
  it("follows a 302 to an album and a 301 to an intl playlist link", async () => {
    expect(await resolve(shortLinkCodes.demoAlbum)).toEqual({
      kind: "album",
      id: demoAlbum.id,
      uri: `spotify:album:${demoAlbum.id}`,
    });
    expect(await resolve(shortLinkCodes.bigPlaylist)).toMatchObject({ kind: "playlist", id: bigPlaylist.id });
    expect(
      await resolveShortLink(new URL(`https://spoti.fi/${shortLinkCodes.explicitTwin}`), {
        baseUrl: emu.url,
        timeoutMs: 5_000,
      }),
    ).toMatchObject({ kind: "track", id: explicitTwin.id });
  });

  it("follows several hops on Spotify's hosts, including a short link to another short link", async () => {
    expect(await resolve(shortLinkCodes.hop)).toMatchObject({ id: demoAlbum.id });
    expect(await resolve(shortLinkCodes.viaShortHost)).toMatchObject({ id: demoAlbum.id });
    expect(emu.control.requests.map((r) => r.path)).toEqual([
      `/${shortLinkCodes.hop}`,
      `/${shortLinkCodes.demoAlbum}`,
      `/${shortLinkCodes.viaShortHost}`,
      `/${shortLinkCodes.demoAlbum}`,
    ]);
  });

  it("refuses to follow a redirect to another host or an IP address", async () => {
    expect(await rejection(resolve(shortLinkCodes.evil))).toEqual({
      code: "link_short_unsafe",
      userMessage:
        "That short link leads to evil.example, which is not Spotify, so I didn't follow it. Send the full open.spotify.com link instead.",
    });
    expect(await rejection(resolve(shortLinkCodes.evilIp))).toEqual({
      code: "link_short_unsafe",
      userMessage:
        "That short link leads to 169.254.169.254, which is not Spotify, so I didn't follow it. Send the full open.spotify.com link instead.",
    });
  });

  it("gives up after five redirects", async () => {
    expect(await rejection(resolve(shortLinkCodes.loop))).toEqual({
      code: "link_short_unresolved",
      userMessage:
        "That short link didn't lead to a Spotify track, album or playlist. Open it in Spotify and send the full link.",
    });
    expect(emu.control.counts.shortLink).toBe(6);
  });

  it("says so when the short link is unknown or leads to an unsupported page", async () => {
    expect(await rejection(resolve("noSuchCode"))).toEqual({
      code: "link_short_unresolved",
      userMessage:
        "That short link doesn't lead anywhere (Spotify doesn't know it). Open it in Spotify and send the full link.",
    });
    expect((await rejection(resolve(shortLinkCodes.artist))).code).toBe("link_unsupported_kind");
  });

  it("times out on a short link that does not answer", async () => {
    emu.control.failNext({ route: "shortLink", delayMs: 3_000 });
    const started = Date.now();
    expect(await rejection(resolve(shortLinkCodes.demoAlbum, 300))).toEqual({
      code: "link_short_timeout",
      userMessage:
        "The short link didn't answer within 1 s. Try again, or send the full open.spotify.com link.",
    });
    expect(Date.now() - started).toBeLessThan(2_500);
  });
});
