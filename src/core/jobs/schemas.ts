/**
 * Shapes that cross process boundaries through Redis: job data, results and progress events. They are
 * checked with zod where they are read back, because another process (or an older version) wrote them.
 */
import { z } from "zod";
import { audioFormats, type AudioFormat } from "../config/schema.js";
import type { Track } from "../spotify/types.js";

/** The zod form of the catalog's {@link Track} (documented there); checked below to stay equal to it. */
export const trackSchema = z.object({
  id: z.string(),
  title: z.string(),
  artists: z.array(z.string()),
  artistCredit: z.string().optional(),
  album: z.string(),
  albumArtist: z.string(),
  trackNumber: z.number().int(),
  discNumber: z.number().int(),
  durationMs: z.number(),
  isrc: z.string().optional(),
  explicit: z.boolean(),
  releaseDate: z.string().optional(),
  coverUrl: z.string().optional(),
  albumUpc: z.string().optional(),
  genre: z.string().optional(),
  label: z.string().optional(),
  copyright: z.string().optional(),
});

/** True when A and B are the same type (not merely assignable one way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Fails to compile when `trackSchema` and `Track` drift apart (a field added, dropped or retyped). */
const _trackSchemaIsTrack: Same<z.infer<typeof trackSchema>, Track> = true;

export const refSchema = z.object({
  kind: z.enum(["track", "album", "playlist"]),
  id: z.string(),
  uri: z.string(),
});

/** Who asked, and where to answer. */
export const ownerSchema = z.object({
  userId: z.number().int(),
  chatId: z.number().int(),
});
export type Owner = z.infer<typeof ownerSchema>;

/**
 * How a lossy file is encoded: a bitrate in kbps, or "original": YouTube's own stream kept as it is
 * (copied, not re-encoded) when the container takes its codec (Opus into .opus, AAC into .m4a).
 */
export const qualitySchema = z.union([z.number().int().min(32).max(512), z.literal("original")]);
export type Quality = z.infer<typeof qualitySchema>;

/** What a person gets in the chat when a job ends: audio messages, the download link, or both. */
export const deliveryModes = ["audio", "link", "both"] as const;
export type DeliveryMode = (typeof deliveryModes)[number];

/**
 * The mark a file of a quality other than the service's own carries in its name (`320k`, `original`),
 * so it never takes the place of the shared file of the same track and format; undefined for the
 * service's own quality (`download.bitrateKbps`), whose files are shared through the track cache, and
 * for flac (lossless: no quality to choose).
 */
export function qualityMark(
  format: AudioFormat,
  quality: Quality | undefined,
  serviceKbps: number,
): string | undefined {
  if (format === "flac" || quality === undefined || quality === serviceKbps) return undefined;
  return quality === "original" ? "original" : `${quality}k`;
}

export const collectionJobDataSchema = z.object({
  owner: ownerSchema,
  ref: refSchema,
  format: z.enum(audioFormats),
  /** Absent: the service's `download.bitrateKbps` (and jobs queued before people chose). */
  quality: qualitySchema.optional(),
  createdAt: z.number(),
  /** Set by the resolve step. */
  step: z.enum(["resolve", "finalize"]).default("resolve"),
  title: z.string().optional(),
  subtitle: z.string().optional(),
  coverUrl: z.string().optional(),
  provider: z.string().optional(),
  truncated: z.boolean().optional(),
  notes: z.array(z.string()).optional(),
  totalTracks: z.number().int().optional(),
  /** Folder of this collection, relative to the library. */
  folder: z.string().optional(),
  /** The album's UPC (album requests), the CD's catalog number when burnt. */
  upc: z.string().optional(),
  /**
   * A retry: re-collect only these tracks (0-based indexes) of the earlier job `of`; the rest of its
   * result is carried over. Spotify is not asked again (title, folder, ... are copied from that job).
   */
  retry: z.object({ of: z.string(), indexes: z.array(z.number().int().min(0)) }).optional(),
  /** A fix: replace track `index` of the earlier job `of` with the YouTube video a person chose. */
  fix: z.object({ of: z.string(), index: z.number().int().min(0), videoId: z.string() }).optional(),
});
export type CollectionJobData = z.infer<typeof collectionJobDataSchema>;

export const trackJobDataSchema = z.object({
  collectionId: z.string(),
  index: z.number().int(),
  total: z.number().int(),
  track: trackSchema,
  format: z.enum(audioFormats),
  /** Absent: the service's `download.bitrateKbps`. */
  quality: qualitySchema.optional(),
  /** Library-relative path (without extension) this track is written to. */
  relativePath: z.string(),
  discCount: z.number().int(),
  /** Tracks on this track's disc, for the "n/N" tag (album requests only). */
  trackTotal: z.number().int().optional(),
  /** A fix: download this YouTube video, chosen by a person (no cache, no matching). */
  videoId: z.string().optional(),
});
export type TrackJobData = z.infer<typeof trackJobDataSchema>;

