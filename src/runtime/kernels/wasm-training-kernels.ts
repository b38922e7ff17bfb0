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

type KernelFunction = tf.KernelFunc;
type Attrs = tf.NamedAttrMap;
type Padding = "valid" | "same" | number | tf.backend_util.ExplicitPadding;

/** Stock kernels the replacements are built from; they must stay registered on wasm. */
export const WASM_KERNEL_BUILDING_BLOCKS = [
  "Conv2D",
  "Transpose",
  "PadV2",
  "Reverse",
  "Reshape",
  "Slice",
  "BatchMatMul",
  "SplitV",
  "Concat",
] as const;

/**
 * Runs stock kernels of one backend directly (below the engine, as kernels do) and frees the
 * intermediate results it made when the kernel is done.
 */
class KernelCalls {
  private readonly temporaries: tf.TensorInfo[] = [];

  constructor(
    private readonly backend: tf.KernelBackend,
    private readonly stock: ReadonlyMap<string, KernelFunction>,
  ) {}

  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: Attrs = {}): tf.TensorInfo {
    const kernelFunc = this.stock.get(kernelName);
    if (kernelFunc === undefined) {
      throw new Error(`wasm training kernels: stock kernel '${kernelName}' is not available`);
    }
    const out = kernelFunc({ inputs, backend: this.backend, attrs }) as tf.TensorInfo;
    this.temporaries.push(out);
    return out;
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run("Transpose", { x }, { perm });
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run("Reshape", { x }, { shape });
  }

  /** Marks `out` as the kernel's result (not freed) and frees every other intermediate. */
  finish(out: tf.TensorInfo): tf.TensorInfo {
    for (const t of this.temporaries) {
      if (t !== out) this.backend.disposeData(t.dataId);
    }
    this.temporaries.length = 0;
    return out;
  }

  /** Frees all intermediates (used when a kernel throws half-way). */
  abandon(): void {
    for (const t of this.temporaries) this.backend.disposeData(t.dataId);
    this.temporaries.length = 0;
  }
}

function withCalls(
  stock: ReadonlyMap<string, KernelFunction>,
  body: (calls: KernelCalls, args: Parameters<KernelFunction>[0]) => tf.TensorInfo,
): KernelFunction {
  return (args) => {
    const calls = new KernelCalls(args.backend as tf.KernelBackend, stock);
    try {
      return calls.finish(body(calls, args));
    } catch (error) {
      calls.abandon();
      throw error;
    }
  };
}

