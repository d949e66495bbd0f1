#!/usr/bin/env node
// A stand-in for `cdrdao` on machines without a CD writer (tests, demo).
//
// - `toc-info`, `toc-size` (and any other command but write/simulate) run the REAL cdrdao with the same
//   arguments, so TOC checks stay real.
// - `write` / `simulate` first ask the real cdrdao for the TOC's size (so a bad TOC fails as it would),
//   then print cdrdao 1.2.4's own stderr lines with a short delay between them. Progress lines end with
//   "\r" as cdrdao's do.
//
// Environment:
//   FAKE_CDRDAO_MODE      ok | no-drive | busy | permission | no-disk | not-blank | too-small  (default ok)
//                         (`disk-info` answers in the same modes: a blank disc, or the drive's error)
//   FAKE_CDRDAO_DELAY_MS  delay between lines (default 5)
//   FAKE_CDRDAO_PID_FILE  write this process's pid there at start (tests check an abort killed it)
//   FAKE_CDRDAO_ARGS_FILE write the arguments there as JSON (tests check what was asked for)
//   FAKE_CDRDAO_REAL      the real cdrdao (default: "cdrdao" on PATH)
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";

const real = process.env.FAKE_CDRDAO_REAL || "cdrdao";
const mode = process.env.FAKE_CDRDAO_MODE || "ok";
const delayMs = Number(process.env.FAKE_CDRDAO_DELAY_MS ?? 5);
const args = process.argv.slice(2);
const command = args[0];

if (process.env.FAKE_CDRDAO_PID_FILE) writeFileSync(process.env.FAKE_CDRDAO_PID_FILE, String(process.pid));
if (process.env.FAKE_CDRDAO_ARGS_FILE) writeFileSync(process.env.FAKE_CDRDAO_ARGS_FILE, JSON.stringify(args));

if (command === "disk-info") {
  await fakeDiskInfo();
} else if (command !== "write" && command !== "simulate") {
  const child = spawn(real, args, { stdio: "inherit" });
  child.on("error", (err) => {
    process.stderr.write(`fake-cdrdao: cannot run ${real}: ${err.message}\n`);
    process.exit(127);
  });
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  await fakeWrite();
}

