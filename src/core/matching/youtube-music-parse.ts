/**
 * Candidates from YouTube Music search results, as parsed by youtubei.js. One function turns a parsed search
 * (a live `music.search()` answer, a recorded response, a continuation page) into {@link Candidate}s, so the
 * live search, the `match` command and the contract tests all read results the same way.
 *
 * What YouTube Music tells us and we keep: the video id, the title, the artists it credits (songs) or the
 * uploading channel (videos), the album, the length, the kind of upload (the label's audio, an official video
 * or anyone's upload) and the view count where shown.
 */
import { MusicShelfContinuation, Parser, YTMusic, YTNodes } from "youtubei.js";
import type { Candidate } from "./types.js";

type Via = Candidate["via"];
type ListItem = InstanceType<typeof YTNodes.MusicResponsiveListItem>;
type CardShelf = InstanceType<typeof YTNodes.MusicCardShelf>;

const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/u;
const DURATION = /^\d+(?::[0-5]\d)+$/u;

/** YouTube Music's `musicVideoType` → our kind of upload. */
const KIND_BY_TYPE: Record<string, Candidate["kind"]> = {
  MUSIC_VIDEO_TYPE_ATV: "song",
  MUSIC_VIDEO_TYPE_OMV: "official-video",
  MUSIC_VIDEO_TYPE_UGC: "video",
};

interface RunLike {
  text: string;
  endpoint?: { payload?: Record<string, unknown> };
}

function musicVideoType(payload: Record<string, unknown> | undefined): string | undefined {
  const configs = payload?.watchEndpointMusicSupportedConfigs as
    { watchEndpointMusicConfig?: { musicVideoType?: unknown } } | undefined;
  const type = configs?.watchEndpointMusicConfig?.musicVideoType;
  return typeof type === "string" ? type : undefined;
}

function secondsOf(text: string): number {
  return text.split(":").reduce((sum, part) => sum * 60 + Number(part), 0);
}

const VIEW_WORDS =
  /\b(?:views?|plays?|aufrufe|wiedergaben|vues|visualizaciones|reproducciones|wyświetle\p{L}*)\b/iu;
const MULTIPLIERS: Record<string, number> = {
  k: 1e3, tsd: 1e3, m: 1e6, mio: 1e6, mln: 1e6, b: 1e9, mrd: 1e9, bn: 1e9,
}; // prettier-ignore

/**
 * A view count from a run such as "1.2M views", "37,527 views" or (German pages) "37.527 Aufrufe",
 * "1,2 Mio. Aufrufe". Undefined when the text says no count.
 */
export function parseViews(text: string): number | undefined {
  if (!VIEW_WORDS.test(text)) return undefined;
  const m = /(\d[\d.,\u00a0 ]*)\s*([A-Za-z]+)?\.?/u.exec(text);
  if (!m?.[1]) return undefined;
  const suffix = m[2]?.toLowerCase();
  const multiplier = suffix !== undefined ? MULTIPLIERS[suffix] : undefined;
  let digits = m[1].replace(/[\u00a0 ]/gu, "").replace(/[.,]$/u, "");
  if (multiplier !== undefined) {
    // "1.2M" / "1,2 Mio": the separator is a decimal point.
    digits = digits.replace(",", ".");
    const n = Number.parseFloat(digits);
    return Number.isFinite(n) ? Math.round(n * multiplier) : undefined;
  }
  const n = Number.parseInt(digits.replace(/[.,]/gu, ""), 10);
  return Number.isFinite(n) ? n : undefined;
}

/** Artist / channel names from runs that link to a channel (browse ids starting with "UC"). */
function channelRuns(runs: readonly RunLike[] | undefined): string[] {
  const names: string[] = [];
  for (const run of runs ?? []) {
    const id = run.endpoint?.payload?.browseId;
    if (typeof id === "string" && id.startsWith("UC") && run.text.trim() !== "") names.push(run.text.trim());
  }
  return names;
}

/** The album named by a run that links to an album page (browse ids starting with "MPRE"). */
function albumRun(runs: readonly RunLike[] | undefined): string | undefined {
  for (const run of runs ?? []) {
    const id = run.endpoint?.payload?.browseId;
    if (typeof id === "string" && id.startsWith("MPRE")) return run.text.trim();
  }
  return undefined;
}

/**
 * Names before the first " • " of a subtitle whose credits carry no links (small artists often have no
 * channel link): "Song • A, B & C • Album • 3:05" → ["A, B & C"]. The first segment is skipped when it is
 * the kind word ("Song", "Video", "Titel").
 */
function plainCredit(runs: readonly RunLike[] | undefined, skipKindWord: boolean): string | undefined {
  const text = (runs ?? []).map((r) => r.text).join("");
  const parts = text.split(" • ").map((p) => p.trim());
  const credit = skipKindWord && parts.length > 2 ? parts[1] : parts[0];
  return credit === undefined || credit === "" || DURATION.test(credit) ? undefined : credit;
}

