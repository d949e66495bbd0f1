import { describe, expect, it } from "vitest";
import { BotApiError } from "../../../src/emulators/telegram/bot-api-error.js";
import { parseFormattedText } from "../../../src/emulators/telegram/text-formatting.js";

describe("parseFormattedText", () => {
  it("turns HTML into text and entities with UTF-16 offsets", () => {
    const result = parseFormattedText('🎵 <b>Album</b> &amp; <a href="https://x.test/f">link</a>', "HTML");
    expect(result.text).toBe("🎵 Album & link");
    expect(result.entities).toEqual([
      { type: "bold", offset: 3, length: 5 },
      { type: "text_link", offset: 11, length: 4, url: "https://x.test/f" },
    ]);
  });

  it("refuses unknown or unclosed HTML tags the way Telegram words it", () => {
    expect(() => parseFormattedText("<blink>x</blink>", "HTML")).toThrow(/Unsupported start tag "blink"/);
    expect(() => parseFormattedText("<b>x", "HTML")).toThrow(
      /Can't find end tag corresponding to start tag "b"/,
    );
    expect(() => parseFormattedText("1 < 2", "HTML")).toThrow(BotApiError);
  });

  it("parses MarkdownV2 and insists on escaping reserved characters", () => {
    expect(parseFormattedText("*Done*\\. 3\\-4 `code`", "MarkdownV2")).toEqual({
      text: "Done. 3-4 code",
      entities: [
        { type: "bold", offset: 0, length: 4 },
        { type: "code", offset: 10, length: 4 },
      ],
    });
    expect(() => parseFormattedText("Done.", "MarkdownV2")).toThrow(/Character '\.' is reserved/);
    expect(() => parseFormattedText("*open", "MarkdownV2")).toThrow(/can't parse entities/);
  });

  it("keeps plain text as is", () => {
    expect(parseFormattedText("a <b> c.", undefined)).toEqual({ text: "a <b> c.", entities: [] });
  });
});
