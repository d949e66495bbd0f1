import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { autoRetry } from "@grammyjs/auto-retry";
import { run, type RunnerHandle } from "@grammyjs/runner";
import { Api, Bot, GrammyError, HttpError, InlineKeyboard, InputFile, InputMediaBuilder } from "grammy";
import type { Message } from "grammy/types";
import { afterEach, beforeAll, afterAll, describe, expect, it } from "vitest";
import { runProcess } from "../../../src/core/process-runner.js";
import {
  startTelegramEmulator,
  type TelegramEmulator,
  type TelegramEmulatorOptions,
} from "../../../src/emulators/telegram/index.js";

const TOKEN = "424242:AAH-test-token-for-the-emulator";
const alice = { id: 1001, firstName: "Alice", username: "alice" };
const bob = { id: 1002, firstName: "Bob" };

let emulator: TelegramEmulator | undefined;
const stops: (() => Promise<unknown>)[] = [];

async function start(options: Partial<TelegramEmulatorOptions> = {}): Promise<TelegramEmulator> {
  emulator = await startTelegramEmulator({ token: TOKEN, ...options });
  return emulator;
}

function apiFor(emu: TelegramEmulator, token = TOKEN, timeoutSeconds?: number): Api {
  return new Api(token, {
    apiRoot: emu.apiRoot,
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
  });
}

async function grammyError(promise: Promise<unknown>): Promise<GrammyError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GrammyError);
  return error as GrammyError;
}

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await emulator?.close();
  emulator = undefined;
});

