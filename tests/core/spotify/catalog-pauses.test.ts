/**
 * What a person and an admin notice when Spotify's Web API stops answering for a while: the Premium-lapse
 * 403, a day-long Retry-After, an exhausted quota. The pause lives in Redis, so every catalog sharing it
 * (every job, every worker process) skips the Web API with no request until it ends, and the admin is told
 * once. Each test builds two catalogs on the same Redis, as two workers would be.
 */
import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createConfig } from "../../../src/core/config/load.js";
import { isUserFacing } from "../../../src/core/errors.js";
import { createKeys } from "../../../src/core/jobs/keys.js";
import { createOperatorNotices, type OperatorNotices } from "../../../src/core/operator-notices.js";
import { createRedis } from "../../../src/core/redis.js";
import { createServicePauses, formatUntil, type ServicePauses } from "../../../src/core/service-pauses.js";
import {
  catalogOptionsFromConfig,
  createCatalog,
  type CatalogOptions,
} from "../../../src/core/spotify/catalog.js";
import {
  cyrillicAlbum,
  demoAlbum,
  emulatorCredentials,
  explicitTwin,
  japaneseAlbum,
  startSpotifyEmulator,
  type SpotifyEmulator,
} from "../../../src/emulators/spotify/index.js";
import { testRedisUrl, uniquePrefix } from "../../helpers/redis.js";
import { emulatorCatalogOptions } from "./emulator-catalog.js";

let emu: SpotifyEmulator;
let redis: Redis;
let reader: Redis;
let pauses: ServicePauses;
let notices: OperatorNotices;

beforeEach(async () => {
  emu = await startSpotifyEmulator();
  redis = createRedis({ url: testRedisUrl() }, "client");
  reader = createRedis({ url: testRedisUrl() }, "events");
  const keys = createKeys(uniquePrefix("spotify-pause"));
  pauses = createServicePauses(redis, keys);
  notices = createOperatorNotices({ redis, keys });
});
afterEach(async () => {
  await emu.close();
  redis.disconnect();
  reader.disconnect();
});

/** A catalog as a worker builds it: its own providers (and token), the shared Redis. */
function catalog(overrides: Partial<CatalogOptions> = {}) {
  return createCatalog(emulatorCatalogOptions(emu, { pauses, notices, ...overrides }));
}

/** Every notice in the stream, oldest first. */
async function allNotices() {
  return (await notices.read("0", 1, reader)).map((n) => n.notice);
}

const webApiCalls = () => emu.control.counts.api + emu.control.counts.token;

/** Words that would tell the person their link is at fault. */
const blamesTheLink = /not found|private|deleted|mistyped|someone else|wrong link|invalid/i;

