/**
 * Every command and refusal, over HTTP through the Telegram emulator with real grammY, real Redis and a
 * real JobService (no workers here: jobs stay queued, which is what /status and /cancel need).
 *
 * Each test gets a harness of its own (a new emulator, Redis key prefix, bot, metrics and data dir, a
 * few hundred ms), so no test sees the jobs, chats, transcripts, counters or rate-limit buckets of
 * another, and they pass in any order (`--sequence.shuffle`).
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import Fastify from "fastify";
import { botCommands, createBot } from "../../../src/bots/telegram/index.js";
import { artistId, cyrillicAlbum, demoAlbum, japaneseAlbum } from "../../../src/emulators/spotify/index.js";
import {
  admin,
  alice,
  bob,
  carol,
  counterValue,
  createBotHarness,
  stranger,
  type BotHarness,
} from "./bot-harness.js";

const albumLink = (id: string) => `https://open.spotify.com/album/${id}`;

describe("telegram bot commands", () => {
  let h: BotHarness;
  beforeEach(async () => {
    const harness = await createBotHarness({
      telegram: { downloadsCapacity: 4, downloadsRefillSeconds: 600 },
    });
    h = harness;
    return () => harness.close();
  });

  it("answers /start and /help with what it does, the links it takes and the person's limits", async () => {
    const start = await h.ask(alice, "/start", /Spotify link/);
    expect(start.text).toContain("open.spotify.com/album/");
    expect(start.text).toContain("2 collection(s) running at once");
    expect(start.text).toContain("4 request(s) in a row, then one more every 10:00");
    expect(start.text).toContain("9.9.9-test");
    const help = await h.ask(admin, "/help", /Your limits/);
    expect(help.text).toContain("You are an admin");
  });

  it("sets the command menu once, and not again on a restart when it did not change", async () => {
    // Everyone's menu and the one admin's (in their private chat, with the admin commands).
    expect(h.tg.myCommands()).toEqual(botCommands);
    expect(h.tg.stats().callsByMethod.setMyCommands).toBe(2);
    await h.restart();
    expect(h.tg.stats().callsByMethod.getMyCommands).toBe(4);
    expect(h.tg.stats().callsByMethod.setMyCommands).toBe(2);
  });

  it("refuses a stranger once with their id, queues nothing, logs and counts it", async () => {
    const depth = await h.p.jobs.depth();
    const refusal = await h.ask(stranger, albumLink(demoAlbum.id), /only works for people/);
    expect(refusal.text).toContain(String(stranger.id));
    // A second try within the cooldown gets no second message, and nothing is queued either way.
    h.tg.sendText(stranger, `/download ${albumLink(demoAlbum.id)}`);
    await h.tg.waitForUpdatesConsumed();
    const whoami = await h.ask(stranger, "/whoami", /Your Telegram id is/);
    expect(whoami.text).toBe(`You are Mallory (@mallory). Your Telegram id is ${stranger.id}.`);
    expect(h.tg.transcript(stranger.id).map((m) => m.text)).toEqual([refusal.text, whoami.text]);
    expect(await h.p.jobs.depth()).toBe(depth);
    expect(await h.p.jobs.list({ userId: stranger.id, isAdmin: false })).toEqual([]);
    expect(await counterValue(h.metrics, "cdc_unauthorized_total")).toBe(2);
  });

  it("in a group, only allowlisted senders act; a stranger's command is refused there", async () => {
    const group = h.tg.createGroup({ id: -100777, title: "Music nerds" });
    const refusal = await h.ask(
      { id: 6660002, firstName: "Eve" },
      `/download ${albumLink(demoAlbum.id)}`,
      /only works/,
      group.id,
    );
    expect(refusal.text).toContain("6660002");
    expect(await h.p.jobs.list({ userId: 6660002, isAdmin: false })).toEqual([]);
    const status = await h.ask(carol, "/status", /no jobs yet/, group.id);
    expect(status.chatId).toBe(group.id);
  });

  it("explains bad links, unsupported link kinds and missing arguments", async () => {
    const notSpotify = await h.ask(alice, "/download https://example.org/album/123", /not to Spotify/);
    expect(notSpotify.text).toContain("example.org");
    const artist = await h.ask(
      alice,
      `https://open.spotify.com/artist/${artistId}`,
      /Artist pages can't be downloaded/,
    );
    expect(artist.text).toContain("only tracks, albums and playlists");
    const badId = await h.ask(
      alice,
      "/download https://open.spotify.com/album/short",
      /isn't a Spotify album id/,
    );
    expect(badId.text).toContain("short");
    expect((await h.ask(alice, "/download", /^Usage: \/download/)).text).toContain("open.spotify.com");
    expect((await h.ask(alice, "/cancel", /^Usage: \/cancel/)).text).toContain("/status");
    expect((await h.ask(alice, "/status !!", /^Usage: \/status/)).text).toContain("job id");
    expect((await h.ask(alice, "hello there", /couldn't find a link/)).text).toContain("open.spotify.com");
    expect((await h.ask(alice, "/frobnicate", /I don't know \/frobnicate/)).text).toContain("/help");
    expect(await h.p.jobs.list({ userId: alice.id, isAdmin: false })).toEqual([]);
    expect(
      await counterValue(h.metrics, "cdc_commands_total", { command: "download", outcome: "invalid" }),
    ).toBe(5);
  });

  it("queues a download with a status message and a Cancel button; /status lists it; others can't see it", async () => {
    const status = await h.ask(alice, `/download ${albumLink(demoAlbum.id)}`, /Job [a-z2-9]{7}/);
    const jobId = /Job ([a-z2-9]{7})/.exec(status.text)![1]!;
    expect(status.text).toContain("waiting in line");
    expect(status.replyMarkup?.inline_keyboard[0]?.[0]).toMatchObject({ callback_data: `c:${jobId}` });
    await vi.waitFor(async () =>
      expect((await h.p.jobs.relays()).get(jobId)).toEqual([
        { chatId: alice.id, messageId: status.messageId },
      ]),
    );

    const list = await h.ask(alice, "/status", /Running:/);
    expect(list.text).toContain(`${jobId} · album · waiting in line 0%`);
    const one = await h.ask(alice, `/status ${jobId.toUpperCase()}`, new RegExp(`Job ${jobId}`));
    expect(one.text).toContain("waiting in line");

    // Someone else's job id, and an id that does not exist, get the same answer.
    const other = await h.ask(bob, `/status ${jobId}`, /can't find a job/);
    expect(other.text).toContain(jobId);
    expect((await h.ask(bob, `/cancel ${jobId}`, /can't find a job/)).text).toContain(jobId);
    expect((await h.ask(alice, "/status abcdefg", /can't find a job "abcdefg"/)).text).toBeTruthy();
    expect((await h.p.jobs.status(jobId, { userId: alice.id, isAdmin: false })).stage).toBe("queued");
  });

  it("the Cancel button cancels the presser's own job, answers the press and finishes the status message", async () => {
    const status = await h.ask(alice, albumLink(cyrillicAlbum.id), /Job [a-z2-9]{7}/);
    const jobId = /Job ([a-z2-9]{7})/.exec(status.text)![1]!;
    const summary = h.nextText(alice.id, /cancelled \(job/);
    const press = h.tg.pressButton(alice, { messageId: status.messageId, data: `c:${jobId}` });
    const answer = await h.tg.waitForCallbackAnswer(press);
    expect(answer.answer?.text).toBe(`Job ${jobId} is cancelled.`);
    // The status message itself says so (no second message), and its Cancel button is gone.
    expect((await summary).messageId).toBe(status.messageId);
    const edited = h.tg.transcript(alice.id).find((m) => m.messageId === status.messageId)!;
    expect(edited.text).toMatch(new RegExp(`^🚫 .+: cancelled \\(job ${jobId}\\)\\.`, "u"));
    expect(edited.replyMarkup).toBeUndefined();
    expect(h.tg.transcript(alice.id).filter((m) => m.text.includes(jobId))).toHaveLength(1);
    await vi.waitFor(async () => expect((await h.p.jobs.relays()).has(jobId)).toBe(false));
    expect((await h.ask(alice, `/cancel ${jobId}`, /already ended/)).text).toContain(jobId);
  });

  it("answers the per-person cap and the per-person token bucket in plain words", async () => {
    // Alice sent a bad link (which does not count), then two download requests: one job is still
    // queued, the other she cancelled.
    await h.ask(alice, "/download https://example.org/album/123", /not to Spotify/);
    await h.ask(alice, albumLink(demoAlbum.id), /Job [a-z2-9]{7}/);
    const second = await h.ask(alice, albumLink(cyrillicAlbum.id), /Job [a-z2-9]{7}/);
    const secondId = /Job ([a-z2-9]{7})/.exec(second.text)![1]!;
    // The job is shown in her chat: its status message turns into "cancelled"; no reply repeats it.
    const ended = h.nextText(alice.id, new RegExp(`cancelled \\(job ${secondId}\\)`));
    h.tg.sendText(alice, `/cancel ${secondId}`);
    expect((await ended).messageId).toBe(second.messageId);
    expect(h.tg.transcript(alice.id).filter((m) => m.text.includes(secondId))).toHaveLength(1);
    // Alice has one job queued; one more fills her cap of 2.
    await h.ask(alice, albumLink(japaneseAlbum.id), /Job [a-z2-9]{7}/);
    const capped = await h.ask(
      alice,
      `/download https://open.spotify.com/track/${demoAlbum.tracks[0]!.id}`,
      /already have 2 job/,
    );
    expect(capped.text).toContain("the limit is 2");
    // That was her fourth download request of 4 (bad links don't count): the bucket is empty now.
    const bucket = await h.ask(
      alice,
      `/download https://open.spotify.com/track/${demoAlbum.tracks[1]!.id}`,
      /Try again in/,
    );
    expect(bucket.text).toMatch(/Try again in (59\d|600) s/);
    expect(await counterValue(h.metrics, "cdc_rate_limited_total", { kind: "per_person" })).toBe(1);
    expect(await counterValue(h.metrics, "cdc_rate_limited_total", { kind: "bucket" })).toBe(1);
  });

  it("in webhook mode, serves updates through Fastify and checks the secret token", async () => {
    const telegram = { ...h.deps.config.telegram, mode: "webhook" as const, webhookSecret: "s3cret-token" };
    const hooked = createBot({ ...h.deps, config: { ...h.deps.config, telegram } });
    // The update below comes straight to the webhook, not through the stand-in: Alice's chat with the
    // bot must exist there for the answer to reach her.
    h.tg.openPrivateChat(alice);
    const app = Fastify();
    app.post("/telegram/webhook", hooked.webhookHandler);
    const update = {
      update_id: 900_001,
      message: {
        message_id: 9001,
        date: Math.floor(Date.now() / 1000),
        chat: { id: alice.id, type: "private", first_name: alice.firstName },
        from: { id: alice.id, is_bot: false, first_name: alice.firstName },
        text: "/whoami",
        entities: [{ type: "bot_command", offset: 0, length: 7 }],
      },
    };
    try {
      const refused = await app.inject({
        method: "POST",
        url: "/telegram/webhook",
        headers: { "x-telegram-bot-api-secret-token": "wrong" },
        payload: update,
      });
      expect(refused.statusCode).toBe(401);
      const answer = h.nextMessage(alice.id, /Your Telegram id is 1001/);
      const ok = await app.inject({
        method: "POST",
        url: "/telegram/webhook",
        headers: { "x-telegram-bot-api-secret-token": "s3cret-token" },
        payload: update,
      });
      expect(ok.statusCode).toBe(200);
      await answer;
    } finally {
      await app.close();
      await hooked.stop();
    }
  });

  it("stop() waits for a handler that is still talking to Telegram", async () => {
    h.tg.slowDown({ method: "sendMessage", delayMs: 1500, count: 1 });
    h.tg.sendText(bob, "/help");
    await h.tg.waitForUpdatesConsumed();
    await h.bot.stop();
    expect(h.tg.transcript(bob.id).some((m) => m.text.includes("Your limits"))).toBe(true);
    await h.bot.stop(); // idempotent
    await h.restart();
    expect(h.tg.stats().tooManyRequests).toBe(0);
  });
});