describe("basic calls", () => {
  it("answers getMe with the bot whose id is the token's prefix", async () => {
    const emu = await start({ botUsername: "cdc_test_bot" });
    const me = await apiFor(emu).getMe();
    expect(me).toMatchObject({ id: 424242, is_bot: true, username: "cdc_test_bot" });
  });

  it("answers 401 to a wrong token and 404 to an unknown method", async () => {
    const emu = await start();
    const unauthorized = await grammyError(apiFor(emu, "424242:wrong").getMe());
    expect(unauthorized.error_code).toBe(401);
    expect(unauthorized.description).toBe("Unauthorized");

    const res = await fetch(`${emu.apiRoot}/bot${TOKEN}/sendTelepathy`, { method: "POST" });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ ok: false, error_code: 404, description: "Not Found" });
  });

  it("refuses to write to a chat nobody opened", async () => {
    const emu = await start();
    const error = await grammyError(apiFor(emu).sendMessage(5555, "hello"));
    expect(error.description).toBe("Bad Request: chat not found");
  });

  it("sends and edits a message, and refuses an edit that changes nothing", async () => {
    const emu = await start();
    const api = apiFor(emu);
    const chat = emu.openPrivateChat(alice);
    const first = await api.sendMessage(chat.id, "<b>Queued</b> 0/3", { parse_mode: "HTML" });
    expect(first).toMatchObject({ message_id: 1, text: "Queued 0/3", from: { id: 424242, is_bot: true } });
    expect(first.entities).toEqual([{ type: "bold", offset: 0, length: 6 }]);
    expect(Math.abs(first.date - Date.now() / 1000)).toBeLessThan(5);

    const edited = await api.editMessageText(chat.id, first.message_id, "<b>Queued</b> 1/3", {
      parse_mode: "HTML",
    });
    expect(edited).toMatchObject({ text: "Queued 1/3" });

    const error = await grammyError(
      api.editMessageText(chat.id, first.message_id, "<b>Queued</b> 1/3", { parse_mode: "HTML" }),
    );
    expect(error.error_code).toBe(400);
    expect(error.description).toBe(
      "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
    );

    const second = await api.sendMessage(chat.id, "next");
    expect(second.message_id).toBe(2);
    const [entry] = emu.transcript(chat.id);
    expect(entry).toMatchObject({
      text: "Queued 1/3",
      editCount: 1,
      previousTexts: ["Queued 0/3"],
      parseMode: "HTML",
    });
  });

  it("enforces 1-4096 characters of text after parse_mode is applied", async () => {
    const emu = await start({ perChatPerSecond: Infinity });
    const api = apiFor(emu);
    const chat = emu.openPrivateChat(alice);
    await expect(api.sendMessage(chat.id, "a".repeat(4096))).resolves.toMatchObject({ message_id: 1 });
    // The tags do not count: 4096 visible characters pass.
    await expect(
      api.sendMessage(chat.id, `<i>${"a".repeat(4096)}</i>`, { parse_mode: "HTML" }),
    ).resolves.toBeDefined();
    const tooLong = await grammyError(api.sendMessage(chat.id, "a".repeat(4097)));
    expect(tooLong.description).toBe("Bad Request: message is too long");
    const empty = await grammyError(api.sendMessage(chat.id, "   "));
    expect(empty.description).toBe("Bad Request: message text is empty");
    const badMarkdown = await grammyError(
      api.sendMessage(chat.id, "Done. 3 tracks", { parse_mode: "MarkdownV2" }),
    );
    expect(badMarkdown.description).toMatch(/^Bad Request: can't parse entities: Character '\.' is reserved/);
  });

  it("refuses callback_data over 64 bytes", async () => {
    const emu = await start();
    const chat = emu.openPrivateChat(alice);
    const error = await grammyError(
      apiFor(emu).sendMessage(chat.id, "pick", {
        reply_markup: new InlineKeyboard().text("Go", "x".repeat(65)),
      }),
    );
    expect(error.description).toBe("Bad Request: BUTTON_DATA_INVALID");
  });

  it("stores commands, webhook settings, chat actions and deletions", async () => {
    const emu = await start();
    const api = apiFor(emu);
    await api.setMyCommands([{ command: "download", description: "Download a Spotify link" }]);
    expect(await api.getMyCommands()).toEqual([
      { command: "download", description: "Download a Spotify link" },
    ]);
    await expect(api.setMyCommands([{ command: "Bad-Name", description: "x" }])).rejects.toThrow(
      /BOT_COMMAND_INVALID/,
    );

    await api.setWebhook("https://example.org/hook", { secret_token: "s3cret" });
    expect((await api.getWebhookInfo()).url).toBe("https://example.org/hook");
    const conflict = await grammyError(api.getUpdates());
    expect(conflict.error_code).toBe(409);
    await api.deleteWebhook();
    expect(await api.getUpdates()).toEqual([]);

    const chat = emu.openPrivateChat(alice);
    await expect(api.sendChatAction(chat.id, "upload_document")).resolves.toBe(true);
    const m = await api.sendMessage(chat.id, "temporary");
    await api.deleteMessage(chat.id, m.message_id);
    expect(emu.transcript(chat.id)[0]?.deleted).toBe(true);
    const again = await grammyError(api.deleteMessage(chat.id, m.message_id));
    expect(again.description).toBe("Bad Request: message to delete not found");
    await expect(api.close()).resolves.toBe(true);
  });

  it("accepts url-encoded and query-string requests with nested JSON fields", async () => {
    const emu = await start();
    const chat = emu.openPrivateChat(alice);
    const form = new URLSearchParams({
      chat_id: String(chat.id),
      text: "from a form",
      reply_markup: JSON.stringify({ inline_keyboard: [[{ text: "Ok", callback_data: "ok" }]] }),
    });
    const res = await fetch(`${emu.apiRoot}/bot${TOKEN}/sendMessage`, { method: "POST", body: form });
    const body = (await res.json()) as { ok: boolean; result: { reply_markup: unknown } };
    expect(body.ok).toBe(true);
    expect(body.result.reply_markup).toEqual({ inline_keyboard: [[{ text: "Ok", callback_data: "ok" }]] });

    const viaQuery = await fetch(`${emu.apiRoot}/bot${TOKEN}/sendmessage?chat_id=${chat.id}&text=hi`);
    expect(await viaQuery.json()).toMatchObject({ ok: true, result: { text: "hi", message_id: 2 } });
  });
});