export const trackOutcomes = ["done", "cached", "failed", "needs_review", "cancelled"] as const;
export type TrackOutcome = (typeof trackOutcomes)[number];

export const trackResultSchema = z.object({
  index: z.number().int(),
  trackId: z.string(),
  title: z.string(),
  artists: z.array(z.string()),
  outcome: z.enum(trackOutcomes),
  /** Sentence for the person when not done. */
  reason: z.string().optional(),
  /** Library-relative path of the file, when done or cached. */
  file: z.string().optional(),
  /** Peer base URL of the worker whose library holds `file` (peer-files.ts); absent: this machine's. */
  holder: z.string().optional(),
  bytes: z.number().optional(),
  durationSec: z.number().optional(),
  /**
   * Loudness of the written file (integrated LUFS, linear true peak), measured for its ReplayGain track
   * tags and reused for the album gain. Absent for cached tracks (and silence): measured when needed.
   */
  loudness: z.object({ integrated: z.number(), peak: z.number() }).optional(),
  videoId: z.string().optional(),
  /** ISRC of the recording (from the catalog), for the CD's subcode when the track is burned. */
  isrc: z.string().optional(),
  confidence: z.number().optional(),
  /** YouTube Music search requests spent matching this track (0 when it came from the cache). */
  searches: z.number().int().optional(),
  /** E.g. a duration that differs from Spotify's by more than 5 s. */
  warnings: z.array(z.string()).default([]),
  /** The best candidates the matcher scored, best first (done and needs-review tracks): what a person may pick instead. */
  candidates: z
    .array(
      z.object({
        id: z.string(),
        title: z.string(),
        channel: z.string(),
        score: z.number(),
        durationSec: z.number().optional(),
      }),
    )
    .optional(),
});
export type TrackResult = z.infer<typeof trackResultSchema>;

export const collectionOutcomes = ["done", "partial", "failed", "cancelled"] as const;
export type CollectionOutcome = (typeof collectionOutcomes)[number];

export const collectionResultSchema = z.object({
  outcome: z.enum(collectionOutcomes),
  title: z.string(),
  subtitle: z.string().optional(),
  /** Sentence for the person when the whole collection failed (e.g. a private playlist). */
  reason: z.string().optional(),
  reasonCode: z.string().optional(),
  tracks: z.array(trackResultSchema),
  notes: z.array(z.string()).default([]),
  truncated: z.boolean().default(false),
  /** Library-relative folder with the files, the .m3u8 and cover.jpg. */
  folder: z.string().optional(),
  playlistFile: z.string().optional(),
  /** Absolute path of the packaged (zip) collection, when one was made. */
  packagePath: z.string().optional(),
  packageBytes: z.number().optional(),
  /** Peer base URL of the worker that holds the package (peer-files.ts); absent: this machine's. */
  packageHolder: z.string().optional(),
  /** UPC/EAN of the album (album requests), written as the CD's catalog number when burned. */
  upc: z.string().optional(),
  totalDurationSec: z.number().default(0),
  totalBytes: z.number().default(0),
  finishedAt: z.number(),
});
export type CollectionResult = z.infer<typeof collectionResultSchema>;

export const jobStages = [
  "queued",
  "resolving",
  "downloading",
  "packaging",
  "done",
  "failed",
  "cancelled",
] as const;
export type JobStage = (typeof jobStages)[number];
export type FinalStage = "done" | "failed" | "cancelled";
export const finalStages: readonly FinalStage[] = ["done", "failed", "cancelled"];

/** True for a stage a job never leaves (done, failed, cancelled): the one place that says so. */
export function isFinalStage(stage: JobStage): stage is FinalStage {
  return (finalStages as readonly JobStage[]).includes(stage);
}

/** What a person sees of a running job; published at most every 500 ms per job plus every stage change. */
export const progressEventSchema = z.object({
  jobId: z.string(),
  stage: z.enum(jobStages),
  /** 0-100 over the whole collection. */
  percent: z.number().min(0).max(100),
  title: z.string().optional(),
  total: z.number().int().default(0),
  done: z.number().int().default(0),
  failed: z.number().int().default(0),
  needsReview: z.number().int().default(0),
  /** YouTube Music search requests spent on the tracks that have ended (the cost of matching). */
  searches: z.number().int().default(0),
  /** The final event of a collection carries its result: what the summary needs, no second read. */
  result: collectionResultSchema.optional(),
  /** Set while tracks wait for YouTube (its rate limit, a bot check, the hour's budget): until when, and why. */
  waiting: z.object({ until: z.number(), reason: z.string() }).optional(),
  current: z
    .object({
      index: z.number().int(),
      title: z.string(),
      artists: z.array(z.string()),
      step: z.enum(["waiting", "matching", "downloading", "transcoding", "cached"]),
      percent: z.number(),
    })
    .optional(),
  etaSeconds: z.number().optional(),
  at: z.number(),
});
export type ProgressEvent = z.infer<typeof progressEventSchema>;
