import { describe, expect, it } from "vitest";
import { parseRange } from "../../../src/core/http/byte-range.js";

describe("parseRange", () => {
  it.each([
    [undefined, { kind: "full" }],
    ["bytes=0-0", { kind: "partial", start: 0, end: 0 }],
    ["bytes=5-", { kind: "partial", start: 5, end: 999 }],
    ["bytes=-1", { kind: "partial", start: 999, end: 999 }],
    ["bytes=-5000", { kind: "partial", start: 0, end: 999 }],
    ["bytes=990-2000", { kind: "partial", start: 990, end: 999 }],
    ["bytes=1000-", { kind: "unsatisfiable" }],
    ["bytes=1000-1001", { kind: "unsatisfiable" }],
    ["bytes=-0", { kind: "unsatisfiable" }],
    ["bytes=5-4", { kind: "full" }],
    ["bytes=0-1,3-4", { kind: "full" }],
    ["bytes=-", { kind: "full" }],
    ["lines=0-1", { kind: "full" }],
    ["bytes=99999999999999999999-", { kind: "full" }],
  ])("%s on 1000 bytes -> %j", (header, expected) => {
    expect(parseRange(header, 1000)).toEqual(expected);
  });

  it("finds nothing to serve in an empty file", () => {
    expect(parseRange("bytes=0-", 0)).toEqual({ kind: "unsatisfiable" });
    expect(parseRange("bytes=-10", 0)).toEqual({ kind: "unsatisfiable" });
  });
});
