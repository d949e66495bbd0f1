/**
 * The roles on separate machines, as an operator spreads them: `cd-collector start --role bot`, two
 * `--role worker` and a `--role burner`, each with its OWN data directory (no shared disk), sharing only
 * one Redis. The bot still sends the album's tracks as audio, the summary's link downloads the zip, and
 * the burner simulates the disc: every file crosses machines over the workers' signed peer route.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Role } from "../../src/core/config/schema.js";
import { freePort } from "../../src/core/free-port.js";
import { startOfflineStack, type OfflineStack } from "../../src/emulators/offline-stack.js";
import { shortSingle } from "../../src/emulators/spotify/index.js";
import { startTelegramEmulator, type TelegramEmulator } from "../../src/emulators/telegram/index.js";
import { projectRoot, tsxLoader } from "../helpers/cli.js";
import { audioCacheDir } from "../helpers/pipeline.js";
import { eventually } from "../helpers/processes.js";
import { testRedisUrl, uniquePrefix } from "../helpers/redis.js";
import { toToml } from "../helpers/toml.js";

const botToken = "515151:TEST-separate-machines-token";
const ADMIN = "admin-token-for-the-separate-machines-test";
const person = { id: 3101, firstName: "Olga" };
const fakeCdrdao = path.join(projectRoot, "scripts/fake-cdrdao.mjs");

interface Machine {
  role: Role;
  dir: string;
  port: number;
  child: ChildProcess;
  log: () => string;
}

/** Files under `dir` (relative), recursively. */
function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
  } catch {
    return [];
  }
}

