/** @jsxRuntime automatic */
// (test files sit outside tsconfig's `include`, so tsx needs the JSX runtime named here)
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { render } from "ink-testing-library";
import { Dashboard, DashboardApp, startDashboard, type RunControl } from "../../src/cli/ui/dashboard.js";
import { DashboardModel } from "../../src/cli/ui/dashboard-model.js";
import type { RunEvent } from "../../src/runtime/train/events.js";
import { collapsedStep, HASH, plainText, runStart, step, T0 } from "./ui-fixtures.js";

/** A model on a fake clock: step n arrives n seconds after the run started. */
function scripted(events: RunEvent[]): { model: DashboardModel; clock: { now: number } } {
  const clock = { now: T0 };
  const model = new DashboardModel({ name: "quickstart", hash: HASH, prototypes: 100, globalBatch: 32 }, () => clock.now);
  for (const e of events) {
    if (e.type === "step") clock.now = T0 + e.step * 1000;
    model.apply(e);
  }
  return { model, clock };
}

const steps = (from: number, to: number, make = step) => Array.from({ length: to - from + 1 }, (_, i) => make(from + i));
const idle = (): RunControl => ({ stopRequested: false, checkpointRequested: false });

function frameOf(model: DashboardModel, width = 100, control = idle()): string {
  const r = render(<Dashboard model={model} control={control} width={width} height={40} />);
  const text = plainText(r.lastFrame());
  r.unmount();
  return text;
}

