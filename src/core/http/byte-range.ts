/**
 * The `Range: bytes=...` header of a download (RFC 9110 §14). One range is served; several ranges are
 * answered with the whole file (the RFC lets a server ignore Range), which keeps multipart bodies out.
 */

export type RangeRequest =
  /** No usable Range header: send the whole file. */
  | { kind: "full" }
  | { kind: "partial"; start: number; end: number }
  /** A syntactically fine range that lies outside the file: 416. */
  | { kind: "unsatisfiable" };

/** Interpret a Range header against a file of `size` bytes. */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: "full" };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: "full" }; // other units, lists of ranges, garbage: ignored
  const [, first = "", last = ""] = m;
  if (first === "" && last === "") return { kind: "full" };
  if (first === "") {
    // Suffix range: the last N bytes.
    const length = Number(last);
    if (!Number.isSafeInteger(length)) return { kind: "full" };
    if (length === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? Infinity : Number(last);
  if (!Number.isSafeInteger(start) || (last !== "" && !Number.isSafeInteger(end))) return { kind: "full" };
  if (end < start) return { kind: "full" }; // invalid range-spec: the header is ignored
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", start, end: Math.min(end, size - 1) };
}
