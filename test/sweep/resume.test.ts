import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { ndjson, onlySweepDir, REPO_ROOT, runEvents, seerc, tempDir, writeSweep } from "./helpers.js";
import type { SweepState } from "../../src/sweep/state.js";
import type { SweepEvent } from "../../src/sweep/events.js";

/** Long enough (tiny.seer has 6) that a trial past its first checkpoint is still far from its end when signalled. */
const STEPS = 24;
const SWEEP = `sweep kill_me from tiny {
  seed in [1, 2]
  train.steps in [${STEPS}]
  loss.temperature in [0.1, 0.2, 0.10]
  parallel = 2
  metric = final_loss minimize
}
`;

/**
 * Starts the sweep and stops it (SIGTERM, as Ctrl-C would) once one trial has completed and another,
 * still running, has passed its first checkpoint (tiny.seer checkpoints every 2 steps). Tiny steps take
 * 50 ms on an idle machine, so that trial is frozen (SIGSTOP) until the sweep has passed the stop on
 * to it: however fast the machine, it is stopped mid-run rather than finishing first.
 */
function runUntilFirstCompletion(file: string, root: string): Promise<{ code: number | null; events: SweepEvent[]; frozen: number }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", resolve(REPO_ROOT, "test/sweep/seerc-with-sweep.ts"), "sweep", file, "--backend", "wasm", "--sweeps", root, "--json"], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const events: SweepEvent[] = [];
    const ended = new Set<number>();
    const pids = new Map<number, number>();
    let completed = 0;
    let frozen: { index: number; pid: number } | null = null;
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (!line.startsWith("{")) return;
      const e = JSON.parse(line) as SweepEvent;
      events.push(e);
      if (e.type === "trial_start" && e.pid) pids.set(e.index, e.pid);
      if (e.type === "trial_end") {
        ended.add(e.index);
        if (e.status === "completed") completed++;
      }
      if (!frozen && completed > 0 && e.type === "trial_progress" && e.step >= 3 && e.step <= e.totalSteps - 10 && !ended.has(e.index)) {
        frozen = { index: e.index, pid: pids.get(e.index)! };
        process.kill(frozen.pid, "SIGSTOP");
        child.kill("SIGTERM");
      }
      if (frozen && e.type === "sweep_stopping") process.kill(frozen.pid, "SIGCONT");
    });
    child.on("error", reject);
    child.on("close", (code) => (frozen ? resolveRun({ code, events, frozen: frozen.index }) : reject(new Error(`the sweep ended before it could be stopped (exit ${code}): ${stderr}`))));
  });
}

test("a sweep stopped mid-way resumes exactly the unfinished trials, from their checkpoints", async () => {
  const file = writeSweep(SWEEP);
  const root = tempDir("sweeps");

  const first = await runUntilFirstCompletion(file, root);
  const dir = onlySweepDir(root);
  try {
    await checkStopAndResume(file, root, dir, first);
  } catch (e) {
    // What happened, for a failure that timing alone may explain.
    (e as Error).message += `\nsweep ${dir}; first pass exited ${first.code}, trial ${first.frozen} frozen; its events:\n${first.events.filter((x) => x.type !== "trial_progress").map((x) => JSON.stringify(x)).join("\n")}`;
    throw e;
  }
});

async function checkStopAndResume(file: string, root: string, dir: string, first: { code: number | null; frozen: number }): Promise<void> {
  assert.equal(first.code, 130, "a stopped sweep exits 130");
  const stopped = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as SweepState;
  assert.equal(stopped.status, "stopped");
  assert.equal(stopped.pid, null);
  const unique = stopped.trials.filter((t) => t.duplicate_of === null);
  assert.deepEqual(unique.map((t) => t.index), [0, 1, 3, 4]);
  const doneBefore = unique.filter((t) => t.status === "completed");
  const left = unique.filter((t) => t.status !== "completed");
  assert.ok(doneBefore.length >= 1 && left.length >= 1, JSON.stringify(stopped.trials.map((t) => t.status)));
  assert.ok(stopped.trials.every((t) => t.status !== "running"), "no trial is left marked running");
  // The frozen trial (and any other past its start-up) stopped gracefully: exit 130 after writing a checkpoint.
  const interrupted = left.filter((t) => t.exit_code === 130);
  assert.ok(interrupted.some((t) => t.index === first.frozen), JSON.stringify(left));
  for (const t of interrupted) assert.ok(readdirSync(join(dir, t.run_dir!, "checkpoints")).length > 0);

  const resumed = await seerc(["sweep", file, "--sweeps", root, "--resume", "--json"]);
  assert.equal(resumed.exitCode, 0, resumed.all);
  const events = ndjson<SweepEvent>(resumed.stdout);
  const starts = events.filter((e): e is Extract<SweepEvent, { type: "trial_start" }> => e.type === "trial_start");
  assert.deepEqual(starts.map((e) => e.index).sort(), left.map((t) => t.index).sort(), "only the unfinished trials run again");
  for (const t of interrupted) {
    const start = starts.find((s) => s.index === t.index)!;
    assert.equal(start.resumeFrom, join(dir, t.run_dir!), "continued from its own run directory");
  }

  const final = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as SweepState;
  assert.equal(final.status, "completed");
  assert.ok(final.trials.every((t) => t.status === "completed" && t.steps === STEPS));
  // Duplicates share their original's run.
  assert.equal(final.trials[2].run_dir, final.trials[0].run_dir);
  assert.equal(final.trials[5].run_dir, final.trials[3].run_dir);

  // Every distinct trial trained to completion exactly once, across all run directories.
  const runs = readdirSync(join(dir, "runs")).map((name) => join(dir, "runs", name));
  for (const t of unique) {
    const own = runs.filter((r) => {
      try {
        return JSON.parse(readFileSync(join(r, "summary.json"), "utf8")).hash === t.hash;
      } catch {
        return false;
      }
    });
    const completions = own.flatMap((r) => runEvents(r)).filter((e) => e.type === "run_end" && e.status === "completed");
    assert.equal(completions.length, 1, `trial ${t.index} completed ${completions.length} times`);
  }
  // Trials finished before the stop were not touched.
  for (const t of doneBefore) {
    const ev = runEvents(join(dir, t.run_dir!));
    assert.equal(ev.filter((e) => e.type === "run_start").length, 1, `trial ${t.index} ran once`);
    assert.equal(final.trials[t.index].run_dir, t.run_dir);
  }
  // A resumed trial continued at its checkpoint's step and logged every step once from there.
  for (const t of interrupted) {
    const ev = runEvents(join(dir, final.trials[t.index].run_dir!));
    const starts = ev.filter((e) => e.type === "run_start");
    assert.equal(starts.length, 2);
    const ends = ev.filter((e) => e.type === "run_end");
    assert.deepEqual(ends.map((e) => e.status), ["stopped", "completed"]);
    // It stopped after a step and checkpointed there (step >= 1): the second run starts from that step.
    assert.ok(starts[1].resumedFrom, JSON.stringify(starts[1]));
    assert.ok(ends[0].steps! >= 1);
    assert.equal(starts[1].startStep, ends[0].steps);
    const after = ev.slice(ev.indexOf(starts[1])).filter((e) => e.type === "step").map((e) => e.step);
    assert.deepEqual(after, Array.from({ length: STEPS - starts[1].startStep! }, (_, i) => starts[1].startStep! + i + 1));
  }
}
