/**
 * The Telegram Bot API misbehaving while a job runs: 5xx answers, calls that never answer, a 429
 * storm (10 s in the default run; the one-minute storm of the issue with CDC_LONG_FAULTS=1), and a flood
 * wait on uploads longer than auto-retry's cap in the middle of the delivery (20 s against a 5 s cap;
 * 90 s against the production 60 s with CDC_LONG_FAULTS=1). Whatever happens, the job ends and the person
 * is told once (the job's status message becomes the summary, no other message repeats it) and gets each
 * track once, in order.
 *
 * Tracks go out as they end: a run of confident tracks as one album (sendMediaGroup), a single one with
 * sendAudio; how they group depends on when they end. So the faults here hit both upload methods, and the
 * checks do not assume a grouping.
 */
import { afterEach, describe, expect, it } from "vitest";
import { shortAlbum } from "../../../src/emulators/spotify/index.js";
import type { TelegramEmulator } from "../../../src/emulators/telegram/index.js";
import {
  alice,
  expectCleanEnd,
  expectToldOnce,
  spotifyLink,
  startRig,
  summaryRe,
  type Rig,
} from "./fault-rig.js";

const link = spotifyLink("album", shortAlbum.id);
const trackCount = shortAlbum.tracks.length;
const longFaults = process.env.CDC_LONG_FAULTS === "1";

