/** The Spotify emulator and its catalog fixture. */
export * from "./catalog.js";
export { startSpotifyEmulator, emulatorCredentials, premiumLapsedMessage } from "./spotify-emulator.js";
export type {
  EmulatorRoute,
  FailureRule,
  RequestRecord,
  SpotifyEmulator,
  SpotifyEmulatorControl,
  SpotifyEmulatorOptions,
} from "./spotify-emulator.js";
