/**
 * deploy/telegram/docker-compose.yml, checked without a Docker engine: against the Compose
 * Specification's JSON schema, and by Debian's docker-compose 1.29 (`config` needs no engine) with the
 * example environment file, plus the properties a deployment relies on.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { Ajv } from "ajv";
import toml from "toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { listOptions } from "../../src/core/config/schema.js";
import { runProcess } from "../../src/core/process-runner.js";

const root = path.resolve(import.meta.dirname, "../..");
const composeDir = path.join(root, "deploy/telegram");
const composePath = path.join(composeDir, "docker-compose.yml");
const envExamplePath = path.join(composeDir, ".env.example");
const schemaPath = path.join(root, "tests/fixtures/schemas/compose-spec.json");
const appServices = ["bot", "worker", "burner"] as const;

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  command?: string[];
  init?: boolean;
  env_file?: string | string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition?: string }>;
  stop_grace_period?: string;
  container_name?: string;
  ports?: unknown[];
  profiles?: string[];
  devices?: string[];
  group_add?: (string | number)[];
  healthcheck?: { test?: string[] };
  volumes?: (string | { source?: string; target?: string; type?: string })[];
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** Compose durations ("45s", "1m30s", "2m") in seconds. */
function durationSeconds(value: string): number {
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)];
  expect(parts.map((p) => p[0]).join("")).toBe(value);
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001 };
  return parts.reduce((sum, [, n, u]) => sum + Number(n) * (unit[u!] ?? NaN), 0);
}

function readCompose(): ComposeFile {
  // Merge keys (`<<: *app`) are YAML 1.1, which is what docker-compose's PyYAML reads.
  return parse(readFileSync(composePath, "utf8"), { merge: true }) as ComposeFile;
}

function compileSchema() {
  const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as Record<string, unknown>;
  // The spec's schema names draft-07 without the trailing '#', and uses formats and keywords ajv's
  // strict mode does not know; the structure is what matters here.
  delete schema.$schema;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  return ajv.compile(schema);
}

function shutdownDeadlineSeconds(): number {
  const data = toml.parse(readFileSync(path.join(root, "config/bot.toml"), "utf8")) as {
    shutdownDeadlineSeconds?: number;
  };
  return data.shutdownDeadlineSeconds ?? 30;
}

