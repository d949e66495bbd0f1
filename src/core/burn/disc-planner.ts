/**
 * Splits an ordered track list into audio CDs before anything is rendered or written.
 *
 * Capacity math (Red Book, as cdrdao writes it):
 * - one sector = 2352 bytes = 588 stereo 16-bit samples = 1/75 s;
 * - a track takes `ceil(samples / 588)` sectors, because the renderer pads every WAV with silence to a
 *   whole sector, and at least 300 sectors (4 s), because shorter tracks are padded to 4 s;
 * - a disc takes `150 + sum(track sectors)`: cdrdao puts a 2 s pregap (150 sectors) before track 1 by
 *   itself (the TOC has no PREGAP line). `cdrdao toc-size` reports the sum without those 150 sectors.
 *   Counting them against the blank's capacity is 2 s stricter than cdrdao's own check (which compares
 *   the TOC length with the capacity the drive reports); we keep that margin on purpose.
 */

/** CD-DA sample rate. */
export const CD_SAMPLE_RATE = 44_100;
/** Stereo samples in one CD sector (2352 bytes / 4). */
export const SAMPLES_PER_SECTOR = 588;
/** Sectors per second. */
export const SECTORS_PER_SECOND = 75;
/** The pregap cdrdao writes before track 1. */
export const FIRST_TRACK_PREGAP_SECTORS = 150;
/** Red Book minimum track length: 4 s. */
export const MIN_TRACK_SECTORS = 4 * SECTORS_PER_SECOND;
/** Samples of a 4 s track. */
export const MIN_TRACK_SAMPLES = MIN_TRACK_SECTORS * SAMPLES_PER_SECTOR;
/** Usable sectors of a typical 80-minute blank (79:57:74). */
export const DEFAULT_CAPACITY_SECTORS = 359_849;
/** Red Book track limit. */
export const MAX_TRACKS_PER_DISC = 99;

/** What the planner needs to know about a track; extra fields are carried through untouched. */
export interface PlannableTrack {
  id: string;
  title: string;
  /** Length in milliseconds (e.g. Spotify's `duration_ms`); used when `samples` is absent. */
  durationMs?: number;
  /** Exact length in 44.1 kHz samples (e.g. measured after rendering); wins over `durationMs`. */
  samples?: number;
}

export interface PlanOptions {
  /** Usable sectors of the blank. @defaultValue 359849 (80 minutes) */
  capacitySectors?: number;
  /** Tracks per disc. @defaultValue 99 */
  maxTracks?: number;
}

/** One track placed on a disc. */
export interface PlannedTrack<T extends PlannableTrack> {
  track: T;
  /** Samples after padding to 4 s (before padding to a whole sector). */
  samples: number;
  /** Sectors the track takes on the disc. */
  sectors: number;
  /** True when the track is shorter than 4 s and gets silence appended. */
  padded: boolean;
}

export interface PlannedDisc<T extends PlannableTrack> {
  tracks: PlannedTrack<T>[];
  /** Sectors including the 150-sector pregap before track 1. */
  sectors: number;
  /** `sectors / 75`. */
  seconds: number;
}

export interface RejectedTrack<T extends PlannableTrack> {
  track: T;
  /** A sentence for the operator. */
  reason: string;
}

export interface DiscPlan<T extends PlannableTrack> {
  discs: PlannedDisc<T>[];
  rejected: RejectedTrack<T>[];
  capacitySectors: number;
  maxTracks: number;
}

/** Sectors needed for `samples` samples of audio (at least 4 s, rounded up to a whole sector). */
export function sectorsForSamples(samples: number): number {
  return Math.ceil(Math.max(samples, MIN_TRACK_SAMPLES) / SAMPLES_PER_SECTOR);
}

/** `mm:ss` of a sector count (rounded down to the second). */
export function formatSectors(sectors: number): string {
  const totalSeconds = Math.floor(sectors / SECTORS_PER_SECOND);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return `${minutes}:${String(seconds).padStart(2, "0")}`;
}