/** Resolves once `count` audio messages are in Alice's chat; false past the deadline. */
async function audioCount(tg: TelegramEmulator, count: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (tg.transcript(alice.id).filter((m) => m.kind === "audio").length >= count) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/** Upload calls the emulator answered with audio messages in Alice's chat: singles, plus one per album. */
function uploadSends(tg: TelegramEmulator): number {
  const audios = tg.transcript(alice.id).filter((m) => m.kind === "audio");
  const albums = new Set(audios.map((m) => m.mediaGroupId).filter((id) => id !== undefined));
  return audios.filter((m) => m.mediaGroupId === undefined).length + albums.size;
}

/** Calls of the two methods tracks go by (failed and refused ones included). */
function uploadCalls(tg: TelegramEmulator): number {
  const calls = tg.stats().callsByMethod;
  return (calls.sendAudio ?? 0) + (calls.sendMediaGroup ?? 0);
}

/** The chat as a person sees it after the job: told once (the status message is the summary), every track once, in order. */
async function expectChatComplete(rig: Rig, jobId: string, timeoutMs: number): Promise<void> {
  const tg = rig.tg!;
  const summary = await rig.summaryFor(jobId, timeoutMs);
  expect(summary.text).toMatch(/^✅ /u);
  expect(summary.text).toContain(`${trackCount} of ${trackCount} tracks ready`);
  expect(await audioCount(tg, trackCount, timeoutMs)).toBe(true);
  // Give late retries a moment to show up as duplicates, if any would.
  await new Promise((r) => setTimeout(r, 1500));
  await expectToldOnce(rig, jobId);
  const chat = tg.transcript(alice.id).filter((m) => !m.deleted);
  const titles = chat.filter((m) => m.kind === "audio").map((m) => m.audio!.title);
  expect(titles).toEqual(shortAlbum.tracks.map((t) => t.title));
}

describe("Telegram faults", () => {
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it("5xx answers on sends, edits and uploads: the job ends and the chat is told once", async () => {
    rig = await startRig({ role: "all", telegram: true });
    const tg = rig.tg!;
    const jobId = await rig.requestByChat(link);
    // grammY's auto-retry backs off 3 s, 6 s, … on 5xx: one failure of each kind keeps this case short.
    // Edits carry the progress and, at the end, the summary; tracks go as albums or one by one.
    tg.failNext({ method: "editMessageText", status: 502 });
    tg.failNext({ method: "sendMediaGroup", status: 503 });
    tg.failNext({ method: "sendAudio", status: 502, html: true });
    const end = await rig.waitForEnd(jobId, 60_000);
    expect(end.stage).toBe("done");
    await expectChatComplete(rig, jobId, 60_000);
    // At least one upload was refused and sent again, and none arrived twice.
    expect(uploadCalls(tg)).toBeGreaterThan(uploadSends(tg));
    await expectCleanEnd(end, rig.config, rig.config.redis.url);
  }, 120_000);

  it("calls that never answer (timeouts) do not stop the summary", async () => {
    rig = await startRig({ role: "all", telegram: true });
    const tg = rig.tg!;
    const jobId = await rig.requestByChat(link);
    // The next status edit and one upload of each kind hang until the client gives up.
    tg.hang({ method: "editMessageText", count: 1 });
    tg.hang({ method: "sendMediaGroup", count: 1 });
    tg.hang({ method: "sendAudio", count: 1 });
    const end = await rig.waitForEnd(jobId, 60_000);
    expect(end.stage).toBe("done");
    await expectChatComplete(rig, jobId, 90_000);
    await expectCleanEnd(end, rig.config, rig.config.redis.url);
  }, 180_000);

  const storm = async (durationMs: number) => {
    rig = await startRig({ role: "all", telegram: true });
    const tg = rig.tg!;
    const jobId = await rig.requestByChat(link);
    tg.resetStats();
    // When the status message became the summary (the edit's time: the message itself is older).
    let summarisedAt: number | undefined;
    const off = tg.onEvent((e) => {
      if (
        e.type === "message-edited" &&
        e.chatId === alice.id &&
        summaryRe.test(e.entry.text) &&
        e.entry.text.includes(`job ${jobId}`)
      )
        summarisedAt ??= Date.now();
    });
    try {
      const stormEnds = Date.now() + durationMs;
      tg.storm429({ durationMs });
      const end = await rig.waitForEnd(jobId, 60_000);
      expect(end.stage).toBe("done");
      await expectChatComplete(rig, jobId, durationMs + 90_000);
      expect(summarisedAt).toBeGreaterThanOrEqual(stormEnds - 1000);
      expect(tg.stats().tooManyRequests).toBeGreaterThan(0);
      await expectCleanEnd(end, rig.config, rig.config.redis.url);
    } finally {
      off();
    }
  };

  it("a 10 s 429 storm: everything is sent once the storm ends", () => storm(10_000), 150_000);

  it.skipIf(!longFaults)("a one-minute 429 storm (CDC_LONG_FAULTS=1)", () => storm(60_000), 240_000);

  /**
   * Once the first track is in the chat, Telegram wants `seconds` before the next upload into it (album
   * or single), more than auto-retry waits (`capSeconds`, or the production default of 60 s): the rest of
   * the tracks must still come, after the wait, in order, and the person is told once which ones and
   * roughly when.
   */
  const floodWait = async (seconds: number, capSeconds: number | undefined, about: string) => {
    rig = await startRig({
      role: "all",
      telegram: true,
      ...(capSeconds !== undefined ? { botTuning: { maxRetryDelaySeconds: capSeconds } } : {}),
    });
    const tg = rig.tg!;
    const sentAt: number[] = [];
    const off = tg.onEvent((e) => {
      if (e.type !== "message-sent" || e.chatId !== alice.id || e.entry.kind !== "audio") return;
      sentAt.push(Date.now());
      // Armed by the first upload's answer: the calls after it wait, whichever method they use (each
      // method's wait begins at its first refused call, so a delivery may wait twice).
      if (sentAt.length === 1)
        for (const method of ["sendAudio", "sendMediaGroup"])
          tg.floodWait({ method, chatId: alice.id, seconds });
    });
    try {
      const jobId = await rig.requestByChat(link);
      const end = await rig.waitForEnd(jobId, 60_000);
      expect(end.stage).toBe("done");
      await expectChatComplete(rig, jobId, 2 * seconds * 1000 + 90_000);
      const chat = tg.transcript(alice.id);
      const notices = chat.filter((m) => m.text.startsWith("Telegram asked me to slow down"));
      expect(notices).toHaveLength(1);
      // The notice sits between the tracks sent before the wait and the first one after it.
      const kinds = chat.map((m) =>
        m.kind === "audio" ? "audio" : m.text.startsWith("Telegram asked") ? "notice" : "text",
      );
      const before = kinds.slice(0, kinds.indexOf("notice")).filter((k) => k === "audio").length;
      expect(before).toBeGreaterThanOrEqual(1);
      expect(before).toBeLessThan(trackCount);
      expect(kinds.slice(kinds.indexOf("notice") + 1).every((k) => k === "audio")).toBe(true);
      // It names the tracks waiting from the first held back on (those ended by then; later ones follow).
      const said = new RegExp(
        `^Telegram asked me to slow down; tracks? (\\d+)(?:–(\\d+))? of “.+” will follow in ${about}\\.$`,
      ).exec(notices[0]!.text);
      expect(said, notices[0]!.text).not.toBeNull();
      expect(Number(said![1])).toBe(before + 1);
      expect(Number(said![2] ?? said![1])).toBeLessThanOrEqual(trackCount);
      // The first track after the notice waited for Telegram.
      expect(sentAt[before]! - sentAt[before - 1]!).toBeGreaterThanOrEqual((seconds - 1) * 1000);
      await expectCleanEnd(end, rig.config, rig.config.redis.url);
    } finally {
      off();
    }
  };

  it(
    "a 20 s flood wait on uploads mid-delivery (auto-retry cap 5 s): every track comes, once, in order",
    () => floodWait(20, 5, "about 20 seconds"),
    180_000,
  );

  it.skipIf(!longFaults)(
    "a 90 s flood wait on uploads mid-delivery (production cap 60 s, CDC_LONG_FAULTS=1)",
    () => floodWait(90, undefined, "about 2 minutes"),
    420_000,
  );
});
