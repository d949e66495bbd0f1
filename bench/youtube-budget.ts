/**
 * The hourly YouTube download budget under load: the 20-track sprint playlist through the real pipeline
 * (two worker runtimes sharing Redis, yt-dlp and ffmpeg against the loopback stand-in) with a budget far
 * below what the machine could download. The window is shrunk from an hour to a few seconds so the run
 * takes seconds; the figures are scaled back to an hour. Reported: downloads per window (must never exceed
 * the budget, and should use most of it), the unthrottled rate of the same machine as the baseline, and
 * the tracks per hour the budget allows.
 */
import { goal, isMain, note, runMain, type BenchResult } from "./bench-result.js";
import { createBenchPipeline, startBenchStack, warmAudio } from "./bench-pipeline.js";
import { startBenchRedis } from "./bench-redis.js";
import { round } from "./stats.js";
import { QUEUE_TRACKS } from "../src/core/jobs/keys.js";
import { createRedis } from "../src/core/redis.js";
import { catalogTrackToTrack, sprintPlaylist } from "../src/emulators/spotify/index.js";
import { Queue } from "bullmq";

const BUDGET = 5;
const WINDOW_MS = 4000;
const HOUR_MS = 3_600_000;

/** Start times (ms) of the track jobs' downloads, read from BullMQ (processedOn of completed jobs). */
async function startTimes(redisUrl: string, prefix: string): Promise<number[]> {
  const connection = createRedis({ url: redisUrl }, "client");
  const queue = new Queue(QUEUE_TRACKS, { connection, prefix });
  try {
    const jobs = await queue.getJobs(["completed"], 0, -1);
    return jobs.map((j) => j.processedOn ?? 0).sort((a, b) => a - b);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** The most downloads that started within any window of `windowMs`. */
function busiestWindow(times: readonly number[], windowMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j]! - times[i]! >= windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

async function run(
  budget: number | undefined,
): Promise<{ seconds: number; busiest: number; tracks: number }> {
  const redis = await startBenchRedis();
  const stack = await startBenchStack();
  try {
    const tracks = sprintPlaylist.tracks.map((t) => catalogTrackToTrack(t, stack.spotify.url));
    await warmAudio(stack, tracks);
    const p = await createBenchPipeline({
      redisUrl: redis.url,
      stack,
      name: "budget",
      configData: {
        jobs: { workerConcurrency: 2, maxActiveDownloads: 4 },
        ...(budget ? { youtube: { downloadsPerHour: budget } } : {}),
      },
    });
    try {
      const overrides = budget ? { youtubeBudgetWindowMs: WINDOW_MS } : {};
      await p.startWorkers(overrides);
      await p.startWorkers(overrides);
      const t0 = performance.now();
      const { job } = await p.jobs.submit({
        owner: { userId: 1, chatId: 1 },
        ref: { kind: "playlist", id: sprintPlaylist.id, uri: `spotify:playlist:${sprintPlaylist.id}` },
      });
      const end = await p.waitForEnd(job.id, { timeoutMs: 180_000, pollMs: 50 });
      const seconds = (performance.now() - t0) / 1000;
      const done = (end.result?.tracks ?? []).filter((t) => t.outcome === "done").length;
      if (done !== tracks.length) throw new Error(`only ${done} of ${tracks.length} tracks done`);
      const times = await startTimes(redis.url, p.config.redis.prefix);
      return { seconds, busiest: busiestWindow(times, WINDOW_MS), tracks: done };
    } finally {
      await p.close();
    }
  } finally {
    await stack.close();
    await redis.stop();
  }
}

export async function runBudgetBenchmark(): Promise<BenchResult[]> {
  note("youtube-budget: baseline without a budget");
  const free = await run(undefined);
  note(`youtube-budget: ${BUDGET} downloads per ${WINDOW_MS / 1000} s window`);
  const limited = await run(BUDGET);
  const perWindow = (limited.tracks / (limited.seconds * 1000)) * WINDOW_MS;
  return [
    {
      benchmark: "youtube-budget",
      playlist: `sprintPlaylist (${limited.tracks} tracks), two worker runtimes`,
      budget: `${BUDGET} downloads per window of ${WINDOW_MS / 1000} s (an hour in production)`,
      unthrottled: {
        seconds: round(free.seconds),
        downloadsPerWindow: round((free.tracks / (free.seconds * 1000)) * WINDOW_MS, 2),
      },
      budgeted: {
        seconds: round(limited.seconds),
        downloadsPerWindow: round(perWindow, 2),
        busiestWindow: limited.busiest,
      },
      // Scaled to the production window of an hour: what this machine could do, and what the budget lets
      // through (the busiest window never exceeded the budget, so the budget is the rate).
      tracksPerHour: {
        machineUnthrottled: round(((free.tracks / (free.seconds * 1000)) * WINDOW_MS * HOUR_MS) / WINDOW_MS),
        underBudget: `${Math.min(limited.busiest, BUDGET)} per window = youtube.downloadsPerHour (default 240)`,
      },
      goals: [
        goal(`never more than ${BUDGET} downloads start in one window`, limited.busiest <= BUDGET),
        goal(`uses at least 60 % of the budget (>= ${BUDGET * 0.6} per window)`, perWindow >= BUDGET * 0.6),
      ],
    },
  ];
}

if (isMain(import.meta.url)) runMain(runBudgetBenchmark);
