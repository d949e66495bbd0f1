/**
 * What a person gets when a job ends: the summary (with the download link when there is one), then
 * each ready track as an audio message (documents for flac/opus). A track this bot sent before goes
 * out by its cached file_id, so a repeat costs no upload; new uploads record their file_id.
 *
 * Everything a delivery sends goes through the chat's outbox (delivery-outbox.ts, which says why it is
 * our own list in Redis): the summary and tracks are queued, then sent in order. When Telegram makes a
 * send wait longer than auto-retry will (a flood wait over `maxDelaySeconds`, or 5xx answers after its
 * attempts), the send is not dropped: the chat's next send is re-scheduled for when Telegram allows it,
 * the person is told once per job which tracks are still coming and roughly when, the delivery returns
 * (nothing blocks meanwhile), and a timer (or the next bot, after a restart) carries on in order.
 *
 * Uploads keep under Telegram's limit for the whole request (upload-budget.ts): a track whose file would
 * not fit with its thumbnail is not uploaded; the summary lists it (and the download link has it).
 *
 * One concern (over 400 lines): sending a finished job into its chat; the outbox, the wording of the
 * "still coming" notice and the upload budget live in their own modules.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { GrammyError, HttpError, InputFile, type Api } from "grammy";
import type { Message } from "grammy/types";
import type { JobView } from "../../core/jobs/job-service.js";
import type { TrackResult } from "../../core/jobs/schemas.js";
import type { Logger } from "../../core/log.js";
import { localOnlyFiles, type PeerFiles } from "../../core/media/peer-files.js";
import type { TrackCache } from "../../core/media/track-cache.js";
import type { Metrics } from "../../core/metrics.js";
import { apiSignal } from "./api-signal.js";
import { refusedAsTooBigText, stillComingText, type WaitCause } from "./delivery-notice.js";
import type { OutboxItem, OutboxStore, OutboxTrack } from "./delivery-outbox.js";
import { displayTitle, renderSummary } from "./render.js";
import { makeThumbnail } from "./thumbnail.js";
import { uploadBudget } from "./upload-budget.js";

export interface DeliveryOptions {
  api: Api;
  trackCache: Pick<TrackCache, "get" | "setTelegramFileId">;
  linkFor(jobId: string): string | undefined;
  metrics: Pick<Metrics, "cacheHits" | "telegramErrors">;
  libraryDir: string;
  /**
   * Track files the workers hold (peer-files.ts): a file not on this machine is fetched from its holder.
   * @defaultValue only this machine's library
   */
  files?: Pick<PeerFiles, "ensureLocal">;
  ffmpegPath: string;
  tmpDir: string;
  botKey: string;
  uploadLimitMb: number;
  sendAudio: boolean;
  /** Where queued sends wait (Redis in the service, so they outlive a restart). */
  outbox: OutboxStore;
  /** For sends that run on their own (after a wait, after a restart). */
  logger: Logger;
  /** Aborted when the bot gives up waiting at stop(): a send under way is abandoned and stays queued. */
  signal: AbortSignal;
  /** Registers background work so stop() can wait for it. */
  track<T>(work: Promise<T>): Promise<T>;
  /** First pause after Telegram kept answering 5xx; doubles per failure, up to 10 minutes. @defaultValue 30000 */
  serverErrorDelayMs?: number;
  /** How long one bot instance holds a chat's outbox without renewing it (ms). @defaultValue 30000 */
  claimTtlMs?: number;
}

export type Deliver = (view: JobView, chatId: number, log: Logger, signal?: AbortSignal) => Promise<void>;

export interface Delivery {
  /**
   * Queues a finished job's summary and tracks for a chat and sends them; resolves once all went out,
   * or once Telegram made the rest wait (they are then sent later). A job already queued for the chat
   * (a resumed relay after a crash) is not queued again: its delivery just carries on.
   */
  deliver: Deliver;
  /** Picks up the chats with queued sends (after a restart); returns how many. */
  resume(): Promise<number>;
  /** No new sends start; timers are dropped (what is queued stays queued). Idempotent. */
  stop(): void;
}

/** Extra time on top of Telegram's `retry_after`, which is rounded to whole seconds. */
const retryAfterSlackMs = 250;
const maxServerErrorDelayMs = 10 * 60_000;

interface Wait {
  /** As Telegram asked (flood) or our own back-off (server errors). */
  ms: number;
  cause: WaitCause;
}

/** A track file that is gone from the library: it can never be sent. */
class MissingFileError extends Error {
  constructor(file: string) {
    super(`track file is missing: ${file}`);
    this.name = "MissingFileError";
  }
}

