/**
 * Candidate search through yt-dlp (`--flat-playlist -J`): plain YouTube search (`ytsearchN:`), YouTube Music
 * song search (`music.youtube.com/search?q=…#songs`, yt-dlp's `youtube:music:search_url` extractor) and ISRC
 * lookups (`ytsearchN:"ISRC"`, an exact-phrase search that usually finds the label's Topic upload).
 *
 * The search text always travels as one argv entry after `--`, never through a shell.
 */
import { z } from "zod";
import { runProcess, type RunOptions, type RunResult } from "../process-runner.js";
import type { Candidate, CandidateSource, SearchQuery } from "./types.js";

const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/u;

/** Fields may be absent or null depending on the yt-dlp version and the kind of result. */
const entrySchema = z.object({
  id: z.string().regex(VIDEO_ID),
  ie_key: z.string().nullish(),
  title: z.string().nullish(),
  channel: z.string().nullish(),
  uploader: z.string().nullish(),
  duration: z.number().nonnegative().nullish(),
  view_count: z.number().nonnegative().nullish(),
  channel_is_verified: z.boolean().nullish(),
});

const playlistSchema = z.object({
  entries: z.array(z.unknown()).nullish(),
});

/**
 * Candidates from the JSON that `yt-dlp --flat-playlist -J` prints for a search. Entries without a valid
 * 11-character video id (playlists, channels, albums in music search) are skipped; `channel` falls back to
 * `uploader`; duration may be fractional or missing.
 *
 * @throws Error when `json` is not a playlist-shaped object at all.
 */
export function parseYtDlpSearchJson(json: unknown, via: Candidate["via"]): Candidate[] {
  const root = playlistSchema.safeParse(json);
  if (!root.success || typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error("yt-dlp search output is not a playlist object");
  }
  const out: Candidate[] = [];
  const seen = new Set<string>();
  for (const raw of root.data.entries ?? []) {
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) continue;
    const e = parsed.data;
    // Music search also lists albums/playlists/artists (YoutubeTab); only videos can be downloaded.
    if (e.ie_key != null && e.ie_key !== "Youtube") continue;
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    const candidate: Candidate = {
      id: e.id,
      title: e.title ?? "",
      channel: e.channel ?? e.uploader ?? "",
      via,
    };
    if (e.duration != null) candidate.durationSec = e.duration;
    if (e.view_count != null) candidate.views = e.view_count;
    if (e.channel_is_verified != null) candidate.channelVerified = e.channel_is_verified;
    out.push(candidate);
  }
  return out;
}

/** Options of {@link createYtDlpCandidateSource}. */
export interface YtDlpSearchOptions {
  /** yt-dlp program. @defaultValue "yt-dlp" */
  ytDlpPath?: string;
  /** Results per search. @defaultValue 10 */
  limit?: number;
  /** Kill a search after this many milliseconds. @defaultValue 30000 */
  timeoutMs?: number;
  /** Extra arguments placed before `--` (cookies, JS runtime). Config-file and exec flags are refused. */
  extraArgs?: readonly string[];
  /** Stand-in for {@link runProcess} (tests). */
  run?: (command: string, args: readonly string[], options: RunOptions) => Promise<RunResult>;
}

/** Flags that would let configuration run programs or read other files of options. */
const FORBIDDEN_ARGS =
  /^(?:--exec|--exec-before-download|--config-locations?|--batch-file|-a|--load-info-json)(?:=|$)/u;

/** Search text as one safe line: no control characters, bounded length. */
function cleanText(text: string): string {
  return Array.from(text.replace(/[\p{Cc}\p{Cf}]+/gu, " "))
    .slice(0, 200)
    .join("")
    .replace(/\s+/gu, " ")
    .trim();
}

/**
 * The arguments for one search (exported for tests: the real YouTube cannot be reached from here).
 * The last entry is the search target and always follows `--`.
 */
export function buildYtDlpSearchArgs(
  query: SearchQuery,
  limit: number,
  extraArgs: readonly string[] = [],
): string[] {
  const text = cleanText(query.text);
  const base = ["--ignore-config", "--flat-playlist", "-J", "--no-warnings", ...extraArgs];
  switch (query.kind) {
    case "video":
      return [...base, "--", `ytsearch${limit}:${text}`];
    case "isrc": {
      const isrc = text.replace(/[^A-Za-z0-9]/gu, "").toUpperCase();
      return [...base, "--", `ytsearch${limit}:"${isrc}"`];
    }
    case "music": {
      const q = new URLSearchParams({ q: text }).toString();
      return [...base, "--playlist-end", String(limit), "--", `https://music.youtube.com/search?${q}#songs`];
    }
  }
}

/** A {@link CandidateSource} that runs yt-dlp searches through the process runner. */
export function createYtDlpCandidateSource(opts: YtDlpSearchOptions = {}): CandidateSource {
  const ytDlp = opts.ytDlpPath ?? "yt-dlp";
  const limit = Math.max(1, Math.floor(opts.limit ?? 10));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const extraArgs = [...(opts.extraArgs ?? [])];
  const bad = extraArgs.find((a) => FORBIDDEN_ARGS.test(a));
  if (bad !== undefined) throw new Error(`yt-dlp extra argument not allowed: ${bad}`);
  const run = opts.run ?? runProcess;

  return {
    async search(query: SearchQuery, signal?: AbortSignal): Promise<Candidate[]> {
      if (cleanText(query.text) === "") return [];
      const args = buildYtDlpSearchArgs(query, limit, extraArgs);
      const result = await run(ytDlp, args, { timeoutMs, signal });
      let json: unknown;
      try {
        json = JSON.parse(result.stdout);
      } catch {
        throw new Error(`yt-dlp ${query.kind} search printed no JSON`);
      }
      return parseYtDlpSearchJson(json, query.kind);
    },
  };
}
