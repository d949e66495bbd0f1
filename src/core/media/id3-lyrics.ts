/**
 * Makes an mp3's lyrics a real ID3 USLT frame. ffmpeg 5.1's id3v2 muxer writes the `lyrics` key as a TXXX
 * frame named `USLT` (and a re-read USLT comes back as `lyrics-XXX`, written again as TXXX; ffmpeg ticket
 * #8795), which players looking for unsynchronised lyrics ignore. This rewrites such TXXX frames of an
 * ID3v2.3 tag (what our mp3s carry, `-id3v2_version 3`) into one USLT frame, language `XXX` (unknown),
 * empty description, ISO-8859-1 when the text fits it, else UTF-16 with a BOM. Anything else in the tag is
 * copied byte for byte; a tag it does not understand (other version, unsynchronisation, extended header)
 * is left alone. The file is rewritten through a temp name and renamed.
 */
import { readFile } from "node:fs/promises";
import { atomicWriteFile } from "./library.js";

interface Frame {
  id: string;
  body: Buffer;
  flags: number;
}

function syncsafe(buf: Buffer, at: number): number {
  return (buf[at]! << 21) | (buf[at + 1]! << 14) | (buf[at + 2]! << 7) | buf[at + 3]!;
}

/** Text of an ID3 string in `encoding` (0 ISO-8859-1, 1 UTF-16 with BOM), trailing NULs dropped. */
function decodeText(encoding: number, bytes: Buffer): string {
  if (encoding === 0) return bytes.toString("latin1").replace(/\0+$/, "");
  if (encoding === 1) {
    let b = bytes;
    let le = true;
    if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) le = false;
    if (b.length >= 2 && (b[0] === 0xff || b[0] === 0xfe)) b = b.subarray(2);
    const even = Buffer.from(b.subarray(0, b.length - (b.length % 2)));
    if (!le) even.swap16();
    return even.toString("utf16le").replace(/\0+$/, "");
  }
  return bytes.toString("utf8").replace(/\0+$/, "");
}

/** A TXXX frame's description and value. */
function readTxxx(body: Buffer): { description: string; value: string } | undefined {
  const encoding = body[0];
  if (encoding === undefined || encoding > 3) return undefined;
  const wide = encoding === 1 || encoding === 2;
  let end = 1;
  if (wide) {
    while (end + 1 < body.length && !(body[end] === 0 && body[end + 1] === 0)) end += 2;
  } else {
    while (end < body.length && body[end] !== 0) end++;
  }
  const description = decodeText(encoding, body.subarray(1, end));
  const value = decodeText(encoding, body.subarray(Math.min(body.length, end + (wide ? 2 : 1))));
  return { description, value };
}

/** A USLT frame body: language `XXX`, empty description. */
export function usltBody(text: string): Buffer {
  // eslint-disable-next-line no-control-regex
  if (/^[\u0001-\u00ff]*$/.test(text)) {
    return Buffer.concat([
      Buffer.from([0]),
      Buffer.from("XXX", "latin1"),
      Buffer.from([0]),
      Buffer.from(text, "latin1"),
    ]);
  }
  const bom = Buffer.from([0xff, 0xfe]);
  return Buffer.concat([
    Buffer.from([1]),
    Buffer.from("XXX", "latin1"),
    bom,
    Buffer.from([0, 0]),
    bom,
    Buffer.from(text, "utf16le"),
  ]);
}

function isLyricsTxxx(description: string): boolean {
  const d = description.toLowerCase();
  return d === "uslt" || d === "lyrics" || d.startsWith("lyrics-");
}

/** The file's bytes with lyrics TXXX frames turned into one USLT frame; undefined when nothing changes. */
export function withUsltLyrics(file: Buffer): Buffer | undefined {
  if (file.length < 10 || file.toString("latin1", 0, 3) !== "ID3" || file[3] !== 3) return undefined;
  if ((file[5]! & 0xc0) !== 0) return undefined; // unsynchronisation or extended header
  const tagSize = syncsafe(file, 6);
  const end = 10 + tagSize;
  if (end > file.length) return undefined;
  const frames: Frame[] = [];
  let lyrics: string | undefined;
  let at = 10;
  while (at + 10 <= end && file[at] !== 0) {
    const id = file.toString("latin1", at, at + 4);
    const size = file.readUInt32BE(at + 4);
    if (at + 10 + size > end) return undefined;
    const body = file.subarray(at + 10, at + 10 + size);
    const txxx = id === "TXXX" ? readTxxx(body) : undefined;
    if (txxx && isLyricsTxxx(txxx.description)) lyrics ??= txxx.value;
    else if (id === "USLT" && lyrics === undefined)
      return undefined; // already a real USLT
    else frames.push({ id, body, flags: file.readUInt16BE(at + 8) });
    at += 10 + size;
  }
  if (lyrics === undefined) return undefined;
  frames.push({ id: "USLT", body: usltBody(lyrics), flags: 0 });
  const parts = frames.map((f) => {
    const head = Buffer.alloc(10);
    head.write(f.id, 0, "latin1");
    head.writeUInt32BE(f.body.length, 4);
    head.writeUInt16BE(f.flags, 8);
    return Buffer.concat([head, f.body]);
  });
  const body = Buffer.concat(parts);
  // Keep the old tag size when the frames fit (the rest stays padding), so the audio does not move.
  const size = Math.max(body.length, tagSize);
  const header = Buffer.from(file.subarray(0, 10));
  header.writeUInt8((size >> 21) & 0x7f, 6);
  header.writeUInt8((size >> 14) & 0x7f, 7);
  header.writeUInt8((size >> 7) & 0x7f, 8);
  header.writeUInt8(size & 0x7f, 9);
  return Buffer.concat([header, body, Buffer.alloc(size - body.length), file.subarray(end)]);
}

/** Turn the mp3 at `file`'s lyrics into a real USLT frame (see the file comment). */
export async function writeUsltLyrics(file: string): Promise<void> {
  const out = withUsltLyrics(await readFile(file));
  if (!out) return;
  await atomicWriteFile(file, out);
}
