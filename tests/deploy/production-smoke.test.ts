/**
 * The production path as an operator runs it: `npm run build`, a production-only install in a temp dir,
 * `node dist/cli.js start --role all` (embedded Redis) against the emulators; /healthz and /readyz answer
 * 200, a download through the bot completes, and SIGTERM ends it cleanly within the deadline.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/core/free-port.js";
import { runProcess } from "../../src/core/process-runner.js";
import { startOfflineStack, type OfflineStack } from "../../src/emulators/offline-stack.js";
import { demoAlbum } from "../../src/emulators/spotify/index.js";
import { startTelegramEmulator, type TelegramEmulator } from "../../src/emulators/telegram/index.js";
import { projectRoot } from "../helpers/cli.js";
import { audioCacheDir } from "../helpers/pipeline.js";
import { eventually, processesMentioning } from "../helpers/processes.js";
import { toToml } from "../helpers/toml.js";

const TOKEN = "900000009:production-smoke-test-token";
const PERSON = { id: 5150, firstName: "Operator" };
const DEADLINE_SECONDS = 10;

describe("production build, installed with production dependencies only", () => {
  let dir: string;
  let stack: OfflineStack;
  let tg: TelegramEmulator;
  let child: ChildProcess | undefined;
  let output = "";

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cdc-prod-"));
    await runProcess("npm", ["run", "build"], { cwd: projectRoot, timeoutMs: 180_000 });
    for (const f of ["package.json", "package-lock.json"])
      cpSync(path.join(projectRoot, f), path.join(dir, f));
    cpSync(path.join(projectRoot, "dist"), path.join(dir, "dist"), { recursive: true });
    cpSync(path.join(projectRoot, "config"), path.join(dir, "config"), { recursive: true });
    await runProcess("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", "--ignore-scripts"], {
      cwd: dir,
      timeoutMs: 300_000,
    });
    stack = await startOfflineStack({ cacheDir: audioCacheDir });
    tg = await startTelegramEmulator({ token: TOKEN });
  }, 480_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await tg?.close();
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("has no dev dependencies installed", async () => {
    const { stdout } = await runProcess("npm", ["ls", "--omit=dev", "--depth=0", "--json"], {
      cwd: dir,
      okExitCodes: [0, 1],
    });
    const names = Object.keys(
      (JSON.parse(stdout) as { dependencies?: Record<string, unknown> }).dependencies ?? {},
    );
    expect(names).toContain("grammy");
    for (const dev of ["vitest", "typescript", "tsx", "eslint"]) expect(names).not.toContain(dev);
  });

  it("starts, answers health checks, collects an album through the bot, and stops on SIGTERM in time", async () => {
    const port = await freePort();
    const config = {
      ...stack.configOverrides,
      shutdownDeadlineSeconds: DEADLINE_SECONDS,
      logLevel: "info",
      telegram: { apiRoot: tg.apiRoot, allowedUserIds: [PERSON.id], editIntervalSeconds: 1 },
      http: { port, publicBaseUrl: `http://127.0.0.1:${port}` },
    };
    writeFileSync(path.join(dir, "smoke.toml"), toToml(config));
    child = spawn(process.execPath, ["dist/cli.js", "start", "--role", "all", "--config", "smoke.toml"], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        DATA_DIR: path.join(dir, "data"),
        TELEGRAM_BOT_TOKEN: TOKEN,
        ...stack.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    const base = `http://127.0.0.1:${port}`;
    const ok = async (p: string) => (await fetch(`${base}${p}`).catch(() => undefined))?.status === 200;
    expect(await eventually(() => ok("/healthz"), 60_000, 250), output).toBe(true);
    expect(await eventually(() => ok("/readyz"), 30_000, 250), output).toBe(true);
    const health = (await (await fetch(`${base}/healthz`)).json()) as { version: string };
    expect(health.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(output).toContain('"msg":"cd-collector started"');

    tg.person(PERSON).sendText(`/download https://open.spotify.com/album/${demoAlbum.id}`);
    // The summary (not the final state of the status message) carries the download link.
    const summary = await tg
      .waitForMessage(PERSON.id, /5 of 5 tracks[\s\S]*\/files\//, 180_000)
      .catch((err: unknown) => {
        const chat = tg.transcript(PERSON.id).map((m) => m.text);
        throw new Error(
          `no summary with a link: ${String(err)}\nchat: ${JSON.stringify(chat)}\nlog: ${output.slice(-3000)}`,
        );
      });
    expect(summary.text).toContain(demoAlbum.name);
    const link = /http:\/\/127\.0\.0\.1:\d+\/files\/\S+/.exec(summary.text)?.[0];
    expect(link).toBeDefined();
    expect((await fetch(link!)).status).toBe(200);
    expect(await eventually(() => tg.transcript(PERSON.id).filter((m) => m.audio).length === 5, 60_000)).toBe(
      true,
    );

    const stoppedAt = Date.now();
    child.kill("SIGTERM");
    const exited = once(child, "exit") as Promise<[number | null]>;
    const timeout = new Promise<"timeout">((r) =>
      setTimeout(() => r("timeout"), (DEADLINE_SECONDS + 10) * 1000),
    );
    const outcome = await Promise.race([exited, timeout]);
    expect(outcome, `did not exit after SIGTERM; log:\n${output.slice(-4000)}`).not.toBe("timeout");
    const [code] = await exited;
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan((DEADLINE_SECONDS + 2) * 1000);
    expect(output).toContain("shutdown finished");
    expect(processesMentioning(path.join(dir, "data"))).toEqual([]);
  }, 300_000);
});
