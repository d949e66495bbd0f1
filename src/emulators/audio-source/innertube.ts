/**
 * YouTube Music's InnerTube search (`POST /youtubei/v1/search`, client WEB_REMIX) as pure functions: read a
 * request (query, filter `params`, continuation token) and build the JSON YouTube Music answers, in the
 * renderer shapes of the recorded responses (tests/fixtures/recorded), in English as for `hl=en`:
 * `tabbedSearchResultsRenderer` → `sectionListRenderer` → `musicCardShelfRenderer` (top result) and
 * `musicShelfRenderer`s of `musicResponsiveListItemRenderer` rows; `continuationContents.musicShelfContinuation`
 * for the next page of a filtered shelf; an `itemSectionRenderer` with a `messageRenderer` for no results.
 *
 * One concern (just over 400 lines): the response shapes of one endpoint, kept together so they match the
 * recordings as a whole.
 */
import { z } from "zod";
import { filterOfParams } from "../../core/matching/search-params.js";
import type { FakeArtist, FakeVideo, SearchHits } from "./catalog.js";

/** The search's filter: the songs chip, the videos chip, or none (everything, as shelves). */
export type SearchFilter = "song" | "video" | "none";

/** A decoded search request. */
export interface SearchRequest {
  query: string;
  filter: SearchFilter;
  /** Rows already sent (continuations only). */
  offset: number;
  continuation: boolean;
}

/** A request InnerTube would answer 400 INVALID_ARGUMENT. */
export class InvalidArgumentError extends Error {}

/** Filter params as YouTube Music's own chips send them (what a parser may follow). */
const chipParams: Record<"song" | "video", string> = {
  song: "EgWKAQIIAWoMEA4QChADEAQQCRAF",
  video: "EgWKAQIQAWoMEA4QChADEAQQCRAF",
};
/** The "Show all" link under an unfiltered shelf. */
const showAllParams: Record<"song" | "video", string> = {
  song: "EgWKAQIIAWoEEAMQBA%3D%3D",
  video: "EgWKAQIQAWoEEAMQBA%3D%3D",
};
/** Rows per unfiltered shelf. */
const shelfRows = 3;

// ---- request -------------------------------------------------------------------------------------------

/**
 * The filter in a search's `params` (read by the service's own decoder, {@link filterOfParams}). Types the
 * stand-in's catalogue does not have (albums, artists, playlists) and unreadable params: InvalidArgumentError,
 * as InnerTube answers 400 INVALID_ARGUMENT.
 */
export function decodeSearchParams(params: string | undefined): SearchFilter {
  const filter = filterOfParams(params);
  if (filter === undefined) throw new InvalidArgumentError("params are not base64");
  if (filter === "song" || filter === "video" || filter === "none") return filter;
  throw new InvalidArgumentError("the stand-in only has songs and videos");
}

const tokenSchema = z.object({
  q: z.string().max(500),
  f: z.enum(["song", "video"]),
  o: z.number().int().min(0).max(10_000),
});

/** An opaque continuation token for the rows after `offset` of a filtered search. */
export function encodeContinuation(query: string, filter: "song" | "video", offset: number): string {
  return "Eq" + Buffer.from(JSON.stringify({ q: query, f: filter, o: offset })).toString("base64url");
}

function decodeContinuation(token: string): SearchRequest {
  try {
    if (!token.startsWith("Eq")) throw new Error("not ours");
    const parsed = tokenSchema.parse(JSON.parse(Buffer.from(token.slice(2), "base64url").toString("utf8")));
    return { query: parsed.q, filter: parsed.f, offset: parsed.o, continuation: true };
  } catch {
    throw new InvalidArgumentError("bad continuation token");
  }
}

const bodySchema = z.object({
  query: z.string().max(500).optional(),
  params: z.string().max(1000).optional(),
  continuation: z.string().max(4000).optional(),
});

/**
 * Read a search request: the body's `continuation`, or ytmusicapi's `?ctoken=`/`&continuation=` in the
 * URL, or else the body's `query` and `params`. Throws InvalidArgumentError when InnerTube would say 400.
 */
