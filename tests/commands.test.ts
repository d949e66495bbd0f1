import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOfflineStack, type OfflineStack } from "../src/emulators/offline-stack.js";
import { videoIdFor } from "../src/emulators/audio-source/index.js";
import {
  bigPlaylist,
  catalogTrackToTrack,
  demoAlbum,
  notOwnedPlaylist,
  shortAlbum,
  shortAlbums,
} from "../src/emulators/spotify/index.js";
import { processesMentioning } from "./helpers/processes.js";
import { cli } from "./helpers/cli.js";
import { audioCacheDir } from "./helpers/pipeline.js";
import { toToml } from "./helpers/toml.js";
import { testRedisUrl, uniquePrefix } from "./helpers/redis.js";

describe("resolve, match and download commands against the emulators", () => {
  let stack: OfflineStack;
  let dir: string;
  beforeAll(async () => {
    stack = await startOfflineStack({ cacheDir: audioCacheDir });
    dir = mkdtempSync(path.join(os.tmpdir(), "cdc-cmd-"));
    writeFileSync(
      path.join(dir, "bot.toml"),
      toToml({ dataDir: path.join(dir, "data"), ...stack.configOverrides }),
    );
  });
  afterAll(async () => stack?.close());

  it("resolve prints the track list, total and provider; --json gives the collection", async () => {
    const text = await cli(
      ["resolve", `https://open.spotify.com/album/${demoAlbum.id}?si=abc`, "--config", "bot.toml"],
      { cwd: dir, env: stack.env },
    );
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(demoAlbum.name);
    expect(text.stdout).toContain("\n1. Léa Marchand — Café au Lait  0:34\n");
    expect(text.stdout).toContain("5 tracks, 5:08 in total, from the Spotify Web API.");
    const json = await cli(
      ["resolve", `spotify:playlist:${bigPlaylist.id}`, "--json", "--config", "bot.toml"],
      { cwd: dir, env: stack.env },
    );
    // Under 2026's rules the Web API shares no playlist with a client-credentials app: the public embed
    // page answers, and it lists at most 100 rows (FACTS.md, Spotify).
    const collection = JSON.parse(json.stdout) as { tracks: unknown[]; provider: string; truncated: boolean };
    expect(collection.tracks).toHaveLength(100);
    expect(collection.provider).toBe("embed");
    expect(collection.truncated).toBe(true);
  });

  it("resolve explains a playlist the API will not share and falls through to the embed page", async () => {
    const res = await cli(
      ["resolve", `https://open.spotify.com/playlist/${notOwnedPlaylist.id}`, "--config", "bot.toml"],
      { cwd: dir, env: stack.env },
    );
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/embed/i);
  });

  it("resolve rejects a bad link with a sentence and exit 1", async () => {
    const res = await cli(["resolve", "https://example.com/album/x", "--config", "bot.toml"], {
      cwd: dir,
      env: stack.env,
    });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split("\n")).toHaveLength(1);
    expect(res.stderr).toMatch(/Spotify/);
  });

  it("each command has its own --help, and an unknown option gets one line naming the command's options", async () => {
    const help = await cli(["download", "--help"], { cwd: dir });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: cd-collector download <spotify link>/u);
    expect(help.stdout).toContain("--format F");
    expect(help.stdout).not.toContain("Commands:");
    const wrong = await cli(["download", "--bitrate", "320", "spotify:album:x"], { cwd: dir });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim()).toBe(
      "cd-collector download: unknown option --bitrate; its options are --format, --config, --help (cd-collector download --help)",
    );
  });

  it("match scores JSON lines from stdin", async () => {
    const track = {
      id: "x".repeat(22),
      title: "Señal de Humo",
      artists: ["Léa Marchand"],
      album: "A",
      albumArtist: "Léa Marchand",
      trackNumber: 1,
      discNumber: 1,
      durationMs: 58_400,
      explicit: false,
    };
    const candidates = [
      {
        id: "aaaaaaaaaaa",
        title: "Señal de Humo (Live)",
        channel: "Léa Marchand",
        durationSec: 80,
        via: "video",
      },
      {
        id: "bbbbbbbbbbb",
        title: "Señal de Humo",
        channel: "Léa Marchand - Topic",
        durationSec: 58,
        via: "video",
      },
    ];
    const res = await cli(["match"], {
      cwd: dir,
      input: `${JSON.stringify({ track, candidates })}\nnot json\n`,
    });
    const lines = res.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect((lines[0]!.choice as { id: string }).id).toBe("bbbbbbbbbbb");
    expect(lines[1]!.error).toBeDefined();
    expect(res.code).toBe(1);
  });

  it("download runs the pipeline in-process and prints a summary with paths", async () => {
    const env = { ...stack.env, REDIS_URL: testRedisUrl() };
    const data = {
      dataDir: path.join(dir, "dl"),
      ...stack.configOverrides,
      redis: { prefix: uniquePrefix("dl") },
    };
    writeFileSync(path.join(dir, "dl.toml"), toToml(data));
    const res = await cli(
      [
        "download",
        `https://open.spotify.com/album/${shortAlbum.id}`,
        "--config",
        "dl.toml",
        "--format",
        "flac",
      ],
      { cwd: dir, env, timeoutMs: 120_000 },
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^Job [a-z2-9]{7}: spotify:album:/m);
    expect(res.stdout).toContain("track 10/10 finished");
    expect(res.stdout).toContain("10 of 10 tracks");
    expect(res.stdout).toMatch(/\.flac\n/);
    expect(res.stdout).toContain("zip:");
  }, 150_000);

  it("download on the embedded redis-server exits 1 when every track failed, and leaves no redis-server behind", async () => {
    const album = shortAlbums[1]!;
    // Every confident upload of each recording is gone (the album's and the single's).
    for (const t of album.tracks) {
      const id = catalogTrackToTrack(t, stack.spotify.url).id;
      for (const v of ["official", "single"] as const) stack.audio.control.failAudio(videoIdFor(id, v), 404);
    }
    const data = { dataDir: path.join(dir, "emb"), ...stack.configOverrides };
    writeFileSync(path.join(dir, "emb.toml"), toToml(data));
    const res = await cli(["download", `spotify:album:${album.id}`, "--config", "emb.toml"], {
      cwd: dir,
      env: stack.env,
      timeoutMs: 120_000,
    });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain("0 of 10 tracks");
    expect(res.stdout).toMatch(/failed\s+Petit Ensemble - Pièce n° 1: .*unavailable/i);
    expect(processesMentioning(path.join(dir, "emb"))).toEqual([]);
  }, 150_000);
});
