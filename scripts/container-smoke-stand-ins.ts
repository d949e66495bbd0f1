/**
 * The stand-ins for Telegram, Spotify and YouTube on loopback, without a service: for
 * scripts/container-smoke.sh, whose containers are the service. (`cd-collector demo --serve` also runs a
 * service of its own, which would poll the Telegram stand-in alongside the container under test and
 * answer the /download itself.)
 *
 *   npx tsx scripts/container-smoke-stand-ins.ts DIR
 *
 * Writes, once everything listens:
 *   DIR/stand-ins.toml  the config sections that point a service at the stand-ins (mount it as
 *                       /app/config/bot.toml; everything else keeps its default)
 *   DIR/stand-ins.env   KEY=VALUE lines: the bot token, the Telegram API root, the allowlisted person, the
 *                       Spotify credentials (secrets go through the environment)
 *   DIR/album           the demo album's link and its number of tracks ("LINK N")
 *   DIR/ready           the Telegram stand-in's URL, last, so a script can wait for this file
 * and runs until SIGTERM or SIGINT.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SERVE_PERSON } from "../src/commands/demo-serve.js";
import { toToml } from "../src/core/config/to-toml.js";
import { startOfflineStack } from "../src/emulators/offline-stack.js";
import { demoAlbum } from "../src/emulators/spotify/index.js";
import { startTelegramEmulator } from "../src/emulators/telegram/index.js";

const TOKEN = "700000001:offline-smoke-token-for-the-emulator";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: container-smoke-stand-ins.ts DIR");
  process.exit(2);
}

const stack = await startOfflineStack({ cacheDir: path.join(os.tmpdir(), "cdc-demo-audio-cache") });
const tg = await startTelegramEmulator({ token: TOKEN });

writeFileSync(
  path.join(dir, "stand-ins.toml"),
  `# written by scripts/container-smoke-stand-ins.ts; points the service at the stand-ins\n${toToml({
    ...stack.configOverrides,
    telegram: { editIntervalSeconds: 2 },
  })}`,
);
const env: Record<string, string> = {
  ...stack.env,
  TELEGRAM_BOT_TOKEN: TOKEN,
  TELEGRAM_API_ROOT: tg.apiRoot,
  TELEGRAM_ALLOWED_USER_IDS: String(SERVE_PERSON.id),
  LOG_LEVEL: "info",
};
// No quoting: podman's --env-file and compose's env_file take the value verbatim.
writeFileSync(
  path.join(dir, "stand-ins.env"),
  Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n") + "\n",
  { mode: 0o600 },
);
writeFileSync(
  path.join(dir, "album"),
  `https://open.spotify.com/album/${demoAlbum.id} ${demoAlbum.tracks.length}\n`,
);
writeFileSync(path.join(dir, "ready"), `${tg.apiRoot}\n`);
console.log(`Telegram stand-in ${tg.apiRoot}`);
console.log(`Spotify stand-in  ${stack.spotify.url}`);
console.log(`YouTube stand-in  ${stack.audio.url}`);

await new Promise<void>((resolve) => {
  process.once("SIGINT", () => resolve());
  process.once("SIGTERM", () => resolve());
});
await tg.close();
await stack.close();
