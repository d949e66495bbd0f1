/**
 * Every file, folder, zip-entry, playlist, cover, temp and download name the service makes comes from
 * here, so a name is cut the same way everywhere it appears (the library, the .m3u8 and its entries, the
 * zip, the download link's file name).
 *
 * Names come from Spotify metadata, which anyone can set: a playlist called `../../etc`, a 300-character
 * classical title, a lone UTF-16 surrogate, a NUL, right-to-left overrides. A name made here is valid
 * UTF-8, has no control or bidi characters, no separators, does not start with `-` or `.`, is no Windows
 * device name, and fits in {@link NAME_SEGMENT_BYTES} UTF-8 bytes; a relative path made here fits in
 * {@link NAME_PATH_BYTES} as a whole. An extension is never cut: the stem is.
 */

/** Byte cap of one path segment (most file systems allow 255 bytes; leaves room for temp names). */
export const NAME_SEGMENT_BYTES = 120;
/**
 * Byte cap of a whole relative path (library-relative, zip entry): a zip unpacked on Windows must stay
 * under its 260-character paths, with room for the folder it is unpacked into.
 */
export const NAME_PATH_BYTES = 240;
/**
 * What a file name keeps for itself when folders are cut to fit {@link NAME_PATH_BYTES}. Folders are
 * cut as if the file took this much, whatever the file, so a folder's name depends on the folder alone
 * (the album folder of every track and of its playlist is the same).
 */
const FILE_RESERVE_BYTES = 80;

const RESERVED = /^(con|prn|aux|nul|com[1-9¹²³]|lpt[1-9¹²³])$/i;
// C0 and C1 control characters, DEL, line and paragraph separators: a space.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// Bidi controls (they make `evil\u202Egpj.exe` read as `evilexe.jpg`) and the byte order mark: removed.
const INVISIBLE = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const WINDOWS_BAD = /[<>"|?*]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` with every lone UTF-16 surrogate replaced by U+FFFD, so it encodes as UTF-8. */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, "\ufffd");
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Cut `text` to at most `maxBytes` UTF-8 bytes without splitting a code point. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Bytes(text) <= maxBytes) return text;
  let out = "";
  let bytes = 0;
  for (const cp of text) {
    const size = utf8Bytes(cp);
    if (bytes + size > maxBytes) break;
    out += cp;
    bytes += size;
  }
  return out;
}

/** The characters of a name, before any cut: one line, no separators, nothing a shell or Windows minds. */
function cleanText(text: string): string {
  return wellFormed(text)
    .normalize("NFC")
    .replace(INVISIBLE, "")
    .replace(CONTROL, " ")
    .replace(/[/\\]/g, "-")
    .replace(/:/g, " -")
    .replace(WINDOWS_BAD, "_")
    .replace(/\s+/g, " ")
    .trim();
}

export interface NameOptions {
  /** Extension without the dot (`mp3`, `m3u8`); never cut. */
  ext?: string;
  /** Kept whole between the stem and the extension: ` [1a2b3c4d]`, ` (2)`. */
  suffix?: string;
  /** @defaultValue {@link NAME_SEGMENT_BYTES} */
  maxBytes?: number;
}

/**
 * One safe file or folder name from any text: cleaned (see the file's comment), then the stem is cut
 * so that stem + suffix + `.ext` fits in `maxBytes`. Letters of any script are kept (NFC). Making a
 * name from a name this function made gives the same name.
 */
export function safeName(text: string, options: NameOptions = {}): string {
  const maxBytes = options.maxBytes ?? NAME_SEGMENT_BYTES;
  const ext = options.ext ?? "";
  if (ext !== "" && !/^[a-z0-9]{1,8}$/i.test(ext)) throw new Error(`bad file extension: ${ext}`);
  const suffix = options.suffix
    ? (options.suffix.startsWith(" ") ? " " : "") + cleanText(options.suffix).replace(/[. ]+$/, "")
    : "";
  const fixed = suffix + (ext ? `.${ext}` : "");
  let stem = cleanText(text)
    // No hidden files, no `.`/`..`, nothing a command line reads as an option.
    .replace(/^[.-]+/, (lead) => "_".repeat(lead.length));
  stem = truncateUtf8(stem, Math.max(1, maxBytes - utf8Bytes(fixed)))
    // Windows drops trailing dots and spaces, so `a.` and `a` would be the same file.
    .replace(/[. ]+$/, "");
  if (stem === "") stem = "_";
  // `CON`, `con.mp3`, `Lpt1 ` are device names on Windows whatever the extension.
  const device = stem.split(".")[0] ?? stem;
  if (RESERVED.test(device.trim())) {
    stem = truncateUtf8(`${device}_${stem.slice(device.length)}`, Math.max(1, maxBytes - utf8Bytes(fixed)));
  }
  return stem + fixed;
}

/** A segment of a path: text, or text with a suffix/extension kept whole. */
export type NamePart = string | ({ text: string } & Omit<NameOptions, "maxBytes">);

export interface PathOptions {
  /** A relative folder made here before: the path goes under it; counted in the budget, never changed. */
  under?: string;
  /** @defaultValue {@link NAME_SEGMENT_BYTES} */
  maxSegmentBytes?: number;
  /** @defaultValue {@link NAME_PATH_BYTES} */
  maxPathBytes?: number;
}

function partName(part: NamePart, maxBytes: number): string {
  return typeof part === "string"
    ? safeName(part, { maxBytes })
    : safeName(part.text, {
        maxBytes,
        ...(part.ext ? { ext: part.ext } : {}),
        ...(part.suffix ? { suffix: part.suffix } : {}),
      });
}

/**
 * A relative path (`/` separators) of safe names: `folders`, then `file` when given, under `under`.
 * Each segment fits in `maxSegmentBytes`; the whole path (with `under`) in `maxPathBytes`. Folders too
 * long together are cut evenly, the longest first, to leave the file its share; the file gets the rest.
 */
export function safePath(folders: readonly NamePart[], file?: NamePart, options: PathOptions = {}): string {
  const segmentMax = options.maxSegmentBytes ?? NAME_SEGMENT_BYTES;
  const pathMax = options.maxPathBytes ?? NAME_PATH_BYTES;
  const under = options.under
    ? options.under
        .split(/[/\\]+/)
        .filter(Boolean)
        .join("/")
    : "";
  const prefixBytes = under ? utf8Bytes(under) + 1 : 0;
  const folderBudget = pathMax - FILE_RESERVE_BYTES - prefixBytes;
  const fit = (cap: number) => folders.map((f) => partName(f, Math.min(segmentMax, cap)));
  const size = (names: string[]) => names.reduce((sum, n) => sum + utf8Bytes(n) + 1, 0);
  let names = fit(segmentMax);
  if (size(names) > folderBudget) {
    // The largest even cap that fits: binary search over the byte cap of every folder.
    let low = 1;
    let high = segmentMax;
    while (low < high) {
      const mid = Math.ceil((low + high) / 2);
      if (size(fit(mid)) <= folderBudget) low = mid;
      else high = mid - 1;
    }
    names = fit(low);
  }
  if (file !== undefined)
    names.push(partName(file, Math.min(segmentMax, pathMax - prefixBytes - size(names))));
  return [...(under ? [under] : []), ...names].join("/");
}
