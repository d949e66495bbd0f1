/** Run the real `cd-collector` command (from src/ through tsx) as a person would. */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { runProcess, type ProcessError } from "../../src/core/process-runner.js";

export const projectRoot = path.resolve(import.meta.dirname, "../..");
/** `node --import <tsx loader>` works from any working directory. */
export const tsxLoader = pathToFileURL(path.join(projectRoot, "node_modules/tsx/dist/loader.mjs")).href;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const dir = options.cwd ?? mkdtempSync(path.join(os.tmpdir(), "cdc-cli-"));
  const env = { PATH: process.env.PATH ?? "", HOME: dir, DATA_DIR: path.join(dir, "data"), ...options.env };
  try {
    const result = await runProcess(
      process.execPath,
      ["--import", tsxLoader, path.join(projectRoot, "src/cli.ts"), ...args],
      {
        cwd: dir,
        env,
        timeoutMs: options.timeoutMs ?? 60_000,
        ...(options.input === undefined ? {} : { input: options.input }),
        stderrTailChars: 20_000,
      },
    );
    return { code: 0, stdout: result.stdout, stderr: result.stderr };
  } catch (err) {
    const e = err as ProcessError;
    return { code: e.exitCode ?? -1, stdout: e.stdout, stderr: e.stderrTail };
  }
}
