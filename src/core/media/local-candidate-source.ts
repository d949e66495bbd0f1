/**
 * Candidate source for `source.kind = "local"`: asks the loopback audio stand-in's `/search`, which
 * answers in the same JSON shape as `yt-dlp --flat-playlist -J "ytsearchN:..."`.
 */
import { z } from "zod";
import type { Candidate, CandidateSource, SearchQuery } from "../matching/types.js";
import { isValidVideoId } from "./yt-dlp.js";

const flatSearchSchema = z.object({
  entries: z
    .array(
      z.looseObject({
        id: z.string(),
        title: z.string().nullish(),
        channel: z.string().nullish(),
        uploader: z.string().nullish(),
        duration: z.number().nullish(),
        view_count: z.number().nullish(),
      }),
    )
    .default([]),
});

/**
 * Parse flat-playlist search JSON into candidates, skipping entries whose id is not a video id.
 * TODO(lead): unify with parseYtDlpSearchJson in src/core/matching/yt-dlp-search.ts.
 */
export function parseFlatSearchJson(json: unknown, via: Candidate["via"]): Candidate[] {
  const parsed = flatSearchSchema.parse(json);
  const out: Candidate[] = [];
  for (const entry of parsed.entries) {
    if (!isValidVideoId(entry.id)) continue;
    const candidate: Candidate = {
      id: entry.id,
      title: entry.title ?? "",
      channel: entry.channel ?? entry.uploader ?? "",
      via,
    };
    if (typeof entry.duration === "number") candidate.durationSec = entry.duration;
    if (typeof entry.view_count === "number") candidate.views = entry.view_count;
    out.push(candidate);
  }
  return out;
}

export interface LocalCandidateSourceOptions {
  /** Base URL of the stand-in, e.g. `http://127.0.0.1:8083`. */
  baseUrl: string;
  /** Candidates per search. @defaultValue 8 */
  limit?: number;
  /** @defaultValue 10000 */
  timeoutMs?: number;
}

/** A {@link CandidateSource} backed by the local audio stand-in. */
export function createLocalCandidateSource(options: LocalCandidateSourceOptions): CandidateSource {
  const base = options.baseUrl.replace(/\/+$/, "");
  return {
    async search(query: SearchQuery, signal?: AbortSignal): Promise<Candidate[]> {
      const url = new URL(`${base}/search`);
      url.searchParams.set("q", query.text);
      url.searchParams.set("kind", query.kind);
      url.searchParams.set("limit", String(options.limit ?? 8));
      const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
      const res = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      if (!res.ok) throw new Error(`local source search answered HTTP ${res.status}`);
      return parseFlatSearchJson(await res.json(), query.kind);
    },
  };
}
