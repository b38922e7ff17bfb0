// Training kernels for the wasm backend, built from the backend's own forward kernels.
//
// The stock wasm backend registers no Conv2DBackpropFilter (so it cannot train a convnet), its
// Conv2DBackpropInput is a scalar loop about 9x slower than the XNNPACK forward convolution, and its
// BatchMatMul with transposeA/transposeB runs a slow path (1.7 vs 21 GMAC/s) that every matMul
// gradient hits. Each kernel below rewrites the computation as calls to fast stock kernels
// (Conv2D, Transpose, PadV2, Reverse, Reshape, Slice, BatchMatMul without transposes).
//
// SplitV and Concat (grouped convolutions split and join channels) are replaced too: the stock
// SplitV copies the whole input heap buffer once per output (readSync), so splitting into G groups
// costs G full copies (97 ms for 46 groups of a 1.5M-element activation), and the stock Concat makes
// one TypedArray.set call per row. Both are plain copies, done here on views of the wasm heap.
import * as tf from "@tensorflow/tfjs";
import { conv2dBackpropFilter, conv2dBackpropInput } from "./wasm-conv.js";
import { BATCH_NORM_BUILDING_BLOCKS, batchNormKernels } from "./wasm-batch-norm.js";
import { groupedConvKernels } from "./wasm-grouped-conv.js";
import { SQUEEZE_EXCITE_BUILDING_BLOCKS, squeezeExciteKernels } from "./wasm-squeeze-excite.js";
import { copyBlocks, product, transpose2d, withCalls, type KernelCalls, type KernelFunction, type WasmHeapBackend } from "./wasm-heap.js";

/** Stock kernels the replacements are built from; they must stay registered on wasm. */
export const WASM_KERNEL_BUILDING_BLOCKS = [
  "Conv2D",
  "Transpose",
  "Reshape",
  "Slice",
  "BatchMatMul",
  "SplitV",
  "Concat",
  "Identity",
  ...BATCH_NORM_BUILDING_BLOCKS,
  ...SQUEEZE_EXCITE_BUILDING_BLOCKS,
] as const;

function makeConv2DBackpropFilter(stock: ReadonlyMap<string, KernelFunction>): KernelFunction {
  return withCalls(stock, (calls, { inputs, attrs }) =>
    conv2dBackpropFilter(calls, inputs.x as tf.TensorInfo, inputs.dy as tf.TensorInfo, attrs as unknown as tf.Conv2DBackpropFilterAttrs),
  );
}

function makeConv2DBackpropInput(stock: ReadonlyMap<string, KernelFunction>): KernelFunction {
  return withCalls(stock, (calls, { inputs, attrs }) =>
    conv2dBackpropInput(calls, inputs.dy as tf.TensorInfo, inputs.filter as tf.TensorInfo, attrs as unknown as tf.Conv2DBackpropInputAttrs),
  );
}

/** BatchMatMul whose transposes are made explicit so the stock kernel always takes its fast path. */
function makeBatchMatMul(stock: ReadonlyMap<string, KernelFunction>): KernelFunction {
  return withCalls(stock, (calls, { inputs, attrs }) => {
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    let a = inputs.a as tf.TensorInfo;
    let b = inputs.b as tf.TensorInfo;
    if (transposeA) a = transposeLastTwo(calls, a);
    if (transposeB) b = transposeLastTwo(calls, b);
    return calls.run("BatchMatMul", { a, b }, { transposeA: false, transposeB: false });
  });
}

/** The stock Transpose is 2–5x slower than transpose2d on the tall matrices matMul gradients transpose. */
function transposeLastTwo(calls: KernelCalls, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const batch = x.shape.slice(0, -2).reduce((p, q) => p * q, 1);
  if (batch !== 1) return calls.transpose(x, swapLastTwo(rank));
  const [rows, cols] = x.shape.slice(-2);
  return calls.reshape(transpose2d(calls, x, rows, cols), [...x.shape.slice(0, -2), cols, rows]);
}

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

