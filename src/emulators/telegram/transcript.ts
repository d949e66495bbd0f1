/**
 * The records the emulator hands to tests and to the control side: a person as the control side
 * describes them, stored files, presses on inline buttons, one bot message as a transcript entry, and the
 * events `waitFor`/`onEvent` see. {@link toEntry} turns a stored message into its transcript entry.
 */
import type { InlineKeyboardMarkup, MessageEntity, Update } from "./bot-api-types.js";
import type { StoredMessage } from "./bot-api-state.js";

/** A person as the control side describes them. */
export interface PersonInput {
  readonly id: number;
  readonly firstName: string;
  readonly lastName?: string;
  readonly username?: string;
  readonly languageCode?: string;
}

/** A file the emulator has seen, reachable by its file_id. */
export interface StoredFile {
  readonly fileId: string;
  readonly fileUniqueId: string;
  readonly size: number;
  readonly fileName?: string;
  readonly mimeType?: string;
  /** Only when the emulator keeps upload bytes (`keepUploads`). */
  readonly data?: Buffer;
}

/** Metadata of an audio or document message in a transcript. */
export interface TranscriptFile {
  readonly fileId: string;
  readonly fileUniqueId: string;
  readonly fileSize: number;
  readonly fileName?: string;
  readonly mimeType?: string;
  readonly performer?: string;
  readonly title?: string;
  readonly duration?: number;
  readonly hasThumbnail: boolean;
  /** True when this message carried a new upload, false when it re-used a file_id. */
  readonly uploaded: boolean;
}

/** A press on an inline button and how the bot answered it. */
export interface CallbackRecord {
  readonly id: string;
  readonly chatId: number;
  readonly messageId: number;
  readonly fromUserId: number;
  readonly data: string;
  answered: boolean;
  answer?: { text?: string; showAlert: boolean; url?: string };
}

/** One bot message as a test sees it. */
export interface TranscriptEntry {
  readonly chatId: number;
  readonly messageId: number;
  /** Unix seconds, like Telegram's `date`. */
  readonly date: number;
  readonly kind: "text" | "audio" | "document";
  /** Current text (after parse_mode), or the caption of a file message. */
  readonly text: string;
  readonly entities: MessageEntity[];
  /** The text as the bot sent it, before parse_mode was applied. */
  readonly sourceText: string;
  readonly parseMode?: string;
  readonly replyMarkup?: InlineKeyboardMarkup;
  /** How many edits changed this message. */
  readonly editCount: number;
  /** Texts this message had before each edit, oldest first. */
  readonly previousTexts: readonly string[];
  readonly deleted: boolean;
  readonly audio?: TranscriptFile;
  readonly document?: TranscriptFile;
  /** The album a file message belongs to (sendMediaGroup). */
  readonly mediaGroupId?: string;
  readonly callbackQueries: readonly CallbackRecord[];
}

/** Something that happened, for `waitFor`. */
export type EmulatorEvent =
  | { type: "message-sent"; chatId: number; entry: TranscriptEntry }
  | { type: "message-edited"; chatId: number; entry: TranscriptEntry }
  | { type: "message-deleted"; chatId: number; messageId: number }
  | { type: "callback-answered"; chatId: number; callback: CallbackRecord }
  | { type: "chat-action"; chatId: number; action: string }
  | { type: "update-queued"; update: Update }
  | { type: "updates-confirmed"; pending: number }
  /** A getUpdates call found nothing queued and is now waiting (long poll). */
  | { type: "poll-waiting" }
  /** A getUpdates ended the one that was waiting with 409 "Conflict: terminated by other getUpdates request". */
  | { type: "poll-conflict" }
  /** The webhook was POSTed an update: answered 2xx (`ok`), or refused/unreachable (`error` in Telegram's words). */
  | { type: "webhook-attempt"; url: string; updateId: number; status: number; ok: boolean; error?: string };

/** A stored message as the transcript entry a test sees. */
export function toEntry(m: StoredMessage): TranscriptEntry {
  const msg = m.message;
  return {
    chatId: msg.chat.id,
    messageId: msg.message_id,
    date: msg.date,
    kind: m.audio !== undefined ? "audio" : m.document !== undefined ? "document" : "text",
    text: msg.text ?? msg.caption ?? "",
    entities: msg.entities ?? msg.caption_entities ?? [],
    sourceText: m.sourceText,
    ...(m.parseMode !== undefined ? { parseMode: m.parseMode } : {}),
    ...(msg.reply_markup !== undefined ? { replyMarkup: msg.reply_markup } : {}),
    editCount: m.editCount,
    previousTexts: [...m.previousTexts],
    deleted: m.deleted,
    ...(msg.media_group_id !== undefined ? { mediaGroupId: msg.media_group_id } : {}),
    ...(m.audio !== undefined ? { audio: m.audio } : {}),
    ...(m.document !== undefined ? { document: m.document } : {}),
    callbackQueries: m.callbacks.map((c) => ({ ...c })),
  };
}
