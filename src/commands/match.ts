/** `cd-collector match`: JSON lines `{track, candidates}` on stdin -> `{choice, confidence, reasons}` per line. */
import { runMatchCommand } from "../core/matching/match-command.js";
import { loadForCommand } from "./context.js";

export async function matchCommand(options: { config?: string; verbose: boolean }): Promise<number> {
  const { config } = loadForCommand(options.config);
  const summary = await runMatchCommand(process.stdin, process.stdout, {
    minConfidence: config.matching.minConfidence,
    maxDurationDeltaSeconds: config.matching.maxDurationDeltaSeconds,
    verbose: options.verbose,
  });
  process.stderr.write(
    `${summary.lines} line(s), ${summary.needsReview} need review, ${summary.errors} error(s)\n`,
  );
  return summary.errors > 0 ? 1 : 0;
}
