/**
 * `doctor`'s checks of what one role needs beyond programs: Spotify credentials and the provider the
 * catalog will use (workers), and a CD writer (the burner).
 */
import type { Config, Role } from "./config/schema.js";
import { detectCdWriters, type DetectOptions } from "./burn/drive-detect.js";
import { describeError } from "./errors.js";
import { ProviderError } from "./spotify/provider.js";
import { WebApiClient } from "./spotify/web-api-client.js";
import type { CheckResult } from "./doctor.js";

const CHECK_TIMEOUT_MS = 5000;
const SPOTIFY_APP_FIX =
  "create an app at developer.spotify.com (development mode is enough) and set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET";

/** Which provider reads albums and tracks, and whether Spotify accepts the app's credentials. */
export async function checkSpotify(config: Config): Promise<CheckResult> {
  const s = config.spotify;
  const name = "spotify";
  if (!s.providers.includes("api")) {
    return { name, status: "ok", detail: "public embed page only (spotify.providers has no `api`)" };
  }
  if (s.clientId === "" && s.clientSecret === "") {
    return {
      name,
      status: "warn",
      detail: "no credentials: everything comes from the public embed page (no ISRCs, so weaker matches)",
      fix: SPOTIFY_APP_FIX,
    };
  }
  if (s.clientId === "" || s.clientSecret === "") {
    return {
      name,
      status: "fail",
      detail: `SPOTIFY_CLIENT_${s.clientId === "" ? "ID" : "SECRET"} is missing (the other one is set)`,
      fix: SPOTIFY_APP_FIX,
    };
  }
  const client = new WebApiClient({
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    apiBaseUrl: s.apiBaseUrl,
    accountsBaseUrl: s.accountsBaseUrl,
    requestTimeoutMs: CHECK_TIMEOUT_MS,
    maxRetryAfterSeconds: 0,
    maxAttempts: 1,
  });
  try {
    await client.checkCredentials(AbortSignal.timeout(CHECK_TIMEOUT_MS));
    return {
      name,
      status: "ok",
      detail:
        "credentials accepted: albums and tracks from the Web API (with ISRCs), playlists from the embed page",
    };
  } catch (err) {
    const refused = err instanceof ProviderError && err.failure === "auth";
    return refused
      ? {
          name,
          status: "fail",
          detail: "Spotify refuses the client id and secret",
          fix: "copy both again from the app's settings at developer.spotify.com",
        }
      : {
          name,
          status: "warn",
          detail: `could not reach ${new URL(s.accountsBaseUrl).host} (${describeError(err)}); the embed page is used meanwhile`,
          fix: "check this machine's internet access, or spotify.accountsBaseUrl",
        };
  }
}

/** A CD writer for the burner: required by `--role burner`, a warning for `all`. */
export async function checkCdWriter(
  config: Config,
  role: Role,
  options: DetectOptions = {},
): Promise<CheckResult> {
  const name = "cd writer";
  const found = await detectCdWriters(options);
  if (!found.found) {
    return {
      name,
      status: role === "burner" ? "fail" : "warn",
      detail: found.message,
      fix: "connect a CD writer (a USB one is fine) and set burn.device; until then a burn can only be refused",
    };
  }
  const devices = found.writers.map((w) => w.device);
  if (!devices.includes(config.burn.device)) {
    return {
      name,
      status: role === "burner" ? "fail" : "warn",
      detail: `burn.device is ${config.burn.device}, but the CD writers here are ${devices.join(", ")}`,
      fix: `set burn.device to ${devices[0] ?? "/dev/sr0"}`,
    };
  }
  return { name, status: "ok", detail: `${config.burn.device} writes CD-R` };
}
