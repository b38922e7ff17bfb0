import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { PlainLogger } from "../../src/cli/ui/plain.js";
import type { RunEvent } from "../../src/runtime/train/events.js";
import { collapsedStep, runStart, step, TINY_EXPERIMENT } from "./ui-fixtures.js";

function linesOf(events: RunEvent[], logEvery = 5, quiet = false): string[] {
  const lines: string[] = [];
  const logger = new PlainLogger(logEvery, (line) => lines.push(...line.split("\n")), { quiet });
  for (const e of events) logger.handle(e);
  return lines;
}

const steps = (from: number, to: number, make = step) => Array.from({ length: to - from + 1 }, (_, i) => make(from + i));

test("run_start prints the run, backend (with native TensorFlow's absence), data and size", () => {
  assert.deepEqual(linesOf([runStart()]), [
    "run quickstart (IR 9bf9b8f8360b) → runs/quickstart-9bf9b8f8-20261129-170000Z",
    "backend wasm 4.22.0, SIMD, 1 thread — wasm backend requested (native TensorFlow not found)",
    "data synthetic(images=2048, classes=10, size=64, seed=0) (2,048 images, 1 worker)",
    "80 steps of 32 images, 3,061,388 parameters",
  ]);
  const resumed = linesOf([runStart({ startStep: 40, resumedFrom: "runs/x/checkpoints/step-00000040", microBatch: 8, backend: { name: "tensorflow", version: "4.22.0", reason: "native TensorFlow found", nativeFound: true } })]);
  assert.equal(resumed[1], "backend tensorflow 4.22.0 — native TensorFlow found");
  assert.equal(resumed[3], "80 steps of 32 images (micro-batches of 8), 3,061,388 parameters, resumed at step 40 from runs/x/checkpoints/step-00000040");
});

test("step lines come on the first step, every log_every-th step and the last, with an ETA from the steps between", () => {
  const lines = linesOf([runStart(), ...steps(1, 80)]).slice(4);
  assert.equal(lines.length, 1 + 16, "step 1, then 5, 10, …, 80");
  // Each step: 800 ms computing + 200 ms waiting = 1 s, so the ETA is the steps left in seconds.
  assert.equal(lines[0], "step  1/80  loss 4.9900  lr 0.0500  32.0 img/s  data wait 20%  prototypes 30/100  rss 900 MiB  eta 1:19");
  assert.equal(lines[1], "step  5/80  loss 4.9500  lr 0.250  32.0 img/s  data wait 20%  prototypes 30/100  rss 900 MiB  eta 1:15");
  assert.equal(lines[16], "step 80/80  loss 4.2000  lr 4.00  32.0 img/s  data wait 20%  prototypes 30/100  rss 900 MiB  eta 0:00");
});

test("a resumed run logs its first step, then keeps to multiples of log_every", () => {
  const lines = linesOf(steps(41, 52)).map((l) => l.split("  ")[0]);
  assert.deepEqual(lines, ["step 41/80", "step 45/80", "step 50/80"]);
});

test("frozen prototypes are marked on the step line", () => {
  assert.match(linesOf([step(1, { prototypesFrozen: true })])[0], /prototypes 30\/100 \(frozen\)/);
});

test("every other event that matters gets exactly one line", () => {
  const lines = linesOf([
    { type: "checkpoint", step: 40, path: "runs/x/checkpoints/step-00000040", reason: "interval" },
    { type: "skipped_files", total: 3, files: [{ path: "data/a.jpg", reason: "corrupt JPEG" }, { path: "data/b.jpg", reason: "empty file" }] },
    { type: "warning", code: "SEER7004", message: "skipping a damaged checkpoint: truncated" },
    { type: "warning", message: "no checkpoint to resume from" },
    { type: "eval_start", protocol: "knn", images: 10000 },
    { type: "eval_result", protocol: "knn", metrics: { top1: 0.4523, top5: 0.8, loss: 1.23456 } },
    { type: "run_end", status: "stopped", steps: 40, wallSeconds: 61.25, finalLoss: 4.6, reason: undefined },
    { type: "run_end", status: "failed", steps: 7, wallSeconds: 3, finalLoss: null, reason: "the loss became NaN at step 8" },
  ]);
  assert.deepEqual(lines, [
    "checkpoint at step 40 (interval): runs/x/checkpoints/step-00000040",
    "skipped 2 unreadable files (3 so far), e.g. data/a.jpg: corrupt JPEG",
    "warning SEER7004: skipping a damaged checkpoint: truncated",
    "warning: no checkpoint to resume from",
    "evaluating: knn on 10,000 images",
    "knn: top1 45.23%, top5 80.00%, loss 1.235",
    "run stopped after 40 steps in 61.3 s, final loss 4.6000",
    "run failed after 7 steps in 3.0 s — the loss became NaN at step 8",
  ]);
});

