/** Catalog options pointing every provider at a running Spotify stand-in (the tests' common set-up). */
import type { CatalogOptions } from "../../../src/core/spotify/catalog.js";
import { emulatorCredentials, type SpotifyEmulator } from "../../../src/emulators/spotify/index.js";

export function emulatorCatalogOptions(
  emu: SpotifyEmulator,
  overrides: Partial<CatalogOptions> = {},
): CatalogOptions {
  return {
    providers: ["api", "embed"],
    ...emulatorCredentials,
    apiBaseUrl: emu.apiBaseUrl,
    accountsBaseUrl: emu.url,
    embedBaseUrl: emu.url,
    shortLinkBaseUrl: emu.url,
    maxRetryAfterSeconds: 5,
    requestTimeoutMs: 5_000,
    ...overrides,
  };
}
