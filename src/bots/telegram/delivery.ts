/**
 * What a person gets when a job ends: the summary (with the download link when there is one), then
 * each ready track as an audio message (documents for flac/opus). A track this bot sent before goes
 * out by its cached file_id, so a repeat costs no upload; new uploads record their file_id.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { GrammyError, InputFile, type Api } from "grammy";
import type { Message } from "grammy/types";
import type { JobView } from "../../core/jobs/job-service.js";
import type { TrackResult } from "../../core/jobs/schemas.js";
import type { Logger } from "../../core/log.js";
import type { TrackCache } from "../../core/media/track-cache.js";
import type { Metrics } from "../../core/metrics.js";
import { apiSignal } from "./api-signal.js";
import { renderSummary } from "./render.js";
import { makeThumbnail } from "./thumbnail.js";

export interface DeliveryOptions {
  api: Api;
  trackCache: Pick<TrackCache, "get" | "setTelegramFileId">;
  linkFor(jobId: string): string | undefined;
  metrics: Pick<Metrics, "cacheHits">;
  libraryDir: string;
  ffmpegPath: string;
  tmpDir: string;
  botKey: string;
  uploadLimitMb: number;
  sendAudio: boolean;
}

export type Deliver = (view: JobView, chatId: number, log: Logger, signal?: AbortSignal) => Promise<void>;

export function createDelivery(options: DeliveryOptions): Deliver {
  const { api } = options;
  const limitBytes = options.uploadLimitMb * 1024 * 1024;

  return async (view, chatId, log, signal) => {
    const result = view.result;
    const ready = (result?.tracks ?? []).filter(
      (t) => (t.outcome === "done" || t.outcome === "cached") && t.file !== undefined,
    );
    const tooBig = options.sendAudio ? ready.filter((t) => (t.bytes ?? 0) > limitBytes) : [];
    const link = view.stage === "done" ? options.linkFor(view.id) : undefined;
    const summary = renderSummary(view, {
      tooBig,
      uploadLimitMb: options.uploadLimitMb,
      sendingAudio: options.sendAudio,
      ...(link !== undefined ? { link } : {}),
    });
    await api.sendMessage(
      chatId,
      summary,
      { link_preview_options: { is_disabled: true } },
      apiSignal(signal),
    );
    if (!options.sendAudio || result === undefined) return;

    const toSend = ready.filter((t) => !tooBig.includes(t));
    let thumbDir: string | undefined;
    let thumb: Promise<string | undefined> | undefined;
    const thumbnail = () => {
      thumb ??= (async () => {
        if (result.folder === undefined) return undefined;
        thumbDir = await mkdtemp(path.join(options.tmpDir, "cdc-thumb-"));
        return makeThumbnail({
          ffmpegPath: options.ffmpegPath,
          coverPath: path.join(options.libraryDir, result.folder, "cover.jpg"),
          outPath: path.join(thumbDir, "thumb.jpg"),
          ...(signal !== undefined ? { signal } : {}),
        }).catch((err: unknown) => {
          log.warn({ err }, "could not make a thumbnail");
          return undefined;
        });
      })();
      return thumb;
    };
    try {
      for (const track of toSend) {
        signal?.throwIfAborted();
        try {
          await sendTrack(track, view.format, chatId, thumbnail, log, signal);
        } catch (err) {
          if (signal?.aborted === true) throw err;
          log.warn({ err, trackId: track.trackId }, "could not send a track");
        }
      }
    } finally {
      if (thumbDir !== undefined) await rm(thumbDir, { recursive: true, force: true });
    }
  };

  async function sendTrack(
    track: TrackResult,
    format: JobView["format"],
    chatId: number,
    thumbnail: () => Promise<string | undefined>,
    log: Logger,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const asAudio = format === "mp3" || format === "m4a";
    const meta = {
      performer: track.artists.join(", "),
      title: track.title,
      ...(track.durationSec !== undefined ? { duration: Math.round(track.durationSec) } : {}),
    };
    const send = async (file: string | InputFile, thumb?: string): Promise<Message> => {
      const thumbnailFile = thumb !== undefined ? { thumbnail: new InputFile(thumb, "cover.jpg") } : {};
      return asAudio
        ? api.sendAudio(chatId, file, { ...meta, ...thumbnailFile }, apiSignal(signal))
        : api.sendDocument(
            chatId,
            file,
            { caption: `${meta.performer} — ${meta.title}`, ...thumbnailFile },
            apiSignal(signal),
          );
    };
    const cached = await options.trackCache.get(track.trackId, format).catch(() => undefined);
    const fileId = cached?.telegramFileIds?.[options.botKey];
    if (fileId !== undefined) {
      try {
        await send(fileId);
        options.metrics.cacheHits.inc({ kind: "telegram" });
        return;
      } catch (err) {
        // A file id Telegram no longer knows: upload again.
        if (!(err instanceof GrammyError && err.error_code === 400)) throw err;
        log.info({ trackId: track.trackId }, "cached file id refused; uploading again");
      }
    }
    const filePath = cached?.path ?? path.join(options.libraryDir, track.file ?? "");
    const message = await send(new InputFile(filePath, path.basename(filePath)), await thumbnail());
    const newId = message.audio?.file_id ?? message.document?.file_id;
    if (newId !== undefined) {
      await options.trackCache
        .setTelegramFileId(track.trackId, format, newId, options.botKey)
        .catch((err: unknown) => {
          log.warn({ err }, "could not remember a Telegram file id");
        });
    }
  }
}

/** The default place for thumbnails. */
export function defaultTmpDir(): string {
  return os.tmpdir();
}
