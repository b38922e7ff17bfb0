// Scripted run events for the dashboard and plain-logger tests: a run's events written by hand, so
// every figure on screen can be checked against numbers chosen here.
import type { RunEvent } from "../../src/runtime/train/events.js";

type StepEvent = Extract<RunEvent, { type: "step" }>;
type RunStart = Extract<RunEvent, { type: "run_start" }>;

export const HASH = "9bf9b8f8360b05880bc7b0224184f73adb7c0d105cb0e37e4685414839288bf5";
export const T0 = Date.parse("2026-11-29T17:00:00.000Z");

export function runStart(overrides: Partial<RunStart> = {}): RunStart {
  return {
    type: "run_start",
    time: new Date(T0).toISOString(),
    experiment: "quickstart",
    hash: HASH,
    runDir: "runs/quickstart-9bf9b8f8-20261129-170000Z",
    backend: { name: "wasm", version: "4.22.0", simd: true, threads: 1, reason: "wasm backend requested", nativeFound: false },
    data: { source: "synthetic(images=2048, classes=10, size=64, seed=0)", images: 2048, workers: 1 },
    totalSteps: 80,
    startStep: 0,
    globalBatch: 32,
    microBatch: 32,
    parameters: 3061388,
    resumedFrom: null,
    ...overrides,
  };
}

export function step(n: number, overrides: Partial<StepEvent> = {}): StepEvent {
  return {
    type: "step",
    step: n,
    totalSteps: 80,
    loss: 5 - 0.01 * n,
    lr: 0.05 * n,
    imagesPerSecond: 32,
    stepMs: 800,
    dataWaitMs: 200,
    prototypesUsed: 30,
    prototypes: 100,
    assignmentEntropy: 4.5,
    maxEntropy: Math.log(100),
    prototypesFrozen: false,
    queueActive: false,
    memory: { rssBytes: 900 * 2 ** 20, tensors: 468, tensorBytes: 24 * 2 ** 20 },
    ...overrides,
  };
}

/** A collapsed SwAV run: one prototype chosen, loss flat just above ln K. */
export function collapsedStep(n: number): StepEvent {
  return step(n, { loss: Math.log(100) + 0.001 * (n % 2), prototypesUsed: 1, assignmentEntropy: Math.log(100) });
}

/** Removes ANSI escape codes (colours, cursor moves) so frames compare as text. */
export function plainText(frame: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (frame ?? "").replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "");
}

/**
 * A SwAV experiment small enough for end-to-end CLI tests on a busy machine (about a second to build
 * and a fraction of one per step on wasm): tests write it to a temporary folder and run it.
 */
export const TINY_EXPERIMENT = `// tiny: two RegNetY stages, 32px synthetic images, 12 prototypes.
experiment tiny {
  seed = 3

  data {
    source = synthetic()
    images = 64
    classes = 4
    image_size = 32px
  }

  trunk = anynet { depths = [1, 1], widths = [8, 16], group_widths = [8, 8], se_ratio = 0.25, stem_width = 8 }

  augment = multicrop {
    crop 2 x 32px scale 0.4 .. 1.0
    crop 2 x 16px scale 0.1 .. 0.4
    flip = 0.5
  }

  head = mlp [trunk.width, 16, 8]

  loss = swav {
    prototypes = 12
    sinkhorn { epsilon = 0.05, iterations = 3 }
  }

  optimizer = lars { momentum = 0.9, weight_decay = 1e-6 }
  schedule = warmup linear 0.01 -> 0.2 over 2 steps, then cosine -> 0.01

  train {
    batch = 8
    steps = 6
    checkpoint_every = 2 steps
    log_every = 2
  }
}
`;
