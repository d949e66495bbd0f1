/**
 * Renders `config/bot.toml` from the schema, so the file people read always lists every option with its
 * real default and meaning (`npm run config:doc` rewrites it; a test fails when it is out of date).
 */
import { configSchema, listOptions } from "./schema.js";

function tomlValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(", ")}]`;
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

function wrap(text: string, width = 100): string[] {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = "#";
  for (const word of words) {
    if (line.length + word.length + 1 > width && line !== "#") {
      lines.push(line);
      line = "#";
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

export function renderConfigDoc(): string {
  const defaults = configSchema.parse({}) as Record<string, unknown>;
  const out: string[] = [
    "# CD-Collector configuration.",
    "#",
    "# Every option is listed with its default value and meaning. Precedence, lowest first: these defaults,",
    "# this file, a .env file in the working directory, the process environment. `env:` names the variable",
    "# that overrides an option. Secrets are read only from the environment and never from this file.",
    "# Unknown keys are errors, so a typo is reported instead of silently ignored.",
    "# Check a configuration with: cd-collector doctor --config config/bot.toml",
    "#",
    "# This file is generated from src/core/config/schema.ts (npm run config:doc).",
  ];
  let section = "";
  for (const [key, doc] of listOptions()) {
    const parts = key.split(".");
    const head = parts.length > 1 ? parts[0] : "";
    const leaf = parts[parts.length - 1] ?? key;
    if (head !== section) {
      section = head ?? "";
      out.push("", `[${section}]`);
    }
    let value: unknown = defaults;
    for (const part of parts) value = (value as Record<string, unknown>)[part];
    out.push("", ...wrap(doc.description));
    if (doc.env) out.push(`# env: ${doc.env}${doc.secret ? " (secret: environment only)" : ""}`);
    out.push(`# example: ${doc.example}`);
    out.push(
      doc.secret ? `# ${leaf} = (set ${doc.env ?? "in the environment"})` : `${leaf} = ${tomlValue(value)}`,
    );
  }
  return `${out.join("\n")}\n`;
}
