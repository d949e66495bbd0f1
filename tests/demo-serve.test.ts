/**
 * The README's offline try: `cd-collector demo --serve`, then the printed commands pasted into another
 * shell. Runs the real command line through the `cd-collector` launcher, as a newcomer would.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, projectRoot } from "./helpers/cli.js";
import { eventually, processesMentioning } from "./helpers/processes.js";

function readEnvFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^(\w+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, "$1");
  }
  return env;
}

describe("demo --serve: the offline try", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cdc-serve-"));
  let child: ChildProcess | undefined;
  let printed = "";
  afterAll(() => {
    if (child?.exitCode === null) child.kill("SIGKILL");
  });

  it("leaves a world that resolve and the bot answer without a token, and Ctrl-C stops all of it", async () => {
    child = spawn(
      process.execPath,
      [path.join(projectRoot, "bin/cd-collector.mjs"), "demo", "--serve", "--dir", "out"],
      { cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: dir }, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    expect(await eventually(() => printed.includes("curl -s"), 45_000, 100)).toBe(true);

    // The commands exactly as printed.
    const envFile = /\. (\S+serve\.env);/.exec(printed)?.[1];
    const resolveLine = /npx cd-collector (resolve .+)$/m.exec(printed)?.[1];
    const sendText = /^\s*curl -s (\S+\/control\/send-text) .* -d '(.+)'$/m.exec(printed);
    const transcript = /curl -s "(\S+\/control\/transcript\?chatId=\d+)"/.exec(printed)?.[1];
    expect(envFile && resolveLine && sendText && transcript).toBeTruthy();
    const env = readEnvFile(envFile!);
    expect(Object.keys(env)).toEqual(expect.arrayContaining(["REDIS_URL", "TELEGRAM_BOT_TOKEN"]));

    const resolved = await cli(resolveLine!.split(" "), { cwd: dir, env });
    expect(resolved.stderr).toBe("");
    expect(resolved.stdout).toMatch(/5 tracks, .* in total/);

    // Speak to the bot through the stand-in's person side; the running service answers with a job.
    const body = sendText![2]!;
    const sent = await fetch(sendText![1]!, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(sent.status).toBe(200);
    const answered = await eventually(
      async () => {
        const res = (await (await fetch(transcript!)).json()) as { result: { text: string }[] };
        return res.result.some((m) => /Façades & Fjords/.test(m.text));
      },
      30_000,
      250,
    );
    expect(answered).toBe(true);

    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child!.once("exit", resolve));
    expect(code).toBe(0);
    expect(await eventually(() => processesMentioning(dir).length === 0, 5000)).toBe(true);
  });
});
