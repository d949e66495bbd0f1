/**
 * Which tracks are already collected, shared by every worker through Redis: (Spotify track id, format)
 * -> the file and what is known about it. A track collected once, by anyone, is never downloaded again;
 * a cached file that vanished from disk heals its entry instead of being served.
 *
 * An entry names its holder (peer-files.ts): the worker whose library has the file. An entry held by
 * another machine is returned as it is (its file cannot be checked from here; whoever uses it fetches
 * it, or finds it gone); only entries held here are checked against the disk.
 *
 * Stored as one hash per track: field `entry` holds the JSON of the entry, fields `tg:<bot>` the Telegram
 * file ids, so recording a file id never rewrites (or races with) the entry itself.
 */
import { stat } from "node:fs/promises";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { LibraryFormat } from "./library.js";

/** What the cache knows about one collected file. */
export interface TrackCacheEntry {
  /** Absolute path of the file on its holder's machine. */
  path: string;
  /** Library-relative path of the file (entries written before holders existed have none). */
  file?: string;
  /** Peer base URL of the worker holding the file; absent: the machine that reads it. */
  holder?: string;
  sha256: string;
  bytes: number;
  durationSec: number;
  /** Telegram file ids by bot (file ids are per bot), so a repeat send costs no upload. */
  telegramFileIds?: Record<string, string>;
  /** The recording the audio came from. */
  videoId: string;
  /** ISO timestamp. */
  createdAt: string;
}

const entrySchema = z.object({
  path: z.string().min(1),
  file: z.string().min(1).optional(),
  holder: z.string().min(1).optional(),
  sha256: z.string(),
  bytes: z.number().int().nonnegative(),
  durationSec: z.number().nonnegative(),
  videoId: z.string(),
  createdAt: z.string(),
});

export interface TrackCacheOptions {
  /** Key prefix, e.g. the configured `redis.prefix`. Keys are `<prefix>:track:<id>:<format>`. */
  prefix: string;
  /** The holder URL of this process (peer-files.ts `selfHolder`): entries of other holders are not checked here. */
  holder?: string;
}

/** The default bot key for Telegram file ids when only one bot is in play. */
export const DEFAULT_BOT_KEY = "default";

export interface TrackCache {
  /**
   * The entry, if its file still exists with the recorded size (held here), or its holder is another
   * machine; otherwise the entry is deleted.
   */
  get(trackId: string, format: LibraryFormat): Promise<TrackCacheEntry | undefined>;
  /** Store (or replace) an entry. Replacing drops Telegram file ids, which belonged to the old file. */
  put(trackId: string, format: LibraryFormat, entry: TrackCacheEntry): Promise<void>;
  /** Remember a Telegram file id; false when there is no entry to attach it to. */
  setTelegramFileId(
    trackId: string,
    format: LibraryFormat,
    fileId: string,
    botKey?: string,
  ): Promise<boolean>;
  delete(trackId: string, format: LibraryFormat): Promise<void>;
  /**
   * The entry's file at `path` was rewritten in place (its album gain, replaygain.ts): record its new
   * checksum and size. Its Telegram file ids stay: the audio is the same, only a tag players read in album
   * mode changed, which a chat never uses (so a repeat still costs no upload). Nothing happens when the
   * entry is gone or now names another file. True when the entry was updated.
   */
  updateFile(
    trackId: string,
    format: LibraryFormat,
    path: string,
    file: { sha256: string; bytes: number },
  ): Promise<boolean>;
}

// Only attach a file id to an entry that exists, atomically.
const SET_FILE_ID = `if redis.call('HEXISTS', KEYS[1], 'entry') == 1 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0`;

// Rewrite the entry only while it still names the same file, atomically (cjson is Redis' own).
const UPDATE_FILE = `local raw = redis.call('HGET', KEYS[1], 'entry')
if not raw then return 0 end
local entry = cjson.decode(raw)
if entry.path ~= ARGV[1] then return 0 end
entry.sha256 = ARGV[2]
entry.bytes = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'entry', cjson.encode(entry))
return 1`;

/** Build the cache over an ioredis connection (the caller owns and closes it). */
export function createTrackCache(redis: Redis, options: TrackCacheOptions): TrackCache {
  const key = (trackId: string, format: LibraryFormat) => `${options.prefix}:track:${trackId}:${format}`;

  const remove = async (trackId: string, format: LibraryFormat) => {
    await redis.del(key(trackId, format));
  };

  return {
    async get(trackId, format) {
      const hash = await redis.hgetall(key(trackId, format));
      if (!hash.entry) return undefined;
      let parsed: z.infer<typeof entrySchema>;
      try {
        parsed = entrySchema.parse(JSON.parse(hash.entry));
      } catch {
        await remove(trackId, format);
        return undefined;
      }
      const elsewhere = parsed.holder !== undefined && parsed.holder !== options.holder;
      if (!elsewhere) {
        const info = await stat(parsed.path).catch(() => undefined);
        if (!info?.isFile() || info.size !== parsed.bytes) {
          await remove(trackId, format);
          return undefined;
        }
      }
      const telegramFileIds: Record<string, string> = {};
      for (const [field, value] of Object.entries(hash)) {
        if (field.startsWith("tg:")) telegramFileIds[field.slice(3)] = value;
      }
      return Object.keys(telegramFileIds).length > 0 ? { ...parsed, telegramFileIds } : parsed;
    },

    async put(trackId, format, entry) {
      const { telegramFileIds, ...rest } = entry;
      const fields: string[] = ["entry", JSON.stringify(entrySchema.parse(rest))];
      for (const [bot, fileId] of Object.entries(telegramFileIds ?? {})) fields.push(`tg:${bot}`, fileId);
      await redis
        .multi()
        .del(key(trackId, format))
        .hset(key(trackId, format), ...fields)
        .exec();
    },

    async setTelegramFileId(trackId, format, fileId, botKey = DEFAULT_BOT_KEY) {
      const result = await redis.eval(SET_FILE_ID, 1, key(trackId, format), `tg:${botKey}`, fileId);
      return result === 1;
    },

    delete: remove,

    async updateFile(trackId, format, path, file) {
      const args = [path, file.sha256, String(file.bytes)];
      return (await redis.eval(UPDATE_FILE, 1, key(trackId, format), ...args)) === 1;
    },
  };
}
