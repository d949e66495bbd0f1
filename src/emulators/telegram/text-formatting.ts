/**
 * parse_mode as Telegram applies it: HTML, MarkdownV2 and legacy Markdown turned into plain text plus
 * entities, with Telegram's "can't parse entities" errors for malformed markup.
 */
import { badRequest } from "./bot-api-error.js";
import type { MessageEntity } from "./bot-api-types.js";

/** Plain text plus entities, what Telegram stores after applying `parse_mode`. */
export interface FormattedText {
  readonly text: string;
  readonly entities: MessageEntity[];
}

/**
 * Applies a `parse_mode` the way Telegram does before it checks lengths and compares edits: the 4096
 * limit and "message is not modified" apply to the text after markup is removed. Malformed markup
 * answers Telegram's "can't parse entities" error, which real bots do hit (an unescaped `.` in
 * MarkdownV2, an unknown HTML tag).
 */
export function parseFormattedText(
  source: string,
  parseMode: string | undefined,
  explicitEntities?: MessageEntity[],
): FormattedText {
  switch (parseMode) {
    case undefined:
    case "":
      return { text: source, entities: explicitEntities ?? [] };
    case "HTML":
      return parseHtml(source);
    case "MarkdownV2":
      return parseMarkdown(source, true);
    case "Markdown":
      return parseMarkdown(source, false);
    default:
      throw badRequest("unsupported parse_mode");
  }
}

function cantParse(detail: string, source: string, index: number): Error {
  const byteOffset = Buffer.byteLength(source.slice(0, index));
  return badRequest(`can't parse entities: ${detail} at byte offset ${byteOffset}`);
}

const HTML_TYPES: Record<string, MessageEntity["type"]> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  a: "text_link",
  code: "code",
  pre: "pre",
  "tg-spoiler": "spoiler",
  span: "spoiler",
  blockquote: "blockquote",
  "tg-emoji": "custom_emoji",
};

const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

function parseHtml(source: string): FormattedText {
  const re = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>|&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot);/g;
  let text = "";
  const entities: MessageEntity[] = [];
  const open: { tag: string; offset: number; attrs: string; at: number }[] = [];
  let last = 0;
  for (const m of source.matchAll(re)) {
    const segment = source.slice(last, m.index);
    const lt = segment.indexOf("<");
    if (lt !== -1) throw cantParse('Unsupported start tag ""', source, last + lt);
    text += segment;
    last = m.index + m[0].length;
    const entity = m[4];
    if (entity !== undefined) {
      if (entity.startsWith("#x")) text += String.fromCodePoint(parseInt(entity.slice(2), 16));
      else if (entity.startsWith("#")) text += String.fromCodePoint(parseInt(entity.slice(1), 10));
      else text += NAMED_ENTITIES[entity] ?? "";
      continue;
    }
    const closing = m[1] === "/";
    const tag = (m[2] ?? "").toLowerCase();
    if (HTML_TYPES[tag] === undefined) {
      throw cantParse(`Unsupported ${closing ? "end" : "start"} tag "${tag}"`, source, m.index);
    }
    if (!closing) {
      open.push({ tag, offset: text.length, attrs: m[3] ?? "", at: m.index });
      continue;
    }
    const top = open.pop();
    if (top?.tag !== tag) {
      throw cantParse(
        `Unmatched end tag at byte offset, expected "</${top?.tag ?? ""}>", found "</${tag}>"`,
        source,
        m.index,
      );
    }
    const length = text.length - top.offset;
    if (length === 0) continue;
    const type = HTML_TYPES[tag];
    if (type === undefined) continue;
    const e: MessageEntity = { type, offset: top.offset, length };
    if (type === "text_link") {
      const href = /href\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))/i.exec(top.attrs);
      e.url = href?.[1] ?? href?.[2] ?? href?.[3] ?? "";
    }
    if (type === "blockquote" && /\bexpandable\b/i.test(top.attrs)) e.type = "expandable_blockquote";
    entities.push(e);
  }
  const rest = source.slice(last);
  const lt = rest.indexOf("<");
  if (lt !== -1) throw cantParse('Unsupported start tag ""', source, last + lt);
  text += rest;
  const unclosed = open.pop();
  if (unclosed !== undefined) {
    throw cantParse(`Can't find end tag corresponding to start tag "${unclosed.tag}"`, source, unclosed.at);
  }
  entities.sort((a, b) => a.offset - b.offset);
  return { text, entities };
}

