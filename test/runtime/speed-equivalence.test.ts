// The optimised wasm training path computes what the unoptimised one does.
//
// The speed work replaced ops with wasm kernels of this project's own: grouped convolution (per
// group inside one kernel; a block-diagonal matrix product for 1x1 activations; sub-pixel phases for
// strided input gradients), training batch norm (one kernel per direction), convolution gradients
// (im2col and transposed-matrix products), squeeze-excitation (one kernel per direction) and a
// memory-sharing Identity. The reference here is the cpu backend with tfjs' stock kernels and the
// op-level formulations (split → conv → concat, batch norm and SE from ops): same IR, same seed,
// same batch; the loss, every gradient, the running statistics and the weights after two full
// training steps must agree to float32 accuracy.
//
// The model is tiny but reaches every special case: 32 px and 16 px crops give 2x2 and 1x1
// activations in the last stage, each stage starts with a stride-2 grouped convolution, and the
// stem has 3 input channels (im2col weight gradient).
//
// Tolerances: the two backends sum in different orders (XNNPACK tiles, average pools, im2col
// products), so values agree to a few float32 ulps per accumulation; over this network the worst
// gradient entry observed differs by ~1e-5 of its tensor's largest entry. The bound used, 2e-4 of the
// largest entry (and 1e-5 relative for the loss), leaves room for that while still failing on any
// wrong index, missing tap, group mix-up or transposed block (those give errors of order 1).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { checkFiles } from "../../src/cli/workspace.js";
import type { ExperimentIR } from "../../src/compile/ir.js";
import { selectBackend } from "../../src/runtime/backend.js";
import type { Batch } from "../../src/runtime/data/index.js";
import { createSwavModel } from "../../src/runtime/model/index.js";
import { createOptimizer } from "../../src/runtime/optim/index.js";
import { swavLoss } from "../../src/runtime/swav/index.js";
import { cropGroups, forwardCrops, trainStep } from "../../src/runtime/train/trainer.js";
import { modelSpecOf, optimizerSpecOf } from "../../src/runtime/train/specs.js";

const EXPERIMENT = `
experiment equivalence {
  seed = 11
  data {
    source = synthetic()
    images = 64
    classes = 4
    image_size = 32px
  }
  trunk = anynet { depths = [1, 1, 2], widths = [8, 16, 32], group_widths = [4, 4, 8], se_ratio = 0.25, stem_width = 8 }
  augment = multicrop {
    crop 2 x 32px scale 0.4 .. 1.0
    crop 2 x 16px scale 0.1 .. 0.4
  }
  head = mlp [trunk.width, 16, 8]
  loss = swav {
    prototypes = 6
    sinkhorn { epsilon = 0.05, iterations = 3 }
  }
  optimizer = lars { momentum = 0.9, weight_decay = 1e-6 }
  schedule = constant 0.1
  train {
    batch = 4
    steps = 2
  }
}
`;

const GRADIENT_TOLERANCE = 2e-4;
const LOSS_TOLERANCE = 1e-5;

let dir = "";
let ir: ExperimentIR;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "seerc-equivalence-"));
  const file = join(dir, "equivalence.seer");
  writeFileSync(file, EXPERIMENT);
  const workspace = checkFiles([file]);
  assert.equal(workspace.experiments.length, 1, workspace.diagnostics.map((d) => d.message).join("\n"));
  ir = workspace.experiments[0].ir!;
  assert.ok(ir, workspace.diagnostics.map((d) => d.message).join("\n"));
  await selectBackend("cpu");
  await selectBackend("wasm");
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** The same pixels on both backends (LCG values in [-1.7, 1.7)). */
function fixedBatch(): Batch {
  const size = ir.train.global_batch;
  let state = 2024;
  const crops = ir.augment.crops.map((c) => {
    const data = new Float32Array(size * c.count * c.size * c.size * 3);
    for (let i = 0; i < data.length; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      data[i] = (state / 4294967296) * 3.4 - 1.7;
    }
    return { size: c.size, count: c.count, data };
  });
  return { step: 0, epoch: 0, size, crops, indices: new Int32Array(size), dataWaitMs: 0, skipped: [], cursor: { nextStep: 0 } } as unknown as Batch;
}

interface Measured {
  loss: number;
  grads: Map<string, Float32Array>;
  runningStats: Map<string, Float32Array>;
  kernels: Set<string>;
}

