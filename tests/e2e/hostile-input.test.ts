/**
 * Issue 8: the hostile-input suite. Every text of the corpus goes through the link parser, and through the
 * real bot over HTTP (as /download, as a bare message, as /status and /cancel), tampered callback data is
 * pressed on real status messages, and malformed or forged requests hit the admin API. Each input must
 * get a clear answer, create no job and crash nothing; the counts are printed at the end.
 */
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isUserFacing } from "../../src/core/errors.js";
import { parseSpotifyLink, isShortLink } from "../../src/core/spotify/link-parser.js";
import { cyrillicAlbum, demoAlbum, japaneseAlbum } from "../../src/emulators/spotify/index.js";
import type { TranscriptEntry } from "../../src/emulators/telegram/index.js";
import {
  bob,
  counterValue,
  createBotHarness,
  stranger,
  type BotHarness,
} from "../bots/telegram/bot-harness.js";
import { ADMIN_TOKEN, createHttpFixture, type HttpFixture } from "../core/http/http-fixture.js";
import {
  OTHER_JOB,
  hostileCallbackData,
  hostileHttpRequests,
  hostileTexts,
  type HostileHttpRequest,
} from "./hostile-corpus.js";

interface SurfaceCount {
  surface: string;
  inputs: number;
  answered: number;
  jobsCreated: number;
  crashes: number;
}
const counts: SurfaceCount[] = [];
/** HTTP status codes the admin/files API answered, to see which guard refused what. */
const httpStatuses: Record<number, number> = {};

afterAll(() => {
  if (counts.length === 0) return;
  const distinct = hostileTexts.length + hostileCallbackData.length + hostileHttpRequests.length;
  console.log(`hostile corpus: ${distinct} distinct inputs (${hostileTexts.length} texts)`);
  console.table(counts);
  console.log(`admin/files API answers by status: ${JSON.stringify(httpStatuses)}`);
});

/** Words a crash or a programming slip leaves in a reply. */
const leakPatterns: readonly RegExp[] = [
  /\n\s+at\s/,
  /\b(?:TypeError|ReferenceError|RangeError|SyntaxError|ZodError|Error):/,
  /node_modules|\.ts:\d+|\.js:\d+/,
  /\[object Object\]/,
];

/** Problems with a reply to `input`; empty when the reply is a clear sentence. */
function replyProblems(reply: string, input: string): string[] {
  const problems: string[] = [];
  if (reply.trim().length < 12 || !/[a-z]{2,}\s+[a-z]{2,}/i.test(reply)) problems.push("not a sentence");
  for (const p of leakPatterns) if (p.test(reply) && !p.test(input)) problems.push(`leaks ${String(p)}`);
  for (const word of ["undefined", "NaN", "null"]) {
    if (new RegExp(`\\b${word}\\b`).test(reply) && !input.includes(word)) problems.push(`says ${word}`);
  }
  return problems;
}

const fill = (text: string, otherJob: string): string => text.replaceAll(OTHER_JOB, otherJob);
const show = (text: string): string => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);

describe("link parser", () => {
  it("refuses every hostile text with a sentence for the person, and accepts nothing over 2 kB", () => {
    const failures: string[] = [];
    let answered = 0;
    for (const { text: raw, shortLink } of hostileTexts) {
      const text = fill(raw, "ab3def7");
      let outcome: unknown;
      try {
        outcome = parseSpotifyLink(text);
      } catch (err) {
        if (!isUserFacing(err)) {
          failures.push(`${show(text)} threw a non-user error: ${String(err)}`);
          continue;
        }
        const problems = replyProblems(err.userMessage, text);
        if (problems.length > 0) failures.push(`${show(text)}: ${problems.join(", ")}: ${err.userMessage}`);
        else answered++;
        continue;
      }
      // Only a bare spotify.link code may come out, with the rest of the input dropped.
      const parsed = outcome as ReturnType<typeof parseSpotifyLink>;
      if (
        shortLink === true &&
        isShortLink(parsed) &&
        /^https:\/\/spotify\.link\/\w+$/.test(parsed.shortLink.href)
      ) {
        answered++;
        continue;
      }
      failures.push(`${show(text)} was accepted as ${JSON.stringify(parsed)}`);
    }
    const big = hostileTexts.filter((h) => Buffer.byteLength(h.text) > 2048);
    expect(big.length).toBeGreaterThanOrEqual(8);
    for (const h of big) expect(() => parseSpotifyLink(h.text)).toThrow(/too long/);

    counts.push({
      surface: "link parser",
      inputs: hostileTexts.length,
      answered,
      jobsCreated: 0,
      crashes: failures.filter((f) => f.includes("non-user")).length,
    });
    expect(failures).toEqual([]);
    expect(hostileTexts.length).toBeGreaterThanOrEqual(200);
  });
});

