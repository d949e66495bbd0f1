/**
 * A person's /settings kept in Redis: the service's defaults until they choose, their choices kept
 * apart from everyone else's, a choice not offered refused without changing anything, and stored values
 * the configuration no longer allows read as the default.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { createJobService } from "../../../src/core/jobs/job-service.js";
import { createKeys } from "../../../src/core/jobs/keys.js";
import {
  createPersonSettings,
  qualityChoices,
  type SettingsOffer,
} from "../../../src/core/jobs/person-settings.js";
import { createRedis } from "../../../src/core/redis.js";
import { testRedisUrl, uniquePrefix } from "../../helpers/redis.js";

const offer: SettingsOffer = {
  format: "mp3",
  bitrateKbps: 192,
  bitrateChoicesKbps: [128, 320],
  sendAudio: true,
};

describe("a person's settings", () => {
  let redis: Redis;
  beforeAll(() => {
    redis = createRedis({ url: testRedisUrl() }, "client");
  });
  afterAll(() => redis.disconnect());

  it("are the service's defaults until the person chooses, and each person's own afterwards", async () => {
    const store = createPersonSettings(redis, { prefix: uniquePrefix("ps"), offer });
    expect(await store.get(1)).toEqual({ format: "mp3", quality: 192, delivery: "both" });
    await store.set(1, { format: "opus" });
    expect(await store.set(1, { quality: "original", delivery: "link" })).toEqual({
      format: "opus",
      quality: "original",
      delivery: "link",
    });
    expect(await store.get(1)).toEqual({ format: "opus", quality: "original", delivery: "link" });
    expect(await store.get(2)).toEqual({ format: "mp3", quality: 192, delivery: "both" });
  });

  it("offer the configured bitrates and the service's own, and 'original' only for m4a and opus", () => {
    expect(qualityChoices("mp3", offer)).toEqual([128, 192, 320]);
    expect(qualityChoices("opus", offer)).toEqual([128, 192, 320, "original"]);
    expect(qualityChoices("m4a", offer)).toEqual([128, 192, 320, "original"]);
    expect(qualityChoices("flac", offer)).toEqual([]);
  });

  it("refuse a choice not offered and change nothing", async () => {
    const store = createPersonSettings(redis, { prefix: uniquePrefix("ps"), offer });
    await store.set(5, { format: "m4a", quality: 320 });
    await expect(store.set(5, { quality: 256 })).rejects.toMatchObject({ code: "bad_setting" });
    await expect(store.set(5, { format: "wav" as never })).rejects.toMatchObject({ code: "bad_setting" });
    await store.set(5, { format: "mp3" });
    await expect(store.set(5, { quality: "original" })).rejects.toMatchObject({ code: "bad_setting" });
    expect(await store.get(5)).toEqual({ format: "mp3", quality: 320, delivery: "both" });
  });

  it("read what the configuration no longer allows (or cannot be read) as the default", async () => {
    const prefix = uniquePrefix("ps");
    const key = createKeys(prefix).personSettings(7);
    await redis.set(key, JSON.stringify({ format: "m4a", quality: 96, delivery: "carrier pigeon" }));
    const store = createPersonSettings(redis, { prefix, offer: { ...offer, sendAudio: false } });
    expect(await store.get(7)).toEqual({ format: "m4a", quality: 192, delivery: "link" });
    await redis.set(key, "not json");
    expect(await store.get(7)).toEqual({ format: "mp3", quality: 192, delivery: "link" });
  });

  it("give a job of its own to the same link asked at another quality, and the same job at the same one", async () => {
    const producer = createRedis({ url: testRedisUrl() }, "producer");
    await new Promise<void>((resolve) =>
      producer.status === "ready" ? resolve() : producer.once("ready", () => resolve()),
    );
    const jobs = createJobService({
      connection: producer,
      prefix: uniquePrefix("ps"),
      defaultFormat: "mp3",
      maxActiveJobsPerPerson: 5,
      maxQueueDepth: 50,
      dedupeSeconds: 600,
      keepHours: 1,
    });
    try {
      const ask = (quality?: 128 | 320 | "original") =>
        jobs.submit({
          owner: { userId: 9, chatId: 9 },
          ref: { kind: "album", id: "0abc", uri: "spotify:album:0abc" },
          format: "m4a",
          ...(quality !== undefined ? { quality } : {}),
        });
      const at320 = await ask(320);
      const original = await ask("original");
      expect(original.job.id).not.toBe(at320.job.id);
      expect(original.job.quality).toBe("original");
      expect((await ask(320)).job.id).toBe(at320.job.id);
    } finally {
      await jobs.close();
      producer.disconnect();
    }
  });
});
