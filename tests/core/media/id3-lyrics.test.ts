/**
 * An mp3's lyrics as players look for them: a real ID3 USLT frame (ffmpeg 5.1 alone writes a TXXX), read
 * here with a tiny ID3v2.3 frame reader of our own, and again after the album-gain pass rewrote the tags.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probe, transcode } from "../../../src/core/media/ffmpeg.js";
import { writeAlbumGain } from "../../../src/core/media/replaygain.js";
import { ffmpeg, tempDir } from "./fixtures.js";

/** Frame ids and bodies of an ID3v2.3 tag (no unsynchronisation, as ffmpeg writes it). */
function id3Frames(file: string): { id: string; body: Buffer }[] {
  const buf = readFileSync(file);
  expect(buf.toString("latin1", 0, 3)).toBe("ID3");
  expect(buf[3]).toBe(3);
  const size = (buf[6]! << 21) | (buf[7]! << 14) | (buf[8]! << 7) | buf[9]!;
  const frames: { id: string; body: Buffer }[] = [];
  for (let at = 10; at + 10 <= 10 + size && buf[at] !== 0;) {
    const length = buf.readUInt32BE(at + 4);
    frames.push({ id: buf.toString("latin1", at, at + 4), body: buf.subarray(at + 10, at + 10 + length) });
    at += 10 + length;
  }
  return frames;
}

/** A USLT body's text: encoding, language, description, then the lyrics. */
function usltText(body: Buffer): string {
  const encoding = body[0];
  const rest = body.subarray(4);
  if (encoding === 0) return rest.toString("latin1").slice(rest.indexOf(0) + 1);
  // UTF-16: BOM + description + 00 00, then BOM + text.
  let end = 0;
  while (!(rest[end] === 0 && rest[end + 1] === 0)) end += 2;
  return rest.subarray(end + 2 + 2).toString("utf16le");
}

describe("mp3 lyrics (real ffmpeg)", () => {
  let work: ReturnType<typeof tempDir>;
  let input: string;
  let cover: string;
  beforeAll(() => {
    work = tempDir("uslt");
    input = path.join(work.dir, "in.wav");
    ffmpeg(["-f", "lavfi", "-i", "anoisesrc=c=pink:d=3:a=0.2", "-ac", "2", input]);
    cover = path.join(work.dir, "cover.jpg");
    ffmpeg(["-f", "lavfi", "-i", "testsrc=s=64x64:d=1", "-frames:v", "1", cover]);
  });
  afterAll(() => work.cleanup());

  for (const lyrics of ["First line\nSecond line", "Ёлка горит\n東京の夜"]) {
    it(`a collected mp3 shows its lyrics to a player as a USLT frame (${lyrics.slice(0, 4)}…)`, async () => {
      const out = await transcode({
        input,
        output: path.join(work.dir, `song-${lyrics.length}.mp3`),
        format: "mp3",
        tags: { title: "Song", lyrics },
        coverPath: cover,
        durationSec: 3,
      });
      const check = () => {
        const frames = id3Frames(out.path);
        const uslt = frames.filter((f) => f.id === "USLT");
        expect(uslt).toHaveLength(1);
        expect(usltText(uslt[0]!.body)).toBe(lyrics);
        // No lyrics left in a TXXX frame; cover and ReplayGain frames kept.
        const txxx = frames.filter((f) => f.id === "TXXX").map((f) => f.body.toString("latin1"));
        expect(txxx.some((t) => /USLT|lyrics/i.test(t))).toBe(false);
        expect(frames.some((f) => f.id === "APIC")).toBe(true);
      };
      check();
      expect((await probe(out.path)).tags.lyrics).toBe(lyrics);
      await writeAlbumGain([{ path: out.path, durationSec: out.durationSec, loudness: out.loudness }], {
        ffmpegPath: "ffmpeg",
        ffprobePath: "ffprobe",
      });
      check();
      const probed = await probe(out.path);
      expect([probed.tags.lyrics, probed.tags.replaygain_album_gain !== undefined]).toEqual([lyrics, true]);
      // The audio still decodes cleanly after the tag was rewritten.
      execFileSync("ffmpeg", ["-v", "error", "-xerror", "-i", out.path, "-f", "null", "-"]);
    });
  }
});