test("SwAV collapse is announced once when it starts, and again when health changes", () => {
  const lines = linesOf([runStart(), ...steps(1, 20, collapsedStep), ...steps(21, 30)], 1000).filter((l) => !l.startsWith("step ") && !/^(run|backend|data|80 steps)/.test(l));
  assert.deepEqual(lines, [
    // Steps 1..10 (the first full verdict): loss ln 100 + 0.001 on odd steps, mean ln 100 + 0.0005.
    "warning at step 10: SwAV collapse: loss 4.606 stuck at ln K = 4.605 with 1.0 of 100 prototypes in use over the last 10 steps; lower the learning rate or temperature, or freeze the prototypes longer",
    // Step 21 brings a falling loss (not stuck) but the window still averages (19 x 1 + 30) / 20 = 2.45 prototypes.
    "warning at step 21: prototypes used unevenly: only 2.5 of 100 prototypes in use (a batch can reach 32) over the last 20 steps",
    // Step 25: (15 x 1 + 5 x 30) / 20 = 8.25 prototypes, a quarter of the 32 a batch can reach.
    "SwAV health recovered at step 25: 8.3 of 100 prototypes in use",
  ]);
});

test("--quiet keeps warnings (health ones too), skipped files, evaluation results and the final line", () => {
  const lines = linesOf(
    [
      runStart(),
      ...steps(1, 12, collapsedStep),
      { type: "checkpoint", step: 12, path: "runs/x/checkpoints/step-00000012", reason: "stop" },
      { type: "skipped_files", total: 1, files: [{ path: "data/a.jpg", reason: "corrupt JPEG" }] },
      { type: "eval_start", protocol: "knn", images: null },
      { type: "eval_result", protocol: "knn", metrics: { top1: 0.5 } },
      { type: "run_end", status: "stopped", steps: 12, wallSeconds: 12, finalLoss: 4.6052 },
    ],
    5,
    true,
  );
  assert.deepEqual(
    lines.map((l) => l.slice(0, 40)),
    ["warning at step 10: SwAV collapse: loss ", "skipped 1 unreadable file (1 so far), e.", "knn: top1 50.00%", "run stopped after 12 steps in 12.0 s, fi"],
  );
});

test("piping a real run into head: the first line arrives whole, no EPIPE error, and the run still finishes (exit 0)", async () => {
  const work = mkdtempSync(join(tmpdir(), "seerc-epipe-"));
  writeFileSync(join(work, "tiny.seer"), TINY_EXPERIMENT);
  // head takes run_start and leaves; the first step's line comes later (building the model takes a while) and hits a closed pipe.
  const script = `node --import tsx src/cli/entry.ts run ${work}/tiny.seer --backend wasm --no-eval --json --runs ${work}/runs | head -1; echo "status \${PIPESTATUS[0]}" >&2`;
  const r = await execa("bash", ["-c", script], { reject: false, env: { NO_COLOR: "1" }, timeout: 60_000 });
  const lines = r.stdout.split("\n");
  assert.equal(lines.length, 1);
  assert.equal((JSON.parse(lines[0]) as RunEvent).type, "run_start");
  assert.match(r.stderr, /status 0$/);
  assert.doesNotMatch(r.stderr, /EPIPE|Error|internal error/);
  const [run] = readdirSync(join(work, "runs"));
  const summary = JSON.parse(readFileSync(join(work, "runs", run, "summary.json"), "utf8")) as { status: string; steps: number };
  assert.equal(summary.status, "completed", "a closed stdout stops the output, not the training");
});
