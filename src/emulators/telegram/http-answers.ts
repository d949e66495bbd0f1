/**
 * Writing HTTP answers and reading away request bodies, shared by the Bot API route (bot-api-http.ts),
 * the control routes, the request-body reader and the server in telegram-emulator.ts: a JSON answer,
 * a 5xx fault as Telegram's JSON or as an nginx-style HTML page, and draining a body nobody reads.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Answers `body` as JSON with `status`; does nothing once the answer was sent or the socket is gone. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

const STATUS_TEXT: Record<number, string> = {
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** Answers an injected 5xx: Telegram's JSON error, or the HTML page a failing proxy sends. */
export function sendFault(res: ServerResponse, status: number, html: boolean): void {
  const text = STATUS_TEXT[status] ?? "Internal Server Error";
  if (!html) return sendJson(res, status, { ok: false, error_code: status, description: text });
  if (res.writableEnded || res.destroyed) return;
  const body = `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n`;
  res.writeHead(status, { "content-type": "text/html", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Reads a request body to its end and throws it away. */
export async function drain(req: IncomingMessage): Promise<void> {
  for await (const _chunk of req as AsyncIterable<Buffer>) {
    // discard
  }
}
