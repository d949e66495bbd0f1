/**
 * Parameter parsing and validation the method families share, on top of {@link ParamReader}: the
 * message text check, `entities`/`caption_entities`, `reply_markup` (inline keyboards), the
 * scope-and-language key under which bot commands are kept, and the comparison keys that tell whether
 * an edit changes anything.
 */
import { badRequest } from "./bot-api-error.js";
import { MAX_CALLBACK_DATA_BYTES, MAX_TEXT } from "./bot-api-limits.js";
import type { InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity } from "./bot-api-types.js";
import type { ParamReader } from "./param-reader.js";

/** A message text after parse_mode: not blank, not over {@link MAX_TEXT}. */
export function checkText(text: string): void {
  if (text.trim().length === 0) throw badRequest("message text is empty");
  if (text.length > MAX_TEXT) throw badRequest("message is too long");
}

/** The key commands are kept under: the scope (default scope when absent) and the language code. */
export function commandsKeyOf(scope: unknown, languageCode: string | undefined): string {
  return `${JSON.stringify(scope ?? { type: "default" })}|${languageCode ?? ""}`;
}

/** {@link commandsKeyOf} from a call's `scope` and `language_code`. */
export function commandsKey(p: ParamReader): string {
  return commandsKeyOf(p.json("scope"), p.string("language_code"));
}

/** Explicit entities (`entities`, `caption_entities`); ignored unless an array. */
export function entitiesParam(p: ParamReader, name: string): MessageEntity[] | undefined {
  const raw = p.json(name);
  return Array.isArray(raw) ? (raw as MessageEntity[]) : undefined;
}

/**
 * Validates `reply_markup`. Only inline keyboards come back in the Message; reply keyboards and
 * keyboard removals are accepted and otherwise ignored.
 */
export function inlineMarkup(p: ParamReader): InlineKeyboardMarkup | undefined {
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

/** An inline keyboard as a string that is equal for equal keyboards ("" for none). */
export function markupKeyOf(markup: InlineKeyboardMarkup | undefined): string {
  if (markup === undefined) return "";
  return JSON.stringify(
    markup.inline_keyboard.map((row) =>
      row.map((b) => Object.fromEntries(Object.entries(b).sort(([a], [c]) => a.localeCompare(c)))),
    ),
  );
}

/** Entities as a string that is equal for equal entities. */
export function entitiesKey(entities: MessageEntity[] | undefined): string {
  return JSON.stringify(
    (entities ?? []).map((e) => [e.type, e.offset, e.length, e.url ?? "", e.language ?? ""]),
  );
}
