/**
 * `cd-collector match`: JSON lines on stdin (`{track, candidates}`, or recorded cases `{spotifyTrack,
 * searches}`) -> `{choice, confidence, reasons, needsReview}` per line.
 */
import { runMatchCommand } from "../core/matching/match-command.js";
import { loadForCommand } from "./context.js";

export async function matchCommand(options: { config?: string; verbose: boolean }): Promise<number> {
  const { config } = loadForCommand(options.config);
  const summary = await runMatchCommand(process.stdin, process.stdout, {
    minConfidence: config.matching.minConfidence,
    maxDurationDeltaSeconds: config.matching.maxDurationDeltaSeconds,
    verbose: options.verbose,
  });
  const cost =
    summary.recorded > 0
      ? `, ${summary.searches} search request(s) for ${summary.recorded} recorded case(s) (${(summary.searches / summary.recorded).toFixed(2)} per track)`
      : "";
  process.stderr.write(
    `${summary.lines} line(s), ${summary.needsReview} need review, ${summary.errors} error(s)${cost}\n`,
  );
  return summary.errors > 0 ? 1 : 0;
}
