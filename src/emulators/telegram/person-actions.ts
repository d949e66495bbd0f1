/**
 * What people do on the control side: open a private chat, create a group, write to the bot and press
 * an inline button of a bot message. Writing and pressing queue the `message` and `callback_query`
 * updates Telegram would send, with the entities Telegram's clients attach (commands, links, mentions).
 */
import { nowSeconds, type BotApiState } from "./bot-api-state.js";
import type { CallbackQuery, Chat, ChatType, Message, MessageEntity, User } from "./bot-api-types.js";
import type { CallbackRecord, PersonInput } from "./transcript.js";

/** Opens (or returns) the private chat with a person; a bot can only write to people who wrote first. */
export function privateChat(api: BotApiState, person: PersonInput): Chat {
  return api.ensureChat(person.id, () => ({
    id: person.id,
    type: "private",
    first_name: person.firstName,
    ...(person.lastName !== undefined ? { last_name: person.lastName } : {}),
    ...(person.username !== undefined ? { username: person.username } : {}),
  })).chat;
}

/** Creates (or returns) a group chat. Ids of groups are negative. */
export function group(
  api: BotApiState,
  input: { id: number; title?: string; type?: Exclude<ChatType, "private"> },
): Chat {
  if (input.id >= 0) throw new Error("group chat ids are negative");
  return api.ensureChat(input.id, () => ({
    id: input.id,
    type: input.type ?? (input.id <= -1_000_000_000_000 ? "supergroup" : "group"),
    title: input.title ?? `Group ${-input.id}`,
  })).chat;
}

/** A person writes `text`; queues a `message` update with bot_command and url entities. */
export function personSends(api: BotApiState, person: PersonInput, text: string, chatId?: number): Message {
  if (text.length === 0) throw new Error("a person cannot send an empty message");
  const state =
    chatId === undefined || chatId === person.id
      ? api.chats.get(privateChat(api, person).id)
      : api.chats.get(group(api, { id: chatId }).id);
  if (state === undefined) throw new Error("chat missing");
  const entities = detectEntities(text);
  const message: Message = {
    message_id: state.nextMessageId++,
    from: toUser(person),
    chat: state.chat,
    date: nowSeconds(),
    text,
    ...(entities.length > 0 ? { entities } : {}),
  };
  api.storeMessage(state, message, false, text, undefined);
  api.queue({ message });
  return message;
}

/**
 * A person presses an inline button of a bot message, chosen by its text or its callback_data.
 * Queues a `callback_query` update and returns its id.
 */
export function personPresses(
  api: BotApiState,
  person: PersonInput,
  target: { chatId: number; messageId: number; text?: string; data?: string; forgedData?: string },
): string {
  const stored = api.chats.get(target.chatId)?.messages.get(target.messageId);
  if (stored === undefined || stored.deleted) {
    throw new Error(`no message ${target.messageId} in chat ${target.chatId}`);
  }
  const buttons = stored.message.reply_markup?.inline_keyboard.flat() ?? [];
  // A modified client can send any bytes as callback data (Telegram does not check them against the
  // message's buttons), so `forgedData` skips the button lookup and any length rule.
  const button =
    target.forgedData !== undefined
      ? { callback_data: target.forgedData }
      : buttons.find(
          (b) =>
            b.callback_data !== undefined &&
            (target.text === undefined || b.text === target.text) &&
            (target.data === undefined || b.callback_data === target.data),
        );
  if (button?.callback_data === undefined) {
    throw new Error(
      `message ${target.messageId} has no callback button matching ${JSON.stringify({ text: target.text, data: target.data })}`,
    );
  }
  const id = `${api.bot.id}${String(++api.callbackCounter).padStart(9, "0")}`;
  const record: CallbackRecord = {
    id,
    chatId: target.chatId,
    messageId: target.messageId,
    fromUserId: person.id,
    data: button.callback_data,
    answered: false,
  };
  api.callbacks.set(id, record);
  stored.callbacks.push(record);
  const query: CallbackQuery = {
    id,
    from: toUser(person),
    message: stored.message,
    chat_instance: String(Math.abs(target.chatId) * 7919 + api.bot.id),
    data: button.callback_data,
  };
  api.queue({ callback_query: query });
  return id;
}

/** Entities Telegram's clients attach to what a person types: commands, links, mentions. */
export function detectEntities(text: string): MessageEntity[] {
  const out: MessageEntity[] = [];
  const re = /(^|\s)(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?|https?:\/\/\S+|@[A-Za-z0-9_]{5,32})/g;
  for (const m of text.matchAll(re)) {
    const token = m[2] ?? "";
    const offset = m.index + (m[1]?.length ?? 0);
    const type = token.startsWith("/") ? "bot_command" : token.startsWith("@") ? "mention" : "url";
    out.push({ type, offset, length: token.length });
  }
  return out;
}

function toUser(person: PersonInput): User {
  return {
    id: person.id,
    is_bot: false,
    first_name: person.firstName,
    ...(person.lastName !== undefined ? { last_name: person.lastName } : {}),
    ...(person.username !== undefined ? { username: person.username } : {}),
    ...(person.languageCode !== undefined ? { language_code: person.languageCode } : {}),
  };
}
