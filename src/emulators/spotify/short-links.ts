/**
 * The emulated short-link host (spotify.link): the codes it knows, each named by the case it tests
 * ({@link shortLinkCodes}), where each leads ({@link shortLinkTargets}: open.spotify.com, another code, a
 * foreign host, itself…), and `GET /{code}`, which answers that 301 or 302 redirect with a small HTML body,
 * or 404 with "Link not found" for any other code.
 */
import type { ServerResponse } from "node:http";
import { artistId, bigPlaylist, demoAlbum, explicitTwin } from "./catalog.js";

/** Short-link codes the emulator answers on `/{code}`, by purpose. */
export const shortLinkCodes = {
  /** 302 to the demo album on open.spotify.com. */
  demoAlbum: "cdcDemoAlbum",
  /** 301 to the big playlist, through an `intl-de` link. */
  bigPlaylist: "cdcBigList",
  /** 302 to the explicit twin track. */
  explicitTwin: "cdcTwinTrack",
  /** 302 to another code on the same host (two hops). */
  hop: "cdcHop",
  /** 302 to https://spotify.link/cdcDemoAlbum (a short link to a short link). */
  viaShortHost: "cdcViaShort",
  /** 302 to a host that is not Spotify. */
  evil: "cdcEvil",
  /** 302 to a cloud metadata IP address. */
  evilIp: "cdcEvilIp",
  /** 302 to itself, forever. */
  loop: "cdcLoop",
  /** 302 to an artist page (not supported). */
  artist: "cdcArtist",
} as const;

/** Where each short-link code leads. */
export const shortLinkTargets: ReadonlyMap<string, { status: 301 | 302; location: string }> = new Map([
  [
    shortLinkCodes.demoAlbum,
    { status: 302, location: `https://open.spotify.com/album/${demoAlbum.id}?si=emulator` },
  ],
  [
    shortLinkCodes.bigPlaylist,
    { status: 301, location: `https://open.spotify.com/intl-de/playlist/${bigPlaylist.id}` },
  ],
  [
    shortLinkCodes.explicitTwin,
    { status: 302, location: `https://open.spotify.com/track/${explicitTwin.id}?si=x1` },
  ],
  [shortLinkCodes.hop, { status: 302, location: `/${shortLinkCodes.demoAlbum}` }],
  [
    shortLinkCodes.viaShortHost,
    { status: 302, location: `https://spotify.link/${shortLinkCodes.demoAlbum}` },
  ],
  [shortLinkCodes.evil, { status: 302, location: `https://evil.example/album/${demoAlbum.id}` }],
  [shortLinkCodes.evilIp, { status: 302, location: "http://169.254.169.254/latest/meta-data/" }],
  [shortLinkCodes.loop, { status: 302, location: `/${shortLinkCodes.loop}` }],
  [shortLinkCodes.artist, { status: 302, location: `https://open.spotify.com/artist/${artistId}` }],
]);

/** Answer `GET /{code}`, `path` being `/{code}`. */
export function handleShortLink(res: ServerResponse, path: string): void {
  const target = shortLinkTargets.get(path.slice(1));
  if (!target) {
    res.writeHead(404, { "content-type": "text/html; charset=utf-8" }).end("<h1>Link not found</h1>");
    return;
  }
  res.writeHead(target.status, { location: target.location, "content-type": "text/html; charset=utf-8" });
  res.end(`<a href="${target.location}">Redirecting</a>`);
}
