/**
 * {@link startSpotifyEmulator}: a local stand-in for Spotify's servers on node:http, so tests and the demo
 * run with no network. One server on 127.0.0.1 plays every host (accounts, Web API, embed pages, short
 * links, cover images); this file starts it, sends each request to its part after logging it and giving
 * the injected failures their turn, and hands back the URLs and the control side. The parts behave like
 * the real services where our code cares and live in their own files: accounts.ts (expiring
 * client-credentials tokens), web-api.ts and web-api-objects.ts (50/100 page limits with absolute `next`
 * URLs, rows that say `item`, 403 for every playlist under client credentials, 404 for editorial
 * playlists, the Premium-lapse 403 on demand), embed-page.ts (cut at 100 playlist tracks, HTTP 200
 * "status 404" for an unknown or private id), short-links.ts, cover-image.ts, faults.ts (429 with
 * Retry-After and `QUOTA_EXCEEDED` on demand) and control.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createAccounts, emulatorCredentials } from "./accounts.js";
import { createControl, createRequestLog, type SpotifyEmulatorControl } from "./control.js";
import { handleImage } from "./cover-image.js";
import { createEmbedPage } from "./embed-page.js";
import { createFaultRules, delay, injectFailure } from "./faults.js";
import { routeOf, sendJson } from "./http-shared.js";
import { handleShortLink } from "./short-links.js";
import { createWebApi, type ApiSwitches } from "./web-api.js";

export interface SpotifyEmulatorOptions {
  /** @defaultValue 0 (a free port) */
  port?: number;
  /** @defaultValue emulatorCredentials.clientId */
  clientId?: string;
  /** @defaultValue emulatorCredentials.clientSecret */
  clientSecret?: string;
  /** Lifetime of issued tokens. @defaultValue 3600 */
  tokenTtlSeconds?: number;
  /** Start with {@link SpotifyEmulatorControl.setOwnerAuthorised} on. @defaultValue false */
  ownerAuthorised?: boolean;
  /** Start with {@link SpotifyEmulatorControl.setPremiumLapsed} on. @defaultValue false */
  premiumLapsed?: boolean;
}

export interface SpotifyEmulator {
  /** `http://127.0.0.1:{port}`: use as apiBaseUrl (+ `/v1`), accountsBaseUrl, embedBaseUrl and shortLinkBaseUrl. */
  url: string;
  /** `{url}/v1` */
  apiBaseUrl: string;
  control: SpotifyEmulatorControl;
  /** Stop listening and drop open connections. Safe to call twice. */
  close(): Promise<void>;
}

/** Start the emulator on 127.0.0.1. */
export async function startSpotifyEmulator(options: SpotifyEmulatorOptions = {}): Promise<SpotifyEmulator> {
  const accounts = createAccounts(
    options.clientId ?? emulatorCredentials.clientId,
    options.clientSecret ?? emulatorCredentials.clientSecret,
    options.tokenTtlSeconds ?? 3600,
  );
  const switches: ApiSwitches = {
    ownerAuthorised: options.ownerAuthorised ?? false,
    premiumLapsed: options.premiumLapsed ?? false,
  };
  const log = createRequestLog();
  const faults = createFaultRules();

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const handleApi = createWebApi(origin, accounts, switches);
  const handleEmbed = createEmbedPage(origin);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", origin);
    const path = url.pathname;
    const route = routeOf(req.method ?? "GET", path);
    log.record(req, res, route, url);

    const rule = faults.take(route, path);
    if (rule) {
      if (rule.delayMs) await delay(rule.delayMs, res);
      if (rule.status !== undefined) {
        injectFailure(res, route, rule);
        return;
      }
    }

    switch (route) {
      case "token":
        return accounts.handleToken(req, res);
      case "api":
        return handleApi(req, res, url);
      case "embed":
        return handleEmbed(res, path);
      case "image":
        return handleImage(res, path);
      case "shortLink":
        return handleShortLink(res, path);
      default:
        sendJson(res, 404, { error: { status: 404, message: "Service not found" } });
    }
  }

  // Attached once the origin is known. No request comes first: this runs in the microtask after the
  // listen callback, before Node next polls for connections.
  server.on("request", (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { status: 500, message: String(err) } });
      else res.destroy();
    });
  });

  let closing: Promise<void> | undefined;
  return {
    url: origin,
    apiBaseUrl: `${origin}/v1`,
    control: createControl({ log, faults, accounts, switches }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
