/** Local stand-in for the audio source (YouTube Music): InnerTube search and downloadable audio on loopback. */
export { innertubeError, startAudioSource } from "./server.js";
export type {
  AudioSource,
  AudioSourceControl,
  AudioSourceFormat,
  AudioSourceOptions,
  AudioSourceStats,
  SearchLogEntry,
} from "./server.js";
export type { DishonestMedia } from "./dishonest-media.js";
export {
  expectedVideoId,
  matchScore,
  queryMatches,
  searchCatalog,
  videoIdFor,
  videosFor,
  variants,
} from "./catalog.js";
export type { FakeArtist, FakeVideo, MusicVideoType, SearchHits, Variant } from "./catalog.js";
export {
  decodeSearchParams,
  innertubeContinuationResponse,
  innertubeSearchResponse,
  InvalidArgumentError,
  listItem,
  parseSearchRequest,
} from "./innertube.js";
export type { ResponseOptions, SearchFilter, SearchRequest } from "./innertube.js";
