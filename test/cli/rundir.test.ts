import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { formatRunsTable, listRuns } from "../../src/cli/runs.js";
import type { RunEvent } from "../../src/runtime/train/events.js";
import { TINY_EXPERIMENT } from "./ui-fixtures.js";

const jsonLines = (path: string) => readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l));

test("a tiny real run leaves a complete run directory, a report, and is listed by seerc runs", async () => {
  const work = mkdtempSync(join(tmpdir(), "seerc-rundir-"));
  const source = join(work, "tiny.seer");
  writeFileSync(source, TINY_EXPERIMENT);
  const runs = join(work, "runs");
  // --steps caps the run at 3 of its 6 steps: checkpoints at step 2 (every 2 steps) and 3 (final).
  const r = await execa("node", ["--import", "tsx", "src/cli/entry.ts", "run", source, "--steps", "3", "--backend", "wasm", "--plain", "--no-eval", "--runs", runs], {
    reject: false,
    env: { NO_COLOR: "1" },
    timeout: 120_000,
  });
  assert.equal(r.exitCode, 0, r.stderr);
  const [name] = readdirSync(runs);
  const dir = join(runs, name);
  assert.match(name, /^tiny-[0-9a-f]{8}-\d{8}-\d{6}Z$/);

  const ir = JSON.parse(readFileSync(join(dir, "ir.json"), "utf8"));
  assert.equal(name.split("-")[1], ir.hash.slice(0, 8));
  assert.equal(readFileSync(join(dir, "sources", "tiny.seer"), "utf8"), TINY_EXPERIMENT);

  const events = jsonLines(join(dir, "events.jsonl")) as RunEvent[];
  assert.deepEqual(events.map((e) => e.type), ["run_start", "step", "step", "checkpoint", "step", "checkpoint", "run_end"]);
  const metrics = jsonLines(join(dir, "metrics.jsonl"));
  assert.deepEqual(metrics.map((m) => m.step), [1, 2, 3]);
  const stepEvents = events.filter((e): e is Extract<RunEvent, { type: "step" }> => e.type === "step");
  assert.deepEqual(metrics.map((m) => m.loss), stepEvents.map((e) => e.loss), "metrics.jsonl holds the step events' losses");
  for (const m of metrics) assert.ok(Number.isFinite(m.loss) && m.loss > 0 && m.prototypes_used >= 1 && m.prototypes_used <= 8, JSON.stringify(m));

  const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
  assert.equal(summary.status, "completed");
  assert.equal(summary.steps, 3);
  assert.equal(summary.total_steps, 3);
  assert.equal(summary.final_loss, metrics[2].loss);
  assert.equal(summary.backend, "wasm");
  assert.equal(summary.hash, ir.hash);
  assert.equal(summary.host, hostname());
  assert.equal(typeof summary.pid, "number");
  assert.deepEqual(readdirSync(join(dir, "checkpoints")), ["step-00000002", "step-00000003"]);
  assert.ok(existsSync(join(dir, "checkpoints", "step-00000003", "state.json")));
  assert.ok(!existsSync(join(dir, "skipped-files.txt")), "nothing skipped on synthetic data");

  const out = r.stdout.split("\n");
  assert.equal(out[0], `run tiny (IR ${ir.hash.slice(0, 12)}) → ${dir}`);
  assert.equal(out[3], "3 steps of 8 images, " + out[3].split(", ")[1]);
  assert.deepEqual(out.filter((l) => l.startsWith("step ")).map((l) => l.slice(0, 8)), ["step 1/3", "step 2/3", "step 3/3"], "log_every 2: the first, the second and the last step");
  assert.equal(out.filter((l) => l.startsWith("checkpoint ")).length, 2);
  assert.equal(out.at(-3), `checkpoint at step 3 (final): ${join(dir, "checkpoints", "step-00000003")}`);
  assert.match(out.at(-2)!, new RegExp(`^run completed after 3 steps in \\d+\\.\\d s, final loss ${metrics[2].loss.toFixed(4).replace(".", "\\.")}$`));
  assert.equal(out.at(-1), `report ${join(dir, "report.html")}`);

  const html = readFileSync(join(dir, "report.html"), "utf8");
  assert.match(html, /data-series="loss"/);
  assert.match(html, /data-series="learning rate"/);
  assert.match(html, /data-series="prototypes in use"/);
  assert.match(html, /data-series="images\/s"/);

  const listed = listRuns(runs);
  assert.equal(listed.length, 1);
  assert.deepEqual({ ...listed[0], dir: undefined, started: undefined }, {
    name,
    dir: undefined,
    experiment: "tiny",
    status: "completed",
    steps: 3,
    totalSteps: 3,
    lastLoss: metrics[2].loss,
    hash: ir.hash,
    started: undefined,
  });
});

function fakeRun(dir: string, summary: Record<string, unknown> | null, metrics: Array<{ step: number; loss: number }> = [], ir?: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  if (summary) writeFileSync(join(dir, "summary.json"), JSON.stringify(summary));
  if (ir) writeFileSync(join(dir, "ir.json"), JSON.stringify(ir));
  writeFileSync(join(dir, "metrics.jsonl"), metrics.map((m) => JSON.stringify(m)).join("\n") + (metrics.length ? "\n" : ""));
}

test("seerc runs: oldest first, killed runs read as interrupted, live progress from metrics.jsonl, sweep trials one level down", async () => {
  const root = mkdtempSync(join(tmpdir(), "seerc-runs-"));
  const child = execa("node", ["-e", ""]);
  const gone = child.pid!;
  await child;
  const base = { experiment: "quickstart", ended: null, wall_seconds: null, backend: "wasm", backend_reason: "", evaluations: {}, skipped_files: 0, error: null };
  fakeRun(join(root, "b-done"), { ...base, hash: "1111111111aa", status: "completed", started: "2026-11-29T17:05:00.000Z", steps: 80, total_steps: 80, final_loss: 4.1234, pid: gone, host: hostname() });
  // Killed at step 12 with its summary last written at the step-10 checkpoint.
  fakeRun(join(root, "a-killed"), { ...base, hash: "2222222222bb", status: "running", started: "2026-11-29T16:00:00.000Z", steps: 10, total_steps: 80, final_loss: 4.5, pid: gone, host: hostname() }, [
    { step: 11, loss: 4.49 },
    { step: 12, loss: 4.48 },
  ]);
  fakeRun(join(root, "c-live"), { ...base, hash: "3333333333cc", status: "running", started: "2026-11-29T17:10:00.000Z", steps: 0, total_steps: 80, final_loss: null, pid: process.pid, host: hostname() }, [{ step: 3, loss: 4.9 }]);
  fakeRun(join(root, "sweep", "trial-1"), null, [], { name: "trial", hash: "4444444444dd", train: { total_steps: 20 } });
  mkdirSync(join(root, "not-a-run"));
  assert.equal(
    formatRunsTable(listRuns(root)),
    [
      "RUN            STATUS       STEPS    LOSS  HASH      STARTED",
      "sweep/trial-1  unknown       0/20       —  44444444  —",
      "a-killed       interrupted  12/80  4.4800  22222222  2026-11-29 16:00Z",
      "b-done         completed    80/80  4.1234  11111111  2026-11-29 17:05Z",
      "c-live         running       3/80  4.9000  33333333  2026-11-29 17:10Z",
    ].join("\n"),
  );
});