export function createDelivery(options: DeliveryOptions): Delivery {
  const { api, outbox, signal } = options;
  const files = options.files ?? localOnlyFiles(options.libraryDir);
  // The whole-request budget, derived once from the configured limit.
  const budget = uploadBudget(options.uploadLimitMb);
  const claimTtlMs = options.claimTtlMs ?? 30_000;
  const owner = randomUUID();
  const timers = new Map<number, NodeJS.Timeout>();
  const chains = new Map<number, Promise<void>>();
  const serverFailures = new Map<number, number>();
  let stopped = false;

  /** Runs one more pass over a chat's outbox after the passes already started for it. */
  function drain(chatId: number): Promise<void> {
    const previous = chains.get(chatId) ?? Promise.resolve();
    const next = previous.then(() =>
      pass(chatId).catch((err: unknown) => {
        if (!signal.aborted) options.logger.warn({ err, chatId }, "delivery: sending queued messages failed");
        // A Redis hiccup: try again a little later rather than leave the chat waiting for a restart.
        schedule(chatId, Date.now() + 5_000);
      }),
    );
    chains.set(chatId, next);
    void next.then(() => {
      if (chains.get(chatId) === next) chains.delete(chatId);
    });
    return next;
  }

  function schedule(chatId: number, at: number): void {
    if (stopped) return;
    const existing = timers.get(chatId);
    if (existing !== undefined) clearTimeout(existing);
    const timer = setTimeout(
      () => {
        timers.delete(chatId);
        void options.track(drain(chatId));
      },
      Math.max(0, at - Date.now()),
    );
    timer.unref();
    timers.set(chatId, timer);
  }

  async function pass(chatId: number): Promise<void> {
    if (stopped || signal.aborted) return;
    const due = await outbox.dueAt(chatId);
    if (due === undefined) return;
    if (due > Date.now()) {
      schedule(chatId, due);
      return;
    }
    if (!(await outbox.claim(chatId, owner, claimTtlMs))) {
      // Another bot instance is sending into this chat; look again once its claim would have lapsed.
      schedule(chatId, Date.now() + claimTtlMs);
      return;
    }
    const log = options.logger.child({ chatId });
    const renew = setInterval(() => {
      outbox.claim(chatId, owner, claimTtlMs).catch(() => undefined);
    }, claimTtlMs / 3);
    renew.unref();
    const thumbs = thumbnails(log);
    try {
      for (;;) {
        if (stopped || signal.aborted) return;
        const item = await outbox.head(chatId);
        if (item === undefined) {
          serverFailures.delete(chatId);
          return;
        }
        try {
          await send(item, chatId, thumbs.get, log);
        } catch (err) {
          // Stopping: the item stays queued for the next start.
          if (signal.aborted) return;
          const wait = waitOf(err, chatId);
          if (wait !== undefined) {
            await postpone(chatId, item, wait, err, log);
            return;
          }
          if (isChatGone(err)) {
            log.info({ err }, "delivery: the chat cannot be reached; dropping what was queued for it");
            await outbox.clear(chatId);
            return;
          }
          // This one can never be sent (a file Telegram refuses, a file that is gone): skip it.
          log.warn({ err, jobId: item.jobId }, "could not send a track");
          await outbox.done(chatId, item);
          if (item.kind === "track" && err instanceof GrammyError && err.error_code === 413) {
            await notify(
              chatId,
              refusedAsTooBigText(item.track.index + 1, item.track.title, item.hasLink),
              log,
            );
          }
          continue;
        }
        serverFailures.delete(chatId);
        await outbox.done(chatId, item);
      }
    } finally {
      clearInterval(renew);
      await thumbs.cleanup();
      await outbox.release(chatId, owner).catch(() => undefined);
    }
  }

  /** How long Telegram wants the chat's sends to wait, or undefined when the error is not about waiting. */
  function waitOf(err: unknown, chatId: number): Wait | undefined {
    if (err instanceof GrammyError) {
      const retryAfter = err.parameters.retry_after;
      if (typeof retryAfter === "number") return { ms: retryAfter * 1000, cause: "flood" };
      if (err.error_code === 429) return { ms: 5_000, cause: "flood" };
      if (err.error_code >= 500) return { ms: serverDelay(chatId), cause: "server" };
      return undefined;
    }
    if (err instanceof HttpError) return { ms: serverDelay(chatId), cause: "server" };
    return undefined;
  }

  function serverDelay(chatId: number): number {
    const failures = (serverFailures.get(chatId) ?? 0) + 1;
    serverFailures.set(chatId, failures);
    return Math.min(maxServerErrorDelayMs, (options.serverErrorDelayMs ?? 30_000) * 2 ** (failures - 1));
  }

  /** Re-schedules the chat's queued sends and tells the person, once per job, what is still coming. */
  async function postpone(chatId: number, item: OutboxItem, wait: Wait, err: unknown, log: Logger) {
    const at = Date.now() + wait.ms + (wait.cause === "flood" ? retryAfterSlackMs : 0);
    await outbox.setDueAt(chatId, at);
    schedule(chatId, at);
    options.metrics.telegramErrors.inc({
      method: item.kind === "text" ? "sendMessage" : "sendAudio",
      code: "rescheduled",
    });
    log.warn(
      { err, jobId: item.jobId, waitMs: wait.ms, cause: wait.cause },
      "delivery: Telegram made the sends wait; the rest is re-scheduled",
    );
    const queued = await outbox.items(chatId);
    const byJob = new Map<string, OutboxItem[]>();
    for (const q of queued) byJob.set(q.jobId, [...(byJob.get(q.jobId) ?? []), q]);
    for (const [jobId, items] of byJob) {
      // A job whose summary is still queued says nothing yet: the summary comes first anyway.
      if (items.some((q) => q.kind === "text")) continue;
      const tracks = items.filter((q): q is OutboxTrack => q.kind === "track");
      if (tracks.length === 0 || (await outbox.told(chatId, jobId))) continue;
      const text = stillComingText({
        cause: wait.cause,
        positions: tracks.map((t) => t.track.index + 1),
        waitMs: wait.ms,
        ...(tracks[0]?.collection !== undefined ? { title: tracks[0].collection } : {}),
      });
      if (await notify(chatId, text, log)) await outbox.markTold(chatId, jobId);
    }
  }

  /** Sends a plain message now (not queued); false when Telegram did not take it. */
  async function notify(chatId: number, text: string, log: Logger): Promise<boolean> {
    try {
      await api.sendMessage(chatId, text, { link_preview_options: { is_disabled: true } }, apiSignal(signal));
      return true;
    } catch (err) {
      log.warn({ err }, "delivery: could not tell the person about waiting tracks");
      return false;
    }
  }

  async function send(
    item: OutboxItem,
    chatId: number,
    thumbnail: (folder: string | undefined) => Promise<string | undefined>,
    log: Logger,
  ): Promise<void> {
    if (item.kind === "text") {
      await api.sendMessage(
        chatId,
        item.text,
        { link_preview_options: { is_disabled: true } },
        apiSignal(signal),
      );
      return;
    }
    await sendTrack(item, chatId, thumbnail, log);
  }

  async function sendTrack(
    item: OutboxTrack,
    chatId: number,
    thumbnail: (folder: string | undefined) => Promise<string | undefined>,
    log: Logger,
  ): Promise<void> {
    const { track, format } = item;
    const asAudio = format === "mp3" || format === "m4a";
    const meta = {
      performer: track.artists.join(", "),
      title: track.title,
      ...(track.durationSec !== undefined ? { duration: Math.round(track.durationSec) } : {}),
    };
    const sendFile = async (file: string | InputFile, thumb?: string): Promise<Message> => {
      const thumbnailFile = thumb !== undefined ? { thumbnail: new InputFile(thumb, "cover.jpg") } : {};
      return asAudio
        ? api.sendAudio(chatId, file, { ...meta, ...thumbnailFile }, apiSignal(signal))
        : api.sendDocument(
            chatId,
            file,
            { caption: `${displayTitle(meta.performer)} — ${displayTitle(meta.title)}`, ...thumbnailFile },
            apiSignal(signal),
          );
    };
    const cached = await options.trackCache.get(track.trackId, format).catch(() => undefined);
    // A file made at a person's own quality is not the cached (shared) one: its file id is not used or kept.
    const shared =
      cached !== undefined && (cached.file ?? path.relative(options.libraryDir, cached.path)) === track.file;
    const fileId = shared ? cached.telegramFileIds?.[options.botKey] : undefined;
    if (fileId !== undefined) {
      try {
        await sendFile(fileId);
        options.metrics.cacheHits.inc({ kind: "telegram" });
        return;
      } catch (err) {
        // A file id Telegram no longer knows: upload again.
        if (!(err instanceof GrammyError && err.error_code === 400)) throw err;
        log.info({ trackId: track.trackId }, "cached file id refused; uploading again");
      }
    }
    // A path, not a stream: auto-retry may send the request again. A missing file would make every
    // retry fail as a network error, so it is made local (fetched from the worker holding it) first.
    const filePath = await files
      .ensureLocal(track.file, track.holder, {
        ...(track.bytes !== undefined ? { bytes: track.bytes } : {}),
        signal,
      })
      .catch((err: unknown) => {
        log.warn({ err, file: track.file, holder: track.holder }, "track file not available");
        throw new MissingFileError(track.file);
      });
    const message = await sendFile(
      new InputFile(filePath, path.basename(filePath)),
      await thumbnail(item.folder),
    );
    const newId = message.audio?.file_id ?? message.document?.file_id;
    if (newId !== undefined && shared) {
      await options.trackCache
        .setTelegramFileId(track.trackId, format, newId, options.botKey)
        .catch((err: unknown) => {
          log.warn({ err }, "could not remember a Telegram file id");
        });
    }
  }

  /** Thumbnails made during one pass, one per collection folder, removed when the pass ends. */
  function thumbnails(log: Logger) {
    let dir: Promise<string> | undefined;
    const made = new Map<string, Promise<string | undefined>>();
    return {
      get: (folder: string | undefined): Promise<string | undefined> => {
        if (folder === undefined) return Promise.resolve(undefined);
        let thumb = made.get(folder);
        if (thumb === undefined) {
          thumb = (async () => {
            dir ??= mkdtemp(path.join(options.tmpDir, "cdc-thumb-"));
            const out = path.join(await dir, `thumb-${made.size}.jpg`);
            return makeThumbnail({
              ffmpegPath: options.ffmpegPath,
              coverPath: path.join(options.libraryDir, folder, "cover.jpg"),
              outPath: out,
              signal,
            }).catch((err: unknown) => {
              log.warn({ err }, "could not make a thumbnail");
              return undefined;
            });
          })();
          made.set(folder, thumb);
        }
        return thumb;
      },
      cleanup: async (): Promise<void> => {
        if (dir === undefined) return;
        await Promise.allSettled(made.values());
        await rm(await dir, { recursive: true, force: true }).catch(() => undefined);
      },
    };
  }

  async function sizeOf(t: TrackResult): Promise<number> {
    if (t.bytes !== undefined) return t.bytes;
    const s = await stat(path.join(options.libraryDir, t.file ?? "")).catch(() => undefined);
    return s?.size ?? 0;
  }

  const deliver: Deliver = async (view, chatId, log) => {
    const result = view.result;
    const ready = (result?.tracks ?? []).filter(
      (t) => (t.outcome === "done" || t.outcome === "cached") && t.file !== undefined,
    );
    // The person's choice (/settings): audio messages, the link, or both (absent: both).
    const mode = view.delivery ?? "both";
    const sendAudio = options.sendAudio && mode !== "link";
    const tooBig: TrackResult[] = [];
    if (sendAudio) {
      for (const t of ready) if ((await sizeOf(t)) > budget.maxAudioBytes) tooBig.push(t);
    }
    // "Audio only" still shows the link when some tracks cannot be sent here.
    const wantsLink = mode !== "audio" || !sendAudio || tooBig.length > 0;
    const link = view.stage === "done" && wantsLink ? options.linkFor(view.id) : undefined;
    const summary = renderSummary(view, {
      tooBig,
      // The limit the person is shown is the one the audio really has to fit (thumbnail and margin taken off).
      uploadLimitMb: budget.maxAudioMb,
      sendingAudio: sendAudio,
      ...(link !== undefined ? { link } : {}),
    });
    const items: OutboxItem[] = [
      { kind: "text", id: randomUUID(), jobId: view.id, last: false, text: summary },
    ];
    if (sendAudio && result !== undefined) {
      for (const t of ready) {
        if (tooBig.includes(t)) continue;
        items.push({
          kind: "track",
          id: randomUUID(),
          jobId: view.id,
          last: false,
          format: view.format,
          ...(result.folder !== undefined ? { folder: result.folder } : {}),
          collection: result.title,
          hasLink: link !== undefined,
          track: {
            trackId: t.trackId,
            index: t.index,
            title: t.title,
            artists: t.artists,
            ...(t.durationSec !== undefined ? { durationSec: t.durationSec } : {}),
            file: t.file ?? "",
            ...(t.holder !== undefined ? { holder: t.holder } : {}),
            ...(t.bytes !== undefined ? { bytes: t.bytes } : {}),
          },
        });
      }
    }
    items[items.length - 1]!.last = true;
    const added = await outbox.add(chatId, view.id, items, Date.now());
    if (!added) log.info("this job's delivery is queued already; carrying on with it");
    await drain(chatId);
  };

  return {
    deliver,
    async resume() {
      const chats = await outbox.chats();
      for (const [chatId, at] of chats) schedule(chatId, at);
      return chats.size;
    },
    stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}

/** 403 (blocked, kicked) or a chat Telegram does not know: nothing queued for it can be sent. */
function isChatGone(err: unknown): boolean {
  return (
    err instanceof GrammyError &&
    (err.error_code === 403 || /chat not found|user is deactivated/i.test(err.description))
  );
}

/** The default place for thumbnails. */
export function defaultTmpDir(): string {
  return os.tmpdir();
}
