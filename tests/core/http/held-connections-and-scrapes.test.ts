import type { AddressInfo } from "node:net";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { testRedisUrl } from "../../helpers/redis.js";
import { createHttpFixture, type HttpFixture } from "./http-fixture.js";

const fixtures: HttpFixture[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const f of fixtures.splice(0)) await f.close();
});

async function fixture(options: Parameters<typeof createHttpFixture>[0] = {}): Promise<HttpFixture> {
  const f = await createHttpFixture(options);
  fixtures.push(f);
  return f;
}

async function listening(f: HttpFixture): Promise<number> {
  await f.app.listen({ host: "127.0.0.1", port: 0 });
  return (f.app.server.address() as AddressInfo).port;
}

/** Open a raw connection; resolves with it once connected. */
function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
    sockets.push(socket);
  });
}

/** Milliseconds until the server closes `socket`, and what it sent before. */
function closedAfter(socket: net.Socket): Promise<{ ms: number; said: string }> {
  const started = Date.now();
  let said = "";
  socket.on("data", (chunk: Buffer) => (said += chunk.toString()));
  return new Promise((resolve) => {
    socket.once("close", () => resolve({ ms: Date.now() - started, said }));
    socket.on("error", () => undefined);
  });
}

describe("held connections", () => {
  it("closes a slow-loris connection after the header timeout", async () => {
    const f = await fixture({ http: { headersTimeoutSeconds: 0.5 } });
    const port = await listening(f);
    const socket = await connect(port);
    const closed = closedAfter(socket);
    // Headers that never end: one more line every 200 ms.
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    const drip = setInterval(() => socket.writable && socket.write("X-Slow: 1\r\n"), 200);
    try {
      const { ms, said } = await closed;
      expect(ms).toBeLessThan(3000);
      expect(said).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
    }
  }, 5000);

  it("refuses connections over the cap and keeps serving the ones it holds", async () => {
    const f = await fixture({ http: { maxConnections: 2 } });
    const port = await listening(f);
    const held = [await connect(port), await connect(port)];
    const extra = await connect(port);
    const { ms, said } = await closedAfter(extra);
    expect(said).toBe("");
    expect(ms).toBeLessThan(2000);
    // The held ones still get answers.
    const answer = new Promise<string>((resolve) =>
      held[0]!.once("data", (c: Buffer) => resolve(c.toString())),
    );
    held[0]!.write("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(await answer).toMatch(/^HTTP\/1\.1 200/);
  }, 5000);
});

describe("GET /metrics under load", () => {
  /** Redis commands naming `prefix` while `work` runs (read from Redis's MONITOR stream). */
  async function redisCommands(prefix: string, work: () => Promise<unknown>): Promise<number> {
    const url = new URL(testRedisUrl());
    const monitor = net.connect(Number(url.port), url.hostname);
    sockets.push(monitor);
    let text = "";
    monitor.on("data", (chunk: Buffer) => (text += chunk.toString()));
    monitor.write("MONITOR\r\n");
    await expect.poll(() => text.startsWith("+OK")).toBe(true);
    await work();
    await new Promise((r) => setTimeout(r, 150)); // MONITOR lines trail the replies a little
    monitor.destroy();
    // Top-level commands only (a Lua script's own calls are tagged "lua").
    return text.split("\r\n").filter((line) => line.includes(prefix) && !line.includes(" lua]")).length;
  }

  it("scraped 20 times at once costs one collection", async () => {
    const single = await fixture();
    const one = await redisCommands(single.prefix, () => single.app.inject({ url: "/metrics" }));
    expect(one).toBeGreaterThan(0);

    const f = await fixture();
    const twenty = await redisCommands(f.prefix, async () => {
      const answers = await Promise.all(Array.from({ length: 20 }, () => f.app.inject({ url: "/metrics" })));
      for (const res of answers) expect(res.statusCode).toBe(200);
      expect(new Set(answers.map((r) => r.body)).size).toBe(1);
    });
    expect(twenty).toBe(one);
  });

  it("with a token, refuses a scrape without it", async () => {
    const f = await fixture({ env: { METRICS_TOKEN: "metrics-token-0123456789" } });
    const scrape = (authorization?: string) =>
      f.app.inject({ url: "/metrics", headers: authorization ? { authorization } : {} });
    const none = await scrape();
    expect(none.statusCode).toBe(401);
    expect(none.body).not.toContain("cdc_");
    expect((await scrape("Bearer metrics-token-012345678")).statusCode).toBe(401);
    expect((await scrape("Bearer metrics-token-0123456789")).statusCode).toBe(200);
  });
});
