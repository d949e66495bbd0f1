import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkExtraArgs,
  classifyYtDlpError,
  compareVersions,
  createYtDlp,
  filterExtraArgs,
  formatSelector,
  isValidVideoId,
  UnsafeYtDlpArgsError,
  YtDlpError,
  type DownloadProgress,
} from "../../../src/core/media/yt-dlp.js";
import { probe } from "../../../src/core/media/ffmpeg.js";
import {
  expectedVideoId,
  startAudioSource,
  videoIdFor,
  type AudioSource,
} from "../../../src/emulators/audio-source/index.js";
import { youtubeRefusal, type YouTubeFault } from "../../../src/emulators/audio-source/youtube-faults.js";
import { audioCacheDir, makeTrack, tempDir } from "./fixtures.js";

/** Command lines of running yt-dlp / ffmpeg processes that mention `marker`. */
function processesMentioning(marker: string): string[] {
  return execFileSync("ps", ["-eo", "pid,args"])
    .toString()
    .split("\n")
    .filter((l) => l.includes(marker) && /yt-dlp|ffmpeg/.test(l));
}

describe("yt-dlp against the local audio stand-in", () => {
  const track = makeTrack({ durationMs: 4000 });
  const longTrack = makeTrack({ id: "0000000000000000000long", title: "Long One", durationMs: 100_000 });
  let source: AudioSource;
  let yt: ReturnType<typeof createYtDlp>;

  beforeAll(async () => {
    source = await startAudioSource({ tracks: [track, longTrack], cacheDir: audioCacheDir });
    yt = createYtDlp({ source: { kind: "local", baseUrl: source.url }, maxFileMb: 50 });
  });
  afterAll(async () => {
    await source.close();
  });

  it("reports the installed version", async () => {
    expect(await yt.version()).toMatch(/^\d{4}\.\d{2}\.\d{2}/);
  });

  it("downloads by id with JSON progress into the target folder", async () => {
    const { dir, cleanup } = tempDir("ytdl");
    try {
      const ticks: DownloadProgress[] = [];
      const result = await yt.download(expectedVideoId(track), { dir, onProgress: (p) => ticks.push(p) });
      expect(path.dirname(result.path)).toBe(dir);
      expect(path.basename(result.path)).toBe(`${expectedVideoId(track)}.m4a`);
      expect(result.bytes).toBeGreaterThan(10_000);
      expect(ticks.length).toBeGreaterThan(0);
      expect(ticks.at(-1)?.percent).toBe(100);
      expect(readdirSync(dir)).toEqual([path.basename(result.path)]); // the work folder is gone
      const probed = await probe(result.path);
      expect(Math.abs(probed.durationSec - 4)).toBeLessThan(0.2);
    } finally {
      cleanup();
    }
  });

  it("classifies a 404 as unavailable and permanent", async () => {
    const { dir, cleanup } = tempDir("ytdl404");
    const id = videoIdFor(track.id, "lyric");
    source.control.failAudio(id, 404);
    try {
      const err = await yt.download(id, { dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(YtDlpError);
      expect((err as YtDlpError).kind).toBe("unavailable");
      expect((err as YtDlpError).permanent).toBe(true);
      expect((err as YtDlpError).userMessage).toMatch(/unavailable/);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      source.control.failAudio(id, undefined);
      cleanup();
    }
  });

  it("meets YouTube's refusals through the real yt-dlp run by the wrapper, and a real 403 on the media", async () => {
    const wrapped = createYtDlp({
      path: path.join(process.cwd(), "tests/helpers/yt-dlp-as-youtube.mjs"),
      source: { kind: "local", baseUrl: source.url },
      maxFileMb: 50,
    });
    const id = expectedVideoId(track);
    const { dir, cleanup } = tempDir("ytdl-youtube");
    try {
      source.control.youtube.next("session_limit", 1);
      await expect(wrapped.download(id, { dir })).rejects.toMatchObject({ kind: "session_limited" });
      // The refusal was used up: the same download now goes through the real yt-dlp.
      const ok = await wrapped.download(id, { dir });
      expect(ok.bytes).toBeGreaterThan(1000);
      source.control.failAudio(id, 403);
      await expect(wrapped.download(id, { dir })).rejects.toMatchObject({ kind: "forbidden" });
    } finally {
      source.control.failAudio(id, undefined);
      cleanup();
    }
  });

  it("refuses an invalid id before any process starts", async () => {
    // A binary that does not exist: starting anything would fail as not_installed instead.
    const missing = createYtDlp({ path: "/nonexistent/yt-dlp", source: { kind: "youtube" }, maxFileMb: 5 });
    for (const bad of ["abc", "../../etc/pa", "--exec=rm -rf", "aaaaaaaaaa/", "aaaaaaaaaaaa"]) {
      const err = await missing.download(bad, { dir: "/nonexistent" }).catch((e: unknown) => e);
      expect((err as YtDlpError).kind).toBe("invalid_id");
      expect((err as YtDlpError).permanent).toBe(true);
    }
    const notInstalled = await missing.download("dQw4w9WgXcQ", { dir: "/tmp" }).catch((e: unknown) => e);
    expect((notInstalled as YtDlpError).kind).toBe("not_installed");
  });

  it("turns the silent --max-filesize skip (exit 0, no file) into too_large", async () => {
    const small = createYtDlp({ source: { kind: "local", baseUrl: source.url }, maxFileMb: 1 });
    const { dir, cleanup } = tempDir("ytdlbig");
    try {
      const err = await small.download(expectedVideoId(longTrack), { dir }).catch((e: unknown) => e);
      expect((err as YtDlpError).kind).toBe("too_large");
      expect((err as YtDlpError).permanent).toBe(true);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      cleanup();
    }
  });

  it("abort mid-download kills yt-dlp and leaves no partial file", async () => {
    const { dir, cleanup } = tempDir("ytdlabort");
    source.control.slowAudio(100, 4096);
    try {
      const controller = new AbortController();
      let ticks = 0;
      const running = yt.download(expectedVideoId(longTrack), {
        dir,
        signal: controller.signal,
        onProgress: () => {
          ticks++;
          if (ticks === 3) controller.abort();
        },
      });
      const err = await running.catch((e: unknown) => e);
      expect((err as YtDlpError).kind).toBe("aborted");
      expect(ticks).toBeGreaterThanOrEqual(3);
      expect(processesMentioning(dir)).toEqual([]);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      source.control.slowAudio(0);
      cleanup();
    }
  });

  it("downloads Opus-in-WebM from a webm stand-in", async () => {
    const { dir, cleanup } = tempDir("ytdlwebm");
    const webm = await startAudioSource({ tracks: [track], cacheDir: audioCacheDir, format: "webm" });
    try {
      const client = createYtDlp({
        source: { kind: "local", baseUrl: webm.url, audioExt: "webm" },
        maxFileMb: 50,
      });
      const result = await client.download(expectedVideoId(track), { dir });
      expect(path.extname(result.path)).toBe(".webm");
      expect((await probe(result.path)).codec).toBe("opus");
    } finally {
      await webm.close();
      cleanup();
    }
  });

  it("asking for AAC to keep still downloads when the video offers only Opus", async () => {
    const { dir, cleanup } = tempDir("ytdlprefer");
    const webm = await startAudioSource({ tracks: [track], cacheDir: audioCacheDir, format: "webm" });
    try {
      const client = createYtDlp({
        source: { kind: "local", baseUrl: webm.url, audioExt: "webm" },
        maxFileMb: 50,
      });
      const result = await client.download(expectedVideoId(track), { dir, preferCodec: "aac" });
      expect((await probe(result.path)).codec).toBe("opus");
    } finally {
      await webm.close();
      cleanup();
    }
  });

  it("copies the cookies file so yt-dlp never rewrites the operator's jar", async () => {
    const { dir, cleanup } = tempDir("ytdlcookies");
    try {
      const jar = path.join(dir, "jar.txt");
      writeFileSync(jar, "# Netscape HTTP Cookie File\n");
      const withCookies = createYtDlp({
        source: { kind: "local", baseUrl: source.url },
        maxFileMb: 50,
        cookiesFile: jar,
        extraArgs: ["--js-runtimes", "node", "--socket-timeout", "20"],
      });
      const out = path.join(dir, "out");
      execFileSync("mkdir", [out]);
      const result = await withCookies.download(expectedVideoId(track), { dir: out });
      expect(result.bytes).toBeGreaterThan(0);
      expect(readdirSync(out)).toEqual([path.basename(result.path)]);
      expect(readFileSync(jar, "utf8")).toBe("# Netscape HTTP Cookie File\n");
    } finally {
      cleanup();
    }
  });
});

describe("yt-dlp helpers", () => {
  it("classifies YouTube's 2026 refusals before any generic pattern: passing causes are not failures", () => {
    // The texts real yt-dlp prints (sources in src/emulators/audio-source/youtube-faults.ts).
    const expected: Record<YouTubeFault, [kind: string, permanent: boolean]> = {
      session_limit: ["session_limited", false],
      bot_check: ["bot_check", false],
      format_unavailable: ["format_unavailable", true],
      removed: ["unavailable", true],
      private: ["unavailable", true],
    };
    for (const [fault, [kind, permanent]] of Object.entries(expected)) {
      const { stderr } = youtubeRefusal(fault as YouTubeFault, "dQw4w9WgXcQ");
      const err = classifyYtDlpError(stderr);
      expect([err.kind, err.permanent], fault).toEqual([kind, permanent]);
    }
    // "unable to download video data: HTTP Error 403: Forbidden" (#15712): retried, not "unavailable".
    const forbidden = classifyYtDlpError("ERROR: unable to download video data: HTTP Error 403: Forbidden");
    expect([forbidden.kind, forbidden.permanent]).toEqual(["forbidden", false]);
  });

  it("classifies typical failures with retry advice", () => {
    const cases: [string, string, boolean][] = [
      [
        "ERROR: [youtube] abc: Video unavailable. This video has been removed by the uploader",
        "unavailable",
        true,
      ],
      [
        "ERROR: [youtube] abc: Private video. Sign in if you've been granted access to this video",
        "unavailable",
        true,
      ],
      [
        "ERROR: [youtube] abc: Sign in to confirm you’re not a bot. Use --cookies-from-browser",
        "bot_check",
        false,
      ],
      ["ERROR: [youtube] abc: Sign in to confirm you're not a bot", "bot_check", false],
      [
        "ERROR: [youtube] abc: Sign in to confirm your age. This video may be inappropriate for some users.",
        "sign_in",
        true,
      ],
      ["ERROR: [generic] x: Unable to download webpage: HTTP Error 404: Not Found", "unavailable", true],
      ["ERROR: Unable to download webpage: <urlopen error [Errno 111] Connection refused>", "network", false],
      ["ERROR: unable to download video data: HTTP Error 503: Service Unavailable", "network", false],
      ["ERROR: HTTP Error 429: Too Many Requests", "rate_limited", false],
      [
        "[download] File is larger than max-filesize (50168 bytes > 10240 bytes). Aborting.",
        "too_large",
        true,
      ],
      ["ERROR: something nobody has seen", "unknown", false],
    ];
    for (const [stderr, kind, permanent] of cases) {
      const err = classifyYtDlpError(stderr);
      expect([err.kind, err.permanent], stderr).toEqual([kind, permanent]);
      expect(err.userMessage.length).toBeGreaterThan(10);
    }
  });

  it("refuses dangerous extra arguments", () => {
    for (const bad of [
      ["--exec", "rm -rf /"],
      ["--exec=echo"],
      ["--config-locations", "/x"],
      ["-a", "list"],
      ["--batch-file", "x"],
      ["--"],
    ]) {
      expect(() => checkExtraArgs(bad)).toThrow(UnsafeYtDlpArgsError);
      expect(() => createYtDlp({ source: { kind: "youtube" }, maxFileMb: 1, extraArgs: bad })).toThrow(
        UnsafeYtDlpArgsError,
      );
    }
    expect(() =>
      checkExtraArgs(["--socket-timeout", "10", "--cookies-from-browser", "firefox"]),
    ).not.toThrow();
  });

  it("drops flags newer than the installed version, with their values", () => {
    expect(filterExtraArgs("2023.03.04", ["--js-runtimes", "node", "--socket-timeout", "10"])).toEqual({
      kept: ["--socket-timeout", "10"],
      dropped: ["--js-runtimes", "node"],
    });
    expect(filterExtraArgs("2025.11.12", ["--js-runtimes", "node"]).kept).toEqual(["--js-runtimes", "node"]);
    expect(compareVersions("2023.03.04", "2023.03.04.1")).toBeLessThan(0);
    expect(compareVersions("2023.05.29.044647", "2023.03.04")).toBeGreaterThan(0);
  });

  it("keeping the original stream asks YouTube for AAC for m4a and Opus for opus, else any best audio", () => {
    expect(formatSelector("aac")).toBe("ba[acodec^=mp4a]/ba/b");
    expect(formatSelector("opus")).toBe("ba[acodec=opus]/ba/b");
    expect(formatSelector()).toBe("ba/b");
  });

  it("accepts only 11-character video ids", () => {
    expect(isValidVideoId("dQw4w9WgXcQ")).toBe(true);
    expect(isValidVideoId("dQw4w9WgXc-")).toBe(true);
    expect(isValidVideoId("dQw4w9WgXc")).toBe(false);
    expect(isValidVideoId("dQw4w9WgXc?")).toBe(false);
  });
});
