/** Shapes shared by candidate sources and the scorer. */

/** One recording that might be the track. */
export interface Candidate {
  /** Video id: 11 characters of [A-Za-z0-9_-]. The only thing ever handed to yt-dlp. */
  id: string;
  title: string;
  /** Channel or uploader name (YouTube Music auto channels end in " - Topic"). */
  channel: string;
  /** True when YouTube marks the channel as verified (newer yt-dlp reports `channel_is_verified`). */
  channelVerified?: boolean;
  durationSec?: number;
  views?: number;
  /**
   * The artists YouTube Music credits (songs) or the uploading channel (videos). When present, this, not the
   * title, says whose recording it is.
   */
  artists?: string[];
  /** The album YouTube Music files a song under. */
  album?: string;
  /**
   * What YouTube Music says the upload is: `song` (the label's audio, on the artist's "Topic" channel),
   * `official-video` (the artist's official music video) or `video` (anyone's upload).
   */
  kind?: "song" | "official-video" | "video";
  /** YouTube Music's explicit badge on a song (labels mark their explicit audio; absent: clean). */
  explicit?: boolean;
  /** Which search found it. */
  via: "isrc" | "music" | "video";
}

export interface SearchQuery {
  /** Free text, e.g. `Artist A, Artist B - Title`. */
  text: string;
  /** What to search: ISRC lookups, YouTube Music songs, or plain videos. */
  kind: "isrc" | "music" | "video";
}

/** Where candidates come from: YouTube Music search (live, or recorded traffic replayed). */
export interface CandidateSource {
  search(query: SearchQuery, signal?: AbortSignal): Promise<Candidate[]>;
}

export interface ScoredCandidate {
  candidate: Candidate;
  /** 0-100 */
  score: number;
  reasons: string[];
  rejected: boolean;
}

export interface MatchResult {
  choice: Candidate | null;
  /** 0-100 */
  confidence: number;
  /** Human-readable reasons for the choice (or for having none). */
  reasons: string[];
  /** True when confidence is under the threshold: the person should check it. */
  needsReview: boolean;
  /** Best three candidates, best first. */
  top: ScoredCandidate[];
  /** The searches asked for this result, in order (each is one request to YouTube Music). */
  searched?: SearchQuery["kind"][];
}
