/**
 * Scores YouTube candidates against a Spotify track and picks one, with a confidence and reasons a person
 * can read. In the spirit of spotDL (fuzzy title/artist, duration `100·exp(−0.1·|Δs|)`, version words), with
 * its gaps closed: version words are required as well as refused, explicit/clean twins are told apart,
 * non-Latin titles are compared in their own script and romanised, and a marginal match says so.
 *
 * One concern in one file (over 400 lines): every rule that weighs a candidate, because they interact
 * (caps, bonuses and rejections together decide what "confident" means).
 *
 * Everything here is pure and deterministic: the same input always gives the same output.
 */
import type { Track } from "../spotify/types.js";
import {
  containsPhrase,
  extractFeatured,
  hasNonLatin,
  normalizeText,
  removePhrase,
  romanise,
  similarity,
  splitSegments,
  splitTitle,
  stripBrackets,
} from "./normalize.js";
import type { Candidate, MatchResult, ScoredCandidate } from "./types.js";
import { findVersions, stripVersionWords, type VersionKind } from "./version-words.js";

/** How strict matching is; the values come from the `matching` config section. */
export interface MatchOptions {
  /** Below this confidence (0-100) the result is "needs review". @defaultValue 70 */
  minConfidence: number;
  /** Candidates whose length differs from Spotify's by more than this many seconds are rejected. @defaultValue 14 */
  maxDurationDeltaSeconds: number;
}

/** Defaults equal to the config schema's. */
export const defaultMatchOptions: MatchOptions = { minConfidence: 70, maxDurationDeltaSeconds: 14 };

/** Without these we cannot be sure, however well the rest fits. */
const UNKNOWN_CAP = 65;
const TITLE_MISMATCH_CAP = 30;
const ARTIST_MISSING_CAP = 45;
const TWIN_PENALTY = 25;
const QUALIFIER_PENALTY = 20;
const EXTRA_PART_CAP = 60;
/** Someone else's video upload that names the artist: never confident (below the default threshold). */
const UNVOUCHED_CAP = 60;
/** The label's explicit audio for a clean track, or the clean edit for an explicit one: never confident. */
const TWIN_CAP = 65;
/** A title under this similarity is only "close": never confident on its own. */
const TITLE_CLOSE = 70;
const TITLE_CLOSE_CAP = 55;

const WEIGHT_TITLE = 0.45;
const WEIGHT_ARTIST = 0.25;
const WEIGHT_DURATION = 0.3;

/** Words in a Spotify qualifier that say nothing about which recording it is. */
const QUALIFIER_FILLER = new Set([
  "version", "edit", "mix", "remaster", "remastered", "mono", "stereo", "original", "radio", "single", "album",
  "the", "a", "at", "from", "in", "on", "of", "and", "live", "remix", "acoustic", "session", "sessions",
  "instrumental", "extended", "demo", "deluxe", "edition", "recorded", "bonus", "track", "feat", "with", "ver",
]); // prettier-ignore

const EXPLICIT_WORDS = /(?:^| )(?:explicit|dirty|uncensored)(?: |$)/u;
const CLEAN_WORDS = /(?:^| )(?:clean|censored|radio clean)(?: |$)/u;
const TOPIC_SUFFIX = /\s*-\s*topic$/iu;

interface PreparedTrack {
  track: Track;
  main: string;
  qualifier: string;
  versions: Set<VersionKind>;
  /** Qualifier words that name the recording (remixer, venue). */
  qualifierWords: string[];
  /** Normalised artist names, primary first. */
  artists: string[];
  /** Normalised album name without bracketed edition words. */
  album: string;
  durationSec: number;
}

function prepareTrack(track: Track): PreparedTrack {
  const parts = splitTitle(track.title);
  const qualifier = normalizeText(parts.qualifiers.join(" "));
  const versions = findVersions(qualifier);
  const qualifierWords =
    versions.size === 0
      ? []
      : qualifier.split(" ").filter((w) => w !== "" && !QUALIFIER_FILLER.has(w) && !/^\d+$/u.test(w));
  const artists = [...track.artists, ...parts.featured].map(normalizeText).filter((a) => a !== "");
  return {
    track,
    main: normalizeText(parts.main),
    qualifier,
    versions,
    qualifierWords: qualifierWords.filter((w) => !findVersions(w).size),
    artists: [...new Set(artists)],
    album: normalizeText(stripBrackets(track.album).rest),
    durationSec: track.durationMs / 1000,
  };
}

