/**
 * A small typed client for the Spotify Web API with client credentials. Our own, because the popular
 * libraries hard-code hosts or still call endpoints that moved in February 2026 (see FACTS.md).
 * Every answer is checked with zod; every failure becomes a {@link ProviderError} with a reason a person
 * can read.
 */
import type { z } from "zod";
import type { Logger } from "../log.js";
import { ProviderError } from "./provider.js";
import {
  discardBody,
  type FetchLike,
  raceAbort,
  humanSeconds,
  isTimeout,
  parseRetryAfter,
  sleep,
  withTimeout,
} from "./spotify-http.js";
import { errorBodySchema, tokenResponseSchema } from "./web-api-schemas.js";

export interface WebApiClientOptions {
  /** Spotify app client id. */
  clientId: string;
  /** Spotify app client secret. */
  clientSecret: string;
  /** e.g. `https://api.spotify.com/v1` */
  apiBaseUrl: string;
  /** e.g. `https://accounts.spotify.com` */
  accountsBaseUrl: string;
  /** Timeout of one request. */
  requestTimeoutMs: number;
  /** Longest `Retry-After` (seconds) we wait for on a 429; longer waits fail over to the next provider. */
  maxRetryAfterSeconds: number;
  /** Attempts per request (429 waits and one 5xx retry included). @defaultValue 3 */
  maxAttempts?: number;
  /** @defaultValue globalThis.fetch */
  fetch?: FetchLike;
  logger?: Pick<Logger, "debug" | "warn">;
}

/**
 * The 403 message of every Web API call once the app owner's Premium has lapsed, even `GET /v1/tracks/{id}`:
 * "Active premium subscription required for the owner of the app" (FACTS.md, Spotify; LavaSrc #334,
 * spotDL #2634). Matched on the message, since a plain 403 means something else.
 */
export const premiumLapsedMessage = /active premium subscription required for the owner of the app/i;

/** Seconds before expiry at which a cached token is renewed, so it never expires mid-request. */
const tokenMarginSeconds = 60;

export class WebApiClient {
  private readonly fetchFn: FetchLike;
  private readonly apiBase: URL;
  private token: { value: string; expiresAt: number } | undefined;
  private pendingToken: Promise<string> | undefined;

  constructor(private readonly options: WebApiClientOptions) {
    this.fetchFn = options.fetch ?? globalThis.fetch;
    this.apiBase = new URL(options.apiBaseUrl.replace(/\/+$/, "") + "/");
  }

  /**
   * GET `pathOrUrl` (relative to the API base, or an absolute `next` URL on the same origin) and check
   * the answer with `schema`.
   * @throws ProviderError
   */
  async get<S extends z.ZodType>(pathOrUrl: string, schema: S, signal?: AbortSignal): Promise<z.infer<S>> {
    const url = this.resolveUrl(pathOrUrl);
    const maxAttempts = this.options.maxAttempts ?? 3;
    let renewedToken = false;
    for (let attempt = 1; ; attempt++) {
      const token = await this.accessToken(signal);
      const res = await this.send(url, { headers: { authorization: `Bearer ${token}` } }, signal);
      if (res.ok) return this.readJson(res, schema, url);
      if (res.status === 401 && !renewedToken) {
        // Revoked or expired early: one fresh token, then give up.
        await discardBody(res);
        this.token = undefined;
        renewedToken = true;
        continue;
      }
      await this.handleFailure(res, attempt, maxAttempts, signal);
    }
  }

  /**
   * Ask for a token once (what `doctor` does to prove the credentials).
   * @throws ProviderError with `auth` when Spotify refuses them
   */
  async checkCredentials(signal?: AbortSignal): Promise<void> {
    await this.accessToken(signal);
  }

  private resolveUrl(pathOrUrl: string): URL {
    const url = /^https?:\/\//i.test(pathOrUrl)
      ? new URL(pathOrUrl)
      : new URL(pathOrUrl.replace(/^\/+/, ""), this.apiBase);
    // `next` links come from the server; never send our token to another origin.
    if (url.origin !== this.apiBase.origin) {
      throw new ProviderError("api", "unavailable", "Spotify's Web API gave an answer we could not use.", {
        detail: `refusing to follow ${url.origin} (API base is ${this.apiBase.origin})`,
      });
    }
    return url;
  }

