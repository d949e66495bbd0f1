/**
 * /settings end to end, through the Telegram stand-in with real workers (yt-dlp, ffmpeg): a person's
 * format, quality and delivery, chosen with buttons on one message, decide what their next /download
 * makes and sends; FLAC says plainly that it cannot sound better than the lossy sources; two people
 * asking the same album in different formats get their own files.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createKeys } from "../../../src/core/jobs/keys.js";
import { runProcess } from "../../../src/core/process-runner.js";
import { shortSingle } from "../../../src/emulators/spotify/index.js";
import type { JobView } from "../../../src/core/jobs/job-service.js";
import { admin, alice, bob, carol, createBotHarness, type BotHarness } from "./bot-harness.js";

const trackLink = `https://open.spotify.com/track/${shortSingle.tracks[0]!.id}`;
const jobIdRe = /Job ([a-z2-9]{7})/;

describe("per-person settings", () => {
  let h: BotHarness;
  beforeAll(async () => {
    // Sends into a chat paced at 100 ms (not 1 s): the test is about what is sent, not the pace.
    h = await createBotHarness({ workers: true, tuning: { perChatMinTimeMs: 100 } });
  }, 60_000);
  afterAll(() => h.close());

  /** Opens /settings and presses the buttons with these callback data suffixes (`f:opus`, `d:link`). */
  async function choose(person: { id: number; firstName: string }, ...choices: string[]) {
    const shown = await h.ask(person, "/settings", /Your settings/);
    const answers: (string | undefined)[] = [];
    for (const choice of choices) {
      const press = h.tg.pressButton(person, {
        messageId: shown.messageId,
        data: `s:${person.id}:${choice}`,
      });
      answers.push((await h.tg.waitForCallbackAnswer(press)).answer?.text);
    }
    const message = h.tg.transcript(person.id).find((m) => m.messageId === shown.messageId)!;
    return { message, answers };
  }

  /** The person's /download of `link`: the job as it ended, and the summary its status message became. */
  async function downloadAndWait(person: { id: number; firstName: string }, link: string) {
    const status = await h.ask(person, `/download ${link}`, jobIdRe);
    const summary = h.nextText(person.id, /\(job [a-z2-9]{7}\)\n.*tracks? ready/, 30_000);
    const view: JobView = await h.p.waitForEnd(jobIdRe.exec(status.text)![1]!, 30_000);
    return { view, summary: await summary };
  }

  const extensions = (view: JobView) => view.result!.tracks.map((t) => path.extname(t.file ?? ""));

  it("a person picks opus and link-only in /settings; their next /download gives .opus files and only the link", async () => {
    const { message } = await choose(alice, "f:opus", "d:link");
    expect(message.text).toContain("Format: opus");
    expect(message.text).toContain("Delivery: the download link only");
    const { view, summary } = await downloadAndWait(alice, trackLink);
    expect(view.stage).toBe("done");
    expect(extensions(view)).toEqual([".opus"]);
    expect(summary.text).toMatch(
      /Download everything \(the link works until [\d: -]+UTC\):\nhttps:\/\/files\.example\.org\/c\//,
    );
    // The delivery queued everything at once: once the chat's outbox is empty, nothing more comes.
    const outbox = createKeys(h.p.config.redis.prefix).outbox.list(alice.id);
    await vi.waitFor(async () => expect(await h.p.redis.exists(outbox)).toBe(0));
    expect(h.tg.transcript(alice.id).filter((m) => m.kind !== "text")).toEqual([]);
  });

  it("FLAC chosen: the person is told the sources are lossy", async () => {
    const { message, answers } = await choose(admin, "f:flac");
    expect(message.text).toContain("Format: flac");
    expect(message.text).toMatch(/sources are lossy .*FLAC only makes bigger files, not better sound/);
    expect(answers[0]).toMatch(/lossy/);
    // No quality row for flac: format buttons and delivery buttons only.
    expect(message.replyMarkup!.inline_keyboard.map((row) => row.length)).toEqual([4, 3]);
  });

  it("two people with different formats asking the same track get their own files", async () => {
    await choose(bob, "f:m4a", "q:original");
    const [{ view: bobs }, { view: carols }] = await Promise.all([
      downloadAndWait(bob, trackLink),
      downloadAndWait(carol, trackLink),
    ]);
    expect(bobs.id).not.toBe(carols.id);
    expect(extensions(carols)).toEqual([".mp3"]);
    // Bob kept YouTube's AAC stream as it is: his own file, marked, beside the shared one.
    expect(bobs.result!.tracks.map((t) => path.basename(t.file ?? ""))).toEqual([
      `01 - ${shortSingle.tracks[0]!.title} [original].m4a`,
    ]);
    expect(bobs.quality).toBe("original");
    // Copied, not re-encoded: the stand-in's 96 kbps AAC, not the service's 192 kbps.
    const probed = await runProcess(h.p.config.download.ffprobePath, [
      "-v",
      "error",
      "-select_streams",
      "a:0",
      "-show_entries",
      "stream=codec_name,bit_rate",
      "-of",
      "csv=p=0",
      path.join(h.deps.libraryDir, bobs.result!.tracks[0]!.file!),
    ]);
    const [codec, bitRate] = probed.stdout.trim().split(",");
    expect(codec).toBe("aac");
    expect(Number(bitRate)).toBeLessThan(120_000);
  });
});
