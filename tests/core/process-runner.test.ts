import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ProcessError, ProgramNotFoundError, runProcess } from "../../src/core/process-runner.js";

/** Pids of processes whose command line contains `marker`. */
function processesWith(marker: string): string[] {
  return execFileSync("ps", ["-eo", "pid,args"])
    .toString()
    .split("\n")
    .filter((line) => line.includes(marker) && !line.includes("ps -eo"));
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

// A parent shell that starts a grandchild sleeping; both carry a unique marker in their arguments.
// The marker is a unique sleep length, so `ps` finds exactly these processes.
function treeScript(marker: string): string[] {
  return ["-c", `sleep ${marker} & sleep 1${marker}; wait`, "sh"];
}

function uniqueMarker(): string {
  return `30.${process.pid}${Math.floor(Math.random() * 1e6)}`;
}

describe("process runner", () => {
  it("runs without a shell and gives output, lines and the exit code", async () => {
    const lines: string[] = [];
    const result = await runProcess("printf", ["a\\nb;$(echo no)\\n"], {
      onStdoutLine: (l) => lines.push(l),
    });
    expect(result.exitCode).toBe(0);
    expect(lines).toEqual(["a", "b;$(echo no)"]);
  });

  it("fails with the exit code and the tail of stderr", async () => {
    const error = (await runProcess("sh", ["-c", "echo first >&2; echo 'the real reason' >&2; exit 3"]).catch(
      (e: unknown) => e,
    )) as ProcessError;
    expect(error).toBeInstanceOf(ProcessError);
    expect(error.failure).toBe("exit");
    expect(error.exitCode).toBe(3);
    expect(error.stderrTail).toContain("the real reason");
    expect(error.message).toContain("exited with code 3");
  });

  it("says when a program is not installed", async () => {
    await expect(runProcess("cdc-no-such-program", [])).rejects.toBeInstanceOf(ProgramNotFoundError);
  });

  it("kills the whole process tree within 1 s on abort", async () => {
    const marker = uniqueMarker();
    const controller = new AbortController();
    const running = runProcess("sh", treeScript(marker), { signal: controller.signal });
    expect(await waitUntil(() => processesWith(marker).length >= 2, 3000)).toBe(true);
    const aborted = Date.now();
    controller.abort();
    const error = (await running.catch((e: unknown) => e)) as ProcessError;
    expect(error.failure).toBe("aborted");
    expect(await waitUntil(() => processesWith(marker).length === 0, 1000)).toBe(true);
    expect(Date.now() - aborted).toBeLessThan(1500);
  });

  it("kills the whole process tree on timeout", async () => {
    const marker = uniqueMarker();
    const error = (await runProcess("sh", treeScript(marker), { timeoutMs: 300 }).catch(
      (e: unknown) => e,
    )) as ProcessError;
    expect(error.failure).toBe("timeout");
    expect(error.message).toContain("timed out after 300 ms");
    expect(await waitUntil(() => processesWith(marker).length === 0, 1000)).toBe(true);
  });

  it("kills a program that ignores SIGTERM", async () => {
    const marker = uniqueMarker();
    const controller = new AbortController();
    const running = runProcess("sh", ["-c", `trap '' TERM; sleep ${marker}; wait`, "sh"], {
      signal: controller.signal,
      killGraceMs: 200,
    });
    expect(await waitUntil(() => processesWith(marker).length >= 1, 3000)).toBe(true);
    controller.abort();
    await expect(running).rejects.toMatchObject({ failure: "aborted" });
    expect(await waitUntil(() => processesWith(marker).length === 0, 1000)).toBe(true);
  });

  it("feeds stdin and closes it", async () => {
    const result = await runProcess("cat", [], { input: "hello" });
    expect(result.stdout).toBe("hello");
  });
});
