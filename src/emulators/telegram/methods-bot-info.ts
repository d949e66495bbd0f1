/**
 * The Bot API methods about the bot itself: getMe, close and logOut, and the command menu
 * (setMyCommands, getMyCommands, deleteMyCommands), kept per scope and language code.
 */
import { badRequest } from "./bot-api-error.js";
import { MAX_COMMAND_DESCRIPTION, MAX_COMMANDS } from "./bot-api-limits.js";
import { commandsKey } from "./bot-api-params.js";
import type { BotApiState, MethodTable } from "./bot-api-state.js";
import type { BotCommand } from "./bot-api-types.js";
import type { ParamReader } from "./param-reader.js";

/** getMe, close, logOut and the command methods. */
export function botInfoMethods(api: BotApiState): MethodTable {
  return {
    getMe: () => ({
      ...api.bot,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
    }),
    close: () => true,
    logOut: () => true,
    setMyCommands: (p) => setMyCommands(api, p),
    getMyCommands: (p) => api.commands.get(commandsKey(p)) ?? [],
    deleteMyCommands: (p) => api.commands.delete(commandsKey(p)) || true,
  };
}

function setMyCommands(api: BotApiState, p: ParamReader): true {
  const raw = p.json("commands");
  if (!Array.isArray(raw)) throw badRequest('parameter "commands" is required');
  if (raw.length > MAX_COMMANDS) throw badRequest("too many commands");
  const commands: BotCommand[] = raw.map((c: unknown) => {
    const o = (typeof c === "object" && c !== null ? c : {}) as Record<string, unknown>;
    const command = typeof o.command === "string" ? o.command : "";
    const description = typeof o.description === "string" ? o.description : "";
    if (!/^[a-z0-9_]{1,32}$/.test(command)) throw badRequest("BOT_COMMAND_INVALID");
    if (description.length < 1 || description.length > MAX_COMMAND_DESCRIPTION)
      throw badRequest("BOT_COMMAND_DESCRIPTION_INVALID");
    return { command, description };
  });
  api.commands.set(commandsKey(p), commands);
  return true;
}
