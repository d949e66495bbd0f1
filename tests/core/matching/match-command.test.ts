import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { runMatchCommand } from "../../../src/core/matching/match-command.js";
import { readRecorded } from "../../fixtures/recorded/read-recorded.js";

async function runLines(lines: string[], verbose = false) {
  const input = new PassThrough();
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on("data", (c: Buffer) => chunks.push(c));
  const done = runMatchCommand(input, output, { minConfidence: 70, maxDurationDeltaSeconds: 14, verbose });
  for (const line of lines) input.write(`${line}\n`);
  input.end();
  const summary = await done;
  const out = Buffer.concat(chunks)
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { summary, out };
}

const good = JSON.stringify({
  track: { title: "Heat Waves", artists: ["Glass Animals"], durationMs: 238_805 },
  candidates: [
    { id: "jc_4dG9ZkA8", title: "heat waves (slowed + reverb)", channel: "slowed vibes", durationSec: 281 },
    {
      id: "KkU3F1yVLJk",
      title: "Heat Waves",
      channel: "Glass Animals - Topic",
      durationSec: 239,
      via: "music",
    },
  ],
});

describe("runMatchCommand", () => {
  it("answers each line with choice, confidence, reasons and needsReview", async () => {
    const { summary, out } = await runLines([good, "", good]);
    expect(summary).toEqual({ lines: 2, errors: 0, needsReview: 0, recorded: 0, searches: 0 });
    expect(out).toHaveLength(2);
    expect(out[0]).toEqual({
      choice: {
        id: "KkU3F1yVLJk",
        title: "Heat Waves",
        channel: "Glass Animals - Topic",
        durationSec: 239,
        via: "music",
      },
      confidence: 100,
      reasons: ["artist matches the channel", "title matches", "duration matches", "official Topic channel"],
      needsReview: false,
    });
  });

  it("writes an error line for a bad line and carries on", async () => {
    const badId = JSON.stringify({
      track: { title: "x", artists: ["y"], durationMs: 1000 },
      candidates: [{ id: "nope", title: "x" }],
    });
    const { summary, out } = await runLines(["{not json", badId, '{"track": {}}', good]);
    expect(summary).toEqual({ lines: 4, errors: 3, needsReview: 0, recorded: 0, searches: 0 });
    expect(out[0]).toMatchObject({ line: 1, error: expect.stringMatching(/^not JSON/) as unknown });
    expect(out[1]).toMatchObject({ line: 2, error: expect.stringContaining("candidates.0.id") as unknown });
    expect(out[2]).toMatchObject({ line: 3, error: expect.stringContaining("track.title") as unknown });
    expect(out[3]).toMatchObject({ needsReview: false, confidence: 100 });
  });

  it("says needs review when no candidate is good enough, and shows the candidates (up to five) in verbose mode", async () => {
    const line = JSON.stringify({
      track: { title: "Hello", artists: ["Adele"], durationMs: 295_000 },
      candidates: [
        { id: "aaaaaaaaaaa", title: "Hello", channel: "Lionel Richie - Topic", durationSec: 290 },
        { id: "bbbbbbbbbbb", title: "Hello", channel: "Evanescence - Topic", durationSec: 220 },
        { id: "ccccccccccc", title: "Hello (Karaoke)", channel: "Sing King", durationSec: 295 },
        { id: "ddddddddddd", title: "Adele - Hello (Live at the BBC)", channel: "BBC", durationSec: 300 },
      ],
    });
    const { summary, out } = await runLines([line], true);
    expect(summary.needsReview).toBe(1);
    const result = out[0]!;
    expect(result.needsReview).toBe(true);
    expect((result.choice as { id: string }).id).toBe("aaaaaaaaaaa");
    expect((result.reasons as string[])[0]).toMatch(/under 70: needs review/);
    expect((result.top as unknown[]).length).toBe(4);
  });

  it("keeps up with a slow reader (back-pressure)", async () => {
    const input = new PassThrough();
    const output = new PassThrough({ highWaterMark: 64 });
    const done = runMatchCommand(input, output, { minConfidence: 70, maxDurationDeltaSeconds: 14 });
    for (let i = 0; i < 200; i++) input.write(`${good}\n`);
    input.end();
    let lines = 0;
    output.on("data", (c: Buffer) => {
      lines += c.toString("utf8").split("\n").length - 1;
    });
    const summary = await done;
    expect(summary.lines).toBe(200);
    expect(lines).toBe(200);
  });

  it("replays a recorded case through the search plan and reports the searches it made", async () => {
    const [first] = readRecorded("youtube-music-matching.jsonl.gz") as Record<string, unknown>[];
    const brokenTrack = JSON.stringify({ spotifyTrack: { name: "no id" }, searches: [] });
    const notSearch = JSON.stringify({
      ...first,
      searches: [{ url: "https://x/", request: {}, response: "html" }],
    });
    const { summary, out } = await runLines([JSON.stringify(first), brokenTrack, notSearch]);
    expect(out[0]).toMatchObject({
      case: "0QsZ3W21xNvnUnUMbiAY4z",
      searches: 1,
      choice: { id: "hy3kaD5zsew", title: "spy?", artists: ["WHOKILLEDXIX"], kind: "song", via: "isrc" },
      confidence: 100,
      needsReview: false,
    });
    expect(out[1]).toMatchObject({ line: 2, error: expect.stringMatching(/spotifyTrack/u) });
    // A response that is not a search page fails that search; the plan goes on and finds nothing.
    expect(out[2]).toMatchObject({
      case: "0QsZ3W21xNvnUnUMbiAY4z",
      choice: null,
      needsReview: true,
      searches: 3,
    });
    expect(summary).toMatchObject({ lines: 3, errors: 1, recorded: 2, searches: 4 });
  });
});
