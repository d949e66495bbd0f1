import { randomBytes } from "node:crypto";
import { BotApiError, badRequest, tooManyRequests } from "./bot-api-error.js";
import type {
  Audio,
  BotCommand,
  CallbackQuery,
  Chat,
  ChatType,
  Document,
  InlineKeyboardButton,
  InlineKeyboardMarkup,
  Message,
  MessageEntity,
  PhotoSize,
  Update,
  User,
} from "./bot-api-types.js";
import type { CallStats } from "./call-stats.js";
import type { FaultRules } from "./fault-injector.js";
import type { MultipartFilePart } from "./multipart-parser.js";
import { ParamReader } from "./param-reader.js";
import type { RequestParams } from "./request-body.js";
import type { SendRateLimiter } from "./send-rate-limiter.js";
import { parseFormattedText } from "./text-formatting.js";
import { UpdateQueue } from "./update-queue.js";

const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;
const MAX_CALLBACK_DATA_BYTES = 64;
const MAX_POLL_TIMEOUT_S = 50;
/** Telegram ignores thumbnails over 200 kB instead of failing the call. */
const MAX_THUMBNAIL_BYTES = 200 * 1024;

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
  /** The webhook was POSTed an update: answered 2xx (`ok`), or refused/unreachable (`error` in Telegram's words). */
  | { type: "webhook-attempt"; url: string; updateId: number; status: number; ok: boolean; error?: string };

interface StoredMessage {
  message: Message;
  fromBot: boolean;
  sourceText: string;
  parseMode: string | undefined;
  markupKey: string;
  editCount: number;
  previousTexts: string[];
  deleted: boolean;
  audio?: TranscriptFile;
  document?: TranscriptFile;
  callbacks: CallbackRecord[];
}

interface ChatState {
  chat: Chat;
  nextMessageId: number;
  messages: Map<number, StoredMessage>;
  botMessageIds: number[];
}

/** What {@link EmulatedBotApi} needs from its host. */
export interface EmulatedBotApiDeps {
  readonly token: string;
  readonly botFirstName: string;
  readonly botUsername: string;
  readonly limiter: SendRateLimiter;
  readonly faults: FaultRules;
  readonly stats: CallStats;
  /** Lower-case names of the methods that count toward flood limits. */
  readonly countedMethods: ReadonlySet<string>;
  /** Called for every event; cheap when nobody listens. */
  readonly emit: (make: () => EmulatorEvent) => void;
  /** Called after setWebhook/deleteWebhook changed where updates go. */
  readonly webhookChanged?: () => void;
}

type Handler = (p: ParamReader, signal: AbortSignal) => unknown;

/**
 * The Bot API's state and methods: chats, messages, files, updates and commands, held in memory.
 * Every method validates like Telegram does and throws {@link BotApiError} with Telegram's wording.
 */
export class EmulatedBotApi {
  readonly bot: User;
  readonly updates = new UpdateQueue();
  private readonly chats = new Map<number, ChatState>();
  private readonly usernames = new Map<string, number>();
  private readonly files = new Map<string, StoredFile>();
  private readonly callbacks = new Map<string, CallbackRecord>();
  private readonly commands = new Map<string, BotCommand[]>();
  private webhook: { url: string; secretToken?: string; maxConnections: number } | undefined;
  private webhookError: { date: number; message: string } | undefined;
  private fileCounter = 0;
  private callbackCounter = 0;
  private readonly handlers: Map<string, Handler>;

