/**
 * The admin in the chat: `/status all` lists everyone's jobs, `/burn <job>` shows the disc plan with
 * Simulate and Burn buttons, and a press is followed in the same chat until the burn ends. The burner is
 * the real one (real ffmpeg renders CD-DA, the real cdrdao checks the TOC) with scripts/fake-cdrdao.mjs
 * standing in for a drive this machine does not have (FAKE_CDRDAO_MODE chooses the drive's answer).
 */
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { adminCommands, botCommands } from "../../../src/bots/telegram/bot-commands.js";
import { startBurner, type Burner } from "../../../src/core/burn/burn-processor.js";
import { createBurnService, type BurnService } from "../../../src/core/burn/burn-service.js";
import { silentLogger } from "../../../src/core/log.js";
import { createRedis } from "../../../src/core/redis.js";
import { demoAlbum, cyrillicAlbum } from "../../../src/emulators/spotify/index.js";
import type { TranscriptEntry } from "../../../src/emulators/telegram/index.js";
import { storeCollection, type StoredCollection } from "../../core/burn/burn-fixture.js";
import { testRedisUrl } from "../../helpers/redis.js";
import { admin, alice, bob, createBotHarness, type BotHarness } from "./bot-harness.js";

const fakeCdrdao = path.resolve("scripts/fake-cdrdao.mjs");