describe("docker-compose.yml against the Compose Specification schema", () => {
  it("validates", () => {
    const validate = compileSchema();
    const ok = validate(readCompose());
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it("the schema check would catch a misspelt key", () => {
    const validate = compileSchema();
    const broken = readCompose();
    const worker = broken.services.worker as Record<string, unknown>;
    worker.stop_grace_perod = worker.stop_grace_period;
    expect(validate(broken)).toBe(false);
  });
});

describe("docker-compose 1.29 config with the example environment", () => {
  let dir: string;
  let projectRoot: string;
  let resolved: ComposeFile;

  /** Run docker-compose in the temp copy; resolves with the result whatever the exit code. */
  async function compose(args: string[]) {
    return runProcess("docker-compose", ["--profile", "burner", "--profile", "monitoring", ...args], {
      cwd: path.join(projectRoot, "deploy/telegram"),
      env: { PATH: process.env.PATH, HOME: dir },
      timeoutMs: 30_000,
      okExitCodes: [0, 1],
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cdc-compose-"));
    // Same layout as the repository, so `context: ../..` lands on a directory holding Dockerfile.bot.
    projectRoot = path.join(dir, "project");
    const target = path.join(projectRoot, "deploy/telegram");
    mkdirSync(target, { recursive: true });
    copyFileSync(composePath, path.join(target, "docker-compose.yml"));
    copyFileSync(envExamplePath, path.join(target, ".env"));
    copyFileSync(path.join(root, "Dockerfile.bot"), path.join(projectRoot, "Dockerfile.bot"));
    const result = await compose(["config"]);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    resolved = parse(result.stdout) as ComposeFile;
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("resolves every service, with no warning about unset variables", () => {
    expect(Object.keys(resolved.services).sort()).toEqual(
      ["bot", "burner", "grafana", "prometheus", "redis", "worker"].sort(),
    );
  });

  it("builds every app service from Dockerfile.bot at the project root, as one image", () => {
    const images = new Set<string | undefined>();
    for (const name of appServices) {
      const service = resolved.services[name]!;
      expect(service.build?.context).toBe(projectRoot);
      expect(service.build?.dockerfile).toBe("Dockerfile.bot");
      expect(existsSync(path.join(root, service.build!.dockerfile!))).toBe(true);
      images.add(service.image);
    }
    expect([...images]).toEqual(["cd-collector:latest"]);
  });

  it("gives running tracks longer than the drain deadline before SIGKILL", () => {
    const deadline = shutdownDeadlineSeconds();
    for (const name of appServices) {
      const grace = resolved.services[name]!.stop_grace_period;
      expect(grace, name).toBeDefined();
      expect(durationSeconds(grace!), name).toBeGreaterThan(deadline);
    }
  });

  it("runs app services with an init, the .env file, and the compose Redis once it is healthy", () => {
    for (const name of appServices) {
      const service = resolved.services[name]!;
      expect(service.init, name).toBe(true);
      expect(service.depends_on?.redis?.condition, name).toBe("service_healthy");
      expect(service.environment?.REDIS_URL, name).toBe("redis://redis:6379/0");
      expect(service.environment?.DATA_DIR, name).toBe("/data");
      // The .env content reached the container environment (env_file), e.g. the log level.
      expect(service.environment?.LOG_LEVEL, name).toBe("info");
      expect(service.command?.slice(0, 3), name).toEqual(["start", "--role", name]);
      const targets = (service.volumes ?? []).map((v) =>
        typeof v === "string" ? v.split(":")[1] : v.target,
      );
      expect(targets, name).toEqual(expect.arrayContaining(["/data", "/data/library"]));
    }
  });

  it("keeps queue state in Redis safe: AOF, noeviction, a healthcheck and a volume", () => {
    const redis = resolved.services.redis!;
    const command = redis.command ?? [];
    const flag = (name: string) => command[command.indexOf(name) + 1];
    expect(command).toContain("--appendonly");
    expect(flag("--appendonly")).toBe("yes");
    expect(flag("--maxmemory-policy")).toBe("noeviction");
    expect(redis.healthcheck?.test).toEqual(["CMD", "redis-cli", "ping"]);
    expect(
      (redis.volumes ?? []).some((v) =>
        typeof v === "string" ? v.endsWith(":/data:rw") : v.target === "/data",
      ),
    ).toBe(true);
  });

  it("lets the worker scale: no container_name, no host ports", () => {
    const worker = resolved.services.worker!;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.profiles).toBeUndefined();
  });

  it("puts the burner behind a profile, with the drive and its group", () => {
    const burner = resolved.services.burner!;
    expect(burner.profiles).toEqual(["burner"]);
    expect(burner.devices).toEqual(["/dev/sr0:/dev/sr0"]);
    expect(burner.group_add).toEqual(["cdrom"]);
  });

  it("puts Prometheus and Grafana behind the monitoring profile, fed by the files beside the compose file", () => {
    for (const name of ["prometheus", "grafana"]) {
      expect(resolved.services[name]!.profiles, name).toEqual(["monitoring"]);
    }
    const sources = ["prometheus", "grafana"].flatMap((name) =>
      (readCompose().services[name]!.volumes ?? [])
        .map((v) => (typeof v === "string" ? v.split(":")[0]! : (v.source ?? "")))
        .filter((source) => source.startsWith("./")),
    );
    expect(sources).toEqual(
      expect.arrayContaining(["./prometheus.yml", "./alerts.yml", "./grafana/provisioning"]),
    );
    const missing = sources.filter((source) => !existsSync(path.join(composeDir, source)));
    expect(missing, "bind-mounted files missing from deploy/telegram").toEqual([]);
  });

  it("rejects a top-level name: key, which docker-compose 1.29 does not know", async () => {
    const file = path.join(projectRoot, "deploy/telegram/docker-compose.yml");
    const original = readFileSync(file, "utf8");
    writeFileSync(file, `name: cd-collector\n${original}`);
    try {
      const result = await compose(["config", "-q"]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/'name' does not match/);
    } finally {
      writeFileSync(file, original);
    }
  });
});

describe(".env.example", () => {
  const text = readFileSync(envExamplePath, "utf8");
  const lines = text.split("\n");

  /** Variables the file mentions as `NAME=` or `# NAME=`, each with the comment line above it. */
  function documented(): Map<string, string> {
    const found = new Map<string, string>();
    lines.forEach((line, index) => {
      const match = /^#?\s*([A-Z][A-Z0-9_]*)=/.exec(line);
      if (!match) return;
      let above = index - 1;
      while (above >= 0 && /^#?\s*[A-Z][A-Z0-9_]*=/.test(lines[above]!)) above--;
      found.set(match[1]!, lines[above] ?? "");
    });
    return found;
  }

  it("lists every environment variable of the configuration, each with a comment", () => {
    const vars = documented();
    const fromSchema = listOptions()
      .map(([, doc]) => doc.env)
      .filter((env): env is string => env !== undefined);
    expect(fromSchema.length).toBeGreaterThan(10);
    for (const name of fromSchema) {
      expect(vars.has(name), name).toBe(true);
      expect(vars.get(name), name).toMatch(/^# \S/);
    }
  });

  it("sets every variable the compose file interpolates, and the project name", () => {
    const vars = documented();
    const interpolated = [...readFileSync(composePath, "utf8").matchAll(/\$\{([A-Z0-9_]+)/g)].map(
      (m) => m[1]!,
    );
    expect(interpolated.length).toBeGreaterThan(0);
    const assigned = new Set(lines.map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1]).filter(Boolean));
    for (const name of [...interpolated, "COMPOSE_PROJECT_NAME"]) {
      expect(assigned.has(name), name).toBe(true);
      expect(vars.get(name), name).toMatch(/^# \S/);
    }
  });
});
