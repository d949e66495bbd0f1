/**
 * deploy/systemd/*.service, checked with systemd's own tools (no running systemd needed):
 * `systemd-analyze verify` (syntax, known keys, values, the ExecStart binary) and
 * `systemd-analyze security --offline` (exposure score), plus the settings a deployment relies on.
 *
 * verify runs on a temp copy whose ExecStart script and EnvironmentFile point at files that exist
 * here; systemd 252's verify checks the ExecStart binary (/usr/bin/node, which stays) but resolves
 * neither User= nor EnvironmentFile= (both are start-time checks), so no system user is created.
 * verify exits 0 on "Unknown key ... ignoring", so any stderr output counts as a failure.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import toml from "toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProcess } from "../../src/core/process-runner.js";

const root = path.resolve(import.meta.dirname, "../..");
const unitDir = path.join(root, "deploy/systemd");
const unitFiles = readdirSync(unitDir)
  .filter((f) => f.endsWith(".service"))
  .sort();
const roleOf: Record<string, string> = {
  "cd-collector-bot.service": "bot",
  "cd-collector-worker@.service": "worker",
  "cd-collector-burner.service": "burner",
};

/** `[Section]` -> key -> every value (keys may repeat). */
type Unit = Map<string, Map<string, string[]>>;

function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf("=");
    if (!section || eq < 0) throw new Error(`not a unit file line: ${line}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

function service(file: string): Map<string, string[]> {
  const unit = parseUnit(readFileSync(path.join(unitDir, file), "utf8"));
  const section = unit.get("Service");
  if (!section) throw new Error(`${file} has no [Service]`);
  return section;
}

/** The last value of a key, as systemd reads it. */
function value(section: Map<string, string[]>, key: string): string | undefined {
  return section.get(key)?.at(-1);
}

function shutdownDeadlineSeconds(): number {
  const data = toml.parse(readFileSync(path.join(root, "config/bot.toml"), "utf8")) as {
    shutdownDeadlineSeconds?: number;
  };
  return data.shutdownDeadlineSeconds ?? 30;
}

async function analyze(args: string[]) {
  return runProcess("systemd-analyze", args, { timeoutMs: 30_000, okExitCodes: [0, 1] });
}

it("ships the bot, worker template and burner units", () => {
  expect(unitFiles).toEqual(Object.keys(roleOf).sort());
});

describe("systemd-analyze", () => {
  let dir: string;

  /** A copy of `file` with paths that exist here, under the name systemd should load it by. */
  function stage(file: string, text = readFileSync(path.join(unitDir, file), "utf8")): string {
    const rewritten = text
      .replaceAll("/etc/cd-collector/env", path.join(dir, "env"))
      .replaceAll("/opt/cd-collector/current/dist/cli.js", path.join(dir, "cli.js"));
    expect(rewritten).not.toContain("/etc/cd-collector/env");
    // A template is verified as one of its instances.
    const name = file.replace("@.service", "@9101.service");
    const target = path.join(dir, name);
    writeFileSync(target, rewritten);
    return target;
  }

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cdc-systemd-"));
    writeFileSync(path.join(dir, "env"), "TELEGRAM_BOT_TOKEN=123456789:AAAAAAAAAAAAAAAAAAAAAAAA\n");
    writeFileSync(path.join(dir, "cli.js"), "");
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(unitFiles)("verify passes %s without a complaint", async (file) => {
    const result = await analyze(["verify", "--man=no", stage(file)]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
  });

  it("verify's complaints are seen: a misspelt key and a missing binary", async () => {
    const text = readFileSync(path.join(unitDir, "cd-collector-bot.service"), "utf8");
    const typo = await analyze([
      "verify",
      "--man=no",
      stage("cd-collector-bot.service", text.replace("ProtectSystem=", "ProtectSytem=")),
    ]);
    expect(typo.stderr).toMatch(/Unknown key 'ProtectSytem'/);
    const missing = await analyze([
      "verify",
      "--man=no",
      stage("cd-collector-bot.service", text.replace("/usr/bin/node ", "/nonexistent/node ")),
    ]);
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stderr).toMatch(/is not executable/);
  });

  it.each(unitFiles)("%s is hardened (offline security exposure at most 2.5)", async (file) => {
    const result = await analyze(["security", "--offline=true", "--threshold=25", "--no-pager", stage(file)]);
    expect(result.stdout).toMatch(/Overall exposure level/);
    expect(result.exitCode, result.stdout.split("\n").slice(-3).join("\n")).toBe(0);
  });

  it("the threshold rejects an unhardened unit", async () => {
    const plain = "[Service]\nExecStart=/usr/bin/node /opt/cd-collector/current/dist/cli.js\n";
    const result = await analyze([
      "security",
      "--offline=true",
      "--threshold=25",
      stage("plain.service", plain),
    ]);
    expect(result.exitCode).not.toBe(0);
  });
});

describe.each(unitFiles)("%s", (file) => {
  const section = service(file);
  const role = roleOf[file]!;

  it("runs the role from the installed release with the /etc config, as cd-collector", () => {
    expect(value(section, "ExecStart")).toBe(
      `/usr/bin/node /opt/cd-collector/current/dist/cli.js start --role ${role} --config /etc/cd-collector/bot.toml`,
    );
    expect(value(section, "User")).toBe("cd-collector");
    expect(value(section, "EnvironmentFile")).toBe("/etc/cd-collector/env");
    expect(section.get("Environment")).toContain("DATA_DIR=/var/lib/cd-collector");
  });

  it("drains on SIGTERM before systemd kills it, and restarts after a crash", () => {
    expect(value(section, "KillMode")).toBe("mixed");
    expect(Number(value(section, "TimeoutStopSec"))).toBeGreaterThan(shutdownDeadlineSeconds());
    expect(value(section, "Restart")).toBe("on-failure");
  });

  it("has the hardening settings", () => {
    expect(value(section, "NoNewPrivileges")).toBe("yes");
    expect(value(section, "ProtectSystem")).toBe("strict");
    expect(value(section, "ReadWritePaths")).toBe("/var/lib/cd-collector");
    expect(value(section, "PrivateTmp")).toBe("yes");
    expect(value(section, "ProtectHome")).toBe("yes");
    expect(value(section, "ProtectKernelTunables")).toBe("yes");
    expect(value(section, "ProtectKernelModules")).toBe("yes");
    expect(value(section, "ProtectControlGroups")).toBe("yes");
    // V8 needs writable+executable memory for its JIT.
    expect(section.has("MemoryDenyWriteExecute")).toBe(false);
  });

  it("sees devices only as its role needs", () => {
    if (role === "burner") {
      expect(value(section, "PrivateDevices")).toBe("no");
      expect(section.get("DeviceAllow")).toEqual(["/dev/sr0 rw"]);
      expect(value(section, "SupplementaryGroups")).toBe("cdrom");
    } else {
      expect(value(section, "PrivateDevices")).toBe("yes");
      expect(section.has("DeviceAllow")).toBe(false);
      expect(section.has("SupplementaryGroups")).toBe(false);
    }
  });
});

it("gives every worker instance its own HTTP port and the burner one apart from the bot's", () => {
  expect(service("cd-collector-worker@.service").get("Environment")).toContain("HTTP_PORT=%i");
  const burnerPort = service("cd-collector-burner.service")
    .get("Environment")
    ?.find((e) => e.startsWith("HTTP_PORT="));
  expect(burnerPort).toBeDefined();
  expect(burnerPort).not.toBe("HTTP_PORT=8080");
  expect(
    service("cd-collector-bot.service")
      .get("Environment")
      ?.some((e) => e.startsWith("HTTP_PORT=")),
  ).toBe(false);
});
