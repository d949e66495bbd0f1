/**
 * Writes the cdrdao TOC file for one disc: CD-DA, catalog number (UPC/EAN), per-track ISRC and CD-TEXT
 * (title and performer for the disc and for every track, in ISO-8859-1).
 *
 * One concern (over 400 lines): the TOC format and its CD-TEXT rules, which must be applied together.
 *
 * Rules this file follows, and why:
 * - CD-TEXT: when a field is set anywhere it must be set for the disc and every track, so TITLE and
 *   PERFORMER are always written everywhere (with fallbacks), and nothing else.
 * - CD-TEXT is ISO-8859-1 and small (one block holds about 3 KB): text is transliterated by
 *   {@link toLatin1} and shortened until it fits {@link CDTEXT_MAX_PACKS}.
 * - cdrdao's string lexer knows only `\"` and three-digit octal escapes; a lone backslash is kept
 *   literally, so `\\` would become two backslashes and a trailing `\` would eat the closing quote.
 *   We write `"` as `\"`, and backslash plus every non-ASCII byte as `\ooo`, which keeps the file pure
 *   ASCII however it is saved. File names are escaped byte by byte from UTF-8 (that is what the file
 *   system stores); CD-TEXT byte by byte from Latin-1.
 * - Track 1 gets its 2 s pregap from cdrdao: no PREGAP line. FILE must name `.wav` files.
 */

/** A track as the TOC needs it. */
export interface TocTrack {
  /** The rendered `.wav` (absolute, or relative to the directory cdrdao runs in). */
  path: string;
  title: string;
  performer: string;
  /** ISRC as `CC-XXX-YY-NNNNN` or `CCXXXYYNNNNN`; invalid codes are left out. */
  isrc?: string;
}

export interface TocDisc {
  tracks: readonly TocTrack[];
}

export interface TocOptions {
  /** Disc title (album or playlist name). */
  title: string;
  /** Disc performer (album artist or playlist owner). */
  performer: string;
  /** UPC-A (12 digits) or EAN-13; written as the 13-digit CATALOG. Invalid values are left out. */
  catalog?: string;
  /** Pack budget for CD-TEXT text. @defaultValue {@link CDTEXT_MAX_PACKS} */
  maxCdTextPacks?: number;
}

/**
 * One CD-TEXT block holds 256 packs of 12 text bytes; 3 carry the size information. We stay a few packs
 * under that for safety: 250 packs = 3000 bytes of text (each string plus its terminating NUL).
 */
export const CDTEXT_MAX_PACKS = 250;

const CDTEXT_PACK_BYTES = 12;
const FALLBACK_PERFORMER = "Various Artists";

// Cyrillic → Latin (a simple, readable scheme close to BGN/PCGN; Russian, Ukrainian, Belarusian).
const CYRILLIC: Record<string, string> = {
  а: "a",
  б: "b",
  в: "v",
  г: "g",
  д: "d",
  е: "e",
  ё: "yo",
  ж: "zh",
  з: "z",
  и: "i",
  й: "y",
  к: "k",
  л: "l",
  м: "m",
  н: "n",
  о: "o",
  п: "p",
  р: "r",
  с: "s",
  т: "t",
  у: "u",
  ф: "f",
  х: "kh",
  ц: "ts",
  ч: "ch",
  ш: "sh",
  щ: "shch",
  ъ: "",
  ы: "y",
  ь: "",
  э: "e",
  ю: "yu",
  я: "ya",
  і: "i",
  ї: "yi",
  є: "ye",
  ґ: "g",
  ў: "w",
  ђ: "dj",
  ј: "j",
  љ: "lj",
  њ: "nj",
  ћ: "c",
  џ: "dz",
};

