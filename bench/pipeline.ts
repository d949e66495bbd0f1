/**
 * pipeline (+ repeat): the 20-track sprint playlist end to end through JobService and the workers, against
 * a baseline in the same run that starts the same yt-dlp and ffmpeg commands directly, with the same
 * parallelism and no Redis. With --repeat, the same playlist is then requested by another person: every
 * track must be a cache hit, with no download at all.
 *
 *   npx tsx bench/pipeline.ts [--repeat] [--no-baseline]
 *
 * Prints one JSON line per benchmark. CDC_BENCH_CONCURRENCY sets the workers' concurrency (default: the
 * config's jobs.workerConcurrency); CDC_BENCH_ROUNDS the baseline/pipeline pairs (default 2, the order
 * swapped every round; the overhead is the median of the rounds' ratios, figures are the last round's).
 */
import { trackTags } from "../src/core/jobs/track-processor.js";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Queue } from "bullmq";
import { createConfig } from "../src/core/config/load.js";
import type { Config } from "../src/core/config/schema.js";
import { QUEUE_TRACKS } from "../src/core/jobs/keys.js";
import { fetchCover } from "../src/core/media/cover.js";
import { transcode } from "../src/core/media/ffmpeg.js";
import { createYtDlp } from "../src/core/media/yt-dlp.js";
import { createRedis } from "../src/core/redis.js";
import type { Track } from "../src/core/spotify/types.js";
import { expectedVideoId } from "../src/emulators/audio-source/index.js";
import type { OfflineStack } from "../src/emulators/offline-stack.js";
import { catalogTrackToTrack, sprintPlaylist } from "../src/emulators/spotify/index.js";
import { goal, isMain, note, runMain, type BenchResult } from "./bench-result.js";
import { startBenchRedis } from "./bench-redis.js";
import {
  audioRequestCount,
  benchAudioCacheDir,
  createBenchPipeline,
  startBenchStack,
  type BenchPipeline,
  warmAudio,
} from "./bench-pipeline.js";
import { cpuSecondsOf } from "./cpu-usage.js";
import { startRssSampler, type RssSummary } from "./rss-sampler.js";
import { mean, median, mib, round } from "./stats.js";

const OVERHEAD_GOAL = 1.15;
/** Search requests per track the matcher may spend (issue: InnerTube search; the recorded cases give 1.18). */
const SEARCHES_GOAL = 1.3;
const REPEAT_GOAL_SECONDS = 2;
const playlistRef = {
  kind: "playlist" as const,
  id: sprintPlaylist.id,
  uri: `spotify:playlist:${sprintPlaylist.id}`,
};

function memoryFigures(summary: RssSummary) {
  return {
    peakRssMiB: mib(summary.peakRssBytes),
    ...(summary.peakChildrenRssBytes !== undefined
      ? { peakChildrenRssMiB: mib(summary.peakChildrenRssBytes) }
      : {}),
  };
}

/** Run `task` over `items` with at most `parallel` at once. */
async function pool<T>(
  items: readonly T[],
  parallel: number,
  task: (item: T, index: number) => Promise<void>,
) {
  let next = 0;
  const runner = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, runner));
}

/**
 * The baseline: per track, yt-dlp then ffmpeg (+ffprobe), through the same modules the worker uses, so
 * the flags are the same by construction: same source URL, format, bitrate, tags and cover. It skips
 * what only the service does: searching and scoring, Redis, progress, the cache, the playlist and zip.
 * Each album cover is fetched once, as a hand-written script would.
 */