function makeSplitV(stock: ReadonlyMap<string, KernelFunction>): KernelFunction {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === "string" || x.dtype === "complex64") return (stock.get("SplitV") as KernelFunction)(args);
    const backend = args.backend as unknown as WasmHeapBackend;
    const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
    const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
    const outer = product(x.shape.slice(0, $axis));
    const inner = product(x.shape.slice($axis + 1));
    const outputs = sizes.map((s) => {
      const shape = x.shape.slice();
      shape[$axis] = s;
      return backend.makeOutput(shape, x.dtype);
    });
    // Views are taken after every allocation: growing the heap detaches earlier views.
    const src = backend.typedArrayFromHeap(x);
    let offset = 0;
    outputs.forEach((out, i) => {
      const block = sizes[i] * inner;
      copyBlocks(src, offset * inner, x.shape[$axis] * inner, backend.typedArrayFromHeap(out), 0, block, outer, block);
      offset += sizes[i];
    });
    return outputs;
  };
}

function makeConcat(stock: ReadonlyMap<string, KernelFunction>): KernelFunction {
  return (args) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    if (inputs[0].dtype === "string" || inputs[0].dtype === "complex64") {
      return (stock.get("Concat") as KernelFunction)(args);
    }
    const backend = args.backend as unknown as WasmHeapBackend;
    const $axis = tf.util.parseAxisParam((args.attrs as unknown as tf.ConcatAttrs).axis, inputs[0].shape)[0];
    const outShape = tf.backend_util.computeOutShape(
      inputs.map((t) => t.shape),
      $axis,
    );
    const out = backend.makeOutput(outShape, inputs[0].dtype);
    const nonEmpty = inputs.filter((t) => product(t.shape) > 0);
    if (nonEmpty.length === 0) return out;
    const outer = product(outShape.slice(0, $axis));
    const outRow = product(outShape.slice($axis));
    const dst = backend.typedArrayFromHeap(out);
    let offset = 0;
    for (const t of nonEmpty) {
      const row = product(t.shape.slice($axis));
      copyBlocks(backend.typedArrayFromHeap(t), 0, row, dst, offset, outRow, outer, row);
      offset += row;
    }
    return out;
  };
}

/**
 * Identity sharing its input's memory (reference-counted), as the cpu and webgl backends do. The
 * stock wasm kernel copies: the engine clones every tensor it saves for the backward pass through
 * Identity, so on wasm each saved activation was stored twice and copied once more per step.
 * Sharing is safe because no wasm kernel writes into an existing tensor's memory.
 */
function makeIdentity(stock: ReadonlyMap<string, KernelFunction>): KernelFunction {
  return (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === "string") return (stock.get("Identity") as KernelFunction)(args);
    (args.backend as unknown as { incRef(dataId: tf.DataId): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

const installed = new Set<string>();

/** The kernels this module registers or replaces on wasm. */
export const WASM_REPLACED_KERNELS = [
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "BatchMatMul",
  "SplitV",
  "Concat",
  "Identity",
] as const;

/**
 * Registers Conv2DBackpropFilter and replaces Conv2DBackpropInput, BatchMatMul, SplitV and Concat
 * on the wasm backend. Idempotent. The stock kernels are captured before replacement so the replacements can
 * call them.
 */
export function installWasmTrainingKernels(): void {
  if (installed.has("wasm")) return;
  const stock = new Map<string, KernelFunction>();
  for (const name of WASM_KERNEL_BUILDING_BLOCKS) {
    const config = tf.getKernel(name, "wasm");
    if (config === undefined) {
      throw new Error(`wasm backend lacks the stock kernel '${name}' needed by the training kernels`);
    }
    stock.set(name, config.kernelFunc);
  }
  const replacements: Array<[string, KernelFunction]> = [
    ["Conv2DBackpropFilter", makeConv2DBackpropFilter(stock)],
    ["Conv2DBackpropInput", makeConv2DBackpropInput(stock)],
    ["BatchMatMul", makeBatchMatMul(stock)],
    ["SplitV", makeSplitV(stock)],
    ["Concat", makeConcat(stock)],
    ["Identity", makeIdentity(stock)],
    ...groupedConvKernels(stock),
    ...batchNormKernels(stock),
    ...squeezeExciteKernels(stock),
  ];
  for (const [kernelName, kernelFunc] of replacements) {
    if (tf.getKernel(kernelName, "wasm") !== undefined) tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc });
  }
  installed.add("wasm");
}
