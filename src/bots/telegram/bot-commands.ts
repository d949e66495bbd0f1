/**
 * The command menu: everyone's, and in each admin's private chat (scope `chat`) the same plus the
 * admin commands. Each is set only when it differs from what Telegram has (getMyCommands first), so a
 * restart costs no setMyCommands call.
 */
import type { Api } from "grammy";

type BotCommandList = readonly { command: string; description: string }[];

export const botCommands: BotCommandList = [
  { command: "download", description: "Collect a Spotify track, album or playlist" },
  { command: "status", description: "Your jobs, or one job by id" },
  { command: "cancel", description: "Stop a job" },
  { command: "settings", description: "Your format, quality and delivery" },
  { command: "fix", description: "Replace a wrong song: /fix <track> <YouTube link>" },
  { command: "whoami", description: "Your Telegram id" },
  { command: "help", description: "What this bot does and your limits" },
];

/** The menu in an admin's private chat. */
export const adminCommands: BotCommandList = [
  ...botCommands.map((c) =>
    c.command === "status" ? { ...c, description: "Your jobs, one job by id, or /status all" } : c,
  ),
  { command: "burn", description: "Plan, simulate and burn a finished collection to CD" },
];

type Scope = { type: "chat"; chat_id: number } | undefined;

async function syncScope(api: Api, commands: BotCommandList, scope: Scope): Promise<boolean> {
  const other = scope !== undefined ? { scope } : {};
  const current = await api.getMyCommands(other);
  const same =
    current.length === commands.length &&
    current.every((c, i) => c.command === commands[i]?.command && c.description === commands[i]?.description);
  if (same) return false;
  await api.setMyCommands([...commands], other);
  return true;
}

/**
 * Sets the menus that changed: everyone's, then each admin's (an admin who never opened a chat with the
 * bot is skipped; their menu is set at a later start). Returns how many setMyCommands calls it made.
 */
export async function syncCommands(api: Api, adminUserIds: readonly number[] = []): Promise<number> {
  let calls = (await syncScope(api, botCommands, undefined)) ? 1 : 0;
  for (const chatId of adminUserIds) {
    const set = await syncScope(api, adminCommands, { type: "chat", chat_id: chatId }).catch(() => false);
    if (set) calls += 1;
  }
  return calls;
}
