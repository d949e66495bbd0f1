/**
 * The chat as a person lives it (issue 15), end to end through the Telegram stand-in with real workers
 * (yt-dlp, ffmpeg, Redis): tracks arrive as soon as they are ready, in order, as albums of at most 10,
 * under one status message that becomes the summary; a wrong match is fixed in a few taps and stays
 * fixed for the next person; a failed track is retried by its button alone.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { expectedVideoId, videoIdFor } from "../../../src/emulators/audio-source/index.js";
import {
  catalogTrackToTrack,
  dozenPlaylist,
  shortAlbum,
  shortAlbums,
} from "../../../src/emulators/spotify/index.js";
import type { EmulatorEvent, TranscriptEntry } from "../../../src/emulators/telegram/index.js";
import { alice, audioMessages, bob, createBotHarness, type BotHarness } from "./bot-harness.js";

const jobIdOf = (text: string) =>
  /Job ([a-z2-9]{7})/.exec(text)?.[1] ?? /job ([a-z2-9]{7})/.exec(text)?.[1] ?? "";
const buttonsOf = (m: TranscriptEntry) => m.replyMarkup?.inline_keyboard.flat() ?? [];
const buttonData = (m: TranscriptEntry, text: RegExp) => {
  const button = buttonsOf(m).find((b) => text.test(b.text));
  return button !== undefined && "callback_data" in button ? button.callback_data : undefined;
};

describe("the chat: music as soon as it is ready, fixes and retries", () => {
  let h: BotHarness;
  beforeEach(async () => {
    const harness = await createBotHarness({ workers: true, telegram: { editIntervalSeconds: 1 } });
    h = harness;
    return () => harness.close();
  }, 120_000);

  it("a 12-track playlist: the first audio arrives while tracks are still downloading, all in order, as albums of at most 10, under one status message that becomes the summary", async () => {
    // Each download takes a while, so the playlist runs long enough to see tracks arrive during it.
    h.p.stack.audio.control.slowAudio(40, 8 * 1024);
    const firstAudio = h.tg.waitFor(
      (e: EmulatorEvent) => e.type === "message-sent" && e.chatId === alice.id && e.entry.kind === "audio",
      90_000,
    );
    const status = await h.ask(
      alice,
      `https://open.spotify.com/playlist/${dozenPlaylist.id}`,
      /Job [a-z2-9]{7}/,
    );
    const jobId = jobIdOf(status.text);
    await firstAudio;
    // When the first audio came, the job had not finished downloading.
    const atFirst = await h.p.jobs.peek(jobId);
    expect(atFirst?.stage).toBe("downloading");
    expect(atFirst!.done).toBeLessThan(12);

    const summary = await h.nextText(alice.id, /12 of 12 tracks ready/, 120_000);
    expect(summary.messageId).toBe(status.messageId);
    expect(summary.text).toContain("A Dozen");
    expect(summary.text).toMatch(/Download everything \(the link works until [\d: -]+UTC\):/);
    await vi.waitFor(() => expect(audioMessages(h.tg, alice.id)).toHaveLength(12), { timeout: 30_000 });
    const ended = h.tg.transcript(alice.id).find((m) => m.messageId === status.messageId)!;
    expect(ended.editCount).toBeGreaterThan(1);

    // In playlist order, numbered from 1, with the titles of the playlist.
    const audios = audioMessages(h.tg, alice.id);
    expect(audios.map((a) => a.audio!.title)).toEqual(dozenPlaylist.tracks.map((t) => t.title));
    expect(audios.map((a) => a.text.split(/\s/)[0])).toEqual(
      Array.from({ length: 12 }, (_, i) => `${i + 1}/12`),
    );
    // Grouped: at least one album, none over 10, and the groups are runs in order.
    const groups = new Map<string, number>();
    for (const a of audios)
      if (a.mediaGroupId !== undefined) groups.set(a.mediaGroupId, (groups.get(a.mediaGroupId) ?? 0) + 1);
    expect(groups.size).toBeGreaterThanOrEqual(1);
    expect(Math.max(...groups.values())).toBeLessThanOrEqual(10);
    // One message about the job: the status message, ended as the summary; nothing repeats it.
    const texts = h.tg.transcript(alice.id).filter((m) => m.kind === "text" && m.text.includes(jobId));
    expect(texts.map((m) => m.messageId)).toEqual([status.messageId]);
    expect(texts[0]!.text).not.toMatch(/Track 0|^0\./m);
  }, 180_000);

  it("Wrong song? → a candidate → the track is replaced in the chat, and a second person's later request of the album gets the chosen recording", async () => {
    const status = await h.ask(alice, `https://open.spotify.com/album/${shortAlbum.id}`, /Job [a-z2-9]{7}/);
    const jobId = jobIdOf(status.text);
    const summary = await h.nextText(alice.id, /10 of 10 tracks ready/, 120_000);
    await vi.waitFor(() => expect(audioMessages(h.tg, alice.id)).toHaveLength(10), { timeout: 30_000 });

    // Under the summary: "Wrong song?" asks which track; track 3 shows its other recordings.
    const picker = h.nextMessage(alice.id, /Which track is the wrong song\?/);
    h.tg.pressButton(alice, {
      chatId: alice.id,
      messageId: summary.messageId,
      data: buttonData(summary, /Wrong song/)!,
    });
    const which = await picker;
    const choices = h.tg.waitFor(
      (e: EmulatorEvent) =>
        e.type === "message-edited" && e.chatId === alice.id && e.entry.messageId === which.messageId,
      20_000,
    );
    h.tg.pressButton(alice, { chatId: alice.id, messageId: which.messageId, data: `w:${jobId}:2` });
    const candidates = ((await choices) as Extract<EmulatorEvent, { type: "message-edited" }>).entry;
    expect(candidates.text).toContain(`Track 3. ${shortAlbum.tracks[2]!.title}`);
    expect(candidates.text).toMatch(/https:\/\/music\.youtube\.com\/watch\?v=[\w-]{11}/);
    expect(candidates.text).toMatch(/\d:\d\d · \d+%/); // length and confidence of each choice
    expect(buttonsOf(candidates).map((b) => b.text)).toContain("None of these");
    const before = await h.p.jobs.peek(jobId);
    const wrong = before!.result!.tracks[2]!;
    const chosenData = buttonData(candidates, /^1\. /)!;
    const chosen = wrong.candidates![Number(chosenData.split(":")[3])]!.id;
    expect(chosen).not.toBe(wrong.videoId);

    // The chosen recording replaces track 3: the audio message of track 3 is edited in place.
    const track3 = audioMessages(h.tg, alice.id)[2]!;
    const replaced = h.tg.waitFor(
      (e: EmulatorEvent) =>
        e.type === "message-edited" && e.chatId === alice.id && e.entry.messageId === track3.messageId,
      90_000,
    );
    const fixSummary = h.nextText(alice.id, /Track 3\. .* is replaced by the recording you chose/, 90_000);
    h.tg.pressButton(alice, { chatId: alice.id, messageId: candidates.messageId, data: chosenData });
    const edited = ((await replaced) as Extract<EmulatorEvent, { type: "message-edited" }>).entry;
    expect(edited.audio!.fileId).not.toBe(track3.audio!.fileId);
    expect(edited.audio!.title).toBe(shortAlbum.tracks[2]!.title);
    // A message of its own keeps its "Wrong song?" button; one in an album never had one (Telegram's rule).
    expect(buttonsOf(edited).map((b) => b.text)).toEqual(
      track3.mediaGroupId === undefined ? ["🤔 Wrong song?"] : [],
    );
    expect(edited.text.startsWith("3/10")).toBe(true);
    // The choices message became the fix's status message, and ended saying what changed.
    expect((await fixSummary).messageId).toBe(candidates.messageId);
    expect(audioMessages(h.tg, alice.id)).toHaveLength(10); // replaced, not added
    const after = await h.p.jobs.peek(jobId);
    expect(after!.result!.tracks[2]!.videoId).toBe(chosen);

    // Bob asks for the same album later: his track 3 is the chosen recording, from the shared cache.
    const bobStatus = await h.ask(bob, `https://open.spotify.com/album/${shortAlbum.id}`, /Job [a-z2-9]{7}/);
    await h.nextText(bob.id, /10 of 10 tracks ready/, 60_000);
    const bobJob = await h.p.jobs.peek(jobIdOf(bobStatus.text));
    expect(bobJob!.result!.tracks[2]).toMatchObject({ outcome: "cached", videoId: chosen });
    await vi.waitFor(() => expect(audioMessages(h.tg, bob.id)).toHaveLength(10), { timeout: 30_000 });
    expect(audioMessages(h.tg, bob.id)[2]!.audio!.fileId).toBe(edited.audio!.fileId);
  }, 240_000);

  it("a failed track is retried by the button alone: only it is collected again and sent", async () => {
    const album = shortAlbums[1]!;
    const broken = catalogTrackToTrack(album.tracks[4]!, h.p.stack.spotify.url);
    const uploads = [expectedVideoId(broken), videoIdFor(broken.id, "single")];
    for (const id of uploads) h.p.stack.audio.control.failAudio(id, 404);
    const status = await h.ask(alice, `https://open.spotify.com/album/${album.id}`, /Job [a-z2-9]{7}/);
    const summary = await h.nextText(alice.id, /9 of 10 tracks ready · 1 failed/, 120_000);
    expect(summary.messageId).toBe(status.messageId);
    expect(summary.text).toContain(`5. ${album.tracks[4]!.title}`);
    await vi.waitFor(() => expect(audioMessages(h.tg, alice.id)).toHaveLength(9), { timeout: 30_000 });
    expect(audioMessages(h.tg, alice.id).map((a) => a.text.split(/\s/)[0])).not.toContain("5/10");

    // YouTube has it again; Alice presses "Retry 1 failed" and does nothing else.
    for (const id of uploads) h.p.stack.audio.control.failAudio(id, undefined);
    const requests = () => Object.values(h.p.stack.audio.stats.audioRequests).reduce((a, b) => a + b, 0);
    const requestsBefore = requests();
    const retryStatus = h.nextMessage(alice.id, /Job [a-z2-9]{7}/);
    h.tg.pressButton(alice, {
      chatId: alice.id,
      messageId: summary.messageId,
      data: buttonData(summary, /Retry 1 failed/)!,
    });
    const retry = await retryStatus;
    const done = await h.nextText(alice.id, /Tried the 1 failed track again: 1 now ready/, 90_000);
    expect(done.messageId).toBe(retry.messageId);
    expect(done.text).toContain("10 of 10 tracks ready");
    await vi.waitFor(() => expect(audioMessages(h.tg, alice.id)).toHaveLength(10), { timeout: 30_000 });
    const last = audioMessages(h.tg, alice.id)[9]!;
    expect(last.text.startsWith("5/10")).toBe(true);
    expect(last.audio!.title).toBe(album.tracks[4]!.title);
    // Only the failed track's recording was fetched again.
    expect(requests() - requestsBefore).toBeLessThanOrEqual(2);
    expect(
      buttonsOf(h.tg.transcript(alice.id).find((m) => m.messageId === done.messageId)!).map((b) => b.text),
    ).not.toContainEqual(expect.stringMatching(/Retry/));
  }, 240_000);
});

describe("/fix: bad input gets a clear answer and changes nothing", () => {
  let h: BotHarness;
  beforeEach(async () => {
    const harness = await createBotHarness();
    h = harness;
    return () => harness.close();
  }, 60_000);

  it("explains the usage, a link that is not YouTube's, and having no finished job; no job is queued", async () => {
    expect((await h.ask(alice, "/fix", /Usage: \/fix/)).text).toContain(
      "/fix 3 https://music.youtube.com/watch?v=",
    );
    expect((await h.ask(alice, "/fix three https://youtu.be/dQw4w9WgXcQ", /Usage: \/fix/)).text).toBeTruthy();
    expect(
      (await h.ask(alice, "/fix 3 https://example.org/watch?v=dQw4w9WgXcQ", /not a YouTube link I can read/))
        .text,
    ).toContain("Usage: /fix");
    expect(
      (await h.ask(alice, "/fix 3 https://youtu.be/dQw4w9WgXcQ", /no finished job to fix/)).text,
    ).toContain("/status");
    expect(await h.p.jobs.list({ userId: alice.id, isAdmin: false })).toEqual([]);

    // With a job still running (no workers here), /fix without a job id never reaches back to an older job.
    const status = await h.ask(alice, `https://open.spotify.com/album/${shortAlbum.id}`, /Job [a-z2-9]{7}/);
    const running = await h.ask(alice, "/fix 3 https://youtu.be/dQw4w9WgXcQ", /still running/);
    expect(running.text).toContain(`Your latest job ${jobIdOf(status.text)} is still running`);
    expect(await h.p.jobs.list({ userId: alice.id, isAdmin: false })).toHaveLength(1);
  }, 60_000);
});
