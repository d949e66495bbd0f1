import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startTelegramEmulator } from "../src/emulators/telegram/index.js";
import { cli } from "./helpers/cli.js";
import { testRedisUrl, uniquePrefix } from "./helpers/redis.js";

describe("cd-collector command line", () => {
  it("prints its version", async () => {
    const { code, stdout } = await cli(["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^cd-collector \d+\.\d+\.\d+$/);
  });

  it("exits 2 with one readable line per config problem and no stack trace", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cdc-cli-"));
    writeFileSync(path.join(dir, "bot.toml"), '[jobs]\nworkerConcurency = 4\n[download]\nformat = "wav"\n');
    const { code, stdout, stderr } = await cli(["doctor", "--config", "bot.toml"], {
      env: { TELEGRAM_ALLOWED_USER_IDS: "42,bob", ADMIN_TOKEN: "topsecret-admin" },
      cwd: dir,
    });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(stderr).toContain(
      'config: telegram.allowedUserIds.1 (from env TELEGRAM_ALLOWED_USER_IDS): got "bob"',
    );
    expect(stderr).toContain("config: jobs.workerConcurency (from file bot.toml)");
    expect(stderr).toContain("example: jobs.workerConcurrency");
    expect(stderr).toContain("config: download.format (from file bot.toml)");
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr).not.toContain("topsecret-admin");
  });

  it("rejects unknown commands and options with usage", async () => {
    const unknown = await cli(["dance"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "dance"');
    const badRole = await cli(["doctor", "--role", "chef"]);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain("--role must be one of bot, worker, burner, all");
  });

  it("a revoked or mistyped bot token is one line saying to get the current one from @BotFather", async () => {
    const tg = await startTelegramEmulator({ token: "123456789:the-token-BotFather-really-gave" });
    try {
      const dir = mkdtempSync(path.join(os.tmpdir(), "cdc-cli-"));
      writeFileSync(path.join(dir, "bot.toml"), `[redis]\nprefix = "${uniquePrefix("badtoken")}"\n`);
      const { code, stdout, stderr } = await cli(["start", "--role", "bot", "--config", "bot.toml"], {
        cwd: dir,
        env: {
          TELEGRAM_BOT_TOKEN: "123456789:an-old-token-that-was-revoked-long-ago",
          TELEGRAM_API_ROOT: tg.apiRoot,
          REDIS_URL: testRedisUrl(),
          HTTP_PORT: "0",
        },
        timeoutMs: 30_000,
      });
      expect(code).toBe(1);
      const lines = stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/Telegram refuses the bot token .*@BotFather/);
      expect(stderr + stdout).not.toContain("an-old-token-that-was-revoked");
    } finally {
      await tg.close();
    }
  });
});
