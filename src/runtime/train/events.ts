/**
 * The runtime's typed events. Training code never prints: the same events feed the Ink dashboard,
 * the plain line logger, `--json` (NDJSON), the run directory's event log, and tests.
 */

export interface BackendEvent {
  name: "tensorflow" | "wasm" | "cpu";
  version: string;
  simd?: boolean;
  threads?: number;
  reason: string;
  nativeFound: boolean;
}

export type RunEvent =
  | {
      type: "run_start";
      time: string;
      experiment: string;
      hash: string;
      runDir: string;
      backend: BackendEvent;
      data: { source: string; images: number | null; workers: number };
      totalSteps: number;
      startStep: number;
      globalBatch: number;
      microBatch: number;
      parameters: number;
      resumedFrom: string | null;
    }
  | {
      type: "step";
      step: number;
      totalSteps: number;
      loss: number;
      lr: number;
      imagesPerSecond: number;
      stepMs: number;
      dataWaitMs: number;
      /** Distinct prototypes chosen by the codes in this batch, per assigned crop (averaged). */
      prototypesUsed: number;
      prototypes: number;
      /** Entropy of the batch-mean assignment, in nats; ln K is even use. */
      assignmentEntropy: number;
      maxEntropy: number;
      prototypesFrozen: boolean;
      queueActive: boolean;
      memory: { rssBytes: number; tensors: number; tensorBytes: number };
    }
  | { type: "checkpoint"; step: number; path: string; reason: "interval" | "requested" | "stop" | "final" }
  | { type: "skipped_files"; total: number; files: Array<{ path: string; reason: string }> }
  | { type: "warning"; code?: string; message: string }
  | { type: "eval_start"; protocol: string; images: number | null }
  | { type: "eval_result"; protocol: string; metrics: Record<string, number>; perClass?: number[]; confusion?: number[][]; classNames?: string[] }
  | { type: "run_end"; status: "completed" | "stopped" | "failed"; steps: number; wallSeconds: number; finalLoss: number | null; reason?: string };

export type RunEventListener = (event: RunEvent) => void;
