/**
 * Samples memory while a benchmark runs: this process's RSS (process.memoryUsage) and, where Linux's
 * /proc exposes it, the summed RSS of the media programs it started (yt-dlp, ffmpeg, ffprobe) at each tick.
 */
import { readFileSync, readdirSync } from "node:fs";

/** Programs counted as "children": what the pipeline starts per track. redis-server and esbuild are not. */
const MEDIA_PROGRAMS = new Set(["yt-dlp", "python3", "ffmpeg", "ffprobe"]);

function childPids(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const task of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

function rssOf(pid: number): { comm: string; rssBytes: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const comm = /^Name:\s*(.+)$/m.exec(status)?.[1]?.trim() ?? "";
    const kb = Number(/^VmRSS:\s*(\d+)\s*kB/m.exec(status)?.[1] ?? "0");
    return { comm, rssBytes: kb * 1024 };
  } catch {
    return undefined;
  }
}

/** True when this machine lets us see child processes (/proc/<pid>/task/<tid>/children). */
export function canSeeChildren(): boolean {
  try {
    readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, "utf8");
    return true;
  } catch {
    return false;
  }
}

/** Summed RSS of the media programs below `root` (any depth). */
export function mediaChildrenRss(root = process.pid): number {
  let total = 0;
  const queue = childPids(root);
  const seen = new Set<number>();
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const info = rssOf(pid);
    if (info && MEDIA_PROGRAMS.has(info.comm)) total += info.rssBytes;
    queue.push(...childPids(pid));
  }
  return total;
}

export interface RssSummary {
  samples: number;
  peakRssBytes: number;
  lastRssBytes: number;
  /** Undefined where /proc does not list children. */
  peakChildrenRssBytes?: number;
}

export interface RssSampler {
  /** Stop sampling (takes one last sample) and summarise. */
  stop(): RssSummary;
}

/** Sample every `intervalMs` until stopped. */
export function startRssSampler(intervalMs = 100, withChildren = canSeeChildren()): RssSampler {
  let peak = 0;
  let last = 0;
  let peakChildren = 0;
  let samples = 0;
  const sample = () => {
    last = process.memoryUsage().rss;
    peak = Math.max(peak, last);
    if (withChildren) peakChildren = Math.max(peakChildren, mediaChildrenRss());
    samples++;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return {
        samples,
        peakRssBytes: peak,
        lastRssBytes: last,
        ...(withChildren ? { peakChildrenRssBytes: peakChildren } : {}),
      };
    },
  };
}