  /** The cached token, or a new one; concurrent callers share one token request. */
  private async accessToken(signal?: AbortSignal): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAt) return this.token.value;
    // Shared by concurrent callers, so it follows no caller's signal: one cancel must not fail the others.
    this.pendingToken ??= this.requestToken().finally(() => {
      this.pendingToken = undefined;
    });
    return raceAbort(this.pendingToken, signal);
  }

  private async requestToken(signal?: AbortSignal): Promise<string> {
    const url = new URL("api/token", this.options.accountsBaseUrl.replace(/\/+$/, "") + "/");
    const basic = Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString("base64");
    const maxAttempts = this.options.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      const res = await this.send(
        url,
        {
          method: "POST",
          headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
          body: "grant_type=client_credentials",
        },
        signal,
      );
      if (res.ok) {
        const body = await this.readJson(res, tokenResponseSchema, url);
        const lifetime = Math.max(body.expires_in - tokenMarginSeconds, body.expires_in / 2);
        this.token = { value: body.access_token, expiresAt: Date.now() + lifetime * 1000 };
        this.options.logger?.debug({ expiresIn: body.expires_in }, "spotify token issued");
        return body.access_token;
      }
      if (res.status === 400 || res.status === 401) {
        const detail = await errorDetail(res);
        throw new ProviderError(
          "api",
          "auth",
          "Spotify refused this bot's Web API credentials, so the Web API could not be used.",
          { detail: `token request refused (${res.status}): ${detail.message}` },
        );
      }
      await this.handleFailure(res, attempt, maxAttempts, signal);
    }
  }

  private async send(url: URL, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    try {
      return await this.fetchFn(url, { ...init, signal: withTimeout(this.options.requestTimeoutMs, signal) });
    } catch (err) {
      signal?.throwIfAborted();
      if (isTimeout(err, signal)) {
        throw new ProviderError(
          "api",
          "unavailable",
          `Spotify's Web API did not answer within ${humanSeconds(Math.max(1, Math.round(this.options.requestTimeoutMs / 1000)))}.`,
          { cause: err, detail: `timeout on ${url.pathname}` },
        );
      }
      throw new ProviderError("api", "unavailable", "Spotify's Web API could not be reached.", {
        cause: err,
        detail: `network error on ${url.pathname}: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }

  private async readJson<S extends z.ZodType>(res: Response, schema: S, url: URL): Promise<z.infer<S>> {
    let body: unknown;
    try {
      body = await res.json();
    } catch (err) {
      throw new ProviderError("api", "unavailable", "Spotify's Web API gave an answer we could not read.", {
        cause: err,
        detail: `invalid JSON from ${url.pathname}`,
      });
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new ProviderError("api", "unavailable", "Spotify's Web API gave an answer we could not read.", {
        cause: parsed.error,
        detail: `unexpected answer from ${url.pathname}: ${parsed.error.message}`,
      });
    }
    return parsed.data;
  }

  /** Waits and returns when the request should be tried again; throws a ProviderError otherwise. */
  private async handleFailure(
    res: Response,
    attempt: number,
    maxAttempts: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const path = new URL(res.url || "http://x/").pathname;
    const detail = await errorDetail(res);
    const describe = `${res.status} on ${path}: ${detail.message}`;
    if (res.status === 429) {
      const said = parseRetryAfter(res.headers.get("retry-after"));
      const retryAfter = said ?? 1;
      if (detail.reason === "QUOTA_EXCEEDED") {
        throw new ProviderError(
          "api",
          "quota",
          `This bot's Spotify Web API quota is used up (QUOTA_EXCEEDED); Spotify says to come back in about ${humanSeconds(retryAfter)}.`,
          { detail: describe, retryAfterSeconds: said },
        );
      }
      if (retryAfter > this.options.maxRetryAfterSeconds || attempt >= maxAttempts) {
        throw new ProviderError(
          "api",
          "rate_limited",
          `Spotify's Web API asked us to wait ${humanSeconds(retryAfter)}, longer than this bot waits (${humanSeconds(this.options.maxRetryAfterSeconds)}).`,
          { detail: describe, retryAfterSeconds: said },
        );
      }
      this.options.logger?.warn({ retryAfter, attempt }, "spotify 429, waiting");
      await sleep(retryAfter * 1000, signal);
      return;
    }
    if (res.status >= 500 && attempt < Math.min(2, maxAttempts)) {
      this.options.logger?.warn({ status: res.status, path }, "spotify 5xx, retrying once");
      await sleep(500, signal);
      return;
    }
    if (res.status === 403 && premiumLapsedMessage.test(detail.message)) {
      throw new ProviderError(
        "api",
        "premium_lapsed",
        "Spotify's Web API is switched off for this bot until its admin renews the Spotify account behind it; your link is fine.",
        { detail: describe },
      );
    }
    if (res.status === 403) {
      throw new ProviderError("api", "forbidden", "Spotify's Web API does not let this bot read that item.", {
        detail: describe,
      });
    }
    if (res.status === 404) {
      throw new ProviderError("api", "not_found", "Spotify's Web API doesn't know that item.", {
        detail: describe,
      });
    }
    throw new ProviderError("api", "unavailable", `Spotify's Web API failed (HTTP ${res.status}).`, {
      detail: describe,
    });
  }
}

/** `message` and `reason` from an error body, whatever its shape. */
async function errorDetail(res: Response): Promise<{ message: string; reason?: string }> {
  let text = "";
  try {
    text = await res.text();
  } catch {
    return { message: res.statusText };
  }
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      const error = parsed.data.error;
      if (typeof error === "string")
        return { message: parsed.data.error_description ?? error, reason: error };
      return { message: error.message ?? res.statusText, reason: error.reason };
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return { message: text.slice(0, 200) || res.statusText };
}
