/**
 * Which yt-dlp options `download.ytDlpExtraArgs` may add: an allowlist, because a refusal list loses to
 * yt-dlp's own parsing (it takes any unambiguous abbreviation, `--ffmpeg-loc` for `--ffmpeg-location`,
 * and short options with their value attached, `-o/tmp/x`). Only network, pacing and YouTube options
 * are allowed, each written out in full, short ones standing alone, and each value checked, so nothing
 * here can name a program to run or a file to read or write (cookies go in download.cookiesFile).
 */

interface AllowedOption {
  /** Short spellings yt-dlp also takes (only exactly these, never with a value attached). */
  short?: string;
  /** The option's value, when it takes one, and what it must look like. */
  value?: { shape: RegExp; describe: string };
}

const seconds = { shape: /^\d+(\.\d+)?$/, describe: "a number of seconds" };
const count = { shape: /^(\d+|inf|infinite)$/, describe: "a number or infinite" };
const rate = { shape: /^\d+(\.\d+)?[KMGkmg]?$/, describe: "a rate like 50K or 4.2M" };
const proxyUrl = {
  shape: /^(https?|socks4a?|socks5h?):\/\/[^\s]+$/,
  describe: "a proxy URL (http://, https://, socks5://)",
};

/** The allowed options by their full long name. */
export const allowedYtDlpOptions: Readonly<Record<string, AllowedOption>> = {
  // Network.
  "--proxy": { value: proxyUrl },
  "--geo-verification-proxy": { value: proxyUrl },
  "--socket-timeout": { value: seconds },
  "--source-address": { value: { shape: /^[0-9a-fA-F.:]+$/, describe: "an IP address" } },
  "--force-ipv4": { short: "-4" },
  "--force-ipv6": { short: "-6" },
  "--impersonate": { value: { shape: /^[A-Za-z0-9_.-]*(:[A-Za-z0-9_.-]+)?$/, describe: "CLIENT[:OS]" } },
  "--xff": {
    value: { shape: /^[A-Za-z0-9.:/]+$/, describe: "default, never, a country code or an IP block" },
  },
  // Pacing and retries.
  "--limit-rate": { short: "-r", value: rate },
  "--throttled-rate": { value: rate },
  "--retries": { short: "-R", value: count },
  "--fragment-retries": { value: count },
  "--extractor-retries": { value: count },
  "--file-access-retries": { value: count },
  "--retry-sleep": {
    value: { shape: /^([a-z_]+:)?[a-z0-9.=*+:-]+$/, describe: "[TYPE:]EXPR, e.g. exp=1:20" },
  },
  "--concurrent-fragments": { short: "-N", value: { shape: /^\d+$/, describe: "a number" } },
  "--http-chunk-size": { value: rate },
  "--sleep-requests": { value: seconds },
  "--sleep-interval": { value: seconds },
  "--min-sleep-interval": { value: seconds },
  "--max-sleep-interval": { value: seconds },
  "--no-cache-dir": {},
  // YouTube. Only YouTube's own extractor arguments: plugins' ones can name scripts to run.
  "--extractor-args": {
    value: {
      shape: /^(youtube|youtubetab):[A-Za-z0-9_=,;.:+/-]+$/,
      describe: "youtube:KEY=VALUE or youtubetab:KEY=VALUE",
    },
  },
  // A runtime by name only: RUNTIME:PATH would name a program to run.
  "--js-runtimes": { value: { shape: /^(deno|node|bun|quickjs)$/, describe: "deno, node, bun or quickjs" } },
  "--remote-components": { value: { shape: /^ejs:(github|npm)$/, describe: "ejs:github or ejs:npm" } },
  // A browser by name only: BROWSER:PROFILE would name a directory to read.
  "--cookies-from-browser": {
    value: {
      shape: /^(brave|chrome|chromium|edge|firefox|opera|safari|vivaldi|whale)(\+[a-z0-9]+)?$/,
      describe: "a browser name such as firefox or chrome",
    },
  },
};

const byShort = new Map(
  Object.entries(allowedYtDlpOptions)
    .filter(([, o]) => o.short !== undefined)
    .map(([name, o]) => [o.short!, name]),
);

/** Why `args` cannot be passed to yt-dlp (naming the argument), or undefined when every one is allowed. */
export function ytDlpExtraArgsProblem(args: readonly string[]): string | undefined {
  const allowedNames = Object.keys(allowedYtDlpOptions).join(", ");
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const written = eq > 0 ? arg.slice(0, eq) : arg;
    const name = arg.startsWith("--") ? written : byShort.get(arg);
    const option =
      name !== undefined && Object.hasOwn(allowedYtDlpOptions, name) ? allowedYtDlpOptions[name] : undefined;
    if (name === undefined || option === undefined) {
      const what = arg.startsWith("-")
        ? `the option ${JSON.stringify(written)}`
        : `the value ${JSON.stringify(arg)}`;
      return (
        `${what} is not allowed (options are written out in full, short ones without a value attached; ` +
        `allowed: ${allowedNames})`
      );
    }
    if (!option.value) {
      if (eq > 0) return `${name} takes no value`;
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined) return `${name} needs a value (${option.value.describe})`;
    if (!option.value.shape.test(value)) {
      return `${name} ${JSON.stringify(value)} is not allowed: expected ${option.value.describe}`;
    }
  }
  return undefined;
}
