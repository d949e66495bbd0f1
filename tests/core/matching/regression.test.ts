/**
 * The labelled regression set: the scorer must never make a wrong confident pick, and must confidently
 * find at least 90 % of the tracks that have a right answer.
 */
import { describe, expect, it } from "vitest";
import { defaultMatchOptions, matchTrack } from "../../../src/core/matching/scorer.js";
import { regressionSet } from "./regression-set.js";

describe("matching regression set", () => {
  it("has at least 60 labelled cases with unique names", () => {
    expect(regressionSet.length).toBeGreaterThanOrEqual(60);
    expect(new Set(regressionSet.map((c) => c.name)).size).toBe(regressionSet.length);
  });

  it("makes no wrong pick and keeps recall at 90 % or more", () => {
    let picks = 0;
    let correct = 0;
    const wrong: string[] = [];
    const missed: string[] = [];
    for (const testCase of regressionSet) {
      const result = matchTrack(testCase.track, testCase.candidates, defaultMatchOptions);
      const picked = result.needsReview ? null : (result.choice?.id ?? null);
      if (picked === null) {
        if (testCase.expectedId !== null) {
          missed.push(
            `${testCase.name}: no confident pick (${result.confidence}; ${result.reasons.join("; ")})`,
          );
        }
        continue;
      }
      picks++;
      if (picked === testCase.expectedId) correct++;
      else
        wrong.push(
          `${testCase.name}: picked ${picked}, expected ${String(testCase.expectedId)} (${result.reasons.join("; ")})`,
        );
    }
    const withAnswer = regressionSet.filter((c) => c.expectedId !== null).length;
    const precision = picks === 0 ? 1 : correct / picks;
    const recall = withAnswer === 0 ? 1 : correct / withAnswer;
    console.log(
      `matching regression: ${regressionSet.length} cases, ${picks} confident picks, ` +
        `precision ${(precision * 100).toFixed(1)} %, recall ${(recall * 100).toFixed(1)} % (${correct}/${withAnswer})` +
        (missed.length > 0 ? `\nmissed:\n  ${missed.join("\n  ")}` : ""),
    );
    expect(wrong).toEqual([]);
    expect(recall).toBeGreaterThanOrEqual(0.9);
  });
});
