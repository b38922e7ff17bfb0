/** @jsxRuntime automatic */
// (test files sit outside tsconfig's `include`, so tsx needs the JSX runtime named here)
import { test } from "node:test";
import assert from "node:assert/strict";
import { render } from "ink-testing-library";
import { SweepView, SweepViewModel } from "../../src/sweep/ui.js";
import { PlainSweepLogger } from "../../src/sweep/log.js";
import { rankedTrials, resultsCsv, summaryTable } from "../../src/sweep/results.js";
import type { SweepState, TrialState } from "../../src/sweep/state.js";
import type { SweepEvent } from "../../src/sweep/events.js";

function trial(index: number, values: Record<string, string>, extra: Partial<TrialState> = {}): TrialState {
  return {
    index,
    assignment: Object.entries(values).map(([k, v]) => `${k}=${v}`).join(", "),
    values,
    hash: `${index}`.repeat(64).slice(0, 64),
    ir_file: `trials/00${index}.ir.json`,
    log_file: `logs/00${index}.log`,
    duplicate_of: null,
    status: "pending",
    run_dir: null,
    exit_code: null,
    signal: null,
    metric: null,
    final_loss: null,
    steps: null,
    total_steps: null,
    attempts: 0,
    pid: null,
    started: null,
    ended: null,
    error: null,
    ...extra,
  };
}

function state(trials: TrialState[], metric: SweepState["metric"]): SweepState {
  return {
    version: 1, sweep: "lr", base: "tiny", file: "lr.seer", hash: "f".repeat(64), status: "running", pid: null, host: null,
    created: "", updated: "", metric, axes: ["seed", "optimizer.lr"], options: { backend: "wasm", steps: null, parallel: 2, fail_fast: false }, trials,
  };
}

const end = (index: number, extra: Partial<Extract<SweepEvent, { type: "trial_end" }>>): SweepEvent => ({
  type: "trial_end", index, assignment: "", status: "completed", exitCode: 0, signal: null, metric: null, finalLoss: null, steps: null, seconds: 8.25, runDir: "/tmp/r", error: null, log: "/tmp/s/logs/000.log", ...extra,
});

test("the live table shows each trial's status, progress, last loss and metric", () => {
  const s = state([trial(0, { seed: "1", "optimizer.lr": "0.1" }), trial(1, { seed: "2", "optimizer.lr": "0.1" }), trial(2, { seed: "1", "optimizer.lr": "0.1" }, { duplicate_of: 0 })], { path: "evaluate.knn.top1", goal: "maximize" });
  const model = new SweepViewModel(s, "sweeps/lr-ffffffff");
  const events: SweepEvent[] = [
    { type: "trial_start", index: 0, assignment: "", hash: "", attempt: 1, resumeFrom: null, pid: 1 },
    { type: "trial_start", index: 1, assignment: "", hash: "", attempt: 1, resumeFrom: null, pid: 2 },
    { type: "trial_run_dir", index: 0, runDir: "/r0", startStep: 0, totalSteps: 6 },
    { type: "trial_progress", index: 0, step: 3, totalSteps: 6, loss: 4.5678 },
    { type: "trial_progress", index: 1, step: 6, totalSteps: 6, loss: 3.25 },
    end(1, { metric: 0.625, finalLoss: 3.25, steps: 6 }),
  ];
  for (const e of events) model.apply(e);
  const r = render(<SweepView model={model} width={110} height={30} />);
  const frame = r.lastFrame()!;
  r.unmount();
  const rows = frame.split("\n");
  assert.match(rows[0], /^seerc sweep lr · 3 trials · /);
  assert.match(rows[1], /^1 completed · 1 running · 1 waiting · sweeps\/lr-ffffffff/);
  const row = (i: number) => rows.find((l) => new RegExp(`^\\s*${i}  seed=`).test(l))!;
  assert.match(row(0), /running\s+█████░░░░░ 3\/6\s+4\.568\s/);
  assert.match(row(1), /completed\s+██████████ 6\/6\s+3\.250\s+0\.6250/);
  assert.match(row(2), /pending\s+= trial 0/);
  assert.match(frame, /Ctrl-C: stop/);

  model.apply({ type: "sweep_stopping", running: 1, abort: false });
  const stopping = render(<SweepView model={model} width={110} height={30} />);
  assert.match(stopping.lastFrame()!, /stopping: running trials write a checkpoint and exit/);
  stopping.unmount();
});

