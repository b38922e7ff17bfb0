// `seerc export --format torchvision` against the real thing: the exported state dict must load into
// torchvision's RegNet with strict key matching and give the pooled features seerc computes, within
// 1e-4. Needs /usr/bin/python3 with torch and torchvision (Debian: python3-torchvision). Without them
// the tests are reported as skipped with the reason — or fail when SEERC_REQUIRE_TORCHVISION=1 (CI).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../src/runtime/backend.js";
import { createSwavModel, type SwavModel } from "../../src/runtime/model/index.js";
import { modelSpecOf } from "../../src/runtime/train/specs.js";
import { encodeNpy } from "../../src/runtime/eval/index.js";
import { blockParams } from "../../src/cli/export.js";
import type { ExperimentIR } from "../../src/compile/ir.js";
import { compileSeer, lcg, randomizeBatchNorms, runCli, tempDir, tinySeer, writeModelCheckpoint, type CliResult } from "../runtime/eval-helpers.js";

const PYTHON = process.env.SEERC_PYTHON ?? "/usr/bin/python3";

/** Reads the safetensors file by hand (the `safetensors` package is not in Debian), loads it strictly, prints the features. */
const CHECK_SCRIPT = String.raw`
import json, struct, sys
import numpy as np
import torch
from torchvision.models import regnet
def load(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    dtypes = {"F32": torch.float32, "I64": torch.int64}
    state = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        state[name] = torch.frombuffer(bytearray(raw[8 + n + a:8 + n + b]), dtype=dtypes[e["dtype"]]).reshape(e["shape"])
    return state
out = []
for job in json.loads(sys.argv[1]):
    if job["builder"] == "block_params":
        p = job["params"]
        model = regnet.RegNet(regnet.BlockParams(depths=p["depths"], widths=p["widths"], group_widths=p["group_widths"],
            bottleneck_multipliers=[float(b) for b in p["bottleneck_multipliers"]], strides=p["strides"], se_ratio=p["se_ratio"]),
            stem_width=p["stem_width"])
    else:
        model = getattr(regnet, job["builder"])()
    model.fc = torch.nn.Identity()
    try:
        model.load_state_dict(load(job["weights"]), strict=True)
    except RuntimeError as e:
        out.append({"error": str(e)})
        continue
    model.eval()
    x = torch.from_numpy(np.load(job["input"])).permute(0, 3, 1, 2).contiguous()
    with torch.no_grad():
        y = model(x)
    out.append({"shape": list(y.shape), "features": y.flatten().tolist()})
print(json.dumps(out))
`;

function torchvisionProblem(): string | null {
  const probe = spawnSync(PYTHON, ["-c", "import torch, torchvision, numpy; print(torchvision.__version__)"], { encoding: "utf8" });
  if (probe.error) return `${PYTHON} cannot be run (${probe.error.message})`;
  if (probe.status !== 0) return `${PYTHON} has no torch/torchvision/numpy: ${probe.stderr.trim().split("\n").pop()}`;
  return null;
}

const missing = torchvisionProblem();

/** Skips, saying why, when PyTorch is absent — unless SEERC_REQUIRE_TORCHVISION=1 makes that a failure. */
function requireTorchvision(t: TestContext): boolean {
  if (missing === null) return true;
  const reason = `PyTorch cross-check not run: ${missing}. Install python3-torchvision (apt) to run it.`;
  if (process.env.SEERC_REQUIRE_TORCHVISION === "1") assert.fail(reason);
  process.stderr.write(`SKIPPED: ${reason}\n`);
  t.skip(reason);
  return false;
}

interface Case {
  tag: string;
  builder: string;
  ir: ExperimentIR;
  model: SwavModel;
  images: tf.Tensor4D;
}

let work: { dir: string; cleanup: () => void };
const cases: Case[] = [];
let exported: CliResult[] = [];
let torchOutputs: Array<{ shape?: number[]; features?: number[]; error?: string }> = [];
let pythonFailure = "";

