/**
 * {@link startTelegramEmulator}: starts the emulated Bot API as an HTTP server and hands back the
 * control side ({@link TelegramEmulator}) a test, the demo or a benchmark drives it with: people
 * acting, transcripts, waiting for events, stats and faults. Also its options and public interfaces.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { serveBotApi, type BotApiHttpDeps } from "./bot-api-http.js";
import type { Chat, Message } from "./bot-api-types.js";
import {
  EmulatedBotApi,
  type CallbackRecord,
  type EmulatorEvent,
  type PersonInput,
  type StoredFile,
  type TranscriptEntry,
} from "./bot-api.js";
import { CallStats, type EmulatorStats } from "./call-stats.js";
import { handleControlRequest } from "./control-routes.js";
import { FaultRules, type FaultInjector } from "./fault-injector.js";
import { drain, sendJson } from "./http-answers.js";
import { SendRateLimiter } from "./send-rate-limiter.js";
import { WebhookSender } from "./webhook-sender.js";

/** Options of {@link startTelegramEmulator}. */
export interface TelegramEmulatorOptions {
  /** The bot token the emulator accepts; any other answers 401. The bot id is the part before `:`. */
  readonly token: string;
  /** Port on 127.0.0.1. @defaultValue 0 (a free port) */
  readonly port?: number;
  /** Host to listen on. @defaultValue "127.0.0.1" */
  readonly host?: string;
  /**
   * Sustained sends per second into one chat. Telegram documents "about 1 per second" and tolerates
   * short bursts, modelled by {@link perChatBurst}. 0 or Infinity switches the limit off. @defaultValue 1
   */
  readonly perChatPerSecond?: number;
  /** Sends one chat can take at once before the per-second rate applies. @defaultValue 3 */
  readonly perChatBurst?: number;
  /** Sustained sends per minute into one group chat (Telegram: about 20). @defaultValue 20 */
  readonly perGroupPerMinute?: number;
  /** Sustained sends per second for the whole bot (Telegram: about 30). @defaultValue 30 */
  readonly globalPerSecond?: number;
  /** Burst for the whole bot. @defaultValue globalPerSecond */
  readonly globalBurst?: number;
  /**
   * Methods counted toward the limits above (case-insensitive). Telegram counts sends and edits, not
   * answerCallbackQuery or sendChatAction.
   * @defaultValue ["sendMessage", "sendAudio", "sendDocument", "sendMediaGroup", "editMessageText", "editMessageReplyMarkup", "editMessageMedia"]
   */
  readonly countedMethods?: readonly string[];
  /**
   * Largest accepted upload request, in bytes: the whole multipart body (file, thumbnail and fields), as
   * the cloud Bot API counts its 50 MB; a `--local` server allows 2000 MB. Above it: 413 "Request Entity
   * Too Large". @defaultValue 50 * 1024 * 1024
   */
  readonly uploadLimitBytes?: number;
  /** Keep uploaded bytes in memory so tests can read them with `file(fileId)`. @defaultValue false */
  readonly keepUploads?: boolean;
  /** getMe's first_name. @defaultValue "CD Collector" */
  readonly botFirstName?: string;
  /** getMe's username. @defaultValue "cd_collector_bot" */
  readonly botUsername?: string;
  /** Serve the control API over HTTP under `/control/` (for the demo and other processes). @defaultValue true */
  readonly httpControl?: boolean;
  /**
   * Once setWebhook was called, POST pending updates to the webhook URL (with the secret token header)
   * as Telegram does. @defaultValue true
   */
  readonly deliverWebhooks?: boolean;
  /** Pause before a failed webhook delivery is tried again (ms). @defaultValue 1000 */
  readonly webhookRetryMs?: number;
}

/** Which button a person presses (see {@link Person.pressButton}). */
export interface PressTarget {
  chatId?: number;
  messageId: number;
  text?: string;
  data?: string;
  forgedData?: string;
}

/** A person the control side can act as. */
export interface Person {
  readonly user: PersonInput;
  /** Sends text (to the private chat, or to a group by id). Returns the message in the update. */
  sendText(text: string, options?: { chatId?: number }): Message;
  /**
   * Presses an inline button of a bot message, by button text or callback_data. Returns the query id.
   * `forgedData` acts as a modified client: it is sent as the callback data whatever the buttons are.
   */
  pressButton(target: PressTarget): string;
}

/** The running emulator and its control side. */
export interface TelegramEmulator extends FaultInjector {
  /** What to pass as grammY's `client.apiRoot`, e.g. `http://127.0.0.1:41234`. */
  readonly apiRoot: string;
  readonly port: number;
  /** The bot's own user (id from the token). */
  readonly botUser: { id: number; first_name: string; username?: string };
  /** Stops the server, ends held requests. Safe to call twice. */
  close(): Promise<void>;

