/**
 * The fault suite's rig: the whole service of a role in this process (`startService`, as the CLI runs
 * it), pointed at the Spotify and audio emulators, optionally a Telegram emulator for the bot, on any
 * Redis (the run's shared one with a fresh prefix, or a test's own), plus the checks every fault case
 * ends with: the job ended, nothing is duplicated or half-written, no program is left running, no job is
 * left in a queue.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { expect } from "vitest";
import type { BotTuning } from "../../../src/bots/telegram/index.js";
import { startService, type Service } from "../../../src/commands/service.js";
import { expectedVideoId } from "../../../src/emulators/audio-source/index.js";
import { catalogTrackToTrack } from "../../../src/emulators/spotify/index.js";
import { createConfig } from "../../../src/core/config/load.js";
import type { Config, Role } from "../../../src/core/config/schema.js";
import type { JobView } from "../../../src/core/jobs/job-service.js";
import { QUEUE_COLLECTIONS, QUEUE_TRACKS } from "../../../src/core/jobs/keys.js";
import { dataPaths } from "../../../src/core/jobs/workers.js";
import { createLogger } from "../../../src/core/log.js";
import { createRedis } from "../../../src/core/redis.js";
import { startOfflineStack, type OfflineStack } from "../../../src/emulators/offline-stack.js";
import {
  startTelegramEmulator,
  type EmulatorEvent,
  type TelegramEmulator,
  type TranscriptEntry,
} from "../../../src/emulators/telegram/index.js";
import { projectRoot, tsxLoader } from "../../helpers/cli.js";
import { audioCacheDir } from "../../helpers/pipeline.js";
import { eventually, processesMentioning } from "../../helpers/processes.js";
import { testRedisUrl, uniquePrefix } from "../../helpers/redis.js";

export const botToken = "424242:TEST-fault-token";
export const alice = { id: 2001, firstName: "Alice" };

/** A person's link to a collection of the emulated catalog. */
export function spotifyLink(kind: "album" | "playlist" | "track", id: string): string {
  return `https://open.spotify.com/${kind}/${id}`;
}

/** The wording of every final summary (done, partly done, failed, cancelled) the status message ends as. */
export const summaryRe = /tracks ready|I couldn't collect it|: cancelled \(job/;

export interface RigOptions {
  /** @defaultValue "worker" */
  role?: Role;
  /** @defaultValue the run's shared test redis-server, with a fresh prefix */
  redisUrl?: string;
  /** Config sections merged over the emulator overrides (as if from TOML). */
  config?: Record<string, unknown>;
  /** Use this data directory instead of a fresh temp one (the caller removes it). */
  dataDir?: string;
  /** Start a Telegram emulator (needed for roles bot and all). */
  telegram?: boolean;
  /** Bot tuning merged over the rig's short per-call deadlines (e.g. a lower auto-retry cap). */
  botTuning?: BotTuning;
}

export interface Rig {
  config: Config;
  /** The config data the rig was built from (for worker processes of the same setup). */
  configData: Record<string, unknown>;
  /** Environment with the secrets that go with `configData`. */
  env: Record<string, string>;
  stack: OfflineStack;
  tg?: TelegramEmulator;
  service: Service;
  dataDir: string;
  prefix: string;
  /** Poll the job store until the job is done, failed or cancelled; throws with its stage past the deadline. */
  waitForEnd(jobId: string, timeoutMs: number): Promise<JobView>;
  /** Alice sends `/download link`; resolves with the job id from the bot's status message. */
  requestByChat(link: string): Promise<string>;
  /** Alice's chat's status message of a job (as `requestByChat` saw it sent). */
  statusMessageId(jobId: string): number | undefined;
  /**
   * The bot's final summary for a job in Alice's chat: the job's status message once edited into it (or a
   * message sent with it, for a job whose status message is not in this chat).
   */
  summaryFor(jobId: string, timeoutMs: number): Promise<TranscriptEntry>;
  close(): Promise<void>;
}

/** Plain config data for the rig: emulators, a data dir, a prefix, the HTTP API off. */
export function rigConfigData(
  stack: OfflineStack,
  dataDir: string,
  prefix: string,
  extra: Record<string, unknown> = {},
  tg?: TelegramEmulator,
): Record<string, unknown> {
  const data: Record<string, unknown> = {
    dataDir,
    ...stack.configOverrides,
    redis: { prefix },
    http: { enabled: false },
    logLevel: "warn",
    ...(tg
      ? {
          telegram: {
            apiRoot: tg.apiRoot,
            allowedUserIds: [alice.id],
            editIntervalSeconds: 1,
          },
        }
      : {}),
  };
  for (const [section, values] of Object.entries(extra)) {
    const before = data[section];
    data[section] =
      before !== null && typeof before === "object" && typeof values === "object" && values !== null
        ? { ...before, ...values }
        : values;
  }
  return data;
}

