import { describe, expect, it } from "vitest";
import { createShutdown } from "../../src/core/shutdown.js";

describe("shutdown", () => {
  it("runs steps once, in order, even when one fails", async () => {
    const order: string[] = [];
    const shutdown = createShutdown({ deadlineMs: 1000 });
    shutdown.add("stop intake", () => void order.push("intake"));
    shutdown.add("drain", () => {
      order.push("drain");
      throw new Error("boom");
    });
    shutdown.add("close redis", async () => {
      await new Promise((r) => setTimeout(r, 10));
      order.push("redis");
    });
    const [a, b] = await Promise.all([shutdown.run("SIGTERM"), shutdown.run("SIGINT")]);
    expect(order).toEqual(["intake", "drain", "redis"]);
    expect(a).toBe(false);
    expect(b).toBe(false);
    expect(await shutdown.started).toBe("SIGTERM");
  });

  it("stops waiting for a hung step at the deadline and still reports", async () => {
    const shutdown = createShutdown({ deadlineMs: 200 });
    const ran: string[] = [];
    shutdown.add("hangs", () => new Promise<void>(() => undefined));
    shutdown.add("after", () => void ran.push("after"));
    const started = Date.now();
    expect(await shutdown.run("test")).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(ran).toEqual([]);
  });
});
