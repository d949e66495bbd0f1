/**
 * The `embed` provider: Spotify's public embed page, no credentials. The page carries its data as JSON in
 * `<script id="__NEXT_DATA__">` (the page's last script). It reads every public playlist, but knows less
 * (no ISRC, no album of playlist tracks, artists only as one "A, B" credit) and lists at most 100 playlist
 * tracks with no total, so a cut at 100 cannot be told from a playlist of exactly 100.
 *
 * An unknown or private id answers HTTP 200, not 404: `props.pageProps.status` is 404 and there is no
 * `state` (FACTS.md, Spotify: "Embed page, as captured in 2026").
 */
import { z } from "zod";
import type { Logger } from "../log.js";
import { ProviderError, type CatalogProvider } from "./provider.js";
import {
  discardBody,
  type FetchLike,
  humanSeconds,
  isTimeout,
  parseRetryAfter,
  readTextCapped,
  withTimeout,
} from "./spotify-http.js";
import type { SpotifyRef, Track } from "./types.js";

export interface EmbedProviderOptions {
  /** e.g. `https://open.spotify.com` */
  embedBaseUrl: string;
  /** Timeout of one request. */
  requestTimeoutMs: number;
  /** @defaultValue globalThis.fetch */
  fetch?: FetchLike;
  logger?: Pick<Logger, "debug" | "warn">;
}

/** The embed page never lists more playlist tracks than this. */
export const embedPlaylistLimit = 100;

const maxPageBytes = 8 * 1024 * 1024;

const coverArtSchema = z.object({
  sources: z.array(z.object({ url: z.string(), width: z.number().nullish() })),
});
const embedTrackRowSchema = z.object({
  uri: z.string(),
  title: z.string(),
  subtitle: z.string().default(""),
  artists: z.array(z.object({ name: z.string() })).optional(),
  duration: z.number().nonnegative(),
  isExplicit: z.boolean().default(false),
});
const entitySchema = z.object({
  type: z.string(),
  id: z.string().optional(),
  uri: z.string().optional(),
  name: z.string().optional(),
  title: z.string().optional(),
  subtitle: z.string().optional(),
  artists: z.array(z.object({ name: z.string() })).optional(),
  duration: z.number().optional(),
  isExplicit: z.boolean().optional(),
  releaseDate: z.object({ isoString: z.string() }).nullish(),
  coverArt: coverArtSchema.nullish(),
  trackList: z.array(embedTrackRowSchema).optional(),
});
const nextDataSchema = z.object({
  props: z.object({ pageProps: z.object({ state: z.object({ data: z.object({ entity: entitySchema }) }) }) }),
});
/** Just enough to tell the "nothing here" page (status 404, no state) from a page we cannot read. */
const pagePropsSchema = z.object({
  props: z.object({ pageProps: z.object({ status: z.number().optional(), state: z.unknown().optional() }) }),
});

const notFoundReason =
  "Spotify's public page for that link shows nothing (not found): it may be private, deleted or mistyped.";

type Entity = z.infer<typeof entitySchema>;

