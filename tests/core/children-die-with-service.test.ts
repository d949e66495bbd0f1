/**
 * A program the service started does not outlive it: when the service process is killed outright
 * (SIGKILL, a crash, the OOM killer), the kernel stops its children (parent-death signal).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot, tsxLoader } from "../helpers/cli.js";
import { eventually, processesMentioning } from "../helpers/processes.js";

describe("programs started by the service", () => {
  it("die within a second when the service is killed with SIGKILL", async () => {
    // A unique sleep length marks this test's program in `ps`.
    const marker = `71.${process.pid}${Math.floor(Math.random() * 1e6)}`;
    const runner = pathToRunner();
    const service = spawn(
      process.execPath,
      [
        "--import",
        tsxLoader,
        "--input-type=module",
        "-e",
        `const { runProcess } = await import(${JSON.stringify(runner)});
         runProcess("sleep", [${JSON.stringify(marker)}]).catch(() => undefined);
         setTimeout(() => console.log("ready"), 100);
         setInterval(() => undefined, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    service.stdout.on("data", (c: Buffer) => (out += c.toString()));
    try {
      expect(await eventually(() => out.includes("ready"), 20_000)).toBe(true);
      expect(await eventually(() => processesMentioning(`sleep ${marker}`).length === 1, 5_000)).toBe(true);
      service.kill("SIGKILL");
      await once(service, "exit");
      const gone = await eventually(() => processesMentioning(`sleep ${marker}`).length === 0, 1_000);
      expect(gone, processesMentioning(`sleep ${marker}`).join("\n")).toBe(true);
    } finally {
      service.kill("SIGKILL");
      for (const line of processesMentioning(`sleep ${marker}`))
        process.kill(Number(line.trim().split(" ")[0]), "SIGKILL");
    }
  });
});

function pathToRunner(): string {
  return path.join(projectRoot, "src/core/process-runner.ts");
}
