/** The Telegram front end: `createBot(deps)` and the types its caller needs. */
export { createBot, allowedUpdates, type TelegramBot } from "./create-bot.js";
export type { BotConfig, BotContext, BotDeps, BotTuning } from "./context.js";
export { botCommands } from "./bot-commands.js";
