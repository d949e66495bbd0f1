import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  atomicMove,
  atomicWriteFile,
  collectionDir,
  PathTemplateError,
  renderM3u8,
  resolveInside,
  trackPath,
  validateTemplate,
  writeCover,
  writeM3u8,
} from "../../../src/core/media/library.js";
import { safeName as safeSegment } from "../../../src/core/media/names.js";
import { makeTrack, tempDir } from "./fixtures.js";

const template = "{albumArtist}/{album}/{disc}{track} - {title}";

describe("library names", () => {
  it("fills the template, pads the track and shows the disc only on multi-disc albums", () => {
    const track = makeTrack({ trackNumber: 3, discNumber: 2 });
    expect(trackPath(template, track, { discCount: 1, format: "mp3" })).toBe(
      "Rick Astley/Whenever You Need Somebody/03 - Never Gonna Give You Up.mp3",
    );
    expect(trackPath(template, track, { discCount: 2, format: "flac" })).toBe(
      "Rick Astley/Whenever You Need Somebody/2-03 - Never Gonna Give You Up.flac",
    );
    expect(
      trackPath("{year}/{artist} - {title} [{id}]", makeTrack({ artists: ["A", "B"] }), {
        discCount: 1,
        format: "opus",
      }),
    ).toBe("1987/A, B - Never Gonna Give You Up [4uLU6hMCjMI75M1A2tKUQC].opus");
  });

  it("the explicit and the clean version of a song land in different files, the mark never cut", () => {
    const clean = trackPath(template, makeTrack({ id: "clean", explicit: false }), {
      discCount: 1,
      format: "m4a",
    });
    const explicit = trackPath(template, makeTrack({ id: "dirty", explicit: true }), {
      discCount: 1,
      format: "m4a",
    });
    expect(clean).toBe("Rick Astley/Whenever You Need Somebody/01 - Never Gonna Give You Up.m4a");
    expect(explicit).toBe(
      "Rick Astley/Whenever You Need Somebody/01 - Never Gonna Give You Up [explicit].m4a",
    );
    const long = trackPath("{title}", makeTrack({ title: "y".repeat(500), explicit: true }), {
      discCount: 1,
      format: "opus",
    });
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(120);
    expect(long.endsWith("y [explicit].opus")).toBe(true);
  });

  it("never lets a field climb out of the library or add folders", () => {
    const evil = makeTrack({ albumArtist: "../../..", album: "a/../../b", title: "..\\..\\win" });
    const rel = trackPath(template, evil, { discCount: 1, format: "mp3" });
    expect(rel.split("/")).toHaveLength(3);
    for (const segment of rel.split("/")) expect([".", ".."]).not.toContain(segment);
    expect(rel).not.toContain("\\");
    const { dir, cleanup } = tempDir("lib");
    try {
      expect(resolveInside(dir, rel).startsWith(dir + path.sep)).toBe(true);
      expect(() => resolveInside(dir, "../escape.mp3")).toThrow(PathTemplateError);
    } finally {
      cleanup();
    }
  });

  it("cleans control characters, reserved names and trailing dots", () => {
    expect(safeSegment("a\u0000b\nc\u001fd")).toBe("a b c d");
    expect(safeSegment("CON")).toBe("CON_");
    expect(safeSegment("nul.txt")).toBe("nul_.txt");
    expect(safeSegment("lpt9")).toBe("lpt9_");
    expect(safeSegment("COM10")).toBe("COM10");
    expect(safeSegment("Console")).toBe("Console");
    expect(safeSegment("The End...  ")).toBe("The End");
    expect(safeSegment("..")).toBe("__");
    expect(safeSegment(".hidden")).toBe("_hidden");
    expect(safeSegment("")).toBe("_");
    expect(safeSegment('What? <Yes>: "No" | *')).toBe("What_ _Yes_ - _No_ _ _");
    expect(trackPath("{title}", makeTrack({ title: "AUX" }), { discCount: 1, format: "mp3" })).toBe(
      "AUX_.mp3",
    );
  });

  it("keeps Unicode and cuts long names on a code point boundary", () => {
    expect(safeSegment("Кино — Группа крови")).toBe("Кино — Группа крови");
    expect(safeSegment("米津玄師 / Lemon")).toBe("米津玄師 - Lemon");
    const long = "東".repeat(100); // 300 bytes
    const cut = safeSegment(long, { maxBytes: 120 });
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(120);
    expect(cut).toBe("東".repeat(40));
    const emoji = safeSegment("a" + "🎵".repeat(50), { maxBytes: 10 });
    expect(emoji).toBe("a🎵🎵"); // 1 + 4 + 4 bytes, no half emoji
    const file = trackPath("{title}", makeTrack({ title: "x".repeat(500) }), {
      discCount: 1,
      format: "flac",
    });
    expect(Buffer.byteLength(file)).toBeLessThanOrEqual(120);
    expect(file.endsWith(".flac")).toBe(true);
  });

  it("rejects templates that escape or name unknown fields", () => {
    expect(() => validateTemplate("../{title}")).toThrow(PathTemplateError);
    expect(() => validateTemplate("/abs/{title}")).toThrow(PathTemplateError);
    expect(() => validateTemplate("{album}//{title}")).toThrow(PathTemplateError);
    expect(() => validateTemplate("{albun}/{title}")).toThrow(/unknown field \{albun\}/);
    expect(() => validateTemplate(template)).not.toThrow();
  });

  it("places collections under the library", () => {
    expect(collectionDir("/lib", { kind: "album", id: "x", title: "Album/1", subtitle: "Artist" })).toBe(
      "/lib/Artist/Album-1",
    );
    // One harmless segment, tagged with the playlist's id.
    expect(collectionDir("/lib", { kind: "playlist", id: "p1", title: "../../etc" })).toMatch(
      /^\/lib\/Playlists\/______etc \[[0-9a-f]{8}\]$/,
    );
  });
});