describe("flood control", () => {
  it("answers 429 with retry_after once a chat's burst is used up; chat actions do not count", async () => {
    const emu = await start({ perChatPerSecond: 1, perChatBurst: 3 });
    const api = apiFor(emu);
    const chat = emu.openPrivateChat(alice);
    for (let i = 0; i < 3; i++) await api.sendMessage(chat.id, `message ${i}`);
    const limited = await grammyError(api.sendMessage(chat.id, "one too many"));
    expect(limited.error_code).toBe(429);
    expect(limited.description).toBe("Too Many Requests: retry after 1");
    expect(limited.parameters.retry_after).toBe(1);
    // An edit counts like a send...
    const edit = await grammyError(api.editMessageText(chat.id, 1, "changed"));
    expect(edit.error_code).toBe(429);
    // ...a chat action does not, and another chat has its own budget.
    await expect(api.sendChatAction(chat.id, "typing")).resolves.toBe(true);
    await expect(api.sendMessage(emu.openPrivateChat(bob).id, "hello bob")).resolves.toBeDefined();
    expect(emu.stats().tooManyRequests).toBe(2);
    expect(emu.stats().maxPerChatPerSecond).toBe(3);
  });

  it("applies the bot-wide limit across chats", async () => {
    const emu = await start({ perChatPerSecond: Infinity, globalPerSecond: 5 });
    const api = apiFor(emu);
    const chats = Array.from({ length: 6 }, (_, i) =>
      emu.openPrivateChat({ id: 2000 + i, firstName: `P${i}` }),
    );
    const results = await Promise.allSettled(chats.map((c) => api.sendMessage(c.id, "broadcast")));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    const rejected = results.find((r) => r.status === "rejected");
    expect((rejected?.reason as GrammyError).error_code).toBe(429);
  });

  it("lets a bot with auto-retry deliver everything without ever exceeding the limit", async () => {
    const emu = await start({ perChatPerSecond: 2, perChatBurst: 2 });
    const bot = new Bot(TOKEN, { client: { apiRoot: emu.apiRoot } });
    bot.api.config.use(autoRetry({ maxRetryAttempts: 5 }));
    const chat = emu.openPrivateChat(alice);
    for (let i = 0; i < 5; i++) await bot.api.sendMessage(chat.id, `step ${i}`);
    expect(emu.transcript(chat.id).map((e) => e.text)).toEqual([
      "step 0",
      "step 1",
      "step 2",
      "step 3",
      "step 4",
    ]);
    expect(emu.stats().tooManyRequests).toBeGreaterThan(0);
    const times = emu.sendTimestamps(chat.id);
    expect(times).toHaveLength(5);
    for (const t of times)
      expect(times.filter((u) => u > t - 1000 && u <= t).length).toBeLessThanOrEqual(2 + 2);
  });

  it("answers every counted call with 429 during a storm", async () => {
    const emu = await start();
    const api = apiFor(emu);
    const chat = emu.openPrivateChat(alice);
    emu.storm429({ durationMs: 60_000, retryAfterSeconds: 7 });
    const error = await grammyError(api.sendMessage(chat.id, "x"));
    expect(error.parameters.retry_after).toBe(7);
    await expect(api.sendChatAction(chat.id, "typing")).resolves.toBe(true);
    emu.clearFaults();
    await expect(api.sendMessage(chat.id, "x")).resolves.toBeDefined();
  });
});

