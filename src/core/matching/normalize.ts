/**
 * Text normalisation and fuzzy comparison for matching Spotify titles to YouTube uploads.
 *
 * Why our own: the scorer must treat "Beyoncé" and "Beyonce", full-width "ＡＢＣ" and "ABC", "feat." in
 * brackets or after a dash the same way, while never folding Cyrillic or Japanese into something else
 * (stripping the dakuten from "が" or the breve from "й" would change the word, not its accent).
 */

/**
 * Brackets whose content is a qualifier ("(Live)", "[Official Video]", "{Remix}"). Full-width forms become
 * these under NFKC, which every caller applies first.
 */
const QUALIFIER_BRACKETS: readonly RegExp[] = [/\(([^()]*)\)/gu, /\[([^[\]]*)\]/gu, /\{([^{}]*)\}/gu];

/** Marks that split an upload title into "artist" and "title" segments. */
const SEGMENT_SEPARATORS = /\s+[-–—~|/／]\s+|[「」『』【】|／]|\s+[-–—]|[-–—]\s+/u;

const FEAT_WORD = String.raw`(?:feat\.?|ft\.?|featuring|with|w\/)`;
/** "feat. X" inside brackets: `(feat. A & B)`, `[ft. A]`, `(with A)`. */
const BRACKETED_FEAT = new RegExp(String.raw`[(\[{（]\s*${FEAT_WORD}\s+([^)\]}）]+)[)\]}）]`, "giu");
/** "feat. X" without brackets, up to the next bracket or dash segment. */
const BARE_FEAT = /\s(?:feat\.?|ft\.?|featuring)\s+(.+?)(?=\s[-–—|/]\s|[()[\]{}]|$)/giu;

/** Combining marks after a Latin letter are accents; after anything else they are part of the letter. */
function stripLatinDiacritics(text: string): string {
  return text
    .normalize("NFD")
    .replace(/(\p{Script=Latin})\p{M}+/gu, "$1")
    .normalize("NFC");
}

const SPECIAL_LATIN: Record<string, string> = {
  ß: "ss",
  æ: "ae",
  ø: "o",
  œ: "oe",
  đ: "d",
  ł: "l",
  þ: "th",
  ı: "i",
};

/**
 * Canonical form for comparison: NFKC, lower case, Latin diacritics stripped (other scripts kept),
 * "&" read as "and", apostrophes dropped ("don't" = "dont"), every other punctuation run turned into one space.
 */
