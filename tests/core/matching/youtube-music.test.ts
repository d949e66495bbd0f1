/**
 * The production search source (youtubei.js through our fetch hook) against a loopback server that answers
 * with real recorded YouTube Music responses, or with the failures YouTube answers when it is unhappy.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createYouTubeMusicSource,
  SearchUnavailableError,
} from "../../../src/core/matching/youtube-music.js";
import { filterOfParams } from "../../../src/core/matching/search-params.js";
import { readRecorded } from "../../fixtures/recorded/read-recorded.js";

interface Seen {
  method: string;
  path: string;
  query: string;
  filter: string;
  client: string;
}

const recorded = readRecorded("youtube-music-search.jsonl.gz") as {
  request: { query: string };
  response: unknown;
}[];

let server: http.Server;
let base: string;
const seen: Seen[] = [];
/** Status codes to answer before the recorded response, one per request. */
let failures: { status: number; headers?: Record<string, string>; body?: string }[] = [];
let hang = false;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      const json = JSON.parse(body || "{}") as {
        query?: string;
        params?: string;
        context?: { client?: { clientName?: string } };
      };
      const url = new URL(req.url ?? "/", "http://x");
      seen.push({
        method: req.method ?? "",
        path: url.pathname,
        query: json.query ?? "",
        filter: filterOfParams(json.params) ?? "unreadable",
        client: json.context?.client?.clientName ?? "",
      });
      if (hang) return; // never answer
      const failure = failures.shift();
      if (failure) {
        res.writeHead(failure.status, { "content-type": "application/json", ...failure.headers });
        res.end(
          failure.body ??
            JSON.stringify({ error: { code: failure.status, message: "failure", status: "X" } }),
        );
        return;
      }
      const answer = recorded.find((r) => r.request.query === json.query) ?? recorded[0]!;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.response));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
  failures = [];
  hang = false;
});

describe("YouTube Music search source", () => {
  it("makes exactly one InnerTube request per search, as the WEB_REMIX client, and reads the answer", async () => {
    const source = createYouTubeMusicSource({ baseUrl: base });
    const found = await source.search({ kind: "isrc", text: " gb-2ld2210007 " });
    expect(found.map((c) => [c.id, c.title, c.artists, c.album, c.durationSec, c.kind, c.via])).toEqual([
      ["nfyk-V5CoIE", "Nobody Else", ["Abstrakt"], "Nobody Else", 163, "song", "isrc"],
    ]);
    expect(seen).toEqual([
      {
        method: "POST",
        path: "/youtubei/v1/search",
        query: "GB2LD2210007",
        filter: "none",
        client: "WEB_REMIX",
      },
    ]);
    const songs = await source.search({ kind: "music", text: "Lost Identities Moments" });
    expect(songs.length).toBeGreaterThan(3);
    const videos = await source.search({ kind: "video", text: "Lost Identities\nMoments\u0000" });
    expect(videos.length).toBeGreaterThan(3);
    expect(seen.slice(1).map((s) => [s.query, s.filter])).toEqual([
      ["Lost Identities Moments", "song"],
      ["Lost Identities Moments", "video"],
    ]);
  });

  it("keeps at most `limit` candidates", async () => {
    const source = createYouTubeMusicSource({ baseUrl: base, limit: 2 });
    expect(await source.search({ kind: "music", text: "Lost Identities Moments" })).toHaveLength(2);
  });

  it("waits out a short 429 and a 503, then answers", async () => {
    failures = [{ status: 429, headers: { "retry-after": "1" } }, { status: 503 }];
    const source = createYouTubeMusicSource({ baseUrl: base, retries: 2 });
    const started = Date.now();
    const found = await source.search({ kind: "isrc", text: "GB2LD2210007" });
    expect(found[0]?.id).toBe("nfyk-V5CoIE");
    expect(seen).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it("gives up with a clear error after its retries, and on a long Retry-After at once", async () => {
    failures = [{ status: 503 }, { status: 503 }, { status: 503 }];
    const source = createYouTubeMusicSource({ baseUrl: base, retries: 2 });
    await expect(source.search({ kind: "isrc", text: "GB2LD2210007" })).rejects.toThrow(
      /YouTube Music search answered HTTP 503/u,
    );
    expect(seen).toHaveLength(3);
    seen.length = 0;
    failures = [{ status: 429, headers: { "retry-after": "3600" } }];
    const err = await source.search({ kind: "isrc", text: "GB2LD2210007" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchUnavailableError);
    expect((err as SearchUnavailableError).retryAfterSeconds).toBe(3600);
    expect((err as Error).message).toMatch(/rate-limiting searches \(retry after 3600 s\)/u);
    expect(seen).toHaveLength(1);
  });

  it("does not retry a 400, and says what YouTube answered", async () => {
    failures = [{ status: 400 }];
    const source = createYouTubeMusicSource({ baseUrl: base });
    await expect(source.search({ kind: "isrc", text: "GB2LD2210007" })).rejects.toThrow(/400/u);
    expect(seen).toHaveLength(1);
  });

  it("times out a request that never answers, and stops at once when the caller cancels", async () => {
    hang = true;
    const source = createYouTubeMusicSource({ baseUrl: base, timeoutMs: 300, retries: 1 });
    await expect(source.search({ kind: "isrc", text: "GB2LD2210007" })).rejects.toThrow(
      /no answer in 300 ms/u,
    );
    expect(seen).toHaveLength(2);
    seen.length = 0;
    const controller = new AbortController();
    const pending = source.search({ kind: "isrc", text: "GB2LD2210007" }, controller.signal);
    setTimeout(() => controller.abort(new Error("cancelled by the person")), 100);
    const started = Date.now();
    await expect(pending).rejects.toThrow(/cancelled by the person/u);
    expect(Date.now() - started).toBeLessThan(250);
  });

  it("answers nothing for an empty query without asking", async () => {
    const source = createYouTubeMusicSource({ baseUrl: base });
    expect(await source.search({ kind: "music", text: " \u0000 " })).toEqual([]);
    expect(seen).toHaveLength(0);
  });
});
