/**
 * Runs the benchmarks (all, or the ones named: `npm run bench -- pipeline intake`) and prints one JSON
 * object: the machine, every result with its goals ({goal, met}), what was skipped, and errors. Each
 * benchmark runs in its own Node process, so one's memory figures never include another's leftovers.
 * Exits non-zero only when a benchmark broke, never because a goal was missed.
 */
import { fileURLToPath } from "node:url";
import { ProcessError, runProcess } from "../src/core/process-runner.js";
import type { BenchResult } from "./bench-result.js";
import { machineInfo } from "./machine.js";

interface BenchmarkEntry {
  /** Script that prints the result (one JSON line per benchmark). */
  script?: string;
  /** Why the benchmark cannot run yet. */
  todo?: string;
}

/** Every benchmark by name, in the order they run. */
const benchmarks: Record<string, BenchmarkEntry> = {
  pipeline: { script: "pipeline.ts" },
  repeat: { script: "pipeline.ts" },
  intake: { script: "intake.ts" },
  memory: { script: "memory.ts" },
  bot: { script: "bot.ts" },
  "youtube-budget": { script: "youtube-budget.ts" },
};

interface BenchError {
  benchmark: string;
  error: string;
  stderrTail?: string;
}

const root = fileURLToPath(new URL("..", import.meta.url));

/** Run one benchmark script in its own process; its stdout lines are results. */
async function runScript(script: string, args: string[]): Promise<BenchResult[]> {
  const { stdout } = await runProcess(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL(`./${script}`, import.meta.url)), ...args],
    {
      cwd: root,
      timeoutMs: 20 * 60_000,
      onStderrLine: (line) => process.stderr.write(`${line}\n`),
    },
  );
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as BenchResult);
}

async function main(): Promise<number> {
  const asked = process.argv.slice(2).filter((a) => a !== "--");
  const unknown = asked.filter((name) => !(name in benchmarks));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark(s): ${unknown.join(", ")}; known: ${Object.keys(benchmarks).join(", ")}\n`,
    );
    return 2;
  }
  const selected = new Set(asked.length > 0 ? asked : Object.keys(benchmarks));
  const started = new Date();
  const machine = await machineInfo();
  const results: BenchResult[] = [];
  const skipped: { benchmark: string; reason: string }[] = [];
  const errors: BenchError[] = [];

  const attempt = async (names: string[], script: string, args: string[] = []) => {
    try {
      const out = await runScript(script, args);
      results.push(...out.filter((r) => names.includes(r.benchmark)));
      for (const name of names) {
        if (!out.some((r) => r.benchmark === name))
          errors.push({ benchmark: name, error: "printed no result" });
      }
    } catch (err) {
      for (const name of names) {
        errors.push({
          benchmark: name,
          error: err instanceof Error ? err.message : String(err),
          ...(err instanceof ProcessError ? { stderrTail: err.stderrTail.slice(-1500) } : {}),
        });
      }
    }
  };

  // pipeline and repeat share one process: repeat is "the same playlist again, after the pipeline run".
  const pipelineNames = ["pipeline", "repeat"].filter((n) => selected.has(n));
  if (pipelineNames.length > 0) {
    const args = [
      ...(selected.has("repeat") ? ["--repeat"] : []),
      ...(selected.has("pipeline") ? [] : ["--no-baseline"]),
    ];
    await attempt(pipelineNames, "pipeline.ts", args);
  }
  for (const name of Object.keys(benchmarks).filter(
    (n) => !pipelineNames.includes(n) && n !== "repeat" && n !== "pipeline",
  )) {
    if (!selected.has(name)) continue;
    const entry = benchmarks[name]!;
    if (entry.script) await attempt([name], entry.script);
    else skipped.push({ benchmark: name, reason: entry.todo ?? "not available" });
  }

  const finished = new Date();
  const report = {
    machine,
    startedAt: started.toISOString(),
    totalSeconds: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
    results,
    goalsMissed: results.flatMap((r) =>
      r.goals.filter((g) => !g.met).map((g) => `${r.benchmark}: ${g.goal}`),
    ),
    skipped,
    errors,
  };
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  return errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `[bench] runner failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
