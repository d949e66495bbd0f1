/**
 * Recorded YouTube Music traffic as a candidate source, for `cd-collector match` and the contract tests: a line
 * `{spotifyTrack, searches: [{url, request, response}]}` (the shape of spotDL's cassettes, see
 * tests/fixtures/recorded/) is replayed through the production parser and the production search plan
 * ({@link findMatch}), so a recorded case is judged exactly as a live track would be.
 *
 * Which recorded exchange answers which step of the plan is read from the request: an unfiltered query
 * (no `params`) answers the ISRC step, the songs filter the `music` step and the videos filter the `video`
 * step. Continuation pages (`ctoken=`) are never used by the plan (it reads first pages only). A step with
 * no recording answers no candidates, but still counts as a request: production would have sent it.
 */
import { z } from "zod";
import { fromTrackObject } from "../spotify/api-provider.js";
import { trackSchema } from "../spotify/web-api-schemas.js";
import type { Track } from "../spotify/types.js";
import { candidatesFromResponse } from "./youtube-music-parse.js";
import { filterOfParams, type SearchFilter } from "./search-params.js";
import type { Candidate, CandidateSource, SearchQuery } from "./types.js";

const exchangeSchema = z.object({
  url: z.string(),
  request: z.looseObject({ query: z.string().optional(), params: z.string().optional() }).default({}),
  response: z.unknown(),
});

/** One recorded case line (extra fields such as `acceptable` are kept by the caller, not needed here). */
export const recordedCaseSchema = z.looseObject({
  case: z.string().optional(),
  spotifyTrack: trackSchema,
  searches: z.array(exchangeSchema),
});

export type RecordedExchange = z.infer<typeof exchangeSchema>;

/** True for a continuation request (a later page of an earlier search). */
export function isContinuation(exchange: RecordedExchange): boolean {
  return /[?&](?:ctoken|continuation)=/u.test(exchange.url) || "continuation" in exchange.request;
}

/** The plan step a recorded first-page exchange answers. */
export function stepOf(exchange: RecordedExchange): SearchQuery["kind"] {
  const filter: SearchFilter = filterOfParams(exchange.request.params) ?? "none";
  return filter === "song" ? "music" : filter === "video" ? "video" : "isrc";
}

/** A recorded case made ready to replay: the Spotify track as the catalog maps it, and the source. */
export interface RecordedCase {
  track: Track;
  source: CandidateSource;
  /** How many searches the plan asked for so far (answered or not). */
  requests(): number;
}

/**
 * Turn a parsed recorded line into a track and a replaying source.
 * Parsing a response that is not a search response throws from the source's `search`, as a live one would.
 */
export function replayRecordedCase(line: z.infer<typeof recordedCaseSchema>): RecordedCase {
  const firstPages = new Map<SearchQuery["kind"], RecordedExchange>();
  for (const exchange of line.searches) {
    if (isContinuation(exchange)) continue;
    const step = stepOf(exchange);
    if (!firstPages.has(step)) firstPages.set(step, exchange);
  }
  let requests = 0;
  return {
    track: fromTrackObject(line.spotifyTrack),
    requests: () => requests,
    source: {
      search(query: SearchQuery): Promise<Candidate[]> {
        requests++;
        const exchange = firstPages.get(query.kind);
        return Promise.resolve(exchange ? candidatesFromResponse(exchange.response, query.kind) : []);
      },
    },
  };
}
