#!/usr/bin/env node
// The `cd-collector` command. In a checkout (src/ and tsx present, as right after `npm install`) it runs the
// TypeScript sources through tsx, so `npx cd-collector doctor` works without a build and never runs a stale
// dist/. An installed package or the production image has no src/ and runs the built dist/cli.js.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = new URL("../src/cli.ts", import.meta.url);
const built = new URL("../dist/cli.js", import.meta.url);

async function tsxApi() {
  try {
    return await import("tsx/esm/api");
  } catch {
    return undefined;
  }
}

const tsx = existsSync(fileURLToPath(source)) ? await tsxApi() : undefined;
if (tsx) {
  tsx.register();
  await import(source.href);
} else if (existsSync(fileURLToPath(built))) {
  await import(built.href);
} else {
  console.error(
    "cd-collector: neither the sources with tsx (run `npm install`) nor dist/ (run `npm run build`) are here.",
  );
  process.exit(2);
}