  constructor(private readonly deps: EmulatedBotApiDeps) {
    const id = Number(deps.token.split(":")[0]);
    this.bot = {
      id: Number.isSafeInteger(id) && id > 0 ? id : 1,
      is_bot: true,
      first_name: deps.botFirstName,
      username: deps.botUsername,
    };
    const h: Record<string, Handler> = {
      getMe: () => ({
        ...this.bot,
        can_join_groups: true,
        can_read_all_group_messages: false,
        supports_inline_queries: false,
        can_connect_to_business: false,
        has_main_web_app: false,
      }),
      getUpdates: (p, signal) => this.getUpdates(p, signal),
      setWebhook: (p) => this.setWebhook(p),
      deleteWebhook: (p) => {
        this.webhook = undefined;
        if (p.bool("drop_pending_updates")) this.updates.dropPending();
        this.deps.webhookChanged?.();
        return true;
      },
      getWebhookInfo: () => ({
        url: this.webhook?.url ?? "",
        has_custom_certificate: false,
        pending_update_count: this.updates.pendingCount,
        ...(this.webhook !== undefined ? { max_connections: this.webhook.maxConnections } : {}),
        ...(this.webhook !== undefined && this.webhookError !== undefined
          ? { last_error_date: this.webhookError.date, last_error_message: this.webhookError.message }
          : {}),
        ...(this.updates.allowedUpdates !== undefined
          ? { allowed_updates: this.updates.allowedUpdates }
          : {}),
      }),
      close: () => true,
      logOut: () => true,
      setMyCommands: (p) => this.setMyCommands(p),
      getMyCommands: (p) => this.commands.get(commandsKey(p)) ?? [],
      deleteMyCommands: (p) => this.commands.delete(commandsKey(p)) || true,
      sendMessage: (p) => this.sendMessage(p),
      editMessageText: (p) => this.editMessageText(p),
      editMessageReplyMarkup: (p) => this.editMessageReplyMarkup(p),
      answerCallbackQuery: (p) => this.answerCallbackQuery(p),
      sendAudio: (p) => this.sendFile(p, "audio"),
      sendDocument: (p) => this.sendFile(p, "document"),
      sendChatAction: (p) => this.sendChatAction(p),
      deleteMessage: (p) => this.deleteMessage(p),
    };
    // Telegram matches method names case-insensitively.
    this.handlers = new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  }

  /** True when `method` (lower-case) is a method the emulator knows. */
  knows(method: string): boolean {
    return this.handlers.has(method);
  }

  /** Runs one call. Throws {@link BotApiError} for Telegram's error answers. */
  async call(method: string, params: RequestParams, signal: AbortSignal): Promise<unknown> {
    const handler = this.handlers.get(method);
    if (handler === undefined) throw new BotApiError(404, "Not Found");
    return await handler(new ParamReader(params), signal);
  }

  // ---- control side -------------------------------------------------------------------------------

  /** Opens (or returns) the private chat with a person; a bot can only write to people who wrote first. */
  privateChat(person: PersonInput): Chat {
    return this.ensureChat(person.id, () => ({
      id: person.id,
      type: "private",
      first_name: person.firstName,
      ...(person.lastName !== undefined ? { last_name: person.lastName } : {}),
      ...(person.username !== undefined ? { username: person.username } : {}),
    })).chat;
  }

  /** Creates (or returns) a group chat. Ids of groups are negative. */
  group(input: { id: number; title?: string; type?: Exclude<ChatType, "private"> }): Chat {
    if (input.id >= 0) throw new Error("group chat ids are negative");
    return this.ensureChat(input.id, () => ({
      id: input.id,
      type: input.type ?? (input.id <= -1_000_000_000_000 ? "supergroup" : "group"),
      title: input.title ?? `Group ${-input.id}`,
    })).chat;
  }

  /** A person writes `text`; queues a `message` update with bot_command and url entities. */
  personSends(person: PersonInput, text: string, chatId?: number): Message {
    if (text.length === 0) throw new Error("a person cannot send an empty message");
    const state =
      chatId === undefined || chatId === person.id
        ? this.chats.get(this.privateChat(person).id)
        : this.chats.get(this.group({ id: chatId }).id);
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
    state.messages.set(message.message_id, {
      message,
      fromBot: false,
      sourceText: text,
      parseMode: undefined,
      markupKey: "",
      editCount: 0,
      previousTexts: [],
      deleted: false,
      callbacks: [],
    });
    this.queue({ message });
    return message;
  }

