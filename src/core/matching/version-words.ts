/**
 * Words that mark a different recording of the same song. spotDL only penalises them when the upload has them
 * and Spotify does not; we also require them when Spotify has them ("Song - Live" must not get the studio cut).
 */
import { normalizeText } from "./normalize.js";

/** A kind of alternative recording. */
export type VersionKind =
  | "live"
  | "remix"
  | "cover"
  | "acoustic"
  | "instrumental"
  | "karaoke"
  | "slowed"
  | "sped up"
  | "nightcore"
  | "8D"
  | "reverb"
  | "extended"
  | "bass boosted"
  | "lofi"
  | "demo"
  | "medley"
  | "tribute"
  | "re-recorded";

/** Word sequences (normalised, matched as whole words) or, for kana/kanji, substrings. */
const VERSION_PATTERNS: ReadonlyArray<readonly [VersionKind, readonly string[]]> = [
  ["live", ["live", "live at", "live from", "in concert", "концерт", "ライブ", "ライヴ", "живое выступление", "en vivo", "ao vivo", "na zywo", "en directo", "dal vivo", "en concierto", "לייב", "הופעה חיה", "라이브", "现场", "現場", "ao vivo"]],
  ["remix", ["remix", "rmx", "remixed", "bootleg", "ремикс", "リミックス", "רמיקס", "리믹스", "混音"]],
  ["cover", ["cover", "covered by", "кавер", "歌ってみた", "弾いてみた", "カバー", "קאבר", "커버", "翻唱", "翻唱版"]],
  ["acoustic", ["acoustic", "unplugged", "akustycznie", "akustisch", "acustico", "акустика", "акустическая", "アコースティック", "אקוסטי", "어쿠스틱", "不插电"]],
  ["instrumental", ["instrumental", "inst", "off vocal", "минус", "инструментал", "オフボーカル", "インスト", "伴奏", "인스트루멘탈", "גרסה אינסטרומנטלית"]],
  ["karaoke", ["karaoke", "караоке", "カラオケ", "sing along", "노래방", "卡拉ok", "קריוקי"]],
  ["slowed", ["slowed", "slow version"]],
  ["sped up", ["sped up", "speed up", "spedup"]],
  ["nightcore", ["nightcore", "daycore"]],
  ["8D", ["8d", "8d audio", "16d"]],
  ["reverb", ["reverb"]],
  ["extended", ["extended", "extended mix", "extended version"]],
  ["bass boosted", ["bass boosted", "bassboosted"]],
  ["lofi", ["lofi", "lo fi"]],
  ["demo", ["demo"]],
  ["medley", ["medley", "mashup", "mash up"]],
  // A new recording by the same artist under the same title ("Love Story (Taylor's Version)").
  ["re-recorded", ["re recorded", "rerecorded", "re record", "taylors version", "new recording", "new version"]],
  // Another act's rendition that names the original: tributes, chiptune "emulations", lullaby and music-box
  // albums, "in the style of" karaoke tracks.
  ["tribute", ["tribute", "tribute to", "in the style of", "made famous by", "originally performed by", "as performed by", "8 bit", "16 bit", "chiptune", "emulation", "lullaby", "lullabies", "music box", "rendition", "piano version", "orchestral version", "string quartet version"]],
]; // prettier-ignore

const SPACELESS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

/**
 * Version kinds found in already-normalised text. Whole words only, so "Olive" is not "live" and
 * "Demolition" is not "demo".
 */
export function findVersions(normalized: string): Set<VersionKind> {
  const found = new Set<VersionKind>();
  const padded = ` ${normalized} `;
  for (const [kind, patterns] of VERSION_PATTERNS) {
    for (const p of patterns) {
      const hit = SPACELESS.test(p) ? normalized.includes(p) : padded.includes(` ${p} `);
      if (hit) {
        found.add(kind);
        break;
      }
    }
  }
  return found;
}

/** {@link findVersions} on raw text. */
export function findVersionsIn(text: string): Set<VersionKind> {
  return findVersions(normalizeText(text));
}

/** Normalised text with every version word removed (for comparing the song's name alone). */
export function stripVersionWords(normalized: string): string {
  let out = ` ${normalized} `;
  for (const [, patterns] of VERSION_PATTERNS) {
    for (const p of patterns) {
      out = SPACELESS.test(p) ? out.split(p).join(" ") : out.split(` ${p} `).join(" ");
    }
  }
  return out.replace(/\s+/gu, " ").trim();
}
