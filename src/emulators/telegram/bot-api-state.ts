/**
 * The emulated Bot API's memory and the steps every method family shares: {@link BotApiState} holds
 * the chats with their messages, stored files, callback presses, commands, the webhook and the update
 * queue, and offers queueing an update, finding the chat a call names in `chat_id`, flood control and
 * storing a message. The method families (`methods-*.ts`) and the control side (`person-actions.ts`)
 * read and change this state; bot-api.ts routes calls to them.
 */
import { badRequest, tooManyRequests } from "./bot-api-error.js";
import { markupKeyOf } from "./bot-api-params.js";
import type { BotCommand, Chat, Message, Update, User } from "./bot-api-types.js";
import type { CallStats } from "./call-stats.js";
import type { FaultRules } from "./fault-injector.js";
import type { ParamReader } from "./param-reader.js";
import type { SendRateLimiter } from "./send-rate-limiter.js";
import type { CallbackRecord, EmulatorEvent, StoredFile, TranscriptFile } from "./transcript.js";
import { UpdateQueue } from "./update-queue.js";

/** A message as the emulator keeps it, with what the transcript shows about it. */
export interface StoredMessage {
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

/** One chat: its messages by id and the ids of the bot's own, oldest first. */
export interface ChatState {
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

/** One Bot API method: validates its parameters like Telegram and answers the call's `result`. */
export type Handler = (p: ParamReader, signal: AbortSignal) => unknown;

/** Methods of one family by their Bot API name. */
export type MethodTable = Record<string, Handler>;

/** Now as Unix seconds, like Telegram's `date`. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The Bot API's state: chats, messages, files, updates and commands, held in memory. */
export class BotApiState {
  readonly bot: User;
  readonly updates = new UpdateQueue();
  readonly chats = new Map<number, ChatState>();
  readonly usernames = new Map<string, number>();
  readonly files = new Map<string, StoredFile>();
  readonly callbacks = new Map<string, CallbackRecord>();
  readonly commands = new Map<string, BotCommand[]>();
  webhook: { url: string; secretToken?: string; maxConnections: number } | undefined;
  webhookError: { date: number; message: string } | undefined;
  fileCounter = 0;
  callbackCounter = 0;

  constructor(readonly deps: EmulatedBotApiDeps) {
    const id = Number(deps.token.split(":")[0]);
    this.bot = {
      id: Number.isSafeInteger(id) && id > 0 ? id : 1,
      is_bot: true,
      first_name: deps.botFirstName,
      username: deps.botUsername,
    };
  }

  /** Queues an update for the bot (unless its allowed_updates leaves the type out). */
  queue(body: Omit<Update, "update_id">): void {
    const update = this.updates.push(body);
    if (update !== undefined) this.deps.emit(() => ({ type: "update-queued", update }));
  }

  /** The chat with this id, made by `make` the first time. */
  ensureChat(id: number, make: () => Chat): ChatState {
    let state = this.chats.get(id);
    if (state === undefined) {
      const chat = make();
      state = { chat, nextMessageId: 1, messages: new Map(), botMessageIds: [] };
      this.chats.set(id, state);
      if (chat.username !== undefined) this.usernames.set(chat.username.toLowerCase(), id);
    }
    return state;
  }

  /** The chat a call names in `chat_id` (an id or `@username`); 400 when there is none. */
  chatFor(p: ParamReader): ChatState {
    const raw = p.string("chat_id");
    if (raw === undefined || raw === "") throw badRequest("chat_id is empty");
    const id = raw.startsWith("@") ? this.usernames.get(raw.slice(1).toLowerCase()) : Number(raw);
    const state = id !== undefined && Number.isInteger(id) ? this.chats.get(id) : undefined;
    if (state === undefined) throw badRequest("chat not found");
    return state;
  }

  /** Flood control for a rate-counted method: a storm or an empty bucket answers 429. */
  charge(method: string, state: ChatState): void {
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

  /** Keeps a new message of a person (`fromBot` false) or of the bot, unedited. */
  storeMessage(
    state: ChatState,
    message: Message,
    fromBot: boolean,
    sourceText: string,
    parseMode: string | undefined,
  ): StoredMessage {
    const stored: StoredMessage = {
      message,
      fromBot,
      sourceText,
      parseMode,
      markupKey: markupKeyOf(message.reply_markup),
      editCount: 0,
      previousTexts: [],
      deleted: false,
      callbacks: [],
    };
    state.messages.set(message.message_id, stored);
    if (fromBot) state.botMessageIds.push(message.message_id);
    return stored;
  }
}
