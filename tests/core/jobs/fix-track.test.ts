/**
 * Fixing a wrong match (JobService.fixTrack): the chosen video replaces the track in the library, the
 * shared cache, the job's result and package, and is what everyone gets for that track from then on.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { UserFacingError } from "../../../src/core/errors.js";
import { createJobService, jobServiceOptions, type Actor } from "../../../src/core/jobs/job-service.js";
import { dataPaths } from "../../../src/core/jobs/workers.js";
import { shortAlbum, shortAlbums } from "../../../src/emulators/spotify/index.js";
import { createTestPipeline, type TestPipeline } from "../../helpers/pipeline.js";

const refOf = (id: string) => ({ kind: "album" as const, id, uri: `spotify:album:${id}` });
const personA = { userId: 501, chatId: 501 };
const personB = { userId: 502, chatId: 502 };
const actorA: Actor = { userId: personA.userId, isAdmin: false };
const actorB: Actor = { userId: personB.userId, isAdmin: false };

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** The refusal a call ended with (its sentence for the person), or "accepted". */
async function refusal(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => "accepted",
    (err: unknown) => (err as UserFacingError).userMessage ?? String(err),
  );
}

describe("fixing a wrong match", () => {
  let p: TestPipeline | undefined;
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  it("a fixed track is what a second person's later request of the same album gets", async () => {
    p = await createTestPipeline();
    await p.startWorkers();
    const { libraryDir } = dataPaths(p.config);
    const a = await p.jobs.submit({ owner: personA, ref: refOf(shortAlbum.id) });
    const aEnd = await p.waitForEnd(a.job.id, 90_000);
    expect(aEnd.result!.outcome).toBe("done");
    const index = 2;
    const wrong = aEnd.result!.tracks[index]!;
    // Done tracks carry the matcher's candidates, best first, with their lengths.
    expect(wrong.candidates!.length).toBeGreaterThanOrEqual(2);
    expect(wrong.candidates![0]).toMatchObject({ id: wrong.videoId, durationSec: expect.any(Number) });
    const chosen = wrong.candidates![1]!.id;
    expect(chosen).not.toBe(wrong.videoId);
    const file = path.join(libraryDir, wrong.file!);
    const oldSha = sha256(file);

    const fix = await p.jobs.fixTrack(a.job.id, index, chosen, actorA);
    expect(fix.fix).toEqual({ of: a.job.id, index, videoId: chosen });
    const fixEnd = await p.waitForEnd(fix.id, 90_000);
    expect(fixEnd.stage).toBe("done");
    const fixed = fixEnd.result!.tracks[index]!;
    expect(fixed).toMatchObject({ outcome: "done", videoId: chosen, file: wrong.file, warnings: [] });
    expect(fixed.confidence).toBeUndefined();
    expect(fixed.candidates).toEqual(wrong.candidates); // "Wrong song?" still offers the same choice
    // The wrong file is replaced in place; every other track is as it was.
    const newSha = sha256(file);
    expect(newSha).not.toBe(oldSha);
    expect(fixEnd.result!.tracks.filter((_, i) => i !== index)).toEqual(
      aEnd.result!.tracks.filter((_, i) => i !== index),
    );

    // A's job now shows the fixed track, and its package holds the new file (not the old one).
    const aNow = await p.jobs.status(a.job.id, actorA);
    expect(aNow.result!.tracks[index]).toMatchObject({ videoId: chosen, bytes: fixed.bytes });
    expect(aNow.result!.packagePath).toBe(fixEnd.result!.packagePath);
    expect(aNow.result!.packagePath).not.toBe(aEnd.result!.packagePath);
    expect(aNow.finishedAt).toBe(aEnd.finishedAt);
    const newZip = readFileSync(aNow.result!.packagePath!);
    expect(newZip.indexOf(readFileSync(file))).toBeGreaterThan(0);

    // Person B asks for the same album later: every track from the cache, track 3 the chosen video.
    const searchesBefore = p.stack.audio.stats.searches;
    const requestsBefore = JSON.stringify(p.stack.audio.stats.audioRequests);
    const b = await p.jobs.submit({ owner: personB, ref: refOf(shortAlbum.id) });
    const bEnd = await p.waitForEnd(b.job.id, 90_000);
    expect(bEnd.result!.tracks[index]).toMatchObject({ outcome: "cached", videoId: chosen });
    expect(bEnd.result!.tracks.every((t) => t.outcome === "cached")).toBe(true);
    expect(p.stack.audio.stats.searches).toBe(searchesBefore);
    expect(JSON.stringify(p.stack.audio.stats.audioRequests)).toBe(requestsBefore);
    const bFile = path.join(libraryDir, bEnd.result!.tracks[index]!.file!);
    expect(sha256(bFile)).toBe(newSha);

    // In another format nothing is cached: the chosen video is downloaded, nothing searched for it.
    const c = await p.jobs.submit({ owner: personB, ref: refOf(shortAlbum.id), format: "opus" });
    const cEnd = await p.waitForEnd(c.job.id, 90_000);
    expect(cEnd.result!.tracks[index]).toMatchObject({ outcome: "done", videoId: chosen, searches: 0 });
  }, 240_000);

  it("a person may not fix someone else's job unless whoMayFix says so", async () => {
    p = await createTestPipeline();
    await p.startWorkers();
    const a = await p.jobs.submit({ owner: personA, ref: refOf(shortAlbums[1]!.id) });
    const running = await refusal(p.jobs.fixTrack(a.job.id, 0, "dQw4w9WgXcQ", actorA));
    expect(running).toBe(`Job ${a.job.id} is still running; you can fix its tracks once it has ended.`);
    const aEnd = await p.waitForEnd(a.job.id, 90_000);
    const video = aEnd.result!.tracks[0]!.candidates![1]!.id;
    const service = (whoMayFix: "own" | "admins" | "anyone") =>
      createJobService({ connection: p!.redis, ...jobServiceOptions(p!.config), whoMayFix });
    const own = service("own");
    const admins = service("admins");
    const anyone = service("anyone");
    try {
      // The default ("own"): B may not fix A's job; an admin may.
      expect(await refusal(p.jobs.fixTrack(a.job.id, 0, video, actorB))).toBe(
        `Job ${a.job.id} is someone else's: you may fix only the tracks of your own jobs.`,
      );
      // Bad requests, in plain words (tracks are counted from 1 for people).
      expect(await refusal(own.fixTrack(a.job.id, 10, video, actorA))).toBe(
        `Job ${a.job.id} has tracks 1 to 10; there is no track 11.`,
      );
      expect(await refusal(own.fixTrack(a.job.id, 0, "not a video", actorA))).toMatch(
        /^That is not a YouTube video/,
      );
      expect(await refusal(own.fixTrack(a.job.id, 0, aEnd.result!.tracks[0]!.videoId!, actorA))).toBe(
        `Track 1 of job ${a.job.id} already comes from that video.`,
      );
      // "admins": not even the owner; "anyone": every allowed person.
      expect(await refusal(admins.fixTrack(a.job.id, 0, video, actorA))).toBe(
        "Only an admin may fix a track's match here.",
      );
      const byAdmin = await own.fixTrack(a.job.id, 0, video, { userId: 1, isAdmin: true });
      expect(byAdmin.fix).toEqual({ of: a.job.id, index: 0, videoId: video });
      await p.waitForEnd(byAdmin.id, 90_000);
      const other = aEnd.result!.tracks[1]!.candidates![1]!.id;
      const byB = await anyone.fixTrack(a.job.id, 1, other, actorB);
      expect(byB.owner).toEqual(personA); // still A's collection: it shows in A's /status
      const byBEnd = await p.waitForEnd(byB.id, 90_000);
      expect(byBEnd.result!.tracks.map((t) => t.videoId).slice(0, 2)).toEqual([video, other]);
    } finally {
      await Promise.all([own.close(), admins.close(), anyone.close()]);
    }
  }, 240_000);
});
