/**
 * The search order for one track: ISRC first (when Spotify gave one), then YouTube Music songs for
 * "artists - title", then plain videos. Each search adds to one pool of candidates (deduplicated by id,
 * missing fields filled in from later searches) and stops as soon as the pool holds a confident match.
 */
import type { Track } from "../spotify/types.js";
import { matchTrack, type MatchOptions } from "./scorer.js";
import type { Candidate, CandidateSource, MatchResult, SearchQuery } from "./types.js";

/** The searches {@link findMatch} runs, in order (before stopping early). */
export function searchQueriesFor(track: Track): SearchQuery[] {
  const text = `${track.artists.join(", ")} - ${track.title}`;
  const queries: SearchQuery[] = [];
  if (track.isrc !== undefined && track.isrc.trim() !== "")
    queries.push({ kind: "isrc", text: track.isrc.trim() });
  queries.push({ kind: "music", text }, { kind: "video", text });
  return queries;
}

/** Keep what we knew; take from the newer result only what was missing (a top-result card has no album). */
function mergeCandidate(old: Candidate, next: Candidate): Candidate {
  const merged: Candidate = { ...old };
  if (merged.title === "" && next.title !== "") merged.title = next.title;
  if (merged.channel === "" && next.channel !== "") {
    merged.channel = next.channel;
    if (next.artists !== undefined) merged.artists = next.artists;
  }
  merged.durationSec ??= next.durationSec;
  merged.views ??= next.views;
  merged.album ??= next.album;
  merged.kind ??= next.kind;
  merged.channelVerified ??= next.channelVerified;
  return merged;
}

function isAbort(err: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (err instanceof Error && err.name === "AbortError");
}

/**
 * Search `source` for `track` and score what it finds (see {@link matchTrack}).
 *
 * A failing search is noted in the reasons and the next one still runs; only when every search failed is the
 * last error thrown. Aborting `signal` stops at once with the abort error.
 */
export async function findMatch(
  track: Track,
  source: CandidateSource,
  opts: MatchOptions,
  signal?: AbortSignal,
): Promise<MatchResult> {
  const pool = new Map<string, Candidate>();
  const notes: string[] = [];
  let failures = 0;
  let lastError: unknown;
  const queries = searchQueriesFor(track);
  let result: MatchResult | undefined;
  const searched: SearchQuery["kind"][] = [];

  for (const query of queries) {
    signal?.throwIfAborted();
    searched.push(query.kind);
    let found: Candidate[];
    try {
      found = await source.search(query, signal);
    } catch (err) {
      if (isAbort(err, signal)) throw err;
      failures++;
      lastError = err;
      notes.push(`${query.kind} search failed: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    for (const c of found) {
      const old = pool.get(c.id);
      pool.set(c.id, old === undefined ? c : mergeCandidate(old, c));
    }
    result = matchTrack(track, [...pool.values()], opts);
    if (!result.needsReview) break;
  }

  if (failures === queries.length) throw lastError;
  result ??= matchTrack(track, [], opts);
  return { ...result, reasons: [...result.reasons, ...notes], searched };
}
