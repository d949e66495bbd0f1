import { execFileSync } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  buildYtDlpSearchArgs,
  createYtDlpCandidateSource,
  parseYtDlpSearchJson,
} from "../../../src/core/matching/yt-dlp-search.js";
import { ProcessError } from "../../../src/core/process-runner.js";

const fixtureDir = new URL("../../fixtures/yt-dlp/", import.meta.url);
const fixture = async (name: string): Promise<unknown> =>
  JSON.parse(await readFile(new URL(name, fixtureDir), "utf8")) as unknown;

describe("parseYtDlpSearchJson on yt-dlp output", () => {
  it("reads id, title, channel, duration and views of a video search", async () => {
    const candidates = parseYtDlpSearchJson(await fixture("ytsearch-video.json"), "video");
    expect(candidates).toHaveLength(5);
    expect(candidates[0]).toEqual({
      id: "mRD0-GxqHVo",
      title: "Glass Animals - Heat Waves (Official Video)",
      channel: "Glass Animals",
      channelVerified: true,
      durationSec: 239,
      views: 1_400_000_000,
      via: "video",
    });
    expect(candidates[1]).toMatchObject({
      id: "KkU3F1yVLJk",
      channel: "Glass Animals - Topic",
      durationSec: 239,
    });
    expect(candidates[2]?.durationSec).toBe(238.5);
    // No view count in the entry: left out, not zero.
    expect(candidates[3]).not.toHaveProperty("views");
  });

  it("keeps only songs from a YouTube Music search, with or without titles", async () => {
    const candidates = parseYtDlpSearchJson(await fixture("music-search-songs.json"), "music");
    expect(candidates.map((c) => c.id)).toEqual(["KkU3F1yVLJk", "x7-kW2hJz_A", "q0PbVeVp2nM"]);
    expect(candidates[0]).toEqual({ id: "KkU3F1yVLJk", title: "Heat Waves", channel: "", via: "music" });
    expect(candidates[2]?.title).toBe("");
  });

  it("reads an ISRC search", async () => {
    const candidates = parseYtDlpSearchJson(await fixture("ytsearch-isrc.json"), "isrc");
    expect(candidates).toEqual([
      {
        id: "KkU3F1yVLJk",
        title: "Heat Waves",
        channel: "Glass Animals - Topic",
        durationSec: 239,
        views: 310_000_000,
        via: "isrc",
      },
    ]);
  });

  it("skips bad ids, nulls and duplicates; falls back to uploader; tolerates missing fields", async () => {
    const candidates = parseYtDlpSearchJson(await fixture("ytsearch-odd-entries.json"), "video");
    expect(candidates).toEqual([
      { id: "a1B2c3D4e5F", title: "Glass Animals LIVE 24/7 radio", channel: "Fan Radio", via: "video" },
      { id: "Z9y8X7w6V5u", title: "Heat Waves (Acoustic)", channel: "", durationSec: 212, via: "video" },
    ]);
  });

  it("returns nothing for a playlist without entries and refuses what is not a playlist", () => {
    expect(parseYtDlpSearchJson({ _type: "playlist", id: "x", entries: [] }, "video")).toEqual([]);
    expect(parseYtDlpSearchJson({ _type: "playlist", id: "x" }, "video")).toEqual([]);
    expect(() => parseYtDlpSearchJson([], "video")).toThrow(/not a playlist/);
    expect(() => parseYtDlpSearchJson("oops", "video")).toThrow(/not a playlist/);
    expect(() => parseYtDlpSearchJson({ entries: "nope" }, "video")).toThrow(/not a playlist/);
  });
});