export function parseSearchRequest(body: unknown, url: URL): SearchRequest {
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) throw new InvalidArgumentError(parsed.error.message);
  const token =
    parsed.data.continuation ?? url.searchParams.get("ctoken") ?? url.searchParams.get("continuation");
  if (token) return decodeContinuation(token);
  const query = parsed.data.query?.trim();
  if (!query) throw new InvalidArgumentError("no query");
  return { query, filter: decodeSearchParams(parsed.data.params), offset: 0, continuation: false };
}

// ---- response pieces -----------------------------------------------------------------------------------

/** `m:ss`, or `h:mm:ss` from an hour. */
export function durationText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** YouTube's short counts: 532, 2.4K, 45K, 1.2M, 1.4B (one decimal below 10, cut, not rounded). */
export function countText(n: number): string {
  const [size, unit] = n >= 1e9 ? [1e9, "B"] : n >= 1e6 ? [1e6, "M"] : n >= 1e3 ? [1e3, "K"] : [1, ""];
  const v = n / size;
  return `${v < 10 && size > 1 ? Math.floor(v * 10) / 10 : Math.floor(v)}${unit}`;
}

const musicConfig = (v: FakeVideo) => ({
  watchEndpointMusicSupportedConfigs: { watchEndpointMusicConfig: { musicVideoType: v.musicVideoType } },
});
const watch = (v: FakeVideo) => ({ watchEndpoint: { videoId: v.id, ...musicConfig(v) } });
const text = (t: string) => ({ text: t });
const dot = text(" • ");

function browseRun(name: string, browseId: string, pageType: string) {
  return {
    text: name,
    navigationEndpoint: {
      browseEndpoint: {
        browseId,
        browseEndpointContextSupportedConfigs: { browseEndpointContextMusicConfig: { pageType } },
      },
    },
  };
}

/** "A", "A & B", "A, B & C", each linked to its artist page (ATV/OMV) or user channel (UGC). */
function artistRuns(v: FakeVideo): object[] {
  const pageType =
    v.musicVideoType === "MUSIC_VIDEO_TYPE_UGC" ? "MUSIC_PAGE_TYPE_USER_CHANNEL" : "MUSIC_PAGE_TYPE_ARTIST";
  return v.artists.flatMap((a: FakeArtist, i) => [
    ...(i === 0 ? [] : [text(i === v.artists.length - 1 ? " & " : ", ")]),
    browseRun(a.name, a.channelId, pageType),
  ]);
}

const isSong = (v: FakeVideo) => v.musicVideoType === "MUSIC_VIDEO_TYPE_ATV";

/** The second line: [kind •] artists • album | views • duration. */
function detailRuns(v: FakeVideo, kindWord: boolean): object[] {
  const middle = isSong(v)
    ? v.album
      ? [browseRun(v.album.name, v.album.browseId, "MUSIC_PAGE_TYPE_ALBUM")]
      : []
    : [text(`${countText(v.views)} views`)];
  return [
    ...(kindWord ? [text(isSong(v) ? "Song" : "Video"), dot] : []),
    ...artistRuns(v),
    ...middle.flatMap((run) => [dot, run]),
    dot,
    text(durationText(v.durationSec)),
  ];
}

function thumbnail(v: FakeVideo) {
  const url = `https://i.ytimg.com/vi/${v.id}/hqdefault.jpg`;
  return {
    musicThumbnailRenderer: {
      thumbnail: { thumbnails: [60, 120].map((size) => ({ url, width: size, height: size })) },
      thumbnailCrop: "MUSIC_THUMBNAIL_CROP_UNSPECIFIED",
      thumbnailScale: "MUSIC_THUMBNAIL_SCALE_ASPECT_FIT",
    },
  };
}

function playOverlay(v: FakeVideo, size: "SMALL" | "LARGE") {
  return {
    musicItemThumbnailOverlayRenderer: {
      background: { verticalGradient: { gradientLayerColors: ["3422552064", "3422552064"] } },
      content: {
        musicPlayButtonRenderer: {
          playNavigationEndpoint: watch(v),
          playIcon: { iconType: "PLAY_ARROW" },
          pauseIcon: { iconType: "PAUSE" },
          buttonSize: `MUSIC_PLAY_BUTTON_SIZE_${size}`,
        },
      },
      contentPosition: "MUSIC_ITEM_THUMBNAIL_OVERLAY_CONTENT_POSITION_CENTERED",
      displayStyle: "MUSIC_ITEM_THUMBNAIL_OVERLAY_DISPLAY_STYLE_PERSISTENT",
    },
  };
}