describe("catalog pauses shared through Redis", () => {
  it("on the Premium-lapse 403: one notice, embed answers, and another worker makes no Web API call", async () => {
    // FACTS.md, Spotify: "When the app owner's Premium lapses, every call (even `GET /v1/tracks/{id}`)
    // answers 403 "Active premium subscription required for the owner of the app" (LavaSrc #334,
    // spotDL #2634): an operator problem, not the person's link."
    emu.control.setPremiumLapsed(true);
    const first = await catalog().resolve(`spotify:album:${demoAlbum.id}`);
    expect(first.provider).toBe("embed");
    expect(first.tracks.map((t) => t.id)).toEqual(demoAlbum.tracks.map((t) => t.id));
    expect(first.notes).toEqual([
      "The Spotify Web API was not used: Spotify's Web API is switched off for this bot until its admin renews the Spotify account behind it; your link is fine.",
    ]);
    expect(first.notes.join(" ")).not.toMatch(blamesTheLink);
    expect(emu.control.requests.filter((r) => r.route === "api").map((r) => r.status)).toEqual([403]);

    const written = await allNotices();
    expect(written).toHaveLength(1);
    expect(written[0]!.kind).toBe("spotify_premium_lapsed");
    expect(written[0]!.text).toContain("Active premium subscription required for the owner of the app");
    expect(written[0]!.text).toContain("Renew Premium on that account");
    expect(written[0]!.text).toContain("public embed page");

    const pause = await pauses.get("spotify_api");
    expect(pause?.reason).toMatch(/premium/i);
    expect(pause!.until - Date.now()).toBeGreaterThan(3_500_000); // the default hour
    expect(pause!.until - Date.now()).toBeLessThanOrEqual(3_600_000);

    // Another worker (another catalog, its own token cache) on the same Redis.
    const callsBefore = webApiCalls();
    const second = catalog();
    const album = await second.resolve(`spotify:album:${cyrillicAlbum.id}`);
    const track = await second.resolve(`spotify:track:${explicitTwin.id}`);
    expect([album.provider, track.provider]).toEqual(["embed", "embed"]);
    expect(webApiCalls()).toBe(callsBefore);
    expect(album.notes).toEqual([
      `The Spotify Web API was not used: Spotify's Web API is switched off for this bot until its admin renews the Spotify account behind it (next try after ${formatUntil(pause!.until)}); your link is fine.`,
    ]);
    expect(album.notes.join(" ")).not.toMatch(blamesTheLink);
    expect(await allNotices()).toHaveLength(1);
  });

  it("honours a one-day Retry-After with exactly one Web API call across later resolves on two workers", async () => {
    // FACTS.md, Spotify: "429 carries `Retry-After`; seen from a few seconds up to 86400 s."
    emu.control.failNext({ status: 429, retryAfter: 86_400, count: 1000 });
    const a = catalog();
    const b = catalog();
    const first = await a.resolve(`spotify:album:${demoAlbum.id}`);
    expect(first.provider).toBe("embed");
    expect(first.notes[0]).toBe(
      "The Spotify Web API was not used: Spotify's Web API asked us to wait 24 h, longer than this bot waits (5 s).",
    );
    const later = [
      await b.resolve(`spotify:album:${cyrillicAlbum.id}`),
      await a.resolve(`spotify:album:${japaneseAlbum.id}`),
      await b.resolve(`spotify:track:${explicitTwin.id}`),
      await a.resolve(`spotify:album:${demoAlbum.id}`),
    ];
    expect(emu.control.requests.filter((r) => r.route === "api")).toHaveLength(1);
    expect(emu.control.counts.token).toBe(1);
    const pause = await pauses.get("spotify_api");
    expect(pause!.until - Date.now()).toBeGreaterThan(86_300_000);
    for (const collection of later) {
      expect(collection.provider).toBe("embed");
      expect(collection.notes[0]).toBe(
        `The Spotify Web API was not used: Spotify's Web API is resting until ${formatUntil(pause!.until)}, as Spotify asked.`,
      );
    }
    const written = await allNotices();
    expect(written.map((n) => n.kind)).toEqual(["spotify_paused"]);
    expect(written[0]!.text).toMatch(/^Spotify asked us to wait 24 h \(HTTP 429 with Retry-After: 86400\)\./);
    expect(written[0]!.text).toContain(`paused until ${formatUntil(pause!.until)}`);
  });

  it("pauses on QUOTA_EXCEEDED with a Retry-After and keeps saying 'quota' to the person", async () => {
    // FACTS.md, Spotify: "Since July 2026 an exhausted quota says `reason: "QUOTA_EXCEEDED"`".
    emu.control.failNext({ status: 429, retryAfter: 36_000, reason: "QUOTA_EXCEEDED", count: 1000 });
    const first = await catalog().resolve(`spotify:album:${demoAlbum.id}`);
    expect(first.notes[0]).toContain("(QUOTA_EXCEEDED)");
    const second = await catalog().resolve(`spotify:album:${cyrillicAlbum.id}`);
    expect(second.notes[0]).toMatch(/quota is used up, so the Web API is resting until /);
    expect(emu.control.requests.filter((r) => r.route === "api")).toHaveLength(1);
    const written = await allNotices();
    expect(written.map((n) => n.kind)).toEqual(["spotify_paused"]);
    expect(written[0]!.text).toContain("QUOTA_EXCEEDED");
  });

  it("does not pause for a Retry-After the bot waits out", async () => {
    emu.control.failNext({ status: 429, retryAfter: 1 });
    const collection = await catalog().resolve(`spotify:track:${explicitTwin.id}`);
    expect(collection.provider).toBe("api");
    expect(await pauses.get("spotify_api")).toBeUndefined();
    expect(await catalog().resolve(`spotify:track:${explicitTwin.id}`)).toMatchObject({ provider: "api" });
    expect(await allNotices()).toEqual([]);
  });

  it("still says not found when the Web API rests and the embed page shows nothing", async () => {
    await pauses.pause(
      "spotify_api",
      600,
      "Spotify asked us to wait 10 min (HTTP 429 with Retry-After: 600)",
    );
    const err: unknown = await catalog()
      .resolve(`spotify:album:${"z".repeat(22)}`)
      .catch((e: unknown) => e);
    expect(isUserFacing(err) && err.code).toBe("catalog_not_found");
    expect(webApiCalls()).toBe(0);
  });

  it("takes pauses and notices through catalogOptionsFromConfig(config.spotify, { logger, pauses, notices })", async () => {
    const { config } = createConfig(
      {
        spotify: {
          clientId: emulatorCredentials.clientId,
          apiBaseUrl: emu.apiBaseUrl,
          accountsBaseUrl: emu.url,
          embedBaseUrl: emu.url,
        },
      },
      { SPOTIFY_CLIENT_SECRET: emulatorCredentials.clientSecret },
    );
    const logger = { debug: () => undefined, warn: () => undefined };
    const options = catalogOptionsFromConfig(config.spotify, { logger, pauses, notices });
    expect(options).toMatchObject({ pauses, notices, logger });
    emu.control.setPremiumLapsed(true);
    expect((await createCatalog(options).resolve(`spotify:album:${demoAlbum.id}`)).provider).toBe("embed");
    expect((await allNotices()).map((n) => n.kind)).toEqual(["spotify_premium_lapsed"]);
  });
});