/** Create the `embed` provider. */
export function createEmbedProvider(options: EmbedProviderOptions): CatalogProvider {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const base = options.embedBaseUrl.replace(/\/+$/, "");

  async function fetchEntity(ref: SpotifyRef, signal?: AbortSignal): Promise<Entity> {
    const url = `${base}/embed/${ref.kind}/${ref.id}`;
    let res: Response;
    try {
      res = await fetchFn(url, {
        signal: withTimeout(options.requestTimeoutMs, signal),
        headers: { accept: "text/html" },
      });
    } catch (err) {
      signal?.throwIfAborted();
      const reason = isTimeout(err, signal)
        ? `Spotify's embed page did not answer within ${humanSeconds(Math.max(1, Math.round(options.requestTimeoutMs / 1000)))}.`
        : "Spotify's embed page could not be reached.";
      throw new ProviderError("embed", "unavailable", reason, { cause: err });
    }
    if (!res.ok) {
      await discardBody(res);
      if (res.status === 404) {
        throw new ProviderError("embed", "not_found", notFoundReason, { detail: `HTTP 404 from ${url}` });
      }
      if (res.status === 429) {
        const wait = parseRetryAfter(res.headers.get("retry-after"));
        throw new ProviderError(
          "embed",
          "rate_limited",
          `Spotify's embed page is rate limiting this bot${wait === undefined ? "" : ` for ${humanSeconds(wait)}`}.`,
        );
      }
      throw new ProviderError("embed", "unavailable", `Spotify's embed page failed (HTTP ${res.status}).`);
    }
    const html = await readTextCapped(res, maxPageBytes);
    const json = /<script\b[^>]*\bid=["']__NEXT_DATA__["'][^>]*>([\s\S]*?)<\/script>/i.exec(html)?.[1];
    const unreadable = (detail: string, cause?: unknown): ProviderError =>
      new ProviderError("embed", "unavailable", "Spotify's embed page has changed and could not be read.", {
        cause,
        detail,
      });
    if (json === undefined) throw unreadable("no __NEXT_DATA__ script in the embed page");
    let data: unknown;
    try {
      data = JSON.parse(json);
    } catch (err) {
      throw unreadable("__NEXT_DATA__ is not JSON", err);
    }
    const page = pagePropsSchema.safeParse(data);
    if (page.success && page.data.props.pageProps.state === undefined) {
      const status = page.data.props.pageProps.status;
      if (status === 404) {
        throw new ProviderError("embed", "not_found", notFoundReason, {
          detail: `embed page for ${ref.uri} says status 404 (HTTP ${res.status})`,
        });
      }
    }
    const parsed = nextDataSchema.safeParse(data);
    if (!parsed.success) throw unreadable(`unexpected __NEXT_DATA__: ${parsed.error.message}`, parsed.error);
    return parsed.data.props.pageProps.state.data.entity;
  }

  return {
    name: "embed",
    async resolve(ref, signal) {
      const entity = await fetchEntity(ref, signal);
      const title = entity.name ?? entity.title ?? "";
      const coverUrl = largestSource(entity.coverArt);
      const releaseDate = entity.releaseDate?.isoString.slice(0, 10);
      const notes: string[] = [];
      if (ref.kind === "track") {
        const artists = entity.artists?.map((a) => a.name) ?? splitArtists(entity.subtitle ?? "");
        const credit = entity.subtitle?.trim() || artists.join(", ");
        const track: Track = {
          id: ref.id,
          title,
          artists,
          ...(credit ? { artistCredit: credit } : {}),
          // The track embed does not name its album.
          album: "",
          albumArtist: artists[0] ?? "",
          trackNumber: 1,
          discNumber: 1,
          durationMs: Math.round(entity.duration ?? 0),
          explicit: entity.isExplicit ?? false,
          releaseDate,
          coverUrl,
        };
        return {
          ref,
          title,
          subtitle: artists.join(", "),
          coverUrl,
          tracks: [track],
          total: 1,
          truncated: false,
          provider: "embed",
          notes,
        };
      }
      const rows = entity.trackList ?? [];
      const albumArtist = entity.subtitle ?? "";
      const tracks: Track[] = [];
      for (const row of rows) {
        const id = /^spotify:track:([0-9A-Za-z]{22})$/.exec(row.uri)?.[1];
        if (id === undefined) continue; // episodes and local files
        // `artists` is a best-effort split for scoring ("Tyler, The Creator" becomes two names); the
        // credit is kept whole, exactly as Spotify shows it, for the performer tag.
        const artists = row.artists?.map((a) => a.name) ?? splitArtists(row.subtitle);
        const credit = row.subtitle.trim() || artists.join(", ");
        tracks.push({
          id,
          title: row.title,
          artists,
          ...(credit ? { artistCredit: credit } : {}),
          album: ref.kind === "album" ? title : "",
          albumArtist: ref.kind === "album" ? albumArtist : (artists[0] ?? ""),
          trackNumber: tracks.length + 1,
          discNumber: 1,
          durationMs: Math.round(row.duration),
          explicit: row.isExplicit,
          releaseDate: ref.kind === "album" ? releaseDate : undefined,
          coverUrl: ref.kind === "album" ? coverUrl : undefined,
        });
      }
      // The page gives no total: 100 rows may be the whole playlist or a cut. Marked truncated with
      // `total` equal to the rows, which means "may have more, how many is unknown".
      const truncated = ref.kind === "playlist" && rows.length >= embedPlaylistLimit;
      if (truncated) {
        notes.push(
          `Spotify's public page lists at most ${embedPlaylistLimit} tracks; this playlist may have more.`,
        );
      }
      if (rows.length > tracks.length) {
        const n = rows.length - tracks.length;
        notes.push(
          `${n} ${n === 1 ? "entry was" : "entries were"} skipped: podcast episodes or local files.`,
        );
      }
      return {
        ref,
        title,
        subtitle: entity.subtitle,
        coverUrl,
        tracks,
        total: rows.length,
        truncated,
        provider: "embed",
        notes,
      };
    },
  };
}

/** The embed lists a row's artists as one string joined with commas. */
function splitArtists(subtitle: string): string[] {
  return subtitle
    .split(/,\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function largestSource(coverArt: z.infer<typeof coverArtSchema> | null | undefined): string | undefined {
  let best: { url: string; width?: number | null } | undefined;
  for (const source of coverArt?.sources ?? [])
    if (!best || (source.width ?? 0) > (best.width ?? 0)) best = source;
  return best?.url;
}
