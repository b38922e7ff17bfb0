import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { checkFiles } from "../../src/cli/workspace.js";
import { canonicalHash } from "../../src/compile/hash.js";
import { planSweep } from "../../src/sweep/plan.js";
import { emitSlurm } from "../../src/sweep/slurm.js";
import { REPO_ROOT, seerc, tempDir, writeSweep } from "./helpers.js";

function writeAll(outDir: string, files: Array<{ name: string; text: string }>): void {
  for (const f of files) {
    mkdirSync(resolve(outDir, f.name, ".."), { recursive: true });
    writeFileSync(join(outDir, f.name), f.text);
  }
}

/** Runs one array task of the script the way SLURM would, with `env` added. */
function task(script: string, id: number | string, env: Record<string, string>) {
  return execa("bash", [script], { reject: false, env: { ...env, SLURM_ARRAY_TASK_ID: String(id) } });
}

test("the SLURM array script is valid bash and runs `seerc run` on every distinct trial, one per task", async () => {
  const file = writeSweep("sweep grid from tiny {\n  seed in [1, 2, 1]\n  loss.temperature in [0.1, 0.2]\n  parallel = 2\n}\n");
  const plan = planSweep(checkFiles([file]).sweeps[0])!;
  assert.equal(plan.unique.length, 4);
  const outDir = tempDir("slurm");
  const emitted = emitSlurm(plan, { outDir, invocation: "seerc sweep test", parallel: 2, backend: "wasm", steps: 2, scriptPath: "out/grid.sbatch" });
  assert.deepEqual(emitted.diagnostics, []);
  writeAll(outDir, emitted.files);
  const script = join(outDir, "grid.sbatch");

  await execa("bash", ["-n", script]);
  assert.match(emitted.script, /^#SBATCH --array=0-3%2$/m);
  assert.match(emitted.script, /^#   trial 4 \(seed=1, loss\.temperature=0\.1\) = trial 0$/m);

  // With SEERC=echo each task prints the command it would run.
  const seen: number[] = [];
  for (const { task: id, trial } of emitted.tasks) {
    const r = await task(script, id, { SEERC: "echo", PATH: process.env.PATH! });
    assert.equal(r.exitCode, 0, r.stderr);
    const label = String(trial).padStart(3, "0");
    assert.equal(r.stdout.trim(), `run ${outDir}/trials/${label}.ir.json --runs ${outDir}/runs/${label} --backend wasm --steps 2 --plain`);
    const ir = JSON.parse(readFileSync(join(outDir, "trials", `${label}.ir.json`), "utf8"));
    assert.equal(canonicalHash(ir), plan.trials[trial].hash, "the task's IR is the trial's");
    seen.push(trial);
  }
  assert.deepEqual(seen, [0, 1, 2, 3]);
  assert.deepEqual(readdirSync(join(outDir, "trials")).sort(), ["000.ir.json", "001.ir.json", "002.ir.json", "003.ir.json"]);
  const outside = await task(script, 4, { SEERC: "echo", PATH: process.env.PATH! });
  assert.equal(outside.exitCode, 2);
  assert.match(outside.stderr, /no trial for array task 4/);

  // A requeued task continues its trial's last run.
  mkdirSync(join(outDir, "runs", "002", "tiny-x-1", "checkpoints"), { recursive: true });
  const requeued = await task(script, 2, { SEERC: "echo", PATH: process.env.PATH! });
  assert.match(requeued.stdout, new RegExp(`--resume ${outDir}/runs/002/tiny-x-1/$`, "m"));

  // And for real: task 1 trains trial 1 with this checkout's seerc.
  const real = await task(script, 1, { SEERC: `${process.execPath} --import tsx ${resolve(REPO_ROOT, "src/cli/entry.ts")}`, PATH: process.env.PATH!, NO_COLOR: "1" });
  assert.equal(real.exitCode, 0, real.stderr);
  const [runDir] = readdirSync(join(outDir, "runs", "001"));
  const summary = JSON.parse(readFileSync(join(outDir, "runs", "001", runDir, "summary.json"), "utf8"));
  assert.equal(summary.status, "completed");
  assert.equal(summary.steps, 2);
  assert.equal(summary.hash, plan.trials[1].hash);
});

test("VISSL trials: each task installs its trial's config in the VISSL checkout and launches it", async () => {
  const outDir = tempDir("slurm-vissl");
  const r = await seerc(["sweep", "experiments/scaling.seer", "--emit", "slurm", "-o", outDir]);
  assert.equal(r.exitCode, 0, r.all);
  assert.match(r.stdout, /36 array tasks for 36 trials/);
  const script = join(outDir, "scaling.sbatch");
  await execa("bash", ["-n", script]);
  const text = readFileSync(script, "utf8");
  assert.match(text, /^#SBATCH --array=0-35%1$/m);
  assert.match(text, /^#SBATCH --nodes=64$/m);
  assert.match(text, /^#SBATCH --gpus-per-node=8$/m);
  for (let i = 0; i < 36; i++) assert.match(text, new RegExp(`^  ${i}\\) # trial ${i}: trunk=`, "m"));

  // A VISSL checkout and SLURM's tools, faked: srun records what it was asked to run.
  const vissl = tempDir("vissl-checkout");
  const bin = tempDir("fake-slurm");
  writeFileSync(join(bin, "scontrol"), "#!/bin/bash\necho node001\n");
  writeFileSync(join(bin, "srun"), `#!/bin/bash\necho "$PWD $*" > "${vissl}/srun-args"\n`);
  chmodSync(join(bin, "scontrol"), 0o755);
  chmodSync(join(bin, "srun"), 0o755);
  const env = { PATH: `${bin}:${process.env.PATH}`, VISSL_DIR: vissl, SLURM_JOB_NODELIST: "node[001-064]", SLURM_CPUS_ON_NODE: "80" };
  for (const [id, prototypes] of [[3, 16000], [30, 3000]] as const) {
    const t = await task(script, id, env);
    assert.equal(t.exitCode, 0, t.stderr);
    const label = String(id).padStart(3, "0");
    const installed = join(vissl, "configs/config/seerc_sweeps/scaling", `trial_${label}.yaml`);
    assert.ok(existsSync(installed));
    const yaml = readFileSync(installed, "utf8");
    assert.match(yaml, new RegExp(`DIR: "checkpoints/scaling_${label}"`), "each trial checkpoints in its own folder");
    assert.match(yaml, new RegExp(`num_prototypes: \\[${prototypes}\\]`));
    const args = readFileSync(join(vissl, "srun-args"), "utf8");
    assert.match(args, new RegExp(`^${vissl} --ntasks-per-node=1 python3 tools/run_distributed_engines.py config=seerc_sweeps/scaling/trial_${label} `));
  }
});
