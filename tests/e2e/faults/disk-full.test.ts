/**
 * The disk filling up during downloads. The data directory (library, temp files, packages) is a small
 * tmpfs mounted for this test, so yt-dlp, ffmpeg and the packager meet a real ENOSPC. The job must end
 * (failed or partly done) with a reason a person understands, and leave no half-written files behind.
 *
 * Needs root and mount(2) (this machine and CI have both); where the mount is refused the case is skipped
 * and says so.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { shortAlbum } from "../../../src/emulators/spotify/index.js";
import { expectCleanEnd, expectToldOnce, spotifyLink, startRig, type Rig } from "./fault-rig.js";

/** Mounts a tmpfs of `size` at a fresh dir; undefined (with the reason) when the sandbox refuses. */
function mountSmallDisk(size: string): { dir: string } | { refused: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cdc-fault-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0755`, "tmpfs", dir], { stdio: "pipe" });
    return { dir };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    return { refused: (err as { stderr?: Buffer }).stderr?.toString().trim() || String(err) };
  }
}

describe("the disk filling up during a download", () => {
  let rig: Rig | undefined;
  let mounted: string | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
    if (mounted) {
      execFileSync("umount", ["-l", mounted]);
      rmSync(mounted, { recursive: true, force: true });
      mounted = undefined;
    }
  });

  it("ends the job with a 'disk is full' reason and no half-written files", async (ctx) => {
    // Room for a few of the album's ten tracks, not for all of them.
    const disk = mountSmallDisk("1m");
    if ("refused" in disk) {
      ctx.skip(`cannot mount a small tmpfs here: ${disk.refused}`);
      return;
    }
    mounted = disk.dir;
    rig = await startRig({
      role: "all",
      telegram: true,
      dataDir: disk.dir,
      config: { jobs: { workerConcurrency: 2, backoffSeconds: 1 } },
    });
    const jobId = await rig.requestByChat(spotifyLink("album", shortAlbum.id));
    const end = await rig.waitForEnd(jobId, 90_000);
    const result = end.result!;
    expect(["failed", "done"]).toContain(end.stage);
    expect(["failed", "partial"]).toContain(result.outcome);
    const failed = result.tracks.filter((t) => t.outcome === "failed");
    expect(failed.length).toBeGreaterThan(0);
    for (const t of failed) expect(t.reason, `track ${t.index}`).toMatch(/disk is full/i);

    // The person is told, with the reason.
    const summary = await rig.summaryFor(jobId, 30_000);
    expect(summary.text).toMatch(/disk is full/i);
    await expectToldOnce(rig, jobId);
    await expectCleanEnd(end, rig.config, rig.config.redis.url);
  }, 150_000);
});
