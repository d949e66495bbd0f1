/**
 * Fairness and bounds, end to end through the stand-ins with real workers, Redis, yt-dlp and ffmpeg: one
 * person's huge playlist is cut to the cap and cannot hold up another person's album, and a playlist whose
 * pages loop stops within the page budget. The Web API reads the app owner's playlists here (the seam of a
 * future owner login), so the huge and looping listings reach the core as Spotify would page them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/core/log.js";
import { catalogOptionsFromConfig, createCatalog } from "../../../src/core/spotify/catalog.js";
import {
  catalogTrackToTrack,
  hugePlaylist,
  loopingPlaylist,
  shortSingle,
} from "../../../src/emulators/spotify/index.js";
import { createTestPipeline, type TestPipeline } from "../../helpers/pipeline.js";

const cap = 30;
const bigOwner = { userId: 3001, chatId: 3001 };
const albumOwner = { userId: 3002, chatId: 3002 };
const ref = (kind: "album" | "playlist", id: string) => ({ kind, id, uri: `spotify:${kind}:${id}` });

describe("fairness and bounds between people's collections", () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await createTestPipeline({
      jobs: { maxTracksPerCollection: cap, workerConcurrency: 2, maxActiveDownloads: 2 },
    });
    p.stack.spotify.control.setOwnerAuthorised(true);
    // The huge playlist's tracks are kept out of the audio stand-in's catalog; add the ones collected.
    p.stack.audio.control.addTracks(
      hugePlaylist.tracks.slice(0, cap).map((t) => catalogTrackToTrack(t, p.stack.spotify.url)),
    );
    const catalog = createCatalog({
      ...catalogOptionsFromConfig(p.config.spotify, {
        logger: silentLogger(),
        maxTracks: p.config.jobs.maxTracksPerCollection,
      }),
      ownerAuthorised: true,
    });
    await p.startWorkers({ catalog });
  }, 60_000);
  afterAll(async () => p?.close());

  it("a 5,000-track playlist and another person's 2-track album at once: the album finishes while the big one is still running; the big one is capped and says so", async () => {
    const big = await p.jobs.submit({ owner: bigOwner, ref: ref("playlist", hugePlaylist.id) });
    // The big one's tracks are queued first, as when a playlist is already running.
    for (let view = big.job; view.stage !== "downloading";) {
      expect(view.stage).toMatch(/queued|resolving/);
      await new Promise((r) => setTimeout(r, 20));
      view = await p.jobs.status(big.job.id, { userId: bigOwner.userId, isAdmin: false });
    }
    const album = await p.jobs.submit({ owner: albumOwner, ref: ref("album", shortSingle.id) });

    // Two tracks' time on an idle machine; generous for a loaded one. Fairness is what the big one has
    // done meanwhile: queued first-in-first-out, the album would wait for all 30.
    const albumEnd = await p.waitForEnd(album.job.id, 30_000);
    const bigMeanwhile = await p.jobs.status(big.job.id, { userId: bigOwner.userId, isAdmin: false });
    expect(albumEnd.stage).toBe("done");
    expect(albumEnd.result!.tracks.map((t) => t.outcome)).toEqual(["done", "done"]);
    expect(bigMeanwhile.stage).toBe("downloading");
    expect(bigMeanwhile.total).toBe(cap);
    expect(bigMeanwhile.done).toBeLessThan(cap / 2);
    // The cap held while reading: the playlist came with its first page of 100 rows, no page beyond.
    const pagesRead = p.stack.spotify.control.requests.filter((r) =>
      r.path.startsWith(`/v1/playlists/${hugePlaylist.id}/items`),
    );
    expect(pagesRead).toEqual([]);

    // Its owner stops the big one (collecting all 30 would only make the test slow); what was cut is
    // said with the rest of its summary.
    await p.jobs.cancel(big.job.id, { userId: bigOwner.userId, isAdmin: false });
    const bigEnd = await p.waitForEnd(big.job.id, 10_000);
    expect(bigEnd.result!.truncated).toBe(true);
    expect(bigEnd.result!.notes).toContain(
      `Only the first ${cap} of 5,000 tracks of this playlist are collected: this bot takes at most ${cap} tracks from one link.`,
    );
  }, 45_000);

  it("a playlist whose next page points back to itself stops within the page budget with a clear message", async () => {
    p.stack.spotify.control.reset();
    const owner = { userId: 3003, chatId: 3003 };
    const { job } = await p.jobs.submit({ owner, ref: ref("playlist", loopingPlaylist.id) });
    const actor = { userId: owner.userId, isAdmin: false };
    let view = job;
    // Past resolving, and the first progress event (which carries the total) has arrived: the stage can
    // move a moment before that event is read.
    for (
      const until = Date.now() + 10_000;
      view.stage === "queued" || view.stage === "resolving" || !view.total;
    ) {
      if (Date.now() > until) throw new Error(`still ${view.stage} (total ${view.total}) after 10 s`);
      await new Promise((r) => setTimeout(r, 20));
      view = await p.jobs.status(job.id, actor);
    }
    const pages = p.stack.spotify.control.requests.filter((r) =>
      r.path.startsWith(`/v1/playlists/${loopingPlaylist.id}`),
    );
    // The playlist with its first page, then the page its `next` named, which was itself; the budget for
    // a cap of 30 is three pages.
    expect(pages.length).toBeLessThanOrEqual(3);
    expect(view.total).toBe(loopingPlaylist.tracks.length);
    // Stopped there (its tracks would take seconds): the summary says why the list may be incomplete.
    await p.jobs.cancel(job.id, actor);
    const end = await p.waitForEnd(job.id, 10_000);
    expect(end.result!.truncated).toBe(true);
    expect(end.result!.notes).toEqual([
      "Spotify's Web API sent the same page of this playlist again, so I stopped reading it after 3 tracks; it may have more.",
    ]);
  }, 30_000);
});
