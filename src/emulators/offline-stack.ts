/**
 * The outside world on loopback: the Spotify emulator, the audio source stand-in and the LRCLIB stand-in,
 * with the catalog fixture's tracks, plus the configuration overrides that point the service at them. Used by the demo,
 * the tests and the benchmarks.
 */
import path from "node:path";
import {
  albums,
  catalogTrackToTrack,
  emulatorCredentials,
  startSpotifyEmulator,
  type SpotifyEmulator,
} from "./spotify/index.js";
import { startAudioSource, type AudioSource } from "./audio-source/index.js";
import { startLrclibEmulator, type LrclibEmulator } from "./lrclib/index.js";

export interface OfflineStack {
  spotify: SpotifyEmulator;
  audio: AudioSource;
  lrclib: LrclibEmulator;
  /** Config data (as if from TOML) that points the service at the emulators. */
  configOverrides: Record<string, Record<string, unknown>>;
  /** Environment values for the same (secrets go through the environment). */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startOfflineStack(options: {
  cacheDir: string;
  ffmpegPath?: string;
}): Promise<OfflineStack> {
  const spotify = await startSpotifyEmulator();
  const tracks = albums.flatMap((album) => album.tracks.map((t) => catalogTrackToTrack(t, spotify.url)));
  const audio = await startAudioSource({
    tracks,
    cacheDir: path.join(options.cacheDir, "audio-source"),
    ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
  });
  const lrclib = await startLrclibEmulator();
  let closed = false;
  return {
    spotify,
    audio,
    lrclib,
    configOverrides: {
      spotify: {
        providers: ["api", "embed"],
        apiBaseUrl: spotify.apiBaseUrl,
        accountsBaseUrl: spotify.url,
        embedBaseUrl: spotify.url,
        shortLinkBaseUrl: spotify.url,
      },
      source: { kind: "local", baseUrl: audio.url, searchBaseUrl: audio.url },
      lyrics: { baseUrl: lrclib.url },
    },
    env: {
      SPOTIFY_CLIENT_ID: emulatorCredentials.clientId,
      SPOTIFY_CLIENT_SECRET: emulatorCredentials.clientSecret,
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([spotify.close(), audio.close(), lrclib.close()]);
    },
  };
}
