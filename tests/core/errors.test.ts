import { describe, expect, it } from "vitest";
import { errorStatus, isUserFacing, UserFacingError, type ErrorCode } from "../../src/core/errors.js";
import { YtDlpError } from "../../src/core/media/yt-dlp.js";

describe("the closed set of refusals", () => {
  it("gives every code an HTTP error status", () => {
    for (const [code, status] of Object.entries(errorStatus)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
    }
  });

  it("carries the person's sentence and the status with the error", () => {
    const err = new UserFacingError("job_not_found", "I can't find that job.");
    expect([err.code, err.userMessage, err.httpStatus]).toEqual([
      "job_not_found",
      "I can't find that job.",
      404,
    ]);
    expect(isUserFacing(err)).toBe(true);
    expect(isUserFacing(new Error("x"))).toBe(false);
    // A download failure's code is one of the list too, and so is its status.
    const removed = new YtDlpError("unavailable");
    expect(removed.code satisfies ErrorCode).toBe("download_unavailable");
    expect(removed.httpStatus).toBe(404);
  });
});
