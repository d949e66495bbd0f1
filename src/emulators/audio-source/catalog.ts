/**
 * The stand-in's fake YouTube: for every Spotify track, the right recording plus the decoys a real search
 * returns (live, cover, slowed, a long upload, a lyric video), with deterministic video ids.
 */
import { createHash } from "node:crypto";
import type { Track } from "../../core/spotify/types.js";

/** Which kind of upload a candidate is. `official` is the right one. */
export type Variant = "official" | "live" | "cover" | "slowed" | "long" | "lyric";

export const variants: readonly Variant[] = ["official", "live", "cover", "slowed", "long", "lyric"];

/** One fake upload. */
export interface FakeVideo {
  id: string;
  trackId: string;
  variant: Variant;
  title: string;
  channel: string;
  channelId: string;
  durationSec: number;
  views: number;
}

/** Deterministic 11-character video id for (track, variant): base64url of a sha256. */
export function videoIdFor(trackId: string, variant: Variant): string {
  return createHash("sha256").update(`${trackId}:${variant}`).digest("base64url").slice(0, 11);
}

/** The video id a correct match must pick for `track`. */
export function expectedVideoId(track: Track): string {
  return videoIdFor(track.id, "official");
}

function channelIdFor(name: string): string {
  return "UC" + createHash("sha256").update(name).digest("base64url").slice(0, 22);
}

/** Every fake upload of one track, official first. */
export function videosFor(track: Track): FakeVideo[] {
  const artist = track.artists[0] ?? "Unknown Artist";
  const artists = track.artists.join(", ") || artist;
  const seconds = Math.max(1, Math.round(track.durationMs / 1000));
  const make = (variant: Variant, title: string, channel: string, durationSec: number, views: number) => ({
    id: videoIdFor(track.id, variant),
    trackId: track.id,
    variant,
    title,
    channel,
    channelId: channelIdFor(channel),
    durationSec,
    views,
  });
  return [
    make("official", track.title, `${artist} - Topic`, seconds, 1_250_000),
    make("live", `${track.title} (Live at Wembley Stadium)`, artist, seconds + 23, 310_000),
    make("cover", `${track.title} - ${artist} (Cover)`, "Garage Cover Band", seconds + 2, 45_000),
    make("slowed", `${track.title} (Slowed + Reverb)`, "moonlit edits", Math.round(seconds * 1.2), 2_400_000),
    make("long", `${artists} - ${track.title} (Official Video)`, `${artist}VEVO`, seconds + 40, 9_800_000),
    make("lyric", `${artists} - ${track.title} (Lyrics)`, "Lyric Vault", seconds + 3, 3_100_000),
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

/** True when (almost) every word of the query appears in "artists - title" of the track. */
export function queryMatches(track: Track, query: string): boolean {
  const hay = new Set(words(`${track.artists.join(" ")} ${track.title}`));
  const wanted = words(query);
  if (wanted.length === 0) return false;
  const found = wanted.filter((w) => hay.has(w) || [...hay].some((h) => h.startsWith(w) && w.length >= 3));
  return found.length / wanted.length >= 0.8;
}

/** Order of candidates per search kind: YouTube Music lists songs first; plain video search is noisier. */
const order: Record<"isrc" | "music" | "video", readonly Variant[]> = {
  isrc: ["official"],
  music: ["official", "slowed", "live", "cover"],
  video: ["long", "lyric", "official", "live", "cover", "slowed"],
};

/** Search the fake catalogue like YouTube would. */
export function searchVideos(
  tracks: readonly Track[],
  query: string,
  kind: "isrc" | "music" | "video",
  limit: number,
): FakeVideo[] {
  const q = query.trim();
  const hits =
    kind === "isrc"
      ? tracks.filter((t) => t.isrc !== undefined && t.isrc.toUpperCase() === q.toUpperCase())
      : tracks.filter((t) => queryMatches(t, q));
  const out: FakeVideo[] = [];
  for (const variant of order[kind]) {
    for (const track of hits) {
      const video = videosFor(track).find((v) => v.variant === variant);
      if (video) out.push(video);
    }
  }
  return out.slice(0, limit);
}

/** The same shape as `yt-dlp --flat-playlist -J "ytsearchN:<query>"`. */
export function flatPlaylistJson(query: string, videos: readonly FakeVideo[]): Record<string, unknown> {
  return {
    _type: "playlist",
    id: query,
    title: query,
    extractor: "youtube:search",
    extractor_key: "YoutubeSearch",
    webpage_url: `ytsearch${videos.length}:${query}`,
    entries: videos.map((v) => ({
      _type: "url",
      ie_key: "Youtube",
      id: v.id,
      url: `https://www.youtube.com/watch?v=${v.id}`,
      title: v.title,
      description: null,
      duration: v.durationSec,
      channel_id: v.channelId,
      channel: v.channel,
      channel_url: `https://www.youtube.com/channel/${v.channelId}`,
      uploader: v.channel,
      view_count: v.views,
      live_status: null,
    })),
  };
}
