/**
 * The HTTP plumbing every part of the Spotify emulator shares: which part a request is for
 * ({@link EmulatorRoute}, decided by {@link routeOf} from the method and path alone, the way the real
 * services live on different hosts) and the JSON answer the accounts service, the Web API and the injected
 * faults all write ({@link sendJson}).
 */
import type { ServerResponse } from "node:http";

/** Which part of the emulator a request went to. */
export type EmulatorRoute = "token" | "api" | "embed" | "shortLink" | "image";

/** The part of the emulator a request is for; `"other"` for anything none of them answers. */
export function routeOf(method: string, path: string): EmulatorRoute | "other" {
  if (method === "POST" && path === "/api/token") return "token";
  if (method !== "GET" && method !== "HEAD") return "other";
  if (path.startsWith("/v1/")) return "api";
  if (path.startsWith("/embed/")) return "embed";
  if (path.startsWith("/image/")) return "image";
  if (/^\/[0-9A-Za-z_-]{1,64}$/.test(path)) return "shortLink";
  return "other";
}

/** Answers `body` as JSON with `status` and any extra `headers`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json; charset=utf-8" });
  res.end(text);
}