describe("uploads", () => {
  let dir: string;
  let mp3: string;
  let jpg: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "cdc-tg-emu-"));
    mp3 = path.join(dir, "noise.mp3");
    jpg = path.join(dir, "cover.jpg");
    await runProcess(
      "ffmpeg",
      [
        "-hide_banner",
        "-nostdin",
        "-f",
        "lavfi",
        "-i",
        "anoisesrc=d=2:c=pink:r=44100",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "128k",
        "-y",
        mp3,
      ],
      { timeoutMs: 30_000 },
    );
    await runProcess(
      "ffmpeg",
      ["-hide_banner", "-nostdin", "-f", "lavfi", "-i", "color=c=red:s=160x160", "-frames:v", "1", "-y", jpg],
      { timeoutMs: 30_000 },
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("receives an mp3 with its thumbnail over multipart and re-sends it by file_id without an upload", async () => {
    const emu = await start({ keepUploads: true });
    const api = apiFor(emu);
    const chat = emu.openPrivateChat(alice);
    const size = (await stat(mp3)).size;

    const sent = await api.sendAudio(chat.id, new InputFile(mp3), {
      performer: "Test Artist",
      title: "Pink Noise",
      duration: 2,
      thumbnail: new InputFile(jpg),
      caption: "<b>1/1</b>",
      parse_mode: "HTML",
    });
    expect(sent.audio).toMatchObject({
      performer: "Test Artist",
      title: "Pink Noise",
      duration: 2,
      file_size: size,
      file_name: "noise.mp3",
      mime_type: "audio/mpeg",
    });
    expect(sent.caption).toBe("1/1");
    const fileId = sent.audio.file_id;
    expect(emu.file(fileId)?.data?.equals(await readFile(mp3))).toBe(true);
    const jpgSize = (await stat(jpg)).size;
    expect(emu.stats().uploads).toEqual({ count: 2, bytes: size + jpgSize });

    const again = await api.sendAudio(chat.id, fileId, { performer: "Test Artist", title: "Pink Noise" });
    expect(again.audio?.file_id).toBe(fileId);
    expect(emu.stats().uploads.count).toBe(2);

    const [first, second] = emu.transcript(chat.id);
    expect(first).toMatchObject({
      kind: "audio",
      audio: {
        uploaded: true,
        hasThumbnail: true,
        fileSize: size,
        performer: "Test Artist",
        title: "Pink Noise",
        duration: 2,
      },
    });
    expect(second).toMatchObject({ kind: "audio", audio: { uploaded: false, fileId } });

    const unknown = await grammyError(api.sendAudio(chat.id, "CQACAgIAAxkDAAInvented"));
    expect(unknown.description).toBe("Bad Request: wrong file identifier/HTTP URL specified");
  });

  it("answers 413 to a file over the configured limit and keeps serving", async () => {
    const emu = await start({ uploadLimitBytes: 10_000 });
    const api = apiFor(emu);
    const chat = emu.openPrivateChat(alice);
    const error = await grammyError(
      api.sendDocument(chat.id, new InputFile(Buffer.alloc(50_000, 7), "big.bin")),
    );
    expect(error.error_code).toBe(413);
    expect(error.description).toBe("Request Entity Too Large");
    expect(emu.stats().uploadsRejected).toBe(1);
    const ok = await api.sendDocument(chat.id, new InputFile(Buffer.alloc(9_000, 7), "small.bin"));
    expect(ok.document).toMatchObject({ file_size: 9_000, file_name: "small.bin" });
  });

  it("sends an album of audio files (sendMediaGroup) and replaces one in place (editMessageMedia), with Telegram's refusals", async () => {
    const emu = await start();
    const api = apiFor(emu);
    const chat = emu.openPrivateChat(alice);
    const audio = (n: number) =>
      InputMediaBuilder.audio(new InputFile(mp3, `${n}.mp3`), { caption: `${n}/3`, title: `Track ${n}` });
    const album = (await api.sendMediaGroup(chat.id, [
      audio(1),
      audio(2),
      audio(3),
    ])) as Message.AudioMessage[];
    expect(album.map((m) => m.caption)).toEqual(["1/3", "2/3", "3/3"]);
    const entries = emu.transcript(chat.id);
    expect(entries.map((e) => e.kind)).toEqual(["audio", "audio", "audio"]);
    expect(new Set(entries.map((e) => e.mediaGroupId)).size).toBe(1);
    expect(entries[0]!.mediaGroupId).toBeDefined();

    const many = Array.from({ length: 11 }, (_, i) =>
      InputMediaBuilder.audio(album[0]!.audio.file_id, { title: `${i}` }),
    );
    expect((await grammyError(api.sendMediaGroup(chat.id, many))).description).toBe(
      "Bad Request: too many messages to send as an album",
    );
    const mixed = [
      InputMediaBuilder.audio(album[0]!.audio.file_id),
      InputMediaBuilder.document(new InputFile(jpg)),
    ];
    expect((await grammyError(api.sendMediaGroup(chat.id, mixed as never))).description).toBe(
      "Bad Request: audio can't be mixed with other media types",
    );
    expect((await grammyError(api.sendMediaGroup(chat.id, []))).description).toBe(
      "Bad Request: there are no messages to send",
    );

    const edited = await api.editMessageMedia(
      chat.id,
      album[1]!.message_id,
      InputMediaBuilder.audio(new InputFile(mp3, "fixed.mp3"), { caption: "2/3", title: "Fixed" }),
    );
    expect(edited).toMatchObject({ message_id: album[1]!.message_id, audio: { title: "Fixed" } });
    const after = emu.transcript(chat.id);
    expect(after).toHaveLength(3);
    expect(after[1]).toMatchObject({ editCount: 1, audio: { title: "Fixed" } });
    expect(after[1]!.audio!.fileId).not.toBe(album[1]!.audio.file_id);
    expect(
      (
        await grammyError(
          api.editMessageMedia(chat.id, album[2]!.message_id, InputMediaBuilder.document(new InputFile(jpg))),
        )
      ).description,
    ).toBe("Bad Request: can't change media type in the album");
    expect(
      (
        await grammyError(
          api.editMessageMedia(chat.id, 999, InputMediaBuilder.audio(album[0]!.audio.file_id)),
        )
      ).description,
    ).toBe("Bad Request: message to edit not found");
  });
});

