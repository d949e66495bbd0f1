/**
 * The Bot API methods that send files: sendAudio, sendDocument and sendMediaGroup (an album of audio
 * files or of documents), and editMessageMedia, with a new upload (multipart, by field name or
 * `attach://`) or a file_id seen before, an optional thumbnail and a caption. Uploads are
 * stored under Telegram-like file ids so later calls and tests can find them.
 */
import { randomBytes } from "node:crypto";
import { badRequest } from "./bot-api-error.js";
import { MAX_CAPTION, MAX_THUMBNAIL_BYTES } from "./bot-api-limits.js";
import { entitiesParam, inlineMarkup } from "./bot-api-params.js";
import { nowSeconds, type BotApiState, type ChatState, type MethodTable } from "./bot-api-state.js";
import type { Audio, Document, Message, PhotoSize } from "./bot-api-types.js";
import type { MultipartFilePart } from "./multipart-parser.js";
import type { ParamReader } from "./param-reader.js";
import { parseFormattedText } from "./text-formatting.js";
import { toEntry, type StoredFile, type TranscriptFile } from "./transcript.js";

/** sendAudio, sendDocument, sendMediaGroup (albums of audio or documents) and editMessageMedia. */
export function mediaMethods(api: BotApiState): MethodTable {
  return {
    sendAudio: (p) => sendFile(api, p, "audio"),
    sendDocument: (p) => sendFile(api, p, "document"),
    sendMediaGroup: (p) => sendMediaGroup(api, p),
    editMessageMedia: (p) => editMessageMedia(api, p),
  };
}

type FileKind = "audio" | "document";

/** One file message's inputs, from a call's own parameters or one InputMedia of an album. */
interface FileInput {
  kind: FileKind;
  /** The new upload, or the file id of a file seen before. */
  part?: MultipartFilePart;
  ref?: string;
  caption: string;
  parseMode?: string;
  captionEntities?: ReturnType<typeof entitiesParam>;
  thumbPart?: MultipartFilePart;
  performer?: string;
  title?: string;
  duration?: number;
}

/** The file an input names; Telegram's errors for an empty upload or an unknown file id. */
function fileOf(api: BotApiState, input: FileInput): { file: StoredFile; uploaded: boolean } {
  if (input.part !== undefined) {
    if (input.part.size === 0) throw badRequest("file must be non-empty");
    return { file: storeUpload(api, input.part, input.kind), uploaded: true };
  }
  const ref = input.ref ?? "";
  if (ref === "") throw badRequest(`there is no ${input.kind} in the request`);
  const known = api.files.get(ref);
  if (known === undefined) throw badRequest("wrong file identifier/HTTP URL specified");
  return { file: known, uploaded: false };
}

function checkCaption(input: FileInput): ReturnType<typeof parseFormattedText> {
  const formatted = parseFormattedText(input.caption, input.parseMode, input.captionEntities ?? []);
  if (formatted.text.length > MAX_CAPTION) throw badRequest("message caption is too long");
  return formatted;
}

