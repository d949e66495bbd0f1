/**
 * Files one machine holds, fetched by another over the signed peer route, with one Redis between them:
 * the two agree on the signing key without set-up, a file is copied whole (and only once), and the
 * route serves nothing a token does not name inside the library.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localizeBurnTracks } from "../../../src/core/burn/burn-files.js";
import { createConfig } from "../../../src/core/config/load.js";
import {
  createPeerSigner,
  PEER_TOKEN_MAX_CHARS,
  sharedLinkSecret,
} from "../../../src/core/http/link-signer.js";
import { peerFilesRoute } from "../../../src/core/http/peer-files-route.js";
import { newJobId } from "../../../src/core/jobs/job-id.js";
import { createJobRecords } from "../../../src/core/jobs/job-record.js";
import { createKeys } from "../../../src/core/jobs/keys.js";
import { silentLogger } from "../../../src/core/log.js";
import { createPeerFiles, PeerFileError } from "../../../src/core/media/peer-files.js";
import { createRedis } from "../../../src/core/redis.js";
import { testRedisUrl, uniquePrefix } from "../../helpers/redis.js";

const trackFile = "Duo Bref/Deux minutes/01 - Aller.mp3";
const content = Buffer.from("ID3".padEnd(40_000, "a"));

let root: string;
let redis: Redis;
let holderApp: FastifyInstance;
let holderUrl: string;
let secret: Buffer;
const dirs = (name: string) => ({
  libraryDir: path.join(root, name, "library"),
  packagesDir: path.join(root, name, "packages"),
});

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "cdc-peer-"));
  redis = createRedis({ url: testRedisUrl() }, "client");
  const keys = createKeys(uniquePrefix("peer"));
  // Two machines, each with its own data directory and no key configured: Redis makes them agree.
  const holderSecret = await sharedLinkSecret(
    { dataDir: path.join(root, "a"), http: { linkSecret: "" } },
    redis,
    keys.linkSecret,
  );
  secret = await sharedLinkSecret(
    { dataDir: path.join(root, "b"), http: { linkSecret: "" } },
    redis,
    keys.linkSecret,
  );
  expect(secret.equals(holderSecret)).toBe(true);

  const holder = dirs("a");
  mkdirSync(path.join(holder.libraryDir, path.dirname(trackFile)), { recursive: true });
  writeFileSync(path.join(holder.libraryDir, trackFile), content);
  writeFileSync(path.join(root, "a", "secret.txt"), "not for peers");
  holderApp = Fastify({ routerOptions: { maxParamLength: PEER_TOKEN_MAX_CHARS } });
  peerFilesRoute(holderApp, {
    signer: createPeerSigner({ secret: holderSecret }),
    ...holder,
    rateLimit: { max: 1000, timeWindow: "1 minute" },
  });
  holderUrl = await holderApp.listen({ host: "127.0.0.1", port: 0 });
});

afterAll(async () => {
  await holderApp.close();
  redis.disconnect();
  rmSync(root, { recursive: true, force: true });
});

const machineB = () =>
  createPeerFiles({
    ...dirs("b"),
    self: "http://b.invalid:8080",
    signer: createPeerSigner({ secret }),
    maxBytes: 1e6,
  });

describe("a file another machine holds", () => {
  it("is fetched whole into this machine's library from its holder, once, and then used from here", async () => {
    const files = machineB();
    const [first, second] = await Promise.all([
      files.ensureLocal(trackFile, holderUrl, { bytes: content.length }),
      files.ensureLocal(trackFile, holderUrl, { bytes: content.length }),
    ]);
    expect(first).toBe(path.join(dirs("b").libraryDir, trackFile));
    expect(second).toBe(first);
    expect(readFileSync(first).equals(content)).toBe(true);
    // Here now: no holder needed.
    expect(await files.ensureLocal(trackFile, undefined)).toBe(first);
  });

  it("is refused when not here and no other machine holds it, or when it is larger than allowed", async () => {
    const files = machineB();
    await expect(files.ensureLocal("Other/Album/01 - X.mp3", undefined)).rejects.toBeInstanceOf(
      PeerFileError,
    );
    await expect(files.ensureLocal("Other/Album/01 - X.mp3", "http://b.invalid:8080")).rejects.toMatchObject({
      code: "missing",
    });
    const small = createPeerFiles({
      ...dirs("c"),
      self: undefined,
      signer: createPeerSigner({ secret }),
      maxBytes: 1000,
    });
    await expect(small.ensureLocal(trackFile, holderUrl)).rejects.toMatchObject({ code: "too_large" });
  });

  it("reaches the burner's library before a disc is rendered", async () => {
    const prefix = uniquePrefix("burnpeer");
    const { config } = createConfig({ dataDir: path.join(root, "burner"), redis: { prefix } });
    const jobId = newJobId();
    await createJobRecords(redis, createKeys(prefix), 60).finish(jobId, {
      outcome: "done",
      title: "Deux minutes",
      tracks: [
        {
          index: 0,
          trackId: "t1",
          title: "Aller",
          artists: ["Duo Bref"],
          outcome: "done",
          file: trackFile,
          holder: holderUrl,
          bytes: content.length,
          durationSec: 5,
          warnings: [],
        },
      ],
      notes: [],
      truncated: false,
      totalDurationSec: 5,
      totalBytes: content.length,
      finishedAt: Date.now(),
    });
    const files = createPeerFiles({
      ...dirs("burner"),
      self: undefined,
      signer: createPeerSigner({ secret }),
      maxBytes: 1e6,
    });
    await localizeBurnTracks(files, { config, redis, logger: silentLogger() }, { jobId, disc: 1 });
    expect(readFileSync(path.join(dirs("burner").libraryDir, trackFile)).equals(content)).toBe(true);
  });
});

describe("the peer route", () => {
  const signer = () => createPeerSigner({ secret });
  const get = (token: string) => fetch(`${holderUrl}/files/peer/${encodeURIComponent(token)}`);

  it("serves nothing outside the library, whatever a signed token names, and nothing for a forged one", async () => {
    for (const p of ["../secret.txt", "/etc/passwd", ".", "Duo Bref/../../secret.txt"]) {
      expect((await get(signer().sign({ kind: "library", path: p }))).status, p).toBe(404);
    }
    expect((await get(signer().sign({ kind: "package", name: "../library/x.zip" }))).status).toBe(404);
    const forged = createPeerSigner({ secret: "another-secret-another-secret!!" }).sign({
      kind: "library",
      path: trackFile,
    });
    expect((await get(forged)).status).toBe(403);
    const expired = signer().sign({ kind: "library", path: trackFile }, Date.now() - 3_600_000);
    expect((await get(expired)).status).toBe(410);
    expect((await get(signer().sign({ kind: "library", path: trackFile }))).status).toBe(200);
  });
});
