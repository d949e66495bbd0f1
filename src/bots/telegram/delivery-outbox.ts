/**
 * The delivery outbox: what still has to be sent into each chat (a job's summary, then its tracks), in
 * order, with the time the chat's next send may be tried.
 *
 * Why an outbox of our own in Redis, and not a BullMQ delayed job: Telegram's flood waits are per chat
 * and the messages of a chat must keep their order; one Redis list per chat gives that order for free,
 * while delayed BullMQ jobs are promoted by timestamp (two jobs of a chat could overtake each other and a
 * re-scheduled one would have to be re-created with a new delay) and would need a worker with its own
 * blocking connection in the bot process. The list outlives the bot process, so a wait longer than
 * any handler should block (Telegram asks for minutes, sometimes hours) survives a restart: the next
 * bot picks the chats up from the due-time index. An item is removed only after Telegram accepted it, so
 * nothing is lost; the only way to send one twice is a crash between Telegram's answer and that removal.
 *
 * Keys (named in core/jobs/keys.ts, `outbox`): per chat a list of items, the jobs queued (a set older
 * versions wrote; only cleared now), the jobs whose wait the person was told about, the instance sending
 * into the chat (a lock), and one sorted set chat → when its next send may be tried (ms). Per job and
 * chat a cursor (the next track to queue: tracks are queued as they end, in order, each once) and the
 * message id each track went out as.
 *
 * Without Redis (tests, benchmarks that pass none) the same outbox lives in memory and does not outlive
 * the process.
 */
import type { Redis } from "ioredis";
import type { JobView } from "../../core/jobs/job-service.js";
import { createKeys } from "../../core/jobs/keys.js";

/** A text message (a job's summary, from an older version: summaries are now the status message itself). */
export interface OutboxText {
  kind: "text";
  /** Unique per item. */
  id: string;
  jobId: string;
  /** The job's last item: once it is gone, the job is no longer queued. */
  last: boolean;
  text: string;
}

/** One track as it is sent. */
export interface OutboxTrackInfo {
  trackId: string;
  /** 0-based position in the collection. */
  index: number;
  title: string;
  artists: string[];
  durationSec?: number;
  /** Library-relative path of the file. */
  file: string;
  /** The worker holding the file, when it is on another machine (peer-files.ts). */
  holder?: string;
  /** The file's size, when known (a fetched copy must have it). */
  bytes?: number;
  /** How sure the match is (0-100), shown in the caption when the match is doubtful. */
  confidence?: number;
  /** True when the match is doubtful: sent on its own with a "Wrong song?" button. */
  doubtful?: boolean;
}

interface OutboxFiles {
  id: string;
  jobId: string;
  last: boolean;
  format: JobView["format"];
  /** The collection's library-relative folder (its cover.jpg becomes the thumbnail). */
  folder?: string;
  /** The collection's title, for telling the person which tracks wait. */
  collection?: string;
  /** True when the person gets a download link (said when a track is too big to send here). */
  hasLink: boolean;
  /** How many tracks the collection has, for the captions' "n/N". */
  total?: number;
  /** Set when the message replaces the one already sent for this track (after a fix). */
  replaces?: SentMessage;
}

/** One track to send as audio (or document, for flac/opus), with a "Wrong song?" button. */
export interface OutboxTrack extends OutboxFiles {
  kind: "track";
  track: OutboxTrackInfo;
}

/** 2 to 10 tracks sent as one Telegram album (sendMediaGroup), in collection order. */
export interface OutboxAlbum extends OutboxFiles {
  kind: "album";
  tracks: OutboxTrackInfo[];
}

export type OutboxItem = OutboxText | OutboxTrack | OutboxAlbum;

/** A track's message in a chat: its id, and whether it is part of an album (which cannot carry buttons). */
export interface SentMessage {
  messageId: number;
  inAlbum: boolean;
}

/** Which tracks of a job have been queued for a chat: the appended items cover `from` up to `to` (exclusive). */
export interface CursorMove {
  from: number;
  to: number;
}