/** Channel name without the " - Topic" / "VEVO" / "Official" decorations, normalised. */
function channelCore(channel: string): string {
  return normalizeText(
    channel
      .replace(TOPIC_SUFFIX, "")
      .replace(/vevo$/iu, "")
      .replace(/\b(?:official|officiel|oficial|offiziell)\b/giu, ""),
  );
}

const squash = (s: string) => s.replace(/ /gu, "");

/** True when the artist name is in `text` or `text` is (nearly) the artist name. */
function artistIn(text: string, artist: string): boolean {
  if (text === "" || artist === "") return false;
  if (containsPhrase(text, artist)) return true;
  if (squash(text) === squash(artist)) return true;
  if (similarity(text, artist) >= 85) return true;
  if (hasNonLatin(text) !== hasNonLatin(artist)) {
    const rt = romanise(text);
    const ra = romanise(artist);
    if (containsPhrase(rt, ra) || similarity(squash(rt), squash(ra)) >= 80) return true;
  }
  return false;
}

/** Upload title pieces: segments without brackets or "feat.", bracket contents, featured names. */
function analyseTitle(title: string) {
  // Brackets first, so that "(Lyrics / Romaji)" is one qualifier, not two segments.
  const f = extractFeatured(title);
  const b = stripBrackets(f.rest);
  const segments = splitSegments(b.rest)
    .map(normalizeText)
    .filter((s) => s !== "");
  return { segments, inner: b.inner.map(normalizeText), featured: f.featured.map(normalizeText) };
}

/** Words that decorate uploads without naming a recording. */
const NOISE_PHRASES = [
  "official music video", "official video", "official audio", "official lyric video", "lyric video", "lyrics video",
  "music video", "with lyrics", "lyrics", "lyric", "official", "video", "audio", "visualizer", "visualiser", "hd", "hq",
  "4k", "mv", "m v", "clip", "videoclip", "video oficial", "remastered", "remaster", "topic", "full", "explicit",
  "clean", "клип", "текст", "премьера", "公式", "歌詞", "ミュージックビデオ", "music", "vevo",
]; // prettier-ignore

function stripNoise(text: string): string {
  let out = text;
  for (const p of NOISE_PHRASES) {
    while (containsPhrase(out, p)) out = removePhrase(out, p);
  }
  return out;
}

const round = (n: number) => Math.round(n);

/** Unclamped scores, used only to order candidates whose shown scores tie. */
const rawScores = new WeakMap<ScoredCandidate, number>();