async function runBaseline(config: Config, stack: OfflineStack, tracks: readonly Track[], parallel: number) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "cdc-bench-baseline-"));
  try {
    const ytDlp = createYtDlp({
      path: config.download.ytDlpPath,
      extraArgs: config.download.ytDlpExtraArgs,
      source: { kind: "local", baseUrl: stack.audio.url },
      maxFileMb: config.download.maxFileMb,
    });
    const trackSeconds: number[] = [];
    const sampler = startRssSampler(100);
    const cpu0 = cpuSecondsOf(process.pid, true);
    const started = performance.now();
    const covers = new Map<string, Promise<string | undefined>>();
    const coverFor = (url: string) => {
      let cover = covers.get(url);
      if (!cover) {
        cover = fetchCover(url, {
          maxBytes: config.download.coverMaxBytes,
          dest: path.join(dir, `cover-${covers.size}.jpg`),
        });
        covers.set(url, cover);
      }
      return cover;
    };
    await pool(tracks, parallel, async (track, index) => {
      const t0 = performance.now();
      const work = path.join(dir, "work", String(index));
      await mkdir(work, { recursive: true });
      const downloaded = await ytDlp.download(expectedVideoId(track), {
        dir: work,
        timeoutMs: config.download.trackTimeoutSeconds * 1000,
      });
      const cover = track.coverUrl ? await coverFor(track.coverUrl) : undefined;
      await mkdir(path.join(dir, "out"), { recursive: true });
      await transcode({
        input: downloaded.path,
        output: path.join(dir, "out", `${String(index + 1).padStart(2, "0")}.${config.download.format}`),
        format: config.download.format,
        bitrateKbps: config.download.bitrateKbps,
        tags: trackTags(track, { discCount: 1 }),
        ...(cover ? { coverPath: cover } : {}),
        durationSec: track.durationMs / 1000,
        timeoutMs: config.download.trackTimeoutSeconds * 1000,
        ffmpegPath: config.download.ffmpegPath,
        ffprobePath: config.download.ffprobePath,
        durationToleranceSec: config.download.durationToleranceSeconds,
      });
      await rm(work, { recursive: true, force: true });
      trackSeconds.push((performance.now() - t0) / 1000);
    });
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = cpuSecondsOf(process.pid, true) - cpu0;
    return { seconds, cpuSeconds, trackSeconds, memory: sampler.stop() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Run the benchmarks; `repeat` adds the cache-hit run after the pipeline run. */
export async function runPipelineBenchmarks(options: {
  repeat: boolean;
  baseline: boolean;
}): Promise<BenchResult[]> {
  const redis = await startBenchRedis();
  const stack = await startBenchStack().catch(async (err: unknown) => {
    await redis.stop();
    throw err;
  });
  try {
    const tracks = sprintPlaylist.tracks.map((t) => catalogTrackToTrack(t, stack.spotify.url));
    const probeConfig = createConfig({ dataDir: os.tmpdir(), ...stack.configOverrides }, stack.env).config;
    const concurrency = Number(process.env.CDC_BENCH_CONCURRENCY ?? "") || probeConfig.jobs.workerConcurrency;
    const jobsConfig = {
      workerConcurrency: concurrency,
      maxActiveDownloads: Math.max(concurrency, probeConfig.jobs.maxActiveDownloads),
    };

    note(`warming the stand-in's audio cache (${benchAudioCacheDir}) for ${tracks.length} tracks`);
    await warmAudio(stack, tracks);
    // One untimed track through the same programs, so neither timed side pays for cold disk caches.
    await runBaseline(probeConfig, stack, tracks.slice(0, 1), 1);

    const rounds = options.baseline ? Math.max(1, Number(process.env.CDC_BENCH_ROUNDS ?? "") || 2) : 1;
    const pairs: { baseline?: Awaited<ReturnType<typeof runBaseline>>; pipeline: PipelineRun }[] = [];
    let last: BenchPipeline | undefined;
    const results: BenchResult[] = [];
    try {
      for (let r = 0; r < rounds; r++) {
        // Odd rounds run the pipeline first, so drift in the machine's load does not favour one side.
        const pipelineFirst = r % 2 === 1;
        let baseline: Awaited<ReturnType<typeof runBaseline>> | undefined;
        const runBaselineSide = async () => {
          if (!options.baseline) return;
          note(`baseline: ${tracks.length} tracks, ${concurrency} at a time, no Redis`);
          baseline = await runBaseline(probeConfig, stack, tracks, concurrency);
        };
        if (!pipelineFirst) await runBaselineSide();
        note(`pipeline: ${tracks.length} tracks through JobService + workers (concurrency ${concurrency})`);
        await last?.close();
        last = await createBenchPipeline({
          redisUrl: redis.url,
          stack,
          name: "pipeline",
          configData: { jobs: jobsConfig },
        });
        const pipeline = await timedPipelineRun(last, stack, redis.url, tracks.length);
        if (pipelineFirst) await runBaselineSide();
        pairs.push({ pipeline, ...(baseline ? { baseline } : {}) });
      }

      const figures = (run: PipelineRun) => ({
        seconds: round(run.seconds),
        cpuSeconds: round(run.cpuSeconds, 2),
        perTrackWallSeconds: round(run.seconds / tracks.length),
        perTrackMeanSeconds: round(mean(run.trackSeconds)),
        ...memoryFigures(run.memory),
        ytDlpDownloads: run.downloads,
        searchRequests: run.searches,
        searchRequestsPerTrack: round(run.searches / tracks.length, 2),
      });
      if (options.baseline) {
        const ratios = pairs.map((pair) => pair.pipeline.seconds / pair.baseline!.seconds);
        const ratio = median(ratios);
        const final = pairs.at(-1)!;
        results.push({
          benchmark: "pipeline",
          playlist: `sprintPlaylist (${tracks.length} tracks, ${round(
            tracks.reduce((a, t) => a + t.durationMs, 0) / 1000,
            1,
          )} s of audio)`,
          concurrency,
          format: `${probeConfig.download.format} ${probeConfig.download.bitrateKbps} kbps, with cover`,
          rounds,
          pipeline: figures(final.pipeline),
          baseline: {
            seconds: round(final.baseline!.seconds),
            cpuSeconds: round(final.baseline!.cpuSeconds, 2),
            perTrackWallSeconds: round(final.baseline!.seconds / tracks.length),
            perTrackMeanSeconds: round(mean(final.baseline!.trackSeconds)),
            ...memoryFigures(final.baseline!.memory),
          },
          overheadRatio: round(ratio),
          // Less sensitive to other work on the machine than wall time: CPU spent per side.
          cpuRatio: round(median(pairs.map((pair) => pair.pipeline.cpuSeconds / pair.baseline!.cpuSeconds))),
          ...(rounds > 1 ? { overheadRatios: ratios.map((x) => round(x)) } : {}),
          goals: [
            goal(`pipeline / baseline wall time <= ${OVERHEAD_GOAL}`, ratio <= OVERHEAD_GOAL),
            goal(
              `YouTube Music searches per new track <= ${SEARCHES_GOAL}`,
              final.pipeline.searches / tracks.length <= SEARCHES_GOAL,
            ),
          ],
        });
      } else {
        results.push({ benchmark: "pipeline-unbaselined", ...figures(pairs.at(-1)!.pipeline), goals: [] });
      }

      if (options.repeat && last) {
        note("repeat: the same playlist, requested by another person");
        const p = last;
        const before = { audio: audioRequestCount(stack), searches: stack.audio.stats.searches };
        const t0 = performance.now();
        const again = await p.jobs.submit({ owner: { userId: 2, chatId: 2 }, ref: playlistRef });
        const repeatEnd = await p.waitForEnd(again.job.id);
        const repeatSeconds = (performance.now() - t0) / 1000;
        const repeatOutcomes = (repeatEnd.result?.tracks ?? []).map((t) => t.outcome);
        const newAudioRequests = audioRequestCount(stack) - before.audio;
        if (repeatEnd.stage !== "done" || repeatOutcomes.length !== tracks.length) {
          throw new Error(`repeat run ended ${repeatEnd.stage} with ${repeatOutcomes.length} tracks`);
        }
        const cached = repeatOutcomes.filter((o) => o === "cached").length;
        results.push({
          benchmark: "repeat",
          playlist: `sprintPlaylist (${tracks.length} tracks), second request by another person`,
          seconds: round(repeatSeconds),
          newJob: !again.existing,
          cachedTracks: cached,
          newAudioRequests,
          newSearches: stack.audio.stats.searches - before.searches,
          goals: [
            goal(`submit -> done < ${REPEAT_GOAL_SECONDS} s`, repeatSeconds < REPEAT_GOAL_SECONDS),
            goal("no yt-dlp run (no new audio requests)", newAudioRequests === 0),
            goal("every track a cache hit", cached === tracks.length),
          ],
        });
      }
    } finally {
      await last?.close();
    }
    return results;
  } finally {
    await stack.close();
    await redis.stop();
  }
}

interface PipelineRun {
  seconds: number;
  /** CPU of this process plus the yt-dlp/ffmpeg/ffprobe runs it started (not redis-server). */
  cpuSeconds: number;
  trackSeconds: number[];
  memory: RssSummary;
  downloads: number;
  /** YouTube Music search requests the stand-in answered during the run. */
  searches: number;
}

/** Workers up first (untimed), then submit -> done, timed; every track must come out `done`. */
async function timedPipelineRun(
  p: BenchPipeline,
  stack: OfflineStack,
  redisUrl: string,
  trackCount: number,
): Promise<PipelineRun> {
  await p.startWorkers();
  const audioBefore = audioRequestCount(stack);
  const searchesBefore = stack.audio.stats.searches;
  const sampler = startRssSampler(100);
  const cpu0 = cpuSecondsOf(process.pid, true);
  const started = performance.now();
  const { job } = await p.jobs.submit({ owner: { userId: 1, chatId: 1 }, ref: playlistRef });
  const end = await p.waitForEnd(job.id);
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSecondsOf(process.pid, true) - cpu0;
  const memory = sampler.stop();
  const outcomes = (end.result?.tracks ?? []).map((t) => t.outcome);
  if (end.stage !== "done" || outcomes.length !== trackCount || outcomes.some((o) => o !== "done")) {
    throw new Error(`pipeline run ended ${end.stage} with outcomes ${JSON.stringify(outcomes)}`);
  }
  return {
    seconds,
    cpuSeconds,
    memory,
    // yt-dlp's generic extractor asks for the audio twice per download.
    downloads: (audioRequestCount(stack) - audioBefore) / 2,
    searches: stack.audio.stats.searches - searchesBefore,
    trackSeconds: await trackProcessingSeconds(redisUrl, p.config.redis.prefix),
  };
}

/** How long each track job ran in the worker (BullMQ's processedOn -> finishedOn). */
async function trackProcessingSeconds(redisUrl: string, prefix: string): Promise<number[]> {
  const connection = createRedis({ url: redisUrl }, "client");
  const queue = new Queue(QUEUE_TRACKS, { connection, prefix });
  try {
    const jobs = await queue.getJobs(["completed"], 0, -1);
    return jobs
      .filter((j) => j.processedOn !== undefined && j.finishedOn !== undefined)
      .map((j) => (j.finishedOn! - j.processedOn!) / 1000);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  runMain(() =>
    runPipelineBenchmarks({ repeat: args.includes("--repeat"), baseline: !args.includes("--no-baseline") }),
  );
}
