import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchCover } from "../../../src/core/media/cover.js";
import { metadataArgs, probe, transcode, type AudioTags } from "../../../src/core/media/ffmpeg.js";
import type { LibraryFormat } from "../../../src/core/media/library.js";
import { ffmpeg, tempDir } from "./fixtures.js";

const tags: AudioTags = {
  title: 'Song "One": Ёлка 東京',
  artist: "Artist A, Artist B",
  album: "The Album",
  albumArtist: "Artist A",
  trackNumber: 3,
  trackTotal: 12,
  discNumber: 1,
  discTotal: 2,
  date: "2019-05-17",
  isrc: "USRC17607839",
};

describe("transcode, tags, cover and probe (real ffmpeg)", () => {
  let work: ReturnType<typeof tempDir>;
  let input: string;
  let cover: string;
  let coverServer: http.Server;
  let coverUrl: string;

  beforeAll(async () => {
    work = tempDir("ffmpeg");
    input = path.join(work.dir, "source.m4a");
    ffmpeg([
      "-f",
      "lavfi",
      "-i",
      "anoisesrc=c=pink:d=3:a=0.3",
      "-ac",
      "2",
      "-c:a",
      "aac",
      "-b:a",
      "96k",
      input,
    ]);
    cover = path.join(work.dir, "made-cover.jpg");
    ffmpeg(["-f", "lavfi", "-i", "testsrc=s=300x300:d=1", "-frames:v", "1", cover]);
    const jpeg = readFileSync(cover);
    coverServer = http.createServer((req, res) => {
      if (req.url === "/cover.jpg") {
        res.writeHead(200, { "content-type": "image/jpeg", "content-length": jpeg.length });
        res.end(jpeg);
      } else if (req.url === "/huge") {
        // No Content-Length: the cap must be enforced while reading.
        res.writeHead(200, { "content-type": "image/jpeg" });
        const chunk = Buffer.alloc(64 * 1024, 1);
        let sent = 0;
        const pump = () => {
          while (sent < 50 && res.write(chunk)) sent++;
          if (sent < 50) res.once("drain", pump);
          else res.end();
        };
        pump();
      } else if (req.url === "/page") {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html></html>");
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => coverServer.listen(0, "127.0.0.1", r));
    coverUrl = `http://127.0.0.1:${(coverServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    coverServer.closeAllConnections();
    await new Promise((r) => coverServer.close(r));
    work.cleanup();
  });

  it("fetches a cover, and refuses oversized, non-image and missing ones without leaving files", async () => {
    const dest = path.join(work.dir, "covers", "fetched.jpg");
    expect(
      await fetchCover(`${coverUrl}/cover.jpg`, { origins: [coverUrl], maxBytes: 1_000_000, dest }),
    ).toBe(dest);
    expect(readFileSync(dest).equals(readFileSync(cover))).toBe(true);
    const small = path.join(work.dir, "covers", "small.jpg");
    expect(
      await fetchCover(`${coverUrl}/cover.jpg`, { origins: [coverUrl], maxBytes: 100, dest: small }),
    ).toBeUndefined();
    expect(
      await fetchCover(`${coverUrl}/huge`, { origins: [coverUrl], maxBytes: 200_000, dest: small }),
    ).toBeUndefined();
    expect(
      await fetchCover(`${coverUrl}/page`, { origins: [coverUrl], maxBytes: 200_000, dest: small }),
    ).toBeUndefined();
    expect(
      await fetchCover(`${coverUrl}/missing`, { origins: [coverUrl], maxBytes: 200_000, dest: small }),
    ).toBeUndefined();
    expect(await fetchCover("file:///etc/passwd", { maxBytes: 200_000, dest: small })).toBeUndefined();
    expect(readdirSync(path.join(work.dir, "covers"))).toEqual(["fetched.jpg"]);
  });

  const cases: [LibraryFormat, string, string][] = [
    ["mp3", "mp3", "tsrc"],
    ["flac", "flac", "isrc"],
  ];
  for (const [format, codec, isrcKey] of cases) {
    it(`writes ${format} with tags and an attached cover, with progress to 100 %`, async () => {
      const coverPath = await fetchCover(`${coverUrl}/cover.jpg`, {
        origins: [coverUrl],
        maxBytes: 1_000_000,
        dest: path.join(work.dir, `cover-${format}.jpg`),
      });
      const output = path.join(work.dir, `lib-${format}`, `Track.${format}`);
      execFileSync("mkdir", ["-p", path.dirname(output)]);
      const percents: number[] = [];
      const result = await transcode({
        input,
        output,
        format,
        bitrateKbps: 128,
        tags,
        coverPath,
        durationSec: 3,
        onProgress: (p) => percents.push(p),
      });
      expect(result.path).toBe(output);
      expect(result.durationMismatch).toBe(false);
      expect(percents.at(-1)).toBe(100);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
      expect(readdirSync(path.dirname(output))).toEqual([`Track.${format}`]); // no temp left

      const probed = await probe(output);
      expect(probed.codec).toBe(codec);
      expect(probed.hasCover).toBe(true);
      expect(probed.channels).toBe(2);
      expect(Math.abs(probed.durationSec - 3)).toBeLessThan(0.1);
      expect(probed.tags.title).toBe(tags.title);
      expect(probed.tags.artist).toBe("Artist A, Artist B");
      expect(probed.tags.album).toBe("The Album");
      expect(probed.tags.album_artist ?? probed.tags.albumartist).toBe("Artist A");
      expect(probed.tags.track).toBe("3/12");
      expect(probed.tags.disc).toBe("1/2");
      expect(probed.tags.date).toMatch(/^2019/);
      expect(probed.tags[isrcKey]).toBe("USRC17607839");
    });
  }

  it("a collected opus file and a collected m4a file both show their cover", async () => {
    const coverPath = await fetchCover(`${coverUrl}/cover.jpg`, {
      origins: [coverUrl],
      maxBytes: 1_000_000,
      dest: path.join(work.dir, "c2.jpg"),
    });
    const opus = await transcode({
      input,
      output: path.join(work.dir, "t.opus"),
      format: "opus",
      tags,
      coverPath,
      durationSec: 3,
    });
    const opusProbe = await probe(opus.path);
    expect([opusProbe.codec, opusProbe.hasCover, opusProbe.tags.isrc, opusProbe.tags.title]).toEqual([
      "opus",
      true,
      "USRC17607839",
      tags.title,
    ]);
    const m4a = await transcode({
      input,
      output: path.join(work.dir, "t.m4a"),
      format: "m4a",
      tags,
      coverPath,
      durationSec: 3,
    });
    const m4aProbe = await probe(m4a.path);
    expect([m4aProbe.codec, m4aProbe.hasCover, m4aProbe.tags.title]).toEqual(["aac", true, tags.title]);
  });

  it("flags a 10 s difference from Spotify's duration", async () => {
    const result = await transcode({
      input,
      output: path.join(work.dir, "off.mp3"),
      format: "mp3",
      tags: { title: "x" },
      durationSec: 13,
    });
    expect(result.durationMismatch).toBe(true);
    expect(result.deltaSec).toBeCloseTo(-10, 0);
  });

  it("fails cleanly on a broken input and leaves no file", async () => {
    const bad = path.join(work.dir, "bad.m4a");
    execFileSync("sh", ["-c", `printf 'not audio' > '${bad}'`]);
    const output = path.join(work.dir, "broken", "out.mp3");
    execFileSync("mkdir", ["-p", path.dirname(output)]);
    const err = await transcode({ input: bad, output, format: "mp3", tags: {}, durationSec: 3 }).catch(
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toBe("transcode_failed");
    expect(existsSync(output)).toBe(false);
    expect(readdirSync(path.dirname(output))).toEqual([]);
  });

  it("abort mid-transcode stops ffmpeg and leaves no file", async () => {
    const long = path.join(work.dir, "long.wav");
    ffmpeg(["-f", "lavfi", "-i", "anoisesrc=c=pink:d=120:a=0.3", "-ac", "2", long]);
    const outDir = path.join(work.dir, "aborted");
    execFileSync("mkdir", ["-p", outDir]);
    const controller = new AbortController();
    const err = await transcode({
      input: long,
      output: path.join(outDir, "out.mp3"),
      format: "mp3",
      tags: {},
      durationSec: 120,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe("transcode_aborted");
    expect(readdirSync(outDir)).toEqual([]);
    const left = execFileSync("ps", ["-eo", "args"])
      .toString()
      .split("\n")
      .filter((l) => l.includes(outDir));
    expect(left).toEqual([]);
  });

  it("passes each tag as one argv entry and names ISRC per container", () => {
    expect(metadataArgs("mp3", { title: "a=b c", isrc: "X" })).toEqual([
      "-metadata",
      "title=a=b c",
      "-metadata",
      "TSRC=X",
    ]);
    expect(metadataArgs("flac", { isrc: "X" })).toEqual(["-metadata", "ISRC=X"]);
    expect(metadataArgs("m4a", { isrc: "X" })).toEqual([]);
  });
});