function scorePrepared(p: PreparedTrack, candidate: Candidate, opts: MatchOptions): ScoredCandidate {
  const reasons: string[] = [];
  const rejections: string[] = [];
  const title = candidate.title;
  const titleNorm = normalizeText(title);
  const isTopic = TOPIC_SUFFIX.test(candidate.channel);
  const channel = channelCore(candidate.channel);
  const isVevo = /vevo$/iu.test(candidate.channel.trim());
  const { segments, inner, featured } = analyseTitle(title);

  // --- artist -------------------------------------------------------------------------------
  // When YouTube Music says whose upload it is (credited artists of a song, the channel of a video), that,
  // not the title, decides: a karaoke act's "Song (In the Style of Artist)" names the artist and is not theirs.
  const primary = p.artists[0] ?? "";
  const credits =
    candidate.kind !== undefined ? (candidate.artists ?? []).map(channelCore).filter((c) => c !== "") : [];
  const credited = credits.length > 0;
  const evidence = credited ? credits : [channel, titleNorm, ...featured];
  const primaryFound = evidence.some((e) => artistIn(e, primary));
  const primaryInChannel = credited ? primaryFound : artistIn(channel, primary);
  const otherFound = p.artists.slice(1).some((a) => evidence.some((e) => artistIn(e, a)));
  const namedInTitle = [titleNorm, ...featured].some((e) => artistIn(e, primary));
  /** Someone else's upload that says it is the song: may well be it, but nothing vouches for it. */
  let unvouched = false;
  let artistScore: number | null;
  if (primaryFound) {
    artistScore = 100;
    reasons.push(
      credited
        ? candidate.kind === "video"
          ? "uploaded by the artist's channel"
          : "artist credited by YouTube Music"
        : primaryInChannel
          ? "artist matches the channel"
          : "artist named in the title",
    );
  } else if (otherFound) {
    artistScore = 70;
    reasons.push(
      credited ? "only a featured/secondary artist credited" : "only a featured/secondary artist found",
    );
  } else if (credited && candidate.kind === "video" && namedInTitle) {
    artistScore = 100;
    unvouched = true;
    reasons.push(`someone else's upload ("${candidate.channel}") naming the artist`);
  } else if (!credited && channel === "" && segments.length <= 1) {
    artistScore = null;
    reasons.push("artist unknown (no channel)");
  } else {
    artistScore = 0;
    reasons.push(
      credited
        ? `credited to "${candidate.channel}", not "${p.track.artists[0] ?? ""}"` +
            (namedInTitle ? " (only the title names them)" : "")
        : `artist "${p.track.artists[0] ?? ""}" not found in title or channel`,
    );
  }

  // --- title --------------------------------------------------------------------------------
  // The title is whichever segment is not the artist; also compare what is left after removing the
  // artist and decoration words, which catches "Artist Title" uploads without a dash.
  let residual = segments.join(" ");
  for (const a of [...p.artists, channel]) residual = removePhrase(residual, a);
  residual = stripNoise(residual);
  let titleScore = title === "" ? 0 : similarity(residual, p.main);
  let titleSegment = -1;
  segments.forEach((seg, i) => {
    // Version words are judged below; here "heat waves sped up" should read as the title "heat waves".
    const core = stripNoise(seg);
    const sim = Math.max(similarity(core, p.main), similarity(stripVersionWords(core), p.main));
    if (sim > titleScore || (titleSegment === -1 && sim === titleScore)) {
      titleScore = Math.max(titleScore, sim);
      titleSegment = i;
    }
  });
  if (titleScore >= 95) reasons.push("title matches");
  else if (titleScore >= 75) reasons.push(`title close (${round(titleScore)}%)`);
  else reasons.push(`title differs (${round(titleScore)}% similar)`);

  // A part of the title that is neither the song, an artist, the channel nor decoration: a mashup ("Numb /
  // Encore"), a medley, or a film's cast list. It may still be the song, but we cannot be sure.
  const unexplained = segments.filter(
    (seg, i) =>
      i !== titleSegment &&
      stripVersionWords(stripNoise(seg)) !== "" &&
      !artistIn(seg, channel) &&
      !(p.qualifier !== "" && similarity(seg, p.qualifier) >= 80) &&
      !p.artists.some((a) => artistIn(seg, a)) &&
      similarity(stripNoise(seg), p.main) < 90,
  );

  // --- version words ------------------------------------------------------------------------
  // Look for them outside the song's own name and the artists' names ("Live Forever" is not live).
  let versionText = normalizeText(`${title} ${primaryInChannel || isTopic ? "" : candidate.channel}`);
  // An album such as "8-Bit Versions of The Smiths" or "Lullaby Versions of …" says what the song is, unless
  // Spotify's own album says the same ("MTV Unplugged" on both sides).
  const albumVersions =
    candidate.album !== undefined ? findVersions(normalizeText(candidate.album)) : new Set();
  for (const v of findVersions(normalizeText(p.track.album))) albumVersions.delete(v);
  versionText = removePhrase(versionText, p.main);
  for (const a of p.artists) versionText = removePhrase(versionText, a);
  const candidateVersions = findVersions(versionText);
  for (const v of albumVersions) candidateVersions.add(v as VersionKind);
  for (const v of candidateVersions) {
    if (!p.versions.has(v)) rejections.push(`rejected: '${v}' not in Spotify title`);
  }
  for (const v of p.versions) {
    if (!candidateVersions.has(v)) rejections.push(`rejected: Spotify title says '${v}', upload does not`);
  }
  let penalty = 0;
  let bonus = 0;
  if (p.versions.size > 0 && rejections.length === 0) {
    const missing = p.qualifierWords.filter((w) => !containsPhrase(versionText, w) && !inner.includes(w));
    if (missing.length > 0) {
      penalty += QUALIFIER_PENALTY;
      reasons.push(`'${missing.join(" ")}' (from the Spotify title) not in upload title`);
    } else {
      reasons.push(`same version (${[...p.versions].join(", ")})`);
    }
  }

  if (unexplained.length > 0) {
    reasons.push(`unexplained title part '${unexplained.join("', '")}'`);
  }

  // --- explicit / clean ---------------------------------------------------------------------
  // YouTube Music badges a label's explicit audio: on a song the badge (or its absence) says it outright.
  const badged = candidate.kind === "song" && candidate.explicit !== undefined;
  const saysExplicit = badged ? candidate.explicit === true : EXPLICIT_WORDS.test(versionText);
  const saysClean = badged ? candidate.explicit === false : CLEAN_WORDS.test(versionText);
  let twinMismatch = false;
  if (p.track.explicit && saysClean && !saysExplicit) {
    penalty += TWIN_PENALTY;
    twinMismatch = badged;
    reasons.push("clean version, but the Spotify track is explicit");
  } else if (!p.track.explicit && saysExplicit && !saysClean) {
    penalty += TWIN_PENALTY;
    twinMismatch = badged;
    reasons.push("explicit version, but the Spotify track is clean");
  } else if ((p.track.explicit && saysExplicit) || (!p.track.explicit && saysClean)) {
    // Twins often share title and length; a label that agrees with Spotify decides between them.
    bonus += 3;
    reasons.push(p.track.explicit ? "explicit, as on Spotify" : "clean, as on Spotify");
  }

  // --- duration -----------------------------------------------------------------------------
  let durationScore: number | null = null;
  if (candidate.durationSec !== undefined && Number.isFinite(candidate.durationSec)) {
    const delta = Math.abs(candidate.durationSec - p.durationSec);
    const shown = round(delta);
    if (delta > opts.maxDurationDeltaSeconds) {
      rejections.push(`rejected: duration off by ${shown} s (limit ${opts.maxDurationDeltaSeconds} s)`);
    }
    durationScore = 100 * Math.exp(-0.1 * delta);
    reasons.push(shown <= 1 ? "duration matches" : `duration off by ${shown} s`);
  } else {
    reasons.push("duration unknown");
  }

  // --- bonuses ------------------------------------------------------------------------------
  if (candidate.kind === "song" && primaryInChannel) {
    bonus += 6;
    reasons.push("the label's audio (YouTube Music song)");
  } else if (candidate.kind === "official-video" && primaryInChannel) {
    bonus += 3;
    reasons.push("official music video");
  } else if (isTopic && primaryInChannel) {
    bonus += 6;
    reasons.push("official Topic channel");
  } else if (isVevo && primaryInChannel) {
    bonus += 4;
    reasons.push("official VEVO channel");
  } else if (primaryInChannel && candidate.kind === undefined) {
    bonus += 3;
    reasons.push("artist's own channel");
  }
  if (candidate.album !== undefined && p.album !== "") {
    const album = normalizeText(stripBrackets(candidate.album).rest);
    if (album === p.album || similarity(album, p.album) >= 90) {
      bonus += 4;
      reasons.push("same album");
    } else {
      reasons.push(`other album ("${candidate.album}")`);
    }
  }
  if (candidate.channelVerified === true && !isTopic) bonus += 1;
  if (candidate.via === "isrc" && titleScore >= 75 && artistScore !== 0) {
    bonus += 4;
    reasons.push("found by ISRC");
  }

  // --- combine ------------------------------------------------------------------------------
  let score =
    WEIGHT_TITLE * titleScore +
    WEIGHT_ARTIST * (artistScore ?? 50) +
    WEIGHT_DURATION * (durationScore ?? 50) +
    bonus -
    penalty;
  if (artistScore === null || durationScore === null) score = Math.min(score, UNKNOWN_CAP);
  if (artistScore === 0) score = Math.min(score, ARTIST_MISSING_CAP);
  if (unexplained.length > 0) score = Math.min(score, EXTRA_PART_CAP);
  if (unvouched) score = Math.min(score, UNVOUCHED_CAP);
  if (twinMismatch) score = Math.min(score, TWIN_CAP);
  if (titleScore < TITLE_CLOSE) score = Math.min(score, TITLE_CLOSE_CAP);
  if (titleScore < 50) score = Math.min(score, TITLE_MISMATCH_CAP);

  const rejected = rejections.length > 0;
  const scored: ScoredCandidate = {
    candidate,
    score: rejected ? 0 : Math.max(0, Math.min(100, round(score))),
    reasons: [...rejections, ...reasons],
    rejected,
  };
  // Two candidates can both reach 100; the raw score still says which fits better.
  rawScores.set(scored, rejected ? 0 : score);
  return scored;
}

