/**
 * Progress and delivery end to end: real workers (yt-dlp, ffmpeg) collect demoAlbum while the bot edits
 * one status message at the per-chat pace and sends the tracks as audio (with a thumbnail) as they are
 * ready; the status message ends as the summary with the link. A repeat goes out by file_id with no upload; a 429 storm and 5xx answers are
 * survived.
 *
 * Each test gets a harness of its own (new emulator, Redis prefix, workers, track cache and metrics), so
 * the first delivery always starts from an empty cache and no test sees another's chats or counters; a
 * test that needs the album collected once before collects it itself.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { demoAlbum } from "../../../src/emulators/spotify/index.js";
import { eventually } from "../../helpers/processes.js";
import type { EmulatorEvent } from "../../../src/emulators/telegram/index.js";
import {
  alice,
  audioMessages,
  bob,
  carol,
  counterValue,
  createBotHarness,
  type BotHarness,
} from "./bot-harness.js";

const link = `https://open.spotify.com/album/${demoAlbum.id}`;
const summaryRe = /tracks ready/;

describe("telegram bot progress and delivery", () => {
  let h: BotHarness;
  beforeEach(async () => {
    const harness = await createBotHarness({ workers: true, telegram: { editIntervalSeconds: 2 } });
    h = harness;
    return () => harness.close();
  }, 120_000);

  /** The workers collect demoAlbum for `person` and the bot delivers it: summary and five audio messages. */
  async function collectAndDeliver(person: { id: number; firstName: string }): Promise<void> {
    await h.ask(person, `/download ${link}`, /Job [a-z2-9]{7}/);
    await h.nextText(person.id, summaryRe, 90_000);
    await waitForCount(() => audioMessages(h.tg, person.id).length, 5);
  }

  it("edits one status message at most every editIntervalSeconds; it ends as the summary with the link, and the audio comes", async () => {
    const editTimes: number[] = [];
    // Record every edit of Alice's chat (the predicate never matches; the waiter just times out).
    const recorder = h.tg
      .waitFor((e: EmulatorEvent) => {
        if (e.type === "message-edited" && e.chatId === alice.id) editTimes.push(Date.now());
        return false;
      }, 60_000)
      .catch(() => undefined);
    void recorder;
    const statusMessage = await h.ask(alice, `/download ${link}`, /Job [a-z2-9]{7}/);
    const jobId = /Job ([a-z2-9]{7})/.exec(statusMessage.text)![1]!;
    const summary = await h.nextText(alice.id, summaryRe, 90_000);
    expect(summary.messageId).toBe(statusMessage.messageId);
    expect(summary.text).toContain("Façades & Fjords");
    expect(summary.text).toContain("5 of 5 tracks ready");
    expect(summary.text).toMatch(/Length 5:0\d · size [\d.]+ MB/);
    expect(summary.text).toMatch(/Download everything \(the link works until [\d: -]+UTC\):/);
    expect(summary.text).toContain(`https://files.example.org/c/${jobId}.zip?sig=test`);

    // The one status message went through the stages and ended as the summary, its button "Wrong song?".
    const status = h.tg.transcript(alice.id).find((m) => m.messageId === statusMessage.messageId)!;
    expect(status.editCount).toBeGreaterThanOrEqual(2);
    expect(status.previousTexts.some((t) => /downloading|reading the track list/.test(t))).toBe(true);
    expect(status.replyMarkup?.inline_keyboard.flat().map((b) => b.text)).toEqual(["🤔 Wrong song?"]);
    // No second message repeats it.
    expect(h.tg.transcript(alice.id).filter((m) => m.kind === "text" && m.text.includes(jobId))).toHaveLength(
      1,
    );

    // Audio: five messages with tags and a thumbnail, uploaded once.
    await waitForCount(() => audioMessages(h.tg, alice.id).length, 5);
    const audios = audioMessages(h.tg, alice.id);
    expect(audios.map((a) => a.audio!.title)).toEqual(demoAlbum.tracks.map((t) => t.title));
    expect(audios[1]!.audio!.performer).toBe("Léa Marchand, Jørgen Ås");
    expect(Math.abs(audios[0]!.audio!.duration! - 34)).toBeLessThanOrEqual(1);
    expect(audios.every((a) => a.audio!.uploaded && a.audio!.hasThumbnail)).toBe(true);
    expect(h.tg.stats().uploads.count).toBe(10); // 5 files + 5 thumbnails

    // The pace: edits at most one per editIntervalSeconds, every call into the chat at most 1/s, no 429s.
    for (let i = 1; i < editTimes.length; i++)
      expect(editTimes[i]! - editTimes[i - 1]!).toBeGreaterThanOrEqual(1900);
    const sends = h.tg.sendTimestamps(alice.id);
    for (let i = 1; i < sends.length; i++) expect(sends[i]! - sends[i - 1]!).toBeGreaterThanOrEqual(950);
    expect(h.tg.stats().maxPerChatPerSecond).toBe(1);
    expect(h.tg.stats().tooManyRequests).toBe(0);
    // The relay is cleared right after the last send returns: allow that moment to pass.
    expect(await eventually(async () => (await h.p.jobs.relays()).size === 0, 5000)).toBe(true);
  }, 120_000);

  it("sends a repeat by file_id: no upload, the same files", async () => {
    // Alice's album was collected and uploaded once.
    await collectAndDeliver(alice);
    const first = audioMessages(h.tg, alice.id).map((a) => a.audio!.fileId);
    const uploadsBefore = h.tg.stats().uploads;
    const sends = (s: ReturnType<typeof h.tg.stats>) =>
      (s.callsByMethod.sendAudio ?? 0) + (s.callsByMethod.sendMediaGroup ?? 0);
    const sendsBefore = sends(h.tg.stats());

    // Bob asks for the same album: a new job whose tracks come from the cache, sent by file_id.
    await h.ask(bob, link, /Job [a-z2-9]{7}/);
    await h.nextText(bob.id, summaryRe, 60_000);
    await waitForCount(() => audioMessages(h.tg, bob.id).length, 5);
    // Alice repeats her request: the same (finished) job, delivered again.
    await h.ask(alice, link, /Job [a-z2-9]{7}/);
    await waitForCount(() => audioMessages(h.tg, alice.id).length, 10);

    for (const audios of [audioMessages(h.tg, bob.id), audioMessages(h.tg, alice.id).slice(5)]) {
      expect(audios.map((a) => a.audio!.fileId)).toEqual(first);
      expect(audios.every((a) => !a.audio!.uploaded)).toBe(true);
    }
    expect(h.tg.stats().uploads).toEqual(uploadsBefore);
    expect(sends(h.tg.stats())).toBeGreaterThan(sendsBefore);
    await vi.waitFor(async () =>
      expect(await counterValue(h.metrics, "cdc_cache_hits_total", { kind: "telegram" })).toBe(10),
    );
  }, 120_000);

  it("survives a 429 storm and 5xx answers and still delivers the final summary", async () => {
    // The album is in the cache already (Alice had it), so Carol's delivery runs while the storm lasts.
    await collectAndDeliver(alice);
    h.tg.resetStats();
    h.tg.storm429({ durationMs: 5000 });
    h.tg.failNext({ method: "sendMessage", status: 502, html: true });
    h.tg.failNext({ method: "sendAudio", status: 500, count: 1 });
    h.tg.failNext({ method: "sendMediaGroup", status: 500, count: 1 });
    h.tg.sendText(carol, `/download ${link}`);
    const summary = await h.nextText(carol.id, summaryRe, 90_000);
    expect(summary.text).toContain("5 of 5 tracks ready");
    await waitForCount(() => audioMessages(h.tg, carol.id).length, 5);
    const stats = h.tg.stats();
    expect(stats.tooManyRequests).toBeGreaterThan(0);
    expect(await counterValue(h.metrics, "cdc_telegram_api_errors_total", { code: "429" })).toBeGreaterThan(
      0,
    );
    // A 500 on the first track send (one audio or an album) was retried, and nothing was lost.
    const serverErrors =
      (await counterValue(h.metrics, "cdc_telegram_api_errors_total", { method: "sendAudio", code: "500" })) +
      (await counterValue(h.metrics, "cdc_telegram_api_errors_total", {
        method: "sendMediaGroup",
        code: "500",
      }));
    expect(serverErrors).toBeGreaterThanOrEqual(1);
    // An HTML error page (a failing proxy) is no Bot API answer: grammY reports a network error.
    expect(
      await counterValue(h.metrics, "cdc_telegram_api_errors_total", {
        method: "sendMessage",
        code: "network",
      }),
    ).toBe(1);
    // Exactly one message about the job (the status message, now the summary) and each track once:
    // retries did not duplicate anything.
    const texts = h.tg
      .transcript(carol.id)
      .filter((m) => m.kind === "text")
      .map((m) => m.text);
    const jobId = /\(job ([a-z2-9]{7})\)/.exec(summary.text)![1]!;
    expect(texts.filter((t) => t.includes(jobId))).toHaveLength(1);
    expect(texts.filter((t) => /^✅ .*\(job /.test(t))).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1500)); // a duplicate would show up now
    expect(audioMessages(h.tg, carol.id).map((a) => a.audio!.title)).toEqual(
      demoAlbum.tracks.map((t) => t.title),
    );
  }, 120_000);
});

async function waitForCount(count: () => number, want: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (count() < want) {
    if (Date.now() > deadline) throw new Error(`still ${count()} of ${want} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
