/** Where burn progress is shown: the composition root wires this to the bot's API and the admin's chat. */
export interface BurnNotifier {
  /**
   * Send a new message; returns its id, or undefined when this burn is shown nowhere (tried again with
   * its next progress). `burn` says which burn, and whether this is its last text.
   */
  send(text: string, burn: BurnNote): Promise<number | undefined>;
  edit(messageId: number, text: string, burn: BurnNote): Promise<void>;
}

/** Which burn a text is about; `ended` on its final text (done or failed). */
export interface BurnNote {
  burnId: string;
  ended: boolean;
}

/**
 * Burn progress for the admin's chat: one message per burn, edited as cdrdao reports progress (at most
 * every few seconds), with the final outcome always sent. Reads the `burn` queue's events, so it works
 * whichever host runs the burner.
 */
import { QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { burnProgressSchema, type BurnProgress } from "./burn-service.js";
import { QUEUE_BURN } from "../jobs/keys.js";

export interface BurnRelay {
  close(): Promise<void>;
}

const stageLabels: Record<BurnProgress["stage"], string> = {
  queued: "waiting for the drive",
  planning: "planning the disc",
  rendering: "rendering CD audio",
  checking: "checking the TOC with cdrdao",
  writing: "writing the disc",
  done: "done",
  failed: "failed",
};

export function renderBurn(burnId: string, p: BurnProgress): string {
  const icon = p.stage === "done" ? "💿✅" : p.stage === "failed" ? "💿❌" : "💿";
  return `${icon} Burn ${burnId}: ${stageLabels[p.stage]} ${Math.round(p.percent)}%${p.message ? `\n${p.message}` : ""}`;
}

export async function startBurnRelay(options: {
  notifier: BurnNotifier;
  /** A connection that may block (QueueEvents). Closed by the caller. */
  connection: Redis;
  prefix: string;
  logger: Logger;
  minIntervalMs?: number;
}): Promise<BurnRelay> {
  const events = new QueueEvents(QUEUE_BURN, { connection: options.connection, prefix: options.prefix });
  events.on("error", () => undefined);
  const minInterval = options.minIntervalMs ?? 3000;
  const messages = new Map<
    string,
    { messageId?: number; last: number; text: string; pending?: NodeJS.Timeout }
  >();

  const show = async (burnId: string, progress: BurnProgress, final: boolean) => {
    const state = messages.get(burnId) ?? { last: 0, text: "" };
    messages.set(burnId, state);
    const text = renderBurn(burnId, progress);
    if (text === state.text) return;
    const wait = state.last + minInterval - Date.now();
    if (!final && wait > 0) {
      clearTimeout(state.pending);
      state.pending = setTimeout(() => void show(burnId, progress, true), wait);
      return;
    }
    clearTimeout(state.pending);
    state.last = Date.now();
    state.text = text;
    const note = { burnId, ended: final && (progress.stage === "done" || progress.stage === "failed") };
    try {
      if (state.messageId === undefined) {
        state.messageId = await options.notifier.send(text, note);
      } else {
        await options.notifier.edit(state.messageId, text, note);
      }
    } catch (err) {
      options.logger.warn({ err, burnId }, "could not show burn progress in the admin chat");
    }
    if (note.ended) messages.delete(burnId);
  };

  events.on("progress", ({ jobId, data }) => {
    const parsed = burnProgressSchema.safeParse(data);
    if (parsed.success) void show(jobId, parsed.data, false);
  });
  events.on("completed", ({ jobId }) => void show(jobId, { stage: "done", percent: 100 }, true));
  events.on(
    "failed",
    ({ jobId, failedReason }) =>
      void show(jobId, { stage: "failed", percent: 100, message: failedReason }, true),
  );
  await events.waitUntilReady();
  return {
    async close() {
      for (const state of messages.values()) clearTimeout(state.pending);
      await events.close();
    },
  };
}
