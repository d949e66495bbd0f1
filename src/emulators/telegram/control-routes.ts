/**
 * The control side over HTTP, for a demo or a benchmark that drives the emulator from another process.
 * Mirrors the TypeScript control API; every body is checked with zod. Answers `{ok:true,result}` or
 * `{ok:false,error}` with status 400/404.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { sendJson } from "./http-answers.js";
import type { TelegramEmulator } from "./telegram-emulator.js";

const person = z.object({
  id: z.number().int().positive(),
  firstName: z.string().min(1),
  lastName: z.string().optional(),
  username: z.string().optional(),
  languageCode: z.string().optional(),
});

const sendText = z.object({ from: person, text: z.string().min(1), chatId: z.number().int().optional() });
const pressButton = z.object({
  from: person,
  chatId: z.number().int().optional(),
  messageId: z.number().int().positive(),
  text: z.string().optional(),
  data: z.string().optional(),
});
const group = z.object({
  id: z.number().int().negative(),
  title: z.string().optional(),
  type: z.enum(["group", "supergroup"]).optional(),
});
const fault = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("fail"),
    count: z.number().int().positive().optional(),
    status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).optional(),
    method: z.string().optional(),
    afterEffect: z.boolean().optional(),
    html: z.boolean().optional(),
  }),
  z.object({
    kind: z.literal("slow"),
    delayMs: z.number().int().nonnegative(),
    method: z.string().optional(),
    count: z.number().int().positive().optional(),
  }),
  z.object({
    kind: z.literal("hang"),
    method: z.string().optional(),
    count: z.number().int().positive().optional(),
  }),
  z.object({
    kind: z.literal("storm429"),
    durationMs: z.number().int().positive(),
    retryAfterSeconds: z.number().int().positive().optional(),
  }),
  z.object({
    kind: z.literal("floodWait"),
    seconds: z.number().int().positive(),
    method: z.string().optional(),
    chatId: z.number().int().optional(),
    afterCalls: z.number().int().nonnegative().optional(),
  }),
]);
const waitForMessage = z.object({
  chatId: z.number().int(),
  textPattern: z.string().optional(),
  timeoutMs: z.number().int().positive().max(120_000).optional(),
});

/** Serves one `/control/...` request. */
export async function handleControlRequest(
  emulator: TelegramEmulator,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const body = await readJson(req);
  const route = `${req.method ?? "GET"} ${url.pathname.replace(/\/+$/, "")}`;
  const chatRoute = /^GET \/control\/chats\/(-?\d+)\/(transcript|send-timestamps)$/.exec(route);
  try {
    let result: unknown;
    if (chatRoute !== null) {
      const chatId = Number(chatRoute[1]);
      result = chatRoute[2] === "transcript" ? emulator.transcript(chatId) : emulator.sendTimestamps(chatId);
    } else {
      switch (route) {
        case "POST /control/send-text": {
          const b = sendText.parse(body);
          result = emulator.sendText(
            b.from,
            b.text,
            b.chatId !== undefined ? { chatId: b.chatId } : undefined,
          );
          break;
        }
        case "POST /control/press-button": {
          const { from, ...target } = pressButton.parse(body);
          result = { callbackQueryId: emulator.pressButton(from, target) };
          break;
        }
        case "POST /control/private-chats":
          result = emulator.openPrivateChat(person.parse(body));
          break;
        case "POST /control/groups":
          result = emulator.createGroup(group.parse(body));
          break;
        case "GET /control/chats":
          result = emulator.chatIds();
          break;
        case "GET /control/transcript":
          // ?chatId=N: the chat as it stands (every message with its latest edit), oldest first.
          result = emulator.transcript(z.coerce.number().int().parse(url.searchParams.get("chatId")));
          break;
        case "GET /control/webhook":
          result = emulator.webhook() ?? null;
          break;
        case "GET /control/stats":
          result = emulator.stats();
          break;
        case "POST /control/stats/reset":
          emulator.resetStats();
          result = true;
          break;
        case "POST /control/faults": {
          const f = fault.parse(body);
          if (f.kind === "fail") emulator.failNext(f);
          else if (f.kind === "slow") emulator.slowDown(f);
          else if (f.kind === "hang") emulator.hang(f);
          else if (f.kind === "floodWait") emulator.floodWait(f);
          else emulator.storm429(f);
          result = true;
          break;
        }
        case "DELETE /control/faults":
          emulator.clearFaults();
          result = true;
          break;
        case "POST /control/wait-for-message": {
          const w = waitForMessage.parse(body);
          result = await emulator.waitForMessage(
            w.chatId,
            w.textPattern !== undefined ? new RegExp(w.textPattern) : undefined,
            w.timeoutMs,
          );
          break;
        }
        default:
          return sendJson(res, 404, { ok: false, error: "no such control route" });
      }
    }
    sendJson(res, 200, { ok: true, result });
  } catch (error) {
    const message =
      error instanceof z.ZodError
        ? z.prettifyError(error)
        : error instanceof Error
          ? error.message
          : String(error);
    sendJson(res, 400, { ok: false, error: message });
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  if (chunks.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}
