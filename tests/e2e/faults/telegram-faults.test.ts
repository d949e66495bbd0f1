/**
 * The Telegram Bot API misbehaving while a job runs: 5xx answers, calls that never answer, a 429
 * storm (10 s in the default run; the one-minute storm of the issue with CDC_LONG_FAULTS=1), and a flood
 * wait on uploads longer than auto-retry's cap in the middle of the delivery (20 s against a 5 s cap;
 * 90 s against the production 60 s with CDC_LONG_FAULTS=1). Whatever happens, the job ends and the person
 * gets exactly one summary, one final status and each track once, in order.
 */
import { afterEach, describe, expect, it } from "vitest";
import { shortAlbum } from "../../../src/emulators/spotify/index.js";
import type { TelegramEmulator } from "../../../src/emulators/telegram/index.js";
import { alice, expectCleanEnd, spotifyLink, startRig, type Rig } from "./fault-rig.js";

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

/** The chat as a person sees it after the job: one final status, one summary, every track once. */
async function expectToldOnce(rig: Rig, jobId: string, timeoutMs: number): Promise<void> {
  const tg = rig.tg!;
  const summary = await rig.summaryFor(jobId, timeoutMs);
  expect(summary.text).toContain(`${trackCount} of ${trackCount} tracks ready`);
  expect(await audioCount(tg, trackCount, timeoutMs)).toBe(true);
  // Give late retries a moment to show up as duplicates, if any would.
  await new Promise((r) => setTimeout(r, 1500));
  const chat = tg.transcript(alice.id).filter((m) => !m.deleted);
  expect(chat.filter((m) => m.text.includes(`(job ${jobId})`))).toHaveLength(1);
  const statuses = chat.filter((m) => m.text.includes(`Job ${jobId}`));
  expect(statuses).toHaveLength(1);
  expect(statuses[0]!.text).toContain("✅ Done");
  const titles = chat.filter((m) => m.kind === "audio").map((m) => m.audio!.title);
  expect(titles.sort()).toEqual(shortAlbum.tracks.map((t) => t.title).sort());
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
    tg.failNext({ method: "editMessageText", status: 502 });
    tg.failNext({ method: "sendMessage", status: 500 });
    tg.failNext({ method: "sendAudio", status: 503 });
    tg.failNext({ method: "sendAudio", status: 502, html: true });
    const end = await rig.waitForEnd(jobId, 60_000);
    expect(end.stage).toBe("done");
    await expectToldOnce(rig, jobId, 60_000);
    expect(tg.stats().callsByMethod.sendAudio).toBeGreaterThan(trackCount);
    await expectCleanEnd(end, rig.config, rig.config.redis.url);
  }, 120_000);

  it("calls that never answer (timeouts) do not stop the summary", async () => {
    rig = await startRig({ role: "all", telegram: true });
    const tg = rig.tg!;
    const jobId = await rig.requestByChat(link);
    // The next status edit, the summary's first try and one upload hang until the client gives up.
    tg.hang({ method: "editMessageText", count: 1 });
    tg.hang({ method: "sendMessage", count: 1 });
    tg.hang({ method: "sendAudio", count: 1 });
    const end = await rig.waitForEnd(jobId, 60_000);
    expect(end.stage).toBe("done");
    await expectToldOnce(rig, jobId, 90_000);
    await expectCleanEnd(end, rig.config, rig.config.redis.url);
  }, 180_000);

  const storm = async (durationMs: number) => {
    rig = await startRig({ role: "all", telegram: true });
    const tg = rig.tg!;
    const jobId = await rig.requestByChat(link);
    tg.resetStats();
    const stormEnds = Date.now() + durationMs;
    tg.storm429({ durationMs });
    const end = await rig.waitForEnd(jobId, 60_000);
    expect(end.stage).toBe("done");
    await expectToldOnce(rig, jobId, durationMs + 90_000);
    const summary = await rig.summaryFor(jobId, 1000);
    expect(summary.date * 1000).toBeGreaterThanOrEqual(Math.floor(stormEnds / 1000) * 1000 - 1000);
    expect(tg.stats().tooManyRequests).toBeGreaterThan(0);
    await expectCleanEnd(end, rig.config, rig.config.redis.url);
  };

  it("a 10 s 429 storm: everything is sent once the storm ends", () => storm(10_000), 150_000);

  it.skipIf(!longFaults)("a one-minute 429 storm (CDC_LONG_FAULTS=1)", () => storm(60_000), 240_000);

  /**
   * After three uploads Telegram wants `seconds` before the next sendAudio into the chat, more than
   * auto-retry waits (`capSeconds`, or the production default of 60 s): the rest of the tracks must still
   * come, after the wait, in order, and the person is told once which ones and roughly when.
   */
  const floodWait = async (seconds: number, capSeconds: number | undefined, about: string) => {
    rig = await startRig({
      role: "all",
      telegram: true,
      ...(capSeconds !== undefined ? { botTuning: { maxRetryDelaySeconds: capSeconds } } : {}),
    });
    const tg = rig.tg!;
    tg.floodWait({ method: "sendAudio", chatId: alice.id, seconds, afterCalls: 3 });
    const sentAt: number[] = [];
    const off = tg.onEvent((e) => {
      if (e.type === "message-sent" && e.chatId === alice.id && e.entry.kind === "audio")
        sentAt.push(Date.now());
    });
    try {
      const jobId = await rig.requestByChat(link);
      const end = await rig.waitForEnd(jobId, 60_000);
      expect(end.stage).toBe("done");
      await expectToldOnce(rig, jobId, seconds * 1000 + 90_000);
      const chat = tg.transcript(alice.id);
      const titles = chat.filter((m) => m.kind === "audio").map((m) => m.audio!.title);
      expect(titles).toEqual(shortAlbum.tracks.map((t) => t.title));
      const notices = chat.filter((m) => m.text.startsWith("Telegram asked me to slow down"));
      expect(notices).toHaveLength(1);
      expect(notices[0]!.text).toMatch(
        new RegExp(
          `^Telegram asked me to slow down; tracks 4–${trackCount} of “.+” will follow in ${about}\\.$`,
        ),
      );
      // The notice sits between the third and the fourth track; the fourth waited for Telegram.
      const kinds = chat.map((m) =>
        m.kind === "audio" ? "audio" : m.text.startsWith("Telegram asked") ? "notice" : "text",
      );
      const firstAudio = kinds.indexOf("audio");
      expect(kinds.slice(firstAudio, firstAudio + 5)).toEqual(["audio", "audio", "audio", "notice", "audio"]);
      expect(sentAt[3]! - sentAt[2]!).toBeGreaterThanOrEqual((seconds - 1) * 1000);
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
    300_000,
  );
});
