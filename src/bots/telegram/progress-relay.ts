/**
 * The progress relay: a status message per job and chat (the same link asked in a private chat and a
 * group is one job, shown in both), edited as progress events arrive. At most one edit per chat every
 * `editIntervalMs` (the latest state wins; identical text is skipped; "message is not modified" counts as
 * success). As tracks end, the ones ready in order go to every chat that follows the job (delivery.ts);
 * when the job ends its status message becomes the summary (no separate summary message) and the tracks
 * not sent yet follow, in every chat that asked. Which
 * message shows which job in which chat is kept in the job store (JobService.setRelay), so a restarted
 * bot picks the relays up again with `resume()`; a periodic re-read covers progress events lost on the
 * way (they are best effort).
 */
import { GrammyError, type Api, type InlineKeyboard } from "grammy";
import { endedView, type JobService, type JobView } from "../../core/jobs/job-service.js";
import type { ProgressSubscription } from "../../core/jobs/progress-broker.js";
import type { TrackResults } from "../../core/jobs/track-results.js";
import type { Logger } from "../../core/log.js";
import { isMessageGone, isNotModified } from "./api-error-counter.js";
import { apiSignal } from "./api-signal.js";
import type { Delivery } from "./delivery.js";
import {
  isFinalStage,
  renderJobMessage,
  renderResumed,
  snapshotOfEvent,
  snapshotOfView,
  type ProgressSnapshot,
} from "./render.js";

export interface ProgressRelayOptions {
  api: Api;
  jobs: Pick<JobService, "peek" | "setRelay" | "relays" | "clearRelay">;
  progress: Pick<ProgressSubscription, "onProgress" | "onFinished">;
  delivery: Pick<Delivery, "deliver" | "sendReady" | "summary" | "restart">;
  /** Track results as they end (absent: tracks go to the chat only when the job ends). */
  trackResults?: Pick<TrackResults, "read">;
  logger: Logger;
  editIntervalMs: number;
  reconcileIntervalMs: number;
  /** Aborted when the bot gives up waiting at stop(). */
  signal: AbortSignal;
  /** Registers background work so stop() can wait for it. */
  track<T>(work: Promise<T>): Promise<T>;
}

export interface ProgressRelay {
  /**
   * Show a job in a message that was just sent (its text is `text`), and remember that in the job store.
   * A job followed in other chats stays followed there too; in the same chat the new message replaces
   * the old one.
   */
  follow(view: JobView, target: { chatId: number; messageId: number }, text: string): Promise<void>;
  /** Whether the job is shown in a message in `chatId` (in any chat when absent). */
  isFollowing(jobId: string, chatId?: number): boolean;
  /** Re-read a job now (after a cancel, or an event that said it ended). */
  refresh(jobId: string): Promise<void>;
  /** Pick up every relay (job and chat) in the job store this instance does not follow yet; returns how many. */
  resume(): Promise<number>;
  /** Attach to the progress subscription and start the periodic re-read. */
  start(): void;
  /** Detach and stop timers (running edits finish; stop() of the bot waits for them). Idempotent. */
  stop(): void;
}

/** One job as shown in one chat. */
interface Followed {
  jobId: string;
  chatId: number;
  messageId: number;
  snapshot: ProgressSnapshot;
  /** The job as last read (whose it is, link, format): with a final event's result it is the final view. */
  view: JobView;
  lastText?: string;
  finalView?: JobView;
  /** Set while its tracks wait for YouTube; the person gets one message when they go on. */
  wasWaiting?: boolean;
}

/** Per job: reading its ended tracks (one read at a time; another is asked for while one runs). */
interface Pull {
  running: boolean;
  again: boolean;
  /** Tracks ended at the last read (done + failed + review), to skip reads when nothing ended. */
  ended: number;
}

interface Lane {
  chatId: number;
  lastEditAt: number;
  busy: boolean;
  timer?: NodeJS.Timeout;
  dirty: Set<string>;
}

