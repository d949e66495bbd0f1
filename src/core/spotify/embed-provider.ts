/**
 * The `embed` provider: Spotify's public embed page, no credentials. The page carries its data as JSON in
 * `<script id="__NEXT_DATA__">`. It reads playlists the Web API refuses, but knows less (no ISRC, no album
 * of playlist tracks) and lists at most 100 playlist tracks.
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
        throw new ProviderError("embed", "not_found", "Spotify's embed page doesn't know that item.");
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
        const track: Track = {
          id: ref.id,
          title,
          artists,
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
        const artists = row.artists?.map((a) => a.name) ?? splitArtists(row.subtitle);
        tracks.push({
          id,
          title: row.title,
          artists,
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
      const truncated = ref.kind === "playlist" && rows.length >= embedPlaylistLimit;
      if (truncated) {
        notes.push(
          `Only the first ${embedPlaylistLimit} tracks are included: Spotify's public embed page lists no more.`,
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
