/**
 * The 22 labelled real cases (tests/fixtures/recorded/youtube-music-matching.jsonl.gz) through
 * `cd-collector match`'s code: the Spotify track as the catalog reads it, the production search plan, the
 * production parser and scorer. A pick outside `acceptable` that is not flagged for review is wrong.
 */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { runMatchCommand } from "../../../src/core/matching/match-command.js";
import { defaultMatchOptions } from "../../../src/core/matching/scorer.js";
import { readRecorded } from "../../fixtures/recorded/read-recorded.js";

interface Labelled {
  case: string;
  spotifyTrack: { name: string; artists: { name: string }[] };
  acceptable: string[];
}
interface Answer {
  case: string;
  searches: number;
  choice: { id: string; title: string; kind?: string } | null;
  confidence: number;
  needsReview: boolean;
  reasons: string[];
}

describe("recorded YouTube Music cases through the match command", () => {
  it("picks no wrong recording, at least 21 of 22 right, with at most 1.3 searches per track", async () => {
    const lines = readRecorded("youtube-music-matching.jsonl.gz") as Labelled[];
    expect(lines).toHaveLength(22);
    const input = new PassThrough();
    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on("data", (c: Buffer) => chunks.push(c));
    const done = runMatchCommand(input, output, defaultMatchOptions);
    for (const line of lines) input.write(`${JSON.stringify(line)}\n`);
    input.end();
    const summary = await done;
    const answers = Buffer.concat(chunks)
      .toString("utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Answer);

    const rows: string[] = [];
    let right = 0;
    const wrong: string[] = [];
    answers.forEach((a, i) => {
      const labelled = lines[i]!;
      expect(a.case).toBe(labelled.case);
      const ok = a.choice !== null && labelled.acceptable.includes(a.choice.id);
      const verdict = a.needsReview ? "review" : ok ? "right" : "WRONG";
      if (verdict === "right") right++;
      if (verdict === "WRONG") wrong.push(`${labelled.case}: ${a.choice?.id} (${a.reasons.join("; ")})`);
      const who = labelled.spotifyTrack.artists.map((x) => x.name).join(", ");
      rows.push(
        `${verdict.padEnd(6)} ${String(a.confidence).padStart(3)}  ${a.searches}  ${a.choice?.id ?? "-".padEnd(11)} ` +
          `${(a.choice?.kind ?? "").padEnd(14)} ${who} - ${labelled.spotifyTrack.name}`,
      );
    });
    const mean = summary.searches / summary.recorded;
    console.log(
      `recorded YouTube Music cases: ${right} right, ${wrong.length} wrong, ${summary.needsReview} flagged for review; ` +
        `${summary.searches} searches for ${summary.recorded} tracks (${mean.toFixed(2)} per track)\n` +
        `verdict conf req pick        kind           track\n${rows.join("\n")}`,
    );
    expect(summary.errors).toBe(0);
    expect(wrong).toEqual([]);
    expect(right).toBeGreaterThanOrEqual(21);
    expect(mean).toBeLessThanOrEqual(1.3);
  });
});
