/**
 * The stand-in's fake YouTube Music: for every Spotify track, the right recording plus the decoys a real
 * search returns (live, cover, slowed, a long official video, a lyric video, an 8-bit "emulation"), with
 * deterministic video ids and what YouTube Music shows about each: artists with channel ids, the album of
 * songs, and the music video type (ATV = the label's audio, OMV = official video, UGC = anyone's upload).
 */
import { createHash } from "node:crypto";
import type { Track } from "../../core/spotify/types.js";

/** Which kind of upload a candidate is. `official` is the right one. */
export type Variant = "official" | "live" | "cover" | "slowed" | "long" | "lyric" | "emulation" | "single";

export const variants: readonly Variant[] = [
  "official",
  "live",
  "cover",
  "slowed",
  "long",
  "lyric",
  "emulation",
  "single",
];

/** ATV: a label's audio track ("song"); OMV: an official music video; UGC: anyone's upload. */
export type MusicVideoType = "MUSIC_VIDEO_TYPE_ATV" | "MUSIC_VIDEO_TYPE_OMV" | "MUSIC_VIDEO_TYPE_UGC";

/** An artist (ATV/OMV) or uploader (UGC) as YouTube Music links it. */
export interface FakeArtist {
  name: string;
  /** `UC` + 22 characters. */
  channelId: string;
}

/** One fake upload. */
export interface FakeVideo {
  id: string;
  trackId: string;
  variant: Variant;
  title: string;
  /** The uploading channel (e.g. "Rick Astley - Topic" for the label's audio). */
  channel: string;
  channelId: string;
  durationSec: number;
  views: number;
  /** Shown under the title: the song's artists, the video's artist or uploader. */
  artists: FakeArtist[];
  /** Songs (ATV) only. */
  album?: { name: string; browseId: string };
  musicVideoType: MusicVideoType;
  /** The label's explicit audio carries YouTube Music's explicit badge. */
  explicit?: boolean;
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}

/** Deterministic 11-character video id for (track, variant): base64url of a sha256. */
export function videoIdFor(trackId: string, variant: Variant): string {
  return hash(`${trackId}:${variant}`).slice(0, 11);
}

/** The video id a correct match must pick for `track` (the album's own upload). */
export function expectedVideoId(track: Track): string {
  return videoIdFor(track.id, "official");
}

/** Channel id of an uploading channel (unchanged from earlier versions of the catalogue). */
function channelIdFor(name: string): string {
  return "UC" + hash(name).slice(0, 22);
}

/** Channel id of an artist page (distinct from a user channel that happens to share the name). */
function artistIdFor(name: string): string {
  return "UC" + hash(`artist:${name}`).slice(0, 22);
}

/** Album browse id, `MPREb_` + 11 characters, as YouTube Music's albums have. */
function albumIdFor(name: string, artist: string): string {
  return "MPREb_" + hash(`album:${artist}:${name}`).slice(0, 11);
}

const artistOf = (name: string): FakeArtist => ({ name, channelId: artistIdFor(name) });
const uploaderOf = (name: string): FakeArtist => ({ name, channelId: channelIdFor(name) });