export interface OutboxStore {
  /**
   * Appends a job's items to a chat's outbox and moves the job's cursor for the chat (the position of
   * the next track to queue, in the order the job sends its tracks) from `move.from` to `move.to`, both
   * at once; nothing happens (false) when the cursor is not at `move.from` (another pass queued them).
   */
  append(
    chatId: number,
    jobId: string,
    items: readonly OutboxItem[],
    dueAt: number,
    move: CursorMove,
  ): Promise<boolean>;
  /** Where a job's cursor stands for a chat (0 when nothing was queued). */
  cursor(chatId: number, jobId: string): Promise<number>;
  /** Starts a job's tracks over for a chat (the person asked for it again). */
  resetCursor(chatId: number, jobId: string): Promise<void>;
  /** Remembers which message shows a track of a job in a chat (to replace it after a fix), and whether it is in an album. */
  sentMessage(
    chatId: number,
    jobId: string,
    index: number,
    messageId: number,
    inAlbum: boolean,
  ): Promise<void>;
  /** The message showing a track of a job in a chat, when known. */
  messageOf(chatId: number, jobId: string, index: number): Promise<SentMessage | undefined>;
  /** The next item of a chat. */
  head(chatId: number): Promise<OutboxItem | undefined>;
  /** Everything queued for a chat, the next item first. */
  items(chatId: number): Promise<OutboxItem[]>;
  /** Removes `item` if it is the chat's next item (it was sent, or can never be sent). */
  done(chatId: number, item: OutboxItem): Promise<void>;
  /** Puts `items` in place of `item` if it is the chat's next item (an album split into its tracks). */
  replaceHead(chatId: number, item: OutboxItem, items: readonly OutboxItem[]): Promise<void>;
  /** Drops everything queued for a chat (the person blocked the bot or the chat is gone). */
  clear(chatId: number): Promise<void>;
  /** When the chat's next item may be tried (ms since epoch); undefined when nothing is queued. */
  dueAt(chatId: number): Promise<number | undefined>;
  setDueAt(chatId: number, at: number): Promise<void>;
  /** Chats with something queued, and when each may be tried. */
  chats(): Promise<Map<number, number>>;
  /** True once the person was told that this job's tracks wait. */
  told(chatId: number, jobId: string): Promise<boolean>;
  markTold(chatId: number, jobId: string): Promise<void>;
  /**
   * Takes (or extends, when `owner` holds it) the right to send into a chat for `ttlMs`; false when
   * another bot instance holds it.
   */
  claim(chatId: number, owner: string, ttlMs: number): Promise<boolean>;
  release(chatId: number, owner: string): Promise<void>;
}

const appendScript = `
local at = tonumber(redis.call('GET', KEYS[3]) or '0')
if at ~= tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[5])
if #ARGV < 6 then return 1 end
for i = 6, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
redis.call('ZADD', KEYS[2], 'NX', ARGV[1], ARGV[2])
return 1`;

/** How long a job's cursor and sent message ids are kept for a chat (a week: longer than a job is kept). */
const cursorTtlSeconds = 7 * 24 * 3600;

const doneScript = `
local head = redis.call('LINDEX', KEYS[1], 0)
if head and cjson.decode(head)['id'] == ARGV[1] then
  redis.call('LPOP', KEYS[1])
  if ARGV[3] == '1' then
    redis.call('SREM', KEYS[2], ARGV[2])
    redis.call('SREM', KEYS[3], ARGV[2])
  end
end
if redis.call('LLEN', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[4], ARGV[4])
  redis.call('DEL', KEYS[2], KEYS[3])
end
return 1`;

const replaceHeadScript = `
local head = redis.call('LINDEX', KEYS[1], 0)
if not head or cjson.decode(head)['id'] ~= ARGV[1] then return 0 end
redis.call('LPOP', KEYS[1])
for i = #ARGV, 2, -1 do redis.call('LPUSH', KEYS[1], ARGV[i]) end
return 1`;

const claimScript = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

/** The outbox in Redis (survives a restart of the bot). */
export function createRedisOutboxStore(connection: Redis, prefix: string): OutboxStore {
  const { list, jobs, told, lock, due, cursor, sent } = createKeys(prefix).outbox;
  const parse = (raw: string): OutboxItem | undefined => {
    try {
      return JSON.parse(raw) as OutboxItem;
    } catch {
      return undefined;
    }
  };

  return {
    async append(chatId, jobId, items, dueAt, move) {
      const added = await connection.eval(
        appendScript,
        3,
        list(chatId),
        due,
        cursor(jobId, chatId),
        String(dueAt),
        String(chatId),
        String(move.from),
        String(move.to),
        String(cursorTtlSeconds),
        ...items.map((item) => JSON.stringify(item)),
      );
      return added === 1;
    },
    async cursor(chatId, jobId) {
      return Number((await connection.get(cursor(jobId, chatId))) ?? 0);
    },
    async resetCursor(chatId, jobId) {
      await connection.del(cursor(jobId, chatId), sent(jobId, chatId));
    },
    async sentMessage(chatId, jobId, index, messageId, inAlbum) {
      await connection
        .multi()
        .hset(sent(jobId, chatId), String(index), `${messageId}${inAlbum ? "a" : ""}`)
        .expire(sent(jobId, chatId), cursorTtlSeconds)
        .exec();
    },
    async messageOf(chatId, jobId, index) {
      const raw = await connection.hget(sent(jobId, chatId), String(index));
      return raw === null ? undefined : { messageId: Number.parseInt(raw, 10), inAlbum: raw.endsWith("a") };
    },
    async head(chatId) {
      const raw = await connection.lindex(list(chatId), 0);
      return raw === null ? undefined : parse(raw);
    },
    async items(chatId) {
      const raw = await connection.lrange(list(chatId), 0, -1);
      return raw.map(parse).filter((item): item is OutboxItem => item !== undefined);
    },
    async done(chatId, item) {
      await connection.eval(
        doneScript,
        4,
        list(chatId),
        jobs(chatId),
        told(chatId),
        due,
        item.id,
        item.jobId,
        item.last ? "1" : "0",
        String(chatId),
      );
    },
    async replaceHead(chatId, item, items) {
      await connection.eval(
        replaceHeadScript,
        1,
        list(chatId),
        item.id,
        ...items.map((i) => JSON.stringify(i)),
      );
    },
    async clear(chatId) {
      await connection.multi().del(list(chatId), jobs(chatId), told(chatId)).zrem(due, String(chatId)).exec();
    },
    async dueAt(chatId) {
      const score = await connection.zscore(due, String(chatId));
      return score === null ? undefined : Number(score);
    },
    async setDueAt(chatId, at) {
      await connection.zadd(due, "XX", String(at), String(chatId));
    },
    async chats() {
      const flat = await connection.zrange(due, "0", "-1", "WITHSCORES");
      const out = new Map<number, number>();
      for (let i = 0; i + 1 < flat.length; i += 2) out.set(Number(flat[i]), Number(flat[i + 1]));
      return out;
    },
    async told(chatId, jobId) {
      return (await connection.sismember(told(chatId), jobId)) === 1;
    },
    async markTold(chatId, jobId) {
      await connection.sadd(told(chatId), jobId);
    },
    async claim(chatId, owner, ttlMs) {
      return (await connection.eval(claimScript, 1, lock(chatId), owner, String(ttlMs))) === 1;
    },
    async release(chatId, owner) {
      await connection.eval(releaseScript, 1, lock(chatId), owner);
    },
  };
}

