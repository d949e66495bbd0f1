/**
 * The Bot API method for presses on inline buttons: answerCallbackQuery, which records the bot's answer
 * (notification text, alert, URL) on the press a person made through the control side.
 */
import { badRequest } from "./bot-api-error.js";
import { MAX_CALLBACK_ANSWER_TEXT, callbackQueryInvalid } from "./bot-api-limits.js";
import type { BotApiState, MethodTable } from "./bot-api-state.js";
import type { ParamReader } from "./param-reader.js";

/** answerCallbackQuery. */
export function callbackMethods(api: BotApiState): MethodTable {
  return {
    answerCallbackQuery: (p) => answerCallbackQuery(api, p),
  };
}

function answerCallbackQuery(api: BotApiState, p: ParamReader): true {
  const id = p.string("callback_query_id") ?? "";
  const record = api.callbacks.get(id);
  if (record === undefined || record.answered) throw callbackQueryInvalid();
  const text = p.string("text");
  if (text !== undefined && text.length > MAX_CALLBACK_ANSWER_TEXT) throw badRequest("MESSAGE_TOO_LONG");
  const url = p.string("url");
  record.answered = true;
  record.answer = {
    showAlert: p.bool("show_alert"),
    ...(text !== undefined ? { text } : {}),
    ...(url !== undefined ? { url } : {}),
  };
  api.deps.emit(() => ({ type: "callback-answered", chatId: record.chatId, callback: record }));
  return true;
}
