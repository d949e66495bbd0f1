/**
 * SIGTERM to the real `cd-collector start --role worker` in the middle of a slow playlist: the process
 * exits within shutdownDeadlineSeconds (+1 s), its running tracks either finished or went back to the
 * queue, and a worker started afterwards completes the job without redoing finished tracks.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { dataPaths } from "../../../src/core/jobs/workers.js";
import { sprintPlaylist } from "../../../src/emulators/spotify/index.js";
import { projectRoot, tsxLoader } from "../../helpers/cli.js";
import { eventually, processesMentioning } from "../../helpers/processes.js";
import { toToml } from "../../helpers/toml.js";
import {
  expectCleanEnd,
  expectResumedWithoutRedoing,
  spawnWorker,
  spotifyLink,
  startRig,
  type Rig,
} from "./fault-rig.js";

const deadlineSeconds = 5;

describe("SIGTERM during a running playlist", () => {
  let rig: Rig | undefined;
  let configDir: string | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    children.length = 0;
    await rig?.close();
    rig = undefined;
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  it("the worker exits within the deadline; the job completes on the next worker", async () => {
    rig = await startRig({
      role: "bot",
      telegram: true,
      config: { jobs: { workerConcurrency: 2, maxActiveDownloads: 2, backoffSeconds: 1 } },
    });
    const r = rig;
    // The config lives outside the data dir, so `ps` lines of the CLI do not count as leftovers.
    configDir = mkdtempSync(path.join(os.tmpdir(), "cdc-fault-cfg-"));
    const configFile = path.join(configDir, "worker.toml");
    writeFileSync(configFile, toToml({ ...r.configData, shutdownDeadlineSeconds: deadlineSeconds }));
    const worker = spawn(
      process.execPath,
      [
        "--import",
        tsxLoader,
        path.join(projectRoot, "src/cli.ts"),
        "start",
        "--role",
        "worker",
        "--config",
        configFile,
      ],
      {
        cwd: configDir,
        env: { PATH: process.env.PATH ?? "", HOME: configDir, ...r.env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    children.push(worker);
    let log = "";
    worker.stdout.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-20_000)));
    worker.stderr.on("data", (c: Buffer) => (log = (log + c.toString()).slice(-20_000)));
    const exited = once(worker, "exit") as Promise<[number | null, NodeJS.Signals | null]>;

    // About 3-8 s per track: some finish, two are always running when the signal comes.
    r.stack.audio.control.slowAudio(400, 8192);
    const jobId = await r.requestByChat(spotifyLink("playlist", sprintPlaylist.id));
    const actor = { userId: 0, isAdmin: true };
    expect(
      await eventually(async () => (await r.service.core.jobs.status(jobId, actor)).done >= 2, 90_000, 100),
      log,
    ).toBe(true);
    const jobTmp = path.join(dataPaths(r.config).tmpDir, jobId);
    expect(processesMentioning(jobTmp).length, "tracks running at SIGTERM").toBeGreaterThan(0);
    const requestsBefore = { ...r.stack.audio.stats.audioRequests };
    const doneBefore = (await r.service.core.jobs.status(jobId, actor)).done;
    const progress = await r.service.core.connect("client").hgetall(`${r.prefix}:x:tp:${jobId}`);
    const doneIndexes = Object.entries(progress)
      .filter(([k, v]) => !k.startsWith("_") && /"s":"done"/.test(v))
      .map(([k]) => Number(k));
    expect(doneIndexes.length).toBeGreaterThanOrEqual(2);

    const signalled = Date.now();
    worker.kill("SIGTERM");
    const [code, signal] = await exited;
    const tookMs = Date.now() - signalled;
    if (process.env.CDC_FAULT_LOG)
      console.log({ tookMs, requeued: log.includes("requeueing running tracks") });
    expect(tookMs, log).toBeLessThanOrEqual((deadlineSeconds + 1) * 1000);
    expect({ code, signal }, log).toEqual({ code: 0, signal: null });
    expect(await eventually(() => processesMentioning(jobTmp).length === 0, 5_000)).toBe(true);
    // Nothing failed because of the shutdown: the running tracks went back to the queue (or finished).
    const mid = await r.service.core.jobs.status(jobId, actor);
    expect(mid.stage).toBe("downloading");
    expect(mid.failed).toBe(0);
    expect(mid.done).toBeGreaterThanOrEqual(doneBefore);

    r.stack.audio.control.slowAudio(0);
    const next = await spawnWorker(r);
    children.push(next);
    const end = await r.waitForEnd(jobId, 120_000);
    expect(end.stage).toBe("done");
    expect(end.result!.tracks.every((t) => t.outcome === "done")).toBe(true);
    await expectResumedWithoutRedoing(r, jobId, sprintPlaylist, doneIndexes, requestsBefore);

    next.kill("SIGTERM");
    await once(next, "exit");
    await expectCleanEnd(end, r.config, r.config.redis.url);
  }, 240_000);
});
