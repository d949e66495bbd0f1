import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConfig } from "../../src/core/config/load.js";
import { checkCdWriter, checkSpotify } from "../../src/core/doctor-roles.js";
import {
  emulatorCredentials,
  startSpotifyEmulator,
  type SpotifyEmulator,
} from "../../src/emulators/spotify/index.js";

const fixture = (name: string) => ({ infoPath: path.join(import.meta.dirname, "../fixtures/cdrdao", name) });

describe("doctor: what a role needs", () => {
  let spotify: SpotifyEmulator;
  beforeAll(async () => {
    spotify = await startSpotifyEmulator();
  });
  afterAll(async () => spotify?.close());

  const configWith = (env: Record<string, string>) =>
    createConfig(
      {
        dataDir: mkdtempSync(path.join(os.tmpdir(), "cdc-doc-")),
        spotify: { apiBaseUrl: spotify.apiBaseUrl, accountsBaseUrl: spotify.url },
      },
      env,
    ).config;

  it("says which Spotify provider a worker will use, and whether Spotify accepts the app", async () => {
    const accepted = await checkSpotify(
      configWith({
        SPOTIFY_CLIENT_ID: emulatorCredentials.clientId,
        SPOTIFY_CLIENT_SECRET: emulatorCredentials.clientSecret,
      }),
    );
    expect(accepted).toMatchObject({ status: "ok", detail: expect.stringMatching(/Web API/) });

    const refused = await checkSpotify(
      configWith({
        SPOTIFY_CLIENT_ID: emulatorCredentials.clientId,
        SPOTIFY_CLIENT_SECRET: "not-the-secret",
      }),
    );
    expect(refused).toMatchObject({ status: "fail", detail: "Spotify refuses the client id and secret" });

    const none = await checkSpotify(configWith({}));
    expect(none.status).toBe("warn");
    expect(none.detail).toMatch(/embed page/);
    expect(none.fix).toMatch(/SPOTIFY_CLIENT_ID/);

    const half = await checkSpotify(configWith({ SPOTIFY_CLIENT_ID: emulatorCredentials.clientId }));
    expect(half).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/SPOTIFY_CLIENT_SECRET is missing/),
    });
  });

  it("does not call a burner ready without a CD writer", async () => {
    const config = configWith({});
    const none = await checkCdWriter(config, "burner", fixture("cdrom-info-empty.txt"));
    expect(none.status).toBe("fail");
    expect(none.detail).toMatch(/No CD writer found/);
    const readerOnly = await checkCdWriter(config, "burner", fixture("cdrom-info-reader-only.txt"));
    expect(readerOnly.status).toBe("fail");
    const absent = await checkCdWriter(config, "burner", { infoPath: "/nonexistent/cdrom/info" });
    expect(absent.status).toBe("fail");
    // Role all still starts without a drive: a warning.
    expect((await checkCdWriter(config, "all", fixture("cdrom-info-empty.txt"))).status).toBe("warn");
    expect(await checkCdWriter(config, "burner", fixture("cdrom-info-writer.txt"))).toMatchObject({
      status: "ok",
      detail: "/dev/sr0 writes CD-R",
    });
  });
});
