/**
 * Download packages on disk: an identical request reuses the package, packages go when their links
 * expire, the disk budget evicts the oldest first (a link to an evicted package says it expired), and
 * doctor shows how much disk they use.
 */
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import Fastify from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createConfig } from "../../../src/core/config/load.js";
import { runDoctor } from "../../../src/core/doctor.js";
import { createLinkSigner } from "../../../src/core/http/link-signer.js";
import { filesRoute } from "../../../src/core/http/files-route.js";
import { createKeys } from "../../../src/core/jobs/keys.js";
import { createPackageStore } from "../../../src/core/jobs/package-store.js";
import type { WorkerRuntime } from "../../../src/core/jobs/workers.js";
import { writeZip } from "../../../src/core/jobs/packager.js";
import { dataPaths } from "../../../src/core/config/data-paths.js";
import { createMetrics } from "../../../src/core/metrics.js";
import { shortAlbum } from "../../../src/emulators/spotify/index.js";
import { createTestPipeline, type TestPipeline } from "../../helpers/pipeline.js";
import { storeCollection } from "../burn/burn-fixture.js";
import { createHttpFixture, type HttpFixture } from "../http/http-fixture.js";

const albumRef = { kind: "album" as const, id: shortAlbum.id, uri: `spotify:album:${shortAlbum.id}` };
const trackRef = {
  kind: "track" as const,
  id: shortAlbum.tracks[0]!.id,
  uri: `spotify:track:${shortAlbum.tracks[0]!.id}`,
};
const zipsIn = (dir: string) => readdirSync(dir).filter((n) => n.endsWith(".zip"));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The /files route over the pipeline's jobs, with a signer as the service builds it from the config. */
async function filesApp(p: TestPipeline) {
  const app = Fastify();
  const signer = createLinkSigner({
    secret: "a-test-link-secret-0123456789",
    ttlHours: p.config.http.linkTtlHours,
  });
  filesRoute(app, {
    jobs: p.jobs,
    signer,
    packagesDir: dataPaths(p.config).packagesDir,
    rateLimit: { max: 100, timeWindow: "1 minute" },
  });
  await app.ready();
  cleanups.push(() => app.close());
  return { get: (jobId: string) => app.inject({ url: `/files/${signer.sign(jobId)}` }) };
}