export function createProgressRelay(options: ProgressRelayOptions): ProgressRelay {
  const { api, jobs, logger, signal } = options;
  /** Job id → chat id → how the job is shown there. */
  const followed = new Map<string, Map<number, Followed>>();
  const lanes = new Map<number, Lane>();
  const pulls = new Map<string, Pull>();
  let started = false;
  let stopped = false;
  let sweep: NodeJS.Timeout | undefined;

  const background = (work: () => Promise<void>, what: string) => {
    options.track(work()).catch((err: unknown) => {
      if (!signal.aborted) logger.warn({ err }, `progress relay: ${what} failed`);
    });
  };

  const followedIn = (jobId: string, chatId: number) => followed.get(jobId)?.get(chatId);
  const followersOf = (jobId: string): Followed[] => [...(followed.get(jobId)?.values() ?? [])];

  function add(f: Followed): void {
    let chats = followed.get(f.jobId);
    if (chats === undefined) {
      chats = new Map();
      followed.set(f.jobId, chats);
    }
    chats.set(f.chatId, f);
  }

  /** Stops showing the job in f's chat (only if f is still the one shown there). */
  function remove(f: Followed): void {
    const chats = followed.get(f.jobId);
    if (chats?.get(f.chatId) !== f) return;
    chats.delete(f.chatId);
    if (chats.size === 0) {
      followed.delete(f.jobId);
      // Its track reads end with it (a read under way removes its entry when it ends).
      if (pulls.get(f.jobId)?.running !== true) pulls.delete(f.jobId);
    }
  }

  function laneOf(chatId: number): Lane {
    let lane = lanes.get(chatId);
    if (lane === undefined) {
      lane = { chatId, lastEditAt: 0, busy: false, dirty: new Set() };
      lanes.set(chatId, lane);
    }
    return lane;
  }

  function markDirty(f: Followed): void {
    const lane = laneOf(f.chatId);
    lane.dirty.add(f.jobId);
    schedule(lane);
  }

  function schedule(lane: Lane): void {
    if (stopped || lane.busy || lane.timer !== undefined || lane.dirty.size === 0) return;
    const wait = Math.max(0, lane.lastEditAt + options.editIntervalMs - Date.now());
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      background(() => flush(lane), "edit");
    }, wait);
  }

  /** Finals first, then the job whose state changed longest ago. */
  function pick(lane: Lane): Followed | undefined {
    let first: Followed | undefined;
    for (const jobId of lane.dirty) {
      const f = followedIn(jobId, lane.chatId);
      if (f === undefined) {
        lane.dirty.delete(jobId);
        continue;
      }
      if (f.finalView !== undefined) return f;
      first ??= f;
    }
    return first;
  }

  async function flush(lane: Lane): Promise<void> {
    if (stopped) return;
    lane.busy = true;
    try {
      for (;;) {
        const f = pick(lane);
        if (f === undefined) return;
        lane.dirty.delete(f.jobId);
        const final = f.finalView;
        const { text, keyboard } =
          final !== undefined ? await summaryOf(final) : renderJobMessage(f.snapshot);
        let edited = false;
        if (text !== f.lastText) {
          edited = true;
          try {
            await edit(f, text, keyboard);
          } catch (err) {
            if (signal.aborted) throw err;
            logger.warn({ err, jobId: f.jobId }, "progress relay: edit failed");
          }
        }
        if (final !== undefined && !stopped && followedIn(f.jobId, f.chatId) === f) {
          remove(f);
          background(() => finish(f, final), "delivery");
        }
        if (edited) {
          lane.lastEditAt = Date.now();
          return;
        }
        // Nothing was sent: the next dirty job may go at once.
      }
    } finally {
      lane.busy = false;
      schedule(lane);
    }
  }

  /** Edits the status message, handling Telegram's answers that are not really failures. */
  async function edit(f: Followed, text: string, keyboard: InlineKeyboard | undefined): Promise<void> {
    const markup = keyboard ? { reply_markup: keyboard } : {};
    try {
      await api.editMessageText(f.chatId, f.messageId, text, markup, apiSignal(signal));
      f.lastText = text;
    } catch (err) {
      if (!(err instanceof GrammyError)) throw err;
      if (isNotModified(err.description)) {
        f.lastText = text;
      } else if (isMessageGone(err.description)) {
        // The person deleted the status message: show the job in a new one.
        const message = await api.sendMessage(f.chatId, text, markup, apiSignal(signal));
        f.messageId = message.message_id;
        f.lastText = text;
        await jobs.setRelay(f.jobId, { chatId: f.chatId, messageId: f.messageId });
      } else if (err.error_code === 403 || /chat not found/i.test(err.description)) {
        logger.info({ jobId: f.jobId, chatId: f.chatId }, "progress relay: chat unreachable, dropping relay");
        remove(f);
        await jobs.clearRelay(f.jobId, f.chatId);
      } else {
        throw err;
      }
    }
  }

  /** The summary an ended job's status message becomes (the plain final status if it cannot be made). */
  async function summaryOf(view: JobView): Promise<{ text: string; keyboard?: InlineKeyboard }> {
    try {
      return await options.delivery.summary(view);
    } catch (err) {
      logger.warn({ err, jobId: view.id }, "progress relay: could not make the summary");
      return renderJobMessage(view);
    }
  }

  /**
   * Reads a job's ended tracks and queues the ones now ready in order for every chat that follows it
   * while it runs. One read per job at a time; asked again meanwhile, it reads once more afterwards.
   */
  function pull(jobId: string, endedNow?: number): void {
    if (options.trackResults === undefined || stopped) return;
    let p = pulls.get(jobId);
    if (p === undefined) {
      p = { running: false, again: false, ended: 0 };
      pulls.set(jobId, p);
    }
    if (endedNow !== undefined && endedNow <= p.ended && !p.running) return;
    if (p.running) {
      p.again = true;
      return;
    }
    const state = p;
    state.running = true;
    background(async () => {
      try {
        do {
          state.again = false;
          const ended = await options.trackResults!.read(jobId);
          state.ended = Math.max(state.ended, ended.size);
          let again: number | undefined;
          for (const f of followersOf(jobId)) {
            if (f.finalView !== undefined) continue;
            const view = { ...f.view, total: Math.max(f.view.total, f.snapshot.total) };
            const at = await options.delivery.sendReady(
              view,
              f.chatId,
              ended,
              logger.child({ jobId, chatId: f.chatId }),
            );
            if (at !== undefined) again = Math.min(again ?? at, at);
          }
          // Tracks held back to go together as an album: look again when their wait is over.
          if (again !== undefined && !stopped)
            setTimeout(() => pull(jobId), Math.max(0, again - Date.now())).unref();
        } while (state.again && !stopped);
      } finally {
        state.running = false;
        if (!followed.has(jobId)) pulls.delete(jobId);
      }
    }, "sending ready tracks");
  }

  async function finish(f: Followed, view: JobView): Promise<void> {
    const log = logger.child({ jobId: f.jobId, chatId: f.chatId });
    await options.delivery.deliver(view, f.chatId, log, signal);
    await jobs.clearRelay(f.jobId, f.chatId);
    log.info({ stage: view.stage }, "job delivered");
  }

  /** Re-reads a job and shows it in every chat that follows it. */
  async function refresh(jobId: string): Promise<void> {
    const running = () => followersOf(jobId).filter((f) => f.finalView === undefined);
    if (running().length === 0) return;
    const view = await jobs.peek(jobId);
    for (const f of running()) {
      if (view === undefined) {
        remove(f);
        await jobs.clearRelay(jobId, f.chatId);
        continue;
      }
      f.view = view;
      if (isFinalStage(view.stage)) f.finalView = view;
      else {
        f.snapshot = snapshotOfView(view);
        noteWaiting(f);
      }
      markDirty(f);
    }
    if (running().length > 0) pull(jobId);
  }

  /** Tell the person once when their waiting tracks go on (the status message showed the wait). */
  function noteWaiting(f: Followed): void {
    if (f.snapshot.waiting !== undefined) {
      f.wasWaiting = true;
      return;
    }
    const current = f.snapshot.current?.step;
    if (f.wasWaiting !== true || current === undefined || current === "waiting") return;
    f.wasWaiting = false;
    background(async () => {
      await api.sendMessage(f.chatId, renderResumed(f.snapshot), {}, apiSignal(signal));
    }, "resume notice");
  }

  return {
    async follow(view, target, text) {
      // Asked again once it ended: its tracks go to the chat again, from the first.
      if (isFinalStage(view.stage)) await options.delivery.restart(view.id, target.chatId);
      await jobs.setRelay(view.id, { chatId: target.chatId, messageId: target.messageId });
      const f: Followed = { jobId: view.id, ...target, snapshot: snapshotOfView(view), view, lastText: text };
      if (isFinalStage(view.stage)) f.finalView = view;
      add(f);
      if (f.finalView !== undefined) markDirty(f);
    },

    isFollowing: (jobId, chatId) =>
      chatId === undefined ? followed.has(jobId) : followedIn(jobId, chatId) !== undefined,

    refresh: (jobId) => options.track(refresh(jobId)),

    async resume() {
      const stored = await jobs.relays();
      let count = 0;
      for (const [jobId, targets] of stored) {
        const fresh = targets.filter((t) => followedIn(jobId, t.chatId) === undefined);
        if (fresh.length === 0) continue;
        const view = await jobs.peek(jobId);
        for (const target of fresh) {
          if (view === undefined) {
            await jobs.clearRelay(jobId, target.chatId);
            continue;
          }
          if (followedIn(jobId, target.chatId) !== undefined) continue;
          const f: Followed = {
            jobId,
            chatId: target.chatId,
            messageId: target.messageId,
            snapshot: snapshotOfView(view),
            view,
          };
          if (isFinalStage(view.stage)) f.finalView = view;
          add(f);
          markDirty(f);
          count += 1;
        }
      }
      return count;
    },

    start() {
      if (started) return;
      started = true;
      // The subscription has no way to detach: listeners check `stopped` instead.
      options.progress.onProgress((event) => {
        if (stopped) return;
        const running = followersOf(event.jobId).filter((f) => f.finalView === undefined);
        if (running.length === 0) return;
        if (isFinalStage(event.stage) && !event.result) {
          background(() => refresh(event.jobId), "refresh");
          return;
        }
        for (const f of running) {
          f.snapshot = snapshotOfEvent(event, f.snapshot);
          noteWaiting(f);
          // The final event carries the result: show and deliver it without reading the job again.
          if (isFinalStage(event.stage) && event.result) f.finalView = endedView(f.view, event.result);
          markDirty(f);
        }
        if (!isFinalStage(event.stage)) pull(event.jobId, event.done + event.failed + event.needsReview);
      });
      options.progress.onFinished((jobId) => {
        if (stopped || !followed.has(jobId)) return;
        background(() => refresh(jobId), "refresh");
      });
      sweep = setInterval(() => {
        for (const jobId of followed.keys()) {
          if (followersOf(jobId).some((f) => f.finalView === undefined))
            background(() => refresh(jobId), "re-read");
        }
        const idleSince = Date.now() - options.editIntervalMs;
        for (const [chatId, lane] of lanes) {
          if (
            !lane.busy &&
            lane.timer === undefined &&
            lane.dirty.size === 0 &&
            lane.lastEditAt < idleSince
          ) {
            lanes.delete(chatId);
          }
        }
      }, options.reconcileIntervalMs);
      sweep.unref();
    },

    stop() {
      stopped = true;
      if (sweep !== undefined) clearInterval(sweep);
      for (const lane of lanes.values()) {
        if (lane.timer !== undefined) clearTimeout(lane.timer);
        lane.timer = undefined;
      }
      pulls.clear();
    },
  };
}
