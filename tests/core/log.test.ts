import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, scrubSecrets } from "../../src/core/log.js";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

describe("logger", () => {
  it("writes JSON lines and redacts secrets by key, however deep", () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, level: "info" });
    log
      .child({ jobId: "ab12cd" })
      .info(
        { config: { telegram: { token: "123:ABCDEFGHIJKLMNOPQRSTUVWXYZ" } }, adminToken: "s3cret" },
        "hello",
      );
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record.msg).toBe("hello");
    expect(record.jobId).toBe("ab12cd");
    expect(lines[0]).not.toContain("ABCDEFGHIJ");
    expect(lines[0]).not.toContain("s3cret");
  });

  it("scrubs bot tokens and URL passwords from messages and errors", () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination });
    const err = new Error(
      "request to https://api.telegram.org/bot123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/getMe failed",
    );
    log.error({ err }, "redis://user:hunter2@redis:6379 is down");
    expect(lines[0]).not.toContain("AAAAAAAAAAAAAAAA");
    expect(lines[0]).not.toContain("hunter2");
    expect(scrubSecrets("rediss://:pw@host/0")).toBe("rediss://:<redacted>@host/0");
  });
});
