/** Writes CD-DA WAV files of an exact length for TOC tests (silence; cdrdao only reads the header). */
import { writeFile } from "node:fs/promises";

/** A 44.1 kHz 16-bit stereo WAV of `samples` frames of silence. */
export async function writeSilentWav(filePath: string, samples: number): Promise<void> {
  const dataBytes = samples * 4;
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "ascii");
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write("WAVE", 8, "ascii");
  header.write("fmt ", 12, "ascii");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(44_100, 24);
  header.writeUInt32LE(44_100 * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "ascii");
  header.writeUInt32LE(dataBytes, 40);
  await writeFile(filePath, Buffer.concat([header, Buffer.alloc(dataBytes)]));
}