// Hepburn romaji for hiragana; katakana is mapped onto hiragana first (same layout, +0x60).
const KANA: Record<string, string> = {
  あ: "a",
  い: "i",
  う: "u",
  え: "e",
  お: "o",
  か: "ka",
  き: "ki",
  く: "ku",
  け: "ke",
  こ: "ko",
  が: "ga",
  ぎ: "gi",
  ぐ: "gu",
  げ: "ge",
  ご: "go",
  さ: "sa",
  し: "shi",
  す: "su",
  せ: "se",
  そ: "so",
  ざ: "za",
  じ: "ji",
  ず: "zu",
  ぜ: "ze",
  ぞ: "zo",
  た: "ta",
  ち: "chi",
  つ: "tsu",
  て: "te",
  と: "to",
  だ: "da",
  ぢ: "ji",
  づ: "zu",
  で: "de",
  ど: "do",
  な: "na",
  に: "ni",
  ぬ: "nu",
  ね: "ne",
  の: "no",
  は: "ha",
  ひ: "hi",
  ふ: "fu",
  へ: "he",
  ほ: "ho",
  ば: "ba",
  び: "bi",
  ぶ: "bu",
  べ: "be",
  ぼ: "bo",
  ぱ: "pa",
  ぴ: "pi",
  ぷ: "pu",
  ぺ: "pe",
  ぽ: "po",
  ま: "ma",
  み: "mi",
  む: "mu",
  め: "me",
  も: "mo",
  や: "ya",
  ゆ: "yu",
  よ: "yo",
  ら: "ra",
  り: "ri",
  る: "ru",
  れ: "re",
  ろ: "ro",
  わ: "wa",
  ゐ: "i",
  ゑ: "e",
  を: "o",
  ん: "n",
  ゔ: "vu",
  ぁ: "a",
  ぃ: "i",
  ぅ: "u",
  ぇ: "e",
  ぉ: "o",
  ゎ: "wa",
};
const SMALL_Y: Record<string, string> = { ゃ: "a", ゅ: "u", ょ: "o" };

// Punctuation outside Latin-1 that has an obvious Latin-1 stand-in.
const PUNCTUATION: Record<string, string> = {
  "\u2018": "'",
  "\u2019": "'",
  "\u201a": "'",
  "\u201b": "'",
  "\u2032": "'",
  "\u201c": '"',
  "\u201d": '"',
  "\u201e": '"',
  "\u201f": '"',
  "\u2033": '"',
  "\u2010": "-",
  "\u2011": "-",
  "\u2012": "-",
  "\u2013": "-",
  "\u2014": "-",
  "\u2015": "-",
  "\u2212": "-",
  "\u2026": "...",
  "\u2022": "\u00b7",
  "\u2122": "(TM)",
  "\u20ac": "EUR",
  "\u3000": " ",
  "\u3001": ", ",
  "\u3002": ". ",
  "\u300c": '"',
  "\u300d": '"',
  "\u300e": '"',
  "\u300f": '"',
  "\u30fb": " ",
  "\uff5e": "~",
  "\u301c": "~",
  "\u0142": "l",
  "\u0141": "L",
  "\u0111": "d",
  "\u0110": "D",
  "\u0131": "i",
  "\u0153": "oe",
  "\u0152": "OE",
};

function capitalize(latin: string, nextIsUpper: boolean): string {
  if (latin.length === 0) return latin;
  return nextIsUpper ? latin.toUpperCase() : latin[0]!.toUpperCase() + latin.slice(1);
}

function kanaToHiragana(ch: string): string {
  const code = ch.codePointAt(0)!;
  return code >= 0x30a1 && code <= 0x30f6 ? String.fromCodePoint(code - 0x60) : ch;
}

/**
 * Transliterate text to what ISO-8859-1 can hold, readably: Latin-1 letters stay, other accented Latin
 * letters lose their accents, Cyrillic and Japanese kana become Latin letters, full-width forms become
 * ASCII, typographic punctuation becomes its plain form; anything else (kanji, emoji, ...) becomes `?`.
 * Control characters (tabs, newlines) become spaces; runs of spaces collapse.
 */
