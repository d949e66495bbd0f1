/**
 * What a player reads from a collected file (real ffmpeg/ffprobe): ReplayGain track and album gain, the
 * cover in opus, and the new tags (genre, label, copyright, explicit, source URL) in all four formats.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probe, transcode, type AudioTags } from "../../../src/core/media/ffmpeg.js";
import type { LibraryFormat } from "../../../src/core/media/library.js";
import { writeAlbumGain } from "../../../src/core/media/replaygain.js";
import { ffmpeg, tempDir } from "./fixtures.js";

const formats: LibraryFormat[] = ["mp3", "m4a", "opus", "flac"];

const tags: AudioTags = {
  title: "Loud Song",
  artist: "Artist",
  album: "Album",
  genre: "Synthwave",
  label: "NCS",
  copyright: "2021 NCS",
  explicit: true,
  sourceUrl: "https://music.youtube.com/watch?v=dQw4w9WgXcQ",
};

/** Integrated loudness (LUFS) from ffmpeg's ebur128 filter: a check independent of loudnorm. */
function ebur128(file: string): number {
  const run = spawnSync(
    "ffmpeg",
    ["-hide_banner", "-nostdin", "-i", file, "-af", "ebur128", "-f", "null", "-"],
    {
      encoding: "utf8",
    },
  );
  const m = /Integrated loudness:\s+I:\s+(-?[\d.]+) LUFS/.exec(run.stderr);
  return Number(m?.[1]);
}

/** `-6.52 dB` → -6.52 */
function dB(value: string | undefined): number {
  expect(value).toMatch(/^-?\d+\.\d\d dB$/);
  return Number.parseFloat(value!);
}

/** The METADATA_BLOCK_PICTURE comment of an Ogg file, decoded as a player would (FLAC picture block). */
function oggPicture(file: string): {
  type: number;
  mime: string;
  width: number;
  height: number;
  data: Buffer;
} {
  // The comment lives in the OpusTags packet; ffprobe hides it (it turns it into a picture stream), so
  // it is read from the file: the base64 after the key, up to the first byte outside the alphabet. The
  // packet may span Ogg pages; covers in these tests are small enough to sit in one.
  const raw = readFileSync(file).toString("latin1");
  const at = raw.indexOf("METADATA_BLOCK_PICTURE=");
  expect(at).toBeGreaterThan(0);
  const b64 = /^[A-Za-z0-9+/=]+/.exec(raw.slice(at + "METADATA_BLOCK_PICTURE=".length))![0];
  const block = Buffer.from(b64, "base64");
  let o = 0;
  const u32 = () => {
    const v = block.readUInt32BE(o);
    o += 4;
    return v;
  };
  const type = u32();
  const mimeLength = u32();
  const mime = block.toString("ascii", o, o + mimeLength);
  o += mimeLength;
  const descriptionLength = u32();
  o += descriptionLength;
  const width = u32();
  const height = u32();
  u32(); // depth
  u32(); // colours
  const length = u32();
  return { type, mime, width, height, data: block.subarray(o, o + length) };
}

