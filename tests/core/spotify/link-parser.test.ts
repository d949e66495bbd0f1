import { describe, expect, it } from "vitest";
import { isUserFacing } from "../../../src/core/errors.js";
import { isShortLink, parseSpotifyLink, type ParsedLink } from "../../../src/core/spotify/link-parser.js";

const id = "4uLU6hMCjMI75M1A2tKUQC";
const accepted =
  "Send a link to a Spotify track, album or playlist, like https://open.spotify.com/album/… or spotify:track:….";

function rejection(text: string): { code: string; userMessage: string } {
  try {
    parseSpotifyLink(text);
  } catch (err) {
    if (!isUserFacing(err)) throw err;
    return { code: err.code, userMessage: err.userMessage };
  }
  throw new Error(`accepted: ${text}`);
}

describe("parseSpotifyLink accepts", () => {
  const shapes: [string, string, ParsedLink][] = [
    [
      "a track link",
      `https://open.spotify.com/track/${id}`,
      { kind: "track", id, uri: `spotify:track:${id}` },
    ],
    [
      "an album link",
      `https://open.spotify.com/album/${id}`,
      { kind: "album", id, uri: `spotify:album:${id}` },
    ],
    [
      "a playlist link",
      `https://open.spotify.com/playlist/${id}`,
      { kind: "playlist", id, uri: `spotify:playlist:${id}` },
    ],
    [
      "an intl segment",
      `https://open.spotify.com/intl-de/track/${id}`,
      { kind: "track", id, uri: `spotify:track:${id}` },
    ],
    [
      "a regional intl segment",
      `https://open.spotify.com/intl-pt-BR/album/${id}`,
      { kind: "album", id, uri: `spotify:album:${id}` },
    ],
    [
      "a ?si= query",
      `https://open.spotify.com/track/${id}?si=a1b2c3d4e5f6`,
      { kind: "track", id, uri: `spotify:track:${id}` },
    ],
    [
      "a trailing slash",
      `https://open.spotify.com/album/${id}/`,
      { kind: "album", id, uri: `spotify:album:${id}` },
    ],
    [
      "plain http",
      `http://open.spotify.com/playlist/${id}`,
      { kind: "playlist", id, uri: `spotify:playlist:${id}` },
    ],
    ["no scheme", `open.spotify.com/track/${id}`, { kind: "track", id, uri: `spotify:track:${id}` }],
    [
      "upper-case host",
      `https://OPEN.SPOTIFY.COM/track/${id}`,
      { kind: "track", id, uri: `spotify:track:${id}` },
    ],
    [
      "surrounding text",
      `listen to this!! https://open.spotify.com/album/${id}?si=x, it's great`,
      { kind: "album", id, uri: `spotify:album:${id}` },
    ],
    [
      "angle brackets",
      `<https://open.spotify.com/track/${id}>`,
      { kind: "track", id, uri: `spotify:track:${id}` },
    ],
    [
      "a full stop after it",
      `Here: https://open.spotify.com/track/${id}.`,
      { kind: "track", id, uri: `spotify:track:${id}` },
    ],
    [
      "a Markdown link",
      `[my song](https://open.spotify.com/track/${id}?si=abc)`,
      { kind: "track", id, uri: `spotify:track:${id}` },
    ],
    [
      "a Telegram-style quote",
      `«https://open.spotify.com/album/${id}»`,
      { kind: "album", id, uri: `spotify:album:${id}` },
    ],
    [
      "an embed link",
      `https://open.spotify.com/embed/playlist/${id}?utm_source=generator`,
      { kind: "playlist", id, uri: `spotify:playlist:${id}` },
    ],
    [
      "an old user playlist link",
      `https://open.spotify.com/user/someone/playlist/${id}`,
      { kind: "playlist", id, uri: `spotify:playlist:${id}` },
    ],
    ["a track URI", `spotify:track:${id}`, { kind: "track", id, uri: `spotify:track:${id}` }],
    [
      "an album URI in text",
      `try spotify:album:${id} please`,
      { kind: "album", id, uri: `spotify:album:${id}` },
    ],
    ["a playlist URI", `spotify:playlist:${id}`, { kind: "playlist", id, uri: `spotify:playlist:${id}` }],
    [
      "an old user playlist URI",
      `spotify:user:someone:playlist:${id}`,
      { kind: "playlist", id, uri: `spotify:playlist:${id}` },
    ],
  ];
  it.each(shapes)("%s", (_name, text, expected) => {
    expect(parseSpotifyLink(text)).toEqual(expected);
  });

  it.each([
    ["https://spotify.link/AbC123xyz", "https://spotify.link/AbC123xyz"],
    ["spotify.link/AbC123xyz?x=1", "https://spotify.link/AbC123xyz"],
    ["see <http://spoti.fi/3xYz9> now", "https://spoti.fi/3xYz9"],
  ])("the short link %s, unresolved", (text, href) => {
    const parsed = parseSpotifyLink(text);
    expect(isShortLink(parsed)).toBe(true);
    expect(isShortLink(parsed) && parsed.shortLink.href).toBe(href);
  });
});