export function normalizeText(text: string): string {
  let out = stripLatinDiacritics(text.normalize("NFKC").toLowerCase());
  out = out.replace(/[ßæøœđłþı]/gu, (c) => SPECIAL_LATIN[c] ?? c);
  out = out.replace(/['’‘`´]/gu, "");
  out = out.replace(/&|\+/gu, " and ");
  out = out.replace(/[^\p{L}\p{N}]+/gu, " ");
  return out.trim().replace(/\s+/gu, " ");
}

/** Space-separated tokens of {@link normalizeText}. */
export function tokens(text: string): string[] {
  const n = normalizeText(text);
  return n === "" ? [] : n.split(" ");
}

/** A title taken apart: the name itself, its bracketed/dashed qualifiers, and featured artists. */
export interface TitleParts {
  /** The title without qualifiers or "feat." (raw text, not normalised). */
  main: string;
  /** Bracket contents and " - suffix" parts, e.g. `Live at Wembley`, `2011 Remaster`. */
  qualifiers: string[];
  /** Names after "feat.", "ft.", "featuring" or "(with ...)". */
  featured: string[];
}

/** Split "A, B & C" into names. */
export function splitArtistList(text: string): string[] {
  return text
    .split(/\s*(?:,|&|\band\b|\bx\b|\bvs\.?|;|\/)\s*/iu)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Pull "feat." names out of `text`; returns the text without them and the names. */
export function extractFeatured(text: string): { rest: string; featured: string[] } {
  const featured: string[] = [];
  let rest = text.normalize("NFKC").replace(BRACKETED_FEAT, (_m, names: string) => {
    featured.push(...splitArtistList(names));
    return " ";
  });
  rest = rest.replace(BARE_FEAT, (_m, names: string) => {
    featured.push(...splitArtistList(names));
    return " ";
  });
  return { rest: rest.replace(/\s+/gu, " ").trim(), featured };
}

/**
 * Split a Spotify-style title: `Song (feat. X) - Live at Wembley` gives main `Song`, qualifiers
 * `["Live at Wembley"]`, featured `["X"]`.
 */
export function splitTitle(title: string): TitleParts {
  const { rest, featured } = extractFeatured(title);
  const qualifiers: string[] = [];
  let main = rest;
  for (const re of QUALIFIER_BRACKETS) {
    main = main.replace(re, (_m, inner: string) => {
      if (inner.trim() !== "") qualifiers.push(inner.trim());
      return " ";
    });
  }
  // Spotify's " - Remastered 2011" / " - Live": everything after the first spaced dash is a qualifier.
  const dash = /\s[-–—]\s/u.exec(main);
  if (dash) {
    const tail = main.slice(dash.index + dash[0].length).trim();
    if (tail !== "") qualifiers.push(tail);
    main = main.slice(0, dash.index);
  }
  main = main.replace(/\s+/gu, " ").trim();
  // A title that is only brackets, e.g. "(Untitled)", keeps its text as the name.
  if (main === "" && qualifiers.length > 0) main = qualifiers.shift() ?? "";
  return { main, qualifiers, featured };
}

/**
 * Split an upload title into segments at " - ", "|", " / ", 「」, 【】: "Artist - Title (Official Video)" gives
 * `["Artist", "Title (Official Video)"]`. Empty segments are dropped.
 */
export function splitSegments(title: string): string[] {
  return title
    .normalize("NFKC")
    .split(SEGMENT_SEPARATORS)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Remove bracketed parts (any of the qualifier brackets) and return them separately. */
export function stripBrackets(text: string): { rest: string; inner: string[] } {
  const inner: string[] = [];
  let rest = text.normalize("NFKC");
  for (const re of QUALIFIER_BRACKETS) {
    rest = rest.replace(re, (_m, part: string) => {
      inner.push(part);
      return " ";
    });
  }
  return { rest: rest.replace(/\s+/gu, " ").trim(), inner };
}

// ---------------------------------------------------------------------------------------------
// Transliteration: only so that romanised uploads of Cyrillic or kana titles can be recognised.

const CYRILLIC: Record<string, string> = {
  а: "a", б: "b", в: "v", г: "g", д: "d", е: "e", ё: "e", ж: "zh", з: "z", и: "i", й: "y", к: "k", л: "l",
  м: "m", н: "n", о: "o", п: "p", р: "r", с: "s", т: "t", у: "u", ф: "f", х: "kh", ц: "ts", ч: "ch", ш: "sh",
  щ: "shch", ъ: "", ы: "y", ь: "", э: "e", ю: "yu", я: "ya", і: "i", ї: "yi", є: "ye", ґ: "g", ў: "u",
}; // prettier-ignore

const KANA: Record<string, string> = {
  あ: "a", い: "i", う: "u", え: "e", お: "o", か: "ka", き: "ki", く: "ku", け: "ke", こ: "ko",
  さ: "sa", し: "shi", す: "su", せ: "se", そ: "so", た: "ta", ち: "chi", つ: "tsu", て: "te", と: "to",
  な: "na", に: "ni", ぬ: "nu", ね: "ne", の: "no", は: "ha", ひ: "hi", ふ: "fu", へ: "he", ほ: "ho",
  ま: "ma", み: "mi", む: "mu", め: "me", も: "mo", や: "ya", ゆ: "yu", よ: "yo",
  ら: "ra", り: "ri", る: "ru", れ: "re", ろ: "ro", わ: "wa", を: "o", ん: "n",
  が: "ga", ぎ: "gi", ぐ: "gu", げ: "ge", ご: "go", ざ: "za", じ: "ji", ず: "zu", ぜ: "ze", ぞ: "zo",
  だ: "da", ぢ: "ji", づ: "zu", で: "de", ど: "do", ば: "ba", び: "bi", ぶ: "bu", べ: "be", ぼ: "bo",
  ぱ: "pa", ぴ: "pi", ぷ: "pu", ぺ: "pe", ぽ: "po", ぁ: "a", ぃ: "i", ぅ: "u", ぇ: "e", ぉ: "o",
  ゃ: "ya", ゅ: "yu", ょ: "yo", ゔ: "vu", ー: "",
}; // prettier-ignore

const SMALL_VOWELS: Record<string, string> = { ぁ: "a", ぃ: "i", ぅ: "u", ぇ: "e", ぉ: "o" };

/** Katakana to hiragana (same sound, code point minus 0x60). */
function toHiragana(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return code >= 0x30a1 && code <= 0x30f6 ? String.fromCodePoint(code - 0x60) : c;
}

/** Rough romanisation of kana (Hepburn-like); kanji are left as they are. */
function romaniseKana(text: string): string {
  const chars = Array.from(text, toHiragana);
  let out = "";
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? "";
    const next = chars[i + 1] ?? "";
    if (c === "っ") {
      // Small tsu doubles the next consonant.
      const r = KANA[next] ?? "";
      out += r.slice(0, 1);
      continue;
    }
    const r = KANA[c];
    if (r === undefined) {
      out += c;
      continue;
    }
    // きゃ -> kya, しゃ -> sha, ちゃ -> cha, じゃ -> ja
    if ((next === "ゃ" || next === "ゅ" || next === "ょ") && r.endsWith("i") && r.length > 1) {
      const y = KANA[next] ?? "";
      const stem = r.slice(0, -1);
      out += /(?:sh|ch|j)$/u.test(stem) ? stem + y.slice(1) : stem + y;
      i++;
      continue;
    }
    // Small vowels: ティ -> ti, ファ -> fa, ウィ -> wi; the same vowel lengthens it (せぇ -> see).
    const small = SMALL_VOWELS[next];
    if (small !== undefined) {
      if (r.endsWith(small)) out += r + small;
      else out += r === "u" ? `w${small}` : r.slice(0, -1) + small;
      i++;
      continue;
    }
    out += r;
  }
  return out;
}

/**
 * Latin-script reading of normalised text: Cyrillic and kana transliterated, Latin untouched.
 * Romanisations differ ("Ussewa", "Usseewa"), which is why callers compare it fuzzily.
 */
export function romanise(normalized: string): string {
  const cyr = Array.from(normalized, (c) => CYRILLIC[c] ?? c).join("");
  return romaniseKana(cyr).replace(/\s+/gu, " ").trim();
}

/** True when the text has letters outside the Latin script (worth a romanised comparison). */
export function hasNonLatin(text: string): boolean {
  return /[\p{Script=Cyrillic}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}\p{Script=Hangul}\p{Script=Greek}]/u.test(
    text,
  );
}

// ---------------------------------------------------------------------------------------------
// Fuzzy ratios (the same definitions as rapidfuzz / fuzzywuzzy, which spotDL uses).

/** Longest common subsequence length over code points. */
function lcsLength(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Array<number>(b.length + 1).fill(0);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? (prev[j - 1] ?? 0) + 1 : Math.max(prev[j] ?? 0, cur[j - 1] ?? 0);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length] ?? 0;
}

/**
 * Similarity 0-100 from the insertion/deletion distance: `200·LCS / (|a| + |b|)`. Two empty strings are
 * equal (100). Inputs are compared as given: normalise first.
 */
export function ratio(a: string, b: string): number {
  const ca = Array.from(a);
  const cb = Array.from(b);
  if (ca.length + cb.length === 0) return 100;
  return (200 * lcsLength(ca, cb)) / (ca.length + cb.length);
}

/** {@link ratio} after sorting the words of both sides (word order does not matter). */
export function tokenSortRatio(a: string, b: string): number {
  const sort = (s: string) => s.split(" ").filter(Boolean).sort().join(" ");
  return ratio(sort(a), sort(b));
}

/**
 * Best of {@link ratio} and {@link tokenSortRatio}, also on the romanised forms when either side is not
 * in Latin script.
 */
export function similarity(a: string, b: string): number {
  let best = Math.max(ratio(a, b), tokenSortRatio(a, b));
  if (hasNonLatin(a) || hasNonLatin(b)) {
    const ra = romanise(a).replace(/ /gu, "");
    const rb = romanise(b).replace(/ /gu, "");
    best = Math.max(best, ratio(ra, rb));
  }
  return best;
}

/**
 * True when the words of `needle` appear in `haystack` as a contiguous run (both normalised).
 * For scripts written without spaces (Japanese, Chinese) a plain substring test is used.
 */
export function containsPhrase(haystack: string, needle: string): boolean {
  if (needle === "") return false;
  if (/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(needle))
    return haystack.includes(needle);
  return ` ${haystack} `.includes(` ${needle} `);
}

/** Remove the first contiguous occurrence of `needle`'s words from `haystack` (both normalised). */
export function removePhrase(haystack: string, needle: string): string {
  if (!containsPhrase(haystack, needle)) return haystack;
  if (/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(needle)) {
    return haystack.replace(needle, " ").replace(/\s+/gu, " ").trim();
  }
  return ` ${haystack} `.replace(` ${needle} `, " ").replace(/\s+/gu, " ").trim();
}
