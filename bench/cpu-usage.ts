/**
 * CPU seconds from /proc: steadier than wall time on a machine where other work competes for the cores,
 * so the benchmarks report both.
 */
import { readFileSync } from "node:fs";

/**
 * User + system CPU seconds of process `pid`; with `reapedChildren`, plus the children it has already
 * waited for (yt-dlp, ffmpeg and ffprobe runs that finished). 0 where there is no /proc.
 */
export function cpuSecondsOf(pid: number, reapedChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after "(comm) ": state is [0]; utime [11], stime [12], cutime [13], cstime [14]; USER_HZ 100.
    const f = stat
      .slice(stat.lastIndexOf(")") + 2)
      .split(" ")
      .map(Number);
    const own = (f[11] ?? 0) + (f[12] ?? 0);
    return (reapedChildren ? own + (f[13] ?? 0) + (f[14] ?? 0) : own) / 100;
  } catch {
    return 0;
  }
}
