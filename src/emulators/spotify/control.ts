/**
 * The test side of the Spotify emulator ({@link SpotifyEmulatorControl}): the log of requests it was sent
 * (counted per route and recorded with their final status), and the control object that queues injected
 * failures, invalidates tokens, flips the owner-authorised and Premium-lapsed switches the Web API reads,
 * and resets the log and the failure queue between tests.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Accounts } from "./accounts.js";
import type { FailureRule, FaultRules } from "./faults.js";
import type { EmulatorRoute } from "./http-shared.js";
import type { ApiSwitches } from "./web-api.js";

export interface RequestRecord {
  method: string;
  path: string;
  route: EmulatorRoute | "other";
  status: number;
}

/** The test side of the emulator. */
export interface SpotifyEmulatorControl {
  /** Make the next matching requests fail (or wait). Rules are used in the order they were added. */
  failNext(rule: FailureRule): void;
  /** Requests per route since start or the last reset. */
  readonly counts: Readonly<Record<EmulatorRoute | "other", number>>;
  /** Every request since start or the last reset. */
  readonly requests: readonly RequestRecord[];
  /** Invalidate every issued token (the next API call answers 401). */
  expireTokens(): void;
  /**
   * Opt-in, off by default: answer playlists (`/playlists/{id}` and `/items`) of the emulated app owner
   * (`ownedByApp`) as if the owner had authorised the app with a user token (a future admin PKCE login).
   * Off, every playlist answers 403 under client credentials, as Spotify does in development mode since
   * 2026 (FACTS.md, Spotify: navispot PR #24, smudge PR #113, spoton #119).
   */
  setOwnerAuthorised(on: boolean): void;
  /**
   * Answer every Web API call (tokens are still issued) with the 403 Spotify gives once the app owner's
   * Premium lapses: `{"error": {"status": 403, "message": "Active premium subscription required for the
   * owner of the app"}}`.
   */
  setPremiumLapsed(on: boolean): void;
  /** Forget counters, requests and pending failure rules (the switches above stay as they are). */
  reset(): void;
}

/** Every request an emulator was sent, and how many went to each route. */
export interface RequestLog {
  /** Count and record a request; its status is filled in when the answer is finished. */
  record(req: IncomingMessage, res: ServerResponse, route: EmulatorRoute | "other", url: URL): void;
  readonly counts: Readonly<Record<EmulatorRoute | "other", number>>;
  readonly requests: readonly RequestRecord[];
  reset(): void;
}

/** An empty request log. */
export function createRequestLog(): RequestLog {
  const emptyCounts = (): Record<EmulatorRoute | "other", number> => ({
    token: 0,
    api: 0,
    embed: 0,
    shortLink: 0,
    image: 0,
    other: 0,
  });
  let counts = emptyCounts();
  let requests: RequestRecord[] = [];
  return {
    record(req, res, route, url) {
      counts[route]++;
      const record: RequestRecord = {
        method: req.method ?? "GET",
        path: url.pathname + url.search,
        route,
        status: 0,
      };
      requests.push(record);
      res.on("finish", () => {
        record.status = res.statusCode;
      });
    },
    get counts() {
      return counts;
    },
    get requests() {
      return requests;
    },
    reset() {
      counts = emptyCounts();
      requests = [];
    },
  };
}

/** The control object over an emulator's parts. */
export function createControl(parts: {
  log: RequestLog;
  faults: FaultRules;
  accounts: Accounts;
  switches: ApiSwitches;
}): SpotifyEmulatorControl {
  const { log, faults, accounts, switches } = parts;
  return {
    failNext(rule) {
      faults.add(rule);
    },
    get counts() {
      return { ...log.counts };
    },
    get requests() {
      return [...log.requests];
    },
    expireTokens() {
      accounts.expireTokens();
    },
    setOwnerAuthorised(on) {
      switches.ownerAuthorised = on;
    },
    setPremiumLapsed(on) {
      switches.premiumLapsed = on;
    },
    reset() {
      log.reset();
      faults.clear();
    },
  };
}
