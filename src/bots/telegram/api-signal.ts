/**
 * grammY types its AbortSignal parameter with the `abort-controller` polyfill; Node's own AbortSignal is
 * what it really receives and uses. This one cast keeps that mismatch in one place.
 */
import type { Api } from "grammy";

export type ApiSignal = Parameters<Api["sendMessage"]>[3];

export function apiSignal(signal: AbortSignal | undefined): ApiSignal {
  return signal as ApiSignal;
}
