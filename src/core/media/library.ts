/**
 * Where collected files live on disk: file names from a template, safe path segments, the `.m3u8`
 * playlist, and writes that never leave a half file under a real name.
 *
 * Names come from Spotify metadata, which anyone can set (a playlist called `../../etc`), so every field
 * is cleaned before it touches the file system, and every path is checked to stay under the library root.
 */
import { randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { copyFile, mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Track } from "../spotify/types.js";

/** Audio formats the library writes (same names as `download.format`). */
export type LibraryFormat = "mp3" | "m4a" | "opus" | "flac";

/** File extension per format. */
export const formatExtension: Record<LibraryFormat, string> = {
  mp3: "mp3",
  m4a: "m4a",
  opus: "opus",
  flac: "flac",
};

/** Fields a path template may use. */
export const templateFields = [
  "albumArtist",
  "artist",
  "album",
  "title",
  "track",
  "disc",
  "year",
  "id",
] as const;
export type TemplateField = (typeof templateFields)[number];

/** Default byte cap of one path segment (most file systems allow 255 bytes; leave room for temp names). */
export const DEFAULT_SEGMENT_BYTES = 120;

const RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;
// C0 and C1 control characters, DEL, and characters Windows refuses in names.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const WINDOWS_BAD = /[<>"|?*]/g;

/** Cut `text` to at most `maxBytes` UTF-8 bytes without splitting a code point. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  let out = "";
  let bytes = 0;
  for (const cp of text) {
    const size = Buffer.byteLength(cp, "utf8");
    if (bytes + size > maxBytes) break;
    out += cp;
    bytes += size;
  }
  return out;
}

/**
 * Turn any text into one safe file or folder name: no separators, no control characters, no `.`/`..`,
 * no leading dot (hidden files), no trailing dots or spaces, no Windows reserved device names, at most
 * `maxBytes` UTF-8 bytes. Letters of any script are kept as they are (NFC-normalised).
 */
export function safeSegment(text: string, maxBytes = DEFAULT_SEGMENT_BYTES): string {
  let s = text.normalize("NFC").replace(CONTROL, " ");
  s = s.replace(/[/\\]/g, "-").replace(/:/g, " -").replace(WINDOWS_BAD, "_");
  s = s.replace(/\s+/g, " ").trim();
  s = s.replace(/^\.+/, (dots) => "_".repeat(dots.length));
  s = truncateUtf8(s, maxBytes);
  s = s.replace(/[. ]+$/, "");
  if (s === "") return "_";
  // `CON`, `con.mp3`, `Lpt1 ` are device names on Windows whatever the extension.
  const stem = s.split(".")[0] ?? s;
  if (RESERVED.test(stem.trim())) s = truncateUtf8(`${stem}_${s.slice(stem.length)}`, maxBytes);
  return s;
}

/** Raised for a path template that could escape the library or names unknown fields. */
export class PathTemplateError extends Error {
  override readonly name = "PathTemplateError";
}

/** Check a template once (at start-up) so a typo fails loudly instead of writing odd folders. */
export function validateTemplate(template: string): void {
  if (template.trim() === "") throw new PathTemplateError("path template is empty");
  if (template.startsWith("/") || template.includes("\\") || /^[a-zA-Z]:/.test(template)) {
    throw new PathTemplateError(`path template must be relative with / separators: ${template}`);
  }
  for (const segment of template.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new PathTemplateError(`path template has an empty, "." or ".." segment: ${template}`);
    }
  }
  for (const match of template.matchAll(/\{([^}]*)\}/g)) {
    const name = match[1] ?? "";
    if (!(templateFields as readonly string[]).includes(name)) {
      throw new PathTemplateError(
        `unknown field {${name}} in path template (known: ${templateFields.join(", ")})`,
      );
    }
  }
}

function fieldValues(track: Track, discCount: number): Record<TemplateField, string> {
  return {
    albumArtist: track.albumArtist || track.artists[0] || "Unknown Artist",
    artist: track.artists.join(", ") || "Unknown Artist",
    album: track.album || "Unknown Album",
    title: track.title || "Untitled",
    track: String(track.trackNumber).padStart(2, "0"),
    disc: discCount > 1 ? `${track.discNumber}-` : "",
    year: track.releaseDate?.slice(0, 4) ?? "",
    id: track.id,
  };
}

export interface TrackPathOptions {
  /** Discs on the track's album; `{disc}` expands only when there is more than one. */
  discCount: number;
  format: LibraryFormat;
  /** @defaultValue {@link DEFAULT_SEGMENT_BYTES} */
  maxSegmentBytes?: number;
}

/**
 * Relative path (with `/` separators, extension included) of a track under the library root.
 * The template's own `/` separate folders; a `/` inside a field value never does.
 */
