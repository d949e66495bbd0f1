/**
 * Spotify refusing: a 429 with a day-long Retry-After, an exhausted quota (QUOTA_EXCEEDED), the app
 * owner's lapsed Premium, and (the normal case since 2026) every playlist's `/items` answering 403 to a
 * client-credentials token. The bot must not sit on the job for a day: it fails over to the public embed
 * page within `maxRetryAfterSeconds`, or, when nothing can read the link, ends the job with a reason a
 * person can act on; playlists go to the embed page without spending a call.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createKeys } from "../../../src/core/jobs/keys.js";
import { createOperatorNotices } from "../../../src/core/operator-notices.js";
import { createRedis } from "../../../src/core/redis.js";
import { shortAlbum, shortAlbums, sprintPlaylist } from "../../../src/emulators/spotify/index.js";
import { alice, expectCleanEnd, expectToldOnce, spotifyLink, startRig, type Rig } from "./fault-rig.js";

const ref = { kind: "album" as const, id: shortAlbum.id, uri: `spotify:album:${shortAlbum.id}` };
const owner = { userId: 1, chatId: 1 };

/** The operator notices the rig's processes wrote, oldest first. */
async function noticesOf(rig: Rig) {
  const connection = createRedis({ url: rig.config.redis.url }, "events");
  try {
    const notices = createOperatorNotices({ redis: connection, keys: createKeys(rig.config.redis.prefix) });
    return (await notices.read("0", 1, connection)).map((n) => n.notice);
  } finally {
    connection.disconnect();
  }
}

describe("Spotify faults", () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it("a 429 with a long Retry-After fails over to the embed page instead of waiting", async () => {
    rig = await startRig({ config: { spotify: { maxRetryAfterSeconds: 5 } } });
    rig.stack.spotify.control.failNext({ status: 429, retryAfter: 86_400, count: 1000, route: "api" });
    const started = Date.now();
    const { job } = await rig.service.core.jobs.submit({ owner: { userId: 1, chatId: 1 }, ref });
    const end = await rig.waitForEnd(job.id, 60_000);
    expect(Date.now() - started).toBeLessThan(45_000);
    expect(end.stage).toBe("done");
    expect(end.result!.tracks).toHaveLength(shortAlbum.tracks.length);
    expect(end.result!.tracks.every((t) => t.outcome === "done")).toBe(true);
    // The person learns the catalog answered through the fallback, and why.
    expect(end.result!.notes.join(" ")).toMatch(/was not used: .*wait 24 h/);
    expect(rig.stack.spotify.control.counts.embed).toBeGreaterThan(0);
    // The admin is told once, and the Web API rests for the day on every worker.
    expect((await noticesOf(rig)).map((n) => n.kind)).toEqual(["spotify_paused"]);
    expect(rig.stack.spotify.control.requests.filter((r) => r.route === "api")).toHaveLength(1);
    await expectCleanEnd(end, rig.config, rig.config.redis.url);
  }, 90_000);

  it("QUOTA_EXCEEDED with no other source: the job fails at once and the chat says why", async () => {
    rig = await startRig({ role: "all", telegram: true });
    rig.stack.spotify.control.failNext({
      status: 429,
      retryAfter: 36_000,
      reason: "QUOTA_EXCEEDED",
      count: 1000,
      route: "api",
    });
    rig.stack.spotify.control.failNext({ status: 429, retryAfter: 36_000, count: 1000, route: "embed" });
    const started = Date.now();
    const jobId = await rig.requestByChat(spotifyLink("album", shortAlbum.id));
    const end = await rig.waitForEnd(jobId, 60_000);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(end.stage).toBe("failed");
    expect(end.result!.reason).toMatch(/quota/i);
    const summary = await rig.summaryFor(jobId, 20_000);
    expect(summary.text).toContain("I couldn't collect it");
    expect(summary.text).toMatch(/quota is used up/i);
    expect(summary.text).toMatch(/will work again once it resets/);
    // Told once: the job's status message itself became this summary, no second message repeats it.
    await expectToldOnce(rig, jobId);
    expect(rig.tg!.transcript(alice.id).filter((m) => /quota/i.test(m.text))).toHaveLength(1);
    await expectCleanEnd(end, rig.config, rig.config.redis.url);
  }, 90_000);

  it("a playlist is read from the embed page with no Web API call, and every track is collected", async () => {
    // FACTS.md, Spotify: with a client-credentials token "every playlist's `/items` answers 403 in
    // development mode … Plan for 403 as the normal answer and go to the embed page without spending calls."
    rig = await startRig();
    const playlistRef = {
      kind: "playlist" as const,
      id: sprintPlaylist.id,
      uri: `spotify:playlist:${sprintPlaylist.id}`,
    };
    const { job } = await rig.service.core.jobs.submit({ owner, ref: playlistRef });
    const end = await rig.waitForEnd(job.id, 120_000);
    expect(end.stage).toBe("done");
    expect(end.result!.tracks).toHaveLength(sprintPlaylist.tracks.length);
    expect(end.result!.tracks.every((t) => t.outcome === "done")).toBe(true);
    expect(end.result!.notes).toEqual([]);
    const spotify = rig.stack.spotify.control;
    expect(spotify.requests.filter((r) => r.path.includes("/items"))).toEqual([]);
    expect(spotify.counts.api + spotify.counts.token).toBe(0);
    await expectCleanEnd(end, rig.config, rig.config.redis.url);
  }, 180_000);

  it("the app owner's Premium lapses: links still collect, the admin is told once, later jobs skip the Web API", async () => {
    // FACTS.md, Spotify: "When the app owner's Premium lapses, every call (even `GET /v1/tracks/{id}`)
    // answers 403 "Active premium subscription required for the owner of the app" (LavaSrc #334,
    // spotDL #2634): an operator problem, not the person's link."
    rig = await startRig();
    const spotify = rig.stack.spotify.control;
    spotify.setPremiumLapsed(true);
    const first = await rig.service.core.jobs.submit({ owner, ref });
    const end = await rig.waitForEnd(first.job.id, 60_000);
    expect(end.stage).toBe("done");
    expect(end.result!.tracks.every((t) => t.outcome === "done")).toBe(true);
    const notes = end.result!.notes.join(" ");
    expect(notes).toContain("your link is fine");
    expect(notes).not.toMatch(/not found|private|deleted|mistyped|someone else/i);
    const apiCalls = spotify.counts.api + spotify.counts.token;
    expect(spotify.requests.filter((r) => r.route === "api").map((r) => r.status)).toEqual([403]);

    const other = shortAlbums[1]!;
    const second = await rig.service.core.jobs.submit({
      owner,
      ref: { kind: "album", id: other.id, uri: `spotify:album:${other.id}` },
    });
    const secondEnd = await rig.waitForEnd(second.job.id, 60_000);
    expect(secondEnd.stage).toBe("done");
    expect(spotify.counts.api + spotify.counts.token).toBe(apiCalls);
    const notices = await noticesOf(rig);
    expect(notices.filter((n) => n.kind === "spotify_premium_lapsed")).toHaveLength(1);
    await expectCleanEnd(secondEnd, rig.config, rig.config.redis.url);
  }, 120_000);
});