describe("playlist and cover", () => {
  it("writes #EXTM3U with durations and relative paths in playlist order", async () => {
    const { dir, cleanup } = tempDir("m3u");
    try {
      const pl = path.join(dir, "Playlists", "Mix");
      const file = await writeM3u8(path.join(pl, "playlist.m3u8"), [
        {
          path: path.join(dir, "B Artist", "Album", "02 - Second.mp3"),
          durationSec: 200.4,
          artist: "B Artist",
          title: "Second",
        },
        {
          path: path.join(pl, "Кино - Звезда.mp3"),
          durationSec: 61.6,
          artist: "Кино",
          title: "Звезда\n#EXTINF:evil",
        },
      ]);
      expect(file).toBe(path.join(pl, "playlist.m3u8"));
      expect(readFileSync(file, "utf8")).toBe(
        [
          "#EXTM3U",
          "#EXTINF:200,B Artist - Second",
          "../../B Artist/Album/02 - Second.mp3",
          "#EXTINF:62,Кино - Звезда #EXTINF:evil",
          "Кино - Звезда.mp3",
          "",
        ].join("\n"),
      );
      expect(renderM3u8(dir, [])).toBe("#EXTM3U\n");
      const jpeg = path.join(dir, "src.jpg");
      writeFileSync(jpeg, "jpeg-bytes");
      expect(readFileSync(await writeCover(path.join(pl, "cover.jpg"), jpeg), "utf8")).toBe("jpeg-bytes");
      expect(readdirSync(pl).sort()).toEqual(["cover.jpg", "playlist.m3u8"]);
    } finally {
      cleanup();
    }
  });
});

describe("atomic writes", () => {
  it("a failure mid-write leaves nothing under the real name (and no temp file)", async () => {
    const { dir, cleanup } = tempDir("atomic");
    try {
      const dest = path.join(dir, "out.bin");
      async function* failing() {
        yield Buffer.alloc(1024, 1);
        await Promise.resolve();
        throw new Error("disk on fire");
      }
      await expect(atomicWriteFile(dest, failing())).rejects.toThrow("disk on fire");
      expect(readdirSync(dir)).toEqual([]);
      await atomicWriteFile(dest, "old");
      await expect(atomicWriteFile(dest, failing())).rejects.toThrow();
      expect(readFileSync(dest, "utf8")).toBe("old"); // the previous version survives
    } finally {
      cleanup();
    }
  });

  it("a process killed mid-write leaves no file under the real name", async () => {
    const { dir, cleanup } = tempDir("atomic-kill");
    try {
      const dest = path.join(dir, "song.mp3");
      const lib = path.resolve("src/core/media/library.ts");
      // The child writes chunks forever and says when it has started; we SIGKILL it mid-write.
      const script = `
        const { atomicWriteFile } = await import(${JSON.stringify(lib)});
        async function* forever() { for (;;) { yield Buffer.alloc(65536, 7); process.stdout.write("w"); await new Promise(r => setTimeout(r, 5)); } }
        await atomicWriteFile(${JSON.stringify(dest)}, forever());`;
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      await new Promise<void>((resolve) => {
        let seen = 0;
        child.stdout.on("data", (d: Buffer) => {
          seen += d.length;
          if (seen >= 5) resolve();
        });
      });
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
      expect(existsSync(dest)).toBe(false);
      const left = readdirSync(dir);
      expect(left.every((f) => f.startsWith(".song.mp3.") && f.endsWith(".tmp"))).toBe(true);
    } finally {
      cleanup();
    }
  });

  it("moves files into place", async () => {
    const { dir, cleanup } = tempDir("move");
    try {
      const src = path.join(dir, "a.tmp");
      writeFileSync(src, "data");
      await atomicMove(src, path.join(dir, "deep", "b.mp3"));
      expect(readFileSync(path.join(dir, "deep", "b.mp3"), "utf8")).toBe("data");
      expect(existsSync(src)).toBe(false);
    } finally {
      cleanup();
    }
  });
});
