/**
 * The configuration schema: the single source of truth for every option, its default, its meaning and
 * an example. `config/bot.toml` carries the same words for people (a test keeps the two in step).
 *
 * One file on purpose (over 400 lines): every option lives in one place, so the documented file and the
 * environment-variable list are generated from it and cannot drift.
 */
import { z } from "zod";
import { ytDlpExtraArgsProblem } from "../media/yt-dlp-extra-args.js";

/** Documentation attached to every leaf option. */
export interface OptionDoc {
  description: string;
  example: string;
  /** Environment variable that overrides this option. */
  env?: string;
  /** Read only from the environment, never logged or printed. */
  secret?: boolean;
}

function doc<T extends z.ZodType>(schema: T, meta: OptionDoc): T {
  return schema.meta(meta as unknown as Record<string, unknown>);
}

const port = z.number().int().min(0).max(65535);
const seconds = z.number().positive();
const userId = z.number().int().positive();
const httpUrl = z.url({ protocol: /^https?$/ });

export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export const audioFormats = ["mp3", "m4a", "opus", "flac"] as const;
export const providerNames = ["api", "embed"] as const;
export const roles = ["bot", "worker", "burner", "all"] as const;

const redisSchema = z
  .strictObject({
    url: doc(z.string().default(""), {
      description:
        "Redis to use (redis://, rediss:// or unix://). Empty: start a private redis-server under dataDir.",
      example: "redis://127.0.0.1:6379/0",
      env: "REDIS_URL",
      secret: true,
    }),
    binary: doc(z.string().min(1).default("redis-server"), {
      description: "redis-server program used for the embedded Redis.",
      example: "/usr/bin/redis-server",
    }),
    prefix: doc(
      z
        .string()
        .regex(/^[a-zA-Z0-9_-]+$/)
        .default("cdc"),
      {
        description: "Prefix of every Redis key this service writes (letters, digits, - and _).",
        example: "cdc",
      },
    ),
  })
  .prefault({});

const telegramSchema = z
  .strictObject({
    token: doc(z.string().default(""), {
      description: "Bot token from @BotFather. Environment only.",
      example: "123456789:AAE...",
      env: "TELEGRAM_BOT_TOKEN",
      secret: true,
    }),
    apiRoot: doc(httpUrl.default("https://api.telegram.org"), {
      description: "Bot API server: Telegram's cloud, a local telegram-bot-api, or the emulator.",
      example: "http://127.0.0.1:8081",
      env: "TELEGRAM_API_ROOT",
    }),
    allowedUserIds: doc(z.array(userId).default([]), {
      description: "Numeric Telegram user ids allowed to use the bot (admins are always allowed).",
      example: "[123456789, 987654321]",
      env: "TELEGRAM_ALLOWED_USER_IDS",
    }),
    adminUserIds: doc(z.array(userId).default([]), {
      description: "Numeric Telegram user ids of admins: they see every job and get burn progress.",
      example: "[123456789]",
      env: "TELEGRAM_ADMIN_USER_IDS",
    }),
    mode: doc(z.enum(["polling", "webhook"]).default("polling"), {
      description: "How updates arrive: long polling, or a webhook served by the HTTP server.",
      example: '"webhook"',
    }),
    webhookUrl: doc(z.union([z.literal(""), httpUrl]).default(""), {
      description: "Public URL Telegram posts updates to (webhook mode only); path /telegram/webhook.",
      example: '"https://bot.example.org/telegram/webhook"',
    }),
    webhookSecret: doc(z.string().default(""), {
      description: "Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token. Environment only.",
      example: "a-long-random-string",
      env: "TELEGRAM_WEBHOOK_SECRET",
      secret: true,
    }),
    editIntervalSeconds: doc(seconds.default(3), {
      description: "At most one progress edit per chat this often.",
      example: "3",
    }),
    uploadLimitMb: doc(z.number().int().min(1).max(2000).default(50), {
      description:
        "Largest file sent as audio: 50 on Telegram's cloud, up to 2000 with a local Bot API server.",
      example: "2000",
    }),
    downloadsCapacity: doc(z.number().int().min(1).default(3), {
      description: "Per-person /download token bucket: how many requests may come at once.",
      example: "3",
    }),
    downloadsRefillSeconds: doc(seconds.default(60), {
      description: "Per-person /download token bucket: one request comes back every this many seconds.",
      example: "60",
    }),
    floodMessages: doc(z.number().int().min(1).default(5), {
      description:
        "Flood guard: at most this many updates per person per floodWindowSeconds; the rest are dropped.",
      example: "5",
    }),
    floodWindowSeconds: doc(seconds.default(3), {
      description: "Flood guard window.",
      example: "3",
    }),
    sendAudio: doc(z.boolean().default(true), {
      description: "Send finished tracks back as audio messages (the link is always sent).",
      example: "false",
    }),
    doubtfulBelow: doc(z.number().min(0).max(100).default(85), {
      description:
        "A track matched with less confidence than this (0-100) is sent on its own, its caption says how sure the match is, and it carries a 'Wrong song?' button (every track sent on its own carries one; albums get it under the summary).",
      example: "90",
    }),
  })
  .prefault({});