describe("roles on separate machines, sharing only Redis", () => {
  let stack: OfflineStack | undefined;
  let tg: TelegramEmulator | undefined;
  const machines: Machine[] = [];

  afterAll(async () => {
    await Promise.all(
      machines.map(async (m) => {
        if (m.child.exitCode !== null || m.child.signalCode !== null) return;
        m.child.kill("SIGTERM");
        const stopped = await Promise.race([
          once(m.child, "exit").then(() => true),
          new Promise((r) => setTimeout(() => r(false), 8000)),
        ]);
        if (!stopped) m.child.kill("SIGKILL");
      }),
    );
    await tg?.close();
    await stack?.close();
    for (const m of machines) rmSync(m.dir, { recursive: true, force: true });
  });

  it("an album collected by two workers on other disks reaches the chat as audio, its link downloads the zip, and the burner simulates the disc", async () => {
    [stack, tg] = await Promise.all([
      startOfflineStack({ cacheDir: audioCacheDir }),
      startTelegramEmulator({ token: botToken }),
    ]);
    const prefix = uniquePrefix("machines");

    const start = async (role: Role): Promise<Machine> => {
      const dir = mkdtempSync(path.join(os.tmpdir(), `cdc-machine-${role}-`));
      const port = await freePort();
      const data: Record<string, unknown> = {
        ...stack!.configOverrides,
        dataDir: path.join(dir, "data"),
        logLevel: "info",
        shutdownDeadlineSeconds: 5,
        redis: { prefix },
        // Each machine's holder URL is derived from where it listens: nothing to set up.
        http: {
          host: "127.0.0.1",
          port,
          ...(role === "bot" ? { publicBaseUrl: `http://127.0.0.1:${port}` } : {}),
        },
        jobs: { workerConcurrency: 1 },
        telegram: { apiRoot: tg!.apiRoot, allowedUserIds: [person.id], editIntervalSeconds: 1 },
        burn: { cdrdaoPath: fakeCdrdao },
      };
      const configFile = path.join(dir, `${role}.toml`);
      writeFileSync(configFile, toToml(data));
      const child = spawn(
        process.execPath,
        [
          "--import",
          tsxLoader,
          path.join(projectRoot, "src/cli.ts"),
          "start",
          "--role",
          role,
          "--config",
          configFile,
        ],
        {
          cwd: dir,
          env: {
            PATH: process.env.PATH ?? "",
            HOME: dir,
            ...stack!.env,
            REDIS_URL: testRedisUrl(),
            TELEGRAM_BOT_TOKEN: botToken,
            ADMIN_TOKEN: ADMIN,
            FAKE_CDRDAO_DELAY_MS: "0",
          },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let log = "";
      child.stdout.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-30_000)));
      child.stderr.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-30_000)));
      const machine = { role, dir, port, child, log: () => log };
      machines.push(machine);
      return machine;
    };
    const [bot, workerA, workerB, burner] = (await Promise.all(
      (["bot", "worker", "worker", "burner"] as const).map((role) => start(role)),
    )) as [Machine, Machine, Machine, Machine];
    const logs = () => machines.map((m) => `--- ${m.role} :${m.port}\n${m.log().slice(-4000)}`).join("\n");
    for (const m of machines) {
      expect(
        await eventually(() => m.log().includes("cd-collector started") || m.child.exitCode !== null, 30_000),
        logs(),
      ).toBe(true);
      expect(m.child.exitCode, logs()).toBeNull();
    }

    // Two tracks at a time across the two workers: each takes one.
    stack.audio.control.slowAudio(40, 32_768);
    tg.person(person).sendText(`/download https://open.spotify.com/album/${shortSingle.id}`);
    const summary = await tg
      .waitForMessage(person.id, /tracks ready[\s\S]*\/files\//, 25_000)
      .catch((err: unknown) => {
        throw new Error(`no summary with a link: ${String(err)}\n${logs()}`);
      });
    expect(
      await eventually(
        () => tg!.transcript(person.id).filter((m) => m.audio).length === shortSingle.tracks.length,
        15_000,
      ),
      logs(),
    ).toBe(true);
    // The bot's own disk has the tracks only because it fetched them; the workers' libraries hold them.
    const libraryFiles = (m: Machine) =>
      filesUnder(path.join(m.dir, "data", "library")).filter((f) => f.endsWith(".mp3"));
    expect(libraryFiles(workerA).length + libraryFiles(workerB).length).toBeGreaterThanOrEqual(
      shortSingle.tracks.length,
    );

    const link = /http:\/\/127\.0\.0\.1:\d+\/files\/\S+/.exec(summary.text)?.[0];
    expect(link).toBeDefined();
    expect(new URL(link!).port).toBe(String(bot.port));
    const download = await fetch(link!);
    expect(download.status, logs()).toBe(200);
    expect(download.headers.get("content-type")).toBe("application/zip");
    const zip = Buffer.from(await download.arrayBuffer());
    expect(zip.subarray(0, 4).toString("binary")).toBe("PK\x03\x04");
    expect(zip.length).toBeGreaterThan(10_000);
    // No package on the bot's disk: it passed the holder's through.
    expect(filesUnder(path.join(bot.dir, "data", "packages"))).toEqual([]);

    // The status message, now the summary, names the job.
    const jobId = /\(job ([a-z2-9]{7})\)/.exec(summary.text)?.[1];
    expect(jobId).toBeDefined();
    const admin = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };
    const queued = await fetch(`http://127.0.0.1:${bot.port}/admin/burn`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ jobId, simulate: true }),
    });
    expect(queued.status, await queued.clone().text()).toBe(202);
    const { burnId, plan } = (await queued.json()) as {
      burnId: string;
      plan: { discs: { tracks: unknown[] }[] };
    };
    expect(plan.discs[0]?.tracks).toHaveLength(shortSingle.tracks.length);
    let last: { state?: string; stage?: string; error?: string } = {};
    const ended = await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${bot.port}/admin/burn/${burnId}`, { headers: admin });
      last = (await res.json()) as typeof last;
      return last.state === "completed" || last.state === "failed";
    }, 20_000);
    expect(ended, logs()).toBe(true);
    expect(last, logs()).toMatchObject({ state: "completed", stage: "done" });
    expect(libraryFiles(burner)).toHaveLength(shortSingle.tracks.length);
    // What crossed to the burner is the album as finished: each copy carries the album gain written in
    // place after the tracks were sent (the files grew by their new tags).
    for (const file of libraryFiles(burner)) {
      const tags = execFileSync("ffprobe", [
        "-v",
        "error",
        "-show_entries",
        "format_tags",
        "-of",
        "json",
        path.join(burner.dir, "data", "library", file),
      ]).toString();
      expect(tags, file).toMatch(/REPLAYGAIN_ALBUM_GAIN/i);
    }
  }, 60_000);
});
