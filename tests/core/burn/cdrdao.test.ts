import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  burnToc,
  checkToc,
  classifyCdrdaoFailure,
  parseCdrdaoLine,
  type BurnError,
  type CdrdaoEvent,
} from "../../../src/core/burn/cdrdao.js";
import { planDiscs } from "../../../src/core/burn/disc-planner.js";
import { writeToc } from "../../../src/core/burn/toc-writer.js";
import { writeSilentWav } from "./wav-fixture.js";

const FAKE_CDRDAO = fileURLToPath(new URL("../../../scripts/fake-cdrdao.mjs", import.meta.url));

let dir: string;
beforeEach(async () => {
  // A directory name with a space, a quote and a non-ASCII letter exercises the FILE escaping.
  dir = path.join(await mkdtemp(path.join(os.tmpdir(), "cdc-burn-")), 'Disc "1" für');
  await mkdir(dir, { recursive: true });
});
afterEach(async () => {
  await rm(path.dirname(dir), { recursive: true, force: true });
});

interface DiscTrack {
  id: string;
  title: string;
  performer: string;
  isrc?: string;
  samples: number;
}

/** Writes the WAVs and the TOC for `tracks`; returns the TOC path and the plan for the same tracks. */
async function makeDisc(tracks: DiscTrack[]) {
  const plan = planDiscs(tracks);
  expect(plan.discs).toHaveLength(1);
  const tocTracks = [];
  for (const [i, entry] of plan.discs[0]!.tracks.entries()) {
    const wav = path.join(dir, `${String(i + 1).padStart(2, "0")}.wav`);
    await writeSilentWav(wav, entry.sectors * 588);
    tocTracks.push({
      path: wav,
      title: entry.track.title,
      performer: entry.track.performer,
      isrc: entry.track.isrc,
    });
  }
  const tocPath = path.join(dir, "disc.toc");
  await writeFile(
    tocPath,
    writeToc({ tracks: tocTracks }, { title: "Тест «Disc»", performer: "Various", catalog: "0123456789012" }),
  );
  return { tocPath, plan };
}

const sampleTracks: DiscTrack[] = [
  { id: "a", title: "Группа крови", performer: "Кино", isrc: "RU-A06-12-00001", samples: 5 * 44_100 + 17 },
  { id: "b", title: "さくら (桜)", performer: "森山直太朗", isrc: "JPTO00300001", samples: 3 * 44_100 },
  { id: "c", title: 'Say "Hi" \\ Bye\\', performer: "Beyoncé", samples: 7 * 44_100 },
];

describe("checkToc with the real cdrdao", () => {
  it("accepts a TOC with CD-TEXT, ISRCs, a catalog and escaped titles, and its size matches the plan", async () => {
    const { tocPath, plan } = await makeDisc(sampleTracks);
    const check = await checkToc(tocPath);
    expect(check.tracks).toBe(3);
    expect(check.discSectors).toBe(plan.discs[0]!.sectors);
    expect(check.sectors).toBe(plan.discs[0]!.sectors - 150);
    expect(check.summary).toMatch(/3 tracks/);
  });

  it("names a missing WAV in a clear error", async () => {
    const { tocPath } = await makeDisc(sampleTracks);
    await rm(path.join(dir, "02.wav"));
    const err = (await checkToc(tocPath).catch((e: unknown) => e)) as BurnError;
    expect(err.code).toBe("burn_toc_invalid");
    expect(err.userMessage).toMatch(
      /^cdrdao rejected the disc layout: Cannot open audio file ".*02\.wav": No such file or directory/,
    );
  });

  it("reports a track shorter than 4 seconds", async () => {
    await writeSilentWav(path.join(dir, "short.wav"), 44_100);
    const tocPath = path.join(dir, "short.toc");
    await writeFile(
      tocPath,
      writeToc(
        { tracks: [{ path: "short.wav", title: "t", performer: "p" }] },
        { title: "a", performer: "b" },
      ),
    );
    const err = (await checkToc(tocPath).catch((e: unknown) => e)) as BurnError;
    expect(err.code).toBe("burn_toc_invalid");
    expect(err.userMessage).toMatch(/Track 1: Length is shorter than 4 seconds/);
  });

  it("says when cdrdao is not installed", async () => {
    const { tocPath } = await makeDisc(sampleTracks.slice(0, 1));
    const err = (await checkToc(tocPath, { cdrdaoPath: "/nonexistent/cdrdao" }).catch(
      (e: unknown) => e,
    )) as BurnError;
    expect(err.code).toBe("burn_cdrdao_missing");
  });
});

