/**
 * Deliveries that Telegram makes wait, and uploads near the limit, as the person sees them in the
 * stand-in. A flood wait longer than auto-retry's cap (here 20 s against a 5 s cap; the fault suite
 * runs 90 s against the production 60 s) used to drop the rest of the audio messages: now they all come,
 * once each, in order, after the wait, and the person is told once what is still coming. The same holds
 * across a bot restart during the wait (the outbox is in Redis) and for 5xx answers that outlast
 * auto-retry. A track whose file and thumbnail would not fit in one upload request is not uploaded, and
 * an album is never larger than one upload request may be.
 *
 * A finished job's confident tracks go out as albums (sendMediaGroup) and a doubtful one on its own
 * (sendAudio, with a "Wrong song?" button); the tests mark one track doubtful so that a delivery is
 * several sends whatever the album sizes, and fault the method of the send they mean to hit.
 *
 * Each test gets a harness of its own (new emulator, Redis prefix, outbox and metrics), so no test sees
 * another's fault rules, transcripts or counters, and they pass in any order.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { Api, GrammyError, InputFile } from "grammy";
import { beforeEach, describe, expect, it } from "vitest";
import type { JobView } from "../../../src/core/jobs/job-service.js";
import type { EmulatorEvent, TranscriptEntry } from "../../../src/emulators/telegram/index.js";
import { eventually } from "../../helpers/processes.js";
import {
  alice,
  audioMessages,
  bob,
  carol,
  counterValue,
  createBotHarness,
  deliverJob,
  finishedJob,
  token,
  type BotHarness,
} from "./bot-harness.js";

const still = /Telegram (asked me to slow down|is having trouble right now)/;
const songs = (n: number, bytes = 40_000) =>
  Array.from({ length: n }, (_, i) => ({ title: `Song ${i + 1}`, bytes: bytes + i }));

/** The job with its track at `position` (from 1) a doubtful match: it goes out alone, between albums. */
function withDoubtful(view: JobView, position: number): JobView {
  const tracks = view.result!.tracks.map((t) => (t.index === position - 1 ? { ...t, confidence: 60 } : t));
  return { ...view, result: { ...view.result!, tracks } };
}