/** Loss and gradients of one step's objective (the trainer's forward per crop size and SwAV loss). */
async function lossAndGradients(backend: "cpu" | "wasm"): Promise<Measured> {
  await tf.setBackend(backend);
  const model = createSwavModel(modelSpecOf(ir));
  const trainable = model.trainableVariables();
  const batch = fixedBatch();
  let measured: Measured | null = null;
  const profile = await tf.profile(() => {
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const fwd = forwardCrops(model, cropGroups(ir, batch), batch.size, 0, batch.size);
        const { epsilon, iterations } = ir.loss.sinkhorn;
        return swavLoss({ scoresPerCrop: fwd.scoresPerCrop, assignCrops: ir.loss.assign_crops, temperature: ir.loss.temperature, epsilon, iterations, computeStats: false }).loss;
      }, [...trainable.values()]);
      const byName = new Map<string, Float32Array>();
      for (const [name, variable] of trainable) byName.set(name, grads[variable.name].dataSync() as Float32Array);
      const runningStats = new Map<string, Float32Array>();
      for (const [name, variable] of model.bnStateVariables()) runningStats.set(name, variable.dataSync() as Float32Array);
      measured = { loss: value.dataSync()[0], grads: byName, runningStats, kernels: new Set() };
    });
  });
  model.dispose();
  const result = measured as unknown as Measured;
  result.kernels = new Set(profile.kernels.map((k) => k.name));
  return result;
}

function assertTensorClose(actual: Float32Array, expected: Float32Array, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  }
  assert.ok(worst <= tolerance * Math.max(scale, 1e-12), `${what}: max |Δ| ${worst.toExponential(2)} > ${tolerance} × ${scale.toExponential(2)}`);
}

describe("optimised wasm training path vs the cpu backend's stock kernels", () => {
  it("gives the same loss, gradients and running statistics, and really runs the optimised kernels", async () => {
    const reference = await lossAndGradients("cpu");
    const optimised = await lossAndGradients("wasm");
    for (const name of ["SeercGroupedConv2D", "SeercGroupedConv2DBackpropInput", "SeercGroupedConv2DBackpropFilter", "SeercBatchNormTrain", "SeercBatchNormTrainGrad", "SeercSqueezeExcite", "SeercSqueezeExciteGrad", "Conv2DBackpropFilter"]) {
      assert.ok(optimised.kernels.has(name), `wasm ran ${name}`);
      assert.ok(!reference.kernels.has(name) || name === "Conv2DBackpropFilter", `cpu did not run ${name}`);
    }
    assert.ok(Math.abs(optimised.loss - reference.loss) <= LOSS_TOLERANCE * Math.abs(reference.loss), `loss ${optimised.loss} vs ${reference.loss}`);
    assert.equal(optimised.grads.size, reference.grads.size);
    for (const [name, expected] of reference.grads) {
      assertTensorClose(optimised.grads.get(name)!, expected, GRADIENT_TOLERANCE, `gradient of ${name}`);
    }
    for (const [name, expected] of reference.runningStats) {
      assertTensorClose(optimised.runningStats.get(name)!, expected, LOSS_TOLERANCE * 10, `running statistic ${name}`);
    }
  });

  it("gives the same losses and weights after two full training steps (LARS, prototype normalisation)", async () => {
    const run = async (backend: "cpu" | "wasm") => {
      await tf.setBackend(backend);
      const model = createSwavModel(modelSpecOf(ir));
      const isBiasOrNorm = (name: string) => ["conv_bias", "linear_bias", "bn_weight", "bn_bias"].includes(model.roleOf(name));
      const optimizer = createOptimizer(optimizerSpecOf(ir.optimizer), model.trainableVariables(), { isBiasOrNorm });
      const batch = fixedBatch();
      const losses = [0, 1].map((step) => trainStep(ir, model, optimizer, null, batch, step, 0.1, false).loss);
      const weights = new Map([...model.variables].map(([name, v]) => [name, v.dataSync() as Float32Array]));
      optimizer.dispose();
      model.dispose();
      return { losses, weights };
    };
    const reference = await run("cpu");
    const optimised = await run("wasm");
    optimised.losses.forEach((loss, i) => assert.ok(Math.abs(loss - reference.losses[i]) <= LOSS_TOLERANCE * Math.abs(reference.losses[i]), `step ${i + 1} loss ${loss} vs ${reference.losses[i]}`));
    for (const [name, expected] of reference.weights) {
      assertTensorClose(optimised.weights.get(name)!, expected, LOSS_TOLERANCE * 10, `${name} after two steps`);
    }
  });
});