  /** A handle that acts as a person. */
  person(input: PersonInput): Person;
  /** A person sends text; see {@link Person.sendText}. */
  sendText(from: PersonInput, text: string, options?: { chatId?: number }): Message;
  /** A person presses a button; see {@link Person.pressButton}. */
  pressButton(from: PersonInput, target: PressTarget): string;
  /** Opens a private chat without a message (as if the person had pressed Start long ago). */
  openPrivateChat(person: PersonInput): Chat;
  /** Creates a group (negative id). */
  createGroup(input: { id: number; title?: string; type?: "group" | "supergroup" }): Chat;

  /** The bot's messages in a chat, oldest first, deleted ones flagged. */
  transcript(chatId: number): TranscriptEntry[];
  /** Every chat id the emulator knows. */
  chatIds(): number[];
  /** A callback query by id, with its answer once the bot answered. */
  callbackQuery(id: string): CallbackRecord | undefined;
  /** A stored file by file_id (bytes only with `keepUploads`). */
  file(fileId: string): StoredFile | undefined;
  /** Commands set with setMyCommands for the default scope (or the given one). */
  myCommands(scope?: unknown, languageCode?: string): { command: string; description: string }[];
  /** Updates queued and not yet confirmed by the bot. */
  pendingUpdates(): number;
  /** The webhook as the last setWebhook left it (with the secret Telegram sends), or undefined. */
  webhook(): { url: string; secretToken?: string } | undefined;

  /** Calls `listener` with every future event (the demo prints the chat from these); returns an unsubscribe. */
  onEvent(listener: (event: EmulatorEvent) => void): () => void;
  /** Resolves with the first future event the predicate accepts; rejects after `timeoutMs`. */
  waitFor<E extends EmulatorEvent>(
    predicate: (event: EmulatorEvent) => event is E,
    timeoutMs?: number,
  ): Promise<E>;
  waitFor(predicate: (event: EmulatorEvent) => boolean, timeoutMs?: number): Promise<EmulatorEvent>;
  /**
   * Resolves with a bot message in `chatId` whose current text matches (checks existing messages first,
   * then sends and edits as they happen).
   */
  waitForMessage(chatId: number, text?: RegExp | string, timeoutMs?: number): Promise<TranscriptEntry>;
  /** Resolves once the bot answered the callback query. */
  waitForCallbackAnswer(callbackQueryId: string, timeoutMs?: number): Promise<CallbackRecord>;
  /** Resolves once every queued update was confirmed by a later getUpdates offset. */
  waitForUpdatesConsumed(timeoutMs?: number): Promise<void>;

  /** Counters since start (or the last reset). */
  stats(): EmulatorStats;
  /** Times (ms since epoch) of every rate-counted call that went through for a chat. */
  sendTimestamps(chatId: number): number[];
  resetStats(): void;
}

const DEFAULT_COUNTED = [
  "sendMessage",
  "sendAudio",
  "sendDocument",
  "sendMediaGroup",
  "editMessageText",
  "editMessageReplyMarkup",
  "editMessageMedia",
];
const DEFAULT_WAIT_MS = 10_000;
const BOT_PATH = /^\/bot([^/]+)\/(?:test\/)?([A-Za-z]+)$/;

interface Waiter {
  predicate: (event: EmulatorEvent) => boolean;
  resolve: (event: EmulatorEvent) => void;
}

/**
 * Starts an emulated Telegram Bot API on 127.0.0.1. Point grammY at it with
 * `new Bot(token, { client: { apiRoot: emulator.apiRoot } })`.
 */