/**
 * Score one candidate against a track (0-100, with reasons). A rejected candidate scores 0 and its first
 * reasons start with "rejected:".
 */
export function scoreCandidate(
  track: Track,
  candidate: Candidate,
  opts: MatchOptions = defaultMatchOptions,
): ScoredCandidate {
  return scorePrepared(prepareTrack(track), candidate, opts);
}

const VIA_ORDER: Record<Candidate["via"], number> = { isrc: 0, music: 1, video: 2 };

/** Best first: not rejected, higher score, more views, earlier search, then id (so ties are stable). */
function compareScored(a: ScoredCandidate, b: ScoredCandidate): number {
  if (a.rejected !== b.rejected) return a.rejected ? 1 : -1;
  if (a.score !== b.score) return b.score - a.score;
  const raw = (rawScores.get(b) ?? 0) - (rawScores.get(a) ?? 0);
  if (raw !== 0) return raw;
  const va = a.candidate.views ?? -1;
  const vb = b.candidate.views ?? -1;
  if (va !== vb) return vb - va;
  const via = VIA_ORDER[a.candidate.via] - VIA_ORDER[b.candidate.via];
  if (via !== 0) return via;
  return a.candidate.id < b.candidate.id ? -1 : a.candidate.id > b.candidate.id ? 1 : 0;
}

