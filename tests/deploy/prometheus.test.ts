/**
 * The monitoring files in deploy/telegram against the real promtool (Debian's `prometheus` package,
 * installed by scripts/prepare.mjs) and against a real /metrics scrape of the app over HTTP.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runProcess } from "../../src/core/process-runner.js";
import { createHttpFixture, type HttpFixture } from "../core/http/http-fixture.js";
import { storeRunningCollection } from "../core/burn/burn-fixture.js";
import { createKeys } from "../../src/core/jobs/keys.js";
import { createServicePauses } from "../../src/core/service-pauses.js";

const dir = path.resolve("deploy/telegram");
const promtool = (...args: string[]) => runProcess("promtool", args, { cwd: dir, timeoutMs: 30_000 });

let f: HttpFixture;
let scrape: string;

beforeAll(async () => {
  f = await createHttpFixture();
  await storeRunningCollection(f.redis, f.prefix);
  // YouTube rate-limited this service: the scrape shows the pause (sampled from Redis at scrape time).
  await createServicePauses(f.redis, createKeys(f.prefix)).pause(
    "youtube",
    600,
    "YouTube rate-limited this session",
  );
  // Give every labelled metric a sample, as a process that has done some work would have.
  const m = f.metrics;
  m.commands.inc({ command: "download", outcome: "ok" });
  m.jobs.inc({ outcome: "done" });
  m.jobDuration.observe({ outcome: "done" }, 42);
  m.queueWait.observe(1.5);
  m.tracks.inc({ outcome: "done" });
  m.cacheHits.inc({ kind: "file" });
  m.telegramErrors.inc({ method: "editMessageText", code: "429" });
  m.rateLimited.inc({ kind: "flood" });
  m.burns.inc({ outcome: "simulated" });
  m.refusals.inc();
  await f.app.listen({ host: "127.0.0.1", port: 0 });
  const address = f.app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await fetch(`http://127.0.0.1:${port}/healthz`);
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  scrape = await res.text();
});
afterAll(async () => f?.close());

/** Sample names in a Prometheus text scrape. */
function sampleNames(text: string): Set<string> {
  return new Set(
    text
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("#"))
      .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)?.[0] ?? ""),
  );
}

/** `cdc_*` metric names used in PromQL expressions. */
function metricsIn(exprs: string[]): string[] {
  return [...new Set(exprs.flatMap((e) => e.match(/\bcdc_[a-z0-9_]+/g) ?? []))];
}

describe("deploy/telegram monitoring", () => {
  it("has alert rules promtool accepts, and they fire as alerts.test.yml expects", async () => {
    const check = await promtool("check", "rules", "alerts.yml");
    expect(check.stdout).toMatch(/SUCCESS: 7 rules found/);
    const test = await promtool("test", "rules", "alerts.test.yml");
    expect(test.stdout).toMatch(/SUCCESS/);
  });

  it("has a Prometheus config promtool accepts", async () => {
    const check = await promtool("check", "config", "prometheus.yml");
    expect(check.stdout).toMatch(/SUCCESS: prometheus\.yml is valid/);
  });

  it("serves /metrics that promtool's linter accepts", async () => {
    const check = await runProcess("promtool", ["check", "metrics"], { input: scrape, timeoutMs: 30_000 });
    expect(check.exitCode).toBe(0);
    expect(check.stdout + check.stderr).toBe("");
    expect(scrape).toContain('cdc_queue_jobs{queue="collections",state="waiting"} 1');
    expect(scrape).toContain('cdc_service_paused{service="youtube"} 1');
    expect(scrape).toContain('cdc_service_paused{service="spotify_api"} 0');
  });

  it("alerts and the dashboard only use metrics the service exports", () => {
    const names = sampleNames(scrape);
    const rules = parse(readFileSync(path.join(dir, "alerts.yml"), "utf8")) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const alertMetrics = metricsIn(rules.groups.flatMap((g) => g.rules.map((r) => r.expr)));
    expect(alertMetrics).toEqual(
      expect.arrayContaining([
        "cdc_jobs_total",
        "cdc_queue_wait_seconds_bucket",
        "cdc_telegram_api_errors_total",
        "cdc_queue_jobs",
      ]),
    );
    expect(alertMetrics.filter((n) => !names.has(n))).toEqual([]);

    const dashboard = JSON.parse(
      readFileSync(path.join(dir, "grafana/dashboards/cd-collector.json"), "utf8"),
    ) as { uid: string; panels: { targets: { expr: string; datasource: { uid: string } }[] }[] };
    const targets = dashboard.panels.flatMap((p) => p.targets);
    expect(targets.length).toBeGreaterThan(10);
    expect(metricsIn(targets.map((t) => t.expr)).filter((n) => !names.has(n))).toEqual([]);
    const datasource = parse(
      readFileSync(path.join(dir, "grafana/provisioning/datasources/prometheus.yml"), "utf8"),
    ) as { datasources: { uid: string }[] };
    expect(new Set(targets.map((t) => t.datasource.uid))).toEqual(new Set([datasource.datasources[0]!.uid]));
  });
});