export function trackPath(template: string, track: Track, options: TrackPathOptions): string {
  validateTemplate(template);
  const values = fieldValues(track, options.discCount);
  const maxBytes = options.maxSegmentBytes ?? DEFAULT_SEGMENT_BYTES;
  const ext = `.${formatExtension[options.format]}`;
  const segments = template.split("/");
  return segments
    .map((segment, index) => {
      const filled = segment.replace(/\{([a-zA-Z]+)\}/g, (_m, name: string) =>
        values[name as TemplateField].replace(/[/\\]/g, "-"),
      );
      const last = index === segments.length - 1;
      return last ? safeSegment(filled, maxBytes - ext.length) + ext : safeSegment(filled, maxBytes);
    })
    .join("/");
}

/** Join `relative` under `root` and refuse anything that would land outside it. */
export function resolveInside(root: string, relative: string): string {
  const base = path.resolve(root);
  const full = path.resolve(base, relative);
  if (full !== base && !full.startsWith(base + path.sep)) {
    throw new PathTemplateError(`path escapes the library: ${relative}`);
  }
  return full;
}

/** What a collection folder is named after. */
export interface CollectionInfo {
  kind: "track" | "album" | "playlist";
  title: string;
  /** Album artist or playlist owner. */
  subtitle?: string;
}

/**
 * Folder (absolute) that holds a collection's playlist and cover: `Artist/Album` for an album (the same
 * folders the default template puts its tracks in), `Playlists/<title>` for a playlist,
 * `Tracks/<artist - title>` for a single track.
 */
export function collectionDir(libraryDir: string, info: CollectionInfo): string {
  const parts =
    info.kind === "album"
      ? [safeSegment(info.subtitle || "Unknown Artist"), safeSegment(info.title)]
      : info.kind === "playlist"
        ? ["Playlists", safeSegment(info.title)]
        : ["Tracks", safeSegment(info.subtitle ? `${info.subtitle} - ${info.title}` : info.title)];
  return resolveInside(libraryDir, parts.join("/"));
}

function tempNameFor(dest: string): string {
  const base = path.basename(dest);
  return path.join(path.dirname(dest), `.${truncateUtf8(base, 80)}.${randomBytes(4).toString("hex")}.tmp`);
}

/**
 * Write `data` to `dest` through a temp file in the same directory, fsync it and rename it into place:
 * a crash at any point leaves either the old file or none, never a half one under the real name.
 * `data` may be an async iterable of chunks (a stream); if it throws, nothing appears under `dest`.
 */
export async function atomicWriteFile(
  dest: string,
  data: string | Uint8Array | AsyncIterable<Uint8Array | string>,
): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  const temp = tempNameFor(dest);
  const handle = await open(temp, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o644);
  try {
    if (typeof data === "string" || data instanceof Uint8Array) {
      await handle.writeFile(data);
    } else {
      for await (const chunk of data)
        await handle.write(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    }
    await handle.sync();
    await handle.close();
    await rename(temp, dest);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Move `src` to `dest` so that `dest` appears complete or not at all. Within one file system this is a
 * rename; across file systems the file is copied to a temp name next to `dest` first.
 */
export async function atomicMove(src: string, dest: string): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  try {
    await rename(src, dest);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
  }
  const temp = tempNameFor(dest);
  try {
    await copyFile(src, temp, fsConstants.COPYFILE_EXCL);
    await rename(temp, dest);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await rm(src, { force: true });
}

/** One line of a playlist. */
export interface M3uEntry {
  /** Absolute path, or relative to the playlist's folder. */
  path: string;
  durationSec: number;
  artist: string;
  title: string;
}

/** The text of an extended M3U playlist (UTF-8, so `.m3u8`), entries in the order given. */
export function renderM3u8(dir: string, entries: readonly M3uEntry[]): string {
  const oneLine = (s: string) => s.replace(/[\r\n]+/g, " ").trim();
  const lines = ["#EXTM3U"];
  for (const entry of entries) {
    const rel = path.isAbsolute(entry.path) ? path.relative(dir, entry.path) : entry.path;
    lines.push(`#EXTINF:${Math.round(entry.durationSec)},${oneLine(entry.artist)} - ${oneLine(entry.title)}`);
    lines.push(oneLine(rel.split(path.sep).join("/")));
  }
  return lines.join("\n") + "\n";
}

/**
 * Write `<dir>/<name>` (default `playlist.m3u8`) atomically with relative paths in playlist order.
 * Returns the playlist's path.
 */
export async function writeM3u8(
  dir: string,
  entries: readonly M3uEntry[],
  name = "playlist.m3u8",
): Promise<string> {
  const dest = path.join(dir, safeSegment(name));
  await atomicWriteFile(dest, renderM3u8(dir, entries));
  return dest;
}

/** Copy a JPEG to `<dir>/cover.jpg` atomically. Returns the cover's path. */
export async function writeCover(dir: string, jpegPath: string): Promise<string> {
  const dest = path.join(dir, "cover.jpg");
  await mkdir(dir, { recursive: true });
  const temp = tempNameFor(dest);
  try {
    await copyFile(jpegPath, temp);
    await rename(temp, dest);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return dest;
}
