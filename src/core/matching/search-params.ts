/**
 * What a YouTube Music search request's `params` filters on. The value is a percent-encoded base64 protobuf
 * (`SearchParams`): field 2 holds the filters, whose field 17 has one flag per result type (1 songs,
 * 2 videos, 3 albums, 4 artists, 5 playlists). youtubei.js writes the short form (`EgWKAQIIAQ%3D%3D`),
 * ytmusicapi a longer one with the same flag; both read the same here. Used to replay recorded traffic and by
 * the search stand-in.
 */

export type SearchFilter = "song" | "video" | "album" | "artist" | "playlist" | "none";

const FILTER_BY_FIELD: Record<number, SearchFilter> = {
  1: "song",
  2: "video",
  3: "album",
  4: "artist",
  5: "playlist",
};

interface Field {
  no: number;
  varint?: number;
  bytes?: Uint8Array;
}

/** The fields of one protobuf message, or undefined when it is malformed (truncated, unknown wire type). */
function fields(buf: Uint8Array): Field[] | undefined {
  const out: Field[] = [];
  let i = 0;
  const varint = (): number | undefined => {
    let value = 0;
    let shift = 0;
    while (i < buf.length && shift < 35) {
      const b = buf[i++] ?? 0;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
      shift += 7;
    }
    return undefined;
  };
  while (i < buf.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) {
      const v = varint();
      if (v === undefined) return undefined;
      out.push({ no, varint: v });
    } else if (wire === 2) {
      const len = varint();
      if (len === undefined || i + len > buf.length) return undefined;
      out.push({ no, bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1 || wire === 5) {
      i += wire === 1 ? 8 : 4;
      if (i > buf.length) return undefined;
    } else return undefined;
  }
  return out;
}

/**
 * The result type a search's `params` restricts to: `none` for an unfiltered search (no params, or params
 * without a result-type flag), `undefined` when the value is not percent-encoded base64 at all.
 */
export function filterOfParams(params: string | undefined): SearchFilter | undefined {
  if (params === undefined || params === "") return "none";
  let text = params;
  try {
    for (let i = 0; i < 3 && text.includes("%"); i++) text = decodeURIComponent(text);
  } catch {
    return undefined;
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/u.test(text)) return undefined;
  const bytes = Buffer.from(text.replace(/-/gu, "+").replace(/_/gu, "/"), "base64");
  const top = fields(bytes);
  const filtersBytes = top?.find((f) => f.no === 2)?.bytes;
  const filters = filtersBytes ? fields(filtersBytes) : [];
  const flagsBytes = filters?.find((f) => f.no === 17)?.bytes;
  const flags = flagsBytes ? fields(flagsBytes) : [];
  if (top === undefined || filters === undefined || flags === undefined) return undefined;
  const on = flags.find((f) => f.varint !== undefined && f.varint !== 0);
  return (on && FILTER_BY_FIELD[on.no]) ?? "none";
}
