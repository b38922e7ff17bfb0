import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, truncateSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { checkFiles } from "../../src/cli/workspace.js";
import { selectBackend } from "../../src/runtime/backend.js";
import { train } from "../../src/runtime/train/trainer.js";
import type { RunEvent } from "../../src/runtime/train/events.js";

const TINY = "test/runtime/fixtures/tiny.seer";
const CLI = ["--import", "tsx", "src/cli/entry.ts"];

function seerc(args: string[], options: { reject?: boolean } = {}) {
  return execa("node", [...CLI, ...args], { reject: options.reject ?? false, env: { NO_COLOR: "1" }, all: true });
}

function onlyRunDir(root: string): string {
  const dirs = readdirSync(root);
  assert.equal(dirs.length, 1, `one run directory in ${root}: ${dirs}`);
  return join(root, dirs[0]);
}

/** The last value written for each step (a killed run may have logged steps past its last checkpoint). */
function lossesByStep(runDir: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of readFileSync(join(runDir, "metrics.jsonl"), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const m = JSON.parse(line) as { step: number; loss: number };
    out.set(m.step, m.loss);
  }
  return out;
}

test("a tiny run goes end to end through the CLI and leaves a complete run directory", async () => {
  const runs = mkdtempSync(join(tmpdir(), "seerc-run-"));
  const r = await seerc(["run", TINY, "--backend", "cpu", "--plain", "--runs", runs]);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.all ?? "", /backend cpu/);
  const dir = onlyRunDir(runs);
  for (const f of ["ir.json", "metrics.jsonl", "events.jsonl", "summary.json", "sources/tiny.seer"]) assert.ok(existsSync(join(dir, f)), `${f} exists`);
  const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
  assert.equal(summary.status, "completed");
  assert.equal(summary.steps, 6);
  assert.equal(summary.backend, "cpu");
  assert.deepEqual(readdirSync(join(dir, "checkpoints")), ["step-00000002", "step-00000004", "step-00000006"]);
  const losses = lossesByStep(dir);
  assert.equal(losses.size, 6);
  for (const loss of losses.values()) assert.ok(Number.isFinite(loss));
});

test("resume after kill -9 reproduces the uninterrupted run's losses to 1e-5 (cpu backend)", async () => {
  const whole = mkdtempSync(join(tmpdir(), "seerc-whole-"));
  assert.equal((await seerc(["run", TINY, "--backend", "cpu", "--quiet", "--runs", whole])).exitCode, 0);
  const reference = lossesByStep(onlyRunDir(whole));

  const runs = mkdtempSync(join(tmpdir(), "seerc-killed-"));
  const child = execa("node", [...CLI, "run", TINY, "--backend", "cpu", "--quiet", "--runs", runs], { reject: false });
  // Kill as soon as the first checkpoint is complete (its state.json is written last).
  const deadline = Date.now() + 60_000;
  let dir = "";
  while (Date.now() < deadline) {
    const found = existsSync(runs) ? readdirSync(runs) : [];
    if (found.length === 1) {
      dir = join(runs, found[0]);
      if (existsSync(join(dir, "checkpoints", "step-00000002", "state.json"))) break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill("SIGKILL");
  await child;
  assert.ok(dir, "the run started");
  const summaryBefore = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
  assert.equal(summaryBefore.status, "running", "a killed run is left marked running");

  const resumed = await seerc(["run", "--resume", dir, "--backend", "cpu", "--plain"]);
  assert.equal(resumed.exitCode, 0, resumed.all);
  assert.match(resumed.all ?? "", /resumed at step \d/);
  const losses = lossesByStep(dir);
  assert.equal(losses.size, 6);
  for (const [step, loss] of reference) assert.ok(Math.abs(loss - losses.get(step)!) <= 1e-5, `step ${step}: ${loss} vs ${losses.get(step)}`);
});

test("resuming with a different experiment is refused and names the differing fields", async () => {
  const runs = mkdtempSync(join(tmpdir(), "seerc-mismatch-"));
  assert.equal((await seerc(["run", TINY, "--backend", "wasm", "--quiet", "--runs", runs])).exitCode, 0);
  const dir = onlyRunDir(runs);
  const r = await seerc(["run", TINY, "-s", "loss.temperature=0.2", "--resume", dir, "--backend", "wasm", "--quiet"]);
  assert.equal(r.exitCode, 1);
  assert.match(r.all ?? "", /SEER7005/);
  assert.match(r.all ?? "", /loss\.temperature: 0\.1 → 0\.2/);
  assert.doesNotMatch(r.all ?? "", /at .*\.ts:\d+/, "no stack trace");
});

test("a truncated newest checkpoint is skipped with a warning and the previous one is used", async () => {
  const runs = mkdtempSync(join(tmpdir(), "seerc-trunc-"));
  assert.equal((await seerc(["run", TINY, "--backend", "wasm", "--quiet", "--runs", runs, "--steps", "4"])).exitCode, 0, "a run capped by --steps completes");
  const dir = onlyRunDir(runs);
  const newest = join(dir, "checkpoints", "step-00000004", "model.safetensors");
  truncateSync(newest, Math.floor(statSync(newest).size / 2));
  const r = await seerc(["run", "--resume", dir, "--backend", "wasm", "--plain"]);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.all ?? "", /skipping a damaged checkpoint: .*truncated/);
  assert.match(r.all ?? "", /resumed at step 2/);
});

test("a diverging run stops with SEER7003 naming the step, keeping the last good checkpoint", async () => {
  const runs = mkdtempSync(join(tmpdir(), "seerc-nan-"));
  const r = await seerc([
    "run", TINY, "--backend", "wasm", "--plain", "--runs", runs,
    "-s", "optimizer=sgd { momentum = 0.9 }",
    "-s", "schedule=constant 1e30",
  ]);
  assert.equal(r.exitCode, 1, r.all);
  assert.match(r.all ?? "", /SEER7003/);
  assert.match(r.all ?? "", /at step \d+/);
  const summary = JSON.parse(readFileSync(join(onlyRunDir(runs), "summary.json"), "utf8"));
  assert.equal(summary.status, "failed");
});

test("the tensor count is constant after the first step and the model matches the IR's parameter count", async () => {
  const ws = checkFiles([TINY]);
  const ir = ws.experiments[0].ir!;
  const backend = await selectBackend("cpu");
  const events: RunEvent[] = [];
  const result = await train({ ir, runDir: mkdtempSync(join(tmpdir(), "seerc-mem-")), backend, emit: (e) => events.push(e), control: { stopRequested: false, checkpointRequested: false } });
  const counts = events.flatMap((e) => (e.type === "step" ? [e.memory.tensors] : []));
  assert.equal(counts.length, 6);
  // The queue fills at step 2 and starts being scored at step 3; from then on nothing may grow.
  assert.deepEqual(counts.slice(3), counts.slice(3).map(() => counts[3]), `tensor counts ${counts}`);
  assert.equal(result.model.parameterCount(), ir.trunk.parameters + ir.head.parameters + ir.loss.prototype_parameters);
  result.model.dispose();
});
