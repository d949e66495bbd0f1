/** The words of the "still coming" notice, and the upload budget derived from the configured limit. */
import { describe, expect, it } from "vitest";
import { aboutHowLong, stillComingText, trackRanges } from "../../../src/bots/telegram/delivery-notice.js";
import { maxThumbnailBytes } from "../../../src/bots/telegram/thumbnail.js";
import { uploadBudget } from "../../../src/bots/telegram/upload-budget.js";

describe("the still-coming notice", () => {
  it("names the tracks as ranges", () => {
    expect(trackRanges([5, 6, 7, 8, 9, 10, 11, 12])).toBe("tracks 5–12");
    expect(trackRanges([12])).toBe("track 12");
    expect(trackRanges([1, 3])).toBe("tracks 1 and 3");
    expect(trackRanges([1, 2, 3, 5, 7, 8])).toBe("tracks 1–3, 5 and 7–8");
  });

  it("says roughly when", () => {
    expect(aboutHowLong(1000)).toBe("about 1 second");
    expect(aboutHowLong(7000)).toBe("about 7 seconds");
    expect(aboutHowLong(20_000)).toBe("about 20 seconds");
    expect(aboutHowLong(58_000)).toBe("about 1 minute");
    expect(aboutHowLong(90_000)).toBe("about 2 minutes");
    expect(aboutHowLong(3 * 3600_000)).toBe("about 3 hours");
  });

  it("reads as a sentence", () => {
    expect(stillComingText({ cause: "flood", positions: [5, 6, 7, 8, 9, 10, 11, 12], waitMs: 90_000 })).toBe(
      "Telegram asked me to slow down; tracks 5–12 will follow in about 2 minutes.",
    );
    expect(stillComingText({ cause: "server", positions: [3], waitMs: 30_000, title: "Blue" })).toBe(
      "Telegram is having trouble right now; track 3 of “Blue” will follow in about 30 seconds.",
    );
  });
});

describe("the upload budget", () => {
  it("leaves room under the request limit for the thumbnail, the framing and a margin", () => {
    const cloud = uploadBudget(50);
    expect(cloud.requestLimitBytes).toBe(50_000_000);
    expect(cloud.maxAudioBytes + maxThumbnailBytes + 16 * 1024).toBeLessThan(cloud.requestLimitBytes * 0.995);
    // Under 50 MB in either reading of "MB", with room to spare.
    expect(cloud.maxAudioBytes).toBeLessThan(49_500_000);
    expect(cloud.maxAudioMb).toBe(46);
    const local = uploadBudget(2000);
    expect(local.maxAudioBytes).toBeLessThan(1_980_000_000);
    expect(local.maxAudioMb).toBe(1888);
  });
});
