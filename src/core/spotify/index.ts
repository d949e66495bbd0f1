/** Spotify links and catalog: what the bot, the CLI and the jobs import. */
export type { Collection, ProviderName, SpotifyKind, SpotifyRef, Track } from "./types.js";
export {
  isShortLink,
  parseSpotifyLink,
  spotifyRef,
  spotifyUrl,
  type ParsedLink,
  type ShortLinkRef,
} from "./link-parser.js";
export { resolveShortLink, type ResolveShortLinkOptions } from "./short-link.js";
export { ProviderError, type CatalogProvider, type ProviderFailure } from "./provider.js";
export { createApiProvider, editorialPlaylistPrefix, type ApiProviderOptions } from "./api-provider.js";
export { createEmbedProvider, embedPlaylistLimit, type EmbedProviderOptions } from "./embed-provider.js";
export {
  catalogOptionsFromConfig,
  createCatalog,
  resolveLink,
  type Catalog,
  type CatalogOptions,
} from "./catalog.js";
export { formatCollection, formatDuration } from "./format-collection.js";
