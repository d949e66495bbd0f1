/**
 * Packs a finished collection into one .zip for the download link: what goes in and under which names
 * (the collection's folder, its tracks with unique names, a playlist that refers to them by those names,
 * the cover), and the zip itself. Audio does not compress, so entries are stored (no deflate): packing
 * costs one read of each file for its CRC and one copy. Written through a temp name and renamed, so a link
 * never serves half a file.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { crc32 } from "node:zlib";
import { once } from "node:events";
import { writeM3u8 } from "../media/library.js";

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
      record.writeUInt16LE(20, 4);
      record.writeUInt16LE(20, 6);
      record.writeUInt16LE(0x0800, 8);
      record.writeUInt16LE(0, 10);
      record.writeUInt16LE(now.time, 12);
      record.writeUInt16LE(now.date, 14);
      record.writeUInt32LE(crc >>> 0, 16);
      record.writeUInt32LE(size, 20);
      record.writeUInt32LE(size, 24);
      record.writeUInt16LE(name.length, 28);
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
}

/**
 * Pack a collection as `<folder>/<tracks…>`, `<folder>/<folder>.m3u8` (naming the tracks as they are in the
 * zip) and `<folder>/cover.jpg` when there is a cover. Two tracks with the same file name get " (2)", " (3)"…
 * `workDir` holds the zip's playlist while packing. Returns the zip's size in bytes.
 */
export async function packCollection(options: {
  dest: string;
  folder: string;
  tracks: readonly PackedTrack[];
  cover?: string;
  workDir: string;
  signal?: AbortSignal;
}): Promise<number> {
  const { folder } = options;
  const seen = new Set<string>();
  const entries: ZipEntry[] = options.tracks.map((t) => {
    const wanted = `${folder}/${path.basename(t.file)}`;
    let name = wanted;
    for (let n = 2; seen.has(name); n++) name = wanted.replace(/(\.[^.]+)$/, ` (${n})$1`);
    seen.add(name);
    return { file: t.file, name };
  });
  const playlist = await writeM3u8(
    options.workDir,
    options.tracks.map((t, i) => ({
      path: path.basename(entries[i]?.name ?? ""),
      durationSec: t.durationSec,
      artist: t.artist,
      title: t.title,
    })),
    `${folder}.m3u8`,
  );
  entries.push({ file: playlist, name: `${folder}/${folder}.m3u8` });
  if (options.cover) entries.push({ file: options.cover, name: `${folder}/cover.jpg` });
  return writeZip(options.dest, entries, options.signal);
}
