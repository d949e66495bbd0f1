/**
 * The command menu. It is set only when it differs from what Telegram has (getMyCommands first), so a
 * restart costs no setMyCommands call.
 */
import type { Api } from "grammy";

export const botCommands: readonly { command: string; description: string }[] = [
  { command: "download", description: "Collect a Spotify track, album or playlist" },
  { command: "status", description: "Your jobs, or one job by id" },
  { command: "cancel", description: "Stop a job" },
  { command: "whoami", description: "Your Telegram id" },
  { command: "help", description: "What this bot does and your limits" },
];

/** Sets the menu when it changed; returns true when it called setMyCommands. */
export async function syncCommands(api: Api): Promise<boolean> {
  const current = await api.getMyCommands();
  const same =
    current.length === botCommands.length &&
    current.every(
      (c, i) => c.command === botCommands[i]?.command && c.description === botCommands[i]?.description,
    );
  if (same) return false;
  await api.setMyCommands([...botCommands]);
  return true;
}
