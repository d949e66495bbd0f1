/**
 * Ordered, idempotent, deadline-bounded shutdown. Steps run in the order they were added (stop intake
 * first, close Redis and flush logs last); a step that fails or hangs does not stop the ones after it.
 */
import type { Logger } from "pino";

export interface ShutdownStep {
  name: string;
  run: () => Promise<void> | void;
}

export interface Shutdown {
  /** Add a step; steps run in the order added. */
  add(name: string, run: ShutdownStep["run"]): void;
  /** Run every step once; later calls return the same promise. Resolves true when all finished in time. */
  run(reason: string): Promise<boolean>;
  /** Resolves when a shutdown has started (for example on SIGTERM). */
  readonly started: Promise<string>;
  /** True once a shutdown has started: start-up checks it between pieces and stops starting. */
  readonly requested: boolean;
  /** Milliseconds left before the deadline (the whole deadline before a shutdown started). */
  remainingMs(): number;
  /**
   * A shutdown that starts during start-up first waits (within the deadline) for `startup` to settle, so
   * the steps it registers run, or its own clean-up on failure has finished.
   */
  waitForStartup(startup: Promise<unknown>): void;
  /** SIGINT/SIGTERM start the shutdown; a second signal exits at once. Returns a function that removes the handlers. */
  installSignalHandlers(onDone?: (clean: boolean) => void): () => void;
}

export function createShutdown(options: { deadlineMs: number; logger?: Logger }): Shutdown {
  const steps: ShutdownStep[] = [];
  let running: Promise<boolean> | undefined;
  let markStarted: (reason: string) => void = () => undefined;
  const started = new Promise<string>((resolve) => (markStarted = resolve));
  let requested = false;
  let deadline: number | undefined;
  let startup: Promise<unknown> | undefined;

  const run = (reason: string): Promise<boolean> => {
    running ??= (async () => {
      requested = true;
      markStarted(reason);
      options.logger?.info({ reason, deadlineMs: options.deadlineMs }, "shutting down");
      const end = Date.now() + options.deadlineMs;
      deadline = end;
      let clean = true;
      let outOfTime = false;
      if (startup) {
        let timer: NodeJS.Timeout | undefined;
        const settled = await Promise.race([
          startup.then(
            () => true,
            () => true,
          ),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), options.deadlineMs))),
        ]);
        clearTimeout(timer);
        if (!settled) {
          options.logger?.warn("shutdown deadline passed while starting up");
          outOfTime = true;
          clean = false;
        }
      }
      for (const step of steps) {
        const left = end - Date.now();
        // A timer may fire a millisecond before Date.now() reaches the deadline, so a step that ran out of
        // time marks the deadline as passed itself rather than trusting the clock.
        if (outOfTime || left <= 0) {
          options.logger?.warn({ step: step.name }, "shutdown deadline passed; step skipped");
          clean = false;
          continue;
        }
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          Promise.resolve()
            .then(step.run)
            .then(() => "done" as const),
          new Promise<"timeout">((resolve) => {
            timer = setTimeout(() => resolve("timeout"), left);
          }),
        ]).catch((err: unknown) => {
          options.logger?.error({ err, step: step.name }, "shutdown step failed");
          return "failed" as const;
        });
        clearTimeout(timer);
        if (outcome === "timeout") {
          outOfTime = true;
          options.logger?.warn({ step: step.name }, "shutdown step ran out of time");
        }
        if (outcome !== "done") clean = false;
      }
      options.logger?.info({ clean }, "shutdown finished");
      return clean;
    })();
    return running;
  };

  return {
    add(name, stepRun) {
      steps.push({ name, run: stepRun });
    },
    run,
    started,
    get requested() {
      return requested;
    },
    remainingMs: () => (deadline === undefined ? options.deadlineMs : Math.max(0, deadline - Date.now())),
    waitForStartup(promise) {
      startup = promise;
    },
    installSignalHandlers(onDone) {
      let signals = 0;
      const handler = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals > 1) {
          options.logger?.warn({ signal }, "second signal: exiting now");
          process.exit(130);
        }
        void run(signal).then((clean) => onDone?.(clean));
      };
      process.on("SIGINT", handler);
      process.on("SIGTERM", handler);
      return () => {
        process.off("SIGINT", handler);
        process.off("SIGTERM", handler);
      };
    },
  };
}
