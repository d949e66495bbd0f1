/**
 * `cd-collector match`: score candidates offline, one JSON object per line, for debugging a bad match or
 * evaluating the scorer against a labelled set. Two kinds of input line:
 *
 * - `{"track": {title, artists, durationMs, explicit?, isrc?, ...}, "candidates": [{id, title, channel,
 *   durationSec?, views?, via?, artists?, album?, kind?}]}`: the candidates are scored as given;
 * - a recorded case `{"spotifyTrack": <Web API track object>, "searches": [{url, request, response}]}` (the
 *   shape of tests/fixtures/recorded/youtube-music-matching.jsonl.gz): the track is read as the catalog reads
 *   it, and the production search plan runs against the recorded YouTube Music responses, parsed by the
 *   production parser (see recorded-search.ts).
 *
 * Output lines: `{"choice": {...} | null, "confidence": 0-100, "reasons": [...], "needsReview": bool}`, plus
 * `"case"` and `"searches"` (requests the plan made) for recorded cases, or `{"error": "..."}` for a line
 * that could not be read; processing goes on with the next line.
 */
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { z } from "zod";
import { trackSchema } from "../jobs/schemas.js";
import type { Track } from "../spotify/types.js";
import { findMatch } from "./find-match.js";
import { recordedCaseSchema, replayRecordedCase } from "./recorded-search.js";
import { matchTrack, type MatchOptions } from "./scorer.js";
import type { Candidate, MatchResult } from "./types.js";

/**
 * The jobs' track schema ({@link Track}), lenient where a hand-written line may leave fields out, stricter
 * where scoring needs them (at least one artist, a duration of 0 or more).
 */
const { shape } = trackSchema;
const lenientTrackSchema = trackSchema.extend({
  id: shape.id.default(""),
  artists: shape.artists.min(1),
  album: shape.album.default(""),
  albumArtist: shape.albumArtist.default(""),
  trackNumber: shape.trackNumber.default(1),
  discNumber: shape.discNumber.default(1),
  durationMs: shape.durationMs.nonnegative(),
  explicit: shape.explicit.default(false),
});

const candidateSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{11}$/u, "a YouTube id is 11 characters of A-Z a-z 0-9 _ -"),
  title: z.string(),
  channel: z.string().default(""),
  channelVerified: z.boolean().optional(),
  durationSec: z.number().nonnegative().optional(),
  views: z.number().nonnegative().optional(),
  artists: z.array(z.string()).optional(),
  album: z.string().optional(),
  kind: z.enum(["song", "official-video", "video"]).optional(),
  via: z.enum(["isrc", "music", "video"]).default("video"),
});

const lineSchema = z.object({
  track: lenientTrackSchema,
  candidates: z.array(candidateSchema),
});

/** Options of {@link runMatchCommand}. */
export interface MatchCommandOptions extends MatchOptions {
  /** Also print the top five scored candidates per line. @defaultValue false */
  verbose?: boolean;
}

/** What {@link runMatchCommand} did. */
export interface MatchCommandSummary {
  /** Non-empty input lines read. */
  lines: number;
  /** Lines answered with `{error}`. */
  errors: number;
  /** Lines whose result needs review. */
  needsReview: number;
  /** Recorded cases read (lines with `spotifyTrack`). */
  recorded: number;
  /** Search requests the plan made for recorded cases. */
  searches: number;
}

function describeZod(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join(".") || "(line)"}: ${i.message}`).join("; ");
}

/**
 * Read JSON lines `{track, candidates}` from `input`, write one result line per input line to `output`.
 * Blank lines are skipped. Resolves when `input` ends (it does not end `output`).
 */
export async function runMatchCommand(
  input: Readable,
  output: Writable,
  opts: MatchCommandOptions,
): Promise<MatchCommandSummary> {
  const summary: MatchCommandSummary = { lines: 0, errors: 0, needsReview: 0, recorded: 0, searches: 0 };
  const write = async (value: unknown) => {
    if (!output.write(`${JSON.stringify(value)}\n`)) await once(output, "drain");
  };
  const rl = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === "") continue;
    summary.lines++;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch (err) {
      summary.errors++;
      await write({ line: lineNo, error: `not JSON: ${err instanceof Error ? err.message : String(err)}` });
      continue;
    }
    const recorded = typeof data === "object" && data !== null && "spotifyTrack" in data;
    const parsed = recorded ? recordedCaseSchema.safeParse(data) : lineSchema.safeParse(data);
    if (!parsed.success) {
      summary.errors++;
      await write({ line: lineNo, error: describeZod(parsed.error) });
      continue;
    }
    let result: MatchResult;
    let extra: Record<string, unknown> = {};
    try {
      if ("spotifyTrack" in parsed.data) {
        const replay = replayRecordedCase(parsed.data);
        result = await findMatch(replay.track, replay.source, opts);
        summary.recorded++;
        summary.searches += replay.requests();
        extra = {
          ...(parsed.data.case !== undefined ? { case: parsed.data.case } : {}),
          searches: replay.requests(),
        };
      } else {
        const track: Track = parsed.data.track;
        const candidates: Candidate[] = parsed.data.candidates;
        result = matchTrack(track, candidates, opts);
      }
    } catch (err) {
      summary.errors++;
      await write({ line: lineNo, error: err instanceof Error ? err.message : String(err) });
      continue;
    }
    if (result.needsReview) summary.needsReview++;
    await write({
      ...extra,
      choice: result.choice,
      confidence: result.confidence,
      reasons: result.reasons,
      needsReview: result.needsReview,
      ...(opts.verbose === true ? { top: result.top } : {}),
    });
  }
  return summary;
}
