/**
 * Finds CD writers from the kernel's CD-ROM table (`/proc/sys/dev/cdrom/info`), which lists every
 * optical drive as a column: `drive name:` gives the device names, `Can write CD-R:` says which can burn.
 * No cdrdao call and no device access: safe to run at start-up and in `doctor`.
 */
import { readFile } from "node:fs/promises";

/** The kernel's CD-ROM information file. */
export const CDROM_INFO_PATH = "/proc/sys/dev/cdrom/info";

export interface CdDrive {
  /** Kernel name, e.g. `sr0`. */
  name: string;
  /** Device path, e.g. `/dev/sr0`. */
  device: string;
  canWriteCdR: boolean;
  canWriteCdRw: boolean;
  /** Maximum speed the kernel reports, when it does. */
  speed?: number;
}

export type DriveDetection =
  | { found: true; writers: CdDrive[]; drives: CdDrive[] }
  | {
      found: false;
      code: "burn_no_writer";
      /** A sentence for the operator. */
      message: string;
      drives: CdDrive[];
    };

export interface DetectOptions {
  /** Where to read the table from (tests point it at a fixture). @defaultValue {@link CDROM_INFO_PATH} */
  infoPath?: string;
}

/** Parse the text of `/proc/sys/dev/cdrom/info` into drives. */
export function parseCdromInfo(text: string): CdDrive[] {
  const rows = new Map<string, string[]>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon === -1) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const values = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .filter((v) => v !== "");
    rows.set(key, values);
  }
  const names = rows.get("drive name") ?? [];
  const flag = (key: string, i: number) => rows.get(key)?.[i] === "1";
  return names.map((name, i) => {
    const speed = Number(rows.get("drive speed")?.[i]);
    return {
      name,
      device: `/dev/${name}`,
      canWriteCdR: flag("can write cd-r", i),
      canWriteCdRw: flag("can write cd-rw", i),
      ...(Number.isFinite(speed) && speed > 0 ? { speed } : {}),
    };
  });
}

/** List the drives that can write CD-R; a clear "no CD writer found" result when there is none. */
export async function detectCdWriters(options: DetectOptions = {}): Promise<DriveDetection> {
  const infoPath = options.infoPath ?? CDROM_INFO_PATH;
  let text: string;
  try {
    text = await readFile(infoPath, "utf8");
  } catch {
    return {
      found: false,
      code: "burn_no_writer",
      message: `No CD writer found: this machine has no optical drive (${infoPath} does not exist).`,
      drives: [],
    };
  }
  const drives = parseCdromInfo(text);
  const writers = drives.filter((d) => d.canWriteCdR);
  if (writers.length > 0) return { found: true, writers, drives };
  return {
    found: false,
    code: "burn_no_writer",
    message:
      drives.length === 0
        ? "No CD writer found: the kernel lists no optical drive."
        : `No CD writer found: ${drives.map((d) => d.device).join(", ")} can only read CDs.`,
    drives,
  };
}