export async function startTelegramEmulator(options: TelegramEmulatorOptions): Promise<TelegramEmulator> {
  const perChatPerSecond = options.perChatPerSecond ?? 1;
  const globalPerSecond = options.globalPerSecond ?? 30;
  const limiter = new SendRateLimiter({
    perChatPerSecond,
    perChatBurst: options.perChatBurst ?? 3,
    perGroupPerMinute: options.perGroupPerMinute ?? 20,
    globalPerSecond,
    globalBurst: options.globalBurst ?? globalPerSecond,
  });
  const faults = new FaultRules();
  const stats = new CallStats();
  const waiters = new Set<Waiter>();
  const listeners = new Set<(event: EmulatorEvent) => void>();
  const emit = (make: () => EmulatorEvent): void => {
    if (waiters.size === 0 && listeners.size === 0) return;
    const event = make();
    for (const listener of listeners) listener(event);
    for (const w of waiters) {
      if (w.predicate(event)) {
        waiters.delete(w);
        w.resolve(event);
      }
    }
  };
  let webhookSender: WebhookSender | undefined;
  const api = new EmulatedBotApi({
    token: options.token,
    botFirstName: options.botFirstName ?? "CD Collector",
    botUsername: options.botUsername ?? "cd_collector_bot",
    limiter,
    faults,
    stats,
    countedMethods: new Set((options.countedMethods ?? DEFAULT_COUNTED).map((m) => m.toLowerCase())),
    emit,
    webhookChanged: () => webhookSender?.kick(),
  });
  if (options.deliverWebhooks !== false) {
    const sender = new WebhookSender({
      target: () => api.webhookInfo(),
      queue: api.updates,
      retryMs: options.webhookRetryMs ?? 1000,
      timeoutMs: 30_000,
      onAttempt: (attempt) => {
        if (!attempt.ok) api.recordWebhookError(attempt.error ?? "Wrong response from the webhook");
        emit(() => ({
          type: "webhook-attempt",
          url: attempt.url,
          updateId: attempt.update.update_id,
          status: attempt.status,
          ok: attempt.ok,
          ...(attempt.error !== undefined ? { error: attempt.error } : {}),
        }));
        if (attempt.ok) emit(() => ({ type: "updates-confirmed", pending: api.updates.pendingCount }));
      },
    });
    webhookSender = sender;
    api.updates.onPush = () => sender.kick();
  }
  const bodyLimits = {
    uploadLimitBytes: options.uploadLimitBytes ?? 50 * 1024 * 1024,
    keepFileBytes: options.keepUploads ?? false,
  };
  const held = new Set<() => void>();
  const botApi: BotApiHttpDeps = { token: options.token, api, faults, stats, bodyLimits, held };
  let closed = false;

  const waitFor = (
    predicate: (event: EmulatorEvent) => boolean,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<EmulatorEvent> =>
    new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`telegram emulator: no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(waiter);
    });

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://emulator");
    const bot = BOT_PATH.exec(url.pathname);
    let work: Promise<void>;
    if (bot !== null) {
      work = serveBotApi(botApi, req, res, bot[1] ?? "", bot[2] ?? "", url.searchParams);
    } else if (url.pathname.startsWith("/control/") && options.httpControl !== false) {
      work = handleControlRequest(emulator, req, res, url);
    } else {
      work = drain(req).then(() =>
        sendJson(res, 404, { ok: false, error_code: 404, description: "Not Found" }),
      );
    }
    work.catch((error: unknown) => {
      stats.internalErrors += 1;
      stats.lastInternalError = error instanceof Error ? error.message : String(error);
      if (!res.headersSent)
        sendJson(res, 500, { ok: false, error_code: 500, description: "Internal Server Error" });
    });
  });
  // Longer than grammY's keep-alive reuse window, so a pooled socket is not closed under a request.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;

  const emulator: TelegramEmulator = {
    apiRoot: `http://${host}:${address.port}`,
    port: address.port,
    botUser: api.bot,
    close() {
      closing ??= (async () => {
        closed = true;
        webhookSender?.close();
        api.updates.close();
        for (const release of [...held]) release();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
    person(input) {
      return {
        user: input,
        sendText: (text, opts) => emulator.sendText(input, text, opts),
        pressButton: (target) => emulator.pressButton(input, target),
      };
    },
    sendText(from, text, opts) {
      if (closed) throw new Error("telegram emulator is closed");
      return api.personSends(from, text, opts?.chatId);
    },
    pressButton(from, target) {
      return api.personPresses(from, { ...target, chatId: target.chatId ?? from.id });
    },
    openPrivateChat: (person) => api.privateChat(person),
    createGroup: (input) => api.group(input),
    transcript: (chatId) => api.transcript(chatId),
    chatIds: () => api.chatIds(),
    callbackQuery: (id) => api.callbackQuery(id),
    file: (fileId) => api.file(fileId),
    myCommands: (scope, languageCode) => api.myCommands(scope, languageCode),
    pendingUpdates: () => api.updates.pendingCount,
    webhook: () => api.webhookInfo(),
    waitFor: waitFor,
    onEvent(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async waitForMessage(chatId, text, timeoutMs) {
      const matches = (entry: TranscriptEntry): boolean =>
        !entry.deleted &&
        (text === undefined ||
          (typeof text === "string" ? entry.text.includes(text) : text.test(entry.text)));
      const existing = api.transcript(chatId).find(matches);
      if (existing !== undefined) return existing;
      const event = await waitFor(
        (e) =>
          (e.type === "message-sent" || e.type === "message-edited") &&
          e.chatId === chatId &&
          matches(e.entry),
        timeoutMs,
      );
      if (event.type !== "message-sent" && event.type !== "message-edited") throw new Error("unreachable");
      return event.entry;
    },
    async waitForCallbackAnswer(id, timeoutMs) {
      const existing = api.callbackQuery(id);
      if (existing?.answered === true) return existing;
      const event = await waitFor((e) => e.type === "callback-answered" && e.callback.id === id, timeoutMs);
      if (event.type !== "callback-answered") throw new Error("unreachable");
      return event.callback;
    },
    async waitForUpdatesConsumed(timeoutMs) {
      if (api.updates.pendingCount === 0) return;
      await waitFor((e) => e.type === "updates-confirmed" && e.pending === 0, timeoutMs);
    },
    stats: () => stats.snapshot(),
    sendTimestamps: (chatId) => stats.sendTimestamps(chatId),
    resetStats: () => stats.reset(),
    failNext: (o) => faults.failNext(o),
    slowDown: (o) => faults.slowDown(o),
    hang: (o) => faults.hang(o),
    storm429: (o) => faults.storm429(o),
    floodWait: (o) => faults.floodWait(o),
    clearFaults: () => faults.clearFaults(),
  };
  return emulator;
}
