/**
 * A deadline for each attempt of a Bot API call. grammY waits 500 s for an answer by default, so one
 * call Telegram never answers would hold a job's summary (and everything queued behind it in that chat)
 * for minutes. Installed innermost, so auto-retry (outside) tries a timed-out call again; getUpdates keeps
 * grammY's own timeout because long polling holds it open on purpose.
 */
import type { Transformer } from "grammy";

export interface ApiTimeoutOptions {
  /** Deadline of one attempt of an ordinary call (ms). @defaultValue 30000 */
  callTimeoutMs?: number;
  /** Deadline of one attempt of a call that may upload a file (ms). @defaultValue 300000 */
  uploadTimeoutMs?: number;
}

const uploadMethods = new Set([
  "sendAudio",
  "sendDocument",
  "sendPhoto",
  "sendVideo",
  "sendVoice",
  "sendAnimation",
  "sendMediaGroup",
  "editMessageMedia",
  "setWebhook",
]);

type CallSignal = Parameters<Transformer>[3];

export function apiTimeout(options: ApiTimeoutOptions = {}): Transformer {
  return async (prev, method, payload, signal) => {
    if (method === "getUpdates") return prev(method, payload, signal);
    const ms = uploadMethods.has(method)
      ? (options.uploadTimeoutMs ?? 300_000)
      : (options.callTimeoutMs ?? 30_000);
    // A plain timer, not AbortSignal.timeout() + AbortSignal.any(): Node 20 may garbage-collect a timeout
    // signal that only AbortSignal.any() refers to, and then the deadline never comes.
    const outer = signal as AbortSignal | undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`${method}: no answer within ${ms} ms`)), ms);
    const forward = () => controller.abort(outer?.reason);
    if (outer?.aborted === true) forward();
    outer?.addEventListener("abort", forward, { once: true });
    try {
      return await prev(method, payload, controller.signal as CallSignal);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener("abort", forward);
    }
  };
}