function buildCandidate(
  fields: {
    id: string | undefined;
    title: string;
    type: string | undefined;
    credits: string[];
    album?: string;
    durationText?: string;
    views?: number;
    badges?: readonly unknown[];
  },
  via: Via,
): Candidate | undefined {
  const kind = fields.type !== undefined ? KIND_BY_TYPE[fields.type] : undefined;
  if (fields.id === undefined || !VIDEO_ID.test(fields.id) || kind === undefined) return undefined;
  const candidate: Candidate = {
    id: fields.id,
    title: fields.title,
    channel: fields.credits.join(", "),
    artists: fields.credits,
    kind,
    via,
  };
  if (fields.album !== undefined && kind === "song") candidate.album = fields.album;
  // Labels badge their explicit audio; on other uploads a missing badge says nothing.
  const explicit = (fields.badges ?? []).some(
    (b) => b instanceof YTNodes.MusicInlineBadge && b.icon_type === "MUSIC_EXPLICIT_BADGE",
  );
  if (kind === "song" || explicit) candidate.explicit = explicit;
  if (fields.durationText !== undefined && DURATION.test(fields.durationText)) {
    candidate.durationSec = secondsOf(fields.durationText);
  }
  if (fields.views !== undefined) candidate.views = fields.views;
  return candidate;
}

function fromListItem(item: ListItem, via: Via): Candidate | undefined {
  if (item.item_type !== "song" && item.item_type !== "video") return undefined;
  const first = item.flex_columns[0]?.title.runs?.[0] as RunLike | undefined;
  const type =
    musicVideoType(first?.endpoint?.payload) ??
    musicVideoType(item.overlay?.content?.endpoint?.payload as Record<string, unknown> | undefined);
  const runs = item.flex_columns.slice(1).flatMap((c) => (c.title.runs ?? []) as RunLike[]);
  const subtitle = item.flex_columns[1]?.title.runs as RunLike[] | undefined;
  let credits = channelRuns(subtitle);
  if (credits.length === 0) {
    const plain = plainCredit(
      subtitle,
      /^(?:song|video|titel|lied|chanson|canción)$/iu.test(subtitle?.[0]?.text ?? ""),
    );
    if (plain !== undefined) credits = [plain];
  }
  const views = runs.map((r) => parseViews(r.text)).find((v) => v !== undefined);
  return buildCandidate(
    {
      id: item.id,
      title: item.title ?? "",
      type,
      credits,
      album: item.album?.name ?? albumRun(runs),
      durationText: item.duration?.text,
      views,
      badges: item.badges ?? [],
    },
    via,
  );
}

function fromCard(card: CardShelf, via: Via): Candidate | undefined {
  const payload = card.on_tap?.payload as Record<string, unknown> | undefined;
  const id = typeof payload?.videoId === "string" ? payload.videoId : undefined;
  const runs = (card.subtitle?.runs ?? []) as RunLike[];
  let credits = channelRuns(runs);
  if (credits.length === 0) {
    const plain = plainCredit(runs, true);
    if (plain !== undefined) credits = [plain];
  }
  return buildCandidate(
    {
      id,
      title: card.title?.toString() ?? "",
      type: musicVideoType(payload),
      credits,
      album: albumRun(runs),
      durationText: runs.map((r) => r.text.trim()).find((t) => DURATION.test(t)),
      views: runs.map((r) => parseViews(r.text)).find((v) => v !== undefined),
      badges: card.subtitle_badges ?? [],
    },
    via,
  );
}

/** Every list item below `node` (shelves, the top-result card's own list), in page order. */
function collect(nodes: readonly unknown[], via: Via, out: Candidate[]): void {
  for (const node of nodes) {
    if (node instanceof YTNodes.MusicCardShelf) {
      const top = fromCard(node, via);
      if (top) out.push(top);
      collect((node.contents ?? []) as unknown[], via, out);
    } else if (node instanceof YTNodes.MusicShelf || node instanceof MusicShelfContinuation) {
      collect(node.contents as unknown[], via, out);
    } else if (node instanceof YTNodes.ItemSection) {
      collect(node.contents, via, out);
    } else if (node instanceof YTNodes.MusicResponsiveListItem) {
      const c = fromListItem(node, via);
      if (c) out.push(c);
    }
  }
}

/** Keep the first of each id, filling what it lacks from later sightings (a card has no album; a row may). */
function dedupe(candidates: readonly Candidate[]): Candidate[] {
  const byId = new Map<string, Candidate>();
  for (const c of candidates) {
    const old = byId.get(c.id);
    if (!old) byId.set(c.id, { ...c });
    else {
      old.album ??= c.album;
      old.explicit ??= c.explicit;
      old.durationSec ??= c.durationSec;
      old.views ??= c.views;
      if ((old.artists?.length ?? 0) === 0 && (c.artists?.length ?? 0) > 0) {
        old.artists = c.artists;
        old.channel = c.channel;
      }
    }
  }
  return [...byId.values()];
}

/** Candidates from a parsed YouTube Music search page (what `yt.music.search()` returns). */
export function candidatesFromSearch(search: YTMusic.Search, via: Via): Candidate[] {
  const out: Candidate[] = [];
  collect((search.contents ?? []) as unknown[], via, out);
  return dedupe(out);
}

/**
 * Candidates from a raw InnerTube search response body (a first page or a continuation page), parsed by
 * youtubei.js exactly as a live search is. Used by the `match` command on recorded traffic.
 *
 * @throws Error when the body is not a YouTube Music search response at all.
 */
export function candidatesFromResponse(body: unknown, via: Via): Candidate[] {
  if (typeof body !== "object" || body === null) throw new Error("not an InnerTube response object");
  const data = body as Record<string, unknown>;
  if ("continuationContents" in data) {
    const page = Parser.parseResponse(data);
    const out: Candidate[] = [];
    const shelf = page.continuation_contents;
    if (shelf) collect([shelf], via, out);
    return dedupe(out);
  }
  // The constructor takes an API response; `actions` is only needed for follow-up requests, never made here.
  const search = new YTMusic.Search({ success: true, status_code: 200, data }, undefined as never, false);
  return candidatesFromSearch(search, via);
}
