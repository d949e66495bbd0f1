/**
 * Where collected files live on disk: file names from a template, collection folders, the `.m3u8`
 * playlist, and writes that never leave a half file under a real name.
 *
 * Names come from Spotify metadata, which anyone can set (a playlist called `../../etc`), so every name
 * is made by `names.ts`, and every path is checked to stay under the library root.
 */
import { createHash, randomBytes } from "node:crypto";
import { constants as fsConstants } from "node:fs";
import { copyFile, mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Track } from "../spotify/types.js";
import { safeName, safePath, type NamePart } from "./names.js";

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
  /** A relative folder made by {@link collectionDir} the path goes under (a playlist's own folder). */
  under?: string;
}

/** Put after the name of an explicit track's file, so it and the clean version of the song differ. */
export const EXPLICIT_MARK = " [explicit]";

/**
 * Relative path (with `/` separators, extension included) of a track under the library root.
 * The template's own `/` separate folders; a `/` inside a field value never does. An explicit track's
 * file name ends in {@link EXPLICIT_MARK}, kept whole when the name is cut.
 */
export function trackPath(template: string, track: Track, options: TrackPathOptions): string {
  validateTemplate(template);
  const values = fieldValues(track, options.discCount);
  const segments = template
    .split("/")
    .map((segment) =>
      segment.replace(/\{([a-zA-Z]+)\}/g, (_m, name: string) =>
        values[name as TemplateField].replace(/[/\\]/g, "-"),
      ),
    );
  const file = segments.pop() ?? "";
  return safePath(
    segments,
    {
      text: file,
      ext: formatExtension[options.format],
      ...(track.explicit ? { suffix: EXPLICIT_MARK } : {}),
    },
    {
      ...(options.under ? { under: options.under } : {}),
    },
  );
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
  /** Spotify id: a playlist's folder carries a short form of it, so two playlists never share one. */
  id: string;
  title: string;
  /** Album artist or playlist owner. */
  subtitle?: string;
}

/**
 * A short, stable tag of a playlist id for its folder name. A hash rather than the id's first characters:
 * every editorial playlist's id starts with `37i9dQZF`.
 */
export function playlistTag(id: string): string {
  return createHash("sha256").update(id).digest("hex").slice(0, 8);
}

/**
 * Folder (absolute) that holds a collection's playlist and cover: `Artist/Album` for an album (the same
 * folders the default template puts its tracks in), `Playlists/<title> [<tag of its id>]` for a
 * playlist (one folder per playlist, whoever else names theirs the same), `Tracks/<artist - title>` for
 * a single track.
 */
export function collectionDir(libraryDir: string, info: CollectionInfo): string {
  const parts: NamePart[] =
    info.kind === "album"
      ? [info.subtitle || "Unknown Artist", info.title || "Unknown Album"]
      : info.kind === "playlist"
        ? ["Playlists", { text: info.title || "Playlist", suffix: ` [${playlistTag(info.id)}]` }]
        : ["Tracks", info.subtitle ? `${info.subtitle} - ${info.title}` : info.title];
  return resolveInside(libraryDir, safePath(parts));
}

function tempNameFor(dest: string): string {
  const base = safeName(path.basename(dest), { maxBytes: 80 });
  return path.join(path.dirname(dest), `.${base}.${randomBytes(4).toString("hex")}.tmp`);
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
 * Library-relative paths of a collection's playlist (`<folder name>.m3u8`: the folder's name is cut,
 * never `.m3u8`) and cover, for the folder `folder` made by {@link collectionDir}.
 */
export function collectionFiles(folder: string): { playlist: string; cover: string } {
  return {
    playlist: safePath([], { text: path.basename(folder), ext: "m3u8" }, { under: folder }),
    cover: safePath([], { text: "cover", ext: "jpg" }, { under: folder }),
  };
}

/**
 * Write the playlist `dest` (a name made by `names.ts`) atomically with paths relative to its folder,
 * in playlist order. Returns `dest`.
 */
export async function writeM3u8(dest: string, entries: readonly M3uEntry[]): Promise<string> {
  await atomicWriteFile(dest, renderM3u8(path.dirname(dest), entries));
  return dest;
}

/** Copy a JPEG to `dest` (a name made by `names.ts`) atomically. Returns `dest`. */
export async function writeCover(dest: string, jpegPath: string): Promise<string> {
  const dir = path.dirname(dest);
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
