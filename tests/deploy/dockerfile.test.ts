/**
 * Dockerfile.bot, checked without building it (no Docker engine here): the instructions of each stage,
 * what the final image runs, and the parts that can run on their own here: the HEALTHCHECK command
 * against a loopback server, the config edit against the real config/bot.toml, and .dockerignore
 * against every file the Dockerfile copies.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import toml from "toml";
import { afterEach, describe, expect, it } from "vitest";
import { createConfig } from "../../src/core/config/load.js";
import { runProcess } from "../../src/core/process-runner.js";

const root = path.resolve(import.meta.dirname, "../..");
const dockerfile = readFileSync(path.join(root, "Dockerfile.bot"), "utf8");

interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): { globalArgs: Map<string, string>; stages: Stage[] } {
  const logical: string[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    // Comment lines, also those inside a continued instruction, are not part of it.
    if (/^\s*#/.test(raw)) continue;
    if (raw.endsWith("\\")) {
      current += `${raw.slice(0, -1)} `;
      continue;
    }
    current += raw;
    if (current.trim() !== "") logical.push(current.trim());
    current = "";
  }
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const space = line.search(/\s/);
    const keyword = line.slice(0, space).toUpperCase();
    const args = line.slice(space).trim();
    if (keyword === "FROM") {
      const [image, as, name] = args.split(/\s+/);
      const from = image!.replace(/\$\{(\w+)\}/g, (_, arg: string) => globalArgs.get(arg) ?? "");
      stages.push({ from, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (keyword === "ARG") {
        const [key, ...rest] = args.split("=");
        globalArgs.set(key!, rest.join("="));
      }
    } else {
      stages.at(-1)!.instructions.push({ keyword, args });
    }
  }
  return { globalArgs, stages };
}

const { globalArgs, stages } = parseDockerfile(dockerfile);
const final = stages.at(-1)!;
const buildStage = stages.find((s) => s.name === "build");

function all(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** The JSON array of an exec-form instruction; fails for the shell form. */
function execForm(args: string): string[] {
  expect(args.startsWith("["), `exec form expected: ${args}`).toBe(true);
  const parsed = JSON.parse(args) as unknown;
  expect(Array.isArray(parsed) && parsed.every((p) => typeof p === "string")).toBe(true);
  return parsed as string[];
}

describe("stages", () => {
  it("builds in a stage of its own and runs on a Node LTS slim image", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(buildStage).toBeDefined();
    const match = /^node:(\d+)-(bookworm|trixie)-slim$/.exec(final.from);
    expect(match, final.from).not.toBeNull();
    const major = Number(match![1]);
    // Even majors become LTS; yt-dlp wants node >= 22 as its JavaScript runtime.
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(22);
    expect(buildStage!.from).toBe(final.from);
  });

  it("compiles with dev dependencies through npm install (npm ci fails on this registry)", () => {
    const runs = all(buildStage!, "RUN").join("\n");
    expect(runs).toMatch(/\bnpm install\b/);
    expect(runs).not.toMatch(/\bnpm ci\b/);
    expect(runs).not.toMatch(/--omit=dev|--production/);
    expect(runs).toMatch(/\bnpm run build\b/);
    const copied = all(buildStage!, "COPY").join("\n");
    for (const file of ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "src"]) {
      expect(copied).toContain(file);
    }
  });
});

describe("build arguments for builders without Docker Hub or GitHub", () => {
  const ytdlp = stages.find((s) => s.name === "ytdlp")!;

  it("default to the Node image, Debian slim and the yt-dlp release, as before", () => {
    expect(globalArgs.get("NODE_IMAGE")).toBe("node:24-bookworm-slim");
    expect(globalArgs.get("DEBIAN_IMAGE")).toBe("debian:bookworm-slim");
    expect(globalArgs.get("YTDLP_SOURCE")).toBe("release");
    expect(final.from).toBe("node:24-bookworm-slim");
    expect(ytdlp.from).toBe("debian:bookworm-slim");
  });

  it("take the base images from NODE_IMAGE and DEBIAN_IMAGE only", () => {
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(froms).toEqual(["${NODE_IMAGE}", "${DEBIAN_IMAGE}", "${NODE_IMAGE}"]);
  });

  it("YTDLP_SOURCE reaches the stages that use it; apt writes a stand-in that runs Debian's yt-dlp", () => {
    expect(all(ytdlp, "ARG")).toContain("YTDLP_SOURCE");
    expect(all(final, "ARG")).toContain("YTDLP_SOURCE");
    const fetch = all(ytdlp, "RUN").join("\n");
    expect(fetch).toMatch(/apt\) printf '#!\/bin\/sh\\nexec \/usr\/bin\/yt-dlp "\$@"\\n' > \/out\/yt-dlp;/);
    // Anything but release or apt fails the build instead of silently picking one.
    expect(fetch).toMatch(/\*\) echo "YTDLP_SOURCE must be release or apt[^"]*" >&2; exit 1 ;;/);
    // The release's --js-runtimes edit of config/bot.toml applies to the release only.
    const edit = all(final, "RUN").find((r) => r.includes("sed ") && r.includes("config/bot.toml"));
    expect(edit).toMatch(/^if \[ "\$YTDLP_SOURCE" = "release" \]; then /);
  });
});

