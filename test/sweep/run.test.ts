import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ndjson, onlySweepDir, REPO_ROOT, runEvents, seerc, SWEEP_FIXTURES, tempDir, writeSweep } from "./helpers.js";
import { currentSeerc } from "../../src/sweep/child.js";
import type { SweepState } from "../../src/sweep/state.js";
import type { SweepEvent } from "../../src/sweep/events.js";

test("six tiny trials run two at a time, each in its own run directory, with results ranked by the metric", async () => {
  const root = tempDir("sweeps");
  const r = await seerc(["sweep", join(SWEEP_FIXTURES, "tiny-grid.seer"), "--steps", "2", "--backend", "wasm", "--sweeps", root, "--json"]);
  assert.equal(r.exitCode, 0, r.all);
  const events = ndjson<SweepEvent>(r.stdout);

  // Concurrency from the event order: never more than `parallel = 2` trials between their start and end.
  let running = 0, most = 0;
  for (const e of events) {
    if (e.type === "trial_start") most = Math.max(most, ++running);
    if (e.type === "trial_end") running--;
  }
  assert.equal(most, 2);
  assert.equal(events.filter((e) => e.type === "trial_start").length, 6);
  assert.deepEqual(events.at(-1), { ...events.at(-1), type: "sweep_end", status: "completed", completed: 6, failed: 0 });

  const dir = onlySweepDir(root);
  const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as SweepState;
  assert.equal(state.status, "completed");
  assert.equal(new Set(state.trials.map((t) => t.run_dir)).size, 6);
  for (const t of state.trials) {
    assert.equal(t.status, "completed");
    assert.equal(t.exit_code, 0);
    const runDir = join(dir, t.run_dir!);
    const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8"));
    assert.equal(summary.hash, t.hash, "the run trained the trial's IR");
    assert.equal(summary.status, "completed");
    assert.equal(summary.steps, 2);
    assert.equal(t.final_loss, summary.final_loss);
    assert.equal(t.metric, summary.final_loss, "metric = final_loss");
    const ir = JSON.parse(readFileSync(join(dir, t.ir_file), "utf8"));
    assert.equal(ir.seed, Number(t.values.seed));
    assert.equal(ir.loss.temperature, Number(t.values["loss.temperature"]));
    assert.match(readFileSync(join(dir, t.log_file), "utf8"), /"type":"run_end","status":"completed"/);
  }
  assert.equal(readdirSync(join(dir, "runs")).length, 6);

  const csv = readFileSync(join(dir, "results.csv"), "utf8").trim().split("\n");
  assert.equal(csv[0], "trial,seed,loss.temperature,status,final_loss,steps,ir_hash,duplicate_of,run_dir");
  assert.equal(csv.length, 7);
  const results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
  const losses = results.trials.map((t: { final_loss: number }) => t.final_loss);
  assert.deepEqual(losses, [...losses].sort((a: number, b: number) => a - b), "ranked by final loss, lowest first");
  assert.deepEqual(results.trials.map((t: { rank: number }) => t.rank), [1, 2, 3, 4, 5, 6]);
  assert.match(readFileSync(join(dir, "summary.txt"), "utf8"), /rank\s+trial\s+seed\s+loss\.temperature\s+status\s+final loss \(minimize\)/);

  // Resuming a finished sweep runs nothing.
  const again = await seerc(["sweep", join(SWEEP_FIXTURES, "tiny-grid.seer"), "--sweeps", root, "--resume", "--plain"]);
  assert.equal(again.exitCode, 0, again.all);
  assert.match(again.stdout, /6 trials, 6 already completed; 0 to run/);
  assert.doesNotMatch(again.stdout, /started/);
  assert.equal(readdirSync(join(dir, "runs")).length, 6);
  // Starting it again without --resume is refused rather than mixed into the finished one.
  const refused = await seerc(["sweep", join(SWEEP_FIXTURES, "tiny-grid.seer"), "--sweeps", root]);
  assert.equal(refused.exitCode, 2);
  assert.match(refused.stderr, /already holds this sweep \(6 of 6 trials completed\); continue it with `--resume`/);
});

test("fail_fast stops launching after a trial fails at run time; the failure is reported with its reason and log", async () => {
  const images = tempDir("no-images");
  writeFileSync(join(images, "broken.jpg"), "not a jpeg");
  mkdirSync(join(images, "sub"));
  writeFileSync(join(images, "sub", "notes.txt"), "not an image either");
  const file = writeSweep(`sweep broken from tiny {\n  data.source in [folder("${images}"), synthetic()]\n  fail_fast = true\n}\n`);
  const root = tempDir("sweeps");
  const r = await seerc(["sweep", file, "--backend", "wasm", "--steps", "2", "--sweeps", root, "--plain"]);
  assert.equal(r.exitCode, 1, r.all);
  assert.match(r.stdout, /^trial 0 failed \(exit 1\) after .*SEER7002.*\(log: .*logs\/000\.log\)$/m);
  assert.doesNotMatch(r.stdout, /trial 1 started/);
  assert.match(r.stdout, /sweep failed in .*: 0 completed, 1 failed, 1 not started; continue with `--resume`/);
  const dir = onlySweepDir(root);
  const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as SweepState;
  assert.equal(state.status, "failed");
  assert.deepEqual(state.trials.map((t) => t.status), ["failed", "pending"]);
  assert.equal(state.trials[0].exit_code, 1);
  assert.match(state.trials[0].error!, /SEER7002/);
  assert.ok(existsSync(join(dir, state.trials[0].run_dir!)));
  assert.equal(runEvents(join(dir, state.trials[0].run_dir!)).at(-1)!.status, "failed");
});

test("trials start the same seerc: the built bin/seerc.js from the bundle, the sources through tsx otherwise", () => {
  const built = currentSeerc(pathToFileURL(join(REPO_ROOT, "dist/cli/seerc.mjs")).href);
  assert.deepEqual(built, { file: process.execPath, args: [join(REPO_ROOT, "bin/seerc.js")] });
  const source = currentSeerc(pathToFileURL(join(REPO_ROOT, "src/sweep/child.ts")).href);
  assert.equal(source.file, process.execPath);
  assert.equal(source.args[0], "--import");
  assert.match(source.args[1], /^file:\/\/.*\/node_modules\/tsx\//);
  assert.equal(source.args[2], join(REPO_ROOT, "src/cli/entry.ts"));
  assert.throws(() => currentSeerc(pathToFileURL("/somewhere/else/child.js").href), /cannot tell how to start seerc/);
});