/**
 * Defaults shared with the catalog (catalog.ts), which also runs without a config file. 1,000 tracks is
 * more than any real album or box set, ten times what Spotify's embed page lists, and still bounded work:
 * about four hours of the default YouTube budget and 6 GB at 192 kbps.
 */
export const defaultMaxTracks = 1000;
/** Reading a 1,000-track list with its ISRC lookups takes well under a minute at Spotify's pace. */
export const defaultResolveTimeoutSeconds = 120;

const spotifySchema = z
  .strictObject({
    clientId: doc(z.string().default(""), {
      description: "Spotify app client id (developer.spotify.com). Needed for the `api` provider.",
      example: "0123456789abcdef0123456789abcdef",
      env: "SPOTIFY_CLIENT_ID",
    }),
    clientSecret: doc(z.string().default(""), {
      description: "Spotify app client secret. Environment only.",
      example: "fedcba9876543210fedcba9876543210",
      env: "SPOTIFY_CLIENT_SECRET",
      secret: true,
    }),
    providers: doc(z.array(z.enum(providerNames)).min(1).default(["api", "embed"]), {
      description:
        "Catalog providers in the order they are tried. `api` is skipped when no client id is set.",
      example: '["embed"]',
    }),
    apiBaseUrl: doc(httpUrl.default("https://api.spotify.com/v1"), {
      description: "Spotify Web API base URL.",
      example: '"http://127.0.0.1:8082/v1"',
    }),
    accountsBaseUrl: doc(httpUrl.default("https://accounts.spotify.com"), {
      description: "Spotify accounts (token) base URL.",
      example: '"http://127.0.0.1:8082"',
    }),
    embedBaseUrl: doc(httpUrl.default("https://open.spotify.com"), {
      description: "Base URL of Spotify's public embed pages.",
      example: '"http://127.0.0.1:8082"',
    }),
    shortLinkBaseUrl: doc(z.union([z.literal(""), httpUrl]).default(""), {
      description: "Where spotify.link / spoti.fi short links are resolved. Empty: the link's own host.",
      example: '"http://127.0.0.1:8082"',
    }),
    maxRetryAfterSeconds: doc(z.number().min(0).default(30), {
      description: "Longest Retry-After honoured on a 429 before failing over to the next provider.",
      example: "30",
    }),
    requestTimeoutSeconds: doc(seconds.default(15), {
      description: "Timeout of one request to Spotify.",
      example: "15",
    }),
    albumIsrcs: doc(z.boolean().default(true), {
      description:
        "Look up each album track on its own to get its ISRC (album listings have none); one Web API request per track.",
      example: "false",
    }),
    market: doc(
      z
        .string()
        .regex(/^[A-Z]{2}$/)
        .default("US"),
      { description: "Market (ISO 3166-1 alpha-2) used for track availability.", example: '"DE"' },
    ),
    resolveTimeoutSeconds: doc(seconds.default(defaultResolveTimeoutSeconds), {
      description:
        "Longest reading one link's track list may take (every page, retry and ISRC lookup); past it the person is told Spotify took too long and nothing is queued.",
      example: "300",
    }),
  })
  .prefault({});

