/**
 * memory (issue 8): RSS of the real service process, `node dist/cli.js start --role all` (bot, workers,
 * burner, HTTP API in one process), idle and while it collects a 50-track playlist, twice, to show
 * whether memory grows from one playlist to the next. The playlists are asked for as a person would:
 * `/download <link>` through the Telegram emulator, and a run ends when the final status and every
 * audio message are in the chat. The emulators and Redis live in this (parent) process and are not
 * counted; the service's yt-dlp/ffmpeg children are reported on their own.
 *
 *   npx tsx bench/memory.ts            # builds dist/ first when it is missing or older than src/
 *
 * The playlist: the fixture's bigPlaylist (170 archive tracks, 30-240 s) cut to its 50 shortest tracks
 * (30-89 s) by a small proxy in front of the Spotify emulator's Web API, because the fixture has no
 * 50-track playlist of short tracks and the service process cannot be handed a different catalog.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createConfig } from "../src/core/config/load.js";
import { freePort } from "../src/core/free-port.js";
import { dataPaths } from "../src/core/jobs/workers.js";
import {
  bigPlaylist,
  catalogTrackToTrack,
  type CatalogPlaylist,
  type SpotifyEmulator,
} from "../src/emulators/spotify/index.js";
import type { OfflineStack } from "../src/emulators/offline-stack.js";
import { startTelegramEmulator, type TelegramEmulator } from "../src/emulators/telegram/index.js";
import { goal, isMain, note, runMain, type BenchResult } from "./bench-result.js";
import { startBenchRedis } from "./bench-redis.js";
import {
  audioRequestCount,
  benchAudioCacheDir,
  freshPrefix,
  startBenchStack,
  warmAudio,
} from "./bench-pipeline.js";
import { canSeeChildren } from "./rss-sampler.js";
import { ensureBuilt, startPidRssSampler, startServiceProcess, type PidRssSample } from "./memory-child.js";
import { mib, round } from "./stats.js";
import { toToml } from "../tests/helpers/toml.js";

const TRACKS = Number(process.env.CDC_BENCH_MEMORY_TRACKS ?? "") || 50;
const RUNS = 2;
const IDLE_MS = 5000;
/**
 * Quiet time after each run. The service runs as in production (no forced GC), so one sample taken
 * "after" lands before or after V8's next major GC by chance; the lowest RSS over this window (the
 * floor the process returns to) is the steadier sign of retained memory.
 */
const SETTLE_MS = 10_000;
const RUN_TIMEOUT_MS = 10 * 60_000;
const IDLE_GOAL_MIB = 150;
const GROWTH_GOAL_PERCENT = 10;
const TOKEN = "777000778:bench-memory-token-0123456789";
/** One person per run: the second run is a new job (not the dedupe of the first). */
const people = Array.from({ length: RUNS }, (_, i) => ({
  id: 3_000_001 + i,
  firstName: `Listener ${i + 1}`,
}));

/**
 * A loopback proxy for the Spotify Web API that serves `playlist` with only the tracks in `keep` (in
 * playlist order, one page) and passes every other request through to the emulator unchanged.
 */
