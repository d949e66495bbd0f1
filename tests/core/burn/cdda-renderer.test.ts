import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  discLoudness,
  parseLoudnormJson,
  renderDisc,
  type RenderProgress,
} from "../../../src/core/burn/cdda-renderer.js";
import { checkToc } from "../../../src/core/burn/cdrdao.js";
import { planDiscs } from "../../../src/core/burn/disc-planner.js";
import { writeToc } from "../../../src/core/burn/toc-writer.js";
import { runProcess } from "../../../src/core/process-runner.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "cdc-render-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Pink noise as MP3 (noise, not a sine: a sine pushes loudnorm into dynamic mode). */
async function noiseMp3(
  name: string,
  seconds: number,
  amplitude: number,
  rate = 48_000,
  channels = 2,
): Promise<string> {
  const file = path.join(dir, name);
  await runProcess("ffmpeg", [
    "-hide_banner",
    "-nostdin",
    "-y",
    "-f",
    "lavfi",
    "-i",
    `anoisesrc=d=${seconds}:c=pink:a=${amplitude}:r=${rate}:seed=${Math.round(seconds * 1000)}`,
    "-ac",
    String(channels),
    "-c:a",
    "libmp3lame",
    "-b:a",
    "192k",
    file,
  ]);
  return file;
}

async function probe(file: string) {
  const { stdout } = await runProcess("ffprobe", ["-v", "error", "-show_streams", "-of", "json", file]);
  const stream = (JSON.parse(stdout) as { streams: Record<string, unknown>[] }).streams[0]!;
  return {
    codec: stream.codec_name,
    sampleRate: Number(stream.sample_rate),
    channels: stream.channels,
    bits: stream.bits_per_sample,
    samples: Number(stream.duration_ts),
  };
}

async function loudness(file: string) {
  const { stderr } = await runProcess(
    "ffmpeg",
    ["-hide_banner", "-nostdin", "-i", file, "-af", "loudnorm=print_format=json", "-f", "null", "-"],
    {
      stderrTailChars: 8000,
    },
  );
  return parseLoudnormJson(stderr);
}

async function maxVolumeDb(file: string): Promise<number> {
  const { stderr } = await runProcess("ffmpeg", [
    "-hide_banner",
    "-nostdin",
    "-i",
    file,
    "-af",
    "volumedetect",
    "-f",
    "null",
    "-",
  ]);
  return Number(/max_volume: (-?[\d.]+) dB/.exec(stderr)![1]);
}

