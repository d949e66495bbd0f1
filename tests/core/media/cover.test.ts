import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { coverOrigins, coverUrlAllowed, fetchCover } from "../../../src/core/media/cover.js";

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);
let dir: string;
let catalog: http.Server;
let catalogOrigin: string;
/** A local service covers must never reach (stands for Redis on 6379 and the like). */
let local: net.Server;
let localOrigin: string;
let localConnections = 0;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "cdc-cover-"));
  local = net.createServer((socket) => {
    localConnections++;
    socket.destroy();
  });
  await new Promise<void>((r) => local.listen(0, "127.0.0.1", r));
  localOrigin = `http://127.0.0.1:${(local.address() as AddressInfo).port}`;
  catalog = http.createServer((req, res) => {
    if (req.url === "/image/a.jpg") {
      res.writeHead(200, { "content-type": "image/jpeg", "content-length": JPEG.length }).end(JPEG);
    } else if (req.url === "/moved") {
      res.writeHead(302, { location: "/image/a.jpg" }).end();
    } else if (req.url === "/elsewhere") {
      res.writeHead(302, { location: `${localOrigin}/image/a.jpg` }).end();
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => catalog.listen(0, "127.0.0.1", r));
  catalogOrigin = `http://127.0.0.1:${(catalog.address() as AddressInfo).port}`;
});

afterAll(async () => {
  catalog.closeAllConnections();
  await new Promise((r) => catalog.close(r));
  await new Promise((r) => local.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("cover art downloads", () => {
  it("does not fetch a cover on another host or one redirecting elsewhere", async () => {
    const origins = coverOrigins({ apiBaseUrl: `${catalogOrigin}/v1`, embedBaseUrl: catalogOrigin });
    const dest = path.join(dir, "cover.jpg");
    expect(await fetchCover(`${localOrigin}/image/a.jpg`, { maxBytes: 1000, dest, origins })).toBeUndefined();
    expect(await fetchCover(`${catalogOrigin}/elsewhere`, { maxBytes: 1000, dest, origins })).toBeUndefined();
    expect(localConnections).toBe(0);
    // The configured catalog's own covers come through, also after a redirect that stays there.
    expect(await fetchCover(`${catalogOrigin}/image/a.jpg`, { maxBytes: 1000, dest, origins })).toBe(dest);
    expect(await fetchCover(`${catalogOrigin}/moved`, { maxBytes: 1000, dest, origins })).toBe(dest);
    // Without that configuration nothing local is fetched at all.
    expect(await fetchCover(`${catalogOrigin}/image/a.jpg`, { maxBytes: 1000, dest })).toBeUndefined();
  });

  it("takes Spotify's image hosts over https only", () => {
    const allowed = (url: string) => coverUrlAllowed(new URL(url), []);
    expect(allowed("https://i.scdn.co/image/ab67616d0000b273")).toBe(true);
    expect(allowed("https://mosaic.scdn.co/640/ab67616d0000b273")).toBe(true);
    expect(allowed("https://image-cdn-ak.spotifycdn.com/image/ab67706c0000da84")).toBe(true);
    expect(allowed("http://i.scdn.co/image/ab67616d0000b273")).toBe(false);
    expect(allowed("https://i.scdn.co:6379/image/x")).toBe(false);
    expect(allowed("https://i.scdn.co.example.org/image/x")).toBe(false);
    expect(allowed("https://example.org/i.scdn.co/image/x")).toBe(false);
    expect(allowed("https://user:pw@i.scdn.co/image/x")).toBe(false);
    expect(allowed("https://127.0.0.1/image/x")).toBe(false);
  });
});
