/**
 * ffmpeg cannot be made to write hours of audio or an unbounded file: the source's length is checked
 * before converting, the output is cut at the song's length plus a margin (`-t`) and at the size budget
 * (`-fs`). Real ffmpeg and ffprobe on two hours of silence in a FLAC of about a megabyte.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  checkSourceLength,
  LENGTH_MARGIN_SEC,
  MediaError,
  probe,
  transcode,
  transcodeArgs,
  type TranscodeOptions,
} from "../../../src/core/media/ffmpeg.js";
import { silenceRecipe } from "../../../src/emulators/audio-source/dishonest-media.js";
import { audioCacheDir, tempDir } from "./fixtures.js";

const MIB = 1024 * 1024;
const TWO_HOURS = 7200;

/** Two hours of silence as FLAC, made once per machine like the stand-in's audio. */
function twoHoursOfSilence(): string {
  const { name, args } = silenceRecipe(TWO_HOURS);
  const file = path.join(audioCacheDir, name);
  if (!existsSync(file)) {
    mkdirSync(audioCacheDir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    execFileSync("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", ...args, temp]);
    renameSync(temp, file);
  }
  return file;
}

describe("ffmpeg's bounds", () => {
  it("the arguments carry -t (the track's length plus the margin) and -fs (the size budget) before the output", () => {
    const options: TranscodeOptions = {
      input: "/in/source.m4a",
      output: "/out/song.mp3",
      format: "mp3",
      tags: { title: "Song" },
      durationSec: 180.4,
      maxOutputBytes: 8 * MIB,
    };
    const args = transcodeArgs(options, "/out/.song.part");
    const at = (flag: string) => args.indexOf(flag);
    expect(args[at("-t") + 1]).toBe(String(Math.ceil(180.4 + LENGTH_MARGIN_SEC)));
    expect(args[at("-fs") + 1]).toBe(String(8 * MIB));
    // Output options: after the last input, before the output file.
    expect(at("-t")).toBeGreaterThan(args.lastIndexOf("-i"));
    expect(at("-fs")).toBeGreaterThan(args.lastIndexOf("-i"));
    expect(args.at(-1)).toBe("/out/.song.part");
    // No budget given: no -fs, but the length bound stays.
    const { maxOutputBytes: _, ...unbounded } = options;
    expect(transcodeArgs(unbounded, "/out/x").includes("-fs")).toBe(false);
    expect(transcodeArgs(unbounded, "/out/x").includes("-t")).toBe(true);
  });

  describe("on two hours of silence (real ffmpeg)", () => {
    let silence: string;
    beforeAll(() => {
      silence = twoHoursOfSilence();
    });

    it("a 2-hour silent FLAC for a 3-minute song is refused before converting, with the reason", async () => {
      expect(statSync(silence).size).toBeLessThan(2 * MIB);
      const err = await checkSourceLength(silence, 180).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MediaError);
      expect((err as MediaError).code).toBe("source_too_long");
      expect((err as MediaError).userMessage).toBe(
        "The matched recording runs 2:00:00 for a 3:00 song, so it was not converted.",
      );
      // A source as long as the song (give or take the margin) passes.
      expect((await checkSourceLength(silence, TWO_HOURS - LENGTH_MARGIN_SEC / 2)).durationSec).toBe(
        TWO_HOURS,
      );
    });

    it("converted anyway, it stops at the song's length plus the margin", async () => {
      const { dir, cleanup } = tempDir("bounds-t");
      try {
        const output = path.join(dir, "song.mp3");
        const result = await transcode({ input: silence, output, format: "mp3", tags: {}, durationSec: 10 });
        // (mp3 frames: a fraction of a second over)
        expect(result.durationSec).toBeLessThanOrEqual(10 + LENGTH_MARGIN_SEC + 0.5);
        expect((await probe(output)).durationSec).toBeLessThanOrEqual(10 + LENGTH_MARGIN_SEC + 0.5);
        expect(result.bytes).toBeLessThan(2 * MIB); // two hours would be 165 MB
      } finally {
        cleanup();
      }
    });

    it("an output that reaches the size budget is not kept, and the person reads why", async () => {
      const { dir, cleanup } = tempDir("bounds-fs");
      try {
        const output = path.join(dir, "song.mp3");
        const err = await transcode({
          input: silence,
          output,
          format: "mp3",
          tags: {},
          durationSec: 30,
          maxOutputBytes: 64 * 1024, // 30 s at 192 kb/s is about 700 KB
        }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MediaError);
        expect((err as MediaError).code).toBe("transcode_failed");
        expect((err as MediaError).userMessage).toMatch(/larger than the size limit/);
        expect(readdirSync(dir)).toEqual([]); // neither the file nor its .part
      } finally {
        cleanup();
      }
    });
  });
});
