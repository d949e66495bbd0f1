/**
 * Long polling against a world that polls too: another program calling getUpdates with the bot's token
 * (a second instance, the demo, a curl) makes Telegram end the bot's long poll with 409. The bot logs it
 * once with what to do, counts it, polls again and keeps answering; the workers in the same process go
 * on. And stopping a polling bot aborts the pending long poll instead of waiting it out.
 *
 * Over HTTP through the Telegram stand-in, real grammY, real Redis and (first test) real workers.
 * The first test takes about 4 s: the bot's retries after the two 409s wait 1 s and 2 s.
 */
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createBot } from "../../../src/bots/telegram/index.js";
import { startLongPolling } from "../../../src/bots/telegram/long-polling.js";
import { createLogger } from "../../../src/core/log.js";
import { createMetrics } from "../../../src/core/metrics.js";
import type { EmulatorEvent } from "../../../src/emulators/telegram/index.js";
import { Bot } from "grammy";
import { alice, counterValue, createBotHarness, token, type BotHarness } from "./bot-harness.js";

/** A logger whose JSON lines the test can read. */
function capturedLogger() {
  type Line = { level: number; msg: string; reason?: string };
  const lines: Line[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n"))
        if (line.trim() !== "") lines.push(JSON.parse(line) as Line);
      done();
    },
  });
  return { logger: createLogger({ level: "info", destination }), lines };
}

/** A getUpdates "from anywhere" with the bot's token, as curl would send it. */
async function otherGetUpdates(h: BotHarness, timeoutSeconds: number) {
  const res = await fetch(`${h.tg.apiRoot}/bot${token}/getUpdates?timeout=${timeoutSeconds}`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; description?: string } };
}

const conflictText =
  "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";

describe("telegram long polling", () => {
  let h: BotHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("a 409 from the Bot API during polling: the bot logs it once, resumes polling and answers the next message; workers never stopped", async () => {
    h = await createBotHarness();
    const harness = h;
    const workers = await harness.p.startWorkers();
    const { logger, lines } = capturedLogger();
    await harness.bot.stop();
    harness.bot = createBot({ ...harness.deps, logger });
    const polling = harness.tg.waitFor((e: EmulatorEvent) => e.type === "poll-waiting", 5000);
    await harness.bot.start();
    await polling;

    for (let round = 1; round <= 2; round++) {
      // The other program's long poll ends the bot's (409 to the bot); the bot's next poll, about a
      // second later, ends the other's in turn: that one reads Telegram's own words, and the bot's
      // poll is the one waiting again.
      const conflict = harness.tg.waitFor((e: EmulatorEvent) => e.type === "poll-conflict", 5000);
      const other = await otherGetUpdates(harness, 10);
      await conflict;
      expect(other).toEqual({
        status: 409,
        body: { ok: false, error_code: 409, description: conflictText },
      });
    }

    expect(
      await counterValue(harness.metrics, "cdc_telegram_polling_failures_total", { reason: "conflict" }),
    ).toBe(2);
    const told = lines.filter((l) => l.msg.includes("another program is using this bot token"));
    expect(told).toHaveLength(1);
    expect(told[0]!.level).toBe(50);
    expect(harness.bot.isRunning()).toBe(true);

    // The next message is answered; the workers of the same process never stopped.
    const help = await harness.ask(alice, "/help", /Your limits/);
    expect(help.chatId).toBe(alice.id);
    expect(workers.running()).toBe(true);
    expect(lines.filter((l) => l.msg.includes("works again"))).toHaveLength(1);
  }, 30_000);

  it("stopping a polling bot takes well under the long-poll timeout", async () => {
    h = await createBotHarness();
    const harness = h;
    await harness.tg.waitFor((e: EmulatorEvent) => e.type === "poll-waiting", 5000);
    const started = Date.now();
    await harness.bot.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(harness.bot.isRunning()).toBe(false);

    // Also while polling waits out a conflict: the pause between tries is cut short as well.
    const bot = new Bot(token, { client: { apiRoot: harness.tg.apiRoot } });
    await bot.init();
    const metrics = createMetrics({ defaultMetrics: false });
    const polling = startLongPolling({
      bot,
      allowedUpdates: ["message"],
      logger: capturedLogger().logger,
      metrics,
      retryMinMs: 30_000,
    });
    await harness.tg.waitFor((e: EmulatorEvent) => e.type === "poll-waiting", 5000);
    await otherGetUpdates(harness, 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await counterValue(metrics, "cdc_telegram_polling_failures_total", { reason: "conflict" })).toBe(
      1,
    );
    const pausing = Date.now();
    await polling.stop();
    expect(Date.now() - pausing).toBeLessThan(3000);
  }, 20_000);
});
