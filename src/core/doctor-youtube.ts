/**
 * `doctor`'s checks of what yt-dlp needs to get past YouTube in 2026 (FACTS.md): a JavaScript runtime for
 * YouTube's player challenges (yt-dlp 2025.11 and later: deno by default, or node with
 * `--js-runtimes node`), and, against "Sign in to confirm you're not a bot", a cookies file or a PO-token
 * provider plugin.
 */
import { accessSync, constants } from "node:fs";
import type { Config } from "./config/schema.js";
import type { CheckResult } from "./doctor.js";
import { runProcess } from "./process-runner.js";
import { compareVersions } from "./media/yt-dlp.js";

/** The first yt-dlp release that needs a JavaScript runtime for YouTube. */
const NEEDS_JS_SINCE = "2025.11.12";
const NODE_MIN_MAJOR = 20;

async function versionOf(
  binary: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  try {
    const result = await runProcess(binary, args, { env, timeoutMs: 10_000 });
    return `${result.stdout}${result.stderr}`.trim().split(/\s+/)[0]?.replace(/^v/u, "");
  } catch {
    return undefined;
  }
}

/** Which JavaScript runtime yt-dlp will use, and whether that works. */
export async function checkJsRuntime(
  config: Config,
  ytDlpVersion: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<CheckResult> {
  const name = "yt-dlp JS runtime";
  if (
    ytDlpVersion !== undefined &&
    /^\d{4}\./u.test(ytDlpVersion) &&
    compareVersions(ytDlpVersion, NEEDS_JS_SINCE) < 0
  ) {
    return {
      name,
      status: "ok",
      detail: `yt-dlp ${ytDlpVersion} does not use one (releases from ${NEEDS_JS_SINCE} on need deno or node for YouTube)`,
    };
  }
  const [deno, node] = await Promise.all([
    versionOf("deno", ["--version"], env),
    versionOf("node", ["--version"], env),
  ]);
  const args = config.download.ytDlpExtraArgs;
  const at = args.findIndex((a) => a === "--js-runtimes" || a.startsWith("--js-runtimes="));
  const chosen = at < 0 ? "" : (args[at]!.split("=")[1] ?? args[at + 1] ?? "");
  if (chosen.split(",").includes("node") && node !== undefined) {
    const major = Number(node.split(".")[0]);
    return major >= NODE_MIN_MAJOR
      ? { name, status: "ok", detail: `node ${node} (download.ytDlpExtraArgs has --js-runtimes ${chosen})` }
      : {
          name,
          status: "warn",
          detail: `node ${node} is older than ${NODE_MIN_MAJOR}`,
          fix: `install node ${NODE_MIN_MAJOR} or later (22 recommended), or deno`,
        };
  }
  if (deno !== undefined) return { name, status: "ok", detail: `deno ${deno} (yt-dlp's default)` };
  return {
    name,
    status: "warn",
    detail:
      node !== undefined
        ? `no deno; node ${node} is installed but yt-dlp will not use it unless told`
        : "neither deno nor node found: YouTube downloads will fail",
    fix:
      node !== undefined
        ? 'add "--js-runtimes", "node" to download.ytDlpExtraArgs, or install deno'
        : "install deno (https://deno.land) or node 20+ and add --js-runtimes node",
  };
}

/** Cookies or a PO-token provider, for YouTube's bot check on datacenter IPs. */
export async function checkBotCheckHelp(config: Config, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const name = "YouTube bot check";
  const cookies = config.download.cookiesFile;
  if (cookies !== "") {
    try {
      accessSync(cookies, constants.R_OK);
      return { name, status: "ok", detail: `cookies file ${cookies} (each yt-dlp run gets its own copy)` };
    } catch {
      return {
        name,
        status: "fail",
        detail: `download.cookiesFile ${cookies} cannot be read`,
        fix: "export cookies.txt from a browser logged in to YouTube, and give this user read access",
      };
    }
  }
  // `yt-dlp -v` with no URL prints its debug header (plugins, PO-token providers) and exits 2.
  let providers = "";
  try {
    const result = await runProcess(config.download.ytDlpPath, ["--ignore-config", "-v"], {
      env,
      timeoutMs: 15_000,
      okExitCodes: [0, 1, 2],
    });
    providers = /PO Token Providers?:\s*(.+)/iu.exec(result.stderr)?.[1]?.trim() ?? "";
  } catch {
    // yt-dlp missing: its own check says so
  }
  if (providers !== "" && !/^none$/iu.test(providers)) {
    return { name, status: "ok", detail: `PO-token provider: ${providers}` };
  }
  return {
    name,
    status: "warn",
    detail:
      "no cookies file and no PO-token provider plugin: on a server's IP YouTube may ask to 'confirm you're not a bot'",
    fix: "set download.cookiesFile to a cookies.txt from a browser logged in to YouTube, or install the bgutil-ytdlp-pot-provider plugin",
  };
}