function convGeometry(
  xShape: number[],
  filterShape: number[],
  strides: [number, number] | number,
  pad: Padding,
  dimRoundingMode: "floor" | "round" | "ceil" | undefined,
  dataFormat: string,
): tf.backend_util.Conv2DInfo {
  if (dataFormat !== "NHWC") {
    throw new Error(`wasm training kernels support NHWC only (got ${dataFormat})`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
}

/**
 * Zero-dilates the spatial axes of an NHWC tensor by `strideH`x`strideW`: element (h, w) moves to
 * (h*strideH, w*strideW). Done as reshape to [N,H,1,W,1,C] → zero pad → reshape, which leaves
 * (stride-1) trailing zero rows/columns; the result has H*strideH rows.
 */
function zeroDilate(calls: KernelCalls, x: tf.TensorInfo, strideH: number, strideW: number): tf.TensorInfo {
  if (strideH === 1 && strideW === 1) return x;
  const [n, h, w, c] = x.shape;
  const expanded = calls.reshape(x, [n, h, 1, w, 1, c]);
  const padded = calls.run(
    "PadV2",
    { x: expanded },
    {
      paddings: [
        [0, 0],
        [0, 0],
        [0, strideH - 1],
        [0, 0],
        [0, strideW - 1],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  return calls.reshape(padded, [n, h * strideH, w * strideW, c]);
}

/** Keeps the first `rows` rows and `cols` columns of an NHWC tensor (no-op when already that size). */
function cropSpatial(calls: KernelCalls, x: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
  const [n, h, w, c] = x.shape;
  if (rows === h && cols === w) return x;
  return calls.run("Slice", { x }, { begin: [0, 0, 0, 0], size: [n, rows, cols, c] });
}

/**
 * dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s + kh − padTop, ow·s + kw − padLeft, ci] · dy[n,oh,ow,co].
 * Read with x as a batch of Ci images [Ci,H,W,N] and dy as a filter [OH,OW,N,Co] dilated by the
 * stride, this is one forward convolution whose output is [Ci,KH,KW,Co].
 */
function makeConv2DBackpropFilter(stock: ReadonlyMap<string, KernelFunction>): KernelFunction {
  return withCalls(stock, (calls, { inputs, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const dy = inputs.dy as tf.TensorInfo;
    const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const info = convGeometry(x.shape, a.filterShape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat);
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
    const { outHeight: oh, outWidth: ow, inHeight: h, inWidth: w } = info;
    const padTop = info.padInfo.top;
    const padLeft = info.padInfo.left;
    const { top, bottom, left, right } = info.padInfo;
    if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && top + bottom + left + right === 0) {
      // A 1x1 convolution is a matrix product over the M = N·H·W pixels: dW = xᵀ·dy.
      const pixels = x.shape[0] * h * w;
      const xT = calls.transpose(calls.reshape(x, [pixels, x.shape[3]]), [1, 0]);
      const dy2d = calls.reshape(dy, [pixels, dy.shape[3]]);
      const grad = calls.run("BatchMatMul", { a: xT, b: dy2d }, { transposeA: false, transposeB: false });
      return calls.reshape(grad, [1, 1, x.shape[3], dy.shape[3]]);
    }
    // Rows past the last one any output reads are dropped; padding makes up the rest exactly.
    const usedRows = Math.min(h, kh - 1 + (oh - 1) * sh + 1 - padTop);
    const usedCols = Math.min(w, kw - 1 + (ow - 1) * sw + 1 - padLeft);
    const padBottom = kh + (oh - 1) * sh - usedRows - padTop;
    const padRight = kw + (ow - 1) * sw - usedCols - padLeft;
    const xUsed = cropSpatial(calls, x, usedRows, usedCols);
    const xAsBatchOfChannels = calls.transpose(xUsed, [3, 1, 2, 0]);
    const dyAsFilter = calls.transpose(dy, [1, 2, 0, 3]);
    const grad = calls.run(
      "Conv2D",
      { x: xAsBatchOfChannels, filter: dyAsFilter },
      {
        strides: [1, 1],
        dilations: [sh, sw],
        pad: [
          [0, 0],
          [padTop, padBottom],
          [padLeft, padRight],
          [0, 0],
        ],
        dataFormat: "NHWC",
      },
    );
    return calls.transpose(grad, [1, 2, 0, 3]);
  });
}

/**
 * dx = forward convolution of the zero-dilated dy with the spatially flipped, in/out-transposed
 * filter, padded by (K − 1 − pad). For 1x1 filters without padding the convolution is done first on
 * the small dy and the result dilated, which skips multiplying the inserted zeros.
 */
function makeConv2DBackpropInput(stock: ReadonlyMap<string, KernelFunction>): KernelFunction {
  return withCalls(stock, (calls, { inputs, attrs }) => {
    const dy = inputs.dy as tf.TensorInfo;
    const filter = inputs.filter as tf.TensorInfo;
    const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const info = convGeometry(a.inputShape, filter.shape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat);
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
    const { inHeight: h, inWidth: w } = info;
    const { top, left, bottom, right } = info.padInfo;
    const filterOutIn = calls.transpose(filter, [0, 1, 3, 2]);

    if (kh === 1 && kw === 1 && top === 0 && left === 0 && bottom === 0 && right === 0) {
      const small = calls.run(
        "Conv2D",
        { x: dy, filter: filterOutIn },
        { strides: [1, 1], dilations: [1, 1], pad: "valid", dataFormat: "NHWC" },
      );
      const dilated = zeroDilate(calls, small, sh, sw);
      return padOrCropTo(calls, dilated, h, w);
    }

    const flipped = calls.run("Reverse", { x: filterOutIn }, { dims: [0, 1] });
    let dilated = zeroDilate(calls, dy, sh, sw);
    const padTop = kh - 1 - top;
    const padLeft = kw - 1 - left;
    if (padTop < 0 || padLeft < 0) {
      throw new Error(`Conv2DBackpropInput: padding larger than the filter is not supported`);
    }
    // Output rows = rows(dilated) + padTop + padBottom − kh + 1 must equal h.
    let padBottom = h + kh - 1 - padTop - dilated.shape[1];
    let padRight = w + kw - 1 - padLeft - dilated.shape[2];
    if (padBottom < 0 || padRight < 0) {
      dilated = cropSpatial(
        calls,
        dilated,
        dilated.shape[1] + Math.min(0, padBottom),
        dilated.shape[2] + Math.min(0, padRight),
      );
      padBottom = Math.max(0, padBottom);
      padRight = Math.max(0, padRight);
    }
    return calls.run(
      "Conv2D",
      { x: dilated, filter: flipped },
      {
        strides: [1, 1],
        dilations: [1, 1],
        pad: [
          [0, 0],
          [padTop, padBottom],
          [padLeft, padRight],
          [0, 0],
        ],
        dataFormat: "NHWC",
      },
    );
  });
}

/** Brings an NHWC tensor to exactly rows x cols by cropping or zero-padding at the bottom/right. */
function padOrCropTo(calls: KernelCalls, x: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
  const cropped = cropSpatial(calls, x, Math.min(rows, x.shape[1]), Math.min(cols, x.shape[2]));
  const extraRows = rows - cropped.shape[1];
  const extraCols = cols - cropped.shape[2];
  if (extraRows === 0 && extraCols === 0) return cropped;
  return calls.run(
    "PadV2",
    { x: cropped },
    {
      paddings: [
        [0, 0],
        [0, extraRows],
        [0, extraCols],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
}

/** BatchMatMul whose transposes are made explicit so the stock kernel always takes its fast path. */
function makeBatchMatMul(stock: ReadonlyMap<string, KernelFunction>): KernelFunction {
  return withCalls(stock, (calls, { inputs, attrs }) => {
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    let a = inputs.a as tf.TensorInfo;
    let b = inputs.b as tf.TensorInfo;
    if (transposeA) a = calls.transpose(a, swapLastTwo(a.shape.length));
    if (transposeB) b = calls.transpose(b, swapLastTwo(b.shape.length));
    return calls.run("BatchMatMul", { a, b }, { transposeA: false, transposeB: false });
  });
}

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/** The parts of the wasm backend the copy kernels use (public methods of BackendWasm). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Copies `count` blocks of `blockLength` elements between flat arrays, block b going from
 * src[srcOffset + b·srcStride] to dst[dstOffset + b·dstStride].
 */
function copyBlocks(
  src: Float32Array | Int32Array | Uint8Array,
  srcOffset: number,
  srcStride: number,
  dst: Float32Array | Int32Array | Uint8Array,
  dstOffset: number,
  dstStride: number,
  count: number,
  blockLength: number,
): void {
  if (blockLength >= 64) {
    for (let b = 0; b < count; b++) {
      const from = srcOffset + b * srcStride;
      dst.set(src.subarray(from, from + blockLength), dstOffset + b * dstStride);
    }
    return;
  }
  // Short rows: an element loop beats one set() call per row by a wide margin.
  for (let b = 0; b < count; b++) {
    let from = srcOffset + b * srcStride;
    let to = dstOffset + b * dstStride;
    for (let i = 0; i < blockLength; i++) dst[to++] = src[from++];
  }
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

const installed = new Set<string>();

/** The kernels this module registers or replaces on wasm. */
export const WASM_REPLACED_KERNELS = [
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "BatchMatMul",
  "SplitV",
  "Concat",
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
  ];
  for (const [kernelName, kernelFunc] of replacements) {
    if (tf.getKernel(kernelName, "wasm") !== undefined) tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc });
  }
  installed.add("wasm");
}
