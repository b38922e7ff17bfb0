import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import {
  BackendUnavailableError,
  MissingKernelsError,
  selectBackend,
  verifyGradientKernels,
} from "../../src/runtime/backend.js";
import { WASM_KERNEL_BUILDING_BLOCKS } from "../../src/runtime/kernels/index.js";
import { createSwavModel, SWAV_MODEL_KERNELS, type SwavModelSpec } from "../../src/runtime/model/index.js";

/** Runs an ES module snippet (TypeScript imports allowed) in a fresh Node process from the repo root. */
function runSnippet(source: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", source], {
    encoding: "utf8",
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("selectBackend", () => {
  it("auto picks wasm when no native TensorFlow binding is installed, and says why", async () => {
    const handlersBefore = process.listeners("unhandledRejection").length;
    const info = await selectBackend("auto");
    assert.equal(info.name, "wasm");
    assert.equal(tf.getBackend(), "wasm");
    assert.equal(info.nativeFound, false);
    assert.equal(info.version, "4.22.0");
    assert.equal(typeof info.simd, "boolean");
    assert.ok((info.threads ?? 0) >= 1);
    assert.match(info.reason, /@tensorflow\/tfjs-node-gpu: not installed/);
    assert.match(info.reason, /@tensorflow\/tfjs-node: not installed/);
    // Emscripten's process handlers (which turn any unhandled rejection into exit code 7) are gone.
    assert.equal(process.listeners("unhandledRejection").length, handlersBefore);
  });

  it("throws a user-facing BackendUnavailableError when native TensorFlow is forced but absent", async () => {
    await assert.rejects(selectBackend("tensorflow"), (error: unknown) => {
      assert.ok(error instanceof BackendUnavailableError);
      assert.equal(error.requested, "tensorflow");
      assert.match(error.message, /native TensorFlow backend is not available/);
      assert.match(error.message, /@tensorflow\/tfjs-node-gpu/);
      return true;
    });
  });

  it("selects cpu and wasm on request", async () => {
    assert.equal((await selectBackend("cpu")).name, "cpu");
    assert.equal(tf.getBackend(), "cpu");
    const wasm = await selectBackend("wasm");
    assert.equal(wasm.name, "wasm");
    assert.equal(wasm.reason, "wasm backend requested");
    assert.equal(tf.getBackend(), "wasm");
  });

  it("leaves unhandled rejections to Node (exit 1 with the error), not exit code 7", () => {
    const { status, stderr } = runSnippet(
      "import { selectBackend } from './src/runtime/backend.js';\n" +
        "await selectBackend('wasm');\n" +
        "Promise.reject(new Error('rejection-after-wasm'));",
    );
    assert.equal(status, 1, stderr);
    assert.match(stderr, /rejection-after-wasm/);
  });
});

describe("verifyGradientKernels", () => {
  it("finds the convolution weight gradient missing on stock wasm, and present once selectBackend installed it", () => {
    const { status, stdout, stderr } = runSnippet(
      "import * as tf from '@tensorflow/tfjs';\n" +
        "await import('@tensorflow/tfjs-backend-wasm');\n" +
        "await tf.setBackend('wasm');\n" +
        "const { verifyGradientKernels, selectBackend } = await import('./src/runtime/backend.js');\n" +
        "const { SWAV_MODEL_KERNELS } = await import('./src/runtime/model/index.js');\n" +
        "const stock = verifyGradientKernels(SWAV_MODEL_KERNELS, { throwOnMissing: false });\n" +
        "await selectBackend('wasm');\n" +
        "const ours = verifyGradientKernels(SWAV_MODEL_KERNELS, { throwOnMissing: false });\n" +
        "console.log(JSON.stringify({ stock: stock.missing, ours: ours.missing }));",
    );
    assert.equal(status, 0, stderr);
    const { stock, ours } = JSON.parse(stdout.trim().split("\n").pop() as string) as { stock: string[]; ours: string[] };
    assert.deepEqual(stock, ["Conv2DBackpropFilter"]);
    assert.deepEqual(ours, []);
  });

  it("reports every missing kernel by name in a MissingKernelsError", async () => {
    await selectBackend("wasm");
    assert.throws(
      () => verifyGradientKernels(["Conv2D", "DepthwiseConv2dNativeBackpropFilter", "Einsum"]),
      (error: unknown) => {
        assert.ok(error instanceof MissingKernelsError);
        assert.equal(error.backend, "wasm");
        assert.deepEqual(error.missing, ["DepthwiseConv2dNativeBackpropFilter", "Einsum"]);
        assert.match(error.message, /DepthwiseConv2dNativeBackpropFilter, Einsum/);
        return true;
      },
    );
    const report = verifyGradientKernels(["Conv2D", "Einsum"], { throwOnMissing: false });
    assert.deepEqual(report.missing, ["Einsum"]);
    assert.deepEqual(report.checked, ["Conv2D", "Einsum"]);
  });

  it("passes for the SwAV model kernels (and the wasm kernels built on) on wasm and cpu", async () => {
    await selectBackend("wasm");
    verifyGradientKernels([...SWAV_MODEL_KERNELS, ...WASM_KERNEL_BUILDING_BLOCKS]);
    verifyGradientKernels(SWAV_MODEL_KERNELS, { backendName: "cpu" });
  });

  it("SWAV_MODEL_KERNELS is exactly the set of kernels real training steps run (profiled on cpu)", async () => {
    await selectBackend("cpu");
    const tiny: SwavModelSpec = {
      trunk: {
        stemWidth: 8,
        stages: [
          { depth: 1, width: 16, groupWidth: 8, stride: 2, bottleneckMultiplier: 1 },
          { depth: 2, width: 24, groupWidth: 8, stride: 2, bottleneckMultiplier: 1 },
        ],
        seRatio: 0.25,
        zeroInitFinalBn: true,
      },
      head: { dims: [24, 16, 8], batchnorm: true, activation: "relu" },
      prototypes: 6,
      seed: 1,
      activationCheckpointing: false,
    };
    const variants: SwavModelSpec[] = [
      tiny,
      { ...tiny, activationCheckpointing: true, head: { dims: [24, 16, 8], batchnorm: false, activation: "relu" } },
      { ...tiny, head: { dims: [24, 16, 8], batchnorm: true, activation: "gelu" } },
      { ...tiny, head: { dims: [24, 16, 8], batchnorm: false, activation: "gelu" } },
    ];
    const kernelNames = new Set(tf.getKernelsForBackend("cpu").map((k) => k.kernelName));
    const seen = new Set<string>();
    for (const spec of variants) {
      const model = createSwavModel(spec);
      const x = tf.randomUniform([2, 16, 16, 3], -1, 1, "float32", 1) as tf.Tensor4D;
      const profile = await tf.profile(() =>
        tf.tidy(() => {
          tf.variableGrads(() => tf.sum(model.forward(x, "train").scores) as tf.Scalar, [...model.trainableVariables().values()]);
          model.forward(x, "eval");
          model.forwardTrunk(x, "eval", { stage: 1 });
          model.normalizePrototypes();
        }),
      );
      for (const kernel of profile.kernels) if (kernelNames.has(kernel.name)) seen.add(kernel.name);
      model.dispose();
      x.dispose();
    }
    assert.deepEqual([...seen].sort(), [...SWAV_MODEL_KERNELS].sort());
    assert.ok(seen.has("Conv2DBackpropFilter") && seen.has("_FusedMatMul"));
  });
});
