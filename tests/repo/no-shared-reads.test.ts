/**
 * The project must work from a clone that has nothing beside it: the team folder next to the
 * repository is not part of a user's checkout. Its fixtures live under tests/fixtures instead.
 * This guard fails, naming file:line, as soon as code, tests, scripts, benchmarks or CI refer to it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const scanned = ["src", "tests", "scripts", "bench", ".ci"];
// Built, not written out, so this file does not match itself.
const needle = ["..", "shared"].join("/");
const skippedDirs = new Set(["node_modules", ".git", "dist", "coverage"]);
const binaryExtensions = new Set([".gz", ".zip", ".png", ".jpg", ".jpeg", ".mp3", ".flac", ".wav", ".ogg"]);

/** Every file under `dir`, depth first, without node_modules and friends. */
function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skippedDirs.has(entry.name)) walk(full, out);
    } else if (entry.isFile()) {
      out.push(full);
    }
  }
  return out;
}

function scannedFiles(): string[] {
  return scanned.flatMap((top) => walk(path.join(root, top)));
}

/** "file:line: text" for each line of a text file that contains the needle. */
function hits(file: string): string[] {
  if (binaryExtensions.has(path.extname(file).toLowerCase())) return [];
  const bytes = readFileSync(file);
  if (bytes.includes(0)) return []; // binary
  return bytes
    .toString("utf8")
    .split("\n")
    .flatMap((line, index) =>
      line.includes(needle) ? [`${path.relative(root, file)}:${index + 1}: ${line.trim()}`] : [],
    );
}

describe("no reads from the team folder beside the repository", () => {
  it(`no file under ${scanned.join(", ")} contains "${needle}"`, () => {
    const files = scannedFiles();
    // Guards against a walk that silently finds nothing (wrong root, renamed folders).
    expect(files.length).toBeGreaterThan(50);
    expect(files.map((file) => path.relative(root, file))).toContain(
      path.join("tests", "repo", "no-shared-reads.test.ts"),
    );
    const found = files.flatMap(hits);
    expect(found, `files referring to ${needle}:\n${found.join("\n")}`).toEqual([]);
  });

  it("reports a reference as file:line, and skips gzip and binary files", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cdc-no-shared-"));
    try {
      const text = path.join(dir, "x.ts");
      writeFileSync(text, `// first line\nconst p = "${needle}/schemas/x.json";\n`);
      writeFileSync(path.join(dir, "x.jsonl.gz"), needle);
      writeFileSync(path.join(dir, "x.bin"), Buffer.concat([Buffer.from([0]), Buffer.from(needle)]));
      expect(hits(text)).toEqual([`${path.relative(root, text)}:2: const p = "${needle}/schemas/x.json";`]);
      expect(hits(path.join(dir, "x.jsonl.gz"))).toEqual([]);
      expect(hits(path.join(dir, "x.bin"))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(readFileSync(import.meta.filename, "utf8").includes(needle)).toBe(false);
  });
});
