import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { expectedVideoId } from "../../../src/emulators/audio-source/index.js";
import { catalogTrackToTrack, sprintPlaylist } from "../../../src/emulators/spotify/index.js";
import { dataPaths } from "../../../src/core/jobs/workers.js";
import { projectRoot, tsxLoader } from "../../helpers/cli.js";
import { createTestPipeline, type TestPipeline } from "../../helpers/pipeline.js";
import { eventually, processesMentioning } from "../../helpers/processes.js";
import { testRedisUrl } from "../../helpers/redis.js";

async function startWorkerProcess(
  p: TestPipeline,
  configData: Record<string, unknown>,
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", tsxLoader, path.join(projectRoot, "tests/helpers/worker-process.ts")],
    {
      env: {
        ...process.env,
        ...p.stack.env,
        CDC_TEST_CONFIG: JSON.stringify(configData),
        CDC_TEST_REDIS_URL: testRedisUrl(),
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  expect(await eventually(() => out.includes("ready"), 30_000)).toBe(true);
  return child;
}

describe("a worker killed with SIGKILL mid-playlist", () => {
  let p: TestPipeline | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await p?.close();
  });

  it("is replaced by a new worker that finishes without downloading finished tracks again", async () => {
    p = await createTestPipeline();
    const configData = {
      dataDir: p.dataDir,
      ...p.stack.configOverrides,
      redis: { prefix: p.config.redis.prefix },
      jobs: { workerConcurrency: 2, maxActiveDownloads: 2 },
    };
    const ref = {
      kind: "playlist" as const,
      id: sprintPlaylist.id,
      uri: `spotify:playlist:${sprintPlaylist.id}`,
    };
    p.stack.audio.control.slowAudio(60, 8192);
    const first = await startWorkerProcess(p, configData);
    children.push(first);
    const { job } = await p.jobs.submit({ owner: { userId: 5, chatId: 5 }, ref });
    // Let a few tracks finish, then kill the worker in the middle of others.
    expect(
      await eventually(
        async () => (await p!.jobs.status(job.id, { userId: 5, isAdmin: false })).done >= 4,
        90_000,
        100,
      ),
    ).toBe(true);
    const before = { ...p.stack.audio.stats.audioRequests };
    const tracks = sprintPlaylist.tracks.map((t) => catalogTrackToTrack(t, p!.stack.spotify.url));
    const finishedBefore = await p.redis.hgetall(`${p.config.redis.prefix}:x:tp:${job.id}`);
    const doneIndexes = Object.entries(finishedBefore)
      .filter(([k, v]) => !k.startsWith("_") && /"s":"done"/.test(v))
      .map(([k]) => Number(k));
    first.kill("SIGKILL");
    await once(first, "exit");
    // The killed worker's yt-dlp/ffmpeg die with it (their output pipes close) instead of lingering.
    const { tmpDir } = dataPaths(p.config);
    expect(await eventually(() => processesMentioning(path.join(tmpDir, job.id)).length === 0, 10_000)).toBe(
      true,
    );

    p.stack.audio.control.slowAudio(0);
    const second = await startWorkerProcess(p, configData);
    children.push(second);
    const end = await p.waitForEnd(job.id, 120_000);
    expect(end.stage).toBe("done");
    expect(end.result!.tracks.map((t) => t.outcome).every((o) => o === "done")).toBe(true);
    expect(end.result!.tracks).toHaveLength(20);
    for (const index of doneIndexes) {
      const id = expectedVideoId(tracks[index]!);
      expect(p.stack.audio.stats.audioRequests[id], `track ${index} was downloaded again`).toBe(before[id]);
    }
    second.kill("SIGTERM");
    await once(second, "exit");
  }, 240_000);
});