describe("telegram deliveries that must wait, and the upload limit", () => {
  let h: BotHarness;
  /** When each bot message was sent, by chat and message id (of the current test's emulator). */
  let sentAt: Map<number, number>;
  beforeEach(async () => {
    sentAt = new Map();
    const harness = await createBotHarness({
      // auto-retry waits out at most 5 s and tries a 5xx once more; the first pause after 5xx is 2 s.
      tuning: { maxRetryDelaySeconds: 5, maxRetryAttempts: 1 },
      deliveryServerErrorDelayMs: 2000,
      // Telegram's limit counted in whole requests, 1 MB here so the files stay small.
      telegram: { uploadLimitMb: 1 },
      emulator: { uploadLimitBytes: 1_000_000 },
    });
    h = harness;
    h.tg.onEvent((e: EmulatorEvent) => {
      if (e.type === "message-sent") sentAt.set(e.entry.messageId * 1e7 + e.chatId, Date.now());
    });
    return () => harness.close();
  }, 120_000);

  const at = (m: TranscriptEntry) => sentAt.get(m.messageId * 1e7 + m.chatId)!;

  it("a 20 s flood wait mid-delivery (cap 5 s): every track arrives once, in order, and the person is told once", async () => {
    // Tracks 1-3 go as an album, the doubtful 4th alone, 5-8 as album(s).
    const view = withDoubtful(
      await finishedJob(h, { title: "Eight Songs", tracks: songs(8), owner: alice.id, cover: true }),
      4,
    );
    // Telegram lets one album through, then wants 20 s before the next album into Alice's chat.
    h.tg.floodWait({ method: "sendMediaGroup", chatId: alice.id, seconds: 20, afterCalls: 1 });
    await deliverJob(h, view, alice);

    const notice = await h.nextMessage(alice.id, still, 30_000);
    expect(notice.text).toBe(
      "Telegram asked me to slow down; tracks 5–8 of “Eight Songs” will follow in about 20 seconds.",
    );
    // The delivery did not sit in the wait: the relay is done with the job while the tracks wait.
    expect(await eventually(async () => !(await h.p.jobs.relays()).has(view.id), 5000)).toBe(true);
    expect(audioMessages(h.tg, alice.id)).toHaveLength(4);

    expect(await eventually(() => audioMessages(h.tg, alice.id).length >= 8, 60_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500)); // a duplicate would show up now
    const chat = h.tg.transcript(alice.id);
    const audios = audioMessages(h.tg, alice.id);
    expect(audios.map((a) => a.audio!.title)).toEqual(songs(8).map((s) => s.title));
    expect(new Set(audios.map((a) => a.audio!.fileId)).size).toBe(8);
    expect(audios.every((a) => a.audio!.uploaded && a.audio!.hasThumbnail)).toBe(true);
    expect(chat.filter((m) => still.test(m.text))).toHaveLength(1);
    expect(chat.filter((m) => m.text.includes(`(job ${view.id})`))).toHaveLength(1);
    // Order in the chat: the status message (now the summary), tracks 1-4, the notice, tracks 5-8;
    // the 5th came after the wait.
    const order = chat.map((m) =>
      m.kind === "audio" ? m.audio!.title! : still.test(m.text) ? "notice" : "text",
    );
    expect(order).toEqual([
      "text",
      "Song 1",
      "Song 2",
      "Song 3",
      "Song 4",
      "notice",
      "Song 5",
      "Song 6",
      "Song 7",
      "Song 8",
    ]);
    expect(chat[0]!.text).toContain("8 of 8 tracks ready");
    // 1-3 are one album; the doubtful 4th is alone with its button; 5-8 are albums again.
    expect(new Set(audios.slice(0, 3).map((a) => a.mediaGroupId)).size).toBe(1);
    expect(audios[0]!.mediaGroupId).toBeDefined();
    expect(audios[3]!.mediaGroupId).toBeUndefined();
    expect(audios[3]!.replyMarkup?.inline_keyboard.flat().map((b) => b.text)).toEqual(["🤔 Wrong song?"]);
    expect(audios[4]!.mediaGroupId).toBeDefined();
    expect(at(audios[4]!) - at(audios[3]!)).toBeGreaterThanOrEqual(19_000);
    expect(
      await counterValue(h.metrics, "cdc_telegram_api_errors_total", {
        method: "sendMediaGroup",
        code: "rescheduled",
      }),
    ).toBe(1);
  }, 120_000);

  it("a bot restart during the wait: the next bot sends the rest from the outbox, none twice", async () => {
    // Tracks 1-2 go as an album, then the doubtful 3rd alone, which Telegram makes wait 15 s.
    const view = withDoubtful(
      await finishedJob(h, { title: "Six Songs", tracks: songs(6), owner: bob.id }),
      3,
    );
    h.tg.floodWait({ method: "sendAudio", chatId: bob.id, seconds: 15 });
    await deliverJob(h, view, bob);
    const notice = await h.nextMessage(bob.id, still, 30_000);
    expect(notice.text).toBe(
      "Telegram asked me to slow down; tracks 3–6 of “Six Songs” will follow in about 15 seconds.",
    );
    expect(audioMessages(h.tg, bob.id).map((a) => a.audio!.title)).toEqual(["Song 1", "Song 2"]);
    await h.restart();

    expect(await eventually(() => audioMessages(h.tg, bob.id).length >= 6, 60_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    const audios = audioMessages(h.tg, bob.id);
    expect(audios.map((a) => a.audio!.title)).toEqual(songs(6).map((s) => s.title));
    const chat = h.tg.transcript(bob.id);
    expect(chat.filter((m) => still.test(m.text))).toHaveLength(1);
    expect(chat.filter((m) => m.text.includes(`(job ${view.id})`))).toHaveLength(1);
    // Nothing is left queued for the chat (the job's cursor stays: it says all six were queued).
    const keys = await h.p.redis.keys(`${h.p.config.redis.prefix}:x:tg:outbox*`);
    expect(keys).toEqual([`${h.p.config.redis.prefix}:x:tg:outbox-cursor:${view.id}:${bob.id}`]);
  }, 120_000);

  it("5xx answers that outlast auto-retry: the rest is sent later, the person is told once", async () => {
    // Tracks 1-2 go as an album, then the doubtful 3rd alone: two 502s on its upload, auto-retry tries
    // once more (after 3 s), then gives up.
    const view = withDoubtful(
      await finishedJob(h, { title: "Five Songs", tracks: songs(5), owner: carol.id }),
      3,
    );
    h.tg.failNext({ method: "sendAudio", status: 502, count: 2 });
    await deliverJob(h, view, carol);
    const notice = await h.nextMessage(carol.id, still, 30_000);
    expect(notice.text).toBe(
      "Telegram is having trouble right now; tracks 3–5 of “Five Songs” will follow in about 2 seconds.",
    );
    expect(await eventually(() => audioMessages(h.tg, carol.id).length >= 5, 60_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    expect(audioMessages(h.tg, carol.id).map((a) => a.audio!.title)).toEqual(songs(5).map((s) => s.title));
    expect(h.tg.transcript(carol.id).filter((m) => still.test(m.text))).toHaveLength(1);
    expect(
      await counterValue(h.metrics, "cdc_telegram_api_errors_total", { method: "sendAudio", code: "502" }),
    ).toBe(2);
  }, 120_000);

  it("the stand-in counts the whole upload request: a file that fits alone is refused with its thumbnail", async () => {
    const dave = { id: 1004, firstName: "Dave" };
    h.tg.openPrivateChat(dave);
    const api = new Api(token, { apiRoot: h.tg.apiRoot });
    const audio = Buffer.alloc(900_000, 1);
    const alone = await api.sendAudio(dave.id, new InputFile(audio, "long.mp3"));
    expect(alone.audio?.file_size).toBe(900_000);
    const refused: unknown = await api
      .sendAudio(dave.id, new InputFile(audio, "long.mp3"), {
        thumbnail: new InputFile(Buffer.alloc(150_000, 2), "cover.jpg"),
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GrammyError);
    expect((refused as GrammyError).error_code).toBe(413);
    expect((refused as GrammyError).description).toBe("Request Entity Too Large");
  });

  it("an audio whose file and thumbnail would exceed the limit is not uploaded, and the person is told", async () => {
    const erin = { id: 1005, firstName: "Erin" };
    const uploadsBefore = h.tg.stats().uploads.count;
    const rejectedBefore = h.tg.stats().uploadsRejected;
    const view = await finishedJob(h, {
      title: "Near The Line",
      owner: erin.id,
      cover: true,
      tracks: [
        { title: "Short One", bytes: 300_000 },
        // Under the 1 MB request limit alone, over it with a thumbnail and the multipart framing.
        { title: "Long One", bytes: 900_000 },
        { title: "Last One", bytes: 200_000 },
      ],
    });
    await deliverJob(h, view, erin);
    const summary = await h.nextText(erin.id, /tracks ready/, 30_000);
    expect(summary.text).toContain("3 of 3 tracks ready");
    expect(summary.text).toContain(
      "Over the 0.7 MB upload limit, so not sent here (they are in the download below):",
    );
    expect(summary.text).toMatch(/^\d+\. Long One — Made-Up Band \(879 kB\)$/m);
    expect(summary.text).toMatch(/Download everything \(the link works until [\d: -]+UTC\):\n/);
    expect(summary.text).toContain(`\nhttps://files.example.org/c/${view.id}.zip`);
    expect(await eventually(() => audioMessages(h.tg, erin.id).length >= 2, 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    const audios = audioMessages(h.tg, erin.id);
    expect(audios.map((a) => a.audio!.title)).toEqual(["Short One", "Last One"]);
    expect(audios.every((a) => a.audio!.hasThumbnail)).toBe(true);
    // Two audio files and their thumbnails went up; the long one was never tried (no 413).
    expect(h.tg.stats().uploads.count - uploadsBefore).toBe(4);
    expect(h.tg.stats().uploadsRejected).toBe(rejectedBefore);
  });
  it("tracks that fit one upload each but not all in one album go as smaller albums: every track arrives, none refused", async () => {
    const frank = { id: 1006, firstName: "Frank" };
    const rejectedBefore = h.tg.stats().uploadsRejected;
    // Six confident tracks of 200 kB under a 1 MB request limit: one album of all six would be refused.
    const view = await finishedJob(h, {
      title: "Six Big Ones",
      tracks: songs(6, 200_000),
      owner: frank.id,
      cover: true,
    });
    await deliverJob(h, view, frank);
    expect(await eventually(() => audioMessages(h.tg, frank.id).length >= 6, 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    const audios = audioMessages(h.tg, frank.id);
    expect(audios.map((a) => a.audio!.title)).toEqual(songs(6).map((s) => s.title));
    expect(h.tg.stats().uploadsRejected).toBe(rejectedBefore);
    // Still albums, each within one request's limit.
    const albums = new Map<string, number>();
    for (const a of audios) {
      if (a.mediaGroupId !== undefined)
        albums.set(a.mediaGroupId, (albums.get(a.mediaGroupId) ?? 0) + a.audio!.fileSize);
    }
    expect(albums.size).toBeGreaterThanOrEqual(2);
    expect([...albums.values()].every((bytes) => bytes < 1_000_000)).toBe(true);
  }, 60_000);

  it("an album with a track whose file is gone: the other tracks still arrive, in order", async () => {
    const gina = { id: 1007, firstName: "Gina" };
    const view = await finishedJob(h, { title: "One Lost", tracks: songs(4), owner: gina.id });
    // The third track's file vanished from the library after the job ended.
    await rm(path.join(h.deps.libraryDir, view.result!.tracks[2]!.file!));
    await deliverJob(h, view, gina);
    expect(await eventually(() => audioMessages(h.tg, gina.id).length >= 3, 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    const titles = songs(4).map((s) => s.title);
    expect(audioMessages(h.tg, gina.id).map((a) => a.audio!.title)).toEqual([
      titles[0],
      titles[1],
      titles[3],
    ]);
  }, 60_000);

  it("asking again for a job whose tracks wait out a flood wait: each track still arrives once", async () => {
    const hana = { id: 1008, firstName: "Hana" };
    // Track 1 alone, the doubtful 2nd alone, 3-4 as an album.
    const view = withDoubtful(
      await finishedJob(h, { title: "Asked Twice", tracks: songs(4), owner: hana.id }),
      2,
    );
    // Track 1 goes through, then Telegram wants 8 s before the next audio message.
    h.tg.floodWait({ method: "sendAudio", chatId: hana.id, seconds: 8, afterCalls: 1 });
    await deliverJob(h, view, hana);
    await h.nextMessage(hana.id, still, 30_000);
    const before = audioMessages(h.tg, hana.id).length;
    expect(before).toBeLessThan(4);
    // Hana asks for the same (ended) job again while the rest waits.
    await deliverJob(h, view, hana);
    expect(await eventually(() => audioMessages(h.tg, hana.id).length >= 4, 40_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 2500)); // a duplicate would show up now
    expect(audioMessages(h.tg, hana.id).map((a) => a.audio!.title)).toEqual(songs(4).map((t) => t.title));
  }, 60_000);
});
