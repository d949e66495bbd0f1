import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, checkRole, createConfig, loadConfig } from "../../../src/core/config/load.js";
import { renderConfigDoc } from "../../../src/core/config/config-doc.js";

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split("\n");
    throw err;
  }
  throw new Error("expected a ConfigError");
}

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cdc-config-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe("configuration", () => {
  it("works with no file and no environment, using documented defaults", () => {
    const { config } = createConfig({}, {});
    expect(config.telegram.apiRoot).toBe("https://api.telegram.org");
    expect(config.download.format).toBe("mp3");
    expect(config.jobs.maxQueueDepth).toBe(200);
    expect(path.isAbsolute(config.dataDir)).toBe(true);
  });

  it("requires the bot token for roles that run the bot, and hides a malformed one", () => {
    const { config } = createConfig({}, {});
    expect(checkRole(config, "worker")).toEqual([]);
    const missing = checkRole(config, "all");
    expect(missing[0]?.path).toBe("telegram.token");
    expect(missing[0]?.source).toBe("env TELEGRAM_BOT_TOKEN");
    const bad = createConfig({}, { TELEGRAM_BOT_TOKEN: "not-a-token-but-secret-text" }).config;
    const problem = checkRole(bad, "bot")[0]!;
    expect(problem.given).toBe("(hidden, 27 characters)");
    expect(JSON.stringify(problem)).not.toContain("secret-text");
  });

  it("reports non-numeric user ids with the variable they came from and an example", () => {
    const lines = problemsOf(() => createConfig({}, { TELEGRAM_ALLOWED_USER_IDS: "12345, alice" }));
    expect(lines).toEqual([
      'config: telegram.allowedUserIds.1 (from env TELEGRAM_ALLOWED_USER_IDS): got "alice"; expected a number; example: TELEGRAM_ALLOWED_USER_IDS=123456789,987654321',
    ]);
  });

  it("rejects unknown keys and suggests the likely one", () => {
    const lines = problemsOf(() =>
      createConfig({ telegram: { alowedUserIds: [1] }, jobz: {} }, {}, "file bot.toml"),
    );
    expect(lines).toContain(
      "config: telegram.alowedUserIds (from file bot.toml): got [1]; expected a known key (is it misspelt?); example: telegram.allowedUserIds",
    );
    expect(
      lines.some((l) => l.startsWith("config: jobz (from file bot.toml)") && l.endsWith("example: jobs")),
    ).toBe(true);
  });

  it("reports wrong types with one line per problem", () => {
    const lines = problemsOf(() =>
      createConfig(
        { jobs: { workerConcurrency: "four" }, download: { format: "wav" }, http: { port: 70000 } },
        {},
        "file x.toml",
      ),
    );
    expect(lines).toHaveLength(3);
    expect(lines).toContain(
      'config: jobs.workerConcurrency (from file x.toml): got "four"; expected a number; example: 4',
    );
    expect(lines.join("\n")).toContain(
      'download.format (from file x.toml): got "wav"; expected one of "mp3", "m4a", "opus", "flac"',
    );
    expect(lines.join("\n")).toContain("http.port (from file x.toml): got 70000; expected a number <= 65535");
  });

  it("lets the environment override the file", () => {
    const dir = tempDir({
      "bot.toml": '[telegram]\napiRoot = "http://file.example"\nallowedUserIds = [1]\n',
    });
    const loaded = loadConfig({
      configPath: path.join(dir, "bot.toml"),
      env: { TELEGRAM_API_ROOT: "http://127.0.0.1:9999", TELEGRAM_ALLOWED_USER_IDS: "7,8" },
      dotenvDir: false,
    });
    expect(loaded.config.telegram.apiRoot).toBe("http://127.0.0.1:9999");
    expect(loaded.config.telegram.allowedUserIds).toEqual([7, 8]);
    expect(loaded.fromEnv["telegram.apiRoot"]).toBe("TELEGRAM_API_ROOT");
  });

  it("reads .env below the real environment", () => {
    const dir = tempDir({ ".env": "ADMIN_TOKEN=from-dotenv\nDATA_DIR=/tmp/from-dotenv\n" });
    const loaded = loadConfig({ cwd: dir, env: { DATA_DIR: "/tmp/from-env" } });
    expect(loaded.config.http.adminToken).toBe("from-dotenv");
    expect(loaded.config.dataDir).toBe("/tmp/from-env");
  });

  it("refuses secrets written in the file without echoing them", () => {
    const lines = problemsOf(() =>
      createConfig({ telegram: { token: "123:SECRETSECRETSECRETSECRET" } }, {}, "file bot.toml"),
    );
    expect(lines[0]).toContain("telegram.token (from file bot.toml): got a secret in the file");
    expect(lines[0]).toContain("TELEGRAM_BOT_TOKEN");
    expect(lines.join("\n")).not.toContain("SECRETSECRET");
  });

  it("points at the line of a TOML syntax error and at a missing --config file", () => {
    const dir = tempDir({ "bad.toml": "[telegram]\napiRoot = \n" });
    const syntax = problemsOf(() =>
      loadConfig({ configPath: path.join(dir, "bad.toml"), env: {}, dotenvDir: false }),
    );
    expect(syntax[0]).toMatch(
      /^config: \(syntax\) \(from file .*bad\.toml:2:\d+\): got text that is not valid TOML/,
    );
    const missing = problemsOf(() =>
      loadConfig({ configPath: path.join(dir, "nope.toml"), env: {}, dotenvDir: false }),
    );
    expect(missing[0]).toContain("expected an existing, readable TOML file");
  });

  it("ships a config/bot.toml that documents every option and parses to the defaults", () => {
    const file = readFileSync(new URL("../../../config/bot.toml", import.meta.url), "utf8");
    expect(file, "config/bot.toml is out of date: run npm run config:doc").toBe(renderConfigDoc());
    const fromFile = loadConfig({
      configPath: new URL("../../../config/bot.toml", import.meta.url).pathname,
      env: {},
      dotenvDir: false,
    });
    expect(fromFile.config).toEqual(createConfig({}, {}).config);
  });
});
