/** Local stand-in for LRCLIB (lrclib.net), the keyless lyrics API, with lyrics for the catalog fixture. */
export { startLrclibEmulator, trackNotFound } from "./server.js";
export type { LrclibEmulator, LrclibStats } from "./server.js";
export {
  instrumentalOnLrclib,
  lrcTime,
  plainOnlyOnLrclib,
  recordFor,
  songLines,
  unknownToLrclib,
} from "./catalog.js";
export type { LrclibRecord } from "./catalog.js";
