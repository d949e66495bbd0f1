/**
 * Reading the parameters of one Bot API request from its query string and body (JSON, url-encoded form
 * or multipart with uploads), with the upload size limit and Telegram's 413 answer.
 */
import type { IncomingMessage } from "node:http";
import { BotApiError, badRequest } from "./bot-api-error.js";
import { drain } from "./http-answers.js";
import {
  boundaryOf,
  MultipartSyntaxError,
  parseMultipart,
  type MultipartFilePart,
} from "./multipart-parser.js";

/** The parameters of one Bot API call, whatever encoding it came in. */
export interface RequestParams {
  /** Field values: JSON bodies keep their types, form bodies give strings. */
  readonly values: Record<string, unknown>;
  /** Uploaded files by part name (referenced as `attach://<name>` or sent under the field's own name). */
  readonly files: Map<string, MultipartFilePart>;
}

/** Limits for {@link readRequestParams}. */
export interface BodyLimits {
  readonly uploadLimitBytes: number;
  readonly keepFileBytes: boolean;
}

/** JSON and url-encoded bodies above this are refused (Telegram's own limit for them is far lower). */
const MAX_PLAIN_BODY_BYTES = 10 * 1024 * 1024;

/** 413 exactly as Telegram words it. */
export function requestEntityTooLarge(): BotApiError {
  return new BotApiError(413, "Request Entity Too Large");
}

/**
 * Reads a Bot API request body: query string, application/json, application/x-www-form-urlencoded or
 * multipart/form-data. Always consumes the whole body, so a 413 reaches a client that is still
 * streaming its upload instead of a reset connection.
 */
export async function readRequestParams(
  req: IncomingMessage,
  query: URLSearchParams,
  limits: BodyLimits,
): Promise<RequestParams> {
  const values: Record<string, unknown> = {};
  for (const [k, v] of query) values[k] = v;
  const contentType = (req.headers["content-type"] ?? "").toLowerCase();

  if (contentType.startsWith("multipart/form-data")) {
    const boundary = boundaryOf(req.headers["content-type"] ?? "");
    if (boundary === undefined) {
      await drain(req);
      throw badRequest("multipart boundary is missing");
    }
    let parsed;
    // The upload limit is for the whole request (file, thumbnail, fields and framing), not one part.
    let total = 0;
    const counted = (async function* () {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        total += chunk.length;
        yield chunk;
      }
    })();
    try {
      parsed = await parseMultipart(counted, boundary, {
        maxFileBytes: limits.uploadLimitBytes,
        keepFileBytes: limits.keepFileBytes,
      });
    } catch (error) {
      if (error instanceof MultipartSyntaxError) {
        throw badRequest(`can't parse multipart body: ${error.message}`);
      }
      throw error;
    }
    if (parsed.tooLarge || total > limits.uploadLimitBytes) throw requestEntityTooLarge();
    for (const [k, v] of parsed.fields) values[k] = v;
    return { values, files: parsed.files };
  }

  const chunks: Buffer[] = [];
  let total = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_PLAIN_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk);
  }
  if (tooLarge) throw requestEntityTooLarge();
  if (total === 0) return { values, files: new Map() };
  const text = Buffer.concat(chunks).toString("utf8");

  if (contentType.startsWith("application/json")) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw badRequest("can't parse JSON object");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw badRequest("can't parse JSON object");
    }
    Object.assign(values, body);
  } else {
    // Telegram treats anything else as url-encoded form data.
    for (const [k, v] of new URLSearchParams(text)) values[k] = v;
  }
  return { values, files: new Map() };
}