describe("burnToc against scripts/fake-cdrdao.mjs", () => {
  const env = (mode: string, extra: Record<string, string> = {}) => ({
    ...process.env,
    FAKE_CDRDAO_MODE: mode,
    FAKE_CDRDAO_DELAY_MS: "1",
    ...extra,
  });
  const bigDisc = () =>
    makeDisc([
      { id: "1", title: "One", performer: "P", samples: 25 * 44_100 },
      { id: "2", title: "Two", performer: "P", samples: 25 * 44_100 },
      { id: "3", title: "Three", performer: "P", samples: 25 * 44_100 },
    ]);

  it("reports progress in order up to 100 % and passes device, driver, speed, --eject and -n", async () => {
    const { tocPath } = await bigDisc();
    const argsFile = path.join(dir, "args.json");
    const events: CdrdaoEvent[] = [];
    const result = await burnToc(tocPath, {
      cdrdaoPath: FAKE_CDRDAO,
      device: "/dev/sr1",
      driver: "generic-mmc:0x10",
      speed: 4,
      eject: true,
      env: env("ok", { FAKE_CDRDAO_ARGS_FILE: argsFile }),
      onProgress: (e) => events.push(e),
    });
    expect(result.simulate).toBe(false);
    expect(JSON.parse(await readFile(argsFile, "utf8"))).toEqual([
      "write",
      "--device",
      "/dev/sr1",
      "--driver",
      "generic-mmc:0x10",
      "--speed",
      "4",
      "--eject",
      "-n",
      tocPath,
    ]);
    expect(events[0]).toEqual({ type: "start", speed: 4, simulate: false });
    expect(events.at(-1)).toEqual({ type: "finished", simulate: false });
    expect(events.filter((e) => e.type === "track").map((e) => e.track)).toEqual([1, 2, 3]);
    const percents = events.flatMap((e) => (e.type === "progress" ? [e.percent] : []));
    expect(percents.length).toBeGreaterThan(3);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    const order = events.map((e) => e.type);
    expect(order.indexOf("track")).toBeLessThan(order.indexOf("progress"));
    expect(order.lastIndexOf("progress")).toBeLessThan(order.indexOf("finished"));
  });

  it("runs `cdrdao simulate` without --eject when asked", async () => {
    const { tocPath } = await bigDisc();
    const argsFile = path.join(dir, "args.json");
    const events: CdrdaoEvent[] = [];
    const result = await burnToc(tocPath, {
      cdrdaoPath: FAKE_CDRDAO,
      simulate: true,
      eject: false,
      env: env("ok", { FAKE_CDRDAO_ARGS_FILE: argsFile }),
      onProgress: (e) => events.push(e),
    });
    expect(result.simulate).toBe(true);
    const args = JSON.parse(await readFile(argsFile, "utf8")) as string[];
    expect(args[0]).toBe("simulate");
    expect(args).not.toContain("--eject");
    expect(args).toContain("-n");
    expect(events[0]).toEqual({ type: "start", speed: 8, simulate: true });
    expect(events.at(-1)).toEqual({ type: "finished", simulate: true });
  });

  it.each([
    ["no-drive", "burn_no_drive", /No CD writer at \/dev\/sr0/],
    ["busy", "burn_drive_busy", /\/dev\/sr0 is busy/],
    ["permission", "burn_permission", /"cdrom" group/],
    ["no-disk", "burn_no_disc", /no disc in \/dev\/sr0: insert a blank CD-R/],
    ["not-blank", "burn_disc_not_blank", /not blank/],
    ["too-small", "burn_disc_too_small", /needs 81:00:00, the disc holds 79:57:74/],
  ])("maps the %s failure to %s with a sentence for the operator", async (mode, code, message) => {
    const { tocPath } = await makeDisc(sampleTracks.slice(0, 1));
    const err = (await burnToc(tocPath, {
      cdrdaoPath: FAKE_CDRDAO,
      device: "/dev/sr0",
      env: env(mode),
    }).catch((e: unknown) => e)) as BurnError;
    expect(err.name).toBe("BurnError");
    expect(err.code).toBe(code);
    expect(err.userMessage).toMatch(message);
    expect(err.detail).not.toBe("");
  });

  it("fails on a TOC cdrdao rejects before touching the drive", async () => {
    const { tocPath } = await makeDisc(sampleTracks.slice(0, 1));
    await rm(path.join(dir, "01.wav"));
    const err = (await burnToc(tocPath, { cdrdaoPath: FAKE_CDRDAO, env: env("ok") }).catch(
      (e: unknown) => e,
    )) as BurnError;
    expect(err.code).toBe("burn_toc_invalid");
    expect(err.userMessage).toMatch(/Cannot open audio file/);
  });

  it("kills cdrdao when aborted", async () => {
    const { tocPath } = await bigDisc();
    const pidFile = path.join(dir, "pid");
    const controller = new AbortController();
    const progress: CdrdaoEvent[] = [];
    const err = (await burnToc(tocPath, {
      cdrdaoPath: FAKE_CDRDAO,
      signal: controller.signal,
      env: env("ok", { FAKE_CDRDAO_DELAY_MS: "200", FAKE_CDRDAO_PID_FILE: pidFile }),
      onProgress: (e) => {
        progress.push(e);
        if (e.type === "start") controller.abort();
      },
    }).catch((e: unknown) => e)) as BurnError;
    expect(err.code).toBe("burn_aborted");
    expect(progress.some((e) => e.type === "finished")).toBe(false);
    const pid = Number(await readFile(pidFile, "utf8"));
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
  });
});

