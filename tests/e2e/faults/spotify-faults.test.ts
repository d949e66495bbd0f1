/**
 * Spotify refusing: a 429 with a day-long Retry-After, and an exhausted quota (QUOTA_EXCEEDED). The bot
 * must not sit on the job for a day: it fails over to the public embed page within
 * `maxRetryAfterSeconds`, or, when nothing can read the link, ends the job with a reason a person can act on.
 */
import { afterEach, describe, expect, it } from "vitest";
import { shortAlbum } from "../../../src/emulators/spotify/index.js";
import { alice, expectCleanEnd, spotifyLink, startRig, type Rig } from "./fault-rig.js";

const ref = { kind: "album" as const, id: shortAlbum.id, uri: `spotify:album:${shortAlbum.id}` };

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
    const status = rig.tg!.transcript(alice.id).find((m) => m.text.includes(`Job ${jobId}`));
    expect(status?.text).toMatch(/❌ Failed: .*quota/i);
    await expectCleanEnd(end, rig.config, rig.config.redis.url);
  }, 90_000);
});
