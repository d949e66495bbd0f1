/** Tag values from anywhere reach ffmpeg as arguments it can take (real ffmpeg and ffprobe). */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metadataArgs, probe, tagValue, transcode } from "../../../src/core/media/ffmpeg.js";
import { tempDir } from "./fixtures.js";

describe("tag values", () => {
  let work: ReturnType<typeof tempDir>;
  let input: string;
  beforeAll(() => {
    work = tempDir("tags");
    input = path.join(work.dir, "source.wav");
    execFileSync("ffmpeg", [
      "-hide_banner",
      "-loglevel",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "sine=d=1",
      input,
    ]);
  });
  afterAll(() => work.cleanup());

  it("a NUL in a track title still gives a tagged file", async () => {
    const output = path.join(work.dir, "out.mp3");
    const result = await transcode({
      input,
      output,
      format: "mp3",
      durationSec: 1,
      tags: { title: "Before\u0000After", artist: "Half \ud83c moon\u0007", album: "Line\r\nbreak" },
    });
    const info = await probe(result.path);
    expect(info.tags.title).toBe("BeforeAfter");
    expect(info.tags.artist).toBe("Half \ufffd moon");
    expect(info.tags.album).toBe("Line break");
  });

  it("cleans every tag the same way and leaves out what is left empty", () => {
    expect(tagValue("a\u0000b\u001fc\u009fd")).toBe("abcd");
    expect(tagValue("x\ud800")).toBe("x\ufffd");
    expect(tagValue("\u0000")).toBe("");
    expect(metadataArgs("flac", { title: "\u0000", album: "A\u0000", isrc: "X\u0000Y" })).toEqual([
      "-metadata",
      "album=A",
      "-metadata",
      "ISRC=XY",
    ]);
  });
});