describe("telegram bot", () => {
  /** People on the allowlist who send the corpus; each private chat has its own send pace. */
  const senders = Array.from({ length: 60 }, (_, i) => ({ id: 2000 + i, firstName: `Tester${i}` }));
  const victim = { id: 3001, firstName: "Victor" };
  const groupId = -1_000_777;
  let h: BotHarness;
  const errorLogs: string[] = [];
  let victimJob = "";
  let victimStatus: TranscriptEntry;
  let bobJob = "";
  let bobStatus: TranscriptEntry;

  beforeAll(async () => {
    h = await createBotHarness({
      telegram: {
        allowedUserIds: [victim.id, bob.id, ...senders.map((s) => s.id)],
        adminUserIds: [],
        floodMessages: 10_000,
        downloadsCapacity: 10_000,
      },
    });
    // Errors the bot logs (handler failures, unhandled errors) are crashes for this suite.
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        errorLogs.push(chunk.toString());
        done();
      },
    });
    h.deps.logger = pino({ level: "error" }, sink);
    await h.restart();

    h.tg.createGroup({ id: groupId, title: "Shared" });
    victimStatus = await h.ask(
      victim,
      `/download https://open.spotify.com/album/${demoAlbum.id}`,
      /./,
      groupId,
    );
    bobStatus = await h.ask(bob, `/download https://open.spotify.com/album/${cyrillicAlbum.id}`, /./);
    const jobOf = (m: TranscriptEntry) =>
      /^c:(\w+)$/.exec(m.replyMarkup?.inline_keyboard[0]?.[0]?.callback_data ?? "")?.[1] ?? "";
    victimJob = jobOf(victimStatus);
    bobJob = jobOf(bobStatus);
    expect(victimJob).toMatch(/^[a-z2-9]{7}$/);
    expect(bobJob).toMatch(/^[a-z2-9]{7}$/);
  });
  afterAll(async () => h?.close());

  async function allJobs(): Promise<number> {
    const c = await h.p.jobs.queue.getJobCounts();
    return Object.values(c).reduce((a, b) => a + b, 0);
  }

  it("answers every hostile text in every form with a sentence, and creates no job", async () => {
    const before = await allJobs();
    const forms = (x: string) => [`/download ${x}`, x, `/status ${x}`, `/cancel ${x}`];
    const failures: string[] = [];
    let sent = 0;
    let answered = 0;
    let crashes = 0;

    await Promise.all(
      senders.map(async (person, p) => {
        const mine = hostileTexts.filter((_, i) => i % senders.length === p);
        for (const { text: raw } of mine) {
          for (const text of forms(fill(raw, victimJob))) {
            const reply = h.nextMessage(person.id, /[\s\S]*/, 30_000);
            h.tg.sendText(person, text);
            sent++;
            let entry: TranscriptEntry;
            try {
              entry = await reply;
            } catch {
              failures.push(`no answer to ${show(text)}`);
              continue;
            }
            answered++;
            if (/went wrong on my side/.test(entry.text)) crashes++;
            const problems = replyProblems(entry.text, text);
            if (entry.replyMarkup !== undefined) problems.push("answered with buttons (a status message?)");
            if (problems.length > 0) failures.push(`${show(text)}: ${problems.join(", ")}: ${entry.text}`);
          }
        }
      }),
    );

    // Exactly one answer per message: nothing extra arrived in any chat.
    const replies = senders.reduce((n, s) => n + h.tg.transcript(s.id).length, 0);
    expect(replies).toBe(sent);
    const made = (await h.p.jobs.queue.getJobs()).filter((j) => j.id !== victimJob && j.id !== bobJob);
    expect(made.map((j) => JSON.stringify(j.data))).toEqual([]);
    expect(await allJobs()).toBe(before);
    counts.push({
      surface: "telegram messages",
      inputs: sent,
      answered,
      jobsCreated: (await allJobs()) - before,
      crashes: crashes + errorLogs.length,
    });
    expect(failures).toEqual([]);
    expect(crashes).toBe(0);
    expect(errorLogs).toEqual([]);
    expect(sent).toBe(hostileTexts.length * 4);
  }, 120_000);

  it("answers every tampered button press and cancels nothing", async () => {
    const before = await allJobs();
    const presses: { data: string; id: string }[] = [];
    for (const raw of hostileCallbackData) {
      const data = fill(raw, victimJob);
      presses.push({ data, id: h.tg.pressButton(bob, { messageId: bobStatus.messageId, forgedData: data }) });
    }
    // Someone else's real Cancel button, in the group where it was posted.
    presses.push({
      data: `c:${victimJob} (the real button)`,
      id: h.tg.pressButton(bob, {
        chatId: groupId,
        messageId: victimStatus.messageId,
        data: `c:${victimJob}`,
      }),
    });
    const failures: string[] = [];
    let answered = 0;
    for (const press of presses) {
      try {
        const record = await h.tg.waitForCallbackAnswer(press.id, 15_000);
        const text = record.answer?.text ?? "";
        const problems = replyProblems(text, press.data);
        if (problems.length > 0) failures.push(`${show(press.data)}: ${problems.join(", ")}: ${text}`);
        else answered++;
      } catch {
        failures.push(`button ${show(press.data)} was never answered`);
      }
    }
    const otherPress = h.tg.callbackQuery(presses.at(-1)!.id);
    expect(otherPress?.answer?.text).toMatch(/can't find a job/);

    for (const job of [victimJob, bobJob]) {
      expect((await h.p.jobs.status(job, { userId: 0, isAdmin: true })).stage).toBe("queued");
    }
    counts.push({
      surface: "telegram buttons",
      inputs: presses.length,
      answered,
      jobsCreated: (await allJobs()) - before,
      crashes: errorLogs.length,
    });
    expect(failures).toEqual([]);
    expect(await allJobs()).toBe(before);
    expect(errorLogs).toEqual([]);
  });

  it("gives a stranger the refusal and nothing else", async () => {
    const before = await allJobs();
    const refusedBefore = await counterValue(h.metrics, "cdc_unauthorized_total");
    const texts = [
      `/download https://open.spotify.com/album/${japaneseAlbum.id}`,
      `https://open.spotify.com/album/${japaneseAlbum.id}`,
      ...hostileTexts.filter((_, i) => i % 20 === 0).map((t) => fill(t.text, victimJob)),
      `/status ${victimJob}`,
      `/cancel ${victimJob}`,
    ];
    for (const text of texts) h.tg.sendText(stranger, text);
    const refusal = await h.tg.waitForMessage(
      stranger.id,
      /only works for people its admin has let in/,
      20_000,
    );
    const press = h.tg.pressButton(stranger, { messageId: refusal.messageId, forgedData: `c:${victimJob}` });
    const answer = await h.tg.waitForCallbackAnswer(press, 15_000);
    expect(answer.answer?.text).toMatch(/only works for people its admin has let in/);
    // Every update was refused (counted); only the first got a reply, the cooldown kept the rest quiet.
    await expect
      .poll(() => counterValue(h.metrics, "cdc_unauthorized_total"), { timeout: 15_000 })
      .toBe(refusedBefore + texts.length + 1);
    const whoami = await h.ask(stranger, "/whoami", /Your Telegram id is 6660001/);
    expect(h.tg.transcript(stranger.id).map((m) => m.messageId)).toEqual([
      refusal.messageId,
      whoami.messageId,
    ]);
    expect(await allJobs()).toBe(before);
    expect((await h.p.jobs.status(victimJob, { userId: 0, isAdmin: true })).stage).toBe("queued");
    counts.push({
      surface: "telegram stranger",
      inputs: texts.length + 1,
      answered: 2,
      jobsCreated: (await allJobs()) - before,
      crashes: errorLogs.length,
    });
  });

  it("is still alive at the end: /whoami and the owner's /status answer, the owner's job is untouched", async () => {
    const me = await h.ask(senders[0]!, "/whoami", /Your Telegram id is 2000\b/);
    expect(me.text).toContain("Tester0");
    const list = await h.ask(victim, "/status", /Running:/);
    expect(list.text).toContain(victimJob);
    expect(await h.p.jobs.list({ userId: victim.id, isAdmin: false })).toHaveLength(1);
    expect(await counterValue(h.metrics, "cdc_commands_total", { outcome: "error" })).toBe(0);
    expect(errorLogs).toEqual([]);
  });
});

