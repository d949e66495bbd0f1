/**
 * What every benchmark prints: one JSON object per benchmark on its own stdout line, with goals reported
 * as data (a missed goal is a finding, not an error). Progress notes go to stderr so stdout stays JSON.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A target and whether this run met it. */
export interface Goal {
  goal: string;
  met: boolean;
}

/** One benchmark's figures. `benchmark` names it; everything else is benchmark-specific. */
export interface BenchResult {
  benchmark: string;
  goals: Goal[];
  [field: string]: unknown;
}

/** Build a goal entry. */
export function goal(text: string, met: boolean): Goal {
  return { goal: text, met };
}

/** Print one result as a single JSON line on stdout. */
export function emit(result: BenchResult): void {
  process.stdout.write(JSON.stringify(result) + "\n");
}

/** A progress note for the person watching (stderr, so stdout stays machine-readable). */
export function note(text: string): void {
  process.stderr.write(`[bench] ${text}\n`);
}

/** True when the module at `metaUrl` is the script node was asked to run (not an import). */
export function isMain(metaUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(metaUrl));
  } catch {
    return false;
  }
}

/**
 * Run a benchmark script's main function: print its results, exit 0 when it ran (goals met or not) and
 * 1 when it broke. The explicit exit also ends any handle a failure left open.
 */
export function runMain(main: () => Promise<BenchResult[]>): void {
  main().then(
    (results) => {
      for (const result of results) emit(result);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(
        `[bench] error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
