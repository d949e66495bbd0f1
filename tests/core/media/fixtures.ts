/** Tracks, temp folders and ffmpeg-made sources shared by the media tests. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Track } from "../../../src/core/spotify/types.js";

export function makeTrack(overrides: Partial<Track> = {}): Track {
  return {
    id: "4uLU6hMCjMI75M1A2tKUQC",
    title: "Never Gonna Give You Up",
    artists: ["Rick Astley"],
    album: "Whenever You Need Somebody",
    albumArtist: "Rick Astley",
    trackNumber: 1,
    discNumber: 1,
    durationMs: 4000,
    isrc: "GBARL9300135",
    explicit: false,
    releaseDate: "1987-11-12",
    ...overrides,
  };
}

/** Runs real ffmpeg quietly (overwriting its output): test sources such as lavfi noise and covers. */
export function ffmpeg(args: string[]): void {
  execFileSync("ffmpeg", ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", ...args]);
}

/** A temp folder removed by the returned cleanup. */
export function tempDir(name: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `cdc-${name}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Shared across test files so generated audio is made once per machine, not once per run. */
export const audioCacheDir = path.join(os.tmpdir(), "cdc-test-audio-cache");
