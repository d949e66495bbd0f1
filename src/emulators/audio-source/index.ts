/** Local stand-in for the audio source (YouTube): searches and downloadable audio on loopback. */
export { startAudioSource } from "./server.js";
export type {
  AudioSource,
  AudioSourceControl,
  AudioSourceFormat,
  AudioSourceOptions,
  AudioSourceStats,
} from "./server.js";
export {
  expectedVideoId,
  flatPlaylistJson,
  searchVideos,
  videoIdFor,
  videosFor,
  variants,
} from "./catalog.js";
export type { FakeVideo, Variant } from "./catalog.js";