/** Secrets come only from the environment: the emulators' Spotify credentials, Redis, the bot token. */
export function rigEnv(stack: OfflineStack, redisUrl: string): Record<string, string> {
  return { ...stack.env, REDIS_URL: redisUrl, TELEGRAM_BOT_TOKEN: botToken };
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "cdc-fault-"));
  const stack = await startOfflineStack({ cacheDir: audioCacheDir });
  const tg = options.telegram ? await startTelegramEmulator({ token: botToken }) : undefined;
  const prefix = uniquePrefix("f");
  const redisUrl = options.redisUrl ?? testRedisUrl();
  const data = rigConfigData(stack, dataDir, prefix, options.config, tg);
  const env = rigEnv(stack, redisUrl);
  const { config } = createConfig(data, env);
  const logger = createLogger({ level: process.env.CDC_FAULT_LOG ?? "silent" });
  let service: Service;
  try {
    service = await startService({
      config,
      role: options.role ?? "worker",
      logger,
      version: "0.0.0-faults",
      workerOptions: { lockDuration: 3000, stalledInterval: 1000, maxStalledCount: 5 },
      // Short per-call deadlines so a call Telegram never answers costs seconds here, not minutes.
      botTuning: {
        reconcileIntervalMs: 2000,
        stopTimeoutMs: 3000,
        apiCallTimeoutMs: 4000,
        apiUploadTimeoutMs: 8000,
        ...options.botTuning,
      },
    });
  } catch (err) {
    await tg?.close();
    await stack.close();
    throw err;
  }
  const jobs = service.core.jobs;
  const statusMessages = new Map<string, number>();
  const rig: Rig = {
    config,
    configData: data,
    env,
    stack,
    ...(tg ? { tg } : {}),
    service,
    dataDir,
    prefix,
    async waitForEnd(jobId, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last = "unknown";
      for (;;) {
        try {
          const view = await jobs.status(jobId, { userId: 0, isAdmin: true });
          last = view.stage;
          if (view.stage === "done" || view.stage === "failed" || view.stage === "cancelled") return view;
        } catch (err) {
          last = `unreadable (${(err as Error).message})`; // Redis may be down for a moment
        }
        if (Date.now() > deadline) throw new Error(`job ${jobId} stuck: still ${last} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async requestByChat(link) {
      if (!tg) throw new Error("the rig has no Telegram emulator");
      const status = tg.waitFor(
        (e: EmulatorEvent) =>
          e.type === "message-sent" && e.chatId === alice.id && /Job [a-z2-9]{7}/.test(e.entry.text),
        30_000,
      );
      tg.sendText(alice, `/download ${link}`);
      const event = (await status) as Extract<EmulatorEvent, { type: "message-sent" }>;
      const jobId = /Job ([a-z2-9]{7})/.exec(event.entry.text)![1]!;
      statusMessages.set(jobId, event.entry.messageId);
      return jobId;
    },
    statusMessageId: (jobId) => statusMessages.get(jobId),
    async summaryFor(jobId, timeoutMs) {
      if (!tg) throw new Error("the rig has no Telegram emulator");
      const matches = (m: TranscriptEntry) =>
        m.kind === "text" && summaryRe.test(m.text) && m.text.includes(`job ${jobId}`);
      const existing = tg.transcript(alice.id).find(matches);
      if (existing) return existing;
      const event = await tg.waitFor(
        (e: EmulatorEvent) =>
          (e.type === "message-sent" || e.type === "message-edited") &&
          e.chatId === alice.id &&
          matches(e.entry),
        timeoutMs,
      );
      return (event as Extract<EmulatorEvent, { type: "message-sent" | "message-edited" }>).entry;
    },
    async close() {
      await service.shutdown.run("test over");
      await tg?.close();
      await stack.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return rig;
}

const audioExt = /\.(mp3|m4a|flac|opus|ogg)$/i;

/** Every file under `dir`, as paths relative to it. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/**
 * What a person would notice after a fault, checked for one ended job: each collected track exists once
 * in the library (no "(2)" copies, no half-written .part/.tmp files, no audio file nobody asked for), the
 * job's temp folder is gone, no yt-dlp/ffmpeg/redis-server mentions the data dir, and no job of this
 * prefix is left active or waiting.
 */
export async function expectCleanEnd(
  view: JobView,
  config: Config,
  redisUrl: string,
  marker: string = config.dataDir,
): Promise<void> {
  const { libraryDir, tmpDir } = dataPaths(config);
  const files = filesUnder(libraryDir);
  expect(
    files.filter((f) => /\.(part|tmp)$|\.part\b|\.ytdl$/i.test(f)),
    "half-written files",
  ).toEqual([]);
  expect(
    files.filter((f) => / \(\d+\)\.[^.]+$/.test(f)),
    "duplicate copies",
  ).toEqual([]);
  const collected = (view.result?.tracks ?? []).filter(
    (t) => (t.outcome === "done" || t.outcome === "cached") && t.file,
  );
  for (const t of collected) expect(files, `track ${t.index} file`).toContain(t.file);
  const folder = view.result?.folder;
  if (folder !== undefined) {
    const audioInFolder = files.filter((f) => audioExt.test(f) && f.startsWith(folder + path.sep));
    expect(audioInFolder.sort(), "audio files in the collection's folder").toEqual(
      collected.map((t) => t.file!).sort(),
    );
  }
  expect(existsSync(path.join(tmpDir, view.id)), "the job's temp folder").toBe(false);
  const orphansGone = await eventually(() => processesMentioning(marker).length === 0, 10_000, 100);
  expect(orphansGone, `processes left: ${processesMentioning(marker).join("\n")}`).toBe(true);
  await expectQueuesIdle(redisUrl, config.redis.prefix);
}

/** No job of `prefix` is active, waiting, delayed or waiting for children. */
export async function expectQueuesIdle(redisUrl: string, prefix: string): Promise<void> {
  const connection = createRedis({ url: redisUrl }, "client");
  try {
    for (const name of [QUEUE_TRACKS, QUEUE_COLLECTIONS]) {
      const queue = new Queue(name, { connection, prefix });
      const counts = await queue.getJobCounts(
        "active",
        "waiting",
        "delayed",
        "waiting-children",
        "prioritized",
      );
      await queue.close();
      expect(counts, `queue ${name}`).toEqual({
        active: 0,
        waiting: 0,
        delayed: 0,
        "waiting-children": 0,
        prioritized: 0,
      });
    }
  } finally {
    connection.disconnect();
  }
}

/**
 * A worker in its own process with the rig's setup (tests/helpers/worker-process.ts), for cases that
 * kill it. Resolves once its workers run.
 */
export async function spawnWorker(rig: Rig): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", tsxLoader, path.join(projectRoot, "tests/helpers/worker-process.ts")],
    {
      env: {
        ...process.env,
        ...rig.env,
        CDC_TEST_CONFIG: JSON.stringify(rig.configData),
        CDC_TEST_REDIS_URL: rig.config.redis.url,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
  const ready = await eventually(() => out.includes("ready") || child.exitCode !== null, 30_000);
  if (!ready || child.exitCode !== null) {
    child.kill("SIGKILL");
    throw new Error(`worker process did not start: ${err}`);
  }
  return child;
}

/**
 * After a worker died or drained mid-playlist: the tracks that were done before (by index) were not
 * downloaded again, and the person got exactly one summary.
 */
export async function expectResumedWithoutRedoing(
  r: Rig,
  jobId: string,
  playlist: { tracks: readonly Parameters<typeof catalogTrackToTrack>[0][] },
  doneIndexes: readonly number[],
  requestsBefore: Readonly<Record<string, number>>,
): Promise<void> {
  const tracks = playlist.tracks.map((t) => catalogTrackToTrack(t, r.stack.spotify.url));
  for (const index of doneIndexes) {
    const videoId = expectedVideoId(tracks[index]!);
    expect(r.stack.audio.stats.audioRequests[videoId], `track ${index} downloaded again`).toBe(
      requestsBefore[videoId],
    );
  }
  const summary = await r.summaryFor(jobId, 30_000);
  expect(summary.text).toContain(`${tracks.length} of ${tracks.length} tracks ready`);
  await expectToldOnce(r, jobId);
}

/**
 * The person was told how a job ended exactly once: its status message became the summary, and no other
 * message in Alice's chat repeats it (call after `summaryFor`).
 */
export async function expectToldOnce(r: Rig, jobId: string): Promise<TranscriptEntry> {
  const summary = await r.summaryFor(jobId, 1000);
  const statusId = r.statusMessageId(jobId);
  if (statusId !== undefined) expect(summary.messageId, "the summary is the status message").toBe(statusId);
  const telling = r
    .tg!.transcript(alice.id)
    .filter((m) => summaryRe.test(m.text) && m.text.includes(`job ${jobId}`));
  expect(
    telling.map((m) => m.messageId),
    "messages telling how the job ended",
  ).toEqual([summary.messageId]);
  return summary;
}