const sourceSchema = z
  .strictObject({
    kind: doc(z.enum(["youtube", "local"]).default("youtube"), {
      description:
        "Where audio is downloaded from: YouTube through yt-dlp, or `local`, the loopback audio stand-in used by the demo and tests. Searching always goes through YouTube Music's API (see searchBaseUrl).",
      example: '"local"',
    }),
    baseUrl: doc(z.union([z.literal(""), httpUrl]).default(""), {
      description: "Base URL audio is downloaded from when kind is `local` (ignored for youtube).",
      example: '"http://127.0.0.1:8083"',
    }),
    searchBaseUrl: doc(httpUrl.default("https://www.youtube.com"), {
      description:
        "Origin of YouTube's InnerTube API, where YouTube Music searches go (through youtubei.js). Change it only to point at a stand-in or a forwarding proxy.",
      example: '"http://127.0.0.1:8083"',
    }),
    searchLimit: doc(z.number().int().min(1).max(50).default(8), {
      description: "Candidates kept per YouTube Music search.",
      example: "8",
    }),
    searchTimeoutMs: doc(z.number().int().min(1000).max(120_000).default(15_000), {
      description: "Time one YouTube Music search request may take; a 429, 5xx or timeout is retried twice.",
      example: "20000",
    }),
  })
  .prefault({});

const matchingSchema = z
  .strictObject({
    minConfidence: doc(z.number().min(0).max(100).default(70), {
      description:
        "Below this confidence (0-100) a track is 'needs review' (not downloaded); every track keeps its top 5 candidates for 'Wrong song?'.",
      example: "75",
    }),
    maxDurationDeltaSeconds: doc(z.number().min(0).default(14), {
      description: "Candidates whose length differs from Spotify's by more than this are rejected.",
      example: "10",
    }),
  })
  .prefault({});

const downloadSchema = z
  .strictObject({
    ytDlpPath: doc(z.string().min(1).default("yt-dlp"), {
      description: "yt-dlp program.",
      example: '"/usr/local/bin/yt-dlp"',
    }),
    ffmpegPath: doc(z.string().min(1).default("ffmpeg"), {
      description: "ffmpeg program.",
      example: '"/usr/bin/ffmpeg"',
    }),
    ffprobePath: doc(z.string().min(1).default("ffprobe"), {
      description: "ffprobe program.",
      example: '"/usr/bin/ffprobe"',
    }),
    cookiesFile: doc(z.string().default(""), {
      description: "Netscape cookies file passed to yt-dlp (helps with YouTube's bot check). Empty: none.",
      example: '"/etc/cd-collector/cookies.txt"',
    }),
    ytDlpExtraArgs: doc(
      z
        .array(z.string())
        .default([])
        .superRefine((args, ctx) => {
          const problem = ytDlpExtraArgsProblem(args);
          if (problem) ctx.addIssue({ code: "custom", message: `allowed yt-dlp options only; ${problem}` });
        }),
      {
        description:
          "Extra yt-dlp arguments: only network, pacing and YouTube options (--js-runtimes, --proxy, --limit-rate, --retries, --socket-timeout, --source-address, --force-ipv4, --sleep-requests, --extractor-args youtube:..., --impersonate, --cookies-from-browser and a few more), written out in full. Anything that runs a program or names a file is refused.",
        example: '["--js-runtimes", "node"]',
      },
    ),
    format: doc(z.enum(audioFormats).default("mp3"), {
      description: "Audio format of collected tracks.",
      example: '"flac"',
    }),
    bitrateKbps: doc(z.number().int().min(32).max(512).default(192), {
      description: "Bitrate for lossy formats (ignored for flac).",
      example: "256",
    }),
    bitrateChoicesKbps: doc(z.array(z.number().int().min(32).max(512)).max(8).default([128, 192, 256, 320]), {
      description:
        "Bitrates a person may pick in /settings for lossy formats (bitrateKbps is always offered too). A file at another bitrate than bitrateKbps is made for that person and not shared through the track cache.",
      example: "[128, 320]",
    }),
    libraryDir: doc(z.string().default(""), {
      description: "Where collections are written. Empty: <dataDir>/library.",
      example: '"/srv/music"',
    }),
    pathTemplate: doc(z.string().min(1).default("{albumArtist}/{album}/{disc}{track} - {title}"), {
      description:
        "File path under the library, without extension. Fields: {albumArtist} {artist} {album} {title} {track} {disc} {year} {id}.",
      example: '"{artist} - {title}"',
    }),
    coverMaxBytes: doc(z.number().int().min(0).default(5_000_000), {
      description: "Largest cover image fetched; larger ones are skipped.",
      example: "2000000",
    }),
    maxFileMb: doc(z.number().int().min(1).default(300), {
      description:
        "Largest source download accepted from yt-dlp, in MiB: yt-dlp is stopped as soon as it has read more, also when the source announces no size. A converted file may not be larger either.",
      example: "200",
    }),
    durationToleranceSeconds: doc(z.number().min(0).default(5), {
      description: "Flag a collected file whose length differs from Spotify's by more than this.",
      example: "8",
    }),
    trackTimeoutSeconds: doc(seconds.default(900), {
      description: "Longest one track's download and transcode may take.",
      example: "600",
    }),
  })
  .prefault({});