export function toLatin1(text: string): string {
  const chars = Array.from(text.normalize("NFC"));
  let out = "";
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) {
      out += " ";
      continue;
    }
    if (code <= 0xff) {
      out += ch;
      continue;
    }
    const punct = PUNCTUATION[ch];
    if (punct !== undefined) {
      out += punct;
      continue;
    }
    const lower = ch.toLowerCase();
    const cyr = CYRILLIC[lower];
    if (cyr !== undefined) {
      if (lower === ch) out += cyr;
      else {
        // ЖУК → ZHUK, Жук → Zhuk: all capitals when the word around the letter is in capitals.
        const next = chars[i + 1];
        const prev = chars[i - 1];
        const isUpper = (c: string | undefined) => c !== undefined && c !== c.toLowerCase();
        const isLower = (c: string | undefined) => c !== undefined && c !== c.toUpperCase();
        out += capitalize(cyr, isUpper(next) || (isUpper(prev) && !isLower(next)));
      }
      continue;
    }
    if (code >= 0xff01 && code <= 0xff5e) {
      out += String.fromCodePoint(code - 0xfee0); // full-width ASCII
      continue;
    }
    const hira = kanaToHiragana(ch);
    if (hira === "っ") {
      // Small tsu doubles the next consonant (がっこう → gakkou).
      const next = chars[i + 1];
      const nextLatin = next !== undefined ? KANA[kanaToHiragana(next)] : undefined;
      out += nextLatin !== undefined && /^[bcdfghjkmnprstvwz]/.test(nextLatin) ? nextLatin[0] : "";
      continue;
    }
    if (hira === "ー") {
      const prev = out.at(-1);
      out += prev !== undefined && "aeiou".includes(prev) ? prev : "-";
      continue;
    }
    const kana = KANA[hira];
    if (kana !== undefined) {
      const next = chars[i + 1];
      const smallY = next !== undefined ? SMALL_Y[kanaToHiragana(next)] : undefined;
      if (smallY !== undefined && kana.endsWith("i") && kana.length > 1) {
        // きゃ → kya, しゃ → sha, ちゃ → cha, じゃ → ja
        const stem = kana.slice(0, -1);
        out += /^(sh|ch|j)$/.test(stem) ? stem + smallY : `${stem}y${smallY}`;
        i++;
      } else {
        out += kana;
      }
      continue;
    }
    if (SMALL_Y[hira] !== undefined) {
      out += `y${SMALL_Y[hira]}`;
      continue;
    }
    // Accented Latin outside Latin-1 (ő, č, ş, ...): drop the accent.
    const stripped = ch.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
    if (stripped.length > 0 && Array.from(stripped).every((c) => c.codePointAt(0)! <= 0xff)) {
      out += stripped;
      continue;
    }
    out += "?";
  }
  return out.replace(/ {2,}/g, " ").trim();
}

/** Escape bytes for a cdrdao TOC string: printable ASCII stays, `"` → `\"`, the rest → `\ooo`. */
function escapeTocBytes(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) {
    if (byte === 0x22) out += '\\"';
    else if (byte >= 0x20 && byte < 0x7f && byte !== 0x5c) out += String.fromCharCode(byte);
    else out += `\\${byte.toString(8).padStart(3, "0")}`;
  }
  return out;
}

/** A CD-TEXT string (already Latin-1) as a quoted TOC string. */
function cdTextString(latin1: string): string {
  return `"${escapeTocBytes(Buffer.from(latin1, "latin1"))}"`;
}

/** A file name as a quoted TOC string (UTF-8 bytes, as the file system has them). */
function fileString(path: string): string {
  return `"${escapeTocBytes(Buffer.from(path, "utf8"))}"`;
}

/** `CCXXXYYNNNNN` from an ISRC in any common spelling, or undefined when it is not one. */
export function normalizeIsrc(isrc: string | undefined): string | undefined {
  if (isrc === undefined) return undefined;
  const compact = isrc.replace(/[-\s]/g, "").toUpperCase();
  return /^[A-Z]{2}[A-Z0-9]{3}\d{7}$/.test(compact) ? compact : undefined;
}

