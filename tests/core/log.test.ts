import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, scrubSecrets } from "../../src/core/log.js";
import { createRedis } from "../../src/core/redis.js";
import { testRedisUrl } from "../helpers/redis.js";

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

describe("logging a Redis connection with a wrong password", () => {
  it("never writes the password, at trace level, however deep the error sits", async () => {
    const admin = createRedis({ url: testRedisUrl() }, "client");
    const user = `cdc-logtest-${randomBytes(3).toString("hex")}`;
    const password = `wrong-${randomBytes(8).toString("hex")}`;
    await admin.acl("SETUSER", user, "on", ">the-right-password", "~*", "+@all");
    const { lines, destination } = capture();
    const log = createLogger({ destination, level: "trace" });
    const target = new URL(testRedisUrl());
    target.username = user;
    target.password = password;
    // What every role does with its connections' errors (workers.ts, burn-processor.ts).
    const client = createRedis({ url: target.toString() }, "client");
    const seen: Error[] = [];
    client.on("error", (err: Error) => {
      seen.push(err);
      log.debug({ err }, "redis connection error");
      log.trace(err);
      log.trace({ attempt: { last: { error: err, wrapped: new Error("reconnecting", { cause: err }) } } });
      log.trace({ errors: [err], redisUrl: target.toString() }, "state");
    });
    try {
      await expect.poll(() => seen.length, { timeout: 5000 }).toBeGreaterThan(0);
    } finally {
      client.disconnect();
      await admin.acl("DELUSER", user);
      admin.disconnect();
    }
    // The error really carries the password (else this test proves nothing) ...
    expect(JSON.stringify((seen[0] as Error & { command?: unknown }).command)).toContain(password);
    // ... and no line has it, while the lines still say what went wrong.
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(line).not.toContain(password);
    expect(lines[0]).toContain("WRONGPASS");
    expect(lines[0]).toMatch(/"command":\{"name":"(auth|hello)"/);
  });
});
