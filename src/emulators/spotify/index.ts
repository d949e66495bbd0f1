/** The Spotify emulator and its catalog fixture. */
export * from "./catalog.js";
export { startSpotifyEmulator } from "./spotify-emulator.js";
export type { SpotifyEmulator, SpotifyEmulatorOptions } from "./spotify-emulator.js";
export { emulatorCredentials } from "./accounts.js";
export { premiumLapsedMessage } from "./web-api.js";
export { shortLinkCodes, shortLinkTargets } from "./short-links.js";
export type { EmulatorRoute } from "./http-shared.js";
export type { FailureRule } from "./faults.js";
export type { RequestRecord, SpotifyEmulatorControl } from "./control.js";
