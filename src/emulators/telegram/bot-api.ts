/**
 * The entry to the emulated Bot API: {@link EmulatedBotApi} routes each call (from bot-api-http.ts) to
 * its method by name, case-insensitively as Telegram does, and gives telegram-emulator.ts the control side:
 * people acting, transcripts, stored files, commands and the webhook. The methods live by family in
 * `methods-*.ts` (bot info, updates, messages, callbacks, media), their shared state and steps in
 * bot-api-state.ts, parameter checks in bot-api-params.ts, limits and error texts in bot-api-limits.ts,
 * and the records tests see in transcript.ts.
 */
import { BotApiError } from "./bot-api-error.js";
import { commandsKeyOf } from "./bot-api-params.js";
import {
  BotApiState,
  nowSeconds,
  type EmulatedBotApiDeps,
  type Handler,
  type MethodTable,
} from "./bot-api-state.js";
import type { BotCommand, Chat, ChatType, Message, User } from "./bot-api-types.js";
import { botInfoMethods } from "./methods-bot-info.js";
import { callbackMethods } from "./methods-callbacks.js";
import { mediaMethods } from "./methods-media.js";
import { messageMethods } from "./methods-messages.js";
import { updateMethods } from "./methods-updates.js";
import { ParamReader } from "./param-reader.js";
import { group, personPresses, personSends, privateChat } from "./person-actions.js";
import type { RequestParams } from "./request-body.js";
import {
  toEntry,
  type CallbackRecord,
  type PersonInput,
  type StoredFile,
  type TranscriptEntry,
} from "./transcript.js";
import type { UpdateQueue } from "./update-queue.js";

export type { EmulatedBotApiDeps } from "./bot-api-state.js";
export { detectEntities } from "./person-actions.js";
/** The records tests see (transcript entries, events, people, files), also importable from here. */
export type * from "./transcript.js";

/**
 * The emulated Bot API: one instance holds a bot's chats, messages, files, updates and commands in
 * memory, routes calls to the method families and serves the control side. Every method validates like
 * Telegram does and throws {@link BotApiError} with Telegram's wording.
 */
export class EmulatedBotApi {
  readonly bot: User;
  readonly updates: UpdateQueue;
  private readonly state: BotApiState;
  private readonly handlers: Map<string, Handler>;

  constructor(deps: EmulatedBotApiDeps) {
    this.state = new BotApiState(deps);
    this.bot = this.state.bot;
    this.updates = this.state.updates;
    const h: MethodTable = {
      ...botInfoMethods(this.state),
      ...updateMethods(this.state),
      ...messageMethods(this.state),
      ...callbackMethods(this.state),
      ...mediaMethods(this.state),
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
    return privateChat(this.state, person);
  }

  /** Creates (or returns) a group chat. Ids of groups are negative. */
  group(input: { id: number; title?: string; type?: Exclude<ChatType, "private"> }): Chat {
    return group(this.state, input);
  }

  /** A person writes `text`; queues a `message` update with bot_command and url entities. */
  personSends(person: PersonInput, text: string, chatId?: number): Message {
    return personSends(this.state, person, text, chatId);
  }

  /**
   * A person presses an inline button of a bot message, chosen by its text or its callback_data.
   * Queues a `callback_query` update and returns its id.
   */
  personPresses(
    person: PersonInput,
    target: { chatId: number; messageId: number; text?: string; data?: string; forgedData?: string },
  ): string {
    return personPresses(this.state, person, target);
  }

  /** Bot messages in a chat, oldest first. */
  transcript(chatId: number): TranscriptEntry[] {
    const state = this.state.chats.get(chatId);
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
    return [...this.state.chats.keys()];
  }

  callbackQuery(id: string): CallbackRecord | undefined {
    return this.state.callbacks.get(id);
  }

  file(fileId: string): StoredFile | undefined {
    return this.state.files.get(fileId);
  }

  /** Commands set for a scope (default scope, no language when omitted). */
  myCommands(scope?: unknown, languageCode?: string): BotCommand[] {
    return this.state.commands.get(commandsKeyOf(scope, languageCode)) ?? [];
  }

  webhookInfo(): { url: string; secretToken?: string } | undefined {
    return this.state.webhook;
  }

  /** Notes a failed webhook delivery for getWebhookInfo (`last_error_date`, `last_error_message`). */
  recordWebhookError(message: string): void {
    this.state.webhookError = { date: nowSeconds(), message };
  }
}