describe("final stage", () => {
  const runs = all(final, "RUN").join("\n");

  it("installs production dependencies only and takes nothing but dist/ from the build stage", () => {
    expect(runs).toMatch(/\bnpm install\b[^\n&]*--omit=dev/);
    expect(runs).not.toMatch(/\bnpm ci\b/);
    const fromOtherStages = all(final, "COPY").filter((c) => c.startsWith("--from="));
    const fromBuild = fromOtherStages.filter((c) => c.startsWith("--from=build"));
    expect(fromBuild).toEqual(["--from=build /app/dist ./dist"]);
    expect(fromOtherStages.join("\n")).not.toMatch(/node_modules/);
  });

  it("has ffmpeg, tini, a current yt-dlp release, and cdrdao only behind WITH_CDRDAO", () => {
    expect(runs).toMatch(/apt-get install[^;&]*\bffmpeg\b/);
    expect(runs).toMatch(/apt-get install[^;&]*\btini\b/);
    // Not Debian's yt-dlp (often too old for YouTube): the official standalone release, from its own
    // stage. Debian's package only behind YTDLP_SOURCE=apt (for builders without GitHub).
    const aptYtDlp = /if \[ "\$YTDLP_SOURCE" = "apt" \]; then apt-get install[^;]*\byt-dlp\b[^;]*; fi;/;
    expect(runs).toMatch(aptYtDlp);
    expect(runs.replace(aptYtDlp, "")).not.toMatch(/apt-get install[^;&]*\byt-dlp\b/);
    const ytdlp = stages.find((s) => all(s, "ARG").some((a) => a.startsWith("YTDLP_VERSION=")));
    expect(ytdlp).toBeDefined();
    const version = all(ytdlp!, "ARG")
      .find((a) => a.startsWith("YTDLP_VERSION="))!
      .split("=")[1]!;
    expect(version).toMatch(/^20\d\d\.\d\d\.\d\d$/);
    // The JavaScript challenge solver arrived in 2025.11.12.
    expect(version >= "2025.11.12").toBe(true);
    expect(all(ytdlp!, "RUN").join("\n")).toMatch(/github\.com\/yt-dlp\/yt-dlp\/releases\/download/);
    expect(all(ytdlp!, "RUN").join("\n")).toMatch(/sha256sum -c/);
    expect(all(final, "COPY")).toContain(`--from=${ytdlp!.name} /out/yt-dlp /usr/local/bin/yt-dlp`);

    expect(all(final, "ARG")).toContain("WITH_CDRDAO=false");
    expect(runs).toMatch(/if \[ "\$WITH_CDRDAO" = "true" \]; then apt-get install[^;]*\bcdrdao\b/);
    expect(runs.replace(/if \[ "\$WITH_CDRDAO"[^;]*;[^;]*;/, "")).not.toMatch(/\bcdrdao\b/);
  });

  it("runs as a non-root user who is in the cdrom group", () => {
    const users = all(final, "USER");
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.split(":")[0]!;
    expect(["root", "0"]).not.toContain(user);
    expect(runs).toMatch(new RegExp(`useradd [^;]*--groups cdrom[^;]* ${user}\\b`));
    // The last USER comes after every RUN, so nothing later runs as root by accident.
    const lastUser = final.instructions.findLastIndex((i) => i.keyword === "USER");
    const lastRun = final.instructions.findLastIndex((i) => i.keyword === "RUN");
    expect(lastUser).toBeGreaterThan(lastRun);
  });

  it("starts the CLI under tini in exec form, role all by default", () => {
    const entrypoint = execForm(all(final, "ENTRYPOINT").at(-1)!);
    expect(entrypoint).toEqual(["/usr/bin/tini", "--", "node", "/app/dist/cli.js"]);
    const cmd = execForm(all(final, "CMD").at(-1)!);
    expect(cmd).toEqual(["start", "--role", "all", "--config", "/app/config/bot.toml"]);
    expect(all(final, "WORKDIR").at(-1)).toBe("/app");
    expect(all(final, "COPY")).toContain("config/bot.toml ./config/bot.toml");
  });

  it("listens on every interface and keeps data in /data", () => {
    const env = all(final, "ENV").join(" ");
    expect(env).toMatch(/\bHTTP_HOST=0\.0\.0\.0\b/);
    expect(env).toMatch(/\bDATA_DIR=\/data\b/);
  });
});

describe("HEALTHCHECK", () => {
  const healthcheck = all(final, "HEALTHCHECK").at(-1);
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  function command(): string[] {
    expect(healthcheck).toBeDefined();
    const exec = execForm(healthcheck!.slice(healthcheck!.indexOf("CMD") + 3).trim());
    expect(exec[0]).toBe("node");
    expect(exec.join(" ")).not.toMatch(/\b(curl|wget)\b/);
    return exec;
  }

  /** Serve /healthz with `status` on a free loopback port; resolves with the port. */
  async function serve(status: number, seen: string[]): Promise<number> {
    server = createServer((req, res) => {
      seen.push(req.url ?? "");
      res.statusCode = req.url === "/healthz" ? status : 404;
      res.end();
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  }

  async function probe(port: number): Promise<number> {
    const [program, ...args] = command();
    const result = await runProcess(program === "node" ? process.execPath : program!, args, {
      env: { ...process.env, HTTP_PORT: String(port) },
      timeoutMs: 15_000,
      okExitCodes: [0, 1],
    });
    return result.exitCode;
  }

  it("is healthy when /healthz answers 200", async () => {
    const seen: string[] = [];
    expect(await probe(await serve(200, seen))).toBe(0);
    expect(seen).toEqual(["/healthz"]);
  });

  it("is unhealthy when /healthz answers 503", async () => {
    expect(await probe(await serve(503, []))).toBe(1);
  });

  it("is unhealthy when nothing listens", async () => {
    const port = await serve(200, []);
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    expect(await probe(port)).toBe(1);
  });
});

describe("yt-dlp JavaScript runtime in the image's config", () => {
  it("the Dockerfile's edit of config/bot.toml applies and loads as --js-runtimes node", async () => {
    const run = all(final, "RUN").find((r) => r.includes("config/bot.toml") && r.includes("sed "));
    expect(run).toBeDefined();
    const sedExpr = /sed -i '([^']+)' config\/bot\.toml/.exec(run!)?.[1];
    const grepExpr = /grep -q '([^']+)' config\/bot\.toml/.exec(run!)?.[1];
    expect(sedExpr).toBeDefined();
    expect(grepExpr).toBeDefined();
    const dir = mkdtempSync(path.join(os.tmpdir(), "cdc-dockerfile-"));
    try {
      const file = path.join(dir, "bot.toml");
      writeFileSync(file, readFileSync(path.join(root, "config/bot.toml"), "utf8"));
      await runProcess("sed", ["-i", sedExpr!, file], { timeoutMs: 10_000 });
      // The build's own guard passes on the edited file...
      await runProcess("grep", ["-q", grepExpr!, file], { timeoutMs: 10_000 });
      // ...and the service reads what was meant.
      const { config } = createConfig(toml.parse(readFileSync(file, "utf8")) as Record<string, unknown>, {});
      expect(config.download.ytDlpExtraArgs).toEqual(["--js-runtimes", "node"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe(".dockerignore", () => {
  const patterns = readFileSync(path.join(root, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

  function toRegExp(pattern: string): RegExp {
    const body = pattern
      .replace(/\/$/, "")
      .split("")
      .map((c, i, s) =>
        c === "*" ? (s[i + 1] === "*" ? "" : s[i - 1] === "*" ? ".*" : "[^/]*") : c === "?" ? "[^/]" : c,
      )
      .map((c) => (c.length === 1 && /[.+^${}()|[\]\\]/.test(c) ? `\\${c}` : c))
      .join("");
    return new RegExp(`^${body}$`);
  }

  /** Docker's rule: the last matching pattern wins; a pattern matching a parent directory matches too. */
  function excluded(file: string): boolean {
    const prefixes = file.split("/").map((_, i, parts) => parts.slice(0, i + 1).join("/"));
    let result = false;
    for (const raw of patterns) {
      const negate = raw.startsWith("!");
      const re = toRegExp(negate ? raw.slice(1) : raw);
      if (prefixes.some((p) => re.test(p))) result = !negate;
    }
    return result;
  }

  it("keeps every file the Dockerfile copies from the context", () => {
    const sources = stages
      .flatMap((s) => all(s, "COPY"))
      .filter((c) => !c.startsWith("--from="))
      .flatMap((c) => c.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(excluded(source === "src" ? "src/cli.ts" : source), source).toBe(false);
    }
  });

  it("keeps secrets, local state and dependencies out of the context", () => {
    for (const file of [
      ".env",
      "deploy/telegram/.env",
      "node_modules/x/index.js",
      "data/link-secret",
      ".git/config",
      "dist/cli.js",
      "tests/x.test.ts",
    ]) {
      expect(excluded(file), file).toBe(true);
    }
  });
});
