/**
 * One job shown in several chats: a person asks for the same link in their private chat and in a group.
 * It is one job (the same person, link and format), but each chat got its own status message, and each
 * must follow the job to its end and get the summary, also after a bot restart.
 *
 * Over HTTP through the Telegram stand-in with real grammY and real Redis; no workers (the job is
 * cancelled while queued, which ends it at once).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createKeys } from "../../../src/core/jobs/keys.js";
import { demoAlbum } from "../../../src/emulators/spotify/index.js";
import { alice, createBotHarness, type BotHarness } from "./bot-harness.js";

const link = `https://open.spotify.com/album/${demoAlbum.id}`;

describe("one job asked in several chats", () => {
  let h: BotHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("the same link asked in two chats: both status messages reach the final state", async () => {
    h = await createBotHarness({ tuning: { groupMinTimeMs: 100, perChatMinTimeMs: 100 } });
    const harness = h;
    const group = harness.tg.createGroup({ id: -100555, title: "Family" });
    const inPrivate = await harness.ask(alice, link, /Job [a-z2-9]{7}/);
    const jobId = /Job ([a-z2-9]{7})/.exec(inPrivate.text)![1]!;
    const inGroup = await harness.ask(alice, `/download ${link}`, /Job [a-z2-9]{7}/, group.id);
    expect(inGroup.text).toContain(`Job ${jobId}`);
    // Asked again in the same chat: no third status message, a pointer to the one above.
    await harness.ask(alice, `/download ${link}`, /You asked for that already/, group.id);
    expect((await harness.p.jobs.relays()).get(jobId)).toHaveLength(2);

    // A restart picks both up again.
    await harness.restart();
    expect(harness.bot.relay.isFollowing(jobId, alice.id)).toBe(true);
    expect(harness.bot.relay.isFollowing(jobId, group.id)).toBe(true);

    // Cancelled from the private chat: in each chat the status message itself becomes the summary.
    const summaries = Promise.all([
      harness.nextText(alice.id, /\(job /, 10_000),
      harness.nextText(group.id, /\(job /, 10_000),
    ]);
    harness.tg.sendText(alice, `/cancel ${jobId}`);
    const [inPrivateEnd, inGroupEnd] = await summaries;
    expect(inPrivateEnd.messageId).toBe(inPrivate.messageId);
    expect(inGroupEnd.messageId).toBe(inGroup.messageId);
    for (const summary of [inPrivateEnd, inGroupEnd])
      expect(summary.text).toMatch(new RegExp(`^🚫 .+: cancelled \\(job ${jobId}\\)\\.`, "u"));
    // One status message for the job in each chat, and no reply to /cancel saying it again.
    for (const chatId of [alice.id, group.id]) {
      const about = harness.tg.transcript(chatId).filter((m) => m.text.includes(jobId));
      expect(about.filter((m) => !/You asked for that already/.test(m.text))).toHaveLength(1);
    }
    await expect.poll(async () => (await harness.p.jobs.relays()).has(jobId), { timeout: 5000 }).toBe(false);
  });

  it("a relay stored by an older version (one per job) is still picked up after an upgrade", async () => {
    h = await createBotHarness();
    const harness = h;
    const status = await harness.ask(alice, link, /Job [a-z2-9]{7}/);
    const jobId = /Job ([a-z2-9]{7})/.exec(status.text)![1]!;
    const relayKey = createKeys(harness.p.config.redis.prefix).relay;
    await harness.bot.stop();
    await harness.p.redis.del(relayKey);
    await harness.p.redis.hset(
      relayKey,
      jobId,
      JSON.stringify({ chatId: alice.id, messageId: status.messageId }),
    );
    await harness.restart();
    expect(harness.bot.relay.isFollowing(jobId, alice.id)).toBe(true);
    expect(await harness.p.redis.hkeys(relayKey)).toEqual([`${jobId}:${alice.id}`]);
  });
});