test("a short terminal shows the running and failed trials first", () => {
  const trials = Array.from({ length: 12 }, (_, i) => trial(i, { seed: String(i), "optimizer.lr": "0.1" }));
  const model = new SweepViewModel(state(trials, null), "d");
  model.apply({ type: "trial_start", index: 11, assignment: "", hash: "", attempt: 1, resumeFrom: null, pid: 1 });
  model.apply(end(10, { status: "failed", exitCode: 1, error: "boom" }));
  const r = render(<SweepView model={model} width={100} height={10} />);
  const frame = r.lastFrame()!;
  r.unmount();
  assert.match(frame, /^\s*10  seed=10.*failed/m);
  assert.match(frame, /^\s*11  seed=11.*running/m);
  assert.match(frame, /… 8 more trials/);
});

test("plain lines: one per trial start and end, with the metric, last loss, or the failure and its log", () => {
  const lines: string[] = [];
  const log = new PlainSweepLogger((l) => lines.push(l), "evaluate.knn.top1", "/tmp/s");
  log.handle({ type: "sweep_start", sweep: "lr", dir: "/tmp/s/sweeps/lr-1", trials: 6, unique: 4, done: 1, toRun: 3, parallel: 2 });
  log.handle({ type: "trial_start", index: 2, assignment: "seed=2", hash: "", attempt: 2, resumeFrom: "/tmp/s/sweeps/lr-1/runs/a", pid: 5 });
  log.handle({ type: "trial_progress", index: 2, step: 3, totalSteps: 6, loss: 1 });
  log.handle(end(2, { metric: 0.5, finalLoss: 2.5, steps: 6 }));
  log.handle(end(3, { status: "failed", exitCode: 1, error: "error SEER7002: no images", seconds: 3 }));
  log.handle(end(4, { status: "stopped", exitCode: 130, steps: 4 }));
  assert.deepEqual(lines, [
    "sweep lr: 6 trials (4 distinct), 1 already completed; 3 to run, 2 at a time, in sweeps/lr-1",
    "trial 2 started: seed=2 (resuming sweeps/lr-1/runs/a)",
    "trial 2 completed in 8.3 s: evaluate.knn.top1 0.5000, last loss 2.500 after 6 steps",
    "trial 3 failed (exit 1) after 3.0 s: error SEER7002: no images (log: logs/000.log)",
    "trial 4 stopped after 8.3 s at step 4; `--resume` continues it",
  ]);
});

test("results are ranked by the metric's goal, trials without a value last; the CSV quotes what needs quoting", () => {
  const s = state(
    [
      trial(0, { seed: "1", "optimizer.lr": "0.1" }, { status: "completed", metric: 0.5, final_loss: 3, steps: 6, run_dir: "runs/a" }),
      trial(1, { seed: "2", "optimizer.lr": "0.2" }, { status: "failed" }),
      trial(2, { seed: "3", "optimizer.lr": "0.3" }, { status: "completed", metric: 0.75, final_loss: 2, steps: 6, run_dir: "runs/b" }),
      trial(3, { seed: "3", "optimizer.lr": "0.30" }, { status: "completed", metric: 0.75, final_loss: 2, steps: 6, run_dir: "runs/b", duplicate_of: 2 }),
    ],
    { path: "evaluate.knn.top1", goal: "maximize" },
  );
  assert.deepEqual(rankedTrials(s).map((t) => t.index), [2, 3, 0, 1]);
  assert.deepEqual(rankedTrials({ ...s, metric: { path: "evaluate.knn.top1", goal: "minimize" } }).map((t) => t.index), [0, 2, 3, 1]);
  const table = summaryTable(s).split("\n");
  assert.match(table[0], /^rank\s+trial\s+seed\s+optimizer\.lr\s+status\s+evaluate\.knn\.top1 \(maximize\)\s+final loss\s+steps$/);
  assert.match(table[1], /^\s+1\s+2\s+3\s+0\.3\s+completed\s+0\.7500\s+2\s+6$/);
  assert.match(table[2], /^\s+3\s+3\s+0\.30\s+= trial 2\s+0\.7500/);
  assert.match(table[4], /^\s+1\s+2\s+0\.2\s+failed\s+-\s+-\s+-$/);

  // Without a metric, completed trials rank by final loss; a stopped run's loss is progress, not a result.
  const byLoss = state([trial(0, { seed: "1" }, { status: "completed", final_loss: 3 }), trial(1, { seed: "2" }, { status: "stopped", final_loss: 0.5 }), trial(2, { seed: "3" }, { status: "completed", final_loss: 2 })], null);
  assert.deepEqual(rankedTrials(byLoss).map((t) => t.index), [2, 0, 1]);

  const quoted = state([trial(0, { seed: "1", "optimizer.lr": 'choice("a,b")' })], null);
  const csv = resultsCsv(quoted).split("\n");
  assert.equal(csv[0], "trial,seed,optimizer.lr,status,final_loss,steps,ir_hash,duplicate_of,run_dir");
  assert.ok(csv[1].startsWith('0,1,"choice(""a,b"")",pending,,,'), csv[1]);
});
