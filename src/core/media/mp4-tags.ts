/**
 * Adds iTunes-style tags that ffmpeg 5.1 cannot write to an .m4a: freeform `----:com.apple.iTunes:NAME`
 * atoms (ReplayGain, as foobar2000, Apple and most players read it) and the `rtng` advisory byte
 * (1 = explicit). ffmpeg's mp4 muxer drops unknown keys, and its `use_metadata_tags` flag swaps every iTunes
 * atom for QuickTime `mdta` keys that music players do not read, so the atoms are written here.
 *
 * How: the file's `moov/udta/meta/ilst` list is rebuilt with the new atoms (same-named ones replaced), the
 * sizes of its parents are fixed, and when `moov` sits before `mdat` (ffmpeg's `+faststart`) every chunk
 * offset (`stco`/`co64`) is moved by the growth. The file is read whole (one track: a few MB) and written
 * through a temp name and renamed. ffprobe reads the atoms back as the tag `NAME` and `rating`.
 */
import { readFile } from "node:fs/promises";
import { atomicWriteFile } from "./library.js";

interface Atom {
  type: string;
  start: number;
  /** Header length: 8, or 16 for a 64-bit size. */
  header: number;
  size: number;
}

function atoms(buf: Buffer, from: number, to: number): Atom[] {
  const out: Atom[] = [];
  let at = from;
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = to - at;
    if (size < header || at + size > to) throw new Error(`mp4: bad atom size at ${at}`);
    out.push({ type: buf.toString("latin1", at + 4, at + 8), start: at, header, size });
    at += size;
  }
  return out;
}

function child(buf: Buffer, parent: Atom, type: string, skip = 0): Atom | undefined {
  return atoms(buf, parent.start + parent.header + skip, parent.start + parent.size).find(
    (a) => a.type === type,
  );
}

function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.write(type, 4, "latin1");
  return Buffer.concat([head, body]);
}

/** A `data` atom: `kind` 1 = UTF-8 text, 21 = signed integer. */
function data(kind: number, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(kind, 0);
  return box("data", head, value);
}

function freeform(name: string, value: string): Buffer {
  const zero = Buffer.alloc(4);
  return box(
    "----",
    box("mean", zero, Buffer.from("com.apple.iTunes", "latin1")),
    box("name", zero, Buffer.from(name, "utf8")),
    data(1, Buffer.from(value, "utf8")),
  );
}

/** The `name` of a freeform atom, or undefined for other atoms. */
function freeformName(buf: Buffer, item: Atom): string | undefined {
  if (item.type !== "----") return undefined;
  const name = child(buf, item, "name");
  return name ? buf.toString("utf8", name.start + 12, name.start + name.size) : undefined;
}

export interface Mp4Tags {
  /** Freeform `com.apple.iTunes` text tags, e.g. `REPLAYGAIN_TRACK_GAIN`. */
  freeform?: Record<string, string>;
  /** iTunes advisory (`rtng`): 1 explicit, 2 clean, 0 none. */
  rating?: number;
}

/** Rebuild `buf` (a whole .m4a) with `tags` in its ilst. */
export function withMp4Tags(buf: Buffer, tags: Mp4Tags): Buffer {
  const top = atoms(buf, 0, buf.length);
  const moov = top.find((a) => a.type === "moov");
  if (!moov || moov.header !== 8) throw new Error("mp4: no moov atom");
  const udta = child(buf, moov, "udta");
  const meta = udta && child(buf, udta, "meta");
  // meta is a full box: 4 bytes of version and flags before its children.
  const ilst = meta && child(buf, meta, "ilst", 4);
  if (!udta || !meta || !ilst) throw new Error("mp4: no udta/meta/ilst (the file has no tags)");
  const names = new Set(Object.keys(tags.freeform ?? {}).map((n) => n.toLowerCase()));
  const kept = atoms(buf, ilst.start + 8, ilst.start + ilst.size)
    .filter((item) => !(tags.rating !== undefined && item.type === "rtng"))
    .filter((item) => !names.has(freeformName(buf, item)?.toLowerCase() ?? "\0"))
    .map((item) => buf.subarray(item.start, item.start + item.size));
  const added = Object.entries(tags.freeform ?? {}).map(([name, value]) => freeform(name, value));
  if (tags.rating !== undefined) added.push(box("rtng", data(21, Buffer.from([tags.rating]))));
  const newIlst = box("ilst", ...kept, ...added);
  const delta = newIlst.length - ilst.size;
  const moovBuf = Buffer.concat([
    buf.subarray(moov.start, ilst.start),
    newIlst,
    buf.subarray(ilst.start + ilst.size, moov.start + moov.size),
  ]);
  for (const parent of [moov, udta, meta]) {
    const at = parent.start - moov.start;
    moovBuf.writeUInt32BE(moovBuf.readUInt32BE(at) + delta, at);
  }
  const mdat = top.find((a) => a.type === "mdat");
  if (delta !== 0 && mdat && mdat.start > moov.start) shiftChunkOffsets(moovBuf, delta);
  return Buffer.concat([buf.subarray(0, moov.start), moovBuf, buf.subarray(moov.start + moov.size)]);
}

/** Move every `stco`/`co64` entry in a moov buffer by `delta` bytes (the media data moved). */
function shiftChunkOffsets(moov: Buffer, delta: number): void {
  for (const trak of atoms(moov, 8, moov.length).filter((a) => a.type === "trak")) {
    const stbl = ["mdia", "minf", "stbl"].reduce<Atom | undefined>((a, t) => a && child(moov, a, t), trak);
    if (!stbl) continue;
    for (const table of atoms(moov, stbl.start + 8, stbl.start + stbl.size)) {
      const count = table.type === "stco" || table.type === "co64" ? moov.readUInt32BE(table.start + 12) : 0;
      for (let i = 0; i < count; i++) {
        if (table.type === "stco") {
          const at = table.start + 16 + i * 4;
          moov.writeUInt32BE(moov.readUInt32BE(at) + delta, at);
        } else {
          const at = table.start + 16 + i * 8;
          moov.writeBigUInt64BE(moov.readBigUInt64BE(at) + BigInt(delta), at);
        }
      }
    }
  }
}

/** Write `tags` into the .m4a at `file` (temp file + rename). */
export async function writeMp4Tags(file: string, tags: Mp4Tags): Promise<void> {
  const out = withMp4Tags(await readFile(file), tags);
  await atomicWriteFile(file, out);
}