describe("parseSpotifyLink rejects", () => {
  it.each<[string, string, string, string]>([
    ["empty input", "   \n ", "link_empty", `There is no link in that message. ${accepted}`],
    [
      "input over 2 kB",
      `https://open.spotify.com/track/${id}?si=${"a".repeat(2100)}`,
      "link_too_long",
      `That message is too long to be a link (over 2 kB). ${accepted}`,
    ],
    ["plain words", "hello there", "link_not_spotify", `I couldn't find a link in that message. ${accepted}`],
    [
      "another site",
      `https://www.youtube.com/watch?v=dQw4w9WgXcQ`,
      "link_not_spotify",
      `That link is to www.youtube.com, not to Spotify. ${accepted}`,
    ],
    [
      "a look-alike host",
      `https://open.spotify.com.evil.example/track/${id}`,
      "link_not_spotify",
      `That link is to open.spotify.com.evil.example, not to Spotify. ${accepted}`,
    ],
    [
      "a user-info trick",
      `https://open.spotify.com@evil.example/track/${id}`,
      "link_not_spotify",
      `That link is to evil.example, not to Spotify. ${accepted}`,
    ],
    [
      "an IPv4 literal",
      `http://127.0.0.1:8080/track/${id}`,
      "link_not_spotify",
      `That link points to a bare IP address, not to Spotify. ${accepted}`,
    ],
    [
      "an IPv6 literal",
      `http://[::1]/track/${id}`,
      "link_not_spotify",
      `That link points to a bare IP address, not to Spotify. ${accepted}`,
    ],
    [
      "a port on Spotify's host",
      `https://open.spotify.com:8443/track/${id}`,
      "link_not_spotify",
      `That link carries a user name or port, which Spotify's links never do. ${accepted}`,
    ],
    [
      "a file: URL",
      "file:///etc/passwd",
      "link_scheme",
      `Links starting with “file:” aren't accepted, only https:// links to Spotify and spotify: URIs. ${accepted}`,
    ],
    [
      "a javascript: URL",
      "javascript:alert(1)",
      "link_scheme",
      `Links starting with “javascript:” aren't accepted, only https:// links to Spotify and spotify: URIs. ${accepted}`,
    ],
    [
      "an artist page",
      `https://open.spotify.com/artist/${id}`,
      "link_unsupported_kind",
      `Artist pages can't be downloaded, only tracks, albums and playlists. ${accepted}`,
    ],
    [
      "a show",
      `https://open.spotify.com/show/${id}`,
      "link_unsupported_kind",
      `Podcast shows can't be downloaded, only tracks, albums and playlists. ${accepted}`,
    ],
    [
      "an episode URI",
      `spotify:episode:${id}`,
      "link_unsupported_kind",
      `Podcast episodes can't be downloaded, only tracks, albums and playlists. ${accepted}`,
    ],
    [
      "a user page",
      "https://open.spotify.com/user/someone",
      "link_unsupported_kind",
      `User profiles can't be downloaded, only tracks, albums and playlists. ${accepted}`,
    ],
    [
      "Spotify's home page",
      "https://open.spotify.com/",
      "link_unsupported_kind",
      `That Spotify link doesn't point to a track, an album or a playlist. ${accepted}`,
    ],
    [
      "an unknown Spotify page",
      `https://open.spotify.com/wrapped/${id}`,
      "link_unsupported_kind",
      `That Spotify link doesn't point to a track, an album or a playlist. ${accepted}`,
    ],
    [
      "a short id",
      "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKU",
      "link_bad_id",
      "“4uLU6hMCjMI75M1A2tKU” isn't a Spotify track id: those are 22 letters and digits. Copy the link again with Share → Copy link.",
    ],
    [
      "a long id",
      `spotify:album:${id}XY`,
      "link_bad_id",
      `“${id}XY” isn't a Spotify album id: those are 22 letters and digits. Copy the link again with Share → Copy link.`,
    ],
    [
      "an id with bad characters",
      "https://open.spotify.com/playlist/4uLU6hMCjMI75M1A2tK-QC",
      "link_bad_id",
      "“4uLU6hMCjMI75M1A2tK-QC” isn't a Spotify playlist id: those are 22 letters and digits. Copy the link again with Share → Copy link.",
    ],
    [
      "a missing id",
      "https://open.spotify.com/album/",
      "link_bad_id",
      "That album link has no id at its end. Copy the link again with Share → Copy link.",
    ],
    [
      "an incomplete short link",
      "https://spotify.link/",
      "link_bad_id",
      "That spotify.link link is incomplete: it should look like https://spotify.link/AbCd123. Copy it again from Spotify's Share menu.",
    ],
  ])("%s", (_name, text, code, message) => {
    expect(rejection(text)).toEqual({ code, userMessage: message });
  });

  it("prefers the Spotify link when a message has another site first", () => {
    expect(parseSpotifyLink(`https://example.org and https://open.spotify.com/track/${id}`)).toMatchObject({
      id,
    });
  });
});