/**
 * Pick the recording for `track` among `candidates`.
 *
 * - `choice` is the best candidate that was not rejected (null when all were, or there were none);
 * - `confidence` is its score (0 without a choice);
 * - `needsReview` is true when there is no choice or the confidence is under `opts.minConfidence`: a caller
 *   may still use the choice, but must tell the person the match is marginal;
 * - `top` keeps the best three candidates with their scores and reasons, so a person can pick another.
 *
 * Candidates with the same id count once (the first wins). Pure and deterministic.
 */
export function matchTrack(
  track: Track,
  candidates: readonly Candidate[],
  opts: MatchOptions = defaultMatchOptions,
): MatchResult {
  const prepared = prepareTrack(track);
  const seen = new Set<string>();
  const scored: ScoredCandidate[] = [];
  for (const c of candidates) {
    if (seen.has(c.id)) continue;
    seen.add(c.id);
    scored.push(scorePrepared(prepared, c, opts));
  }
  scored.sort(compareScored);
  // The best five: enough choices for a person fixing a wrong match ("Wrong song?").
  const top = scored.slice(0, 5);
  const best = scored[0];
  if (best === undefined) {
    return { choice: null, confidence: 0, reasons: ["no candidates found"], needsReview: true, top };
  }
  if (best.rejected) {
    return {
      choice: null,
      confidence: 0,
      reasons: [`all ${scored.length} candidates rejected`, ...best.reasons],
      needsReview: true,
      top,
    };
  }
  const needsReview = best.score < opts.minConfidence;
  const reasons = needsReview
    ? [`confidence ${best.score} is under ${opts.minConfidence}: needs review`, ...best.reasons]
    : [...best.reasons];
  return { choice: best.candidate, confidence: best.score, reasons, needsReview, top };
}
