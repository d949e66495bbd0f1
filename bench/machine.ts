/** What the figures were measured on: CPU, memory, Node and the versions of the programs the pipeline runs. */
import os from "node:os";
import { runProcess } from "../src/core/process-runner.js";

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  totalMemoryMiB: number;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews figures. */
  loadAverage: number[];
  node: string;
  platform: string;
  ytDlp: string;
  ffmpeg: string;
  redisServer: string;
}

async function firstLine(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await runProcess(cmd, args, { timeoutMs: 30_000 });
    return stdout.trim().split("\n")[0] ?? "";
  } catch {
    return "not installed";
  }
}

export async function machineInfo(): Promise<MachineInfo> {
  const cpus = os.cpus();
  const [ytDlp, ffmpeg, redisServer] = await Promise.all([
    firstLine("yt-dlp", ["--version"]),
    firstLine("ffmpeg", ["-version"]),
    firstLine("redis-server", ["--version"]),
  ]);
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cpuCount: cpus.length,
    totalMemoryMiB: Math.round(os.totalmem() / (1024 * 1024)),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    ytDlp,
    ffmpeg: ffmpeg.replace(/ Copyright.*$/, ""),
    redisServer: redisServer.replace(/^Redis server /, ""),
  };
}
