/**
 * The catalog: parse a link, resolve short links, then ask each configured provider in order until one
 * answers. Reasons of the providers that could not answer are kept as notes for the person.
 */
import { defaultMaxTracks, defaultResolveTimeoutSeconds, type Config } from "../config/schema.js";
import { UserFacingError } from "../errors.js";
import type { Logger } from "../log.js";
import type { OperatorNotices } from "../operator-notices.js";
import type { ServicePauses } from "../service-pauses.js";
import { createApiProvider } from "./api-provider.js";
import { createEmbedProvider } from "./embed-provider.js";
import { isShortLink, parseSpotifyLink, type ParsedLink } from "./link-parser.js";
import { ProviderError, type CatalogProvider } from "./provider.js";
import { resolveShortLink } from "./short-link.js";
import { humanSeconds, type FetchLike } from "./spotify-http.js";
import type { Collection, ProviderName, SpotifyRef } from "./types.js";

export interface CatalogOptions {
  /** Providers in the order they are tried: names, or ready-made providers (tests). */
  providers: readonly (ProviderName | CatalogProvider)[];
  /** Spotify app client id; without it the `api` provider is left out. @defaultValue "" */
  clientId?: string;
  /** Spotify app client secret. @defaultValue "" */
  clientSecret?: string;
  /** @defaultValue "https://api.spotify.com/v1" */
  apiBaseUrl?: string;
  /** @defaultValue "https://accounts.spotify.com" */
  accountsBaseUrl?: string;
  /** @defaultValue "https://open.spotify.com" */
  embedBaseUrl?: string;
  /** Where short links are resolved; empty: the link's own host. @defaultValue "" */
  shortLinkBaseUrl?: string;
  /** Longest Retry-After (s) honoured before failing over. @defaultValue 30 */
  maxRetryAfterSeconds?: number;
  /** Timeout of one request (ms). @defaultValue 15000 */
  requestTimeoutMs?: number;
  /** @defaultValue "US" */
  market?: string;
  /** Look up each album track's ISRC (one request per track). @defaultValue true */
  albumIsrcs?: boolean;
  /** @defaultValue globalThis.fetch */
  fetch?: FetchLike;
  logger?: Pick<Logger, "debug" | "warn">;
  /**
   * Service-wide pauses in Redis: after a long Retry-After, an exhausted quota or the app owner's lapsed
   * Premium, the Web API is skipped with no request by every catalog sharing that Redis until the pause
   * ends. Without it nothing is remembered between resolves.
   */
  pauses?: ServicePauses;
  /** Where the operator is told (a lapsed Premium, a long pause). Without it, only the log. */
  notices?: OperatorNotices;
  /** How long the Web API rests after the Premium-lapse 403. @defaultValue 3600 */
  premiumLapsePauseSeconds?: number;
  /**
   * Most tracks one link resolves to: a longer list is cut to its first tracks, marked truncated, and the
   * person told in a note. Providers stop reading pages just past it. @defaultValue 1000
   */
  maxTracks?: number;
  /**
   * Deadline of one resolve, every provider, page, retry and lookup included; past it the resolve fails
   * with a `catalog_timeout` sentence. @defaultValue 120000
   */
  resolveTimeoutMs?: number;
  /**
   * The Web API reads the app owner's playlists (see {@link ApiProviderOptions.ownerAuthorised}): only
   * once the service holds the owner's user token, which it does not today. @defaultValue false
   */
  ownerAuthorised?: boolean;
}

/** What the bot, the CLI and the jobs use to turn a link into a track list. */
export interface Catalog {
  /** Names of the providers that will be tried, in order. */
  readonly providers: readonly ProviderName[];
  /** Parse a message (no network). @throws UserFacingError */
  parse(text: string): ParsedLink;
  /** The canonical reference of a message or parsed link, resolving short links. @throws UserFacingError */
  canonicalRef(input: string | ParsedLink, signal?: AbortSignal): Promise<SpotifyRef>;
  /** Resolve a message, parsed link or reference to its tracks. @throws UserFacingError */
  resolve(input: string | ParsedLink, signal?: AbortSignal): Promise<Collection>;
}

