/** The one interface every catalog provider implements, and the error that makes the catalog try the next. */
import type { Collection, ProviderName, SpotifyRef } from "./types.js";

/** Reads one Spotify reference into a {@link Collection}. */
export interface CatalogProvider {
  readonly name: ProviderName;
  /** @throws ProviderError when this provider cannot answer (the catalog then tries the next one). */
  resolve(ref: SpotifyRef, signal?: AbortSignal): Promise<Collection>;
}

/**
 * Why a provider could not answer:
 * - `skipped`: this provider does not read this kind of item by design (the Web API and playlists, with
 *   no owner authorisation); not worth a note for the person
 * - `forbidden`: the API refuses this item
 * - `closed`: Spotify closed this kind of item to new apps (editorial playlists)
 * - `rate_limited`: 429 with a wait longer than we accept
 * - `quota`: 429 with `QUOTA_EXCEEDED`
 * - `premium_lapsed`: every call answers 403 because the app owner's Premium lapsed (the operator's problem)
 * - `paused`: the provider is paused service-wide (an earlier long 429, quota or Premium lapse); no request made
 * - `not_found`: the id does not exist (or is private)
 * - `auth`: credentials were refused
 * - `unavailable`: timeouts, network errors, 5xx, answers we could not read
 */
export type ProviderFailure =
  | "skipped"
  | "forbidden"
  | "closed"
  | "rate_limited"
  | "quota"
  | "premium_lapsed"
  | "paused"
  | "not_found"
  | "auth"
  | "unavailable";

/** A provider could not answer; `userReason` is a sentence for the person, kept as a note when another provider answers. */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  /** Seconds the server asked us to wait (429 `Retry-After`), when it said. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly provider: ProviderName,
    readonly failure: ProviderFailure,
    /** A sentence for the person, e.g. why the Web API could not read this playlist. */
    readonly userReason: string,
    options?: { cause?: unknown; detail?: string; retryAfterSeconds?: number },
  ) {
    super(options?.detail ?? userReason, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}
