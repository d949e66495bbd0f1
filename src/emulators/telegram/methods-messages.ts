/**
 * The Bot API methods for text messages and chats: sendMessage, editMessageText,
 * editMessageReplyMarkup, deleteMessage and sendChatAction. Sends and edits apply parse_mode
 * (text-formatting.ts), validate inline keyboards (bot-api-params.ts), pass flood control and emit
 * the events a test waits for.
 */
import { badRequest } from "./bot-api-error.js";
import { CHAT_ACTIONS, notModified } from "./bot-api-limits.js";
import { checkText, entitiesKey, entitiesParam, inlineMarkup, markupKeyOf } from "./bot-api-params.js";
import {
  nowSeconds,
  type BotApiState,
  type ChatState,
  type MethodTable,
  type StoredMessage,
} from "./bot-api-state.js";
import type { Message } from "./bot-api-types.js";
import type { ParamReader } from "./param-reader.js";
import { parseFormattedText } from "./text-formatting.js";
import { toEntry } from "./transcript.js";

/** sendMessage, the two edit methods, deleteMessage and sendChatAction. */
export function messageMethods(api: BotApiState): MethodTable {
  return {
    sendMessage: (p) => sendMessage(api, p),
    editMessageText: (p) => editMessageText(api, p),
    editMessageReplyMarkup: (p) => editMessageReplyMarkup(api, p),
    sendChatAction: (p) => sendChatAction(api, p),
    deleteMessage: (p) => deleteMessage(api, p),
  };
}

function sendMessage(api: BotApiState, p: ParamReader): Message {
  const state = api.chatFor(p);
  const source = p.string("text") ?? "";
  const parseMode = p.string("parse_mode");
  const formatted = parseFormattedText(source, parseMode, entitiesParam(p, "entities"));
  checkText(formatted.text);
  const markup = inlineMarkup(p);
  api.charge("sendmessage", state);
  const message: Message = {
    message_id: state.nextMessageId++,
    from: api.bot,
    chat: state.chat,
    date: nowSeconds(),
    text: formatted.text,
    ...(formatted.entities.length > 0 ? { entities: formatted.entities } : {}),
    ...(markup !== undefined ? { reply_markup: markup } : {}),
  };
  const stored = api.storeMessage(state, message, true, source, parseMode);
  api.deps.emit(() => ({ type: "message-sent", chatId: state.chat.id, entry: toEntry(stored) }));
  return message;
}

/** The bot message an edit names (by `chat_id` and `message_id`); inline messages are not emulated. */
function editTarget(api: BotApiState, p: ParamReader): { state: ChatState; stored: StoredMessage } {
  if (p.has("inline_message_id")) throw badRequest("MESSAGE_ID_INVALID");
  const state = api.chatFor(p);
  const stored = state.messages.get(p.int("message_id") ?? 0);
  if (stored === undefined || stored.deleted) throw badRequest("message to edit not found");
  if (!stored.fromBot) throw badRequest("message can't be edited");
  return { state, stored };
}

function editMessageText(api: BotApiState, p: ParamReader): Message {
  const { state, stored } = editTarget(api, p);
  const source = p.string("text") ?? "";
  const parseMode = p.string("parse_mode");
  const formatted = parseFormattedText(source, parseMode, entitiesParam(p, "entities"));
  checkText(formatted.text);
  if (stored.message.text === undefined) throw badRequest("there is no text in the message to edit");
  // Leaving reply_markup out of an edit removes the inline keyboard, so it is part of the comparison.
  const markup = inlineMarkup(p);
  const markupKey = markupKeyOf(markup);
  if (
    stored.message.text === formatted.text &&
    entitiesKey(stored.message.entities) === entitiesKey(formatted.entities) &&
    stored.markupKey === markupKey
  ) {
    throw notModified();
  }
  api.charge("editmessagetext", state);
  stored.previousTexts.push(stored.message.text);
  const { entities: _e, reply_markup: _r, ...rest } = stored.message;
  stored.message = {
    ...rest,
    text: formatted.text,
    edit_date: nowSeconds(),
    ...(formatted.entities.length > 0 ? { entities: formatted.entities } : {}),
    ...(markup !== undefined ? { reply_markup: markup } : {}),
  };
  stored.sourceText = source;
  stored.parseMode = parseMode;
  stored.markupKey = markupKey;
  stored.editCount += 1;
  api.deps.emit(() => ({ type: "message-edited", chatId: state.chat.id, entry: toEntry(stored) }));
  return stored.message;
}

function editMessageReplyMarkup(api: BotApiState, p: ParamReader): Message {
  const { state, stored } = editTarget(api, p);
  const markup = inlineMarkup(p);
  const markupKey = markupKeyOf(markup);
  if (stored.markupKey === markupKey) throw notModified();
  api.charge("editmessagereplymarkup", state);
  const { reply_markup: _r, ...rest } = stored.message;
  stored.message = {
    ...rest,
    edit_date: nowSeconds(),
    ...(markup !== undefined ? { reply_markup: markup } : {}),
  };
  stored.markupKey = markupKey;
  stored.editCount += 1;
  api.deps.emit(() => ({ type: "message-edited", chatId: state.chat.id, entry: toEntry(stored) }));
  return stored.message;
}

function sendChatAction(api: BotApiState, p: ParamReader): true {
  const state = api.chatFor(p);
  const action = p.string("action") ?? "";
  if (!CHAT_ACTIONS.includes(action)) throw badRequest("wrong parameter action in request");
  api.deps.emit(() => ({ type: "chat-action", chatId: state.chat.id, action }));
  return true;
}

function deleteMessage(api: BotApiState, p: ParamReader): true {
  const state = api.chatFor(p);
  const stored = state.messages.get(p.int("message_id") ?? 0);
  if (stored === undefined || stored.deleted) throw badRequest("message to delete not found");
  if (!stored.fromBot && state.chat.type === "private")
    throw badRequest("message can't be deleted for everyone");
  stored.deleted = true;
  api.deps.emit(() => ({
    type: "message-deleted",
    chatId: state.chat.id,
    messageId: stored.message.message_id,
  }));
  return true;
}
