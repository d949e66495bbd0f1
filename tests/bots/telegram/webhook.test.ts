/**
 * Webhook mode against the stand-in, which POSTs updates to the webhook with the secret of the last
 * setWebhook, as Telegram does. getWebhookInfo never shows that secret, so the bot sets the webhook at
 * every start: a restart with a rotated secret takes effect even though the URL did not change, and a
 * webhook Telegram holds with a stale secret is repaired by the next start.
 *
 * Each test gets a harness, a webhook server and a list of attempts of its own, so the setWebhook
 * calls and webhook attempts it counts are its own, whatever ran before.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { beforeEach, describe, expect, it } from "vitest";
import { createBot, type TelegramBot } from "../../../src/bots/telegram/index.js";
import type { EmulatorEvent } from "../../../src/emulators/telegram/index.js";
import { eventually } from "../../helpers/processes.js";
import { alice, createBotHarness, type BotHarness } from "./bot-harness.js";

describe("telegram bot in webhook mode", () => {
  let h: BotHarness;
  let app: FastifyInstance;
  let webhookUrl: string;
  let current: TelegramBot | undefined;
  /** The bots the current test started. */
  let bots: TelegramBot[];
  /** Every POST the stand-in made to the webhook in the current test. */
  let attempts: Extract<EmulatorEvent, { type: "webhook-attempt" }>[];

  beforeEach(async () => {
    current = undefined;
    attempts = [];
    const started: TelegramBot[] = [];
    bots = started;
    const harness = await createBotHarness();
    h = harness;
    await h.bot.stop(); // the harness's polling bot; these tests start their own
    h.tg.onEvent((e) => {
      if (e.type === "webhook-attempt") attempts.push(e);
    });
    const server = Fastify();
    app = server;
    // The service mounts one bot's handler; here the route follows whichever bot runs now.
    app.post("/telegram/webhook", (request, reply) => {
      if (current === undefined) return reply.code(503).send();
      return current.webhookHandler(request, reply);
    });
    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    webhookUrl = `${address}/telegram/webhook`;
    return async () => {
      for (const bot of started) await bot.stop();
      await server.close();
      await harness.close();
    };
  }, 120_000);

  function webhookBot(secret: string): TelegramBot {
    const telegram = {
      ...h.deps.config.telegram,
      mode: "webhook" as const,
      webhookUrl,
      webhookSecret: secret,
    };
    const bot = createBot({ ...h.deps, config: { ...h.deps.config, telegram } });
    bots.push(bot);
    return bot;
  }

  const setWebhookCalls = () => h.tg.stats().callsByMethod.setWebhook ?? 0;

  it("a second start with a new secret calls setWebhook again; Telegram then sends the new secret", async () => {
    const first = webhookBot("first-secret-0001");
    current = first;
    await first.start();
    expect(setWebhookCalls()).toBe(1);
    expect(h.tg.webhook()).toMatchObject({ url: webhookUrl, secretToken: "first-secret-0001" });
    const info = await first.bot.api.getWebhookInfo();
    expect(info.allowed_updates).toEqual(["message", "callback_query"]);
    expect(info).not.toHaveProperty("secret_token");
    await h.ask(alice, "/whoami", /Your Telegram id is 1001/);

    await first.stop();
    const second = webhookBot("second-secret-0002");
    current = second;
    await second.start();
    // The URL is unchanged, and still the webhook is set again, with the new secret.
    expect(setWebhookCalls()).toBe(2);
    expect(h.tg.webhook()).toMatchObject({ url: webhookUrl, secretToken: "second-secret-0002" });
    await h.ask(alice, "/whoami", /Your Telegram id is 1001/);
    // Both updates went to the webhook and were taken at the first try.
    expect(await eventually(() => attempts.length >= 2, 5000)).toBe(true);
    expect(attempts.map((a) => [a.url, a.status])).toEqual([
      [webhookUrl, 200],
      [webhookUrl, 200],
    ]);
    expect(await eventually(() => h.tg.pendingUpdates() === 0, 5000)).toBe(true);

    // The running bot requires the new secret: the old one (or none) is refused.
    for (const headers of [{ "x-telegram-bot-api-secret-token": "first-secret-0001" }, {}]) {
      const refused = await app.inject({
        method: "POST",
        url: "/telegram/webhook",
        headers,
        payload: { update_id: 990_001 },
      });
      expect(refused.statusCode).toBe(401);
    }
    await second.stop();
  }, 60_000);

  it("a webhook Telegram holds with a stale secret: updates are refused until the next start sets it again", async () => {
    const bot = webhookBot("current-secret-0003");
    current = bot;
    await bot.start();
    // Telegram still sends an older secret (say, the webhook was set by hand or by an older deployment).
    await bot.bot.api.setWebhook(webhookUrl, {
      secret_token: "stale-secret-0000",
      allowed_updates: ["message", "callback_query"],
    });
    const refused = h.tg.waitFor((e: EmulatorEvent) => e.type === "webhook-attempt" && !e.ok, 10_000);
    h.tg.sendText(alice, "/whoami");
    expect(await refused).toMatchObject({
      status: 401,
      error: "Wrong response from the webhook: 401 Unauthorized",
    });
    const info = await bot.bot.api.getWebhookInfo();
    expect(info.last_error_message).toBe("Wrong response from the webhook: 401 Unauthorized");
    expect(info.pending_update_count).toBe(1);
    await bot.stop();

    // The next start sets the webhook with its secret: the waiting update goes through and is answered.
    const answer = h.nextMessage(alice.id, /Your Telegram id is 1001/, 15_000);
    const restarted = webhookBot("current-secret-0003");
    current = restarted;
    await restarted.start();
    await answer;
    // Confirmed once the webhook answered 200, right after the handler replied.
    expect(await eventually(() => h.tg.pendingUpdates() === 0, 5000)).toBe(true);
    await restarted.stop();
  }, 60_000);
});