test("the header, progress and rates come from the events and the clock", () => {
  const { model } = scripted([runStart(), ...steps(1, 10)]);
  const frame = frameOf(model);
  assert.match(frame, /^seerc run quickstart · IR 9bf9b8f8360b · runs\/quickstart-9bf9b8f8-20261129-170000Z$/m);
  assert.match(frame, /^backend wasm 4\.22\.0 \(SIMD, 1 thread\) · no native TensorFlow — wasm backend requested$/m);
  assert.match(frame, /^data 2,048 images · 1 worker · 3,061,388 parameters · synthetic\(images=2048/m);
  // 10 of 80 steps = 12.5%, shown rounded down.
  assert.match(frame, /^step 10\/80 █+░+  12%$/m);
  // Nine 1 s intervals between steps 1..10 → 1000 ms per step → 70 steps left = 1:10; 32 images per step.
  assert.match(frame, /^images 320\/2,560 · elapsed 0:10 · ETA 1:10$/m);
  // 200 ms of 1000 ms waiting for data; lr 0.05 x 10.
  assert.match(frame, /^32\.0 img\/s · data wait 20% · lr 0\.500$/m);
  // loss 5 - 0.01 n: 4.99 at step 1, 4.90 at step 10.
  assert.match(frame, /^loss 4\.9000  min 4\.9000  change over 10 steps -0\.0900  ln K 4\.605$/m);
  assert.match(frame, /^4\.990 ┤/m);
  assert.match(frame, /^4\.900 ┤/m);
  assert.match(frame, /^prototypes 30\.0\/100 in use  entropy 4\.50\/4\.61 nats \(98%\)  \(a batch reaches 32\)$/m);
  assert.match(frame, /✔ healthy/);
  assert.match(frame, /^memory rss 900 MiB · 468 tensors · 24\.0 MiB$/m);
  assert.match(frame, /^no checkpoint yet · skipped files 0$/m);
  assert.match(frame, /q stop \(checkpoint first\) · c checkpoint · Ctrl-C twice: abort/);
});

test("before run_start the dashboard says it is preparing; before ten steps health is warming up", () => {
  const { model } = scripted([]);
  assert.match(frameOf(model), /preparing: opening the data and building the model/);
  const warming = scripted([runStart(), ...steps(1, 5)]).model;
  assert.match(frameOf(warming), /warming up \(5 of 10 steps seen\)/);
});

test("a collapsed run (loss flat at ln K, one prototype in use) shows the collapse warning", () => {
  const { model } = scripted([runStart(), ...steps(1, 20, collapsedStep)]);
  const frame = frameOf(model).replace(/\n/g, " ");
  assert.match(frame, /✖ SwAV collapse: loss 4\.606 stuck at ln K = 4\.605 with 1\.0 of 100 prototypes in use over the last 20 steps/);
  assert.doesNotMatch(frame, /healthy/);
  // The same run before it collapsed was healthy: the verdict follows the recent window only.
  const recovered = scripted([runStart(), ...steps(1, 20, collapsedStep), ...steps(21, 40)]).model;
  assert.doesNotMatch(frameOf(recovered), /collapse/);
});

test("few prototypes in use without a stuck loss is reported as uneven use", () => {
  const { model } = scripted([runStart(), ...steps(1, 12, (n) => step(n, { prototypesUsed: 5 }))]);
  assert.match(frameOf(model), /⚠ prototypes used unevenly: only 5\.0 of 100 prototypes in use \(a batch can reach 32\)/);
});

test("evaluation results, checkpoints, skipped files, warnings and the end appear as they arrive", () => {
  const { model, clock } = scripted([runStart(), ...steps(1, 80)]);
  model.apply({ type: "checkpoint", step: 80, path: "runs/x/checkpoints/step-00000080", reason: "final" });
  model.apply({ type: "skipped_files", total: 2, files: [{ path: "data/bad.jpg", reason: "not an image" }] });
  model.apply({ type: "warning", code: "SEER7004", message: "skipping a damaged checkpoint" });
  model.apply({ type: "warning", code: "SEER7004", message: "skipping a damaged checkpoint" });
  model.apply({ type: "run_end", status: "completed", steps: 80, wallSeconds: 80, finalLoss: 4.2 });
  model.apply({ type: "eval_start", protocol: "knn", images: 1000 });
  let frame = frameOf(model);
  assert.match(frame, /^knn: running on 1,000 images…$/m);
  assert.match(frame, /^q stop the evaluation · Ctrl-C twice: abort$/m, "keys stay live while evaluation runs");
  clock.now += 5000;
  model.apply({ type: "eval_result", protocol: "knn", metrics: { top1: 0.452, top5: 0.8 } });
  frame = frameOf(model);
  assert.match(frame, /^knn: top1 45\.20%, top5 80\.00%$/m);
  assert.match(frame, /^checkpoint step 80 \(final\) 0:05 ago · skipped files 2$/m);
  assert.match(frame, /^last skipped: data\/bad\.jpg: not an image$/m);
  assert.match(frame, /^── warnings \(2\) ─+$/m);
  assert.match(frame, /^⚠ SEER7004 skipping a damaged checkpoint \(×2\)$/m);
  assert.match(frame, /^run completed after 80 steps in 1:20, final loss 4\.2000$/m);
  assert.doesNotMatch(frame, /ETA/, "no ETA once the run has ended");
  assert.doesNotMatch(frame, /Ctrl-C/, "no keys once everything is done");
});

test("at 60 columns every line fits and the essentials stay", () => {
  const { model } = scripted([
    runStart({ runDir: "/a/very/long/path/to/the/runs/folder/quickstart-9bf9b8f8-20261129-170000Z", data: { source: "folder /data/images/a/very/long/path/that/goes/on/and/on", images: 1234567, workers: 4 } }),
    ...steps(1, 20, collapsedStep),
  ]);
  model.apply({ type: "warning", message: "a long warning that has to wrap onto a second line because it is longer than sixty columns" });
  model.apply({ type: "eval_result", protocol: "linear", metrics: { top1: 0.5, top5: 0.9, loss: 1.2345 } });
  const frame = frameOf(model, 60);
  for (const line of frame.split("\n")) assert.ok(line.length <= 60, `line over 60 columns (${line.length}): ${JSON.stringify(line)}`);
  assert.match(frame, /^step 20\/80 █+░+  25%$/m);
  assert.match(frame, /ETA 1:00/);
  assert.match(frame, /SwAV collapse/);
  assert.match(frame, /no native TensorFlow/);
  assert.match(frame, /1,234,567 images/);
  assert.match(frame, /top1 50\.00%/);
  assert.match(frame, /sixty columns/, "warnings wrap instead of being cut");
});

test("keys: q stops, c checkpoints, Ctrl-C interrupts, and a burst of keys counts each one", async () => {
  const { model } = scripted([runStart(), ...steps(1, 3)]);
  const control = idle();
  let interrupts = 0;
  let redraws = 0;
  const r = render(<DashboardApp model={model} control={control} width={80} onInterrupt={() => interrupts++} onControlChange={() => redraws++} />);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  await settle();
  r.stdin.write("c");
  await settle();
  assert.equal(control.checkpointRequested, true);
  assert.equal(control.stopRequested, false);
  r.stdin.write("x");
  await settle();
  assert.equal(redraws, 1, "keys that mean nothing do not redraw");
  r.stdin.write("\x03");
  await settle();
  assert.equal(interrupts, 1);
  r.stdin.write("\x03\x03");
  await settle();
  assert.equal(interrupts, 3, "two Ctrl-C typed during a blocking step arrive together and both count");
  r.stdin.write("q");
  await settle();
  assert.equal(control.stopRequested, true);
  r.rerender(<Dashboard model={model} control={control} width={80} />);
  assert.match(plainText(r.lastFrame()), /stopping after this step/);
  r.unmount();
});

class FakeTerminal extends EventEmitter {
  columns = 80;
  rows = 40;
  isTTY = true;
  writes: string[] = [];
  write(chunk: string, callback?: () => void): boolean {
    this.writes.push(String(chunk));
    if (callback) setImmediate(callback);
    return true;
  }
}

class FakeKeyboard extends EventEmitter {
  isTTY = false;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read() {
    return null;
  }
}

test("startDashboard draws at most maxFps frames however fast events come, and close draws the last one", async () => {
  const stdout = new FakeTerminal();
  const control = idle();
  const ui = startDashboard({
    ir: { name: "quickstart", hash: HASH, loss: { prototypes: 100 }, train: { global_batch: 32 } },
    control,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: new FakeKeyboard() as unknown as NodeJS.ReadStream,
    maxFps: 10,
  });
  const frames = () => stdout.writes.filter((w) => w.includes("seerc run quickstart")).length;
  ui.handle(runStart());
  const started = Date.now();
  for (let n = 1; n <= 80; n++) ui.handle(step(n));
  ui.handle({ type: "run_end", status: "completed", steps: 80, wallSeconds: 80, finalLoss: 4.2 });
  await new Promise((resolve) => setTimeout(resolve, 350));
  const elapsed = Date.now() - started;
  // 82 events in well under a frame, then ~350 ms: at 10 fps that is the first frame and a few more.
  assert.ok(frames() <= 2 + Math.ceil(elapsed / 100), `${frames()} frames in ${elapsed} ms`);
  await ui.close();
  const last = plainText(stdout.writes.filter((w) => w.includes("seerc run quickstart")).at(-1));
  assert.match(last, /step 80\/80/);
  assert.match(last, /run completed after 80 steps/);
});
