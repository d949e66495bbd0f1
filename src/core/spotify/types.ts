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
  /**
   * The performers one by one, for matching and scoring. From the embed page this is a best-effort split
   * of {@link artistCredit} on ", ", so "Tyler, The Creator" comes out as two names.
   */
  artists: string[];
  /**
   * The artist credit exactly as Spotify shows it ("Tyler, The Creator"), when the source gives one string
   * rather than separate names (the embed page). For the performer tag: prefer it to `artists.join(", ")`.
   */
  artistCredit?: string;
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
  /**
   * Genre, label and copyright line, only when the source gives them: the Web API's full album object
   * (an album link) has them, a track or playlist row's album and the embed page do not. Never guessed.
   */
  genre?: string;
  label?: string;
  copyright?: string;
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
  /**
   * True when the list was or may have been cut: the embed page stops at 100 playlist tracks and gives no
   * total, so there `total` equals the tracks listed and the real length is unknown.
   */
  truncated: boolean;
  provider: ProviderName;
  /** Sentences for the person, e.g. why a provider was skipped or that the list was cut. */
  notes: string[];
}
