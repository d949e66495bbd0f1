/**
 * Under load the pacer decides who hears from the bot first. A person who has heard nothing yet is
 * answered before follow-ups to people just answered, and those before progress edits; one chat's own
 * messages and edits still arrive in the order the bot made them. Calls go through grammY to the
 * Telegram stand-in, with Bottleneck's real scheduling; the order is read from the stand-in's events.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api } from "grammy";
import {
  CALL_PRIORITY,
  createApiPacer,
  pacedCallPriority,
  type ApiPacer,
} from "../../../src/bots/telegram/api-pacer.js";
import { startTelegramEmulator, type TelegramEmulator } from "../../../src/emulators/telegram/index.js";

const token = "616161:TEST-api-pacer";
let tg: TelegramEmulator;
let nextChat = 3000;

beforeAll(async () => {
  // The stand-in's own limits are off: here the pacer alone decides the order.
  tg = await startTelegramEmulator({ token, perChatPerSecond: 0, globalPerSecond: 0 });
});
afterAll(async () => {
  await tg.close();
});

/** `n` fresh private chats. */
function chats(n: number): number[] {
  return Array.from({ length: n }, () => {
    const id = ++nextChat;
    tg.openPrivateChat({ id, firstName: `Person ${id}` });
    return id;
  });
}

/** A paced Api (20 calls/s overall, so a queue builds) and an unpaced one for setting the scene. */
function apis(options: { priorities?: boolean } = {}): { paced: Api; raw: Api; pacer: ApiPacer } {
  const pacer = createApiPacer({ globalPerSecond: 20, perChatMinTimeMs: 0, ...options });
  const paced = new Api(token, { apiRoot: tg.apiRoot });
  paced.config.use(pacer.transformer);
  return { paced, raw: new Api(token, { apiRoot: tg.apiRoot }), pacer };
}

/** Records "chatId:text" of every send and edit from now on. */
function recordDeliveries(): { order: string[]; stop: () => void } {
  const order: string[] = [];
  const stop = tg.onEvent((event) => {
    if (event.type === "message-sent" || event.type === "message-edited") {
      order.push(`${event.chatId}:${event.entry.text}`);
    }
  });
  return { order, stop };
}

/**
 * A crowd: progress edits in 4 chats, follow-ups in 4 chats answered a moment ago, first replies in 4
 * chats that heard nothing, all made at once in that order. Returns the kinds in delivery order.
 */
async function crowd(options: { priorities?: boolean } = {}): Promise<string[]> {
  const { paced, raw, pacer } = apis(options);
  try {
    const [editChats, followUpChats, newChats] = [chats(4), chats(4), chats(4)];
    const statusMessages = await Promise.all(
      editChats.map((chat) => raw.sendMessage(chat, "Downloading… 10 %")),
    );
    for (const chat of followUpChats) await paced.sendMessage(chat, "Waiting in line.");
    const recording = recordDeliveries();
    await Promise.all([
      ...statusMessages.map((m) => paced.editMessageText(m.chat.id, m.message_id, "edit")),
      ...followUpChats.map((chat) => paced.sendMessage(chat, "follow-up")),
      ...newChats.map((chat) => paced.sendMessage(chat, "first reply")),
    ]);
    recording.stop();
    return recording.order.map((entry) => entry.slice(entry.indexOf(":") + 1));
  } finally {
    await pacer.stop();
  }
}

describe("the order the bot's messages leave in under load", () => {
  it("calls a message to a quiet chat a first reply, a message to a busy chat a follow-up, and an edit last", () => {
    expect(pacedCallPriority("sendMessage", true)).toBe(CALL_PRIORITY.firstReply);
    expect(pacedCallPriority("copyMessage", true)).toBe(CALL_PRIORITY.firstReply);
    expect(pacedCallPriority("sendMessage", false)).toBe(CALL_PRIORITY.normal);
    expect(pacedCallPriority("sendAudio", true)).toBe(CALL_PRIORITY.normal);
    expect(pacedCallPriority("sendDocument", false)).toBe(CALL_PRIORITY.normal);
    expect(pacedCallPriority("editMessageText", true)).toBe(CALL_PRIORITY.edit);
    expect(pacedCallPriority("editMessageReplyMarkup", false)).toBe(CALL_PRIORITY.edit);
    expect(CALL_PRIORITY.firstReply).toBeLessThan(CALL_PRIORITY.normal);
    expect(CALL_PRIORITY.normal).toBeLessThan(CALL_PRIORITY.edit);
  });

  it("answers people who heard nothing before follow-ups, and follow-ups before progress edits made earlier", async () => {
    const order = await crowd();
    expect(order).toHaveLength(12);
    // The first edit or two may already hold a start ticket when the rest arrive; after that, strictly
    // by urgency.
    const rank = { "first reply": 0, "follow-up": 1, edit: 2 } as Record<string, number>;
    const rest = order.slice(2).map((kind) => rank[kind]!);
    expect(rest).toEqual([...rest].sort((a, b) => a - b));
    expect(order.slice(0, 6).filter((kind) => kind === "first reply")).toHaveLength(4);
  });

  it("with priorities off (the benchmark's old order), calls leave in the order they were made", async () => {
    const order = await crowd({ priorities: false });
    expect(order.slice(0, 4)).toEqual(["edit", "edit", "edit", "edit"]);
    expect(order.slice(8)).toEqual(["first reply", "first reply", "first reply", "first reply"]);
  });

  it("keeps one chat's messages and edits in the order the bot made them while other chats overtake", async () => {
    const { paced, raw, pacer } = apis();
    try {
      const [busy] = chats(1);
      const status = await raw.sendMessage(busy!, "Downloading… 10 %");
      // The chat's first call is answered slowly, so its later calls all wait in the pacer together.
      tg.slowDown({ delayMs: 300, method: "sendMessage", count: 1 });
      const recording = recordDeliveries();
      await Promise.all([
        paced.sendMessage(busy!, "one"),
        paced.editMessageText(busy!, status.message_id, "two"),
        paced.sendMessage(busy!, "three"),
        paced.sendMessage(busy!, "four"),
        ...chats(4).map((chat) => paced.sendMessage(chat, "first reply")),
      ]);
      recording.stop();
      const inBusyChat = recording.order
        .filter((entry) => entry.startsWith(`${busy}:`))
        .map((entry) => entry.split(":")[1]);
      expect(inBusyChat).toEqual(["one", "two", "three", "four"]);
    } finally {
      tg.clearFaults();
      await pacer.stop();
    }
  });
});
