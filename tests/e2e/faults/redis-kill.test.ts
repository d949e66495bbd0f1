/**
 * Redis killed with SIGKILL in the middle of a playlist and started again on the same port and
 * directory (the AOF replays). The bot and the workers run in this process on that Redis and are not
 * restarted: they reconnect by themselves and the job ends, with one summary in the chat.
 *
 * This test owns its redis-server (AOF on, appendfsync everysec); the run's shared one is never touched.
 * With everysec up to about one second of writes may be lost in the kill; the pipeline must still end
 * the job (a lost "track finished" is redone, never waited for forever).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startEmbeddedRedis, type EmbeddedRedis } from "../../../src/core/redis-server.js";
import { sprintPlaylist } from "../../../src/emulators/spotify/index.js";
import { eventually, processesMentioning } from "../../helpers/processes.js";
import { expectCleanEnd, expectToldOnce, spotifyLink, startRig, type Rig } from "./fault-rig.js";

describe("Redis killed mid-job and restarted (AOF)", () => {
  let rig: Rig | undefined;
  let redis: EmbeddedRedis | undefined;
  let redisDir: string | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
    await redis?.stop();
    redis = undefined;
    if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  });

  it("bot and workers reconnect by themselves and the job ends, told once", async () => {
    redisDir = mkdtempSync(path.join(os.tmpdir(), "cdc-fault-redis-"));
    redis = await startEmbeddedRedis({ dir: redisDir, port: 0, appendOnly: true });
    const port = Number(new URL(redis.url).port);
    rig = await startRig({
      role: "all",
      telegram: true,
      redisUrl: redis.url,
      config: { jobs: { workerConcurrency: 2, maxActiveDownloads: 2, backoffSeconds: 1 } },
    });
    const r = rig;
    r.stack.audio.control.slowAudio(60, 8192);
    const jobId = await r.requestByChat(spotifyLink("playlist", sprintPlaylist.id));
    const actor = { userId: 0, isAdmin: true };
    expect(
      await eventually(async () => (await r.service.core.jobs.status(jobId, actor)).done >= 4, 90_000, 100),
    ).toBe(true);

    const killed = redis.pid;
    process.kill(killed, "SIGKILL");
    expect(await eventually(() => processesMentioning(redisDir!).length === 0, 5_000)).toBe(true);
    // Down for a few seconds while tracks are running: their writes fail and are retried.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    r.stack.audio.control.slowAudio(0);
    redis = await startEmbeddedRedis({ dir: redisDir, port, appendOnly: true });
    expect(redis.pid).not.toBe(killed);

    const end = await r.waitForEnd(jobId, 120_000);
    expect(end.stage).toBe("done");
    expect(end.result!.tracks).toHaveLength(sprintPlaylist.tracks.length);
    expect(end.result!.tracks.every((t) => t.outcome === "done" || t.outcome === "cached")).toBe(true);
    // Nothing was restarted: the same workers and bot are still running.
    expect(r.service.workers!.running()).toBe(true);
    const summary = await r.summaryFor(jobId, 60_000);
    expect(summary.text).toContain("20 of 20 tracks ready");
    await expectToldOnce(r, jobId);
    await expectCleanEnd(end, r.config, redis.url);

    await rig.close();
    rig = undefined;
    await redis.stop();
    expect(processesMentioning(redisDir)).toEqual([]);
  }, 240_000);
});