const providerLabels: Record<ProviderName, string> = { api: "Spotify Web API", embed: "public embed page" };

/** Failures that say nothing about the link: the source did not look at it. */
const couldNotLook = new Set<ProviderError["failure"]>([
  "paused",
  "premium_lapsed",
  "rate_limited",
  "quota",
  "auth",
]);

/** Build a catalog from plain options (see {@link catalogOptionsFromConfig} for the config file). */
export function createCatalog(options: CatalogOptions): Catalog {
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  const maxTracks = options.maxTracks ?? defaultMaxTracks;
  const resolveTimeoutMs = options.resolveTimeoutMs ?? defaultResolveTimeoutSeconds * 1000;
  const providers: CatalogProvider[] = [];
  let apiLeftOut = false;
  for (const entry of options.providers) {
    if (typeof entry !== "string") {
      providers.push(entry);
    } else if (entry === "api") {
      if (!options.clientId || !options.clientSecret) {
        apiLeftOut = true;
        options.logger?.debug({}, "spotify api provider left out: no client id/secret");
        continue;
      }
      providers.push(
        createApiProvider({
          clientId: options.clientId,
          clientSecret: options.clientSecret,
          apiBaseUrl: options.apiBaseUrl ?? "https://api.spotify.com/v1",
          accountsBaseUrl: options.accountsBaseUrl ?? "https://accounts.spotify.com",
          requestTimeoutMs,
          maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? 30,
          market: options.market,
          albumIsrcs: options.albumIsrcs,
          fetch: options.fetch,
          logger: options.logger,
          pauses: options.pauses,
          notices: options.notices,
          premiumLapsePauseSeconds: options.premiumLapsePauseSeconds,
          maxTracks,
          ownerAuthorised: options.ownerAuthorised,
        }),
      );
    } else {
      providers.push(
        createEmbedProvider({
          embedBaseUrl: options.embedBaseUrl ?? "https://open.spotify.com",
          requestTimeoutMs,
          fetch: options.fetch,
          logger: options.logger,
        }),
      );
    }
  }

  async function canonicalRef(input: string | ParsedLink, signal?: AbortSignal): Promise<SpotifyRef> {
    const parsed = typeof input === "string" ? parseSpotifyLink(input) : input;
    if (!isShortLink(parsed)) return parsed;
    return resolveShortLink(parsed.shortLink, {
      baseUrl: options.shortLinkBaseUrl || undefined,
      timeoutMs: requestTimeoutMs,
      fetch: options.fetch,
      signal,
    });
  }

  return {
    providers: providers.map((p) => p.name),
    parse: parseSpotifyLink,
    canonicalRef,
    async resolve(input, callerSignal) {
      // One deadline for the whole resolve, whatever the providers meet (slow pages, endless lists).
      const deadline = AbortSignal.timeout(resolveTimeoutMs);
      const signal = callerSignal ? AbortSignal.any([callerSignal, deadline]) : deadline;
      const asked: { kind?: SpotifyRef["kind"] } = {};
      try {
        return await resolveWithin(input, signal, asked);
      } catch (err) {
        if (!deadline.aborted || callerSignal?.aborted) throw err;
        throw new UserFacingError(
          "catalog_timeout",
          `Spotify took too long to list this ${asked.kind ?? "link"}: I stopped after ${humanSeconds(Math.max(1, Math.round(resolveTimeoutMs / 1000)))}. Please try again later.`,
          { cause: err },
        );
      }
    },
  };

  async function resolveWithin(
    input: string | ParsedLink,
    signal: AbortSignal,
    asked: { kind?: SpotifyRef["kind"] },
  ): Promise<Collection> {
    const ref = await canonicalRef(input, signal);
    asked.kind = ref.kind;
    if (providers.length === 0) {
      throw new UserFacingError(
        "catalog_unavailable",
        apiLeftOut
          ? "This bot can't read Spotify right now: no Spotify credentials are configured and no other source is enabled."
          : "This bot can't read Spotify right now: no catalog source is enabled.",
      );
    }
    const failures: ProviderError[] = [];
    for (const provider of providers) {
      try {
        const collection = await provider.resolve(ref, signal);
        const skipped = failures
          .filter((f) => f.failure !== "skipped")
          .map((f) => `The ${providerLabels[f.provider]} was not used: ${f.userReason}`);
        return capTracks({ ...collection, notes: [...skipped, ...collection.notes] }, maxTracks);
      } catch (err) {
        signal.throwIfAborted();
        const failure =
          err instanceof ProviderError
            ? err
            : new ProviderError(provider.name, "unavailable", "It failed unexpectedly.", { cause: err });
        const level = failure.failure === "skipped" || failure.failure === "paused" ? "debug" : "warn";
        options.logger?.[level](
          { provider: provider.name, failure: failure.failure, detail: failure.message, uri: ref.uri },
          "spotify provider could not answer",
        );
        failures.push(failure);
      }
    }
    // A source that skips this kind of item by design is only worth a word when nothing else answered.
    const looked = failures.filter((f) => f.failure !== "skipped");
    const told = looked.length > 0 ? looked : failures;
    const notFound = told.some((f) => f.failure === "not_found");
    // Not found when every source that looked says so, or when the public embed page says so and the
    // other sources only could not look (paused, quota, the operator's account): the link points to
    // nothing Spotify shows publicly.
    if (notFound && told.every((f) => f.failure === "not_found" || couldNotLook.has(f.failure))) {
      throw new UserFacingError(
        "catalog_not_found",
        `Not found: that ${ref.kind} link points to nothing Spotify shows publicly. It may be private, deleted or mistyped.`,
      );
    }
    const reasons = told.filter((f) => f.failure !== "not_found").map((f) => f.userReason);
    throw new UserFacingError(
      "catalog_unavailable",
      `I couldn't read that ${ref.kind} from Spotify. ${reasons.join(" ")}`,
      { cause: failures[0] },
    );
  }
}

