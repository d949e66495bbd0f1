/**
 * `cd-collector download <link>`: the whole pipeline in this process (embedded Redis unless REDIS_URL),
 * with a progress bar per track on a terminal and plain lines otherwise, then a summary with paths.
 * Exit 1 when every track failed.
 */
import path from "node:path";
import { audioFormats, type AudioFormat } from "../core/config/schema.js";
import { isFinalStage, type ProgressEvent } from "../core/jobs/schemas.js";
import { progressBroker } from "../core/jobs/progress-broker.js";
import { dataPaths, startWorkers } from "../core/jobs/workers.js";
import type { JobView } from "../core/jobs/job-service.js";
import { createLogger } from "../core/log.js";
import { createMediaServices } from "../core/services.js";
import { formatDuration } from "../core/spotify/format-collection.js";
import { makeDataPrivate } from "../core/config/data-paths.js";
import { CommandExit, EXIT_USAGE, loadForCommand } from "./context.js";
import { openCore } from "./core-runtime.js";

/** The person at the terminal: the job's owner. */
const CLI_USER = { userId: 0, chatId: 0 };
const cliActor = { userId: CLI_USER.userId, isAdmin: false };

function bar(percent: number, width = 20): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

/** Renders progress: redrawn bars on a terminal, one line per change otherwise. */
export function createProgressPrinter(out: NodeJS.WriteStream) {
  const tty = out.isTTY === true;
  const tracks = new Map<number, { title: string; step: string; percent: number }>();
  let drawn = 0;
  let lastLine = "";
  return {
    update(event: ProgressEvent) {
      if (event.current) {
        const c = event.current;
        tracks.set(c.index, {
          title: `${c.artists.join(", ")} - ${c.title}`,
          step: c.step,
          percent: c.percent,
        });
      }
      if (tty) {
        const active = [...tracks.entries()].filter(([, t]) => t.percent < 100).slice(-6);
        const lines = [
          `${event.title ?? "collection"}: ${event.stage} ${bar(event.percent)} ${Math.round(event.percent)}%  ${event.done}/${event.total} done${event.failed ? `, ${event.failed} failed` : ""}`,
          ...active.map(
            ([i, t]) =>
              `  ${String(i + 1).padStart(3)}. ${bar(t.percent, 12)} ${t.step.padEnd(11)} ${t.title.slice(0, 60)}`,
          ),
        ];
        out.write(`${drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ""}${lines.join("\n")}\n`);
        drawn = lines.length;
      } else {
        const line =
          event.current && event.current.percent >= 100
            ? `track ${event.current.index + 1}/${event.total} finished: ${event.current.title}`
            : `${event.stage}${event.total ? ` ${event.done}/${event.total}` : ""}`;
        if (line !== lastLine) out.write(`${line}\n`);
        lastLine = line;
      }
    },
  };
}

/** The summary printed at the end (also used by the demo). */
export function formatSummary(view: JobView, libraryDir: string): string {
  const r = view.result;
  if (!r) return `Job ${view.id}: ${view.stage}`;
  const lines = [`${r.title}${r.subtitle ? ` — ${r.subtitle}` : ""}: ${r.outcome}`];
  if (r.reason) lines.push(r.reason);
  for (const t of r.tracks) {
    const name = `${t.artists.join(", ")} - ${t.title}`;
    if (t.outcome === "done" || t.outcome === "cached") {
      lines.push(
        `  ok      ${name}  ${formatDuration((t.durationSec ?? 0) * 1000)}${t.outcome === "cached" ? " (already collected)" : ""}`,
      );
      lines.push(`          ${path.join(libraryDir, t.file ?? "")}`);
      for (const w of t.warnings) lines.push(`          note: ${w}`);
    } else {
      lines.push(
        `  ${t.outcome === "needs_review" ? "review" : t.outcome.padEnd(7)} ${name}: ${t.reason ?? ""}`,
      );
      for (const c of t.candidates ?? [])
        lines.push(`          candidate ${c.score}%: ${c.title} (${c.channel})`);
    }
  }
  for (const note of r.notes) lines.push(`note: ${note}`);
  const ok = r.tracks.filter((t) => t.outcome === "done" || t.outcome === "cached").length;
  lines.push(
    `${ok} of ${r.tracks.length} tracks, ${formatDuration(r.totalDurationSec * 1000)}, ${(r.totalBytes / 1e6).toFixed(1)} MB`,
  );
  if (r.playlistFile) lines.push(`playlist: ${path.join(libraryDir, r.playlistFile)}`);
  if (r.packagePath) lines.push(`zip:      ${r.packagePath}`);
  return lines.join("\n");
}

export async function downloadCommand(options: {
  config?: string;
  link?: string;
  format?: string;
}): Promise<number> {
  if (!options.link)
    throw new CommandExit(
      EXIT_USAGE,
      "usage: cd-collector download <spotify link> [--format mp3|m4a|opus|flac]",
    );
  if (options.format !== undefined && !(audioFormats as readonly string[]).includes(options.format)) {
    throw new CommandExit(
      EXIT_USAGE,
      `--format must be one of ${audioFormats.join(", ")}; got ${options.format}`,
    );
  }
  const { config } = loadForCommand(options.config, "worker");
  makeDataPrivate(config); // the library and packages it writes are private, as under `start`
  const logger = createLogger({
    level: config.logLevel === "info" ? "warn" : config.logLevel,
    pretty: process.stderr.isTTY,
  });
  const services = createMediaServices(config, logger);
  const ref = await services.catalog.canonicalRef(options.link);
  const core = await openCore(config, logger);
  const workers = await startWorkers({ config, redisUrl: core.redisUrl, logger, ...services });
  const events = await progressBroker.subscribe({
    connection: core.connect("events"),
    prefix: config.redis.prefix,
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const { job } = await core.jobs.submit({
      owner: CLI_USER,
      ref,
      ...(options.format ? { format: options.format as AudioFormat } : {}),
    });
    process.stdout.write(`Job ${job.id}: ${ref.uri}\n`);
    const printer = createProgressPrinter(process.stdout);
    events.onProgress((e) => {
      if (e.jobId === job.id) printer.update(e);
    });
    let view = job;
    while (!isFinalStage(view.stage)) {
      if (stop.signal.aborted) {
        await core.jobs.cancel(job.id, cliActor).catch(() => undefined);
        stop.signal.throwIfAborted();
      }
      await new Promise((r) => setTimeout(r, 250));
      view = await core.jobs.status(job.id, cliActor);
    }
    process.stdout.write(`\n${formatSummary(view, dataPaths(config).libraryDir)}\n`);
    const tracks = view.result?.tracks ?? [];
    const ok = tracks.filter((t) => t.outcome === "done" || t.outcome === "cached").length;
    return ok === 0 ? 1 : 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await events.close();
    await workers.close(10_000);
    await core.close();
  }
}
