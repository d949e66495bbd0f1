/**
 * memory: RSS of the service process (worker runtime + JobService, see memory-child.ts) idle and while it
 * collects a 50-track playlist, twice, to show whether memory grows from one playlist to the next. The
 * emulators and Redis live in this (parent) process, so they are not counted.
 *
 *   npx tsx bench/memory.ts
 *
 * The playlist: the fixture's bigPlaylist (170 archive tracks, 30-240 s) cut to its 50 shortest tracks
 * (30-89 s) by the child's catalog, because the fixture has no 50-track playlist of short tracks.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runProcess } from "../src/core/process-runner.js";
import { bigPlaylist, catalogTrackToTrack } from "../src/emulators/spotify/index.js";
import { goal, isMain, note, runMain, type BenchResult } from "./bench-result.js";
import { startBenchRedis } from "./bench-redis.js";
import { benchAudioCacheDir, freshPrefix, startBenchStack, warmAudio } from "./bench-pipeline.js";
import type { ChildLine } from "./memory-child.js";
import { mib, round } from "./stats.js";

const TRACKS = Number(process.env.CDC_BENCH_MEMORY_TRACKS ?? "") || 50;
const RUNS = 2;
const IDLE_MS = 5000;
const IDLE_GOAL_MIB = 150;
const GROWTH_GOAL_PERCENT = 10;

type RssLine = Extract<ChildLine, { type: "rss" }>;
type RunLine = Extract<ChildLine, { type: "run" }>;

export async function runMemoryBenchmark(): Promise<BenchResult[]> {
  const shortest = [...bigPlaylist.tracks].sort((a, b) => a.durationMs - b.durationMs).slice(0, TRACKS);
  const redis = await startBenchRedis();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "cdc-bench-memory-"));
  try {
    const stack = await startBenchStack();
    try {
      const tracks = shortest.map((t) => catalogTrackToTrack(t, stack.spotify.url));
      note(`memory: warming the stand-in's audio cache (${benchAudioCacheDir}) for ${tracks.length} tracks`);
      await warmAudio(stack, tracks);

      const rss: RssLine[] = [];
      const runs: RunLine[] = [];
      const child = fileURLToPath(new URL("./memory-child.ts", import.meta.url));
      note(`memory: child process, idle ${IDLE_MS / 1000} s, then ${RUNS} runs of ${tracks.length} tracks`);
      await runProcess(process.execPath, ["--expose-gc", "--import", "tsx", child], {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        timeoutMs: 15 * 60_000,
        env: {
          ...process.env,
          ...stack.env,
          REDIS_URL: redis.url,
          CDC_BENCH_CONFIG: JSON.stringify({
            dataDir,
            ...stack.configOverrides,
            redis: { prefix: freshPrefix("memory") },
          }),
          CDC_BENCH_PLAN: JSON.stringify({
            ref: { kind: "playlist", id: bigPlaylist.id, uri: `spotify:playlist:${bigPlaylist.id}` },
            trackLimit: TRACKS,
            idleMs: IDLE_MS,
            runs: RUNS,
          }),
        },
        onStdoutLine: (line) => {
          const parsed = JSON.parse(line) as ChildLine;
          if (parsed.type === "rss") rss.push(parsed);
          else if (parsed.type === "run") runs.push(parsed);
        },
        onStderrLine: (line) => process.stderr.write(`[memory-child] ${line}\n`),
        maxStdoutChars: 1024,
      });

      const inPhase = (phase: string) => rss.filter((s) => s.phase === phase);
      const idle = inPhase("idle");
      const idleRss = idle.at(-1)?.rss ?? Number.NaN;
      const perRun = Array.from({ length: RUNS }, (_, i) => {
        const during = inPhase(`run${i + 1}`);
        const after = inPhase(`settle${i + 1}`).at(-1);
        const run = runs.find((r) => r.run === i + 1);
        if (!run || run.tracks !== tracks.length || (run.outcomes.done ?? 0) !== tracks.length) {
          throw new Error(`memory run ${i + 1} did not download every track: ${JSON.stringify(run)}`);
        }
        return {
          seconds: round(run.seconds, 1),
          peakRssMiB: mib(Math.max(...during.map((s) => s.rss))),
          peakHeapUsedMiB: mib(Math.max(...during.map((s) => s.heapUsed))),
          afterRssMiB: mib(after?.rss ?? Number.NaN),
          afterHeapUsedMiB: mib(after?.heapUsed ?? Number.NaN),
          ...(during.some((s) => s.childrenRss !== undefined)
            ? { peakChildrenRssMiB: mib(Math.max(...during.map((s) => s.childrenRss ?? 0))) }
            : {}),
        };
      });
      const first = perRun[0]!;
      const last = perRun.at(-1)!;
      const growth = ((last.afterRssMiB - first.afterRssMiB) / first.afterRssMiB) * 100;
      const peakGrowth = ((last.peakRssMiB - first.peakRssMiB) / first.peakRssMiB) * 100;
      return [
        {
          benchmark: "memory",
          process:
            "worker runtime + JobService in one child process under tsx (role all without the bot and HTTP API)",
          playlist: `bigPlaylist cut to its ${tracks.length} shortest tracks (${Math.round(
            shortest[0]!.durationMs / 1000,
          )}-${Math.round(shortest.at(-1)!.durationMs / 1000)} s, ${Math.round(
            shortest.reduce((a, t) => a + t.durationMs, 0) / 1000,
          )} s of audio), library emptied before each run`,
          samples: rss.length,
          idleRssMiB: mib(idleRss),
          idleHeapUsedMiB: mib(idle.at(-1)?.heapUsed ?? Number.NaN),
          runs: perRun,
          afterRunGrowthPercent: round(growth, 1),
          peakGrowthPercent: round(peakGrowth, 1),
          goals: [
            goal(`idle RSS < ${IDLE_GOAL_MIB} MiB`, mib(idleRss) < IDLE_GOAL_MIB),
            goal(
              `RSS after run ${RUNS} within ${GROWTH_GOAL_PERCENT} % of run 1`,
              growth < GROWTH_GOAL_PERCENT,
            ),
          ],
        },
      ];
    } finally {
      await stack.close();
    }
  } finally {
    await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) runMain(runMemoryBenchmark);
