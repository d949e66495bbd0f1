/**
 * The Bot API methods that send files: sendAudio and sendDocument, with a new upload (multipart, by
 * field name or `attach://`) or a file_id seen before, an optional thumbnail and a caption. Uploads are
 * stored under Telegram-like file ids so later calls and tests can find them.
 */
import { randomBytes } from "node:crypto";
import { badRequest } from "./bot-api-error.js";
import { MAX_CAPTION, MAX_THUMBNAIL_BYTES } from "./bot-api-limits.js";
import { entitiesParam, inlineMarkup } from "./bot-api-params.js";
import { nowSeconds, type BotApiState, type MethodTable } from "./bot-api-state.js";
import type { Audio, Document, Message, PhotoSize } from "./bot-api-types.js";
import type { MultipartFilePart } from "./multipart-parser.js";
import type { ParamReader } from "./param-reader.js";
import { parseFormattedText } from "./text-formatting.js";
import { toEntry, type StoredFile, type TranscriptFile } from "./transcript.js";

/** sendAudio and sendDocument. */
export function mediaMethods(api: BotApiState): MethodTable {
  return {
    sendAudio: (p) => sendFile(api, p, "audio"),
    sendDocument: (p) => sendFile(api, p, "document"),
  };
}

function sendFile(api: BotApiState, p: ParamReader, kind: "audio" | "document"): Message {
  const state = api.chatFor(p);
  const caption = p.string("caption") ?? "";
  const parseMode = p.string("parse_mode");
  const formatted = parseFormattedText(caption, parseMode, entitiesParam(p, "caption_entities"));
  if (formatted.text.length > MAX_CAPTION) throw badRequest("message caption is too long");
  const markup = inlineMarkup(p);
  const part = p.upload(kind);
  let known: StoredFile | undefined;
  if (part !== undefined) {
    if (part.size === 0) throw badRequest("file must be non-empty");
  } else {
    const ref = p.string(kind) ?? "";
    if (ref === "") throw badRequest(`there is no ${kind} in the request`);
    known = api.files.get(ref);
    if (known === undefined) throw badRequest("wrong file identifier/HTTP URL specified");
  }
  api.charge(kind === "audio" ? "sendaudio" : "senddocument", state);
  const uploaded = part !== undefined;
  const file = part !== undefined ? storeUpload(api, part, kind) : (known as StoredFile);
  const thumbPart = p.upload("thumbnail");
  let thumbnail: PhotoSize | undefined;
  if (thumbPart !== undefined && thumbPart.size > 0 && thumbPart.size <= MAX_THUMBNAIL_BYTES) {
    const t = storeUpload(api, thumbPart, "photo");
    // Dimensions are not decoded; Telegram scales thumbnails to at most 320 px.
    thumbnail = {
      file_id: t.fileId,
      file_unique_id: t.fileUniqueId,
      width: 320,
      height: 320,
      file_size: t.size,
    };
  }
  countUpload(api, p);
  const base = {
    file_id: file.fileId,
    file_unique_id: file.fileUniqueId,
    file_size: file.size,
    ...(file.fileName !== undefined ? { file_name: file.fileName } : {}),
    ...(file.mimeType !== undefined ? { mime_type: file.mimeType } : {}),
    ...(thumbnail !== undefined ? { thumbnail } : {}),
  };
  const message: Message = {
    message_id: state.nextMessageId++,
    from: api.bot,
    chat: state.chat,
    date: nowSeconds(),
    ...(formatted.text.length > 0 ? { caption: formatted.text } : {}),
    ...(formatted.entities.length > 0 ? { caption_entities: formatted.entities } : {}),
    ...(markup !== undefined ? { reply_markup: markup } : {}),
  };
  const info: TranscriptFile = {
    fileId: file.fileId,
    fileUniqueId: file.fileUniqueId,
    fileSize: file.size,
    hasThumbnail: thumbnail !== undefined,
    uploaded,
    ...(file.fileName !== undefined ? { fileName: file.fileName } : {}),
    ...(file.mimeType !== undefined ? { mimeType: file.mimeType } : {}),
  };
  const stored = api.storeMessage(state, message, true, caption, parseMode);
  if (kind === "audio") {
    const performer = p.string("performer");
    const title = p.string("title");
    const duration = p.int("duration") ?? 0;
    const audio: Audio = {
      ...base,
      duration,
      ...(performer !== undefined ? { performer } : {}),
      ...(title !== undefined ? { title } : {}),
    };
    message.audio = audio;
    stored.audio = {
      ...info,
      duration,
      ...(performer !== undefined ? { performer } : {}),
      ...(title !== undefined ? { title } : {}),
    };
  } else {
    const document: Document = base;
    message.document = document;
    stored.document = info;
  }
  api.deps.emit(() => ({ type: "message-sent", chatId: state.chat.id, entry: toEntry(stored) }));
  return message;
}

/** Counts every file part of an accepted upload request toward the stats. */
function countUpload(api: BotApiState, p: ParamReader): void {
  for (const part of p.files.values()) {
    api.deps.stats.uploadCount += 1;
    api.deps.stats.uploadBytes += part.size;
  }
}

/** Keeps an uploaded part under a new file_id shaped like Telegram's for its kind. */
function storeUpload(
  api: BotApiState,
  part: MultipartFilePart,
  kind: "audio" | "document" | "photo",
): StoredFile {
  const n = ++api.fileCounter;
  const prefix =
    kind === "audio" ? "CQACAgIAAxkDAAI" : kind === "document" ? "BQACAgIAAxkDAAI" : "AAMCAgADGQMAAg";
  const tail = Buffer.concat([Buffer.from(n.toString(16).padStart(8, "0"), "hex"), randomBytes(18)]);
  const file: StoredFile = {
    fileId: `${prefix}${tail.toString("base64url")}`,
    fileUniqueId: `AgAD${Buffer.from(n.toString(16).padStart(8, "0"), "hex").toString("base64url")}`,
    size: part.size,
    fileName: part.filename,
    mimeType: mimeTypeOf(part.filename, kind),
    ...(part.data !== undefined ? { data: part.data } : {}),
  };
  api.files.set(file.fileId, file);
  return file;
}

function mimeTypeOf(filename: string, kind: "audio" | "document" | "photo"): string {
  const ext = filename.slice(filename.lastIndexOf(".") + 1).toLowerCase();
  const known: Record<string, string> = {
    mp3: "audio/mpeg",
    m4a: "audio/mp4",
    flac: "audio/flac",
    ogg: "audio/ogg",
    opus: "audio/ogg",
    wav: "audio/x-wav",
    jpg: "image/jpeg",
    jpeg: "image/jpeg",
    png: "image/png",
    zip: "application/zip",
    pdf: "application/pdf",
    txt: "text/plain",
    json: "application/json",
  };
  return known[ext] ?? (kind === "audio" ? "audio/mpeg" : "application/octet-stream");
}