describe("what a player reads from a collected file (real ffmpeg)", () => {
  let work: ReturnType<typeof tempDir>;
  let loud: string;
  let quiet: string;
  let cover: string;

  beforeAll(() => {
    work = tempDir("replaygain");
    loud = path.join(work.dir, "loud.wav");
    quiet = path.join(work.dir, "quiet.wav");
    ffmpeg(["-f", "lavfi", "-i", "anoisesrc=c=pink:d=6:a=0.5:seed=1", "-ac", "2", loud]);
    ffmpeg(["-f", "lavfi", "-i", "anoisesrc=c=pink:d=3:a=0.05:seed=2", "-ac", "2", quiet]);
    cover = path.join(work.dir, "cover.jpg");
    ffmpeg(["-f", "lavfi", "-i", "testsrc=s=320x240:d=1", "-frames:v", "1", cover]);
  });
  afterAll(() => work.cleanup());

  for (const format of formats) {
    it(`a collected ${format} file tells a player its ReplayGain track gain, to the -18 LUFS reference`, async () => {
      const out = await transcode({
        input: loud,
        output: path.join(work.dir, `track.${format}`),
        format,
        tags,
        coverPath: cover,
        durationSec: 6,
      });
      const probed = await probe(out.path);
      const gain = dB(probed.tags.replaygain_track_gain);
      // The gain brings the file (measured independently here) to -18 LUFS, within measuring noise.
      expect(gain).toBeCloseTo(-18 - ebur128(out.path), 0);
      expect(gain).toBeCloseTo(-18 - out.loudness.integrated, 1);
      expect(probed.tags.replaygain_track_peak).toMatch(/^\d\.\d{6}$/);
      expect(Number(probed.tags.replaygain_track_peak)).toBeCloseTo(out.loudness.peak, 5);
      // Written without re-encoding: still the codec, the cover and the length it had.
      expect(probed.hasCover).toBe(true);
      expect(probed.durationSec).toBeCloseTo(6, 0);
      expect(out.bytes).toBe(readFileSync(out.path).length);
      // ...and every frame still decodes (m4a: the chunk offsets moved with the new atoms).
      execFileSync("ffmpeg", ["-v", "error", "-xerror", "-i", out.path, "-f", "null", "-"]);
    });

    it(`a collected ${format} file shows genre, label, copyright, explicit mark and where it came from`, async () => {
      const out = await transcode({
        input: quiet,
        output: path.join(work.dir, `tags.${format}`),
        format,
        tags,
        durationSec: 3,
      });
      const t = (await probe(out.path)).tags;
      expect(t.genre).toBe("Synthwave");
      expect(t.copyright).toBe("2021 NCS");
      expect(t.comment).toBe("https://music.youtube.com/watch?v=dQw4w9WgXcQ");
      // ID3 TPUB reads back as "publisher"; Vorbis comments and the m4a freeform atom as "label".
      expect(format === "mp3" ? t.publisher : t.label).toBe("NCS");
      // m4a: iTunes' advisory atom rtng = 1 (ffprobe: "rating"); elsewhere ITUNESADVISORY=1.
      expect(format === "m4a" ? t.rating : t.itunesadvisory).toBe("1");
    });
  }

  it("a clean song carries no explicit mark", async () => {
    for (const format of ["m4a", "mp3"] as const) {
      const out = await transcode({
        input: quiet,
        output: path.join(work.dir, `clean.${format}`),
        format,
        tags: { ...tags, explicit: false },
        durationSec: 3,
      });
      const t = (await probe(out.path)).tags;
      expect([t.rating, t.itunesadvisory]).toEqual([undefined, undefined]);
    }
  });

  it("a collected opus file shows its cover to a player", async () => {
    const out = await transcode({
      input: quiet,
      output: path.join(work.dir, "cover.opus"),
      format: "opus",
      tags,
      coverPath: cover,
      durationSec: 3,
    });
    const picture = oggPicture(out.path);
    expect(picture).toMatchObject({ type: 3, mime: "image/jpeg", width: 320, height: 240 });
    expect(picture.data.equals(readFileSync(cover))).toBe(true);
    // ffmpeg's own demuxer (as mpv and others built on it) shows it as the attached picture.
    const streams = JSON.parse(
      execFileSync("ffprobe", ["-v", "error", "-show_streams", "-of", "json", out.path], {
        encoding: "utf8",
      }),
    ) as { streams: { codec_name: string; width?: number; disposition: { attached_pic: number } }[] };
    expect(streams.streams.find((s) => s.disposition.attached_pic === 1)).toMatchObject({
      codec_name: "mjpeg",
      width: 320,
    });
  });

  it("an album's files all tell a player the same album gain, between their track gains", async () => {
    const files = [];
    for (const [i, format] of formats.entries()) {
      const out = await transcode({
        input: i % 2 === 0 ? loud : quiet,
        output: path.join(work.dir, `album-${i}.${format}`),
        format,
        tags,
        coverPath: cover,
        durationSec: i % 2 === 0 ? 6 : 3,
      });
      // The last file's loudness is measured again by writeAlbumGain.
      files.push({
        path: out.path,
        durationSec: out.durationSec,
        ...(i < formats.length - 1 ? { loudness: out.loudness } : {}),
      });
    }
    const written = await writeAlbumGain(files, { ffmpegPath: "ffmpeg", ffprobePath: "ffprobe" });
    const probes = await Promise.all(files.map((f) => probe(f.path)));
    expect(written).toEqual(files.map((f) => ({ bytes: readFileSync(f.path).length, rewritten: true })));
    const albumGains = probes.map((p) => p.tags.replaygain_album_gain);
    expect(new Set(albumGains).size).toBe(1);
    const album = dB(albumGains[0]);
    const trackGains = probes.map((p) => dB(p.tags.replaygain_track_gain));
    expect(album).toBeGreaterThan(Math.min(...trackGains));
    expect(album).toBeLessThan(Math.max(...trackGains));
    // Duration-weighted energy mean: 12 s of loud and 6 s of quiet audio sit close to the loud tracks.
    const loudGain = Math.min(...trackGains);
    expect(album - loudGain).toBeLessThan(2);
    const peaks = probes.map((p) => Number(p.tags.replaygain_track_peak));
    expect(Number(probes[0]!.tags.replaygain_album_peak)).toBeCloseTo(Math.max(...peaks), 5);
    // Track gain, covers and audio are untouched by the album pass.
    for (const p of probes)
      expect([p.hasCover, p.tags.replaygain_track_gain !== undefined]).toEqual([true, true]);
  });

  it("collecting the same album again leaves its files byte for byte as they were", async () => {
    const files = [];
    for (const [i, format] of formats.entries()) {
      const out = await transcode({
        input: i % 2 === 0 ? loud : quiet,
        output: path.join(work.dir, `again-${i}.${format}`),
        format,
        tags,
        coverPath: cover,
        durationSec: i % 2 === 0 ? 6 : 3,
      });
      files.push({ path: out.path, durationSec: out.durationSec, loudness: out.loudness });
    }
    const opts = { ffmpegPath: "ffmpeg", ffprobePath: "ffprobe" };
    await writeAlbumGain(files, opts);
    const before = files.map((f) => readFileSync(f.path));
    const again = await writeAlbumGain(files, opts);
    expect(again.map((w) => w.rewritten)).toEqual([false, false, false, false]);
    // Opus would otherwise get a new Ogg serial number on every rewrite: a new checksum, a new package.
    expect(files.map((f, i) => readFileSync(f.path).equals(before[i]!))).toEqual([true, true, true, true]);
  });
});
