import { describe, expect, it } from "vitest";
import { cdTextPacks, CDTEXT_MAX_PACKS, toLatin1, writeToc } from "../../../src/core/burn/toc-writer.js";

/** Decode the CD-TEXT strings of one kind back from the TOC text, as cdrdao's lexer would. */
function cdText(toc: string, field: "TITLE" | "PERFORMER"): string[] {
  const re = new RegExp(`^\\s*${field} "((?:\\\\"|\\\\[0-7]{3}|[^"\\\\])*)"$`, "gm");
  return [...toc.matchAll(re)].map((m) =>
    m[1]!
      .replace(/\\"/g, '"')
      .replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))),
  );
}

describe("toLatin1", () => {
  it("keeps Latin-1 text and strips accents Latin-1 does not have", () => {
    expect(toLatin1("Café Señor Björk")).toBe("Café Señor Björk");
    expect(toLatin1("Łódź Dvořák Őrült")).toBe("Lódz Dvorák Orült");
  });

  it("transliterates Cyrillic readably, keeping capitals", () => {
    expect(toLatin1("Кино — Группа крови")).toBe("Kino - Gruppa krovi");
    expect(toLatin1("Ёлка и Щука")).toBe("Yolka i Shchuka");
    expect(toLatin1("ЖУК")).toBe("ZHUK");
    expect(toLatin1("Жук")).toBe("Zhuk");
    expect(toLatin1("Океан Ельзи — Обійми")).toBe("Okean Elzi - Obiymi");
  });

  it("turns Japanese kana into romaji and unknown characters into ?", () => {
    expect(toLatin1("さくら")).toBe("sakura");
    expect(toLatin1("がっこう")).toBe("gakkou");
    expect(toLatin1("トウキョウ")).toBe("toukyou");
    expect(toLatin1("しゃしん ちょっと")).toBe("shashin chotto");
    expect(toLatin1("ラーメン")).toBe("raamen");
    expect(toLatin1("東京 ラブストーリー")).toBe("?? rabusutoorii");
    expect(toLatin1("Ｈｅｌｌｏ　ワールド🎵")).toBe("Hello waarudo?");
  });

  it("replaces typographic punctuation and control characters", () => {
    expect(toLatin1("Don’t “Stop”… now")).toBe(`Don't "Stop"... now`);
    expect(toLatin1("tab\there\nnew  line")).toBe("tab here new line");
  });
});

describe("writeToc", () => {
  const tracks = [
    { path: "/discs/1/01.wav", title: 'Say "Hi" \\ Bye\\', performer: "Beyoncé", isrc: "US-RC1-76-07839" },
    { path: "/discs/1/02.wav", title: "Группа крови", performer: "Кино", isrc: "gbaym0000001" },
    { path: "/discs/1/03.wav", title: "さくら", performer: "", isrc: "not-an-isrc" },
  ];

  it("writes CD_DA, the catalog, ISRCs and CD-TEXT for the disc and every track, without PREGAP", () => {
    const toc = writeToc({ tracks }, { title: "Mix 2026", performer: "Various", catalog: "123456789012" });
    expect(toc.startsWith("CD_DA\n")).toBe(true);
    expect(toc).toContain('CATALOG "0123456789012"');
    expect(toc.match(/^ISRC .*$/gm)).toEqual(['ISRC "USRC17607839"', 'ISRC "GBAYM0000001"']);
    expect(toc.match(/^TRACK AUDIO$/gm)).toHaveLength(3);
    expect(toc).not.toMatch(/PREGAP/);
    expect(cdText(toc, "TITLE")).toEqual(["Mix 2026", 'Say "Hi" \\ Bye\\', "Gruppa krovi", "sakura"]);
    // A track without performer gets the disc's, so every track has the field.
    expect(cdText(toc, "PERFORMER")).toEqual(["Various", "Beyoncé", "Kino", "Various"]);
    expect(toc).toContain('FILE "/discs/1/01.wav" 0');
  });

  it("escapes quotes, backslashes and Latin-1 bytes so the file is plain ASCII", () => {
    const toc = writeToc({ tracks }, { title: "x", performer: "y" });
    expect(toc).toContain(String.raw`TITLE "Say \"Hi\" \134 Bye\134"`);
    expect(toc).toContain(String.raw`PERFORMER "Beyonc\351"`);
    expect(/^[\x20-\x7e\n]*$/.test(toc)).toBe(true);
    expect(toc).not.toContain("CATALOG");
  });

  it("escapes a file name byte by byte from UTF-8", () => {
    const toc = writeToc(
      { tracks: [{ path: '/tmp/Für "x"/01.wav', title: "t", performer: "p" }] },
      { title: "a", performer: "b" },
    );
    expect(toc).toContain(String.raw`FILE "/tmp/F\303\274r \"x\"/01.wav" 0`);
  });

  it("shortens CD-TEXT to fit one block when 99 tracks have long names", () => {
    const long = Array.from({ length: 99 }, (_, i) => ({
      path: `/d/${i}.wav`,
      title: `A rather long track title number ${i} with extra words to overflow the CD-TEXT budget`,
      performer: `An equally long list of performers featuring somebody else ${i}`,
    }));
    const toc = writeToc({ tracks: long }, { title: "Big", performer: "Many" });
    const titles = cdText(toc, "TITLE");
    const performers = cdText(toc, "PERFORMER");
    expect(titles).toHaveLength(100);
    expect(performers).toHaveLength(100);
    expect(cdTextPacks(titles, performers)).toBeLessThanOrEqual(CDTEXT_MAX_PACKS);
    expect(titles.every((t) => t.length > 0)).toBe(true);
    expect(titles[1]!.startsWith("A rather")).toBe(true);
  });

  it("refuses files that are not .wav (cdrdao would burn them as noise)", () => {
    expect(() =>
      writeToc({ tracks: [{ path: "/a.mp3", title: "t", performer: "p" }] }, { title: "a", performer: "b" }),
    ).toThrow(/not a \.wav/);
  });
});