/**
 * Cut a collection to its first `maxTracks` tracks, marked truncated, with a note saying what was cut.
 * The count is the source's `total` when it claims more than was read, else what was read ("at least"
 * when the source may have more): a lying `total` never makes the sentence wrong.
 */
export function capTracks(collection: Collection, maxTracks: number): Collection {
  const read = collection.tracks.length;
  if (read <= maxTracks) return collection;
  const count = Math.max(collection.total, read);
  const atLeast = collection.truncated && collection.total <= read ? "at least " : "";
  const kind = collection.ref.kind === "track" ? "link" : collection.ref.kind;
  return {
    ...collection,
    tracks: collection.tracks.slice(0, maxTracks),
    total: count,
    truncated: true,
    notes: [
      ...collection.notes,
      `Only the first ${maxTracks.toLocaleString("en-US")} of ${atLeast}${count.toLocaleString("en-US")} tracks of this ${kind} are collected: this bot takes at most ${maxTracks.toLocaleString("en-US")} tracks from one link.`,
    ],
  };
}

/**
 * Parse `text` and resolve it to its tracks with a one-off catalog (the CLI's `resolve` command).
 * @throws UserFacingError
 */
export async function resolveLink(
  text: string,
  deps: CatalogOptions,
  signal?: AbortSignal,
): Promise<Collection> {
  return createCatalog(deps).resolve(text, signal);
}

/** Catalog options from the `[spotify]` config section. */
export function catalogOptionsFromConfig(
  spotify: Config["spotify"],
  extra: Pick<CatalogOptions, "fetch" | "logger" | "pauses" | "notices" | "maxTracks"> = {},
): CatalogOptions {
  return {
    providers: spotify.providers,
    clientId: spotify.clientId,
    clientSecret: spotify.clientSecret,
    apiBaseUrl: spotify.apiBaseUrl,
    accountsBaseUrl: spotify.accountsBaseUrl,
    embedBaseUrl: spotify.embedBaseUrl,
    shortLinkBaseUrl: spotify.shortLinkBaseUrl,
    maxRetryAfterSeconds: spotify.maxRetryAfterSeconds,
    requestTimeoutMs: spotify.requestTimeoutSeconds * 1000,
    market: spotify.market,
    albumIsrcs: spotify.albumIsrcs,
    resolveTimeoutMs: spotify.resolveTimeoutSeconds * 1000,
    ...extra,
  };
}
