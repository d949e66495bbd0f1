import { describe, expect, it } from "vitest";
import {
  DEFAULT_CAPACITY_SECTORS,
  FIRST_TRACK_PREGAP_SECTORS,
  formatPlan,
  planDiscs,
  sectorsForSamples,
} from "../../../src/core/burn/disc-planner.js";

const track = (id: string, fields: { durationMs?: number; samples?: number }) => ({
  id,
  title: `Song ${id}`,
  ...fields,
});
const sectorsToSamples = (sectors: number) => sectors * 588;

describe("planDiscs", () => {
  it("counts the 2-second pregap before track 1 and rounds each track up to whole sectors", () => {
    const plan = planDiscs([track("a", { samples: 60 * 44_100 + 1 })]);
    expect(plan.discs).toHaveLength(1);
    // 60 s = 4500 sectors; one extra sample needs one more sector; plus 150 for the pregap.
    expect(plan.discs[0]!.tracks[0]!.sectors).toBe(4501);
    expect(plan.discs[0]!.sectors).toBe(4501 + FIRST_TRACK_PREGAP_SECTORS);
    expect(plan.discs[0]!.seconds).toBeCloseTo((4501 + 150) / 75);
  });

  it("fills a disc to exactly its capacity and opens a second one for one sector more", () => {
    const first = 200_000;
    const rest = DEFAULT_CAPACITY_SECTORS - FIRST_TRACK_PREGAP_SECTORS - first;
    const exact = planDiscs([
      track("a", { samples: sectorsToSamples(first) }),
      track("b", { samples: sectorsToSamples(rest) }),
    ]);
    expect(exact.discs).toHaveLength(1);
    expect(exact.discs[0]!.sectors).toBe(DEFAULT_CAPACITY_SECTORS);

    const over = planDiscs([
      track("a", { samples: sectorsToSamples(first) }),
      track("b", { samples: sectorsToSamples(rest) + 1 }),
    ]);
    expect(over.discs.map((d) => d.tracks.map((t) => t.track.id))).toEqual([["a"], ["b"]]);
    expect(over.rejected).toEqual([]);
  });

  it("puts at most 99 tracks on a disc: 100 short tracks make two discs, in order", () => {
    const tracks = Array.from({ length: 100 }, (_, i) => track(String(i + 1), { durationMs: 10_000 }));
    const plan = planDiscs(tracks);
    expect(plan.discs.map((d) => d.tracks.length)).toEqual([99, 1]);
    expect(plan.discs[1]!.tracks[0]!.track.id).toBe("100");
    expect(plan.discs[0]!.tracks.map((t) => t.track.id)).toEqual(tracks.slice(0, 99).map((t) => t.id));
  });

  it("pads a 3-second track to 4 seconds and says so in the plan text", () => {
    const plan = planDiscs([track("short", { durationMs: 3000 })]);
    const entry = plan.discs[0]!.tracks[0]!;
    expect(entry.padded).toBe(true);
    expect(entry.sectors).toBe(300);
    expect(entry.samples).toBe(4 * 44_100);
    expect(plan.discs[0]!.sectors).toBe(450);
    expect(formatPlan(plan)).toMatch(/Song short 0:04 \(padded to 0:04\)/);
  });

  it("rejects a 90-minute track with its reason and still plans the rest", () => {
    const plan = planDiscs([
      track("a", { durationMs: 180_000 }),
      track("long", { durationMs: 90 * 60_000 }),
      track("b", { durationMs: 200_000 }),
    ]);
    expect(plan.discs).toHaveLength(1);
    expect(plan.discs[0]!.tracks.map((t) => t.track.id)).toEqual(["a", "b"]);
    expect(plan.rejected).toHaveLength(1);
    expect(plan.rejected[0]!.track.id).toBe("long");
    expect(plan.rejected[0]!.reason).toMatch(/90:00.*longer than one disc holds \(79:55 after/);
    expect(formatPlan(plan)).toContain("Left out:\n  - Song long: It lasts 90:00");
  });

  it("rejects a track with no length instead of guessing", () => {
    const plan = planDiscs([track("x", {})]);
    expect(plan.discs).toEqual([]);
    expect(plan.rejected[0]!.reason).toMatch(/length is unknown/);
  });

  it("honours a smaller blank (74 minutes) and prefers exact samples over the catalog duration", () => {
    const plan = planDiscs([track("a", { durationMs: 999_999_999, samples: 44_100 * 10 })], {
      capacitySectors: 333_000,
    });
    expect(plan.capacitySectors).toBe(333_000);
    expect(plan.discs[0]!.tracks[0]!.sectors).toBe(750);
  });

  it("formats the plan with one block per disc", () => {
    const plan = planDiscs([track("a", { durationMs: 61_000 }), track("b", { durationMs: 120_000 })]);
    const text = formatPlan(plan);
    expect(text.split("\n")[0]).toBe("1 disc, 2 tracks (blank: 79:57, 359849 sectors)");
    expect(text).toContain("Disc 1: 2 tracks, 3:03 (13725 of 359849 sectors)");
    expect(text).toContain("   1. Song a 1:01");
    expect(sectorsForSamples(1)).toBe(300);
  });
});