describe("download packages", () => {
  let p: TestPipeline;
  let workers: WorkerRuntime;
  beforeAll(async () => {
    // Two tracks of the album are enough, and keep the test fast.
    p = await createTestPipeline({ jobs: { maxTracksPerCollection: 2 } });
    workers = await p.startWorkers();
  });
  afterAll(async () => p?.close());

  it("the same album asked twice writes one package and both links serve it", async () => {
    const packagesDir = dataPaths(p.config).packagesDir;
    const first = await p.jobs.submit({ owner: { userId: 11, chatId: 11 }, ref: albumRef });
    const one = (await p.waitForEnd(first.job.id, 30_000)).result!;
    expect(one.outcome).toBe("done");
    const written = statSync(one.packagePath!);

    const second = await p.jobs.submit({ owner: { userId: 22, chatId: 22 }, ref: albumRef });
    expect(second.existing).toBe(false);
    const two = (await p.waitForEnd(second.job.id, 30_000)).result!;
    expect(two.tracks.map((t) => t.outcome)).toEqual(["cached", "cached"]);

    expect(two.packagePath).toBe(one.packagePath);
    expect(two.packageBytes).toBe(one.packageBytes);
    expect(zipsIn(packagesDir)).toHaveLength(1);
    // Not written again: the same file, untouched.
    const after = statSync(two.packagePath!);
    expect([after.ino, after.mtimeMs]).toEqual([written.ino, written.mtimeMs]);

    const files = await filesApp(p);
    const zip = readFileSync(one.packagePath!);
    for (const jobId of [first.job.id, second.job.id]) {
      const res = await files.get(jobId);
      expect(res.statusCode, jobId).toBe(200);
      expect(res.rawPayload.equals(zip)).toBe(true);
    }
  }, 60_000);

  it("a package directory shrinks after its links expire", async () => {
    // Workers whose links live about a second: a package is kept that long, plus as long again for a
    // late delivery. Packages made earlier with 72-hour links (the album's) stay.
    await workers.close(5000);
    const config = { ...p.config, http: { ...p.config.http, linkTtlHours: 0.0003 } };
    const packagesDir = dataPaths(config).packagesDir;
    const earlier = existsSync(packagesDir) ? zipsIn(packagesDir) : [];
    const earlierBytes = earlier.reduce((sum, n) => sum + statSync(path.join(packagesDir, n)).size, 0);
    const metrics = createMetrics({ defaultMetrics: false });
    await p.startWorkers({ config, metrics });
    const { job } = await p.jobs.submit({ owner: { userId: 33, chatId: 33 }, ref: trackRef });
    const result = (await p.waitForEnd(job.id, 30_000)).result!;
    expect(result.outcome).toBe("done");
    expect(zipsIn(packagesDir).sort()).toEqual([...earlier, path.basename(result.packagePath!)].sort());
    expect((await metrics.packages.get()).values[0]?.value).toBe(earlier.length + 1);

    const deadline = Date.now() + 8000;
    while (zipsIn(packagesDir).length > earlier.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(zipsIn(packagesDir)).toEqual(earlier);
    expect((await metrics.packages.get()).values[0]?.value).toBe(earlier.length);
    expect((await metrics.packageBytes.get()).values[0]?.value).toBe(earlierBytes);
    expect(await p.redis.zcard(createKeys(p.config.redis.prefix).packages)).toBe(earlier.length);
  }, 30_000);
});

describe("the package disk budget", () => {
  let f: HttpFixture;

  it("over the disk budget the oldest package goes first, and its live link says it expired", async () => {
    f = await createHttpFixture();
    cleanups.push(() => f.close());
    // The oldest package: a finished job's, with a link that is still valid.
    const stored = await storeCollection({
      redis: f.redis,
      prefix: f.prefix,
      dataDir: f.dataDir,
      title: "Oldest",
      tracks: [{ title: "Eins", seconds: 1 }],
    });
    expect((await f.app.inject({ url: `/files/${f.signer.sign(stored.jobId)}` })).statusCode).toBe(200);

    const { config } = createConfig(
      { dataDir: f.dataDir, redis: { prefix: f.prefix }, jobs: { packageBudgetMB: 1 } },
      {},
    );
    let clock = Date.now();
    const store = createPackageStore({
      redis: f.redis,
      keys: createKeys(f.prefix),
      config,
      now: () => (clock += 1000),
    });
    const source = mkdtempSync(path.join(os.tmpdir(), "cdc-budget-"));
    cleanups.push(() => rmSync(source, { recursive: true, force: true }));
    const make = async (name: string) => {
      const file = path.join(source, `${name}.mp3`);
      writeFileSync(file, randomBytes(400_000));
      return store.obtain([{ name: `${name}/${name}.mp3`, sha256: name }], (dest) =>
        writeZip(dest, [{ file, name: `${name}/${name}.mp3` }]),
      );
    };
    const a = await make("a");
    const b = await make("b");
    expect(zipsIn(store.dir)).toHaveLength(3); // 0.8 MB and a little: under 1 MB
    const c = await make("c"); // 1.2 MB: the two oldest must go
    expect(zipsIn(store.dir).sort()).toEqual([path.basename(b.path), path.basename(c.path)].sort());
    expect(statSync(c.path).size).toBe(c.bytes);
    expect(a.reused).toBe(false);

    const gone = await f.app.inject({ url: `/files/${f.signer.sign(stored.jobId)}` });
    expect(gone.statusCode).toBe(410);
    expect(gone.json()).toMatchObject({ error: "link expired" });

    // Asked again, an evicted package is written anew; a kept one is reused.
    expect((await make("b")).reused).toBe(true);
    expect((await make("a")).reused).toBe(false);
  });

  it("doctor shows package disk usage", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "cdc-doc-pkg-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const { config } = createConfig({ dataDir, jobs: { packageBudgetMB: 2 } }, {});
    const dir = dataPaths(config).packagesDir;
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "aaaa.zip"), Buffer.alloc(1_500_000));
    writeFileSync(path.join(dir, "bbbb.zip"), Buffer.alloc(500_000));
    const row = async () =>
      // No programs on PATH: their checks fail at once; this test is about the packages row.
      (await runDoctor({ config, role: "bot", configSource: "test", env: { PATH: dataDir } })).find(
        (r) => r.name === "packages",
      );
    expect(await row()).toMatchObject({ status: "ok", detail: `2 package(s), 1.9 MB of 2 MB in ${dir}` });
    writeFileSync(path.join(dir, "cccc.zip"), Buffer.alloc(500_000));
    const over = await row();
    expect(over).toMatchObject({ status: "warn", detail: `3 package(s), 2.4 MB of 2 MB in ${dir}` });
    expect(over?.fix).toContain("jobs.packageBudgetMB");
  });
});