describe("updates", () => {
  it("delivers a person's command to a bot started with bot.start()", async () => {
    const emu = await start();
    const bot = new Bot(TOKEN, { client: { apiRoot: emu.apiRoot } });
    bot.command("start", (ctx) => ctx.reply(`Hello ${ctx.from?.first_name ?? "?"}`));
    await new Promise<void>((resolve, reject) => {
      bot.start({ onStart: () => resolve() }).catch(reject);
    });
    stops.push(() => bot.stop());

    const sent = emu.person(alice).sendText("/start");
    expect(sent.entities).toEqual([{ type: "bot_command", offset: 0, length: 6 }]);
    const reply = await emu.waitForMessage(alice.id, /^Hello Alice$/);
    expect(reply.messageId).toBe(2);
    await emu.waitForUpdatesConsumed();

    // In a group, the command carries the bot's username.
    emu.createGroup({ id: -100500, title: "Friends" });
    emu.person(bob).sendText("/start@cd_collector_bot", { chatId: -100500 });
    await emu.waitForMessage(-100500, "Hello Bob");
  });

  it("round-trips a callback query through @grammyjs/runner", async () => {
    const emu = await start();
    const bot = new Bot(TOKEN, { client: { apiRoot: emu.apiRoot } });
    bot.command("menu", (ctx) =>
      ctx.reply("Burn this album?", {
        reply_markup: new InlineKeyboard().text("Yes", "burn:yes").text("No", "burn:no"),
      }),
    );
    bot.callbackQuery(/^burn:(yes|no)$/, async (ctx) => {
      await ctx.answerCallbackQuery({ text: "Got it" });
      await ctx.editMessageText(`Answer: ${ctx.match[1] ?? ""}`);
    });
    const runner: RunnerHandle = run(bot);
    stops.push(() => (runner.isRunning() ? runner.stop() : Promise.resolve()));

    emu.person(alice).sendText("/menu");
    const menu = await emu.waitForMessage(alice.id, "Burn this album?");
    expect(menu.replyMarkup?.inline_keyboard[0]?.map((b) => b.text)).toEqual(["Yes", "No"]);

    const queryId = emu.person(alice).pressButton({ messageId: menu.messageId, text: "Yes" });
    const answered = await emu.waitForCallbackAnswer(queryId);
    expect(answered.answer).toMatchObject({ text: "Got it", showAlert: false });
    const edited = await emu.waitForMessage(alice.id, "Answer: yes");
    expect(edited.editCount).toBe(1);
    expect(edited.replyMarkup).toBeUndefined();
    expect(emu.transcript(alice.id)[0]?.callbackQueries).toMatchObject([
      { data: "burn:yes", answered: true },
    ]);
    expect(() => emu.person(alice).pressButton({ messageId: menu.messageId, text: "Yes" })).toThrow(
      /no callback button/,
    );
  });

  it("follows getUpdates semantics: offset confirms, a long poll wakes on a new update, a second poller ends the first", async () => {
    const emu = await start();
    const api = apiFor(emu);
    emu.person(alice).sendText("one");
    emu.person(alice).sendText("two");
    const batch = await api.getUpdates({ timeout: 30 });
    expect(batch.map((u) => u.message?.text)).toEqual(["one", "two"]);
    const limited = await api.getUpdates({ limit: 1 });
    expect(limited.map((u) => u.message?.text)).toEqual(["one"]);
    const afterConfirm = await api.getUpdates({ offset: batch[1]!.update_id + 1 });
    expect(afterConfirm).toEqual([]);
    expect(emu.pendingUpdates()).toBe(0);

    const waiting = api.getUpdates({ timeout: 30, offset: batch[1]!.update_id + 1 });
    await emu.waitFor((e) => e.type === "poll-waiting");
    emu.person(alice).sendText("three");
    const woken = await waiting;
    expect(woken.map((u) => u.message?.text)).toEqual(["three"]);

    const first = api.getUpdates({ timeout: 30, offset: woken[0]!.update_id + 1 });
    await emu.waitFor((e) => e.type === "poll-waiting");
    const second = api.getUpdates({ timeout: 1 });
    const conflict = await grammyError(first);
    expect(conflict.error_code).toBe(409);
    expect(conflict.description).toMatch(/^Conflict: terminated by other getUpdates request/);
    expect(await second).toEqual([]);
  });
});

