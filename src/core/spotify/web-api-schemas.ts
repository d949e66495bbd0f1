/**
 * zod schemas of the Spotify Web API answers we read. Lenient on purpose: unknown fields pass, and
 * only what we map into a Track is required, so a new field on Spotify's side breaks nothing.
 */
import { z } from "zod";

export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number().int().positive(),
});

/** `{"error": {"status", "message", "reason"?}}`, or the accounts service's `{"error": "...", "error_description"}`. */
export const errorBodySchema = z.object({
  error: z.union([
    z.object({
      status: z.number().optional(),
      message: z.string().optional(),
      reason: z.string().optional(),
    }),
    z.string(),
  ]),
  error_description: z.string().optional(),
});

const imageSchema = z.object({ url: z.string(), width: z.number().nullish(), height: z.number().nullish() });
const artistSchema = z.object({ name: z.string() });

export const simplifiedAlbumSchema = z.object({
  id: z.string(),
  name: z.string(),
  artists: z.array(artistSchema),
  images: z.array(imageSchema).default([]),
  release_date: z.string().nullish(),
  external_ids: z.object({ upc: z.string().optional() }).partial().nullish(),
});

export const simplifiedTrackSchema = z.object({
  id: z.string(),
  name: z.string(),
  artists: z.array(artistSchema),
  track_number: z.number().int(),
  disc_number: z.number().int(),
  duration_ms: z.number().int().nonnegative(),
  explicit: z.boolean(),
  external_ids: z.object({ isrc: z.string().optional() }).partial().nullish(),
});

export const trackSchema = simplifiedTrackSchema.extend({
  type: z.literal("track").optional(),
  album: simplifiedAlbumSchema,
  is_local: z.boolean().optional(),
});

/** One page of a paged list; `next` is an absolute URL or null on the last page. */
export function pagingSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int().nonnegative(),
    next: z.string().nullish(),
    offset: z.number().int().optional(),
    limit: z.number().int().optional(),
  });
}

export const albumSchema = simplifiedAlbumSchema.extend({
  total_tracks: z.number().int().optional(),
  /** Only the full album object has these; `genres` is usually empty. */
  label: z.string().nullish(),
  copyrights: z.array(z.object({ text: z.string(), type: z.string().nullish() })).nullish(),
  genres: z.array(z.string()).nullish(),
  tracks: pagingSchema(simplifiedTrackSchema),
});

/**
 * A playlist row. Since February 2026 rows carry `item` (a track or an episode); `track` is read too so an
 * older server still works. Episodes and local files have no usable track and are skipped.
 */
export const playlistRowSchema = z.object({
  item: z.unknown().optional(),
  track: z.unknown().optional(),
  is_local: z.boolean().optional(),
});

/** The playlist object; its list field is `items` since February 2026 (`tracks` before), first page embedded or not. */
export const playlistSchema = z.object({
  id: z.string(),
  name: z.string(),
  owner: z.object({ display_name: z.string().nullish(), id: z.string().optional() }).nullish(),
  images: z.array(imageSchema).nullish(),
  items: z
    .object({
      total: z.number().int(),
      items: z.array(playlistRowSchema).optional(),
      next: z.string().nullish(),
    })
    .optional(),
  tracks: z
    .object({
      total: z.number().int(),
      items: z.array(playlistRowSchema).optional(),
      next: z.string().nullish(),
    })
    .optional(),
});

export type TrackObject = z.infer<typeof trackSchema>;
export type SimplifiedTrackObject = z.infer<typeof simplifiedTrackSchema>;
export type AlbumObject = z.infer<typeof albumSchema>;
export type PlaylistObject = z.infer<typeof playlistSchema>;
export type PlaylistRow = z.infer<typeof playlistRowSchema>;