describe("admin and files API", () => {
  const fixtures: HttpFixture[] = [];
  afterAll(async () => {
    for (const f of fixtures.splice(0)) await f.close();
  });

  async function fixture(http: Record<string, unknown>): Promise<HttpFixture> {
    const f = await createHttpFixture({ http: { rateLimitPerMinute: 100_000, ...http } });
    fixtures.push(f);
    return f;
  }

  async function jobAndBurnCount(f: HttpFixture): Promise<number> {
    const sum = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    return sum(await f.jobs.queue.getJobCounts()) + sum(await f.burn.queue.getJobCounts());
  }

  async function send(f: HttpFixture, req: HostileHttpRequest, otherJob: string) {
    const headers: Record<string, string> = { ...req.headers };
    if (req.noAuth !== true) headers.authorization ??= `Bearer ${ADMIN_TOKEN}`;
    return f.app.inject({
      method: req.method,
      url: fill(req.url, otherJob),
      headers,
      ...(req.body !== undefined ? { payload: req.body } : {}),
      remoteAddress: req.remoteAddress ?? "127.0.0.1",
    });
  }

  it("refuses every malformed, oversized or forged request with a 4xx JSON error and queues nothing", async () => {
    const plain = await fixture({});
    // Behind a trusted proxy, X-Forwarded-For is believed only from that proxy.
    const proxied = await fixture({ trustedProxies: ["10.9.9.9"] });
    const extra: HostileHttpRequest[] = [
      {
        name: "forged X-Forwarded-For past the proxy",
        method: "POST",
        url: "/admin/burn",
        headers: { "content-type": "application/json", "x-forwarded-for": "127.0.0.1" },
        body: JSON.stringify({ jobId: "ab3def7" }),
        remoteAddress: "203.0.113.50",
      },
      {
        name: "proxy forwarding an outside client",
        method: "POST",
        url: "/admin/burn",
        headers: { "content-type": "application/json", "x-forwarded-for": "127.0.0.1, 203.0.113.51" },
        body: JSON.stringify({ jobId: "ab3def7" }),
        remoteAddress: "10.9.9.9",
      },
    ];
    const failures: string[] = [];
    let inputs = 0;
    let answered = 0;
    let crashes = 0;
    let created = 0;
    for (const [f, requests] of [
      [plain, hostileHttpRequests],
      [proxied, [...hostileHttpRequests.filter((r) => /forged|peer/i.test(r.name)), ...extra]],
    ] as const) {
      const owned = await f.jobs.submit({
        owner: { userId: 4242, chatId: 4242 },
        ref: { kind: "album", id: demoAlbum.id, uri: `spotify:album:${demoAlbum.id}` },
      });
      const before = await jobAndBurnCount(f);
      for (const req of requests) {
        inputs++;
        const res = await send(f, req, owned.job.id);
        let body: { error?: unknown } | undefined;
        try {
          body = res.json<{ error?: unknown }>();
        } catch {
          body = undefined;
        }
        httpStatuses[res.statusCode] = (httpStatuses[res.statusCode] ?? 0) + 1;
        if (res.statusCode >= 500) crashes++;
        const ok =
          res.statusCode >= 400 &&
          res.statusCode < 500 &&
          /application\/json/.test(String(res.headers["content-type"])) &&
          typeof body?.error === "string" &&
          body.error.length > 0 &&
          !leakPatterns.some((p) => p.test(res.body));
        if (ok) answered++;
        else failures.push(`${req.name}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      }
      // A well-signed link to someone else's job, with its signature tampered.
      const token = f.signer.sign(owned.job.id);
      const tampered = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
      inputs++;
      const res = await f.app.inject({ url: `/files/${tampered}`, remoteAddress: "127.0.0.1" });
      if (res.statusCode === 403 && typeof res.json<{ error?: unknown }>().error === "string") answered++;
      else failures.push(`tampered signature: ${res.statusCode} ${res.body.slice(0, 200)}`);
      created += (await jobAndBurnCount(f)) - before;
    }
    counts.push({ surface: "admin/files API", inputs, answered, jobsCreated: created, crashes });
    expect(failures).toEqual([]);
    expect(crashes).toBe(0);
    expect(created).toBe(0);
  });
});
