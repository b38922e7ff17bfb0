import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { completedRunsElsewhere, readState, settleForResume, writeState, type SweepState, type TrialState } from "../../src/sweep/state.js";
import { tempDir } from "./helpers.js";

function trial(index: number, extra: Partial<TrialState>): TrialState {
  return {
    index, assignment: `seed=${index}`, values: { seed: String(index) }, hash: `h${index}`, ir_file: `trials/00${index}.ir.json`, log_file: `logs/00${index}.log`,
    duplicate_of: null, status: "pending", run_dir: null, exit_code: null, signal: null, metric: null, final_loss: null, steps: null, total_steps: null,
    attempts: 1, pid: null, started: null, ended: null, error: null, ...extra,
  };
}

function sweepState(trials: TrialState[], name = "s"): SweepState {
  return {
    version: 1, sweep: name, base: "tiny", file: "s.seer", hash: "x".repeat(64), status: "running", pid: 999_999_999, host: hostname(), created: "", updated: "",
    metric: { path: "final_loss", goal: "minimize" }, axes: ["seed"], options: { backend: "wasm", steps: null, parallel: 2, fail_fast: false }, trials,
  };
}

function fakeRun(dir: string, name: string, summary: Record<string, unknown>): string {
  const runDir = join(dir, "runs", name);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, "summary.json"), JSON.stringify(summary));
  return `runs/${name}`;
}

test("after a hard kill, a resume settles each trial from its run's summary and refuses to double a live run", async () => {
  const dir = tempDir("state");
  const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"], { stdio: "ignore" });
  try {
    const state = sweepState([
      trial(0, { status: "running", pid: 999_999_998, run_dir: fakeRun(dir, "a", { status: "completed", final_loss: 1.5, steps: 6, total_steps: 6 }) }),
      trial(1, { status: "running", pid: 999_999_997, run_dir: fakeRun(dir, "b", { status: "running", steps: 3, pid: 999_999_997, host: hostname() }) }),
      trial(2, { status: "running", pid: sleeper.pid!, run_dir: fakeRun(dir, "c", { status: "running", steps: 2 }) }),
      trial(3, { status: "completed", run_dir: "runs/gone" }),
      trial(4, { status: "completed", duplicate_of: 0 }),
    ]);
    writeState(dir, state);
    const loaded = readState(dir)!;
    const { live } = settleForResume(dir, loaded);
    assert.deepEqual(live, [{ index: 2, pid: sleeper.pid, runDir: join(dir, "runs/c") }]);
    assert.deepEqual(loaded.trials.map((t) => t.status), ["completed", "stopped", "running", "pending", "completed"]);
    assert.equal(loaded.trials[0].final_loss, 1.5);
    assert.equal(loaded.trials[0].metric, 1.5);
    assert.equal(loaded.trials[1].run_dir, "runs/b", "a stopped trial keeps its run directory, to resume from");
    assert.equal(loaded.trials[3].run_dir, null, "a completed trial whose run is gone runs again");
    assert.equal(loaded.trials[4].run_dir, "runs/a", "duplicates follow their original");
    // state.json was written whole, then renamed over: no temporary file is left beside it.
    assert.equal(JSON.parse(readFileSync(join(dir, "state.json"), "utf8")).trials.length, 5);
  } finally {
    sleeper.kill();
  }
});

test("completed runs of an edited sweep are found by IR hash in its other directories", () => {
  const root = tempDir("sweeps");
  const old = join(root, "s-11111111");
  mkdirSync(old, { recursive: true });
  writeState(old, sweepState([
    trial(0, { hash: "keep", status: "completed", run_dir: fakeRun(old, "a", { status: "completed" }) }),
    trial(1, { hash: "failed", status: "failed", run_dir: fakeRun(old, "b", { status: "failed" }) }),
    trial(2, { hash: "lost", status: "completed", run_dir: "runs/missing" }),
  ]));
  const other = join(root, "t-22222222");
  mkdirSync(other, { recursive: true });
  writeState(other, sweepState([trial(0, { hash: "foreign", status: "completed", run_dir: fakeRun(other, "x", { status: "completed" }) })], "t"));
  const found = completedRunsElsewhere(root, "s", join(root, "s-33333333"));
  assert.deepEqual([...found.keys()], ["keep"]);
  assert.equal(found.get("keep")!.runDir, join(old, "runs/a"));
  assert.equal(completedRunsElsewhere(root, "s", old).size, 0, "the sweep's own directory is not 'elsewhere'");
});
