/**
 * What a person gets of a job: each track as soon as it is ready and every track before it has ended
 * (collection order, never out of order), as audio messages (documents for flac/opus) grouped into
 * Telegram albums of up to 10 when several are ready at once; captions say "n/N", and a doubtful match
 * goes on its own with its confidence and a "Wrong song?" button. When the job ends the status message
 * becomes the summary ({@link Delivery.summary}) and the tracks not sent yet follow. A track this bot sent
 * before goes out by its cached file_id, so a repeat costs no upload; new uploads record their file_id.
 *
 * Everything a delivery sends goes through the chat's outbox (delivery-outbox.ts, which says why it is
 * our own list in Redis): tracks are queued as they end (a cursor per job and chat says which were
 * queued, so none is queued twice, even across a restart), then sent in order. When Telegram makes a
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
import { GrammyError, HttpError, InlineKeyboard, InputFile, InputMediaBuilder, type Api } from "grammy";
import type { InputMediaAudio, InputMediaDocument, Message } from "grammy/types";
import type { JobView } from "../../core/jobs/job-service.js";
import type { TrackResult } from "../../core/jobs/schemas.js";
import type { Logger } from "../../core/log.js";
import { localOnlyFiles, type PeerFiles } from "../../core/media/peer-files.js";
import type { TrackCache } from "../../core/media/track-cache.js";
import type { Metrics } from "../../core/metrics.js";
import { isMessageGone } from "./api-error-counter.js";
import { apiSignal } from "./api-signal.js";
import type { DownloadLink } from "./context.js";
import { refusedAsTooBigText, stillComingText, type WaitCause } from "./delivery-notice.js";
import type {
  SentMessage,
  OutboxAlbum,
  OutboxItem,
  OutboxStore,
  OutboxTrack,
  OutboxTrackInfo,
} from "./delivery-outbox.js";
import { renderSummary, summaryKeyboard, trackCaption, wrongSongData } from "./render.js";
import { makeThumbnail } from "./thumbnail.js";
import { uploadBudget } from "./upload-budget.js";

export interface DeliveryOptions {
  api: Api;
  trackCache: Pick<TrackCache, "get" | "setTelegramFileId">;
  linkFor(jobId: string): DownloadLink | undefined;
  metrics: Pick<Metrics, "cacheHits" | "telegramErrors">;
  /** Below this confidence (0-100) a track goes on its own, with its confidence and a "Wrong song?" button. */
  doubtfulBelow: number;
  /**
   * After a job's first track, tracks ready in order wait up to this long for the ones after them, so
   * they go together as an album instead of one message each (the bot's edit interval). @defaultValue 0
   */
  gatherMs?: number;
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
   * Queues a job's tracks that have ended, from where the chat's cursor stands up to the first track that
   * has not ended, and starts sending them (in the background). Called as tracks end; costs nothing when
   * no new track is ready. Returns when to call again when ready tracks were held back to gather into an
   * album (see `gatherMs`).
   */
  sendReady(
    view: JobView,
    chatId: number,
    ended: ReadonlyMap<number, TrackResult>,
    log: Logger,
  ): Promise<number | undefined>;
  /**
   * Queues an ended job's tracks not queued yet for the chat and sends them; resolves once all went out,
   * or once Telegram made the rest wait (they are then sent later). A fix replaces the track's message.
   */
  deliver: Deliver;
  /** What the status message of an ended job becomes: the summary, with its buttons. */
  summary(view: JobView): Promise<{ text: string; keyboard?: InlineKeyboard }>;
  /** The person asked for a job again in a chat: its tracks are sent there again from the first. */
  restart(jobId: string, chatId: number): Promise<void>;
  /** Picks up the chats with queued sends (after a restart); returns how many. */
  resume(): Promise<number>;
  /** No new sends start; timers are dropped (what is queued stays queued). Idempotent. */
  stop(): void;
}