describe("fault injection", () => {
  it("answers 5xx for the next calls of a method, then succeeds", async () => {
    const emu = await start();
    const api = apiFor(emu);
    const chat = emu.openPrivateChat(alice);
    emu.failNext({ count: 2, status: 502, method: "sendMessage" });
    await expect(api.getMe()).resolves.toBeDefined();
    expect((await grammyError(api.sendMessage(chat.id, "a"))).error_code).toBe(502);
    expect((await grammyError(api.sendMessage(chat.id, "a"))).error_code).toBe(502);
    await expect(api.sendMessage(chat.id, "a")).resolves.toMatchObject({ message_id: 1 });
    expect(emu.transcript(chat.id)).toHaveLength(1);
    expect(emu.stats().callsByMethod.sendMessage).toBe(3);
  });

  it("can lose the answer of a call that took effect, and can answer with a proxy's HTML page", async () => {
    const emu = await start();
    const api = apiFor(emu);
    const chat = emu.openPrivateChat(alice);
    emu.failNext({ afterEffect: true });
    expect((await grammyError(api.sendMessage(chat.id, "sent twice?"))).error_code).toBe(500);
    expect(emu.transcript(chat.id).map((e) => e.text)).toEqual(["sent twice?"]);
    emu.failNext({ status: 502, html: true });
    await expect(api.getMe()).rejects.toBeInstanceOf(HttpError);
  });

  it("slows answers down and holds requests open until the client gives up", async () => {
    const emu = await start();
    const chat = emu.openPrivateChat(alice);
    emu.slowDown({ delayMs: 300, method: "sendMessage", count: 1 });
    const t0 = Date.now();
    await apiFor(emu).sendMessage(chat.id, "slow");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);

    emu.hang({ method: "sendMessage" });
    const impatient = apiFor(emu, TOKEN, 1);
    await expect(impatient.sendMessage(chat.id, "lost")).rejects.toBeInstanceOf(HttpError);
    await expect(impatient.sendMessage(chat.id, "fine")).resolves.toMatchObject({ text: "fine" });
    expect(emu.transcript(chat.id).map((e) => e.text)).toEqual(["slow", "fine"]);
  });
});

describe("HTTP control API", () => {
  it("lets another process act as a person and read the transcript", async () => {
    const emu = await start();
    const api = apiFor(emu);
    const post = (route: string, body: unknown): Promise<Response> =>
      fetch(`${emu.apiRoot}/control/${route}`, { method: "POST", body: JSON.stringify(body) });
    expect((await post("send-text", { from: alice, text: "/start" })).status).toBe(200);
    const [update] = await api.getUpdates();
    expect(update?.message?.text).toBe("/start");
    await api.sendMessage(alice.id, "welcome");
    const transcript = (await (
      await fetch(`${emu.apiRoot}/control/chats/${alice.id}/transcript`)
    ).json()) as {
      result: { text: string }[];
    };
    expect(transcript.result.map((e) => e.text)).toEqual(["welcome"]);
    const bad = await post("send-text", { from: { id: -1 }, text: "" });
    expect(bad.status).toBe(400);
  });
});
