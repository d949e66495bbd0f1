import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/core/config/load.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "cdc-ytdlp-args-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Load a config file whose [download] section sets ytDlpExtraArgs. */
function load(args: string[]) {
  const file = path.join(dir, "bot.toml");
  writeFileSync(file, `[download]\nytDlpExtraArgs = ${JSON.stringify(args)}\n`);
  return loadConfig({ configPath: file, env: {}, dotenvDir: false, cwd: dir });
}

function refusal(args: string[]): string {
  try {
    load(args);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`${JSON.stringify(args)} was accepted`);
}

describe("download.ytDlpExtraArgs", () => {
  it("refuses each known bypass at config load, naming the key in one line", () => {
    const bypasses = [
      ["--ffmpeg-loc", "/tmp/evil.sh"], // abbreviation of --ffmpeg-location: ran the script
      ["--batch", "/etc/passwd"],
      ["--config-loc", "/tmp/x.conf"],
      ["--load-info", "/tmp/x.json"],
      ["-a/tmp/urls.txt"],
      ["-o/tmp/anywhere/%(id)s"],
      ["--use-post", "Exec:touch /tmp/x"],
      ["--external-d", "aria2c"],
      ["--plugin-d", "/tmp/plugins"],
      ["--exec", "rm -rf /"],
      ["--exec=echo"],
      ["--"],
      ["https://www.youtube.com/watch?v=dQw4w9WgXcQ"],
      ["--cookies", "/tmp/jar.txt"],
      ["--js-runtimes", "node:/tmp/evil"],
      ["--cookies-from-browser", "firefox:/home/someone/.mozilla/profile"],
      ["--extractor-args", "youtubepot-bgutilscript:script_path=/tmp/evil.js"],
      ["-r50K"],
      ["-46"],
      ["--force-ipv4=yes"],
      ["--limit-rate"],
    ];
    for (const args of bypasses) {
      const message = refusal(args);
      expect(message.split("\n"), JSON.stringify(args)).toHaveLength(1);
      expect(message, JSON.stringify(args)).toMatch(
        /^config: download\.ytDlpExtraArgs \(from file bot\.toml\): got .*; expected allowed yt-dlp options only; /,
      );
    }
    expect(refusal(["--ffmpeg-loc", "/tmp/evil.sh"])).toContain('"--ffmpeg-loc" is not allowed');
  });

  it("lets network, pacing and YouTube options through", () => {
    const allowed = [
      "--js-runtimes",
      "node",
      "--limit-rate",
      "4.2M",
      "-r",
      "500K",
      "--retries=10",
      "--socket-timeout",
      "20",
      "--force-ipv4",
      "--source-address",
      "192.0.2.7",
      "--sleep-requests",
      "1.5",
      "--extractor-args",
      "youtube:player_client=default,mweb",
      "--proxy",
      "socks5://127.0.0.1:9050",
      "--cookies-from-browser",
      "firefox",
    ];
    expect(load(allowed).config.download.ytDlpExtraArgs).toEqual(allowed);
  });
});