function trackSamples(track: PlannableTrack): number | undefined {
  if (track.samples !== undefined && Number.isFinite(track.samples) && track.samples > 0) {
    return Math.round(track.samples);
  }
  if (track.durationMs !== undefined && Number.isFinite(track.durationMs) && track.durationMs > 0) {
    return Math.round((track.durationMs * CD_SAMPLE_RATE) / 1000);
  }
  return undefined;
}

/**
 * Place tracks on discs in the given order. A disc is closed when the next track would overflow its
 * sectors or its track count; tracks that cannot fit even on an empty disc, or have no length, are
 * rejected with a reason and the rest of the list goes on.
 */
export function planDiscs<T extends PlannableTrack>(
  tracks: readonly T[],
  options: PlanOptions = {},
): DiscPlan<T> {
  const capacitySectors = options.capacitySectors ?? DEFAULT_CAPACITY_SECTORS;
  const maxTracks = Math.min(options.maxTracks ?? MAX_TRACKS_PER_DISC, MAX_TRACKS_PER_DISC);
  const maxTrackSectors = capacitySectors - FIRST_TRACK_PREGAP_SECTORS;
  const discs: PlannedDisc<T>[] = [];
  const rejected: RejectedTrack<T>[] = [];
  let current: PlannedDisc<T> | undefined;

  for (const track of tracks) {
    const samples = trackSamples(track);
    if (samples === undefined) {
      rejected.push({ track, reason: "Its length is unknown, so it cannot be placed on a disc." });
      continue;
    }
    const sectors = sectorsForSamples(samples);
    if (sectors > maxTrackSectors) {
      rejected.push({
        track,
        reason:
          `It lasts ${formatSectors(sectors)}, longer than one disc holds ` +
          `(${formatSectors(maxTrackSectors)} after the 2-second lead-in gap).`,
      });
      continue;
    }
    if (
      current === undefined ||
      current.tracks.length >= maxTracks ||
      current.sectors + sectors > capacitySectors
    ) {
      current = { tracks: [], sectors: FIRST_TRACK_PREGAP_SECTORS, seconds: 0 };
      discs.push(current);
    }
    current.tracks.push({
      track,
      samples: Math.max(samples, MIN_TRACK_SAMPLES),
      sectors,
      padded: samples < MIN_TRACK_SAMPLES,
    });
    current.sectors += sectors;
    current.seconds = current.sectors / SECTORS_PER_SECOND;
  }
  return { discs, rejected, capacitySectors, maxTracks };
}

/** The plan as text for the operator, shown before anything is written. */
export function formatPlan<T extends PlannableTrack>(plan: DiscPlan<T>): string {
  const trackCount = plan.discs.reduce((n, disc) => n + disc.tracks.length, 0);
  const lines: string[] = [];
  const discWord = plan.discs.length === 1 ? "disc" : "discs";
  const trackWord = trackCount === 1 ? "track" : "tracks";
  lines.push(
    `${plan.discs.length} ${discWord}, ${trackCount} ${trackWord}` +
      (plan.rejected.length > 0 ? `, ${plan.rejected.length} left out` : "") +
      ` (blank: ${formatSectors(plan.capacitySectors)}, ${plan.capacitySectors} sectors)`,
  );
  plan.discs.forEach((disc, discIndex) => {
    lines.push("");
    lines.push(
      `Disc ${discIndex + 1}: ${disc.tracks.length} ${disc.tracks.length === 1 ? "track" : "tracks"}, ` +
        `${formatSectors(disc.sectors)} (${disc.sectors} of ${plan.capacitySectors} sectors)`,
    );
    disc.tracks.forEach((entry, index) => {
      const note = entry.padded ? " (padded to 0:04)" : "";
      lines.push(
        `  ${String(index + 1).padStart(2, " ")}. ${entry.track.title} ${formatSectors(entry.sectors)}${note}`,
      );
    });
  });
  if (plan.rejected.length > 0) {
    lines.push("");
    lines.push("Left out:");
    for (const entry of plan.rejected) lines.push(`  - ${entry.track.title}: ${entry.reason}`);
  }
  return lines.join("\n");
}