const youtubeSchema = z
  .strictObject({
    downloadsPerHour: doc(z.number().int().min(1).max(5000).default(240), {
      description:
        "Downloads from YouTube per hour across every worker (a guest session is limited to about 300 videos an hour). Tracks over the budget wait for the next free slot.",
      example: "600",
    }),
    rateLimitPauseMinutes: doc(z.number().min(0.05).max(1440).default(60), {
      description:
        "When YouTube rate-limits the session ('This content isn't available, try again later'), every worker stops downloading for this long; tracks wait, none fails.",
      example: "90",
    }),
    botCheckPauseMinutes: doc(z.number().min(0.05).max(1440).default(30), {
      description:
        "When YouTube asks to 'confirm you're not a bot', downloads wait this long before trying again, and the admins are told how to fix it.",
      example: "60",
    }),
  })
  .prefault({});

const jobsSchema = z
  .strictObject({
    workerConcurrency: doc(z.number().int().min(1).max(64).default(2), {
      description: "Track jobs one worker process runs at once.",
      example: "4",
    }),
    maxActiveDownloads: doc(z.number().int().min(1).default(4), {
      description: "Global cap on tracks being downloaded at once across all workers.",
      example: "8",
    }),
    maxActiveJobsPerPerson: doc(z.number().int().min(1).default(2), {
      description: "Collections one person may have waiting or running at once.",
      example: "3",
    }),
    maxQueueDepth: doc(z.number().int().min(1).default(200), {
      description: "Collections waiting or running before new requests get a 'busy' answer.",
      example: "500",
    }),
    trackAttempts: doc(z.number().int().min(1).max(20).default(3), {
      description: "Tries per track for temporary failures (network, timeouts).",
      example: "5",
    }),
    backoffSeconds: doc(z.number().min(0).default(5), {
      description: "First retry delay; doubles each try, with jitter.",
      example: "10",
    }),
    dedupeSeconds: doc(z.number().int().min(0).default(3600), {
      description: "The same person, link and format within this time returns the same job.",
      example: "600",
    }),
    keepHours: doc(z.number().min(1).default(168), {
      description: "How long finished jobs are kept for /status.",
      example: "72",
    }),
    packageBudgetMB: doc(z.number().min(0).default(10240), {
      description:
        "Disk space for download packages (zips), in MB. Packages are deleted when their links expire; over this, the oldest go first even if their links are still valid. 0: no limit.",
      example: "2048",
    }),
    whoMayFix: doc(z.enum(["own", "admins", "anyone"]).default("own"), {
      description:
        'Who may replace a wrongly matched track with another YouTube video ("Wrong song?", /fix): "own" (a person their own jobs, admins every job), "admins" (admins only) or "anyone" (every allowed person, any job). The fix is shared: everyone asking for that track later gets the chosen video.',
      example: '"admins"',
    }),
    maxTracksPerCollection: doc(z.number().int().min(1).max(100_000).default(defaultMaxTracks), {
      description:
        "Most tracks taken from one link: a longer album or playlist is cut to its first tracks and the person is told. Also bounds how many pages of a list are read.",
      example: "500",
    }),
  })
  .prefault({});