/** YouTube Music's "E" badge on a label's explicit audio (as in the recorded responses). */
const explicitBadge = {
  musicInlineBadgeRenderer: {
    icon: { iconType: "MUSIC_EXPLICIT_BADGE" },
    accessibilityData: { accessibilityData: { label: "Explicit" } },
  },
};
const badgesOf = (v: FakeVideo) => (v.explicit === true ? { badges: [explicitBadge] } : {});

const column = (runs: object[]) => ({
  musicResponsiveListItemFlexColumnRenderer: {
    text: { runs },
    displayPriority: "MUSIC_RESPONSIVE_LIST_ITEM_COLUMN_DISPLAY_PRIORITY_HIGH",
  },
});

/**
 * One `musicResponsiveListItemRenderer`: title (watch endpoint with the music video type), the detail line,
 * and for songs a third column with plays. `kindWord` puts "Song"/"Video" first, as unfiltered lists do.
 */
export function listItem(v: FakeVideo, kindWord: boolean) {
  const columns = [
    column([{ text: v.title, navigationEndpoint: watch(v) }]),
    column(detailRuns(v, kindWord)),
  ];
  if (isSong(v)) columns.push(column([text(`${countText(v.views)} plays`)]));
  return {
    musicResponsiveListItemRenderer: {
      thumbnail: thumbnail(v),
      overlay: playOverlay(v, "SMALL"),
      flexColumns: columns,
      ...badgesOf(v),
      playlistItemData: { videoId: v.id },
      flexColumnDisplayStyle: "MUSIC_RESPONSIVE_LIST_ITEM_FLEX_COLUMN_DISPLAY_STYLE_TWO_LINE_STACK",
      itemHeight: "MUSIC_RESPONSIVE_LIST_ITEM_HEIGHT_TALL",
    },
  };
}

/** The top-result card: the best hit, then "More from YouTube" with a few other rows. */
function cardShelf(top: FakeVideo, more: FakeVideo[]) {
  const subtitle = isSong(top)
    ? [text("Song"), dot, ...artistRuns(top), dot, text(durationText(top.durationSec))]
    : detailRuns(top, true);
  return {
    musicCardShelfRenderer: {
      thumbnail: thumbnail(top),
      title: { runs: [{ text: top.title, navigationEndpoint: watch(top) }] },
      subtitle: { runs: subtitle },
      ...(top.explicit === true ? { subtitleBadges: [explicitBadge] } : {}),
      ...(more.length > 0
        ? {
            contents: [
              {
                messageRenderer: {
                  text: { runs: [text("More from YouTube")] },
                  style: { value: "RENDER_STYLE_SIMPLE_HEADER" },
                },
              },
              ...more.map((v) => listItem(v, true)),
            ],
          }
        : {}),
      buttons: [
        {
          buttonRenderer: {
            style: "STYLE_DARK_ON_WHITE",
            text: { runs: [text("Play")] },
            icon: { iconType: "PLAY_ARROW" },
            command: { watchEndpoint: { videoId: top.id, params: "wAEB", ...musicConfig(top) } },
          },
        },
      ],
      onTap: watch(top),
      header: { musicCardShelfHeaderBasicRenderer: { title: { runs: [text("Top result")] } } },
      thumbnailOverlay: playOverlay(top, "LARGE"),
    },
  };
}

const shelfTitle = (filter: "song" | "video") => ({ runs: [text(filter === "song" ? "Songs" : "Videos")] });
const divider = { musicShelfDividerRenderer: { hidden: true } };

function continuations(token: string | undefined) {
  return token ? { continuations: [{ nextContinuationData: { continuation: token } }] } : {};
}

function chipCloud(query: string, filter: SearchFilter) {
  const chip = (kind: "song" | "video") => ({
    chipCloudChipRenderer: {
      style: { styleType: filter === kind ? "STYLE_PRIMARY" : "STYLE_DEFAULT" },
      text: shelfTitle(kind),
      navigationEndpoint: { searchEndpoint: { query, params: chipParams[kind] } },
      isSelected: filter === kind,
      uniqueId: kind === "song" ? "Songs" : "Videos",
    },
  });
  const clear = {
    chipCloudChipRenderer: {
      style: { styleType: "STYLE_SECONDARY" },
      navigationEndpoint: { searchEndpoint: { query } },
      icon: { iconType: "CLOSE" },
      isSelected: false,
    },
  };
  return {
    chipCloudRenderer: {
      chips: [...(filter === "none" ? [] : [clear]), chip("song"), chip("video")],
      collapsedRowCount: 1,
      horizontalScrollable: true,
    },
  };
}

