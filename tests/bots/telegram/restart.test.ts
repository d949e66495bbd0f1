/**
 * A bot restart mid-job: the new instance picks the relay up from the job store, keeps editing the same
 * status message until it is the summary, and the tracks all reach the chat, in order and once each
 * (the outbox cursor says which were queued before the restart); a job that ended while no bot ran is
 * delivered when the next one starts.
 *
 * Each test gets a harness of its own (new emulator, Redis prefix, workers and audio stand-in), so no
 * test sees another's jobs, relays or transcripts, nor a slowed-down audio stand-in.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { demoAlbum, japaneseAlbum } from "../../../src/emulators/spotify/index.js";
import type { EmulatorEvent } from "../../../src/emulators/telegram/index.js";
import { alice, audioMessages, bob, createBotHarness, type BotHarness } from "./bot-harness.js";

describe("telegram bot restart", () => {
  let h: BotHarness;
  beforeEach(async () => {
    const harness = await createBotHarness({ workers: true });
    h = harness;
    return async () => {
      harness.p.stack.audio.control.slowAudio(0);
      await harness.close();
    };
  }, 120_000);

  it("a new bot instance resumes the relay: same status message, edited to the end, summary delivered", async () => {
    h.p.stack.audio.control.slowAudio(100);
    const status = await h.ask(alice, `https://open.spotify.com/album/${demoAlbum.id}`, /Job [a-z2-9]{7}/);
    const jobId = /Job ([a-z2-9]{7})/.exec(status.text)![1]!;
    await h.tg.waitFor(
      (e: EmulatorEvent) =>
        e.type === "message-edited" && e.chatId === alice.id && /^downloading/m.test(e.entry.text),
      30_000,
    );
    await h.bot.stop();
    const before = h.tg.transcript(alice.id).find((m) => m.messageId === status.messageId)!;
    expect((await h.p.jobs.status(jobId, { userId: alice.id, isAdmin: false })).stage).toBe("downloading");
    expect((await h.p.jobs.relays()).get(jobId)).toEqual([{ chatId: alice.id, messageId: status.messageId }]);

    await h.restart();
    h.p.stack.audio.control.slowAudio(0);
    const summary = await h.nextText(alice.id, /\(job /, 90_000);
    expect(summary.messageId).toBe(status.messageId);
    expect(summary.text).toContain("5 of 5 tracks ready");
    const after = h.tg.transcript(alice.id).find((m) => m.messageId === status.messageId)!;
    expect(after.editCount).toBeGreaterThan(before.editCount);
    expect(after.text).toMatch(new RegExp(`^✅ .+\\(job ${jobId}\\)`, "u"));
    // No second status or summary message was posted for the job.
    expect(h.tg.transcript(alice.id).filter((m) => m.kind === "text" && m.text.includes(jobId))).toHaveLength(
      1,
    );
    // Every track reached the chat once, in order, whether it ended before or after the restart.
    const start = Date.now();
    while (audioMessages(h.tg, alice.id).length < 5 && Date.now() - start < 20_000) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1500)); // a duplicate would show up now
    expect(audioMessages(h.tg, alice.id).map((a) => a.audio!.title)).toEqual(
      demoAlbum.tracks.map((t) => t.title),
    );
    expect(h.tg.stats().tooManyRequests).toBe(0);
  }, 150_000);

  it("a job that ended while no bot was running is delivered when the next one starts", async () => {
    const track = japaneseAlbum.tracks[0]!;
    const status = await h.ask(bob, `https://open.spotify.com/track/${track.id}`, /Job [a-z2-9]{7}/);
    const jobId = /Job ([a-z2-9]{7})/.exec(status.text)![1]!;
    await h.bot.stop();
    const end = await h.p.waitForEnd(jobId, 60_000);
    expect(end.stage).toBe("done");
    expect(h.tg.transcript(bob.id).some((m) => m.text.includes("(job "))).toBe(false);
    expect(audioMessages(h.tg, bob.id)).toHaveLength(0);

    // The next bot turns the status message into the summary and sends the track.
    const summary = h.nextText(bob.id, /\(job /, 30_000);
    await h.restart();
    expect((await summary).messageId).toBe(status.messageId);
    const edited = h.tg.transcript(bob.id).find((m) => m.messageId === status.messageId)!;
    expect(edited.text).toContain("1 of 1 tracks ready");
    expect(edited.text).toMatch(new RegExp(`^✅ .+\\(job ${jobId}\\)`, "u"));
    const start = Date.now();
    while (audioMessages(h.tg, bob.id).length < 1 && Date.now() - start < 20_000) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(audioMessages(h.tg, bob.id)[0]!.audio!.title).toBe(track.title);
  }, 120_000);
});