describe("the admin in the chat", () => {
  let h: BotHarness;
  let burn: BurnService;
  let burner: Burner | undefined;
  /** A finished collection of two collected tracks and one that failed (made once: ffmpeg takes a second). */
  let collection: StoredCollection;
  const closers: (() => Promise<unknown>)[] = [];

  // One bot for the file (each test uses jobs of its own); chat pacing is not what is tested here.
  beforeAll(async () => {
    h = await createBotHarness({
      tuning: { perChatMinTimeMs: 100 },
      emulator: { perChatPerSecond: 0 },
    });
    // The bot with the burn queue, as the service wires it (a restart picks up the added deps).
    burn = createBurnService({ connection: h.p.redis, prefix: h.p.config.redis.prefix });
    const events = createRedis({ url: testRedisUrl() }, "events");
    h.deps.burn = { service: burn, events, prefix: h.p.config.redis.prefix, adminChatId: 0 };
    await h.restart();
    closers.push(
      () => h.close(),
      () => burn.close(),
      () => Promise.resolve(events.disconnect()),
    );
    collection = await storeCollection({
      redis: h.p.redis,
      prefix: h.p.config.redis.prefix,
      dataDir: h.p.dataDir,
      title: "Rauschen & Stille",
      subtitle: "Noise Ensemble",
      tracks: [
        { title: "Erste Welle", seconds: 4 },
        { title: "Kurz", seconds: 2.5 },
        { title: "Verloren", seconds: 3, failed: true },
      ],
    });
  });

  afterEach(async () => {
    await burner?.close(5000);
    burner = undefined;
  });

  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  function runBurner(mode: "ok" | "no-drive"): void {
    const config = { ...h.p.config, burn: { ...h.p.config.burn, cdrdaoPath: fakeCdrdao } };
    burner = startBurner({
      config,
      redisUrl: testRedisUrl(),
      logger: silentLogger(),
      cdrdaoEnv: { ...process.env, FAKE_CDRDAO_MODE: mode, FAKE_CDRDAO_DELAY_MS: "0" },
    });
  }

  /** The bot's last message in the admin's chat matching `re`, once there is one (sent or edited). */
  async function shown(re: RegExp, timeoutMs = 15_000): Promise<TranscriptEntry> {
    let found: TranscriptEntry | undefined;
    await vi.waitFor(
      () => {
        found = h.tg.transcript(admin.id).findLast((m) => re.test(m.text));
        expect(found, `no message matching ${String(re)}`).toBeDefined();
      },
      { timeout: timeoutMs, interval: 50 },
    );
    return found!;
  }

  it("an admin sees everyone's jobs with /status all; a person is refused", async () => {
    const a = await h.ask(
      alice,
      `/download https://open.spotify.com/album/${demoAlbum.id}`,
      /Job [a-z2-9]{7}/,
    );
    const b = await h.ask(
      bob,
      `/download https://open.spotify.com/album/${cyrillicAlbum.id}`,
      /Job [a-z2-9]{7}/,
    );
    const jobOf = (m: TranscriptEntry) => /Job ([a-z2-9]{7})/.exec(m.text)![1]!;

    const refused = await h.ask(alice, "/status all", /admins only/);
    expect(refused.text).toBe("/status all is for the bot's admins only.");
    expect(refused.text).not.toContain(jobOf(b));

    const all = await h.ask(admin, "/status all", /Everyone's latest/);
    const lines = all.text.split("\n");
    // Newest first, one line each: who, job, title, stage.
    const bobLine = lines.findIndex((l) => l.includes(jobOf(b)));
    const aliceLine = lines.findIndex((l) => l.includes(jobOf(a)));
    expect(bobLine).toBeGreaterThan(0);
    expect(aliceLine).toBeGreaterThan(bobLine);
    expect(lines[bobLine]).toMatch(new RegExp(`^user ${bob.id} · ${jobOf(b)} · .+ · waiting in line`));
    expect(lines[aliceLine]).toMatch(new RegExp(`^user ${alice.id} · ${jobOf(a)} · `));
    expect(all.text.length).toBeLessThanOrEqual(4096);

    // The admin's own /status points at it; the admin's menu has the admin commands, everyone else's not.
    expect((await h.ask(admin, "/status", /no jobs yet/)).text).toContain("/status all");
    expect(h.tg.myCommands()).toEqual(botCommands);
    expect(h.tg.myCommands({ type: "chat", chat_id: admin.id })).toEqual(adminCommands);
    expect((await h.ask(alice, "/burn abcdefg", /admins only/)).text).toBe(
      "/burn is for the bot's admins only.",
    );
    const help = (await h.ask(admin, "/help", /You are an admin/)).text;
    expect(help).toContain("/status all");
    expect(help).toContain("/burn <id>");
  });

  it("an admin burns a collection from the chat: the plan, Simulate, progress, done", async () => {
    const { jobId } = collection;
    runBurner("ok");
    const plan = await h.ask(admin, `/burn ${jobId}`, /Disc 1/);
    expect(plan.text).toContain(`Rauschen & Stille (job ${jobId})`);
    expect(plan.text).toMatch(/1 disc, 2 tracks \(blank: 79:57\)/);
    expect(plan.text).toMatch(/Disc 1: 2 tracks, 0:10 of 79:57/); // 2 s lead-in + 4 s + 2.5 s padded to 4 s
    expect(plan.text).toMatch(/Left out \(1\):\n3\. Verloren: It was not collected/);
    const buttons = plan.replyMarkup!.inline_keyboard.flat();
    expect(buttons.map((b) => b.text)).toEqual(["🧪 Simulate", "💿 Burn"]);
    for (const b of buttons)
      expect(Buffer.byteLength("callback_data" in b ? b.callback_data! : "")).toBeLessThanOrEqual(64);

    const press = h.tg.pressButton(admin, { messageId: plan.messageId, text: "🧪 Simulate" });
    const answer = await h.tg.waitForCallbackAnswer(press);
    const burnId = /Queued as burn ([a-z2-9]{7})/.exec(answer.answer?.text ?? "")?.[1];
    expect(burnId, answer.answer?.text).toBeDefined();
    expect((await shown(/queued as burn/)).text).toContain("Simulating disc 1");

    // One progress message, edited as the burn goes, ending with the outcome.
    const done = await shown(new RegExp(`💿✅ Burn ${burnId}: done 100%`), 30_000);
    expect(done.previousTexts.some((t) => t.startsWith(`💿 Burn ${burnId}:`))).toBe(true);
    expect(h.tg.transcript(admin.id).filter((m) => m.text.includes(`Burn ${burnId}`))).toHaveLength(1);
    const status = await burn.status(burnId!);
    expect(status).toMatchObject({ state: "completed", simulate: true, disc: 1 });

    // Nobody else may press it.
    h.tg.openPrivateChat(alice);
    const other = h.tg.pressButton(alice, {
      chatId: admin.id,
      messageId: plan.messageId,
      forgedData: `b:w:${jobId}:1`,
    });
    expect((await h.tg.waitForCallbackAnswer(other)).answer?.text).toBe(
      "Burning is for the bot's admins only.",
    );
  }, 30_000);

  it("with no drive, the admin reads why within seconds, before any audio is rendered", async () => {
    const { jobId } = collection;
    await vi.waitFor(async () => expect(await burn.queue.getWorkersCount()).toBe(0));
    const plan = await h.ask(admin, `/burn ${jobId}`, /Disc 1/);
    // No burner at all: said at once, nothing queued.
    const early = h.tg.pressButton(admin, { messageId: plan.messageId, text: "💿 Burn" });
    expect((await h.tg.waitForCallbackAnswer(early)).answer?.text).toBe("No burner is running.");
    expect((await shown(/No burner is running/)).text).toContain("--role burner");
    expect(await burn.queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0 });

    runBurner("no-drive");
    await vi.waitFor(async () => expect(await burn.queue.getWorkersCount()).toBeGreaterThan(0));
    const pressedAt = Date.now();
    h.tg.pressButton(admin, { messageId: plan.messageId, text: "💿 Burn" });
    const failed = await shown(/💿❌ Burn [a-z2-9]{7}: failed/, 10_000);
    expect(Date.now() - pressedAt).toBeLessThan(5_000);
    expect(failed.text).toMatch(/\/dev\/sr0/);
    const texts = [...failed.previousTexts, failed.text];
    expect(texts.some((t) => /rendering/i.test(t))).toBe(false);
  });
});
