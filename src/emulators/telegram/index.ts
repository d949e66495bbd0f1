/** The Telegram Bot API emulator: a local stand-in for api.telegram.org (tests, demo, benchmarks). */
export { startTelegramEmulator } from "./telegram-emulator.js";
export type { Person, PressTarget, TelegramEmulator, TelegramEmulatorOptions } from "./telegram-emulator.js";
export type {
  CallbackRecord,
  EmulatorEvent,
  PersonInput,
  StoredFile,
  TranscriptEntry,
  TranscriptFile,
} from "./transcript.js";
export type { EmulatorStats } from "./call-stats.js";
export type {
  FailNextOptions,
  FaultInjector,
  FloodWaitOptions,
  HangOptions,
  SlowDownOptions,
  Storm429Options,
} from "./fault-injector.js";
export { BotApiError } from "./bot-api-error.js";
export { parseMultipart, boundaryOf } from "./multipart-parser.js";
export type * from "./bot-api-types.js";