before(async () => {
  await selectBackend("wasm");
  work = tempDir("seerc-interop-");
  if (missing !== null) return;
  const tiny = compileSeer(tinySeer(), work.dir);
  const y400 = compileSeer(
    `import "regnet"\n` + tinySeer({ name: "y400" }).replace(/trunk = anynet \{[^}]*\}/, "trunk = RegNetY_400MF").replace("head = mlp [trunk.width, 16, 8]", "head = mlp [trunk.width, 8]"),
    work.dir,
    "y400.seer",
  );
  cases.push({ tag: "tiny", builder: "block_params", ir: tiny, model: createSwavModel(modelSpecOf(tiny)), images: randomImages([3, 40, 40, 3], 1) });
  cases.push({ tag: "y400", builder: "regnet_y_400mf", ir: y400, model: createSwavModel(modelSpecOf(y400)), images: randomImages([2, 64, 64, 3], 2) });
  const jobs = cases.map((c, k) => {
    // Non-trivial BatchNorm state everywhere, so every stored tensor shapes the output.
    randomizeBatchNorms(c.model, 5 + k);
    writeModelCheckpoint(join(work.dir, c.tag), c.ir, c.model, 7);
    const input = join(work.dir, `${c.tag}-input.npy`);
    writeFileSync(input, encodeNpy(c.images.dataSync() as Float32Array, c.images.shape));
    return { weights: join(work.dir, `${c.tag}.safetensors`), input, builder: c.builder, params: blockParams(c.ir) };
  });
  exported = runCli(cases.map((c, k) => ["export", join(work.dir, c.tag), "--format", "torchvision", "-o", jobs[k].weights]));
  if (exported.some((r) => r.code !== 0)) return;
  const run = spawnSync(PYTHON, ["-c", CHECK_SCRIPT, JSON.stringify(jobs)], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (run.status !== 0) pythonFailure = run.stderr;
  else torchOutputs = JSON.parse(run.stdout);
});

after(() => {
  for (const c of cases) {
    c.model.dispose();
    c.images.dispose();
  }
  work.cleanup();
});

/** Largest |seerc − torchvision| of the pooled features of case `k`. */
function largestDifference(k: number): number {
  const c = cases[k];
  const { code, stdout, stderr } = exported[k];
  assert.equal(code, 0, `seerc export failed:\n${stdout}${stderr}`);
  assert.match(stdout, /model\.load_state_dict\(load_file\(/, "the export prints how to load it");
  assert.equal(pythonFailure, "", `the PyTorch check crashed:\n${pythonFailure}`);
  const torch = torchOutputs[k];
  assert.equal(torch.error, undefined, `torchvision refused the export with strict=True:\n${torch.error}`);
  const ours = c.model.forwardTrunk(c.images, "eval");
  try {
    assert.deepEqual(torch.shape, ours.shape);
    const values = ours.dataSync();
    const scale = Math.max(...Array.from(values, Math.abs));
    assert.ok(scale > 1e-3, "the features are not all zero (the comparison means something)");
    let worst = 0;
    values.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - torch.features![i]))));
    return worst;
  } finally {
    ours.dispose();
  }
}

function randomImages(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  const random = lcg(seed);
  return tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 4 - 2), shape);
}

describe("torchvision export", () => {
  it("loads strictly into RegNet(BlockParams of the stage table) and gives the same pooled features", (t) => {
    if (!requireTorchvision(t)) return;
    const worst = largestDifference(0);
    t.diagnostic(`largest |seerc − torchvision| = ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-4, `largest difference ${worst}`);
  });

  it("loads strictly into torchvision's regnet_y_400mf for the RegNetY_400MF preset", (t) => {
    if (!requireTorchvision(t)) return;
    assert.deepEqual(cases[1].ir.trunk.stages.map((s) => s.width), [48, 104, 208, 440], "torchvision's regnet_y_400mf widths");
    const worst = largestDifference(1);
    t.diagnostic(`largest |seerc − torchvision| = ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-4, `largest difference ${worst}`);
  });
});
