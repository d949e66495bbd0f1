#!/usr/bin/env node
// yt-dlp as it behaves when YouTube refuses: a stand-in for YouTube's side of a download, for the fault
// tests. The audio stand-in serves audio through yt-dlp's generic extractor, which never meets YouTube's own
// refusals (session rate limit, bot check, removed video...). Before each download this asks the stand-in
// (`GET {base}/youtube-faults/{id}`, base taken from the URL after `--`) whether YouTube would refuse it;
// if so it prints what real yt-dlp prints then (src/emulators/audio-source/youtube-faults.ts) and exits 1;
// otherwise it runs the real yt-dlp with the same arguments (`CDC_REAL_YTDLP`, default `yt-dlp` on PATH).
import { spawn } from "node:child_process";

const args = process.argv.slice(2);
const dash = args.indexOf("--");
const target = dash >= 0 ? args[dash + 1] : undefined;
const match = target ? /^(https?:\/\/[^/]+)\/audio\/([A-Za-z0-9_-]{11})/.exec(target) : null;

if (match) {
  const res = await fetch(`${match[1]}/youtube-faults/${match[2]}`).catch(() => undefined);
  if (res?.status === 200) {
    const { stderr, exitCode } = await res.json();
    process.stderr.write(stderr);
    process.exit(exitCode);
  }
}

const child = spawn(process.env.CDC_REAL_YTDLP ?? "yt-dlp", args, { stdio: "inherit" });
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
child.on("error", (err) => {
  process.stderr.write(`yt-dlp-as-youtube: ${err.message}\n`);
  process.exit(127);
});
