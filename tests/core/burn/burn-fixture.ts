/**
 * A finished collection for burn and download tests, stored exactly where the pipeline stores one: a
 * `collections` job in BullMQ (what JobService.status reads), the result record under the job's result
 * key, real noise MP3s (tagged with title, artist and ISRC) in the library, and a real zip package.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { newJobId } from "../../../src/core/jobs/job-id.js";
import { createJobRecords } from "../../../src/core/jobs/job-record.js";
import { createKeys, QUEUE_COLLECTIONS } from "../../../src/core/jobs/keys.js";
import { writeZip } from "../../../src/core/jobs/packager.js";
import type { CollectionJobData, CollectionResult, TrackResult } from "../../../src/core/jobs/schemas.js";
import { probe } from "../../../src/core/media/ffmpeg.js";
import { runProcess } from "../../../src/core/process-runner.js";

export interface FixtureTrack {
  title: string;
  seconds: number;
  artist?: string;
  isrc?: string;
  /** Leave the track out as failed (no file). */
  failed?: boolean;
  /** Keep the ISRC only in the file's TSRC tag, not in the track result. */
  isrcOnlyInTags?: boolean;
}

export interface StoredCollection {
  jobId: string;
  result: CollectionResult;
}

/** Pink noise (loudnorm-friendly, unlike sine tones) as a tagged MP3. */
export async function makeNoiseMp3(file: string, track: FixtureTrack): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const tags = [
    ["title", track.title],
    ["artist", track.artist ?? "Noise Ensemble"],
    ...(track.isrc ? [["TSRC", track.isrc]] : []),
  ];
  await runProcess(
    "ffmpeg",
    [
      "-hide_banner",
      "-nostdin",
      "-y",
      "-f",
      "lavfi",
      "-i",
      `anoisesrc=d=${track.seconds}:c=pink:r=44100:a=0.2:seed=${track.title.length}`,
      "-ac",
      "2",
      "-c:a",
      "libmp3lame",
      "-b:a",
      "96k",
      "-id3v2_version",
      "3",
      ...tags.flatMap(([k, v]) => ["-metadata", `${k}=${v}`]),
      file,
    ],
    { timeoutMs: 60_000 },
  );
}

/**
 * Store a finished collection under `prefix`. Files go to `<dataDir>/library/<folder>/`, the package to
 * `<dataDir>/packages/<jobId>.zip`.
 */
export async function storeCollection(options: {
  redis: Redis;
  prefix: string;
  dataDir: string;
  title: string;
  subtitle?: string;
  upc?: string;
  tracks: FixtureTrack[];
}): Promise<StoredCollection> {
  const jobId = newJobId();
  const folder = `Noise/${options.title}`;
  const libraryDir = path.join(options.dataDir, "library");
  const results: TrackResult[] = [];
  for (const [index, t] of options.tracks.entries()) {
    const name = `${String(index + 1).padStart(2, "0")} - ${t.title}.mp3`;
    if (t.failed) {
      results.push({
        index,
        trackId: `track${index}`,
        title: t.title,
        artists: [t.artist ?? "Noise Ensemble"],
        outcome: "failed",
        reason: "No match found.",
        warnings: [],
      });
      continue;
    }
    const file = path.join(libraryDir, folder, name);
    await makeNoiseMp3(file, t);
    const info = await probe(file);
    results.push({
      index,
      trackId: `track${index}`,
      title: t.title,
      artists: [t.artist ?? "Noise Ensemble"],
      outcome: "done",
      file: `${folder}/${name}`,
      durationSec: info.durationSec,
      warnings: [],
      ...(t.isrc && !t.isrcOnlyInTags ? { isrc: t.isrc } : {}),
    });
  }
  const packagePath = path.join(options.dataDir, "packages", `${jobId}.zip`);
  const packageBytes = await writeZip(
    packagePath,
    results
      .filter((r) => r.file)
      .map((r) => ({
        file: path.join(libraryDir, r.file!),
        name: `${options.title}/${path.basename(r.file!)}`,
      })),
  );
  const result: CollectionResult = {
    outcome: results.some((r) => r.outcome === "failed") ? "partial" : "done",
    title: options.title,
    ...(options.subtitle ? { subtitle: options.subtitle } : {}),
    ...(options.upc ? { upc: options.upc } : {}),
    tracks: results,
    notes: [],
    truncated: false,
    folder,
    packagePath,
    packageBytes,
    totalDurationSec: results.reduce((s, r) => s + (r.durationSec ?? 0), 0),
    totalBytes: packageBytes,
    finishedAt: Date.now(),
  };
  // No worker runs under this prefix: the job stays put, and its recorded result makes it "done".
  await storeJob(
    options.redis,
    options.prefix,
    jobId,
    { step: "finalize", title: options.title, folder },
    result,
  );
  return { jobId, result };
}

/** Store a collection job that has not finished (no result yet). */
export async function storeRunningCollection(redis: Redis, prefix: string): Promise<string> {
  const jobId = newJobId();
  await storeJob(redis, prefix, jobId, { step: "resolve" });
  return jobId;
}

/** A collection job as the service stores one: its BullMQ job and its job record (ended when `result`). */
async function storeJob(
  redis: Redis,
  prefix: string,
  jobId: string,
  work: Pick<CollectionJobData, "step"> & Partial<CollectionJobData>,
  result?: CollectionResult,
): Promise<void> {
  const data: CollectionJobData = {
    owner: { userId: 4242, chatId: 4242 },
    ref: { kind: "album", id: "fixture", uri: "spotify:album:fixture" },
    format: "mp3",
    createdAt: Date.now(),
    ...work,
  };
  const records = createJobRecords(redis, createKeys(prefix), 3600);
  await records.create(jobId, {
    owner: data.owner,
    ref: data.ref,
    format: data.format,
    createdAt: data.createdAt,
  });
  const queue = new Queue(QUEUE_COLLECTIONS, { connection: redis, prefix });
  await queue.add("collection", data, { jobId });
  await queue.close();
  if (result) await records.finish(jobId, result);
}