/** The audio or document part of a message, and what the transcript shows of it. */
function attachment(api: BotApiState, input: FileInput, found: { file: StoredFile; uploaded: boolean }) {
  const { file, uploaded } = found;
  let thumbnail: PhotoSize | undefined;
  const thumbPart = input.thumbPart;
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
  const base = {
    file_id: file.fileId,
    file_unique_id: file.fileUniqueId,
    file_size: file.size,
    ...(file.fileName !== undefined ? { file_name: file.fileName } : {}),
    ...(file.mimeType !== undefined ? { mime_type: file.mimeType } : {}),
    ...(thumbnail !== undefined ? { thumbnail } : {}),
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
  if (input.kind === "audio") {
    const duration = input.duration ?? 0;
    const extra = {
      duration,
      ...(input.performer !== undefined ? { performer: input.performer } : {}),
      ...(input.title !== undefined ? { title: input.title } : {}),
    };
    const audio: Audio = { ...base, ...extra };
    return { audio, audioInfo: { ...info, ...extra } };
  }
  const document: Document = base;
  return { document, documentInfo: info };
}

/** Stores a new file message in the chat and tells the tests. */
function postFile(
  api: BotApiState,
  state: ChatState,
  input: FileInput,
  markup: Message["reply_markup"],
  mediaGroupId?: string,
): Message {
  const formatted = checkCaption(input);
  const found = fileOf(api, input);
  const parts = attachment(api, input, found);
  const message: Message = {
    message_id: state.nextMessageId++,
    from: api.bot,
    chat: state.chat,
    date: nowSeconds(),
    ...(mediaGroupId !== undefined ? { media_group_id: mediaGroupId } : {}),
    ...(formatted.text.length > 0 ? { caption: formatted.text } : {}),
    ...(formatted.entities.length > 0 ? { caption_entities: formatted.entities } : {}),
    ...(markup !== undefined ? { reply_markup: markup } : {}),
  };
  const stored = api.storeMessage(state, message, true, input.caption, input.parseMode);
  if (parts.audio !== undefined) {
    message.audio = parts.audio;
    stored.audio = parts.audioInfo;
  } else if (parts.document !== undefined) {
    message.document = parts.document;
    stored.document = parts.documentInfo;
  }
  api.deps.emit(() => ({ type: "message-sent", chatId: state.chat.id, entry: toEntry(stored) }));
  return message;
}

function sendFile(api: BotApiState, p: ParamReader, kind: FileKind): Message {
  const state = api.chatFor(p);
  const input: FileInput = {
    kind,
    caption: p.string("caption") ?? "",
    captionEntities: entitiesParam(p, "caption_entities"),
    ...optional("parseMode", p.string("parse_mode")),
    ...optional("part", p.upload(kind)),
    ...optional("ref", p.string(kind)),
    ...optional("thumbPart", p.upload("thumbnail")),
    ...optional("performer", p.string("performer")),
    ...optional("title", p.string("title")),
    ...optional("duration", p.int("duration")),
  };
  checkCaption(input);
  if (input.part === undefined) fileOf(api, input); // an unknown file id is refused before flood control
  const markup = inlineMarkup(p);
  api.charge(kind === "audio" ? "sendaudio" : "senddocument", state);
  countUpload(api, p);
  return postFile(api, state, input, markup);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** One InputMedia of an album or an edit, read with Telegram's checks. */
function inputOf(p: ParamReader, raw: unknown): FileInput {
  if (typeof raw !== "object" || raw === null) throw badRequest("can't parse InputMedia: media not found");
  const m = raw as Record<string, unknown>;
  const type = m.type;
  if (type !== "audio" && type !== "document") throw badRequest(`unsupported media type "${String(type)}"`);
  const media = typeof m.media === "string" ? m.media : "";
  if (media === "") throw badRequest("can't parse InputMedia: media not found");
  const attached = (ref: unknown) =>
    typeof ref === "string" && ref.startsWith("attach://")
      ? p.files.get(ref.slice("attach://".length))
      : undefined;
  const part = attached(media);
  if (media.startsWith("attach://") && part === undefined)
    throw badRequest("can't parse InputMedia: media not found");
  return {
    kind: type,
    caption: typeof m.caption === "string" ? m.caption : "",
    ...optional("parseMode", typeof m.parse_mode === "string" ? m.parse_mode : undefined),
    ...optional("part", part),
    ...(part === undefined ? { ref: media } : {}),
    ...optional("thumbPart", attached(m.thumbnail)),
    ...optional("performer", typeof m.performer === "string" ? m.performer : undefined),
    ...optional("title", typeof m.title === "string" ? m.title : undefined),
    ...optional("duration", typeof m.duration === "number" ? m.duration : undefined),
  };
}

/** sendMediaGroup: 1 to 10 audio files (or 1 to 10 documents) as one album; no inline keyboard. */
function sendMediaGroup(api: BotApiState, p: ParamReader): Message[] {
  const state = api.chatFor(p);
  const raw = p.json("media");
  if (raw === undefined) throw badRequest('parameter "media" is required');
  if (!Array.isArray(raw)) throw badRequest("expected an Array of InputMedia");
  // The official server's texts (telegram-bot-api Client.cpp): an empty album, more than 10, a mix.
  if (raw.length === 0) throw badRequest("there are no messages to send");
  if (raw.length > 10) throw badRequest("too many messages to send as an album");
  const inputs = raw.map((item) => inputOf(p, item));
  const kinds = new Set(inputs.map((i) => i.kind));
  if (kinds.size > 1)
    throw badRequest(`${kinds.has("audio") ? "audio" : "document"} can't be mixed with other media types`);
  for (const input of inputs) {
    checkCaption(input);
    if (input.part === undefined) fileOf(api, input);
  }
  // An album goes out as one send (Telegram shows it as one; a bot sends albums well within its limits).
  api.charge("sendmediagroup", state);
  countUpload(api, p);
  const groupId = String(10_000_000_000_000 + ++api.fileCounter);
  return inputs.map((input) => postFile(api, state, input, undefined, groupId));
}

/** editMessageMedia: puts another file in a bot's audio or document message (its place in the chat stays). */
function editMessageMedia(api: BotApiState, p: ParamReader): Message {
  if (p.has("inline_message_id")) throw badRequest("MESSAGE_ID_INVALID");
  const state = api.chatFor(p);
  const stored = state.messages.get(p.int("message_id") ?? 0);
  if (stored === undefined || stored.deleted) throw badRequest("message to edit not found");
  if (!stored.fromBot) throw badRequest("message can't be edited");
  const input = inputOf(p, p.json("media"));
  if (stored.audio === undefined && stored.document === undefined)
    throw badRequest("there is no media in the message to edit");
  if (
    stored.message.media_group_id !== undefined &&
    (stored.audio !== undefined) !== (input.kind === "audio")
  )
    throw badRequest("can't change media type in the album"); // an audio stays audio, a document a document
  const formatted = checkCaption(input);
  const found = fileOf(api, input);
  const markup = inlineMarkup(p);
  api.charge("editmessagemedia", state);
  countUpload(api, p);
  const parts = attachment(api, input, found);
  const {
    audio: _a,
    document: _d,
    caption: _c,
    caption_entities: _ce,
    reply_markup: _r,
    ...rest
  } = stored.message;
  stored.message = {
    ...rest,
    edit_date: nowSeconds(),
    ...(formatted.text.length > 0 ? { caption: formatted.text } : {}),
    ...(formatted.entities.length > 0 ? { caption_entities: formatted.entities } : {}),
    ...(markup !== undefined ? { reply_markup: markup } : {}),
    ...(parts.audio !== undefined ? { audio: parts.audio } : {}),
    ...(parts.document !== undefined ? { document: parts.document } : {}),
  };
  delete stored.audio;
  delete stored.document;
  if (parts.audioInfo !== undefined) stored.audio = parts.audioInfo;
  if (parts.documentInfo !== undefined) stored.document = parts.documentInfo;
  stored.sourceText = input.caption;
  stored.editCount += 1;
  api.deps.emit(() => ({ type: "message-edited", chatId: state.chat.id, entry: toEntry(stored) }));
  return stored.message;
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
