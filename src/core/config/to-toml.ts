/**
 * Write plain config data as TOML: one level of sections, scalars and arrays — what `demo --serve` writes
 * for the shell and what tests write for the CLI. Strings are JSON-quoted, which TOML accepts.
 */
export function toToml(data: Record<string, unknown>): string {
  const value = (v: unknown): string =>
    Array.isArray(v) ? `[${v.map(value).join(", ")}]` : typeof v === "string" ? JSON.stringify(v) : String(v);
  const top: string[] = [];
  const sections: string[] = [];
  for (const [key, v] of Object.entries(data)) {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      sections.push(`[${key}]`, ...Object.entries(v).map(([k, x]) => `${k} = ${value(x)}`), "");
    } else top.push(`${key} = ${value(v)}`);
  }
  return [...top, "", ...sections].join("\n");
}
