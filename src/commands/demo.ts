/**
 * `cd-collector demo`: the whole service (role `all`, embedded Redis, real yt-dlp and ffmpeg) against
 * local stand-ins for Telegram, Spotify and YouTube, driven by a scripted conversation that is printed as
 * a chat transcript while it happens. The collected files stay in the demo folder.
 */
import { existsSync, readdirSync, rmSync, mkdirSync, writeFileSync, createWriteStream } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createConfig } from "../core/config/load.js";
import { freePort } from "../core/free-port.js";
import { createLogger } from "../core/log.js";
import type { SearchLogEntry } from "../emulators/audio-source/index.js";
import { startOfflineStack } from "../emulators/offline-stack.js";
import { cyrillicAlbum, demoAlbum, roadTripPlaylist } from "../emulators/spotify/index.js";
import { startTelegramEmulator, type TelegramEmulator } from "../emulators/telegram/index.js";
import type { EmulatorEvent, TranscriptEntry } from "../emulators/telegram/bot-api.js";

type InlineKeyboardMarkup = NonNullable<TranscriptEntry["replyMarkup"]>;
import { version } from "./context.js";
import { startService } from "./service.js";

const MARKER = ".cd-collector-demo";
const ANA = { id: 424242, firstName: "Ana", username: "ana" };
const BOB = { id: 777001, firstName: "Bob" };
const TOKEN = "700000001:offline-demo-token-for-the-emulator";

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line, i) => (i === 0 ? line : `${" ".repeat(prefix.length)}${line}`))
    .join("\n");
}

function buttons(markup: InlineKeyboardMarkup | undefined): string {
  const labels = markup?.inline_keyboard.flat().map((b) => `[${b.text}]`) ?? [];
  return labels.length > 0 ? `  ${labels.join(" ")}` : "";
}

function jobIdIn(entry: TranscriptEntry): string | undefined {
  for (const button of entry.replyMarkup?.inline_keyboard.flat() ?? []) {
    const data = "callback_data" in button ? button.callback_data : undefined;
    if (data?.startsWith("c:")) return data.slice(2);
  }
  return undefined;
}

/**
 * What the service asked YouTube Music (the stand-in answers the same InnerTube search endpoint that
 * youtubei.js calls in production): a summary line, and the whole log as JSON lines in `file`.
 */
function reportSearches(log: readonly SearchLogEntry[], file: string, out: (line: string) => void): void {
  writeFileSync(file, log.map((entry) => JSON.stringify(entry)).join("\n") + (log.length > 0 ? "\n" : ""));
  const by = (filter: SearchLogEntry["filter"]) => log.filter((e) => e.filter === filter).length;
  out(
    `\n(YouTube Music stand-in: ${log.length} InnerTube searches — ${by("none")} unfiltered (ISRC), ` +
      `${by("song")} songs, ${by("video")} videos; the log is in ${file})`,
  );
  for (const entry of log.slice(0, 5)) out(`  POST /youtubei/v1/search ${JSON.stringify(entry)}`);
  if (log.length > 5) out(`  … ${log.length - 5} more`);
}

