/**
 * The real `cd-collector start --role all` on its embedded Redis, killed with SIGKILL in the middle of a
 * playlist: its redis-server and its yt-dlp/ffmpeg die with it (no 173 MB transcode growing on in the
 * library), and the restarted service runs one redis-server on the data, not a second one on the same
 * append-only file. Then SIGTERM with downloads running: it exits cleanly within the deadline and leaves
 * no partial file.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { dataPaths } from "../../../src/core/config/data-paths.js";
import { createConfig } from "../../../src/core/config/load.js";
import { redisServersOn } from "../../../src/core/redis-server.js";
import { startOfflineStack, type OfflineStack } from "../../../src/emulators/offline-stack.js";
import { sprintPlaylist } from "../../../src/emulators/spotify/index.js";
import {
  startTelegramEmulator,
  type EmulatorEvent,
  type TelegramEmulator,
} from "../../../src/emulators/telegram/index.js";
import { projectRoot, tsxLoader } from "../../helpers/cli.js";
import { audioCacheDir } from "../../helpers/pipeline.js";
import { eventually, processesMentioning } from "../../helpers/processes.js";
import { toToml } from "../../helpers/toml.js";
import { alice, filesUnder, rigConfigData, spotifyLink } from "./fault-rig.js";

const botToken = "424242:TEST-service-kill-token";

const deadlineSeconds = 4;

interface Running {
  child: ChildProcess;
  log: () => string;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

describe("the service killed or stopped mid-download, on its embedded Redis", () => {
  let stack: OfflineStack | undefined;
  let tg: TelegramEmulator | undefined;
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await tg?.close();
    await stack?.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("SIGKILL of `start --role all` mid-download: no redis-server or ffmpeg/yt-dlp left alive 5 s later, and a restart uses one redis-server; SIGTERM then drains cleanly", async () => {
    stack = await startOfflineStack({ cacheDir: audioCacheDir });
    tg = await startTelegramEmulator({ token: botToken });
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "cdc-kill-"));
    // The config lives outside the data dir, so `ps` lines of the CLI do not count as leftovers.
    const configDir = mkdtempSync(path.join(os.tmpdir(), "cdc-kill-cfg-"));
    dirs.push(dataDir, configDir);
    const data = rigConfigData(
      stack,
      dataDir,
      "kill",
      // Two tracks run per worker; room for two more, so the restarted worker runs tracks at once
      // while the killed one's still count as active until BullMQ sees them stalled.
      { jobs: { workerConcurrency: 2, maxActiveDownloads: 4 }, shutdownDeadlineSeconds: deadlineSeconds },
      tg,
    );
    data.logLevel = "info";
    const configFile = path.join(configDir, "all.toml");
    writeFileSync(configFile, toToml(data));
    const { config } = createConfig(data, {});
    const { redisDir, tmpDir } = dataPaths(config);

    const start = async (): Promise<Running> => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          tsxLoader,
          path.join(projectRoot, "src/cli.ts"),
          "start",
          "--role",
          "all",
          "--config",
          configFile,
        ],
        {
          cwd: configDir,
          // No REDIS_URL: the service starts its own redis-server under the data directory.
          env: { PATH: process.env.PATH ?? "", HOME: configDir, ...stack!.env, TELEGRAM_BOT_TOKEN: botToken },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      children.push(child);
      let log = "";
      child.stdout.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-40_000)));
      child.stderr.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-40_000)));
      const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
      expect(
        await eventually(() => log.includes("cd-collector started") || child.exitCode !== null, 30_000),
        log,
      ).toBe(true);
      expect(child.exitCode, log).toBeNull();
      return { child, log: () => log, exited };
    };
    const downloading = () => processesMentioning(tmpDir).some((l) => /yt-dlp|ffmpeg/.test(l));

    // About 3-8 s per track: two are always running when the signal comes.
    stack.audio.control.slowAudio(400, 8192);
    const first = await start();
    const status = tg.waitFor(
      (e: EmulatorEvent) =>
        e.type === "message-sent" && e.chatId === alice.id && /Job [a-z2-9]{7}/.test(e.entry.text),
      30_000,
    );
    tg.sendText(alice, `/download ${spotifyLink("playlist", sprintPlaylist.id)}`);
    await status;
    expect(await eventually(downloading, 30_000, 100), first.log()).toBe(true);
    const [firstRedis] = redisServersOn(redisDir);
    expect(firstRedis).toBeDefined();

    first.child.kill("SIGKILL");
    await first.exited;
    const gone = await eventually(() => processesMentioning(dataDir).length === 0, 5_000, 100);
    expect(gone, `left alive: ${processesMentioning(dataDir).join("\n")}`).toBe(true);
    expect(redisServersOn(redisDir)).toEqual([]);

    const second = await start();
    const servers = redisServersOn(redisDir);
    expect(servers).toHaveLength(1);
    expect(servers[0]).not.toBe(firstRedis);

    // The restarted service takes the waiting tracks; SIGTERM while they download.
    expect(await eventually(downloading, 30_000, 100), second.log()).toBe(true);
    const signalled = Date.now();
    second.child.kill("SIGTERM");
    const [code, signal] = await second.exited;
    expect(Date.now() - signalled, second.log()).toBeLessThanOrEqual((deadlineSeconds + 1) * 1000);
    expect({ code, signal }, second.log()).toEqual({ code: 0, signal: null });
    expect(processesMentioning(dataDir)).toEqual([]);
    expect(
      filesUnder(dataDir).filter((f) => /\.part\b|\.ytdl$|\.ytdlp-/.test(f)),
      "partial files",
    ).toEqual([]);
  }, 120_000);
});