/** The button under a track's own message. */
function wrongSongKeyboard(jobId: string, index: number): InlineKeyboard {
  return new InlineKeyboard().text("🤔 Wrong song?", wrongSongData(jobId, index));
}

/** Telegram's largest album (sendMediaGroup). */
const albumMax = 10;

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
  /** Job and chat → since when ready tracks are held back to gather into an album. */
  const holding = new Map<string, number>();
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
          // An album Telegram refuses, or with a file that is gone: its tracks go one by one instead, so
          // only a track that really cannot be sent is left out (and a too-big one is said).
          if (item.kind === "album") {
            log.warn({ err, jobId: item.jobId }, "could not send an album; sending its tracks one by one");
            const { tracks, kind: _kind, ...rest } = item;
            await outbox.replaceHead(
              chatId,
              item,
              tracks.map((track) => ({ ...rest, kind: "track", id: randomUUID(), track })),
            );
            continue;
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
    options.metrics.telegramErrors.inc({ method: methodOf(item), code: "rescheduled" });
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
      // Every track still queued, whether it goes on its own or in an album.
      const files = items.filter(
        (q): q is OutboxTrack | OutboxAlbum => q.kind === "track" || q.kind === "album",
      );
      const positions = files
        .flatMap((q) => (q.kind === "track" ? [q.track] : q.tracks))
        .map((t) => t.index + 1);
      if (positions.length === 0 || (await outbox.told(chatId, jobId))) continue;
      const text = stillComingText({
        cause: wait.cause,
        positions,
        waitMs: wait.ms,
        ...(files[0]?.collection !== undefined ? { title: files[0].collection } : {}),
      });
      if (await notify(chatId, text, log)) await outbox.markTold(chatId, jobId);
    }
  }

  /** The Bot API method an item goes out by (for the error counter's `method` label). */
  function methodOf(item: OutboxItem): string {
    if (item.kind === "text") return "sendMessage";
    if (item.kind === "album") return "sendMediaGroup";
    return isAudio(item.format) ? "sendAudio" : "sendDocument";
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
    thumbnail: (folder: string | undefined, trackFile?: string) => Promise<string | undefined>,
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
    if (item.kind === "album") {
      await sendAlbum(item, chatId, thumbnail, log);
      return;
    }
    await sendTrack(item, chatId, thumbnail, log);
  }

  /** A track's file as Telegram takes it: its cached file id (this bot sent it before), or the file. */
  async function fileOf(
    track: OutboxTrackInfo,
    format: JobView["format"],
    log: Logger,
  ): Promise<{ file: string | InputFile; fileId?: string; shared: boolean }> {
    const cached = await options.trackCache.get(track.trackId, format).catch(() => undefined);
    // A file made at a person's own quality is not the cached (shared) one: its file id is not used or kept.
    const shared =
      cached !== undefined && (cached.file ?? path.relative(options.libraryDir, cached.path)) === track.file;
    const fileId = shared ? cached.telegramFileIds?.[options.botKey] : undefined;
    if (fileId !== undefined) return { file: fileId, fileId, shared };
    return { file: await localFile(track, log), shared };
  }

  /**
   * A path, not a stream: auto-retry may send the request again. A missing file would make every retry
   * fail as a network error, so it is made local (fetched from the worker holding it) first.
   */
  async function localFile(track: OutboxTrackInfo, log: Logger): Promise<InputFile> {
    const filePath = await files
      .ensureLocal(track.file, track.holder, {
        ...(track.bytes !== undefined ? { bytes: track.bytes } : {}),
        signal,
      })
      .catch((err: unknown) => {
        log.warn({ err, file: track.file, holder: track.holder }, "track file not available");
        throw new MissingFileError(track.file);
      });
    return new InputFile(filePath, path.basename(filePath));
  }

  async function remember(
    track: OutboxTrackInfo,
    format: JobView["format"],
    message: Message | undefined,
    shared: boolean,
    log: Logger,
  ): Promise<void> {
    const newId = message?.audio?.file_id ?? message?.document?.file_id;
    if (newId === undefined || !shared) return;
    await options.trackCache
      .setTelegramFileId(track.trackId, format, newId, options.botKey)
      .catch((err: unknown) => {
        log.warn({ err }, "could not remember a Telegram file id");
      });
  }

  const isAudio = (format: JobView["format"]) => format === "mp3" || format === "m4a";

  /** The InputMedia of one track in an album or a replaced message. */
  function mediaOf(
    item: OutboxTrack | OutboxAlbum,
    track: OutboxTrackInfo,
    file: string | InputFile,
    thumb: string | undefined,
  ): InputMediaAudio | InputMediaDocument {
    const caption = trackCaption(track, item.total, options.doubtfulBelow, !isAudio(item.format));
    const thumbnail =
      thumb !== undefined && typeof file !== "string" ? { thumbnail: new InputFile(thumb, "cover.jpg") } : {};
    return isAudio(item.format)
      ? InputMediaBuilder.audio(file, {
          caption,
          performer: track.artists.join(", "),
          title: track.title,
          ...(track.durationSec !== undefined ? { duration: Math.round(track.durationSec) } : {}),
          ...thumbnail,
        })
      : InputMediaBuilder.document(file, { caption, ...thumbnail });
  }

  async function sendAlbum(
    item: OutboxAlbum,
    chatId: number,
    thumbnail: (folder: string | undefined, trackFile?: string) => Promise<string | undefined>,
    log: Logger,
  ): Promise<void> {
    // Each track its own thumbnail: a playlist's tracks come from many records.
    const thumbs: (string | undefined)[] = [];
    for (const track of item.tracks) thumbs.push(await thumbnail(item.folder, track.file));
    const files: { file: string | InputFile; fileId?: string; shared: boolean }[] = [];
    for (const track of item.tracks) files.push(await fileOf(track, item.format, log));
    const media = item.tracks.map((track, i) => mediaOf(item, track, files[i]!.file, thumbs[i]));
    let messages: Message[];
    try {
      messages = await api.sendMediaGroup(chatId, media as InputMediaAudio[], {}, apiSignal(signal));
    } catch (err) {
      // A file id Telegram no longer knows: send them all as uploads.
      if (!(
        err instanceof GrammyError &&
        err.error_code === 400 &&
        files.some((f) => f.fileId !== undefined)
      ))
        throw err;
      log.info("a cached file id was refused; uploading the album again");
      for (const [i, track] of item.tracks.entries()) {
        if (files[i]!.fileId !== undefined)
          files[i] = { file: await localFile(track, log), shared: files[i]!.shared };
      }
      const again = item.tracks.map((track, i) => mediaOf(item, track, files[i]!.file, thumbs[i]));
      messages = await api.sendMediaGroup(chatId, again as InputMediaAudio[], {}, apiSignal(signal));
    }
    for (const [i, track] of item.tracks.entries()) {
      const message = messages[i];
      if (message !== undefined)
        await outbox.sentMessage(chatId, item.jobId, track.index, message.message_id, true);
      if (files[i]!.fileId !== undefined) options.metrics.cacheHits.inc({ kind: "telegram" });
      else await remember(track, item.format, message, files[i]!.shared, log);
    }
  }

  async function sendTrack(
    item: OutboxTrack,
    chatId: number,
    thumbnail: (folder: string | undefined, trackFile?: string) => Promise<string | undefined>,
    log: Logger,
  ): Promise<void> {
    const { track, format } = item;
    const caption = trackCaption(track, item.total, options.doubtfulBelow, !isAudio(format));
    const keyboard = { reply_markup: wrongSongKeyboard(item.jobId, track.index) };
    const meta = {
      performer: track.artists.join(", "),
      title: track.title,
      ...(track.durationSec !== undefined ? { duration: Math.round(track.durationSec) } : {}),
    };
    const sendFile = async (file: string | InputFile, thumb?: string): Promise<Message> => {
      if (item.replaces !== undefined) {
        const replaced = await replaceMessage(item, item.replaces, file, thumb, chatId, log);
        if (replaced !== undefined) return replaced;
      }
      const thumbnailFile = thumb !== undefined ? { thumbnail: new InputFile(thumb, "cover.jpg") } : {};
      return isAudio(format)
        ? api.sendAudio(chatId, file, { ...meta, caption, ...thumbnailFile, ...keyboard }, apiSignal(signal))
        : api.sendDocument(chatId, file, { caption, ...thumbnailFile, ...keyboard }, apiSignal(signal));
    };
    const first = await fileOf(track, format, log);
    let message: Message | undefined;
    if (first.fileId !== undefined) {
      try {
        message = await sendFile(first.fileId);
        options.metrics.cacheHits.inc({ kind: "telegram" });
      } catch (err) {
        // A file id Telegram no longer knows: upload again.
        if (!(err instanceof GrammyError && err.error_code === 400)) throw err;
        log.info({ trackId: track.trackId }, "cached file id refused; uploading again");
      }
    }
    if (message === undefined) {
      const file = first.fileId === undefined ? first.file : await localFile(track, log);
      message = await sendFile(file, await thumbnail(item.folder, track.file));
      await remember(track, format, message, first.shared, log);
    }
    await outbox.sentMessage(chatId, item.jobId, track.index, message.message_id, false);
  }

  /** Puts a fixed track in place of the message that had the wrong one; undefined when that message is gone. */
  async function replaceMessage(
    item: OutboxTrack,
    target: SentMessage,
    file: string | InputFile,
    thumb: string | undefined,
    chatId: number,
    log: Logger,
  ): Promise<Message | undefined> {
    const { messageId } = target;
    // A message of its own keeps its "Wrong song?" button (an edit without one would remove it).
    const markup = target.inAlbum ? {} : { reply_markup: wrongSongKeyboard(item.jobId, item.track.index) };
    try {
      const edited = await api.editMessageMedia(
        chatId,
        messageId,
        mediaOf(item, item.track, file, thumb),
        markup,
        apiSignal(signal),
      );
      return edited === true ? undefined : edited;
    } catch (err) {
      if (err instanceof GrammyError && isMessageGone(err.description)) {
        log.info({ messageId }, "the message with the replaced track is gone; sending the fixed track anew");
        return undefined;
      }
      throw err;
    }
  }

  /**
   * Thumbnails made during one pass, removed when the pass ends: from the collection's cover.jpg (written
   * when the collection ends), else from the cover inside the track's own file (a track sent while its
   * collection still runs). One per source.
   */
  function thumbnails(log: Logger) {
    let dir: Promise<string> | undefined;
    const made = new Map<string, Promise<string | undefined>>();
    const make = (source: string): Promise<string | undefined> => {
      let thumb = made.get(source);
      if (thumb === undefined) {
        thumb = (async () => {
          dir ??= mkdtemp(path.join(options.tmpDir, "cdc-thumb-"));
          const out = path.join(await dir, `thumb-${made.size}.jpg`);
          return makeThumbnail({
            ffmpegPath: options.ffmpegPath,
            coverPath: source,
            outPath: out,
            signal,
          }).catch((err: unknown) => {
            log.debug({ err }, "could not make a thumbnail");
            return undefined;
          });
        })();
        made.set(source, thumb);
      }
      return thumb;
    };
    return {
      get: async (folder: string | undefined, trackFile?: string): Promise<string | undefined> => {
        if (folder !== undefined) {
          const cover = path.join(options.libraryDir, folder, "cover.jpg");
          if ((await stat(cover).catch(() => undefined))?.isFile() === true) return make(cover);
        }
        if (trackFile === undefined) return undefined;
        const local = path.join(options.libraryDir, trackFile);
        return (await stat(local).catch(() => undefined))?.isFile() === true ? make(local) : undefined;
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

  const isReady = (t: TrackResult) =>
    (t.outcome === "done" || t.outcome === "cached") && t.file !== undefined;

  /** Whether this job's tracks go to the chat as audio at all (the person's /settings and the service's). */
  const sendsAudio = (view: JobView) => options.sendAudio && (view.delivery ?? "both") !== "link";

  /**
   * The order a job sends its tracks in: the whole collection; for a retry only the tracks it collects
   * again; for a fix only the fixed one.
   */
  function orderOf(view: JobView, total: number): number[] {
    if (view.fix !== undefined) return [view.fix.index];
    if (view.retry !== undefined) return [...view.retry.indexes].sort((a, b) => a - b);
    return Array.from({ length: total }, (_, i) => i);
  }

  function infoOf(t: TrackResult): OutboxTrackInfo {
    const doubtful =
      (t.confidence !== undefined && t.confidence < options.doubtfulBelow) || t.warnings.length > 0;
    return {
      trackId: t.trackId,
      index: t.index,
      title: t.title,
      artists: t.artists,
      ...(t.durationSec !== undefined ? { durationSec: t.durationSec } : {}),
      file: t.file ?? "",
      ...(t.holder !== undefined ? { holder: t.holder } : {}),
      ...(t.bytes !== undefined ? { bytes: t.bytes } : {}),
      ...(t.confidence !== undefined ? { confidence: t.confidence } : {}),
      ...(doubtful ? { doubtful } : {}),
    };
  }

  /**
   * Items for tracks that ended, in order: runs of confident tracks as albums of up to 10 (a run of one as
   * a single message), a doubtful one on its own (an album message cannot carry its button).
   */
  async function itemsFor(
    view: JobView,
    ended: readonly TrackResult[],
    total: number,
    chatId: number,
  ): Promise<OutboxItem[]> {
    const link = view.delivery !== "audio" && options.linkFor(view.id) !== undefined;
    const base = {
      jobId: view.id,
      last: false,
      format: view.format,
      ...(view.result?.folder !== undefined ? { folder: view.result.folder } : {}),
      collection: view.result?.title ?? view.title ?? view.ref.uri,
      hasLink: link,
      total,
    };
    const items: OutboxItem[] = [];
    let run: OutboxTrackInfo[] = [];
    // An album is one upload request: each track brings its file, a thumbnail and framing, and the sum
    // must stay under Telegram's limit (a refused album would be skipped whole).
    const perTrackExtra = budget.requestLimitBytes - budget.maxAudioBytes;
    let runBytes = 0;
    const flush = () => {
      if (run.length === 1) items.push({ ...base, kind: "track", id: randomUUID(), track: run[0]! });
      else if (run.length > 1) items.push({ ...base, kind: "album", id: randomUUID(), tracks: run });
      run = [];
      runBytes = 0;
    };
    for (const t of ended) {
      const bytes = isReady(t) ? await sizeOf(t) : 0;
      if (!isReady(t) || bytes > budget.maxAudioBytes) continue;
      const info = infoOf(t);
      if (view.fix !== undefined) {
        const replaces = await outbox.messageOf(chatId, view.fix.of, t.index).catch(() => undefined);
        items.push({
          ...base,
          kind: "track",
          id: randomUUID(),
          track: info,
          ...(replaces !== undefined ? { replaces } : {}),
        });
        continue;
      }
      if (info.doubtful === true) {
        flush();
        items.push({ ...base, kind: "track", id: randomUUID(), track: info });
        continue;
      }
      if (runBytes + bytes + perTrackExtra > budget.requestLimitBytes) flush();
      run.push(info);
      runBytes += bytes + perTrackExtra;
      if (run.length === albumMax) flush();
    }
    flush();
    return items;
  }

  /**
   * Queues the tracks that ended since the chat's cursor; true when something was queued. Two passes may
   * race (a track ended as the job ended): the append only takes when the cursor has not moved meanwhile,
   * so the loser reads the cursor again and queues what is left, never a track twice, never none.
   */
  async function queueEnded(
    view: JobView,
    chatId: number,
    ended: ReadonlyMap<number, TrackResult>,
    total: number,
  ): Promise<boolean> {
    if (!sendsAudio(view)) return false;
    const order = orderOf(view, total);
    let queued = false;
    for (let attempt = 0; attempt < 5; attempt++) {
      const from = await outbox.cursor(chatId, view.id);
      let to = from;
      const batch: TrackResult[] = [];
      while (to < order.length) {
        const t = ended.get(order[to]!);
        if (t === undefined) break;
        batch.push(t);
        to += 1;
      }
      if (to === from) return queued;
      const items = await itemsFor(view, batch, total, chatId);
      if (await outbox.append(chatId, view.id, items, Date.now(), { from, to })) {
        queued = true;
        if (to >= order.length) return true;
      }
    }
    return queued;
  }

  const deliver: Deliver = async (view, chatId, log) => {
    holding.delete(`${view.id}:${chatId}`);
    const tracks = view.result?.tracks ?? [];
    const ended = new Map(tracks.map((t) => [t.index, t]));
    const queued = await queueEnded(view, chatId, ended, tracks.length);
    if (!queued) log.debug("nothing left to queue for this job in this chat");
    await drain(chatId);
  };

  return {
    deliver,
    async sendReady(view, chatId, ended, log) {
      if (!sendsAudio(view)) return undefined;
      const key = `${view.id}:${chatId}`;
      const gatherMs = options.gatherMs ?? 0;
      if (gatherMs > 0) {
        const order = orderOf(view, view.total);
        const from = await outbox.cursor(chatId, view.id);
        let ready = 0;
        while (from + ready < order.length && ended.has(order[from + ready]!)) ready += 1;
        if (ready === 0) return undefined;
        // The first track goes at once; later ones wait a moment for company, unless an album is full.
        if (from > 0 && ready < albumMax && from + ready < order.length) {
          const since = holding.get(key) ?? Date.now();
          holding.set(key, since);
          if (Date.now() - since < gatherMs) return since + gatherMs;
        }
      }
      holding.delete(key);
      if (await queueEnded(view, chatId, ended, view.total)) {
        log.debug("tracks ready: queued for the chat");
        void options.track(drain(chatId));
      }
      return undefined;
    },
    async summary(view) {
      const result = view.result;
      const ready = (result?.tracks ?? []).filter(isReady);
      const sendAudio = sendsAudio(view);
      const tooBig: TrackResult[] = [];
      if (sendAudio) {
        for (const t of ready) if ((await sizeOf(t)) > budget.maxAudioBytes) tooBig.push(t);
      }
      // "Audio only" still shows the link when some tracks cannot be sent here.
      const mode = view.delivery ?? "both";
      const wantsLink = mode !== "audio" || !sendAudio || tooBig.length > 0;
      const link = view.stage === "done" && wantsLink ? options.linkFor(view.id) : undefined;
      const text = renderSummary(view, {
        tooBig,
        // The limit the person is shown is the one the audio really has to fit (thumbnail and margin taken off).
        uploadLimitMb: budget.maxAudioMb,
        sendingAudio: sendAudio,
        ...(link !== undefined ? { link } : {}),
      });
      const keyboard = summaryKeyboard(view);
      return keyboard !== undefined ? { text, keyboard } : { text };
    },
    async restart(jobId, chatId) {
      // A delivery of the job still queued in the chat (held by a flood wait) carries on instead: starting
      // over meanwhile would send its tracks twice.
      if ((await outbox.items(chatId)).some((item) => item.jobId === jobId)) return;
      await outbox.resetCursor(chatId, jobId);
    },
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