/** The same outbox in memory: for a bot without Redis; it does not outlive the process. */
export function createMemoryOutboxStore(): OutboxStore {
  const chats = new Map<number, { items: OutboxItem[]; told: Set<string>; due: number }>();
  const cursors = new Map<string, number>();
  const sent = new Map<string, SentMessage>();
  return {
    append(chatId, jobId, items, dueAt, move) {
      if ((cursors.get(`${jobId}:${chatId}`) ?? 0) !== move.from) return Promise.resolve(false);
      cursors.set(`${jobId}:${chatId}`, move.to);
      if (items.length === 0) return Promise.resolve(true);
      let chat = chats.get(chatId);
      if (chat === undefined) {
        chat = { items: [], told: new Set(), due: dueAt };
        chats.set(chatId, chat);
      }
      chat.items.push(...items.map((item) => structuredClone(item)));
      return Promise.resolve(true);
    },
    head: (chatId) => Promise.resolve(chats.get(chatId)?.items[0]),
    items: (chatId) => Promise.resolve([...(chats.get(chatId)?.items ?? [])]),
    done(chatId, item) {
      const chat = chats.get(chatId);
      if (chat !== undefined && chat.items[0]?.id === item.id) {
        chat.items.shift();
        if (item.last) chat.told.delete(item.jobId);
      }
      if (chat !== undefined && chat.items.length === 0) chats.delete(chatId);
      return Promise.resolve();
    },
    replaceHead(chatId, item, items) {
      const chat = chats.get(chatId);
      if (chat !== undefined && chat.items[0]?.id === item.id)
        chat.items.splice(0, 1, ...items.map((i) => structuredClone(i)));
      return Promise.resolve();
    },
    clear(chatId) {
      chats.delete(chatId);
      return Promise.resolve();
    },
    dueAt: (chatId) => Promise.resolve(chats.get(chatId)?.due),
    setDueAt(chatId, at) {
      const chat = chats.get(chatId);
      if (chat !== undefined) chat.due = at;
      return Promise.resolve();
    },
    chats: () => Promise.resolve(new Map([...chats].map(([id, chat]) => [id, chat.due]))),
    told: (chatId, jobId) => Promise.resolve(chats.get(chatId)?.told.has(jobId) ?? false),
    markTold(chatId, jobId) {
      chats.get(chatId)?.told.add(jobId);
      return Promise.resolve();
    },
    claim: () => Promise.resolve(true),
    release: () => Promise.resolve(),
    cursor: (chatId, jobId) => Promise.resolve(cursors.get(`${jobId}:${chatId}`) ?? 0),
    resetCursor(chatId, jobId) {
      cursors.delete(`${jobId}:${chatId}`);
      for (const key of sent.keys()) if (key.startsWith(`${jobId}:${chatId}:`)) sent.delete(key);
      return Promise.resolve();
    },
    sentMessage(chatId, jobId, index, messageId, inAlbum) {
      sent.set(`${jobId}:${chatId}:${index}`, { messageId, inAlbum });
      return Promise.resolve();
    },
    messageOf: (chatId, jobId, index) => Promise.resolve(sent.get(`${jobId}:${chatId}:${index}`)),
  };
}
