/**
 * Telegram's limits as the emulated Bot API enforces them (text and caption lengths, callback data,
 * long-poll timeout, commands, chat actions) and the longer error answers it gives in Telegram's exact
 * wording. Short error texts stand where they are thrown, in the method families (`methods-*.ts`).
 */
import { BotApiError, badRequest } from "./bot-api-error.js";

/** Longest message text, counted after parse_mode was applied. */
export const MAX_TEXT = 4096;
/** Longest caption of a file message, counted after parse_mode was applied. */
export const MAX_CAPTION = 1024;
/** Longest `callback_data` of an inline button, in UTF-8 bytes. */
export const MAX_CALLBACK_DATA_BYTES = 64;
/** Longest getUpdates long poll; a larger `timeout` is cut down to this. */
export const MAX_POLL_TIMEOUT_S = 50;
/** Most updates one getUpdates call returns, and its default `limit`. */
export const MAX_UPDATES_PER_POLL = 100;
/** setWebhook's `max_connections` when the bot leaves it out. */
export const DEFAULT_MAX_CONNECTIONS = 40;
/** Telegram ignores thumbnails over 200 kB instead of failing the call. */
export const MAX_THUMBNAIL_BYTES = 200 * 1024;
/** Most commands one setMyCommands call may set. */
export const MAX_COMMANDS = 100;
/** Longest description of a bot command. */
export const MAX_COMMAND_DESCRIPTION = 256;
/** Longest text of an answerCallbackQuery notification. */
export const MAX_CALLBACK_ANSWER_TEXT = 200;

/** The actions sendChatAction accepts. */
export const CHAT_ACTIONS: readonly string[] = [
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
];

/** An edit that would leave text, entities and inline keyboard exactly as they are. */
export function notModified(): BotApiError {
  return badRequest(
    "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
  );
}

/** getUpdates while a webhook is set. */
export function webhookActiveConflict(): BotApiError {
  return new BotApiError(
    409,
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
  );
}

/** answerCallbackQuery for an unknown query or one already answered. */
export function callbackQueryInvalid(): BotApiError {
  return badRequest("query is too old and response timeout expired or query ID is invalid");
}
