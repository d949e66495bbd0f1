import { describe, expect, it } from "vitest";
import {
  containsPhrase,
  extractFeatured,
  normalizeText,
  ratio,
  romanise,
  similarity,
  splitSegments,
  splitTitle,
  tokenSortRatio,
} from "../../../src/core/matching/normalize.js";
import { findVersionsIn } from "../../../src/core/matching/version-words.js";

describe("normalizeText", () => {
  it("folds case, width and Latin accents", () => {
    expect(normalizeText("Beyoncé")).toBe("beyonce");
    expect(normalizeText("ＰＬＡＳＴＩＣ ＬＯＶＥ")).toBe("plastic love");
    expect(normalizeText("Hoppípolla – Sigur Rós")).toBe("hoppipolla sigur ros");
    expect(normalizeText("Straße")).toBe("strasse");
  });

  it("keeps Cyrillic and Japanese letters intact", () => {
    expect(normalizeText("Мой Й")).toBe("мой й");
    expect(normalizeText("夜に駆ける")).toBe("夜に駆ける");
    expect(normalizeText("ガーベラ")).toBe("ガーベラ");
  });

  it("reads & as and, drops apostrophes and punctuation", () => {
    expect(normalizeText("Don’t Stop Me Now!")).toBe("dont stop me now");
    expect(normalizeText("Simon & Garfunkel")).toBe("simon and garfunkel");
    expect(normalizeText("  HUMBLE.  ")).toBe("humble");
  });
});

describe("splitTitle and feat. extraction", () => {
  it("takes featured artists from brackets, bare feat. and (with ...)", () => {
    expect(splitTitle("Titanium (feat. Sia)")).toEqual({
      main: "Titanium",
      qualifiers: [],
      featured: ["Sia"],
    });
    expect(splitTitle("Lovely (with Khalid)").featured).toEqual(["Khalid"]);
    expect(extractFeatured("Calvin Harris feat. Rihanna").featured).toEqual(["Rihanna"]);
    expect(extractFeatured("Rockabye ft. Sean Paul & Anne-Marie").featured).toEqual([
      "Sean Paul",
      "Anne-Marie",
    ]);
  });

  it("separates Spotify qualifiers after a dash or in brackets", () => {
    expect(splitTitle("Bohemian Rhapsody - Remastered 2011")).toEqual({
      main: "Bohemian Rhapsody",
      qualifiers: ["Remastered 2011"],
      featured: [],
    });
    expect(splitTitle("Old Town Road (feat. Billy Ray Cyrus) - Remix")).toEqual({
      main: "Old Town Road",
      qualifiers: ["Remix"],
      featured: ["Billy Ray Cyrus"],
    });
    expect(splitTitle("Hotel California (Live On MTV, 1994)").qualifiers).toEqual(["Live On MTV, 1994"]);
  });

  it("splits upload titles into artist and title segments", () => {
    expect(splitSegments("The Weeknd - Blinding Lights")).toEqual(["The Weeknd", "Blinding Lights"]);
    expect(splitSegments("YOASOBI「夜に駆ける」 Official Music Video")).toEqual([
      "YOASOBI",
      "夜に駆ける",
      "Official Music Video",
    ]);
    expect(splitSegments("Jay-Z - Numb / Encore")).toEqual(["Jay-Z", "Numb", "Encore"]);
  });
});

describe("fuzzy ratios", () => {
  it("matches the rapidfuzz definition 200·LCS/(|a|+|b|)", () => {
    expect(ratio("abc", "abc")).toBe(100);
    expect(ratio("", "")).toBe(100);
    expect(ratio("abc", "")).toBe(0);
    expect(ratio("kitten", "sitting")).toBeCloseTo((200 * 4) / 13, 5);
  });

  it("ignores word order in tokenSortRatio", () => {
    expect(tokenSortRatio("lee swae malone post", "post malone swae lee")).toBe(100);
  });

  it("compares romanised forms of Cyrillic and kana", () => {
    expect(romanise(normalizeText("Группа крови"))).toBe("gruppa krovi");
    expect(romanise(normalizeText("うっせぇわ"))).toBe("usseewa");
    expect(romanise(normalizeText("キャンディ"))).toBe("kyandi");
    expect(similarity("gruppa krovi", normalizeText("Группа крови"))).toBe(100);
    expect(similarity("kino", "кино")).toBe(100);
  });

  it("finds phrases as whole words, and Japanese as substrings", () => {
    expect(containsPhrase("oasis live forever", "live forever")).toBe(true);
    expect(containsPhrase("olive forever", "live forever")).toBe(false);
    expect(containsPhrase("yoasobi夜に駆ける", "夜に駆ける")).toBe(true);
  });
});

describe("version words", () => {
  it("finds versions as whole words in several scripts", () => {
    expect([...findVersionsIn("Heat Waves (slowed + reverb)")]).toEqual(["slowed", "reverb"]);
    expect([...findVersionsIn("Shape of You (8D Audio)")]).toEqual(["8D"]);
    expect([...findVersionsIn("夜に駆ける 歌ってみた")]).toEqual(["cover"]);
    expect([...findVersionsIn("Кино - Группа крови (кавер)")]).toEqual(["cover"]);
    expect([...findVersionsIn("heat waves sped up")]).toEqual(["sped up"]);
    expect(findVersionsIn("Olive Demolition").size).toBe(0);
  });
});
