import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createConfig } from "../../src/core/config/load.js";
import { formatDoctor, runDoctor, ytDlpAgeDays } from "../../src/core/doctor.js";

/** A PATH holding only the named programs (symlinks to the real ones). */
function pathWith(programs: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cdc-path-"));
  for (const program of programs) symlinkSync(`/usr/bin/${program}`, path.join(dir, program));
  return dir;
}

describe("doctor", () => {
  it("fails with the install command when yt-dlp is not on PATH", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "cdc-doc-"));
    const { config } = createConfig({ dataDir }, {});
    const env = { PATH: pathWith(["redis-server", "ffmpeg", "ffprobe", "cdrdao", "sh"]) };
    const results = await runDoctor({ config, role: "worker", configSource: "test", env });
    const ytdlp = results.find((r) => r.name === "yt-dlp")!;
    expect(ytdlp.status).toBe("fail");
    expect(ytdlp.detail).toBe("yt-dlp not found");
    expect(ytdlp.fix).toContain("apt-get install -y yt-dlp");
    expect(results.find((r) => r.name === "ffmpeg")?.status).toBe("ok");
    const table = formatDoctor(results);
    expect(table).toMatch(/FAIL\s+yt-dlp\s+yt-dlp not found/);
    expect(table).toContain("1 problem(s) must be fixed.");
  });

  it("only warns about a missing cdrdao when this role does not burn", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "cdc-doc-"));
    const { config } = createConfig({ dataDir }, {});
    const env = { PATH: pathWith(["redis-server", "ffmpeg", "ffprobe", "yt-dlp", "python3"]) };
    const worker = await runDoctor({ config, role: "worker", configSource: "test", env });
    expect(worker.find((r) => r.name === "cdrdao")?.status).toBe("warn");
    const burner = await runDoctor({ config, role: "burner", configSource: "test", env });
    expect(burner.find((r) => r.name === "cdrdao")?.status).toBe("fail");
  });

  it("warns when yt-dlp is older than 60 days", async () => {
    expect(ytDlpAgeDays("2026.11.01", new Date("2026-11-23T00:00:00Z"))).toBe(22);
    expect(ytDlpAgeDays("2023.03.04", new Date("2026-11-23T00:00:00Z"))).toBeGreaterThan(60);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "cdc-doc-"));
    const { config } = createConfig({ dataDir }, {});
    const results = await runDoctor({
      config,
      role: "worker",
      configSource: "test",
      now: new Date("2030-01-01"),
    });
    const ytdlp = results.find((r) => r.name === "yt-dlp")!;
    expect(ytdlp.status).toBe("warn");
    expect(ytdlp.detail).toMatch(/days old; YouTube breaks old versions/);
  });

  it("fails when the data directory cannot be written", async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), "cdc-doc-"));
    const file = path.join(parent, "file");
    mkdirSync(parent, { recursive: true });
    await import("node:fs").then((fs) => fs.writeFileSync(file, "x"));
    const { config } = createConfig({ dataDir: path.join(file, "sub") }, {});
    const results = await runDoctor({ config, role: "worker", configSource: "test" });
    expect(results.find((r) => r.name === "data directory")?.status).toBe("fail");
  });

  it("fails when REDIS_URL does not answer", async () => {
    const { config } = createConfig(
      { dataDir: mkdtempSync(path.join(os.tmpdir(), "cdc-doc-")) },
      { REDIS_URL: "redis://127.0.0.1:1" },
    );
    const results = await runDoctor({ config, role: "worker", configSource: "test" });
    const redis = results.find((r) => r.name === "redis")!;
    expect(redis.status).toBe("fail");
    expect(redis.fix).toContain("unset REDIS_URL");
  });

  describe("what yt-dlp needs for YouTube in 2026", () => {
    /**
     * A yt-dlp of 2026 (Debian's is from 2023 and the Python registry is out of reach here): prints its
     * version, and for `-v` the debug header real yt-dlp prints, with `providers` as its PO-token line.
     */
    function newYtDlp(providers: string): string {
      const dir = pathWith(["redis-server", "ffmpeg", "ffprobe", "sh", "node"]);
      const script = path.join(dir, "yt-dlp");
      writeFileSync(
        script,
        `#!/bin/sh\nif [ "$1" = "--version" ]; then echo 2026.11.01; exit 0; fi\n` +
          `echo "[debug] yt-dlp version stable@2026.11.01" >&2\n` +
          `echo "[debug] PO Token Providers: ${providers}" >&2\n` +
          `echo "ERROR: You must provide at least one URL." >&2\nexit 2\n`,
      );
      chmodSync(script, 0o755);
      return dir;
    }

    it("says which JavaScript runtime yt-dlp will use, and how to give it one", async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), "cdc-doc-"));
      const env = { PATH: newYtDlp("none") };
      const plain = createConfig({ dataDir }, {}).config;
      const without = await runDoctor({ config: plain, role: "worker", configSource: "test", env });
      expect(without.find((r) => r.name === "yt-dlp JS runtime")).toMatchObject({
        status: "warn",
        detail: expect.stringMatching(/no deno; node \d+\.\d+\.\d+ is installed but yt-dlp will not use it/u),
        fix: expect.stringContaining('"--js-runtimes", "node"'),
      });
      const told = createConfig(
        { dataDir, download: { ytDlpExtraArgs: ["--js-runtimes", "node"] } },
        {},
      ).config;
      const withNode = await runDoctor({ config: told, role: "worker", configSource: "test", env });
      expect(withNode.find((r) => r.name === "yt-dlp JS runtime")).toMatchObject({
        status: "ok",
        detail: expect.stringMatching(/^node \d+/u),
      });
      // The installed (2023) yt-dlp needs none: doctor says so instead of warning.
      const old = await runDoctor({ config: plain, role: "worker", configSource: "test" });
      expect(old.find((r) => r.name === "yt-dlp JS runtime")?.detail).toMatch(/does not use one/u);
    });

    it("looks for a cookies file or a PO-token provider against the bot check", async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), "cdc-doc-"));
      const plain = createConfig({ dataDir }, {}).config;
      const none = await runDoctor({
        config: plain,
        role: "worker",
        configSource: "test",
        env: { PATH: newYtDlp("none") },
      });
      expect(none.find((r) => r.name === "YouTube bot check")).toMatchObject({
        status: "warn",
        fix: expect.stringMatching(/cookiesFile.*bgutil-ytdlp-pot-provider/u),
      });
      const plugin = await runDoctor({
        config: plain,
        role: "worker",
        configSource: "test",
        env: { PATH: newYtDlp("bgutil:http-1.2.2 (external)") },
      });
      expect(plugin.find((r) => r.name === "YouTube bot check")).toMatchObject({
        status: "ok",
        detail: "PO-token provider: bgutil:http-1.2.2 (external)",
      });
      const jar = path.join(dataDir, "cookies.txt");
      writeFileSync(jar, "# Netscape HTTP Cookie File\n");
      const withJar = createConfig({ dataDir, download: { cookiesFile: jar } }, {}).config;
      const cookies = await runDoctor({ config: withJar, role: "worker", configSource: "test" });
      expect(cookies.find((r) => r.name === "YouTube bot check")?.status).toBe("ok");
      const missing = createConfig({ dataDir, download: { cookiesFile: `${jar}.gone` } }, {}).config;
      const gone = await runDoctor({ config: missing, role: "worker", configSource: "test" });
      expect(gone.find((r) => r.name === "YouTube bot check")?.status).toBe("fail");
    });
  });
});
