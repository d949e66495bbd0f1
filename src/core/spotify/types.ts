/** The catalog model shared by providers, matching, jobs and burning. */

export type SpotifyKind = "track" | "album" | "playlist";

/** A parsed, canonical Spotify reference. */
export interface SpotifyRef {
  kind: SpotifyKind;
  /** 22-character base62 id. */
  id: string;
  /** `spotify:{kind}:{id}` */
  uri: string;
}

/** One track with everything tagging, matching and burning need. */
export interface Track {
  /** Spotify track id (22 base62 characters). */
  id: string;
  title: string;
  artists: string[];
  album: string;
  albumArtist: string;
  trackNumber: number;
  discNumber: number;
  durationMs: number;
  isrc?: string;
  explicit: boolean;
  /** `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, as Spotify gives it. */
  releaseDate?: string;
  coverUrl?: string;
  albumUpc?: string;
}

export type ProviderName = "api" | "embed";

/** What a link resolves to: an ordered track list and where it came from. */
export interface Collection {
  ref: SpotifyRef;
  title: string;
  /** Album artist or playlist owner, when known. */
  subtitle?: string;
  coverUrl?: string;
  tracks: Track[];
  /** How many tracks the source says the list has (may exceed tracks.length when cut). */
  total: number;
  /** True when the list was cut (the embed page stops at 100 playlist tracks). */
  truncated: boolean;
  provider: ProviderName;
  /** Sentences for the person, e.g. why a provider was skipped or that the list was cut. */
  notes: string[];
}
