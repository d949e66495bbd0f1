/**
 * The admin's texts in the chat: `/status all` (everyone's latest jobs) and `/burn` (the disc plan with
 * its Simulate and Burn buttons, and the refusals around it). Burn progress itself is drawn by the burn
 * relay (core/burn/burn-relay.ts `renderBurn`), the same text the admin chat has always shown.
 */
import { InlineKeyboard } from "grammy";
import type { BurnPlanView } from "../../core/burn/burn-service.js";
import { formatSectors } from "../../core/burn/disc-planner.js";
import { parseJobId } from "../../core/jobs/job-id.js";
import type { JobView } from "../../core/jobs/job-service.js";
import { displayTitle, fitMessage, isFinalStage, renderStatusLine } from "./render.js";

/** The one-line refusal a person (not an admin) gets for an admin command. */
export function adminOnly(command: string): string {
  return `${command} is for the bot's admins only.`;
}

/** One line of `/status all`: who, then the job's own /status line, with counts while it runs. */
export function renderAllJobsLine(view: JobView): string {
  const counts =
    !isFinalStage(view.stage) && view.total > 0
      ? ` (${view.done}/${view.total} ready${view.failed > 0 ? `, ${view.failed} failed` : ""})`
      : "";
  return `user ${view.owner.userId} · ${renderStatusLine(view)}${counts}`;
}

/** The answer to an admin's `/status all`: everyone's latest jobs, newest first, one line each. */
export function renderAllJobsList(views: JobView[]): string {
  if (views.length === 0) return "Nobody has a job yet (or they all expired).";
  return fitMessage(
    [`Everyone's latest ${views.length} job${views.length === 1 ? "" : "s"}, newest first:`],
    views.map(renderAllJobsLine),
    ["", "/status <id> shows one job; /burn <id> plans a CD of a finished one."],
  );
}

export const burnUsage =
  "Usage: /burn <job id> (7 letters and digits, like ab3def7): shows the disc plan of a finished collection, with Simulate and Burn buttons.";

/** Callback data of a burn button: `b:<s|w>:<jobId>:<disc>` (at most 16 bytes; Telegram allows 64). */
export function burnData(action: "simulate" | "write", jobId: string, disc: number): string {
  return `b:${action === "simulate" ? "s" : "w"}:${jobId}:${disc}`;
}

/** Matches the callback data of any burn button (parse it with {@link parseBurnData}). */
export const burnDataPattern = /^b:/;

/** The burn a button asks for, or undefined for data this version does not know. */
export function parseBurnData(data: string): { simulate: boolean; jobId: string; disc: number } | undefined {
  const m = /^b:([sw]):([^:]+):(\d{1,2})$/.exec(data);
  const jobId = parseJobId(m?.[2] ?? "");
  const disc = Number(m?.[3]);
  if (m === null || jobId === undefined || !(disc >= 1)) return undefined;
  return { simulate: m[1] === "s", jobId, disc };
}

/** Discs that get buttons (a plan longer than this is burned disc by disc through the HTTP route). */
export const maxDiscButtons = 10;

/** The plan's buttons: Simulate and Burn for each disc (one row per disc). */
export function burnKeyboard(jobId: string, plan: BurnPlanView): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  const several = plan.discs.length > 1;
  for (const disc of plan.discs.slice(0, maxDiscButtons)) {
    const which = several ? ` disc ${disc.disc}` : "";
    keyboard
      .text(`🧪 Simulate${which}`, burnData("simulate", jobId, disc.disc))
      .text(`💿 Burn${which}`, burnData("write", jobId, disc.disc))
      .row();
  }
  return keyboard;
}

/** The disc plan as the admin reads it before anything is written: discs, minutes, what is left out. */
export function renderBurnPlan(jobId: string, plan: BurnPlanView): string {
  const blank = formatSectors(plan.capacitySectors);
  const trackCount = plan.discs.reduce((n, d) => n + d.tracks.length, 0);
  const head = [
    `💿 ${displayTitle(plan.title)} (job ${jobId})`,
    `${plan.discs.length} disc${plan.discs.length === 1 ? "" : "s"}, ${trackCount} track${trackCount === 1 ? "" : "s"} (blank: ${blank})`,
    ...plan.discs.map(
      (d) =>
        `Disc ${d.disc}: ${d.tracks.length} track${d.tracks.length === 1 ? "" : "s"}, ${d.length} of ${blank}`,
    ),
  ];
  const body: string[] = [];
  if (plan.rejected.length > 0) {
    body.push(
      "",
      `Left out (${plan.rejected.length}):`,
      ...plan.rejected.map(
        (r) => `${r.index + 1}. ${displayTitle(r.title, 80)}: ${displayTitle(r.reason, 160)}`,
      ),
    );
  }
  const tail = [
    "",
    "🧪 Simulate runs the whole burn with the laser off; 💿 Burn writes the blank in the burner's drive. Either checks the drive first.",
  ];
  if (plan.discs.length > maxDiscButtons) {
    tail.push(`Buttons for discs 1–${maxDiscButtons} only; burn the others with POST /admin/burn.`);
  }
  return fitMessage(head, body, tail);
}

/** Said when nothing listens on the burn queue, instead of queuing a burn nobody would take. */
export const noBurnerText =
  "💿❌ No burner is running, so nothing can check the drive or burn: start the burner role (cd-collector start --role burner, or --role all) on the machine with the CD writer, then press again.";

/** The answer to a pressed button once the burn is queued; progress follows in its own message. */
export function renderBurnQueued(burnId: string, simulate: boolean, disc: number): string {
  return `${simulate ? "🧪 Simulating" : "💿 Burning"} disc ${disc}: queued as burn ${burnId}. The burner checks the drive first; progress follows here.`;
}
