/** The YouTube links /fix takes: every form a person copies from an app or a browser, and nothing else. */
import { describe, expect, it } from "vitest";
import { youtubeVideoId } from "../../../src/bots/telegram/features/fix.js";

describe("youtubeVideoId", () => {
  it("reads the video id from watch, music, short, shorts and embed links and from a bare id", () => {
    for (const link of [
      "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
      "https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RDAMVM",
      "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=42",
      "https://youtu.be/dQw4w9WgXcQ?si=abc",
      "https://www.youtube.com/shorts/dQw4w9WgXcQ",
      "https://www.youtube.com/embed/dQw4w9WgXcQ",
      "  dQw4w9WgXcQ ",
    ]) {
      expect(youtubeVideoId(link), link).toBe("dQw4w9WgXcQ");
    }
  });

  it("refuses other sites, other schemes, playlists and ids of the wrong shape", () => {
    for (const text of [
      "https://example.org/watch?v=dQw4w9WgXcQ",
      "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
      "javascript:alert(1)",
      "ftp://youtu.be/dQw4w9WgXcQ",
      "https://www.youtube.com/playlist?list=PL123",
      "https://youtu.be/short",
      "dQw4w9WgXc",
      "",
    ]) {
      expect(youtubeVideoId(text), text).toBeUndefined();
    }
  });
});