const V2_RESERVED = new Set(["[", "]", "(", ")", "~", "`", ">", "#", "+", "-", "=", "|", "{", "}", ".", "!"]);

function parseMarkdown(source: string, v2: boolean): FormattedText {
  let text = "";
  const entities: MessageEntity[] = [];
  const open = new Map<string, { offset: number; at: number }>();
  const toggle = (key: string, type: MessageEntity["type"], at: number): void => {
    const started = open.get(key);
    if (started === undefined) {
      open.set(key, { offset: text.length, at });
      return;
    }
    open.delete(key);
    if (text.length > started.offset)
      entities.push({ type, offset: started.offset, length: text.length - started.offset });
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? "";
    const next = source[i + 1];
    if (c === "\\" && next !== undefined && (v2 || "_*`[".includes(next))) {
      text += next;
      i += 2;
    } else if (c === "`") {
      const fence = source.startsWith("```", i);
      const marker = fence ? "```" : "`";
      const end = source.indexOf(marker, i + marker.length);
      if (end === -1) throw cantParse(`Can't find end of ${fence ? "Pre" : "Code"} entity`, source, i);
      let body = source.slice(i + marker.length, end);
      let language: string | undefined;
      if (fence) {
        const nl = body.indexOf("\n");
        if (nl !== -1 && /^[\w+-]+$/.test(body.slice(0, nl))) {
          language = body.slice(0, nl);
          body = body.slice(nl + 1);
        }
      }
      if (v2) body = body.replace(/\\([`\\])/g, "$1");
      const e: MessageEntity = { type: fence ? "pre" : "code", offset: text.length, length: body.length };
      if (language !== undefined) e.language = language;
      if (body.length > 0) entities.push(e);
      text += body;
      i = end + marker.length;
    } else if (c === "*") {
      toggle("*", "bold", i);
      i += 1;
    } else if (c === "_" && v2 && next === "_") {
      toggle("__", "underline", i);
      i += 2;
    } else if (c === "_") {
      toggle("_", "italic", i);
      i += 1;
    } else if (v2 && c === "~") {
      toggle("~", "strikethrough", i);
      i += 1;
    } else if (v2 && c === "|" && next === "|") {
      toggle("||", "spoiler", i);
      i += 2;
    } else if (c === "[") {
      open.set(`[${i}`, { offset: text.length, at: i });
      i += 1;
    } else if (c === "]" && [...open.keys()].some((k) => k.startsWith("["))) {
      const key = [...open.keys()].filter((k) => k.startsWith("[")).pop() ?? "";
      const started = open.get(key);
      open.delete(key);
      if (next !== "(") throw cantParse("Can't find end of a URL", source, i);
      const close = source.indexOf(")", i + 2);
      if (close === -1) throw cantParse("Can't find end of a URL", source, i);
      const url = source.slice(i + 2, close);
      if (started !== undefined && text.length > started.offset) {
        entities.push({
          type: "text_link",
          offset: started.offset,
          length: text.length - started.offset,
          url,
        });
      }
      i = close + 1;
    } else if (v2 && c === ">" && (i === 0 || source[i - 1] === "\n")) {
      i += 1; // block quote marker; the quote itself is not modelled
    } else if (v2 && V2_RESERVED.has(c)) {
      throw cantParse(`Character '${c}' is reserved and must be escaped with the preceding '\\'`, source, i);
    } else {
      text += c;
      i += 1;
    }
  }
  for (const [key, started] of open) {
    throw cantParse(
      `Can't find end of the entity starting (${key.startsWith("[") ? "[" : key})`,
      source,
      started.at,
    );
  }
  entities.sort((a, b) => a.offset - b.offset);
  return { text, entities };
}
