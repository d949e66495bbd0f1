/**
 * Packs a finished collection into one .zip for the download link: what goes in and under which names
 * (the collection's folder, its tracks named by their position in the collection, `03 - Artist -
 * Title.ext`, each with its `.lrc` beside it when it has one, a playlist that refers to them by those
 * names, the cover), and the zip itself. Audio does not compress, so entries are stored (no deflate): packing
 * costs one read of each file for its CRC and one copy. Written through a temp name and renamed, so a link
 * never serves half a file. Where a package lives, and whether an identical one is reused: package-store.ts.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import { once } from "node:events";
import { access } from "node:fs/promises";
import { EXPLICIT_MARK, writeM3u8 } from "../media/library.js";
import { lrcPathFor } from "../media/lyrics.js";
import { safeName, safePath, type NamePart } from "../media/names.js";
import { sha256OfFile, type PackageStore, type StoredPackage } from "./package-store.js";

export interface ZipEntry {
  /** Absolute path of the file to add. */
  file: string;
  /** Name inside the archive (forward slashes, UTF-8). */
  name: string;
}

async function crcOf(file: string): Promise<number> {
  let crc = 0;
  for await (const chunk of createReadStream(file)) crc = crc32(chunk as Buffer, crc);
  return crc;
}

function dosTime(date: Date): { time: number; date: number } {
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    date: ((date.getFullYear() - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

const ZIP32_LIMIT = 0xffffffff;

/** Write `entries` into a store-only zip at `dest`. Returns its size in bytes. */
export async function writeZip(
  dest: string,
  entries: readonly ZipEntry[],
  signal?: AbortSignal,
): Promise<number> {
  await mkdir(path.dirname(dest), { recursive: true });
  const temp = `${dest}.${process.pid}.tmp`;
  const out = createWriteStream(temp);
  const central: Buffer[] = [];
  let offset = 0;
  const write = async (buffer: Buffer) => {
    if (!out.write(buffer)) await once(out, "drain");
    offset += buffer.length;
  };
  try {
    const now = dosTime(new Date());
    for (const entry of entries) {
      signal?.throwIfAborted();
      const size = (await stat(entry.file)).size;
      if (offset + size > ZIP32_LIMIT) throw new Error("collection too large for one zip (over 4 GB)");
      const crc = await crcOf(entry.file);
      const name = Buffer.from(entry.name, "utf8");
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4); // version needed
      local.writeUInt16LE(0x0800, 6); // UTF-8 names
      local.writeUInt16LE(0, 8); // stored
      local.writeUInt16LE(now.time, 10);
      local.writeUInt16LE(now.date, 12);
      local.writeUInt32LE(crc >>> 0, 14);
      local.writeUInt32LE(size, 18);
      local.writeUInt32LE(size, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(0, 28);
      const headerOffset = offset;
      await write(local);
      await write(name);
      for await (const chunk of createReadStream(entry.file)) await write(chunk as Buffer);
      const record = Buffer.alloc(46);
      record.writeUInt32LE(0x02014b50, 0);
      // Made by Unix (3): Info-ZIP's unzip reads the names of an archive "made by" MS-DOS as OEM code
      // page text, whatever the UTF-8 flag says, and a CJK title came out as mojibake.
      record.writeUInt16LE((3 << 8) | 20, 4);
      record.writeUInt16LE(20, 6);
      record.writeUInt16LE(0x0800, 8);
      record.writeUInt16LE(0, 10);
      record.writeUInt16LE(now.time, 12);
      record.writeUInt16LE(now.date, 14);
      record.writeUInt32LE(crc >>> 0, 16);
      record.writeUInt32LE(size, 20);
      record.writeUInt32LE(size, 24);
      record.writeUInt16LE(name.length, 28);
      record.writeUInt32LE(0o100644 * 0x10000, 38); // external attributes: a regular file, rw-r--r--
      record.writeUInt32LE(headerOffset, 42);
      central.push(record, name);
    }
    const centralStart = offset;
    for (const part of central) await write(part);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(offset - centralStart, 12);
    end.writeUInt32LE(centralStart, 16);
    await write(end);
    out.end();
    await once(out, "finish");
    await rename(temp, dest);
    return offset;
  } catch (err) {
    out.destroy();
    await rm(temp, { force: true });
    throw err;
  }
}

/** One collected track, as the package needs it. */
export interface PackedTrack {
  /** Absolute path of the file in the library. */
  file: string;
  durationSec: number;
  artist: string;
  title: string;
  /** SHA-256 (hex) of the file when known (the track cache has it); otherwise the file is read for it. */
  sha256?: string;
  /**
   * 1-based position in the collection (a playlist's order), which numbers the entry. Omitted: the
   * track's place in the list given to {@link packCollection}.
   */
  position?: number;
}

/**
 * A track's name in the zip: `03 - Artist - Title`, numbered by its position whatever folder the library
 * keeps it in (an album track in a playlist keeps its album's number there), with the explicit mark of
 * its library name kept so the explicit and the clean version of a song stay apart.
 */
function entryPart(t: PackedTrack, position: number, width: number, suffix?: string): NamePart {
  const ext = path.extname(t.file).slice(1);
  const known = /^[a-z0-9]{1,8}$/i.test(ext);
  const explicit = path.basename(t.file, known ? `.${ext}` : "").includes(EXPLICIT_MARK);
  const mark = `${explicit ? EXPLICIT_MARK : ""}${suffix ?? ""}`;
  const number = String(position).padStart(width, "0");
  const text = [number, t.artist.trim(), t.title.trim()].filter((p) => p !== "").join(" - ");
  return { text, ...(known ? { ext } : {}), ...(mark ? { suffix: mark } : {}) };
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Pack a collection as `<folder>/<tracks…>` (see {@link entryPart}; a track's synced lyrics `.lrc` follows
 * it under the same name), `<folder>/<folder>.m3u8` (naming the tracks as they are in the zip) and
 * `<folder>/cover.jpg` when there is a cover. Two tracks with the same name (in any case) get " (2)"… Every entry name is made by `names.ts`. `workDir` holds the zip's playlist while
 * packing. The package comes from `store`: an identical one (same names, same file contents) is reused,
 * otherwise the zip is written there.
 */
export async function packCollection(options: {
  store: PackageStore;
  folder: string;
  tracks: readonly PackedTrack[];
  cover?: string;
  workDir: string;
  signal?: AbortSignal;
}): Promise<StoredPackage> {
  const root = safeName(options.folder);
  const seen = new Set<string>();
  const positions = options.tracks.map((t, i) => t.position ?? i + 1);
  const width = Math.max(2, String(Math.max(0, ...positions)).length);
  const entries: ZipEntry[] = options.tracks.map((t, i) => {
    const part = (suffix?: string) => entryPart(t, positions[i]!, width, suffix);
    let name = safePath([root], part());
    for (let n = 2; seen.has(name.toLowerCase()); n++) name = safePath([root], part(` (${n})`));
    seen.add(name.toLowerCase());
    return { file: t.file, name };
  });
  const playlistEntry = safePath([root], { text: root, ext: "m3u8" });
  const playlist = await writeM3u8(
    path.join(options.workDir, path.basename(playlistEntry)),
    options.tracks.map((t, i) => ({
      path: path.basename(entries[i]?.name ?? ""),
      durationSec: t.durationSec,
      artist: t.artist,
      title: t.title,
    })),
  );
  // Each track's .lrc right after it, under the same name: players find it beside the audio.
  const zipped: ZipEntry[] = [];
  for (const entry of entries) {
    zipped.push(entry);
    const lrc = lrcPathFor(entry.file);
    if (await exists(lrc)) zipped.push({ file: lrc, name: lrcPathFor(entry.name) });
  }
  zipped.push({ file: playlist, name: playlistEntry });
  if (options.cover)
    zipped.push({ file: options.cover, name: safePath([root], { text: "cover", ext: "jpg" }) });
  const known = new Map(options.tracks.map((t) => [t.file, t.sha256]));
  const ids = await Promise.all(
    zipped.map(async (e) => ({ name: e.name, sha256: known.get(e.file) ?? (await sha256OfFile(e.file)) })),
  );
  return options.store.obtain(ids, (dest) => writeZip(dest, zipped, options.signal));
}