const httpSchema = z
  .strictObject({
    enabled: doc(z.boolean().default(true), {
      description: "Serve /healthz, /readyz, /metrics, /files and /admin.",
      example: "false",
    }),
    host: doc(z.string().min(1).default("127.0.0.1"), {
      description: "Address the HTTP server listens on. Use 0.0.0.0 in a container.",
      example: '"0.0.0.0"',
      env: "HTTP_HOST",
    }),
    port: doc(port.default(8080), {
      description: "HTTP port (0: any free port).",
      example: "8080",
      env: "HTTP_PORT",
    }),
    publicBaseUrl: doc(z.union([z.literal(""), httpUrl]).default(""), {
      description: "Public URL of this HTTP server, used in download links. Empty: no links are sent.",
      example: '"https://music.example.org"',
      env: "PUBLIC_BASE_URL",
    }),
    peerBaseUrl: doc(z.union([z.literal(""), httpUrl]).default(""), {
      description:
        "URL at which the other roles reach this process's HTTP server to fetch the files it wrote (tracks, packages) when they run on other machines. Empty: http.publicBaseUrl, else http://<host>:<port> (this machine's name when listening on all addresses).",
      example: '"http://10.0.0.7:8080"',
      env: "PEER_BASE_URL",
    }),
    adminToken: doc(z.string().default(""), {
      description: "Bearer token for /admin routes. Environment only; empty turns the admin routes off.",
      example: "a-long-random-string",
      env: "ADMIN_TOKEN",
      secret: true,
    }),
    adminCidrs: doc(
      z
        .array(z.string().min(1))
        .default(["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]),
      {
        description: "Peer networks allowed to call /admin routes.",
        example: '["127.0.0.0/8", "192.168.1.0/24"]',
      },
    ),
    trustedProxies: doc(z.array(z.string().min(1)).default([]), {
      description:
        'Addresses or networks of your reverse proxies (the proxy must send X-Forwarded-For). Behind a proxy every request comes from the proxy\'s address, so set this or /admin cannot tell the internet from the LAN (it then refuses proxied requests) and every /files client shares one rate limit. A proxy on this host: ["127.0.0.1", "::1"]. Empty: forwarding headers are not believed.',
      example: '["127.0.0.1", "::1"]',
    }),
    linkSecret: doc(z.string().default(""), {
      description:
        "Key that signs download links. Environment only; empty: a random key is made once and kept in <dataDir>/link-secret.",
      example: "a-long-random-string",
      env: "LINK_SIGNING_SECRET",
      secret: true,
    }),
    linkTtlHours: doc(z.number().positive().default(72), {
      description: "How long a download link stays valid.",
      example: "24",
    }),
    readyMaxQueueDepth: doc(z.number().int().min(1).default(150), {
      description: "/readyz answers 503 when more collections than this are waiting.",
      example: "300",
    }),
    rateLimitPerMinute: doc(z.number().int().min(1).default(120), {
      description:
        "Requests per minute one client may make to /files and /admin (an IPv6 client counts by its /64).",
      example: "60",
    }),
    headersTimeoutSeconds: doc(seconds.default(10), {
      description: "A client must send a request's headers within this time, or the connection is closed.",
      example: "20",
    }),
    requestTimeoutSeconds: doc(seconds.default(30), {
      description:
        "A client must send a whole request (headers and body) within this time (sending a download back is not limited by it).",
      example: "60",
    }),
    idleTimeoutSeconds: doc(seconds.default(60), {
      description:
        "A connection on which nothing moves for this long is closed (a stalled download, an idle client).",
      example: "120",
    }),
    maxConnections: doc(z.number().int().min(1).default(256), {
      description: "Open connections at once; connections over it are closed at once.",
      example: "1024",
    }),
    metricsToken: doc(z.string().default(""), {
      description:
        "Bearer token a /metrics scrape must send. Environment only; empty: /metrics is open to whoever reaches the port.",
      example: "a-long-random-string",
      env: "METRICS_TOKEN",
      secret: true,
    }),
  })
  .prefault({});

const burnSchema = z
  .strictObject({
    device: doc(z.string().min(1).default("/dev/sr0"), {
      description: "CD writer device.",
      example: '"/dev/sr1"',
    }),
    driver: doc(z.string().min(1).default("generic-mmc:0x10"), {
      description: "cdrdao driver; generic-mmc:0x10 makes Debian's cdrdao write CD-TEXT.",
      example: '"generic-mmc-raw"',
    }),
    speed: doc(z.number().int().min(1).max(52).default(8), { description: "Write speed.", example: "4" }),
    cdrdaoPath: doc(z.string().min(1).default("cdrdao"), {
      description: "cdrdao program.",
      example: '"/usr/bin/cdrdao"',
    }),
    capacitySectors: doc(z.number().int().min(1000).default(359_849), {
      description:
        "Usable sectors of a blank (75 per second): 359849 for a typical 80-minute disc, 333000 for 74.",
      example: "333000",
    }),
    loudnessTarget: doc(z.number().min(-40).max(-5).default(-14), {
      description: "Integrated loudness (LUFS) tracks are normalised to.",
      example: "-16",
    }),
    truePeak: doc(z.number().min(-9).max(0).default(-1), {
      description: "True-peak ceiling (dBTP).",
      example: "-1.5",
    }),
    discGain: doc(z.enum(["album", "track"]).default("album"), {
      description:
        "`album`: one gain for the whole disc so album dynamics stay; `track`: each track on its own.",
      example: '"track"',
    }),
    eject: doc(z.boolean().default(true), { description: "Eject the disc when done.", example: "false" }),
    adminChatId: doc(z.number().int().default(0), {
      description:
        "Telegram chat that receives the progress of burns not started from a chat (POST /admin/burn); a /burn pressed in a chat is followed there. 0: none.",
      example: "123456789",
    }),
  })
  .prefault({});

const lyricsSchema = z
  .strictObject({
    enabled: doc(z.boolean().default(true), {
      description:
        "Look up each collected track's lyrics on LRCLIB: plain lyrics go into the file's tags, synced lyrics into a .lrc file beside it. A failed lookup never fails a track. false: LRCLIB is never asked.",
      example: "false",
    }),
    baseUrl: doc(httpUrl.default("https://lrclib.net"), {
      description: "LRCLIB's origin (keyless lyrics API). Change it only to point at a mirror or a stand-in.",
      example: '"http://127.0.0.1:8084"',
    }),
    timeoutMs: doc(z.number().int().min(500).max(60_000).default(10_000), {
      description:
        "Time one LRCLIB request may take; a timeout or 5xx is tried once more, then the track goes on without lyrics.",
      example: "5000",
    }),
  })
  .prefault({});

export const configSchema = z.strictObject({
  dataDir: doc(z.string().min(1).default("./data"), {
    description:
      "Where state lives: the embedded Redis, the library (unless download.libraryDir), temp files.",
    example: '"/var/lib/cd-collector"',
    env: "DATA_DIR",
  }),
  logLevel: doc(z.enum(logLevels).default("info"), {
    description: "Log level.",
    example: '"debug"',
    env: "LOG_LEVEL",
  }),
  shutdownDeadlineSeconds: doc(seconds.default(30), {
    description: "On SIGTERM, running tracks get this long to finish before they go back to the queue.",
    example: "60",
  }),
  redis: redisSchema,
  telegram: telegramSchema,
  spotify: spotifySchema,
  source: sourceSchema,
  matching: matchingSchema,
  download: downloadSchema,
  youtube: youtubeSchema,
  jobs: jobsSchema,
  http: httpSchema,
  burn: burnSchema,
  lyrics: lyricsSchema,
});

export type Config = z.infer<typeof configSchema>;
export type Role = (typeof roles)[number];
export type AudioFormat = (typeof audioFormats)[number];

/** Walk to the schema of a dotted path, unwrapping defaults and optionals. */
export function schemaAt(path: readonly (string | number)[]): z.ZodType | undefined {
  let current: z.ZodType = configSchema;
  for (const key of path) {
    current = unwrap(current);
    if (current instanceof z.ZodObject) {
      const next = (current.shape as Record<string, z.ZodType>)[String(key)];
      if (!next) return undefined;
      current = next;
    } else if (current instanceof z.ZodArray) {
      current = current.element as z.ZodType;
    } else {
      return undefined;
    }
  }
  return current;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    if (
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodOptional
    ) {
      current = (current as z.ZodDefault).unwrap() as z.ZodType;
    } else return current;
  }
}

/** Documentation of the option at `path`, looking up the nearest documented ancestor. */
export function docAt(path: readonly (string | number)[]): OptionDoc | undefined {
  for (let len = path.length; len > 0; len--) {
    const schema = schemaAt(path.slice(0, len));
    const meta = schema?.meta() as OptionDoc | undefined;
    if (meta?.description) return meta;
  }
  return undefined;
}

/** Every documented leaf option as [dotted path, doc]. */
export function listOptions(): [string, OptionDoc][] {
  const out: [string, OptionDoc][] = [];
  const walk = (schema: z.ZodType, prefix: string[]) => {
    const meta = schema.meta() as OptionDoc | undefined;
    if (meta?.description) {
      out.push([prefix.join("."), meta]);
      return;
    }
    const inner = unwrap(schema);
    if (inner instanceof z.ZodObject) {
      const shape: Record<string, z.ZodType> = inner.shape;
      for (const [key, child] of Object.entries(shape)) walk(child, [...prefix, key]);
    }
  };
  walk(configSchema, []);
  return out;
}