/** Every fake upload of one track, official first. */
export function videosFor(track: Track): FakeVideo[] {
  const artist = track.artists[0] ?? "Unknown Artist";
  const names = track.artists.length > 0 ? track.artists : [artist];
  const artists = names.join(", ");
  const seconds = Math.max(1, Math.round(track.durationMs / 1000));
  // Same length ±1 s, so only title and artist give the emulation away.
  const nudge = (hash(`${track.id}:nudge`).charCodeAt(0) & 1) === 0 || seconds <= 1 ? 1 : -1;
  const make = (
    variant: Variant,
    title: string,
    channel: string,
    durationSec: number,
    views: number,
    shown: FakeArtist[],
    musicVideoType: MusicVideoType,
    album?: string,
  ): FakeVideo => ({
    id: videoIdFor(track.id, variant),
    trackId: track.id,
    variant,
    title,
    channel,
    channelId: channelIdFor(channel),
    durationSec,
    views,
    artists: shown,
    ...(album === undefined
      ? {}
      : { album: { name: album, browseId: albumIdFor(album, shown[0]?.name ?? "") } }),
    musicVideoType,
    // The label badges its own explicit audio (the album's and the single's upload of the recording).
    ...((variant === "official" || variant === "single") && track.explicit ? { explicit: true } : {}),
  });
  const atv = "MUSIC_VIDEO_TYPE_ATV";
  const ugc = "MUSIC_VIDEO_TYPE_UGC";
  const slowed = `${track.title} (Slowed + Reverb)`;
  return [
    make(
      "official",
      track.title,
      `${artist} - Topic`,
      seconds,
      1_250_000,
      names.map(artistOf),
      atv,
      track.album,
    ),
    // The same recording released again as a single (same ISRC, same artists and length): the second
    // right answer, which a real ISRC search often lists too, and what replaces a removed album upload.
    make(
      "single",
      track.title,
      `${artist} - Topic`,
      seconds,
      40_000,
      names.map(artistOf),
      atv,
      `${track.title} (Single)`,
    ),
    make(
      "live",
      `${track.title} (Live at Wembley Stadium)`,
      artist,
      seconds + 23,
      310_000,
      [uploaderOf(artist)],
      ugc,
    ),
    make(
      "cover",
      `${track.title} - ${artist} (Cover)`,
      "Garage Cover Band",
      seconds + 2,
      45_000,
      [uploaderOf("Garage Cover Band")],
      ugc,
    ),
    make(
      "slowed",
      slowed,
      "moonlit edits",
      Math.round(seconds * 1.2),
      2_400_000,
      [artistOf("moonlit edits")],
      atv,
      slowed,
    ),
    make(
      "long",
      `${artists} - ${track.title} (Official Video)`,
      `${artist}VEVO`,
      seconds + 40,
      9_800_000,
      [artistOf(artist)],
      "MUSIC_VIDEO_TYPE_OMV",
    ),
    make(
      "lyric",
      `${artists} - ${track.title} (Lyrics)`,
      "Lyric Vault",
      seconds + 3,
      3_100_000,
      [uploaderOf("Lyric Vault")],
      ugc,
    ),
    make(
      "emulation",
      `${track.title} (8-Bit ${artist} Emulation)`,
      "8-Bit Arcade - Topic",
      seconds + nudge,
      85_000,
      [artistOf("8-Bit Arcade")],
      atv,
      `8-Bit Arcade Plays ${artist}`,
    ),
  ];
}

function words(text: string): string[] {
  return text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

/**
 * How well `query` names `track`: 0 when fewer than 80% of the query's words appear in "artists title",
 * else the share of the track's words the query covers (higher = better).
 */
export function matchScore(track: Track, query: string): number {
  const own = words(`${track.artists.join(" ")} ${track.title}`);
  const hay = new Set(own);
  const wanted = words(query);
  if (wanted.length === 0) return 0;
  const hit = (w: string) => hay.has(w) || (w.length >= 3 && [...hay].some((h) => h.startsWith(w)));
  if (wanted.filter(hit).length / wanted.length < 0.8) return 0;
  const asked = new Set(wanted);
  return own.filter((w) => asked.has(w)).length / Math.max(1, own.length) + 0.001;
}

/** True when (almost) every word of the query appears in "artists - title" of the track. */
export function queryMatches(track: Track, query: string): boolean {
  return matchScore(track, query) > 0;
}

/** What a search finds, by the shelves YouTube Music would put it on. */
export interface SearchHits {
  /** The best hit (the top-result card); absent when nothing matched. */
  top?: FakeVideo;
  /** Songs (ATV rows), best first. */
  songs: FakeVideo[];
  /** Videos (OMV and UGC rows), best first. */
  videos: FakeVideo[];
  /** True when the query was a track's ISRC. */
  isrc: boolean;
}

const songOrder: readonly Variant[] = ["official", "single", "slowed", "emulation"];
const videoOrder: readonly Variant[] = ["long", "lyric", "live", "cover"];

/**
 * Search the fake catalogue like YouTube Music would. An ISRC (exact, case-insensitive) finds the label's
 * song and the official video of that recording only; text finds every upload of every matching track.
 */
export function searchCatalog(tracks: readonly Track[], query: string): SearchHits {
  const q = query.trim();
  const byIsrc = tracks.filter((t) => t.isrc !== undefined && t.isrc.toUpperCase() === q.toUpperCase());
  if (byIsrc.length > 0) {
    const pick = (variant: Variant) =>
      byIsrc.flatMap((t) => videosFor(t).filter((v) => v.variant === variant));
    const songs = [...pick("official"), ...pick("single")];
    return { top: songs[0], songs, videos: pick("long"), isrc: true };
  }
  const ranked = tracks
    .map((track, at) => ({ track, at, score: matchScore(track, q) }))
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score || a.at - b.at)
    .map((r) => videosFor(r.track));
  const pick = (order: readonly Variant[]) =>
    order.flatMap((variant) => ranked.flatMap((all) => all.filter((v) => v.variant === variant)));
  const songs = pick(songOrder);
  return { top: songs[0], songs, videos: pick(videoOrder), isrc: false };
}
