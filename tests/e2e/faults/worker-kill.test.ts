/**
 * A worker process killed with SIGKILL in the middle of a playlist, then a new one started: the job
 * finishes without downloading finished tracks again, the person gets one summary, and nothing of the
 * killed worker is left behind (processes, half-written files, jobs).
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { dataPaths } from "../../../src/core/jobs/workers.js";
import { sprintPlaylist } from "../../../src/emulators/spotify/index.js";
import { eventually, processesMentioning } from "../../helpers/processes.js";
import {
  expectCleanEnd,
  expectResumedWithoutRedoing,
  spawnWorker,
  spotifyLink,
  startRig,
  type Rig,
} from "./fault-rig.js";

describe("a worker killed with SIGKILL mid-playlist", () => {
  let rig: Rig | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    children.length = 0;
    await rig?.close();
    rig = undefined;
  });

  it("is restarted; the job ends done, told once, nothing downloaded twice, nothing left over", async () => {
    rig = await startRig({
      role: "bot",
      telegram: true,
      config: { jobs: { workerConcurrency: 2, maxActiveDownloads: 2, backoffSeconds: 1 } },
    });
    const r = rig;
    r.stack.audio.control.slowAudio(60, 8192);
    const first = await spawnWorker(r);
    children.push(first);
    const jobId = await r.requestByChat(spotifyLink("playlist", sprintPlaylist.id));
    const actor = { userId: 0, isAdmin: true };
    expect(
      await eventually(async () => (await r.service.core.jobs.status(jobId, actor)).done >= 4, 90_000, 100),
    ).toBe(true);
    const progress = await r.service.core.connect("client").hgetall(`${r.prefix}:x:tp:${jobId}`);
    const doneIndexes = Object.entries(progress)
      .filter(([k, v]) => !k.startsWith("_") && /"s":"done"/.test(v))
      .map(([k]) => Number(k));
    expect(doneIndexes.length).toBeGreaterThanOrEqual(4);
    const requestsBefore = { ...r.stack.audio.stats.audioRequests };

    first.kill("SIGKILL");
    await once(first, "exit");
    // Its yt-dlp/ffmpeg die with it instead of lingering.
    const jobTmp = path.join(dataPaths(r.config).tmpDir, jobId);
    expect(await eventually(() => processesMentioning(jobTmp).length === 0, 10_000)).toBe(true);

    r.stack.audio.control.slowAudio(0);
    const second = await spawnWorker(r);
    children.push(second);
    const end = await r.waitForEnd(jobId, 120_000);
    expect(end.stage).toBe("done");
    expect(end.result!.tracks).toHaveLength(sprintPlaylist.tracks.length);
    expect(end.result!.tracks.every((t) => t.outcome === "done" || t.outcome === "cached")).toBe(true);
    await expectResumedWithoutRedoing(r, jobId, sprintPlaylist, doneIndexes, requestsBefore);

    second.kill("SIGTERM");
    await once(second, "exit");
    await expectCleanEnd(end, r.config, r.config.redis.url);
  }, 240_000);
});