/** Prints the chat as it happens: every bot message, edits as one compact line. */
function printTranscript(
  tg: TelegramEmulator,
  names: Map<number, string>,
  out: (line: string) => void,
): () => void {
  return tg.onEvent((event: EmulatorEvent) => {
    if (event.type === "message-sent") {
      const who = names.get(event.chatId) ?? String(event.chatId);
      const e = event.entry;
      const prefix = `  bot → ${who}: `;
      if (e.audio) {
        const a = e.audio;
        // The caption's first line ("3/8"), and whether it came in an album with the tracks around it.
        const caption = e.text.split("\n")[0] ?? "";
        const album = e.mediaGroupId !== undefined ? ", in an album" : "";
        out(
          `${prefix}♪ ${caption} ${a.performer ?? ""} – ${a.title ?? ""} (${a.duration ?? 0} s, ${Math.round((a.fileSize ?? 0) / 1024)} KB${a.hasThumbnail ? ", with cover" : ""}${album})`,
        );
      } else if (e.document) {
        out(
          `${prefix}📎 ${e.document.fileName ?? "file"} (${Math.round((e.document.fileSize ?? 0) / 1024)} KB)`,
        );
      } else {
        out(`${prefix}${indent(e.text, prefix)}${buttons(e.replyMarkup)}`);
      }
    } else if (event.type === "message-edited") {
      const who = names.get(event.chatId) ?? String(event.chatId);
      const e = event.entry;
      if (e.audio) {
        out(
          `  bot ✎ ${who} (message ${e.messageId}): ♪ replaced by ${e.audio.performer ?? ""} – ${e.audio.title ?? ""}`,
        );
        return;
      }
      const lines = e.text.split("\n").filter((l) => l.trim() !== "");
      // A summary shows its head and its link line; a progress edit its first three lines.
      const link = lines.find((l) => /^https?:\/\//.test(l));
      const shown = [...lines.slice(0, 3), ...(link !== undefined ? [link] : [])];
      out(`  bot ✎ ${who} (message ${e.messageId}): ${shown.join(" | ")}${buttons(e.replyMarkup)}`);
    } else if (event.type === "callback-answered" && event.callback.answer?.text) {
      out(`  bot ⓘ ${event.callback.answer.text}`);
    }
  });
}

export async function demoCommand(options: {
  dir?: string;
  quick?: boolean;
  serve?: boolean;
}): Promise<number> {
  const root = path.resolve(options.dir ?? "demo-output");
  if (existsSync(root) && readdirSync(root).length > 0 && !existsSync(path.join(root, MARKER))) {
    process.stderr.write(`${root} exists and is not a demo folder; choose another with --dir.\n`);
    return 2;
  }
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  writeFileSync(path.join(root, MARKER), "made by cd-collector demo; safe to delete\n");
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (options.serve) {
    const { serveDemo } = await import("./demo-serve.js");
    return serveDemo({ root, out });
  }
  const say = (who: string, text: string) => out(`\n${who}: ${text}`);

  out(`CD-Collector ${version()} — offline demo`);
  out("Starting stand-ins for Telegram, Spotify and YouTube, a private Redis, and the service (role all)...");
  const stack = await startOfflineStack({ cacheDir: path.join(os.tmpdir(), "cdc-demo-audio-cache") });
  const tg = await startTelegramEmulator({ token: TOKEN });
  const port = await freePort();
  const { config } = createConfig(
    {
      dataDir: path.join(root, "data"),
      ...stack.configOverrides,
      telegram: { apiRoot: tg.apiRoot, allowedUserIds: [ANA.id], editIntervalSeconds: 2 },
      http: { port, publicBaseUrl: `http://127.0.0.1:${port}` },
      jobs: { maxActiveJobsPerPerson: 3, workerConcurrency: 3, maxActiveDownloads: 4 },
      download: { libraryDir: path.join(root, "library") },
    },
    { ...stack.env, TELEGRAM_BOT_TOKEN: TOKEN },
  );
  const logFile = path.join(root, "service.log");
  const logStream = createWriteStream(logFile);
  const logger = createLogger({ level: "info", destination: logStream });
  const service = await startService({
    config,
    role: "all",
    logger,
    version: version(),
    botTuning: { reconcileIntervalMs: 3000 },
  });
  out(
    `Service up: HTTP ${service.httpUrl ?? "(off)"}, Redis ${service.core.embedded ? "embedded (unix socket)" : "external"}; logs in ${logFile}`,
  );

  const names = new Map([
    [ANA.id, "Ana"],
    [BOB.id, "Bob"],
  ]);
  const stopPrinting = printTranscript(tg, names, out);
  const ana = tg.person(ANA);
  const bob = tg.person(BOB);
  const finalSummary = /collected|done|finished|ready/i;
  let exitCode = 0;
  try {
    say("Ana", "/start");
    ana.sendText("/start");
    await tg.waitForMessage(ANA.id, /./, 15_000);

    const albumLink = `https://open.spotify.com/album/${demoAlbum.id}?si=demo`;
    say("Ana", `/download ${albumLink}`);
    ana.sendText(`/download ${albumLink}`);
    const statusMessages = () => tg.transcript(ANA.id).filter((m) => jobIdIn(m) !== undefined);
    const waitForStatus = async (count: number) => {
      const until = Date.now() + 30_000;
      while (statusMessages().length < count) {
        if (Date.now() > until) throw new Error("the bot did not answer a /download within 30 s");
        await new Promise((r) => setTimeout(r, 100));
      }
      return statusMessages()[count - 1]!;
    };
    await waitForStatus(1);

    const playlistLink = `https://open.spotify.com/playlist/${roadTripPlaylist.id}`;
    say("Ana", `${playlistLink}   (a bare link works too)`);
    ana.sendText(playlistLink);
    await waitForStatus(2);

    if (!options.quick) {
      const longLink = `https://open.spotify.com/album/${cyrillicAlbum.id}`;
      say("Ana", `/download ${longLink}`);
      ana.sendText(`/download ${longLink}`);
      const longStatus = await waitForStatus(3);
      await new Promise((r) => setTimeout(r, 4000));
      say("Ana", "/status");
      ana.sendText("/status");
      await new Promise((r) => setTimeout(r, 1500));
      say("Ana", "(changes her mind and presses ✖ Cancel on the long album)");
      ana.pressButton({ messageId: longStatus.messageId, data: `c:${jobIdIn(longStatus) ?? ""}` });
    }

    say("Bob (not on the allowlist)", `/download ${albumLink}`);
    bob.sendText(`/download ${albumLink}`);
    await tg.waitForMessage(BOB.id, /./, 15_000);

    // Wait for both collections to be delivered: the summaries, then the audio messages.
    const deadline = Date.now() + 240_000;
    const delivered = () => {
      const transcript = tg.transcript(ANA.id);
      const audio = transcript.filter((m) => m.audio).length;
      return audio >= demoAlbum.tracks.length + roadTripPlaylist.tracks.length;
    };
    while (!delivered()) {
      if (Date.now() > deadline) throw new Error("the demo did not finish within 4 minutes");
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 1500));

    const links = tg
      .transcript(ANA.id)
      .flatMap((m) => m.text.match(/https?:\/\/127\.0\.0\.1:\d+\/files\/\S+/g) ?? []);
    if (links[0]) {
      const res = await fetch(links[0]);
      const bytes = (await res.arrayBuffer()).byteLength;
      out(
        `\n(the download link answers ${res.status} with a ${Math.round(bytes / 1024)} KB zip: ${res.headers.get("content-disposition") ?? ""})`,
      );
    }
    void finalSummary;
  } catch (err) {
    exitCode = 1;
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  } finally {
    stopPrinting();
    reportSearches(stack.audio.stats.searchLog, path.join(root, "youtube-music-searches.jsonl"), out);
    out("\nShutting down...");
    const clean = await service.shutdown.run("demo finished");
    await tg.close();
    await stack.close();
    logStream.end();
    if (!clean) exitCode = exitCode || 1;
  }

  const library = path.join(root, "library");
  const files = existsSync(library)
    ? readdirSync(library, { recursive: true })
        .map(String)
        .filter((f) => /\.(mp3|m4a|opus|flac|m3u8|jpg)$/.test(f))
    : [];
  out(`\nFiles in ${library}:`);
  for (const f of files.sort()) out(`  ${f}`);
  out(`\nPackages: ${path.join(root, "data", "packages")}`);
  out(exitCode === 0 ? "\nDemo finished." : "\nDemo finished with errors (see above and the service log).");
  return exitCode;
}