  /**
   * A person presses an inline button of a bot message, chosen by its text or its callback_data.
   * Queues a `callback_query` update and returns its id.
   */
  personPresses(
    person: PersonInput,
    target: { chatId: number; messageId: number; text?: string; data?: string; forgedData?: string },
  ): string {
    const stored = this.chats.get(target.chatId)?.messages.get(target.messageId);
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
    const id = `${this.bot.id}${String(++this.callbackCounter).padStart(9, "0")}`;
    const record: CallbackRecord = {
      id,
      chatId: target.chatId,
      messageId: target.messageId,
      fromUserId: person.id,
      data: button.callback_data,
      answered: false,
    };
    this.callbacks.set(id, record);
    stored.callbacks.push(record);
    const query: CallbackQuery = {
      id,
      from: toUser(person),
      message: stored.message,
      chat_instance: String(Math.abs(target.chatId) * 7919 + this.bot.id),
      data: button.callback_data,
    };
    this.queue({ callback_query: query });
    return id;
  }

  /** Bot messages in a chat, oldest first. */
  transcript(chatId: number): TranscriptEntry[] {
    const state = this.chats.get(chatId);
    if (state === undefined) return [];
    const out: TranscriptEntry[] = [];
    for (const id of state.botMessageIds) {
      const m = state.messages.get(id);
      if (m !== undefined) out.push(toEntry(m));
    }
    return out;
  }

  /** Ids of every chat the emulator knows. */
  chatIds(): number[] {
    return [...this.chats.keys()];
  }

  callbackQuery(id: string): CallbackRecord | undefined {
    return this.callbacks.get(id);
  }

  file(fileId: string): StoredFile | undefined {
    return this.files.get(fileId);
  }

  /** Commands set for a scope (default scope, no language when omitted). */
  myCommands(scope?: unknown, languageCode?: string): BotCommand[] {
    return this.commands.get(`${JSON.stringify(scope ?? { type: "default" })}|${languageCode ?? ""}`) ?? [];
  }

  webhookInfo(): { url: string; secretToken?: string } | undefined {
    return this.webhook;
  }

  /** Notes a failed webhook delivery for getWebhookInfo (`last_error_date`, `last_error_message`). */
  recordWebhookError(message: string): void {
    this.webhookError = { date: nowSeconds(), message };
  }

  // ---- methods -------------------------------------------------------------------------------------