describe("real cdrdao without a drive", () => {
  it("is classified as no drive", async () => {
    const { tocPath } = await makeDisc(sampleTracks.slice(0, 1));
    const err = (await burnToc(tocPath, { device: "/nonexistent/sr9", simulate: true }).catch(
      (e: unknown) => e,
    )) as BurnError;
    expect(err.code).toBe("burn_no_drive");
    expect(err.detail).toMatch(/Unable to open SCSI device \/nonexistent\/sr9: No such file or directory/);
  });
});

describe("parseCdrdaoLine", () => {
  it("reads cdrdao 1.2.4's progress lines", () => {
    expect(parseCdrdaoLine("Starting write at speed 8...")).toEqual({
      type: "start",
      speed: 8,
      simulate: false,
    });
    expect(parseCdrdaoLine("Starting write simulation at speed 16...")).toEqual({
      type: "start",
      speed: 16,
      simulate: true,
    });
    expect(parseCdrdaoLine("Writing track 07 (mode AUDIO/AUDIO )...")).toEqual({ type: "track", track: 7 });
    expect(parseCdrdaoLine("Wrote 12 of 45 MB (Buffers 100%  99%).")).toEqual({
      type: "progress",
      wroteMb: 12,
      totalMb: 45,
      percent: 26,
      fifoPercent: 100,
      drivePercent: 99,
    });
    expect(parseCdrdaoLine("Wrote 45 of 45 MB (Buffer  97%).")).toMatchObject({
      percent: 100,
      fifoPercent: 97,
    });
    expect(parseCdrdaoLine("Writing lead-out...")).toEqual({ type: "stage", stage: "lead-out" });
    expect(parseCdrdaoLine("Writing finished successfully.")).toEqual({ type: "finished", simulate: false });
    expect(parseCdrdaoLine("WARNING: Unit not ready, still trying...")).toEqual({
      type: "warning",
      message: "Unit not ready, still trying...",
    });
    expect(
      parseCdrdaoLine("Using driver: Generic SCSI-3/MMC - Version 2.0 (options 0x0010)"),
    ).toBeUndefined();
  });
});

describe("classifyCdrdaoFailure", () => {
  it("tells a TOC problem from a device problem when both say Permission denied", () => {
    const toc = classifyCdrdaoFailure(
      'ERROR: Cannot open audio file "/a/01.wav": Permission denied\nERROR: disc.toc:18: Cannot determine length of track data specification.',
    );
    expect(toc.code).toBe("burn_toc_invalid");
    const dev = classifyCdrdaoFailure(
      "ERROR: Unable to open SCSI device /dev/sr0: Permission denied.\nERROR: Cannot setup device /dev/sr0.",
    );
    expect(dev.code).toBe("burn_permission");
    expect(dev.message).toContain("/dev/sr0");
  });

  it("recognises an unsupported speed and a buffer underrun", () => {
    expect(classifyCdrdaoFailure("ERROR: Writing speed 52 not supported by device.").message).toMatch(
      /speed 52/,
    );
    expect(
      classifyCdrdaoFailure("ERROR: Writing failed - buffer under run?\nERROR: Writing failed.").code,
    ).toBe("burn_buffer_underrun");
    expect(classifyCdrdaoFailure("ERROR: Something new.").code).toBe("burn_failed");
  });
});