/** The 13-digit CATALOG from a UPC-A (12 digits, gets a leading 0) or EAN-13, else undefined. */
export function normalizeCatalog(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  const digits = code.replace(/[-\s]/g, "");
  if (/^\d{12}$/.test(digits)) return `0${digits}`;
  return /^\d{13}$/.test(digits) ? digits : undefined;
}

function packsFor(strings: readonly string[]): number {
  const bytes = strings.reduce((n, s) => n + Buffer.byteLength(s, "latin1") + 1, 0);
  return Math.ceil(bytes / CDTEXT_PACK_BYTES);
}

/** CD-TEXT packs that titles and performers take (what {@link writeToc} keeps under the budget). */
export function cdTextPacks(titles: readonly string[], performers: readonly string[]): number {
  return packsFor(titles) + packsFor(performers);
}

function fitCdText(
  titles: string[],
  performers: string[],
  maxPacks: number,
): { titles: string[]; performers: string[] } {
  if (cdTextPacks(titles, performers) <= maxPacks) return { titles, performers };
  // Shorten the longest strings first: lower a common length cap until everything fits.
  const longest = Math.max(...titles.map((s) => s.length), ...performers.map((s) => s.length));
  for (let cap = longest - 1; cap >= 1; cap--) {
    const cut = (s: string) => (s.length > cap ? s.slice(0, cap).trimEnd() || s.slice(0, cap) : s);
    const t = titles.map(cut);
    const p = performers.map(cut);
    if (cdTextPacks(t, p) <= maxPacks) return { titles: t, performers: p };
  }
  return { titles: titles.map((s) => s.slice(0, 1)), performers: performers.map((s) => s.slice(0, 1)) };
}

function orFallback(text: string, fallback: string): string {
  return text.length > 0 ? text : fallback;
}

/**
 * The TOC file text for one disc. Write it to disk as-is (it is plain ASCII); `.wav` paths are taken
 * as given.
 */
export function writeToc(disc: TocDisc, options: TocOptions): string {
  if (disc.tracks.length === 0) throw new RangeError("writeToc: a disc needs at least one track");
  if (disc.tracks.length > 99) throw new RangeError("writeToc: a disc holds at most 99 tracks");
  for (const track of disc.tracks) {
    if (!/\.wav$/i.test(track.path)) throw new RangeError(`writeToc: not a .wav file: ${track.path}`);
  }

  const discPerformer = orFallback(toLatin1(options.performer), FALLBACK_PERFORMER);
  const discTitle = orFallback(toLatin1(options.title), "Untitled");
  const titles = [discTitle, ...disc.tracks.map((t, i) => orFallback(toLatin1(t.title), `Track ${i + 1}`))];
  const performers = [
    discPerformer,
    ...disc.tracks.map((t) => orFallback(toLatin1(t.performer), discPerformer)),
  ];
  const fitted = fitCdText(titles, performers, options.maxCdTextPacks ?? CDTEXT_MAX_PACKS);

  const lines: string[] = ["CD_DA", ""];
  const catalog = normalizeCatalog(options.catalog);
  if (catalog !== undefined) lines.push(`CATALOG "${catalog}"`, "");
  lines.push(
    "CD_TEXT {",
    "  LANGUAGE_MAP { 0 : EN }",
    "  LANGUAGE 0 {",
    `    TITLE ${cdTextString(fitted.titles[0]!)}`,
    `    PERFORMER ${cdTextString(fitted.performers[0]!)}`,
    "  }",
    "}",
  );
  disc.tracks.forEach((track, index) => {
    lines.push("", `// Track ${index + 1}`, "TRACK AUDIO");
    const isrc = normalizeIsrc(track.isrc);
    if (isrc !== undefined) lines.push(`ISRC "${isrc}"`);
    lines.push(
      "CD_TEXT {",
      "  LANGUAGE 0 {",
      `    TITLE ${cdTextString(fitted.titles[index + 1]!)}`,
      `    PERFORMER ${cdTextString(fitted.performers[index + 1]!)}`,
      "  }",
      "}",
      `FILE ${fileString(track.path)} 0`,
    );
  });
  return `${lines.join("\n")}\n`;
}
