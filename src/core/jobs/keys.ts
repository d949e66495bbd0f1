/**
 * Redis key names. BullMQ owns `{prefix}:{queue}:*`; this service's own keys live under `{prefix}:x:`.
 */
export const QUEUE_COLLECTIONS = "collections";
export const QUEUE_TRACKS = "tracks";
export const QUEUE_BURN = "burn";

export function createKeys(prefix: string) {
  const own = `${prefix}:x`;
  return {
    prefix,
    dedupe: (hash: string) => `${own}:dedupe:${hash}`,
    userJobs: (userId: number) => `${own}:user:${userId}:jobs`,
    trackProgress: (jobId: string) => `${own}:tp:${jobId}`,
    /** Hash index → TrackResult JSON of a collection's tracks that have ended, as they end (for the chat). */
    trackResults: (jobId: string) => `${own}:tr:${jobId}`,
    cancelFlag: (jobId: string) => `${own}:cancel:${jobId}`,
    /** The job record (job-record.ts): whose, stage, result. */
    job: (jobId: string) => `${own}:job:${jobId}`,
    /** Hash `{jobId}:{chatId}` → the message showing that job in that chat (JobService.setRelay). */
    relay: `${own}:relay`,
    cancelChannel: `${own}:cancel`,
    /**
     * A person's fix of a track's match (match-overrides.ts): the YouTube video every later request of
     * this Spotify track uses, in any format, for anyone. No expiry: a correction stays true.
     */
    override: (trackId: string) => `${own}:override:${trackId}`,
    /** The track cache's prefix (track-cache.ts): its keys are `{trackCachePrefix}:track:{id}:{format}`. */
    trackCachePrefix: own,
    /** A service-wide pause of an outside service (see service-pauses.ts); expires by itself. */
    pause: (service: string) => `${own}:pause:${service}`,
    /** The last hour's YouTube downloads (a sorted set of slots), for the hourly budget. */
    youtubeBudget: `${own}:budget:youtube`,
    /** Operator notices (a capped stream), their once-keys, and the bot's read cursor. */
    notices: `${own}:notices`,
    noticeOnce: (key: string) => `${own}:notice-once:${key}`,
    noticesCursor: `${own}:notices:cursor`,
    /** The bot's delivery outbox per chat (src/bots/telegram/delivery-outbox.ts). */
    outbox: {
      list: (chatId: number) => `${own}:tg:outbox:${chatId}`,
      jobs: (chatId: number) => `${own}:tg:outbox-jobs:${chatId}`,
      told: (chatId: number) => `${own}:tg:outbox-told:${chatId}`,
      lock: (chatId: number) => `${own}:tg:outbox-lock:${chatId}`,
      due: `${own}:tg:outbox-due`,
      /** Per job and chat: the next track index to queue (tracks are sent in order as they end). */
      cursor: (jobId: string, chatId: number) => `${own}:tg:outbox-cursor:${jobId}:${chatId}`,
      /** Per job and chat: hash track index → message id of the audio sent (to replace it after a fix). */
      sent: (jobId: string, chatId: number) => `${own}:tg:sent:${jobId}:${chatId}`,
    },
    /** Download packages (sorted set): content key -> until when links to it may be live (package-store.ts). */
    packages: `${own}:packages`,
    /** The key signing download links and peer-file tokens, when not set in the environment (link-signer.ts). */
    linkSecret: `${own}:link-secret`,
    /** Everyone's recent job ids by time (sorted set), for an admin's `/status all` (JobService.listAll). */
    recentJobs: `${own}:jobs:recent`,
    /** A person's own choices in /settings (format, quality, delivery), as JSON (person-settings.ts). */
    personSettings: (userId: number) => `${own}:user:${userId}:settings`,
  };
}
export type Keys = ReturnType<typeof createKeys>;