const responseContext = {
  serviceTrackingParams: [{ service: "CSI", params: [{ key: "c", value: "WEB_REMIX" }] }],
  maxAgeSeconds: 120,
};

function page(query: string, filter: SearchFilter, sections: object[]) {
  return {
    responseContext,
    contents: {
      tabbedSearchResultsRenderer: {
        tabs: [
          {
            tabRenderer: {
              title: "YT Music",
              selected: true,
              content: { sectionListRenderer: { contents: sections, header: chipCloud(query, filter) } },
              tabIdentifier: "music_search_catalog",
            },
          },
        ],
      },
    },
  };
}

/** What YouTube Music answers when nothing matches. */
function noResults() {
  return {
    itemSectionRenderer: {
      contents: [
        {
          messageRenderer: {
            text: { runs: [text("No results found")] },
            icon: { iconType: "SEARCH" },
            subtext: {
              messageSubtextRenderer: {
                text: { runs: [text("Try different keywords or remove search filters")] },
              },
            },
          },
        },
      ],
    },
  };
}

// ---- responses -----------------------------------------------------------------------------------------

export interface ResponseOptions {
  query: string;
  filter: SearchFilter;
  /** Rows in the first page of a filtered shelf and in each continuation (YouTube Music: 20). */
  pageSize: number;
}

/**
 * The answer to a search. Unfiltered: the top-result card, then "Songs" and "Videos" shelves of a few rows
 * with "Show all" links. Filtered: one shelf with the first page and a continuation token.
 */
export function innertubeSearchResponse(hits: SearchHits, options: ResponseOptions): object {
  const { query, filter, pageSize } = options;
  if (filter !== "none") {
    const rows = filter === "song" ? hits.songs : hits.videos;
    if (rows.length === 0) return page(query, filter, [noResults()]);
    const shelf = {
      musicShelfRenderer: {
        title: shelfTitle(filter),
        contents: rows.slice(0, pageSize).map((v) => listItem(v, false)),
        ...continuations(encodeContinuation(query, filter, pageSize)),
        shelfDivider: divider,
      },
    };
    return page(query, filter, [shelf]);
  }
  if (!hits.top) return page(query, filter, [noResults()]);
  const top = hits.top;
  const shelves = (["song", "video"] as const).flatMap((kind) => {
    const rows = (kind === "song" ? hits.songs : hits.videos).slice(0, shelfRows);
    if (rows.length === 0) return [];
    return {
      musicShelfRenderer: {
        title: shelfTitle(kind),
        contents: rows.map((v) => listItem(v, kind === "video")),
        bottomText: { runs: [text("Show all")] },
        bottomEndpoint: { searchEndpoint: { query, params: showAllParams[kind] } },
        shelfDivider: divider,
      },
    };
  });
  const more = [...hits.songs.filter((v) => v.id !== top.id).slice(0, 1), ...hits.videos.slice(0, 2)];
  return page(query, filter, [cardShelf(top, more), ...shelves]);
}

/** The next page of a filtered shelf: `continuationContents.musicShelfContinuation` (empty when done). */
export function innertubeContinuationResponse(
  hits: SearchHits,
  request: SearchRequest & { filter: "song" | "video" },
  pageSize: number,
): object {
  const all = request.filter === "song" ? hits.songs : hits.videos;
  const end = request.offset + pageSize;
  const next = end < all.length ? encodeContinuation(request.query, request.filter, end) : undefined;
  return {
    responseContext,
    continuationContents: {
      musicShelfContinuation: {
        contents: all.slice(request.offset, end).map((v) => listItem(v, false)),
        ...continuations(next),
        shelfDivider: divider,
        autoReloadWhenEmpty: false,
      },
    },
    header: { musicHeaderRenderer: { header: chipCloud(request.query, request.filter) } },
  };
}