describe("renderDisc", () => {
  it("renders 44.1 kHz 16-bit stereo WAVs of whole sectors, at least 4 s, each track at the target (track gain)", async () => {
    const inputs = [
      { path: await noiseMp3("a.mp3", 2, 0.05), track: "a" },
      { path: await noiseMp3("b.mp3", 5, 0.3, 44_100, 1), track: "b" },
      { path: await noiseMp3("c.mp3", 6, 0.02, 22_050), track: "c" },
    ];
    const progress: RenderProgress[] = [];
    const out = path.join(dir, "out");
    const disc = await renderDisc(inputs, out, { discGain: "track", onProgress: (p) => progress.push(p) });

    expect(disc.tracks.map((t) => t.track)).toEqual(["a", "b", "c"]);
    expect(disc.tracks.map((t) => path.basename(t.wavPath))).toEqual(["01.wav", "02.wav", "03.wav"]);
    for (const t of disc.tracks) {
      const info = await probe(t.wavPath);
      expect(info).toMatchObject({ codec: "pcm_s16le", sampleRate: 44_100, channels: 2, bits: 16 });
      expect(info.samples).toBe(t.samples);
      expect(info.samples % 588).toBe(0);
      expect(info.samples).toBeGreaterThanOrEqual(4 * 44_100);
      expect(t.sectors).toBe(info.samples / 588);
    }
    // The 2 s track is padded to exactly 4 s; the others keep their length (to the next sector).
    expect(disc.tracks[0]!.samples).toBe(4 * 44_100);
    expect(disc.tracks[1]!.samples).toBe(Math.ceil((5 * 44_100) / 588) * 588);
    for (const t of disc.tracks.slice(1)) expect((await loudness(t.wavPath)).inputI).toBeCloseTo(-14, 0);
    expect(disc.discGainDb).toBeUndefined();

    // cdrdao accepts the WAVs, and the disc is as long as the planner says for the measured lengths.
    const plan = planDiscs(disc.tracks.map((t) => ({ id: t.track, title: t.track, samples: t.samples })));
    const tocPath = path.join(out, "disc.toc");
    await writeFile(
      tocPath,
      writeToc(
        {
          tracks: disc.tracks.map((t) => ({
            path: path.basename(t.wavPath),
            title: t.track,
            performer: "p",
          })),
        },
        { title: "d", performer: "p" },
      ),
    );
    expect((await checkToc(tocPath)).discSectors).toBe(plan.discs[0]!.sectors);

    expect(progress.map((p) => `${p.phase}${p.index}`)).toEqual([
      "measure0",
      "measure1",
      "measure2",
      "render0",
      "render1",
      "render2",
    ]);
    expect(progress.at(-1)!.fraction).toBe(1);
  });

  it("applies one gain to the whole disc in album mode, keeping the difference between tracks", async () => {
    const quiet = await noiseMp3("quiet.mp3", 6, 0.02);
    const loud = await noiseMp3("loud.mp3", 6, 0.16);
    const before = [(await loudness(quiet)).inputI, (await loudness(loud)).inputI];
    const disc = await renderDisc(
      [
        { path: quiet, track: "quiet" },
        { path: loud, track: "loud" },
      ],
      path.join(dir, "out"),
      { discGain: "album", loudnessTarget: -14, truePeak: -1 },
    );
    const after = [
      (await loudness(disc.tracks[0]!.wavPath)).inputI,
      (await loudness(disc.tracks[1]!.wavPath)).inputI,
    ];
    // Same gain for both tracks: the quiet one stays quieter by the same amount.
    expect(after[1]! - after[0]!).toBeCloseTo(before[1]! - before[0]!, 0);
    expect(disc.tracks[0]!.gainDb).toBe(disc.discGainDb);
    expect(disc.tracks[1]!.gainDb).toBe(disc.discGainDb);
    expect(disc.discLoudness).toBeGreaterThan(before[0]!);
    expect(disc.discLoudness).toBeLessThan(before[1]!);
  });

  it("holds peaks under the ceiling when the album gain would push them over", async () => {
    const loud = await noiseMp3("loud.mp3", 6, 0.5);
    const before = await loudness(loud);
    const disc = await renderDisc([{ path: loud, track: 1 }], path.join(dir, "out"), {
      discGain: "album",
      loudnessTarget: -6,
      truePeak: -1,
    });
    // Without the limiter the peaks would land well above 0 dBFS.
    expect(before.inputTp + disc.discGainDb!).toBeGreaterThan(1);
    expect(await maxVolumeDb(disc.tracks[0]!.wavPath)).toBeLessThanOrEqual(-0.9);
  });

  it("says which input ffmpeg could not read", async () => {
    const err = await renderDisc(
      [{ path: path.join(dir, "missing.mp3"), track: 1 }],
      path.join(dir, "out"),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "burn_render_failed" });
    expect((err as Error).message).toMatch(/missing\.mp3/);
  });

  it("stops ffmpeg when aborted", async () => {
    const input = await noiseMp3("x.mp3", 4, 0.1);
    const controller = new AbortController();
    controller.abort();
    const err = await renderDisc([{ path: input, track: 1 }], path.join(dir, "out"), {
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: "aborted" });
  });
});

describe("discLoudness", () => {
  it("is the duration-weighted energy mean, ignoring silent tracks' energy", () => {
    expect(
      discLoudness([
        { loudness: -14, durationMs: 1000 },
        { loudness: -14, durationMs: 3000 },
      ]),
    ).toBeCloseTo(-14);
    // Equal energy mix of -10 and -20 LUFS: 10·log10((0.1 + 0.01) / 2) ≈ -12.6
    expect(
      discLoudness([
        { loudness: -10, durationMs: 1 },
        { loudness: -20, durationMs: 1 },
      ]),
    ).toBeCloseTo(-12.6, 1);
    expect(
      discLoudness([
        { loudness: -Infinity, durationMs: 1000 },
        { loudness: -14, durationMs: 1000 },
      ]),
    ).toBeCloseTo(-17.01, 1);
  });
});