function option(name, fallback) {
  const i = args.indexOf(name);
  return i !== -1 && i + 1 < args.length ? args[i + 1] : fallback;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function say(text) {
  process.stderr.write(text);
  if (delayMs > 0) await sleep(delayMs);
}

async function cannotOpen(device, reason) {
  await say(`ERROR: Unable to open SCSI device ${device}: ${reason}.\n`);
  await say(
    "ERROR: Please use option '--device {[proto:]bus,id,lun}|device', e.g. --device 0,6,0, --device ATA:0,0,0 or --device /dev/cdrom\n",
  );
  await say(`ERROR: Cannot setup device ${device}.\n`);
  process.exit(1);
}

// cdrdao 1.2.4's `disk-info`: the drive's errors on stderr as `write` gives them, the disc on stdout.
async function fakeDiskInfo() {
  const device = option("--device", "/dev/cdrw");
  await say("Cdrdao version 1.2.4 - (C) Andreas Mueller <andreas@daneb.de>\n");
  if (mode === "no-drive") await cannotOpen(device, "No such file or directory");
  if (mode === "busy") await cannotOpen(device, "Device or resource busy");
  if (mode === "permission") await cannotOpen(device, "Permission denied");
  await say(`${device}: HL-DT-ST DVDRAM GH24NSD1\tRev: LG00\n`);
  await say("Using driver: Generic SCSI-3/MMC - Version 2.0 (options 0x0010)\n\n");
  if (mode === "no-disk") {
    await say("ERROR: Unit not ready, giving up.\n");
    await say(`ERROR: Cannot setup device ${device}.\n`);
    process.exit(1);
  }
  const blank = mode !== "not-blank";
  process.stdout.write(
    [
      "That data below may not reflect the real status of the inserted medium",
      "if a simulation run was performed before. Reload the medium in this case.",
      "",
      "CD-RW                : no",
      "Total Capacity       : 79:59:74 (359999 blocks, 703 MB)",
      "CD-R medium          : Taiyo Yuden Company Limited",
      "Recording Speed      : 0X - 48X",
      `CD-R empty           : ${blank ? "yes" : "no"}`,
      ...(blank
        ? ["Remaining Capacity   : 79:59:74 (359999 blocks, 703 MB)"]
        : ["Toc Type             : CD-DA or CD-ROM"]),
      `Appendable           : ${blank ? "yes" : "no"}`,
      "",
    ].join("\n"),
  );
  process.exit(0);
}

async function fakeWrite() {
  const simulate = command === "simulate" || args.includes("--simulate");
  const device = option("--device", "/dev/cdrw");
  const speed = Number(option("--speed", "8"));
  const toc = args.at(-1);

  await say("Cdrdao version 1.2.4 - (C) Andreas Mueller <andreas@daneb.de>\n");

  // Like the real one, parse and check the TOC before touching the device.
  const size = spawnSync(real, ["toc-size", toc], { encoding: "utf8" });
  const info = spawnSync(real, ["toc-info", toc], { encoding: "utf8" });
  if (size.status !== 0 || info.status !== 0) {
    process.stderr.write((size.stderr || "").split("\n").slice(1).join("\n"));
    process.exit(1);
  }
  const blocks = Number(size.stdout.trim());
  const tracks = Number(/: (\d+) tracks?/.exec(info.stdout)?.[1] ?? 1);
  const totalMb = Math.max(1, Math.floor((blocks * 2352) / 2 ** 20));

  if (mode === "no-drive") await cannotOpen(device, "No such file or directory");
  if (mode === "busy") await cannotOpen(device, "Device or resource busy");
  if (mode === "permission") await cannotOpen(device, "Permission denied");

  await say(`${device}: HL-DT-ST DVDRAM GH24NSD1\tRev: LG00\n`);
  await say("Using driver: Generic SCSI-3/MMC - Version 2.0 (options 0x0010)\n\n");

  if (mode === "no-disk") {
    for (let i = 0; i < 3; i++) await say("WARNING: Unit not ready, still trying...\n");
    await say("ERROR: Unit not ready, giving up.\n");
    await say(`ERROR: Cannot setup device ${device}.\n`);
    process.exit(1);
  }
  if (mode === "not-blank") {
    await say("ERROR: Inserted disk is not empty and not appendable.\n");
    process.exit(1);
  }
  if (mode === "too-small") {
    await say(
      `ERROR: Length of toc (81:00:00, 364500 blocks) exceeds capacity of CD-R (79:57:74, 359849 blocks).\n`,
    );
    await say("ERROR: Please use option '--overburn' to startrecording anyway.\n");
    process.exit(1);
  }

  await say(`Starting write ${simulate ? "simulation " : ""}at speed ${speed}...\n`);
  await say("Process can be aborted with QUIT signal (usually CTRL-\\).\n");
  await say("Turning BURN-Proof on\n");
  if (simulate) await say("Skipping optimum power calibration in simulation mode.\n");
  else {
    await say("Executing power calibration...\n");
    await say("Power calibration successful.\n");
  }
  await say("Writing CD-TEXT lead-in...\n");
  await say("Writing lead-in and gap...\n");
  let wrote = 0;
  for (let track = 1; track <= tracks; track++) {
    await say(`Writing track ${String(track).padStart(2, "0")} (mode AUDIO/AUDIO )...\n`);
    const until = Math.round((totalMb * track) / tracks);
    while (wrote < until) {
      wrote++;
      await say(`Wrote ${wrote} of ${totalMb} MB (Buffers 100% ${String(99).padStart(3, " ")}%).\r`);
    }
  }
  await say("\nWriting lead-out...\n");
  await say("Flushing cache...\n");
  await say(simulate ? "Simulation finished successfully.\n" : "Writing finished successfully.\n");
  process.exit(0);
}
