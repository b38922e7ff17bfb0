import type { TrialStatus } from "./state.js";

/**
 * What a running sweep reports. The plain logger, the Ink view and `--json` (NDJSON) all read these;
 * the runner never prints.
 */
export type SweepEvent =
  | {
      type: "sweep_start";
      sweep: string;
      dir: string;
      trials: number;
      /** Trials that run (valid and not a duplicate of an earlier one). */
      unique: number;
      /** Of those, already completed (a resume) and skipped. */
      done: number;
      toRun: number;
      parallel: number;
    }
  | { type: "trial_start"; index: number; assignment: string; hash: string; attempt: number; resumeFrom: string | null; pid: number | null }
  | { type: "trial_run_dir"; index: number; runDir: string; startStep: number; totalSteps: number }
  | { type: "trial_progress"; index: number; step: number; totalSteps: number; loss: number }
  | { type: "trial_phase"; index: number; phase: "evaluating"; protocol: string }
  | {
      type: "trial_end";
      index: number;
      assignment: string;
      status: Exclude<TrialStatus, "pending" | "running">;
      exitCode: number | null;
      signal: string | null;
      metric: number | null;
      finalLoss: number | null;
      steps: number | null;
      seconds: number;
      runDir: string | null;
      error: string | null;
      log: string;
    }
  | { type: "sweep_stopping"; running: number; abort: boolean }
  | { type: "sweep_end"; status: "completed" | "failed" | "stopped"; completed: number; failed: number; stopped: number; pending: number; seconds: number; dir: string };

export type SweepEventListener = (event: SweepEvent) => void;
