import { execFileSync } from "node:child_process";

/** Command lines of running processes that mention `marker` (a temp dir, say). */
export function processesMentioning(marker: string): string[] {
  return execFileSync("ps", ["-eo", "pid,args"])
    .toString()
    .split("\n")
    .filter((line) => line.includes(marker) && !line.includes("ps -eo"));
}

/** Wait until `check` holds, polling; false if it never did. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  stepMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
