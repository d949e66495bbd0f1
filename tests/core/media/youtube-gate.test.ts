/**
 * YouTube's gate on a real Redis, as two workers on two machines would share it: the hourly budget,
 * the service-wide pauses, and the operator told once.
 */
import { Redis } from "ioredis";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createKeys } from "../../../src/core/jobs/keys.js";
import { createYouTubeGate, type YouTubeGateOptions } from "../../../src/core/media/youtube-gate.js";
import { createOperatorNotices } from "../../../src/core/operator-notices.js";
import { createServicePauses } from "../../../src/core/service-pauses.js";
import { testRedisUrl, uniquePrefix } from "../../helpers/redis.js";

const redis = new Redis(testRedisUrl());
afterAll(() => redis.disconnect());

let keys: ReturnType<typeof createKeys>;
beforeEach(() => {
  keys = createKeys(uniquePrefix("gate"));
});

/** A gate as one worker process builds it (its own objects, the shared Redis). */
function gate(over: Partial<YouTubeGateOptions> = {}) {
  const notices = createOperatorNotices({ redis, keys });
  return {
    gate: createYouTubeGate({
      redis,
      keys,
      pauses: createServicePauses(redis, keys),
      notices,
      downloadsPerHour: 3,
      rateLimitPauseMinutes: 60,
      botCheckPauseMinutes: 30,
      ...over,
    }),
    notices,
  };
}

describe("YouTube gate", () => {
  it("shares one hourly budget between workers, counts a retried slot once, and says when a slot frees", async () => {
    const a = gate().gate;
    const b = gate().gate;
    expect(await a.admit("job1:0")).toBeUndefined();
    expect(await b.admit("job2:0")).toBeUndefined();
    expect(await a.admit("job1:0")).toBeUndefined(); // the same attempt again: no second slot
    expect(await b.admit("job3:0")).toBeUndefined();
    const before = Date.now();
    const wait = await a.admit("job4:0");
    expect(wait).toMatchObject({ why: "budget" });
    expect(wait!.until).toBeGreaterThan(before + 3_590_000);
    expect(wait!.until).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });

  it("frees slots as the window slides", async () => {
    const g = gate({ downloadsPerHour: 1, windowMs: 400 }).gate;
    expect(await g.admit("a:0")).toBeUndefined();
    expect(await g.admit("b:0")).toMatchObject({ why: "budget" });
    await new Promise((r) => setTimeout(r, 450));
    expect(await g.admit("b:0")).toBeUndefined();
  });

  it("pauses every worker on YouTube's session rate limit and tells the operator once", async () => {
    const one = gate();
    const two = gate();
    const wait = await one.gate.onFailure("session_limited", "2026.11.01");
    expect(wait).toMatchObject({ why: "paused", reason: "YouTube asked us to slow down" });
    expect(wait!.until).toBeGreaterThan(Date.now() + 59 * 60_000);
    // The other worker meets the same limit a moment later: same pause, no second notice.
    const again = await two.gate.onFailure("session_limited", "2026.11.01");
    expect(again!.until - wait!.until).toBeGreaterThanOrEqual(0);
    expect(again!.until - wait!.until).toBeLessThan(1000);
    // Nobody downloads meanwhile, on any worker.
    expect(await two.gate.admit("x:0")).toMatchObject({ why: "paused", until: again!.until });
    const notices = await one.notices.read("0", 0, redis);
    expect(notices.map((n) => n.notice.kind)).toEqual(["youtube_rate_limited"]);
    expect(notices[0]!.notice.text).toMatch(/rate-limited .* until \d\d:\d\d UTC/u);
  });

  it("waits on a bot check and tells the operator how to fix it; asks to update yt-dlp after 403s", async () => {
    const g = gate();
    const wait = await g.gate.onFailure("bot_check", "2023.03.04");
    expect(wait).toMatchObject({ why: "paused" });
    expect(await g.gate.onFailure("forbidden", "2023.03.04")).toBeUndefined();
    expect(await g.gate.onFailure("forbidden", "2023.03.04")).toBeUndefined();
    expect(await g.gate.onFailure("unavailable", "2023.03.04")).toBeUndefined();
    const notices = (await g.notices.read("0", 0, redis)).map((n) => n.notice);
    expect(notices.map((n) => n.kind)).toEqual(["youtube_bot_check", "ytdlp_outdated"]);
    expect(notices[0]!.text).toMatch(/cookiesFile|PO-token/u);
    expect(notices[1]!.text).toContain("yt-dlp (2023.03.04)");
  });

  it("never shortens a longer pause", async () => {
    const pauses = createServicePauses(redis, keys);
    const long = await pauses.pause("youtube", 3600, "long");
    const short = await pauses.pause("youtube", 60, "short");
    expect(long.started).toBe(true);
    expect(short.started).toBe(false);
    expect(short.pause).toEqual(long.pause);
    expect((await pauses.get("youtube"))?.reason).toBe("long");
    await pauses.clear("youtube");
    expect(await pauses.get("youtube")).toBeUndefined();
  });
});