async function startPlaylistCutProxy(
  spotify: SpotifyEmulator,
  playlist: CatalogPlaylist,
  keep: ReadonlySet<string>,
): Promise<{ apiBaseUrl: string; close(): Promise<void> }> {
  const upstream = spotify.apiBaseUrl.replace(/\/$/, "");
  const playlistPath = `/v1/playlists/${playlist.id}`;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://proxy");
      const headers: Record<string, string> = {};
      if (req.headers.authorization) headers.authorization = req.headers.authorization;
      const get = (p: string) => fetch(`${upstream}${p.replace(/^\/v1/, "")}`, { headers });
      if (url.pathname === playlistPath) {
        const first = await get(`${url.pathname}${url.search}`);
        if (!first.ok) {
          res.writeHead(first.status, { "content-type": "application/json" });
          res.end(await first.text());
          return;
        }
        const body = (await first.json()) as { items: { items: { item: { id: string } }[] } };
        const rows = [...body.items.items];
        for (let offset = rows.length; offset < playlist.tracks.length; offset += 100) {
          const page = (await (await get(`${playlistPath}/items?offset=${offset}&limit=100`)).json()) as {
            items: { item: { id: string } }[];
          };
          rows.push(...page.items);
        }
        const kept = rows.filter((r) => keep.has(r.item.id));
        const text = JSON.stringify({
          ...body,
          items: { ...body.items, items: kept, total: kept.length, limit: 100, next: null, previous: null },
        });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(text);
        return;
      }
      const answer = await get(`${url.pathname}${url.search}`);
      const out: Record<string, string> = { "content-type": answer.headers.get("content-type") ?? "" };
      const retryAfter = answer.headers.get("retry-after");
      if (retryAfter !== null) out["retry-after"] = retryAfter;
      res.writeHead(answer.status, out);
      res.end(Buffer.from(await answer.arrayBuffer()));
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    apiBaseUrl: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** V8 heap in use as the service's own /metrics reports it (prom-client default metrics); NaN if unreadable. */
async function heapUsedBytes(baseUrl: string): Promise<number> {
  try {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    return Number(/^cdc_nodejs_heap_size_used_bytes\s+(\S+)/m.exec(text)?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

interface RunFigures {
  /** /download sent -> final status in the chat. */
  seconds: number;
  /** /download sent -> the last audio message delivered. */
  withAudioSeconds: number;
  tracksReady: number;
  audioMessages: number;
  /** Requests the audio stand-in answered during the run (yt-dlp makes two per download): proof of real downloads. */
  audioRequests: number;
}

/** One playlist request through the bot; resolves when the final status and every audio message are in. */
async function collectOnce(
  tg: TelegramEmulator,
  stack: OfflineStack,
  person: { id: number; firstName: string },
): Promise<RunFigures> {
  const started = performance.now();
  const requestsBefore = audioRequestCount(stack);
  const final = tg.waitForMessage(person.id, /tracks ready\.|❌ Failed|🚫 Cancelled/, RUN_TIMEOUT_MS);
  tg.person(person).sendText(`/download https://open.spotify.com/playlist/${bigPlaylist.id}`);
  const entry = await final;
  const seconds = (performance.now() - started) / 1000;
  const ready = Number(/(\d+) of \d+ tracks ready/.exec(entry.text)?.[1] ?? "0");
  const audioCount = () => tg.transcript(person.id).filter((m) => m.kind === "audio").length;
  if (audioCount() < ready) {
    await tg.waitFor(
      (e) => e.type === "message-sent" && e.chatId === person.id && audioCount() >= ready,
      RUN_TIMEOUT_MS,
    );
  }
  return {
    seconds,
    withAudioSeconds: (performance.now() - started) / 1000,
    tracksReady: ready,
    audioMessages: audioCount(),
    audioRequests: audioRequestCount(stack) - requestsBefore,
  };
}

export async function runMemoryBenchmark(): Promise<BenchResult[]> {
  const build = await ensureBuilt();
  note(`memory: dist/ ${build}`);
  const shortest = [...bigPlaylist.tracks].sort((a, b) => a.durationMs - b.durationMs).slice(0, TRACKS);
  const redis = await startBenchRedis();
  const dir = await mkdtemp(path.join(os.tmpdir(), "cdc-bench-memory-"));
  const closers: (() => Promise<void>)[] = [];
  try {
    const stack = await startBenchStack();
    closers.push(() => stack.close());
    const proxy = await startPlaylistCutProxy(stack.spotify, bigPlaylist, new Set(shortest.map((t) => t.id)));
    closers.push(() => proxy.close());
    const tg = await startTelegramEmulator({ token: TOKEN });
    closers.push(() => tg.close());
    const tracks = shortest.map((t) => catalogTrackToTrack(t, stack.spotify.url));
    note(`memory: warming the stand-in's audio cache (${benchAudioCacheDir}) for ${tracks.length} tracks`);
    await warmAudio(stack, tracks);

    const port = await freePort();
    const dataDir = path.join(dir, "data");
    const configData = {
      logLevel: "info",
      shutdownDeadlineSeconds: 10,
      ...stack.configOverrides,
      spotify: { ...stack.configOverrides.spotify, apiBaseUrl: proxy.apiBaseUrl },
      redis: { prefix: freshPrefix("memory") },
      telegram: { apiRoot: tg.apiRoot, allowedUserIds: people.map((p) => p.id) },
      http: { host: "127.0.0.1", port, publicBaseUrl: `http://127.0.0.1:${port}` },
    };
    const configPath = path.join(dir, "memory.toml");
    await writeFile(configPath, toToml(configData));
    const env = { ...stack.env, TELEGRAM_BOT_TOKEN: TOKEN, REDIS_URL: redis.url, DATA_DIR: dataDir };
    const { libraryDir, packagesDir } = dataPaths(createConfig(configData, env).config);

    note(`memory: starting node dist/cli.js start --role all; idle ${IDLE_MS / 1000} s, then ${RUNS} runs`);
    const service = await startServiceProcess({ role: "all", configPath, cwd: dir, env });
    let phase = "idle";
    const samples: (PidRssSample & { phase: string })[] = [];
    const sampler = startPidRssSampler(service.pid, 200, {
      withChildren: canSeeChildren(),
      onSample: (s) => samples.push({ ...s, phase }),
    });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const runs: RunFigures[] = [];
    const heapAfter: number[] = [];
    const serviceUrl = `http://127.0.0.1:${port}`;
    let exitCode: number;
    try {
      await sleep(IDLE_MS);
      const idleHeap = await heapUsedBytes(serviceUrl);
      heapAfter.push(idleHeap);
      for (let run = 1; run <= RUNS; run++) {
        // Empty library: every track is downloaded again (a cache entry whose file is gone heals itself).
        await rm(libraryDir, { recursive: true, force: true });
        await rm(packagesDir, { recursive: true, force: true });
        phase = `run${run}`;
        note(`memory: run ${run}: ${people[run - 1]!.firstName} asks for the ${TRACKS}-track playlist`);
        runs.push(await collectOnce(tg, stack, people[run - 1]!));
        phase = `settle${run}`;
        await sleep(SETTLE_MS);
        heapAfter.push(await heapUsedBytes(serviceUrl));
      }
      phase = "end";
    } finally {
      sampler.stop();
      exitCode = await service.stop();
    }

    const inPhase = (p: string) => samples.filter((s) => s.phase === p);
    const idleRss = inPhase("idle").at(-1)?.rssBytes ?? Number.NaN;
    const perRun = runs.map((r, i) => {
      if (
        r.tracksReady !== tracks.length ||
        r.audioMessages < tracks.length ||
        r.audioRequests < tracks.length
      ) {
        throw new Error(`memory run ${i + 1} did not deliver every track: ${JSON.stringify(r)}`);
      }
      const during = inPhase(`run${i + 1}`);
      const settle = inPhase(`settle${i + 1}`);
      const after = settle.at(-1);
      return {
        seconds: round(r.seconds, 1),
        withAudioSeconds: round(r.withAudioSeconds, 1),
        audioRequests: r.audioRequests,
        peakRssMiB: mib(Math.max(...during.map((s) => s.rssBytes))),
        afterRssMiB: mib(after?.rssBytes ?? Number.NaN),
        afterFloorRssMiB: mib(Math.min(...settle.map((x) => x.rssBytes))),
        afterHeapUsedMiB: mib(heapAfter[i + 1] ?? Number.NaN),
        ...(during.some((s) => s.childrenRssBytes !== undefined)
          ? { peakChildrenRssMiB: mib(Math.max(...during.map((s) => s.childrenRssBytes ?? 0))) }
          : {}),
      };
    });
    const first = perRun[0]!;
    const last = perRun.at(-1)!;
    const growth = ((last.afterFloorRssMiB - first.afterFloorRssMiB) / first.afterFloorRssMiB) * 100;
    const lastSampleGrowth = ((last.afterRssMiB - first.afterRssMiB) / first.afterRssMiB) * 100;
    const peakGrowth = ((last.peakRssMiB - first.peakRssMiB) / first.peakRssMiB) * 100;
    return [
      {
        benchmark: "memory",
        process:
          "node dist/cli.js start --role all (bot, workers, burner, HTTP API); Redis and emulators outside",
        build,
        playlist: `bigPlaylist cut to its ${tracks.length} shortest tracks (${Math.round(
          shortest[0]!.durationMs / 1000,
        )}-${Math.round(shortest.at(-1)!.durationMs / 1000)} s, ${Math.round(
          shortest.reduce((a, t) => a + t.durationMs, 0) / 1000,
        )} s of audio), asked for with /download by another person each run, library emptied before each run`,
        samples: samples.length,
        idleRssMiB: mib(idleRss),
        idleHeapUsedMiB: mib(heapAfter[0] ?? Number.NaN),
        runs: perRun,
        afterRunGrowthPercent: round(growth, 1),
        lastSampleGrowthPercent: round(lastSampleGrowth, 1),
        peakGrowthPercent: round(peakGrowth, 1),
        exitCode,
        goals: [
          goal(`idle RSS < ${IDLE_GOAL_MIB} MiB`, mib(idleRss) < IDLE_GOAL_MIB),
          goal(
            `RSS floor after run ${RUNS} within ${GROWTH_GOAL_PERCENT} % of run 1`,
            growth < GROWTH_GOAL_PERCENT,
          ),
        ],
      },
    ];
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) runMain(runMemoryBenchmark);
