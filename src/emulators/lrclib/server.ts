/**
 * The LRCLIB stand-in on loopback: `GET /api/get` answers as lrclib.net does, a record (200) or
 * `TrackNotFound` (404), for the Spotify stand-in's catalog (catalog.ts). Like the real service, a
 * record is found only when track, artist and album name match (case and spacing aside) and the
 * duration is within 2 seconds. It counts what it is asked, and can be told to fail, for the tests.
 */
import http from "node:http";
import { sendJson } from "../spotify/http-shared.js";
import { lrclibTracks, recordFor, type LrclibRecord } from "./catalog.js";

/** What LRCLIB answers when it has no such track (recorded). */
export const trackNotFound = { code: 404, name: "TrackNotFound", message: "Failed to find specified track" };

export interface LrclibStats {
  /** Every `GET /api/get`, in order, with its query and the status answered. */
  requests: { query: Record<string, string>; status: number; userAgent: string }[];
}

export interface LrclibEmulator {
  url: string;
  stats: LrclibStats;
  /** Answer the next `count` lookups with this status (5xx: LRCLIB having a bad moment). */
  failNext(count: number, status?: number): void;
  /** Stop listening and drop open connections. Safe to call twice. */
  close(): Promise<void>;
}

const norm = (text: string) => text.normalize("NFC").toLowerCase().replace(/\s+/g, " ").trim();

export async function startLrclibEmulator(options: { port?: number } = {}): Promise<LrclibEmulator> {
  const records: LrclibRecord[] = lrclibTracks().flatMap(({ track, id }) => recordFor(track, id) ?? []);
  const stats: LrclibStats = { requests: [] };
  let failures = { count: 0, status: 500 };

  function find(query: URLSearchParams): LrclibRecord | undefined {
    const duration = Number(query.get("duration"));
    return records.find(
      (r) =>
        norm(r.trackName) === norm(query.get("track_name") ?? "") &&
        norm(r.artistName) === norm(query.get("artist_name") ?? "") &&
        norm(r.albumName) === norm(query.get("album_name") ?? "") &&
        (!query.has("duration") || Math.abs(r.duration - duration) <= 2),
    );
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://lrclib.invalid");
    if (req.method !== "GET" || url.pathname !== "/api/get") {
      sendJson(res, 404, { code: 404, name: "NotFound", message: "Not found" });
      return;
    }
    const answer = (status: number, body: unknown) => {
      stats.requests.push({
        query: Object.fromEntries(url.searchParams),
        status,
        userAgent: req.headers["user-agent"] ?? "",
      });
      sendJson(res, status, body);
    };
    if (failures.count > 0) {
      failures.count--;
      answer(failures.status, { code: failures.status, name: "InternalServerError", message: "" });
      return;
    }
    // The real service's text for missing parameters was not recorded; the shape is its error shape.
    if (!url.searchParams.get("track_name") || !url.searchParams.get("artist_name")) {
      answer(400, { code: 400, name: "ValidationError", message: "track_name and artist_name are required" });
      return;
    }
    const record = find(url.searchParams);
    if (record) answer(200, record);
    else answer(404, trackNotFound);
  });
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", () => resolve()));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("LRCLIB stand-in has no address");
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${address.port}`,
    stats,
    failNext(count, status = 500) {
      failures = { count, status };
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}
