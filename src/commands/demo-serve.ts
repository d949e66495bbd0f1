/**
 * `cd-collector demo --serve`: the offline world left running for a shell. The stand-ins for Telegram,
 * Spotify and YouTube, one private redis-server and the service (role all) keep running until Ctrl-C; a
 * config file and an environment file point `resolve`, `download`, `doctor` and a second service at them
 * exactly as a real deployment's files would point at the real services. Nothing here needs a token.
 */
import { createWriteStream, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createConfig } from "../core/config/load.js";
import { toToml } from "../core/config/to-toml.js";
import { freePort } from "../core/free-port.js";
import { createLogger } from "../core/log.js";
import { startEmbeddedRedis } from "../core/redis-server.js";
import { startOfflineStack } from "../emulators/offline-stack.js";
import { demoAlbum, roadTripPlaylist } from "../emulators/spotify/index.js";
import { startTelegramEmulator } from "../emulators/telegram/index.js";
import { version } from "./context.js";
import { startService } from "./service.js";

/** A person the stand-in lets you speak as (they are on the allowlist of the served config). */
export const SERVE_PERSON = { id: 424242, firstName: "Ana", username: "ana" };
const TOKEN = "700000001:offline-demo-token-for-the-emulator";

export interface ServeOptions {
  root: string;
  out: (line: string) => void;
  /** Resolves when the caller wants the world stopped (Ctrl-C by default). */
  until?: Promise<unknown>;
}

function quoteForShell(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

export async function serveDemo(options: ServeOptions): Promise<number> {
  const { root, out } = options;
  const stack = await startOfflineStack({ cacheDir: path.join(os.tmpdir(), "cdc-demo-audio-cache") });
  const tg = await startTelegramEmulator({ token: TOKEN });
  const logStream = createWriteStream(path.join(root, "service.log"));
  const logger = createLogger({ level: "info", destination: logStream });
  const redis = await startEmbeddedRedis({ dir: path.join(root, "redis"), logger });
  const port = await freePort();

  const data = {
    dataDir: path.join(root, "data"),
    ...stack.configOverrides,
    telegram: { apiRoot: tg.apiRoot, allowedUserIds: [SERVE_PERSON.id], editIntervalSeconds: 2 },
    http: { port, publicBaseUrl: `http://127.0.0.1:${port}` },
    download: { libraryDir: path.join(root, "library") },
  };
  const env: Record<string, string> = { ...stack.env, TELEGRAM_BOT_TOKEN: TOKEN, REDIS_URL: redis.url };
  const configFile = path.join(root, "serve.toml");
  const envFile = path.join(root, "serve.env");
  writeFileSync(
    configFile,
    `# written by cd-collector demo --serve; points at the running stand-ins\n${toToml(data)}`,
  );
  writeFileSync(
    envFile,
    Object.entries(env)
      .map(([k, v]) => `${k}=${quoteForShell(v)}`)
      .join("\n") + "\n",
    { mode: 0o600 },
  );

  const { config } = createConfig(data, env);
  const service = await startService({ config, role: "all", logger, version: version() });

  const control = `${tg.apiRoot}/control`;
  const say = (text: string) =>
    `curl -s ${control}/send-text -H 'content-type: application/json' -d '${JSON.stringify({ from: SERVE_PERSON, text })}'`;
  const album = `https://open.spotify.com/album/${demoAlbum.id}`;
  const playlist = `https://open.spotify.com/playlist/${roadTripPlaylist.id}`;
  const lines = [
    `CD-Collector ${version()} — the offline world is running (Ctrl-C stops it).`,
    `  Telegram stand-in  ${tg.apiRoot}   Spotify stand-in ${stack.spotify.url}   YouTube stand-in ${stack.audio.url}`,
    `  Redis              ${redis.url}`,
    `  the service        role all, HTTP ${service.httpUrl ?? "(off)"}, log ${path.join(root, "service.log")}`,
    "",
    "In another shell, from this folder:",
    `  set -a; . ${quoteForShell(envFile)}; set +a`,
    `  npx cd-collector resolve ${album} --config ${quoteForShell(configFile)}`,
    `  npx cd-collector download ${playlist} --config ${quoteForShell(configFile)}`,
    `  npx cd-collector doctor --config ${quoteForShell(configFile)}`,
    "",
    `Speak to the bot as ${SERVE_PERSON.firstName} (the stand-in's person side), then read the chat:`,
    `  ${say(`/download ${album}`)}`,
    `  curl -s "${control}/transcript?chatId=${SERVE_PERSON.id}"`,
    `A Telegram bot library pointed at ${tg.apiRoot} with the token in serve.env talks to the same stand-in.`,
  ];
  for (const line of lines) out(line);

  await (options.until ??
    new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    }));
  out("Stopping the offline world...");
  const clean = await service.shutdown.run("demo --serve stopped");
  await redis.stop();
  await tg.close();
  await stack.close();
  logStream.end();
  return clean ? 0 : 1;
}
