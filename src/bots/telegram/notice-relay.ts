/**
 * Delivers operator notices (src/core/operator-notices.ts: YouTube's rate limit, a bot check, an outdated
 * yt-dlp, a lapsed Spotify Premium) to the admins' private chats. Notices are read from their Redis stream
 * after a cursor kept in Redis, so a restarted bot neither repeats nor loses them; one that is older than
 * `maxAgeMs` when the bot first sees it (the bot was down for a day) is logged and skipped.
 */
import type { Redis } from "ioredis";
import type { Logger } from "../../core/log.js";
import type { OperatorNotices } from "../../core/operator-notices.js";

export interface NoticeRelayOptions {
  notices: OperatorNotices;
  /** A connection that may block (XREAD BLOCK), and one for the cursor. */
  blocking: Redis;
  client: Redis;
  cursorKey: string;
  /** Chats to tell: the admins' user ids (a private chat's id is the user's id). */
  chatIds: readonly number[];
  send(chatId: number, text: string): Promise<unknown>;
  logger: Logger;
  /** @defaultValue 6 hours */
  maxAgeMs?: number;
  /** How long one read waits for a notice. @defaultValue 5000 */
  blockMs?: number;
}

export interface NoticeRelay {
  /** Stop reading (the current read ends within `blockMs`). */
  close(): Promise<void>;
}

export function startNoticeRelay(options: NoticeRelayOptions): NoticeRelay {
  const maxAge = options.maxAgeMs ?? 6 * 3600_000;
  const blockMs = options.blockMs ?? 5000;
  let stopped = false;

  const loop = async (): Promise<void> => {
    let cursor = (await options.client.get(options.cursorKey)) ?? "0";
    while (!stopped) {
      let batch: Awaited<ReturnType<OperatorNotices["read"]>>;
      try {
        batch = await options.notices.read(cursor, blockMs, options.blocking);
      } catch (err) {
        if (stopped) return;
        options.logger.warn({ err }, "notice relay: read failed; retrying");
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      for (const { id, notice } of batch) {
        if (Date.now() - notice.at > maxAge) {
          options.logger.info({ notice: notice.kind }, "notice relay: skipped an old notice");
        } else {
          for (const chatId of options.chatIds) {
            try {
              await options.send(chatId, `⚠️ ${notice.text}`);
            } catch (err) {
              // An admin who never opened a chat with the bot cannot be written to: log it, go on.
              options.logger.warn(
                { err, chatId, notice: notice.kind },
                "notice relay: could not tell an admin",
              );
            }
          }
        }
        cursor = id;
        await options.client.set(options.cursorKey, cursor);
      }
    }
  };

  const running = loop().catch((err: unknown) => options.logger.error({ err }, "notice relay stopped"));
  return {
    async close() {
      stopped = true;
      options.blocking.disconnect();
      await running;
    },
  };
}