describe("buildYtDlpSearchArgs", () => {
  it("puts the search after -- as one argument", () => {
    expect(buildYtDlpSearchArgs({ kind: "video", text: "Glass Animals - Heat Waves" }, 5)).toEqual([
      "--ignore-config",
      "--flat-playlist",
      "-J",
      "--no-warnings",
      "--",
      "ytsearch5:Glass Animals - Heat Waves",
    ]);
  });

  it("searches YouTube Music songs through the search URL", () => {
    const args = buildYtDlpSearchArgs({ kind: "music", text: "AC/DC - Back In Black & more?" }, 7, [
      "--cookies",
      "c.txt",
    ]);
    expect(args.slice(0, 6)).toEqual([
      "--ignore-config",
      "--flat-playlist",
      "-J",
      "--no-warnings",
      "--cookies",
      "c.txt",
    ]);
    expect(args.slice(-4, -1)).toEqual(["--playlist-end", "7", "--"]);
    const url = new URL(args.at(-1)!);
    expect(url.host).toBe("music.youtube.com");
    expect(url.hash).toBe("#songs");
    expect(url.searchParams.get("q")).toBe("AC/DC - Back In Black & more?");
  });

  it("searches an ISRC as an exact phrase and strips everything else", () => {
    expect(buildYtDlpSearchArgs({ kind: "isrc", text: ' gb-um7-2000433"; rm -rf /' }, 3).at(-1)).toBe(
      'ytsearch3:"GBUM72000433RMRF"',
    );
  });

  it("turns control characters into spaces and bounds the length", () => {
    const arg = buildYtDlpSearchArgs({ kind: "video", text: `a\nb\u0000c${"x".repeat(500)}` }, 1).at(-1)!;
    expect(arg.startsWith("ytsearch1:a b c")).toBe(true);
    expect(arg.length).toBeLessThanOrEqual("ytsearch1:".length + 200);
  });
});

describe("createYtDlpCandidateSource", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ytdlp-search-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A stand-in yt-dlp that records its argv and prints a fixture, run through the real process runner. */
  async function fakeYtDlp(fixtureName: string, exitCode = 0): Promise<{ path: string; argvFile: string }> {
    const path = join(dir, "yt-dlp");
    const argvFile = join(dir, "argv.json");
    const fixturePath = new URL(fixtureName, fixtureDir).pathname;
    await writeFile(
      path,
      `#!/usr/bin/env node
const fs = require("node:fs");
fs.writeFileSync(${JSON.stringify(argvFile)}, JSON.stringify(process.argv.slice(2)));
if (${exitCode} !== 0) { process.stderr.write("ERROR: [youtube:search] Sign in to confirm you're not a bot\\n"); process.exit(${exitCode}); }
process.stdout.write(fs.readFileSync(${JSON.stringify(fixturePath)}, "utf8"));
`,
    );
    await chmod(path, 0o755);
    return { path, argvFile };
  }

  it("runs the program with the text as one argv entry (no shell) and parses its output", async () => {
    const fake = await fakeYtDlp("ytsearch-video.json");
    const source = createYtDlpCandidateSource({ ytDlpPath: fake.path, limit: 5, timeoutMs: 10_000 });
    const text = `Glass Animals - Heat Waves $(touch ${dir}/pwned); echo "x" | cat`;
    const found = await source.search({ kind: "video", text });
    expect(found.map((c) => c.id)).toContain("KkU3F1yVLJk");
    const argv = JSON.parse(await readFile(fake.argvFile, "utf8")) as string[];
    expect(argv.at(-2)).toBe("--");
    expect(argv.at(-1)).toBe(`ytsearch5:${text}`);
    await expect(readFile(join(dir, "pwned"))).rejects.toThrow();
  });

  it("reports a failing yt-dlp as a ProcessError with its stderr", async () => {
    const fake = await fakeYtDlp("ytsearch-video.json", 1);
    const source = createYtDlpCandidateSource({ ytDlpPath: fake.path, timeoutMs: 10_000 });
    const err = await source.search({ kind: "music", text: "x" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect((err as ProcessError).stderrTail).toMatch(/not a bot/);
  });

  it("refuses extra arguments that would run programs or load other config", () => {
    expect(() => createYtDlpCandidateSource({ extraArgs: ["--exec", "rm x"] })).toThrow(/not allowed/);
    expect(() => createYtDlpCandidateSource({ extraArgs: ["--config-locations=/tmp/x"] })).toThrow(
      /not allowed/,
    );
    expect(() => createYtDlpCandidateSource({ extraArgs: ["--cookies", "c.txt"] })).not.toThrow();
  });

  it("uses flags and an extractor that the installed yt-dlp knows", () => {
    // --help at the end: yt-dlp parses every earlier option first and exits 2 on one it does not know.
    const args = buildYtDlpSearchArgs({ kind: "music", text: "x" }, 3).slice(0, -2);
    expect(() => execFileSync("yt-dlp", [...args, "--help"], { stdio: "ignore" })).not.toThrow();
    const extractors = execFileSync("yt-dlp", ["--ignore-config", "--list-extractors"], { encoding: "utf8" });
    expect(extractors.split("\n")).toContain("youtube:music:search_url");
    expect(extractors.split("\n")).toContain("youtube:search");
  });
});
