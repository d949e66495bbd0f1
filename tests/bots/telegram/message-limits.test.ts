/**
 * Telegram refuses a text over 4,096 characters ("message is too long"). Every job text the bot draws
 * stays within it however long the titles are, and a summary that must be cut loses list lines, never
 * its download link. Each text is also sent through the Telegram stand-in, which enforces the limit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api } from "grammy";
import {
  displayTitle,
  maxMessageChars,
  renderJobMessage,
  renderStatusList,
  renderSummary,
  snapshotOfView,
} from "../../../src/bots/telegram/render.js";
import type { JobView } from "../../../src/core/jobs/job-service.js";
import type { CollectionResult, TrackResult } from "../../../src/core/jobs/schemas.js";
import { startTelegramEmulator, type TelegramEmulator } from "../../../src/emulators/telegram/index.js";

const token = "515151:TEST-message-limits";
const person = { id: 2001, firstName: "Lena" };
const link = "https://files.example.org/c/ab3def7.zip?sig=0123456789abcdef";

function job(title: string, stage: JobView["stage"], result?: Partial<CollectionResult>): JobView {
  const tracks = result?.tracks ?? [];
  return {
    id: "ab3def7",
    owner: { userId: person.id, chatId: person.id },
    ref: { kind: "playlist", id: "x", uri: "spotify:playlist:x" },
    format: "mp3",
    stage,
    percent: stage === "downloading" ? 40 : 100,
    title,
    total: tracks.length || 12,
    done: tracks.filter((t) => t.outcome === "done").length,
    failed: tracks.filter((t) => t.outcome === "failed").length,
    needsReview: 0,
    createdAt: 0,
    ...(result !== undefined
      ? {
          result: {
            outcome: "partial",
            title,
            tracks,
            notes: [],
            truncated: false,
            totalDurationSec: 3600,
            totalBytes: 1e9,
            finishedAt: 1,
            ...result,
          },
        }
      : {}),
  };
}

const failedTrack = (i: number): TrackResult => ({
  index: i,
  trackId: `t${i}`,
  title: `Symphony No. ${i} in C minor, Op. ${i}: ${"Allegro ma non troppo, un poco maestoso ".repeat(4)}`,
  artists: ["Wiener Philharmoniker", "Herbert von Karajan", "Wiener Singverein"],
  outcome: "failed",
  reason: "No upload on YouTube Music comes close to this recording (length, artists and title differ).",
  warnings: [],
});

describe("texts within Telegram's 4,096 characters", () => {
  let tg: TelegramEmulator;
  let api: Api;
  beforeAll(async () => {
    tg = await startTelegramEmulator({ token, perChatBurst: 10 });
    tg.openPrivateChat(person);
    api = new Api(token, { apiRoot: tg.apiRoot });
  });
  afterAll(() => tg.close());

  it("a summary of a 300-track playlist with long failed titles stays within 4,096 characters and keeps the link", async () => {
    const tracks = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0 ? { ...failedTrack(i), outcome: "done" as const, reason: undefined } : failedTrack(i),
    );
    const text = renderSummary(job("Every symphony, ever ".repeat(20), "done", { tracks }), {
      tooBig: [],
      uploadLimitMb: 50,
      sendingAudio: true,
      link: { url: link, expiresAt: Date.now() + 3_600_000 },
    });
    expect(text.length).toBeLessThanOrEqual(maxMessageChars);
    expect(text.endsWith(`\n${link}`)).toBe(true);
    expect(text).toMatch(/Download everything \(the link works until \d\d:\d\d UTC\):/);
    expect(text).toContain("100 of 300 tracks ready · 200 failed");
    expect(text).toMatch(/… and \d+ more lines: too long for one message \(all of it is in the download\)\./);
    expect(text).toContain("2. Symphony No. 1 in C minor");
    const sent = await api.sendMessage(person.id, text);
    expect(sent.text).toBe(text);
  });

  it("a 5,000-character title still gives a progress edit and /status within the limit", async () => {
    const title = "Ein sehr langer Titel ".repeat(228).slice(0, 5000);
    expect(title).toHaveLength(5000);
    const running = job(title, "downloading");
    const progress = renderJobMessage({
      ...snapshotOfView(running),
      current: { index: 3, title, artists: [title], step: "downloading", percent: 50 },
    });
    expect(progress.text.length).toBeLessThanOrEqual(maxMessageChars);
    expect(progress.text).toContain(displayTitle(title));
    expect(progress.text).toContain("Job ab3def7");
    const status = await api.sendMessage(person.id, "🎵 a playlist\nJob ab3def7");
    const edited = await api.editMessageText(person.id, status.message_id, progress.text, {
      reply_markup: progress.keyboard!,
    });
    expect(edited).not.toBe(true);

    // /status <id> and /status, for a running and a finished job with the same title.
    const one = renderJobMessage(job(title, "failed", { outcome: "failed", reason: title })).text;
    const list = renderStatusList(
      Array.from({ length: 10 }, (_, i) => job(title, i < 5 ? "downloading" : "done")),
    );
    for (const text of [one, list]) {
      expect(text.length).toBeLessThanOrEqual(maxMessageChars);
      await api.sendMessage(person.id, text);
    }
    expect(list).toContain("/status <id> shows one job");
  });

  it("a title is cut on a character, never inside one, and kept on one line", () => {
    const emoji = "🎻".repeat(300);
    const shown = displayTitle(emoji, 101);
    expect(shown.length).toBeLessThanOrEqual(101);
    expect(shown.endsWith("🎻…")).toBe(true);
    expect(displayTitle("Line one\nLine two")).toBe("Line one Line two");
  });
});
