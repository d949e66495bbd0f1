import { describe, expect, it } from "vitest";
import { NAME_PATH_BYTES, NAME_SEGMENT_BYTES, safeName, safePath } from "../../../src/core/media/names.js";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");

describe("the one name maker", () => {
  it("keeps every name within the byte cap of a segment and cuts the stem, never the extension", () => {
    const cjk = "夜".repeat(100); // 300 bytes
    const name = safeName(cjk, { ext: "m3u8" });
    expect(bytes(name)).toBeLessThanOrEqual(NAME_SEGMENT_BYTES);
    expect(name).toBe(`${"夜".repeat(38)}.m3u8`);
    expect(safeName("x".repeat(118), { ext: "m3u8" })).toBe(`${"x".repeat(115)}.m3u8`);
    expect(safeName("a" + "🎵".repeat(50), { maxBytes: 10 })).toBe("a🎵🎵"); // no half emoji
    const tagged = safeName("Chill ".repeat(40), { suffix: " [1a2b3c4d]" });
    expect(tagged.endsWith(" [1a2b3c4d]")).toBe(true);
    expect(bytes(tagged)).toBeLessThanOrEqual(NAME_SEGMENT_BYTES);
    expect(safeName(safeName(cjk))).toBe(safeName(cjk)); // making a name from a made name changes nothing
  });

  it("keeps a whole relative path within its byte cap, folders the same whatever the file", () => {
    const long = "Ü".repeat(200);
    const rel = safePath([long, long], { text: long, ext: "flac" });
    expect(bytes(rel)).toBeLessThanOrEqual(NAME_PATH_BYTES);
    for (const segment of rel.split("/")) expect(bytes(segment)).toBeLessThanOrEqual(NAME_SEGMENT_BYTES);
    expect(rel.endsWith(".flac")).toBe(true);
    expect(path2(safePath([long, long]))).toBe(path2(rel)); // the album folder of the track and of its playlist
    const under = safePath(["Playlists", { text: long, suffix: " [abcdef12]" }]);
    expect(under).toMatch(/^Playlists\/Ü+ \[abcdef12\]$/);
    const file = safePath([], { text: long, ext: "mp3" }, { under });
    expect(file.startsWith(`${under}/`)).toBe(true);
    expect(bytes(file)).toBeLessThanOrEqual(NAME_PATH_BYTES);
  });

  it("makes valid UTF-8 from lone surrogates and drops control and bidi characters", () => {
    const name = safeName("bad\ud800half\udc00");
    expect(name).toBe("bad\ufffdhalf\ufffd");
    expect(Buffer.from(name, "utf8").toString("utf8")).toBe(name);
    expect(safeName("a\u0000b\nc\u001fd\u009f")).toBe("a b c d");
    expect(safeName("evil\u202egpj.exe")).toBe("evilgpj.exe");
    expect(safeName("\u200fשלום\u2066x\u2069")).toBe("שלוםx");
  });

  it("never starts a name with a dash or a dot, nor makes `.` or `..`", () => {
    expect(safeName("-rf")).toBe("_rf");
    expect(safeName("--help", { ext: "mp3" })).toBe("__help.mp3");
    expect(safeName(".hidden")).toBe("_hidden");
    expect(safeName("..")).toBe("__");
    expect(safeName("../../etc")).toBe("______etc");
    expect(safeName("")).toBe("_");
    expect(safeName("The End...  ")).toBe("The End");
    expect(safeName('What? <Yes>: "No" | *')).toBe("What_ _Yes_ - _No_ _ _");
  });

  it("avoids Windows device names, with or without an extension", () => {
    expect(safeName("CON")).toBe("CON_");
    expect(safeName("nul", { ext: "mp3" })).toBe("nul_.mp3");
    expect(safeName("nul.txt")).toBe("nul_.txt");
    expect(safeName("lpt9")).toBe("lpt9_");
    expect(safeName("COM10")).toBe("COM10");
    expect(safeName("Console")).toBe("Console");
  });
});

/** The folders of a relative path. */
function path2(rel: string): string {
  return rel.split("/").slice(0, 2).join("/");
}