  private async getUpdates(p: ParamReader, signal: AbortSignal): Promise<Update[]> {
    if (this.webhook !== undefined) {
      throw new BotApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    const limit = Math.min(100, Math.max(1, p.int("limit") ?? 100));
    const timeoutSeconds = Math.min(MAX_POLL_TIMEOUT_S, Math.max(0, p.int("timeout") ?? 0));
    const allowed = p.json("allowed_updates");
    const before = this.updates.pendingCount;
    const pending = this.updates.poll({
      offset: p.int("offset"),
      limit,
      timeoutSeconds,
      allowedUpdates: Array.isArray(allowed) ? allowed.map(String) : undefined,
      signal,
    });
    const after = this.updates.pendingCount;
    if (after < before) this.deps.emit(() => ({ type: "updates-confirmed", pending: after }));
    if (after === 0 && timeoutSeconds > 0 && !signal.aborted)
      this.deps.emit(() => ({ type: "poll-waiting" }));
    return await pending;
  }

  private setWebhook(p: ParamReader): true {
    const url = p.string("url") ?? "";
    if (url === "") {
      this.webhook = undefined;
      this.deps.webhookChanged?.();
      return true;
    }
    if (!/^https?:\/\//.test(url)) throw badRequest("bad webhook: An HTTPS URL must be provided for webhook");
    const secret = p.string("secret_token");
    this.webhookError = undefined;
    this.webhook = {
      url,
      maxConnections: p.int("max_connections") ?? 40,
      ...(secret !== undefined ? { secretToken: secret } : {}),
    };
    const allowed = p.json("allowed_updates");
    if (Array.isArray(allowed)) this.updates.setAllowed(allowed.map(String));
    if (p.bool("drop_pending_updates")) this.updates.dropPending();
    this.deps.webhookChanged?.();
    return true;
  }

  private setMyCommands(p: ParamReader): true {
    const raw = p.json("commands");
    if (!Array.isArray(raw)) throw badRequest('parameter "commands" is required');
    if (raw.length > 100) throw badRequest("too many commands");
    const commands: BotCommand[] = raw.map((c: unknown) => {
      const o = (typeof c === "object" && c !== null ? c : {}) as Record<string, unknown>;
      const command = typeof o.command === "string" ? o.command : "";
      const description = typeof o.description === "string" ? o.description : "";
      if (!/^[a-z0-9_]{1,32}$/.test(command)) throw badRequest("BOT_COMMAND_INVALID");
      if (description.length < 1 || description.length > 256)
        throw badRequest("BOT_COMMAND_DESCRIPTION_INVALID");
      return { command, description };
    });
    this.commands.set(commandsKey(p), commands);
    return true;
  }

  private sendMessage(p: ParamReader): Message {
    const state = this.chatFor(p);
    const source = p.string("text") ?? "";
    const parseMode = p.string("parse_mode");
    const formatted = parseFormattedText(source, parseMode, entitiesParam(p, "entities"));
    checkText(formatted.text);
    const markup = inlineMarkup(p);
    this.charge("sendmessage", state);
    const message: Message = {
      message_id: state.nextMessageId++,
      from: this.bot,
      chat: state.chat,
      date: nowSeconds(),
      text: formatted.text,
      ...(formatted.entities.length > 0 ? { entities: formatted.entities } : {}),
      ...(markup !== undefined ? { reply_markup: markup } : {}),
    };
    const stored = this.storeBotMessage(state, message, source, parseMode);
    this.deps.emit(() => ({ type: "message-sent", chatId: state.chat.id, entry: toEntry(stored) }));
    return message;
  }

  private editMessageText(p: ParamReader): Message {
    const { state, stored } = this.editTarget(p);
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
    this.charge("editmessagetext", state);
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
    this.deps.emit(() => ({ type: "message-edited", chatId: state.chat.id, entry: toEntry(stored) }));
    return stored.message;
  }

  private editMessageReplyMarkup(p: ParamReader): Message {
    const { state, stored } = this.editTarget(p);
    const markup = inlineMarkup(p);
    const markupKey = markupKeyOf(markup);
    if (stored.markupKey === markupKey) throw notModified();
    this.charge("editmessagereplymarkup", state);
    const { reply_markup: _r, ...rest } = stored.message;
    stored.message = {
      ...rest,
      edit_date: nowSeconds(),
      ...(markup !== undefined ? { reply_markup: markup } : {}),
    };
    stored.markupKey = markupKey;
    stored.editCount += 1;
    this.deps.emit(() => ({ type: "message-edited", chatId: state.chat.id, entry: toEntry(stored) }));
    return stored.message;
  }

  private answerCallbackQuery(p: ParamReader): true {
    const id = p.string("callback_query_id") ?? "";
    const record = this.callbacks.get(id);
    if (record === undefined || record.answered) {
      throw badRequest("query is too old and response timeout expired or query ID is invalid");
    }
    const text = p.string("text");
    if (text !== undefined && text.length > 200) throw badRequest("MESSAGE_TOO_LONG");
    const url = p.string("url");
    record.answered = true;
    record.answer = {
      showAlert: p.bool("show_alert"),
      ...(text !== undefined ? { text } : {}),
      ...(url !== undefined ? { url } : {}),
    };
    this.deps.emit(() => ({ type: "callback-answered", chatId: record.chatId, callback: record }));
    return true;
  }

  private sendChatAction(p: ParamReader): true {
    const state = this.chatFor(p);
    const action = p.string("action") ?? "";
    const known = [
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
    if (!known.includes(action)) throw badRequest("wrong parameter action in request");
    this.deps.emit(() => ({ type: "chat-action", chatId: state.chat.id, action }));
    return true;
  }

  private deleteMessage(p: ParamReader): true {
    const state = this.chatFor(p);
    const stored = state.messages.get(p.int("message_id") ?? 0);
    if (stored === undefined || stored.deleted) throw badRequest("message to delete not found");
    if (!stored.fromBot && state.chat.type === "private")
      throw badRequest("message can't be deleted for everyone");
    stored.deleted = true;
    this.deps.emit(() => ({
      type: "message-deleted",
      chatId: state.chat.id,
      messageId: stored.message.message_id,
    }));
    return true;
  }

  private sendFile(p: ParamReader, kind: "audio" | "document"): Message {
    const state = this.chatFor(p);
    const caption = p.string("caption") ?? "";
    const parseMode = p.string("parse_mode");
    const formatted = parseFormattedText(caption, parseMode, entitiesParam(p, "caption_entities"));
    if (formatted.text.length > MAX_CAPTION) throw badRequest("message caption is too long");
    const markup = inlineMarkup(p);
    const part = p.upload(kind);
    let known: StoredFile | undefined;
    if (part !== undefined) {
      if (part.size === 0) throw badRequest("file must be non-empty");
    } else {
      const ref = p.string(kind) ?? "";
      if (ref === "") throw badRequest(`there is no ${kind} in the request`);
      known = this.files.get(ref);
      if (known === undefined) throw badRequest("wrong file identifier/HTTP URL specified");
    }
    this.charge(kind === "audio" ? "sendaudio" : "senddocument", state);
    const uploaded = part !== undefined;
    const file = part !== undefined ? this.storeUpload(part, kind) : (known as StoredFile);
    const thumbPart = p.upload("thumbnail");
    let thumbnail: PhotoSize | undefined;
    if (thumbPart !== undefined && thumbPart.size > 0 && thumbPart.size <= MAX_THUMBNAIL_BYTES) {
      const t = this.storeUpload(thumbPart, "photo");
      // Dimensions are not decoded; Telegram scales thumbnails to at most 320 px.
      thumbnail = {
        file_id: t.fileId,
        file_unique_id: t.fileUniqueId,
        width: 320,
        height: 320,
        file_size: t.size,
      };
    }
    this.countUpload(p);
    const base = {
      file_id: file.fileId,
      file_unique_id: file.fileUniqueId,
      file_size: file.size,
      ...(file.fileName !== undefined ? { file_name: file.fileName } : {}),
      ...(file.mimeType !== undefined ? { mime_type: file.mimeType } : {}),
      ...(thumbnail !== undefined ? { thumbnail } : {}),
    };
    const message: Message = {
      message_id: state.nextMessageId++,
      from: this.bot,
      chat: state.chat,
      date: nowSeconds(),
      ...(formatted.text.length > 0 ? { caption: formatted.text } : {}),
      ...(formatted.entities.length > 0 ? { caption_entities: formatted.entities } : {}),
      ...(markup !== undefined ? { reply_markup: markup } : {}),
    };
    const info: TranscriptFile = {
      fileId: file.fileId,
      fileUniqueId: file.fileUniqueId,
      fileSize: file.size,
      hasThumbnail: thumbnail !== undefined,
      uploaded,
      ...(file.fileName !== undefined ? { fileName: file.fileName } : {}),
      ...(file.mimeType !== undefined ? { mimeType: file.mimeType } : {}),
    };
    const stored = this.storeBotMessage(state, message, caption, parseMode);
    if (kind === "audio") {
      const performer = p.string("performer");
      const title = p.string("title");
      const duration = p.int("duration") ?? 0;
      const audio: Audio = {
        ...base,
        duration,
        ...(performer !== undefined ? { performer } : {}),
        ...(title !== undefined ? { title } : {}),
      };
      message.audio = audio;
      stored.audio = {
        ...info,
        duration,
        ...(performer !== undefined ? { performer } : {}),
        ...(title !== undefined ? { title } : {}),
      };
    } else {
      const document: Document = base;
      message.document = document;
      stored.document = info;
    }
    this.deps.emit(() => ({ type: "message-sent", chatId: state.chat.id, entry: toEntry(stored) }));
    return message;
  }

  // ---- helpers ------------------------------------------------------------------------------------

  private queue(body: Omit<Update, "update_id">): void {
    const update = this.updates.push(body);
    if (update !== undefined) this.deps.emit(() => ({ type: "update-queued", update }));
  }

  private ensureChat(id: number, make: () => Chat): ChatState {
    let state = this.chats.get(id);
    if (state === undefined) {
      const chat = make();
      state = { chat, nextMessageId: 1, messages: new Map(), botMessageIds: [] };
      this.chats.set(id, state);
      if (chat.username !== undefined) this.usernames.set(chat.username.toLowerCase(), id);
    }
    return state;
  }

  private chatFor(p: ParamReader): ChatState {
    const raw = p.string("chat_id");
    if (raw === undefined || raw === "") throw badRequest("chat_id is empty");
    const id = raw.startsWith("@") ? this.usernames.get(raw.slice(1).toLowerCase()) : Number(raw);
    const state = id !== undefined && Number.isInteger(id) ? this.chats.get(id) : undefined;
    if (state === undefined) throw badRequest("chat not found");
    return state;
  }

  private editTarget(p: ParamReader): { state: ChatState; stored: StoredMessage } {
    if (p.has("inline_message_id")) throw badRequest("MESSAGE_ID_INVALID");
    const state = this.chatFor(p);
    const stored = state.messages.get(p.int("message_id") ?? 0);
    if (stored === undefined || stored.deleted) throw badRequest("message to edit not found");
    if (!stored.fromBot) throw badRequest("message can't be edited");
    return { state, stored };
  }

  /** Flood control for a rate-counted method: a storm or an empty bucket answers 429. */
  private charge(method: string, state: ChatState): void {
    if (!this.deps.countedMethods.has(method)) return;
    const nowMs = Date.now();
    let retryAfter = this.deps.faults.stormRetryAfterSeconds(nowMs);
    if (retryAfter === 0) retryAfter = this.deps.faults.floodRetryAfterSeconds(method, state.chat.id, nowMs);
    if (retryAfter === 0)
      retryAfter = this.deps.limiter.acquire(state.chat.id, state.chat.type !== "private", performance.now());
    if (retryAfter > 0) {
      this.deps.stats.tooManyRequests += 1;
      throw tooManyRequests(retryAfter);
    }
    this.deps.faults.noteSent(method, state.chat.id);
    this.deps.stats.sent(state.chat.id, nowMs);
  }

  private countUpload(p: ParamReader): void {
    for (const part of p.files.values()) {
      this.deps.stats.uploadCount += 1;
      this.deps.stats.uploadBytes += part.size;
    }
  }

  private storeUpload(part: MultipartFilePart, kind: "audio" | "document" | "photo"): StoredFile {
    const n = ++this.fileCounter;
    const prefix =
      kind === "audio" ? "CQACAgIAAxkDAAI" : kind === "document" ? "BQACAgIAAxkDAAI" : "AAMCAgADGQMAAg";
    const tail = Buffer.concat([Buffer.from(n.toString(16).padStart(8, "0"), "hex"), randomBytes(18)]);
    const file: StoredFile = {
      fileId: `${prefix}${tail.toString("base64url")}`,
      fileUniqueId: `AgAD${Buffer.from(n.toString(16).padStart(8, "0"), "hex").toString("base64url")}`,
      size: part.size,
      fileName: part.filename,
      mimeType: mimeTypeOf(part.filename, kind),
      ...(part.data !== undefined ? { data: part.data } : {}),
    };
    this.files.set(file.fileId, file);
    return file;
  }

  private storeBotMessage(
    state: ChatState,
    message: Message,
    sourceText: string,
    parseMode: string | undefined,
  ): StoredMessage {
    const stored: StoredMessage = {
      message,
      fromBot: true,
      sourceText,
      parseMode,
      markupKey: markupKeyOf(message.reply_markup),
      editCount: 0,
      previousTexts: [],
      deleted: false,
      callbacks: [],
    };
    state.messages.set(message.message_id, stored);
    state.botMessageIds.push(message.message_id);
    return stored;
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
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

function toEntry(m: StoredMessage): TranscriptEntry {
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
    ...(m.audio !== undefined ? { audio: m.audio } : {}),
    ...(m.document !== undefined ? { document: m.document } : {}),
    callbackQueries: m.callbacks.map((c) => ({ ...c })),
  };
}

function checkText(text: string): void {
  if (text.trim().length === 0) throw badRequest("message text is empty");
  if (text.length > MAX_TEXT) throw badRequest("message is too long");
}

function notModified(): BotApiError {
  return badRequest(
    "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
  );
}

function commandsKey(p: ParamReader): string {
  return `${JSON.stringify(p.json("scope") ?? { type: "default" })}|${p.string("language_code") ?? ""}`;
}

function entitiesParam(p: ParamReader, name: string): MessageEntity[] | undefined {
  const raw = p.json(name);
  return Array.isArray(raw) ? (raw as MessageEntity[]) : undefined;
}

/**
 * Validates `reply_markup`. Only inline keyboards come back in the Message; reply keyboards and
 * keyboard removals are accepted and otherwise ignored.
 */
function inlineMarkup(p: ParamReader): InlineKeyboardMarkup | undefined {
  const raw = p.json("reply_markup");
  if (raw === undefined) return undefined;
  if (typeof raw !== "object" || raw === null)
    throw badRequest("can't parse reply keyboard markup JSON object");
  const rows = (raw as { inline_keyboard?: unknown }).inline_keyboard;
  if (rows === undefined) return undefined;
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) {
    throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays');
  }
  const keyboard: InlineKeyboardButton[][] = (rows as unknown[][]).map((row) =>
    row.map((b) => {
      const button = (typeof b === "object" && b !== null ? b : {}) as Record<string, unknown>;
      if (typeof button.text !== "string" || button.text === "") throw badRequest("BUTTON_TEXT_INVALID");
      const data = button.callback_data;
      if (data !== undefined) {
        const bytes = typeof data === "string" ? Buffer.byteLength(data) : 0;
        if (bytes < 1 || bytes > MAX_CALLBACK_DATA_BYTES) throw badRequest("BUTTON_DATA_INVALID");
      }
      const actions = Object.keys(button).filter((k) => k !== "text");
      if (actions.length !== 1) {
        throw badRequest(
          "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        );
      }
      return button as InlineKeyboardButton;
    }),
  );
  if (keyboard.every((row) => row.length === 0)) return undefined;
  return { inline_keyboard: keyboard };
}

function markupKeyOf(markup: InlineKeyboardMarkup | undefined): string {
  if (markup === undefined) return "";
  return JSON.stringify(
    markup.inline_keyboard.map((row) =>
      row.map((b) => Object.fromEntries(Object.entries(b).sort(([a], [c]) => a.localeCompare(c)))),
    ),
  );
}

function entitiesKey(entities: MessageEntity[] | undefined): string {
  return JSON.stringify(
    (entities ?? []).map((e) => [e.type, e.offset, e.length, e.url ?? "", e.language ?? ""]),
  );
}

function mimeTypeOf(filename: string, kind: "audio" | "document" | "photo"): string {
  const ext = filename.slice(filename.lastIndexOf(".") + 1).toLowerCase();
  const known: Record<string, string> = {
    mp3: "audio/mpeg",
    m4a: "audio/mp4",
    flac: "audio/flac",
    ogg: "audio/ogg",
    opus: "audio/ogg",
    wav: "audio/x-wav",
    jpg: "image/jpeg",
    jpeg: "image/jpeg",
    png: "image/png",
    zip: "application/zip",
    pdf: "application/pdf",
    txt: "text/plain",
    json: "application/json",
  };
  return known[ext] ?? (kind === "audio" ? "audio/mpeg" : "application/octet-stream");
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
