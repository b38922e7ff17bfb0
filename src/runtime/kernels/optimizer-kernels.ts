// Two kernels that do an optimiser step's per-variable work for every variable in one call: the squared
// norms the step reads back, and the momentum-SGD update that LARS and SGD share. Op by op, LARS costs
// about ten kernel calls and a dozen scalar tensors per variable — some 2,000 calls a step for a
// RegNetY — each a fixed cost larger than its arithmetic. Registered on the backends whose tensors
// live in JavaScript-visible memory (wasm's heap, cpu's typed arrays); elsewhere (native TensorFlow)
// the optimisers run op by op, with the same maths.
import * as tf from "@tensorflow/tfjs";

export const SQUARED_NORMS_KERNEL = "SeercSquaredNorms";
export const MOMENTUM_STEP_KERNEL = "SeercMomentumStep";

/**
 * Per variable i, with d = (gradScale·g + decays[i]·w)·factors[i]:
 *   with momentum:  b' = μ·b + d;  w' = w − lr·(nesterov ? d + μ·b' : b')
 *   without:        w' = w − lr·d
 * Inputs are named w0, g0, b0, w1, … (no b without momentum); outputs are w'0, b'0, w'1, … in that order.
 */
export interface MomentumStepAttrs {
  count: number;
  lr: number;
  momentum: number;
  nesterov: boolean;
  gradScale: number;
  factors: number[];
  decays: number[];
}

/** Reads and writes a backend's float32 tensors as typed arrays. */
interface TensorMemory {
  read(t: tf.TensorInfo): Float32Array;
  /** A new float32 tensor; its values are written through `read` once every output exists. */
  alloc(shape: number[]): tf.TensorInfo;
}

function wasmMemory(backend: tf.KernelBackend): TensorMemory {
  const heap = backend as unknown as { makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo; typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
  return { read: (t) => heap.typedArrayFromHeap(t), alloc: (shape) => heap.makeOutput(shape, "float32") };
}

function cpuMemory(backend: tf.KernelBackend): TensorMemory {
  const cpu = backend as unknown as {
    data: { get(dataId: tf.DataId): { values: Float32Array } };
    makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
  };
  return { read: (t) => cpu.data.get(t.dataId).values, alloc: (shape) => cpu.makeTensorInfo(shape, "float32", new Float32Array(tf.util.sizeFromShape(shape))) };
}

function checkFloat32(t: tf.TensorInfo, what: string): void {
  if (t.dtype !== "float32") throw new Error(`${what}: expected float32, got ${t.dtype}`);
}

/**
 * In float64 (a variable of millions of values loses digits in a float32 accumulator), over four
 * partial sums: one running sum waits on the previous addition at every element.
 */
function sumOfSquares(values: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const whole = values.length - (values.length % 4);
  for (let k = 0; k < whole; k += 4) {
    const a = values[k];
    const b = values[k + 1];
    const c = values[k + 2];
    const d = values[k + 3];
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += d * d;
  }
  for (let k = whole; k < values.length; k++) s0 += values[k] * values[k];
  return s0 + s1 + s2 + s3;
}

function squaredNorms(memory: TensorMemory, inputs: tf.NamedTensorInfoMap): tf.TensorInfo {
  const tensors = Object.keys(inputs)
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))
    .map((key) => inputs[key]!);
  tensors.forEach((t, i) => checkFloat32(t, `${SQUARED_NORMS_KERNEL} input ${i}`));
  const out = memory.alloc([tensors.length]);
  // Views after the allocation: on wasm it may grow (and detach) the heap.
  const result = memory.read(out);
  tensors.forEach((t, i) => {
    result[i] = sumOfSquares(memory.read(t));
  });
  return out;
}

function momentumStep(memory: TensorMemory, inputs: tf.NamedTensorInfoMap, attrs: MomentumStepAttrs): tf.TensorInfo[] {
  const { count, lr, momentum, nesterov, gradScale, factors, decays } = attrs;
  const withMomentum = momentum !== 0;
  if (factors.length !== count || decays.length !== count) throw new Error(`${MOMENTUM_STEP_KERNEL}: ${count} variables but ${factors.length} factors and ${decays.length} decays`);
  const outputs: tf.TensorInfo[] = [];
  for (let i = 0; i < count; i++) {
    const w = inputs[`w${i}`];
    const g = inputs[`g${i}`];
    const b = withMomentum ? inputs[`b${i}`] : undefined;
    if (!w || !g || (withMomentum && !b)) throw new Error(`${MOMENTUM_STEP_KERNEL}: variable ${i} lacks an input`);
    for (const [t, name] of [[w, "w"], [g, "g"], ...(b ? [[b, "b"]] : [])] as Array<[tf.TensorInfo, string]>) {
      checkFloat32(t, `${MOMENTUM_STEP_KERNEL} ${name}${i}`);
      if (!tf.util.arraysEqual(t.shape, w.shape)) throw new Error(`${MOMENTUM_STEP_KERNEL}: ${name}${i} is [${t.shape}], w${i} is [${w.shape}]`);
    }
    outputs.push(memory.alloc(w.shape));
    if (withMomentum) outputs.push(memory.alloc(w.shape));
  }
  const stride = withMomentum ? 2 : 1;
  for (let i = 0; i < count; i++) {
    const w = memory.read(inputs[`w${i}`]!);
    const g = memory.read(inputs[`g${i}`]!);
    const newW = memory.read(outputs[i * stride]);
    const scaleG = gradScale * factors[i];
    const scaleW = decays[i] * factors[i];
    if (!withMomentum) plainStep(w, g, newW, lr, scaleG, scaleW);
    else {
      const b = memory.read(inputs[`b${i}`]!);
      const newB = memory.read(outputs[i * stride + 1]);
      if (nesterov) nesterovStep(w, g, b, newW, newB, lr, momentum, scaleG, scaleW);
      else momentumLoop(w, g, b, newW, newB, lr, momentum, scaleG, scaleW);
    }
  }
  return outputs;
}

// One loop per variant, with nothing decided inside: a branch in the loop body halves its speed.
function plainStep(w: Float32Array, g: Float32Array, newW: Float32Array, lr: number, scaleG: number, scaleW: number): void {
  const n = w.length;
  for (let k = 0; k < n; k++) {
    const wk = w[k];
    newW[k] = wk - lr * (scaleG * g[k] + scaleW * wk);
  }
}

function momentumLoop(w: Float32Array, g: Float32Array, b: Float32Array, newW: Float32Array, newB: Float32Array, lr: number, momentum: number, scaleG: number, scaleW: number): void {
  const n = w.length;
  for (let k = 0; k < n; k++) {
    const wk = w[k];
    const buffer = momentum * b[k] + (scaleG * g[k] + scaleW * wk);
    newB[k] = buffer;
    newW[k] = wk - lr * buffer;
  }
}

function nesterovStep(w: Float32Array, g: Float32Array, b: Float32Array, newW: Float32Array, newB: Float32Array, lr: number, momentum: number, scaleG: number, scaleW: number): void {
  const n = w.length;
  for (let k = 0; k < n; k++) {
    const wk = w[k];
    const direction = scaleG * g[k] + scaleW * wk;
    const buffer = momentum * b[k] + direction;
    newB[k] = buffer;
    newW[k] = wk - lr * (direction + momentum * buffer);
  }
}

const installed = new Set<string>();

/** Registers both kernels on `wasm` or `cpu` (idempotent); other backends are left op by op. */
export function installOptimizerKernels(backendName: string): void {
  if (installed.has(backendName)) return;
  const memoryOf = backendName === "wasm" ? wasmMemory : backendName === "cpu" ? cpuMemory : null;
  if (!memoryOf) return;
  tf.registerKernel({
    kernelName: SQUARED_NORMS_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend }) => squaredNorms(memoryOf(backend as tf.KernelBackend), inputs),
  });
  tf.registerKernel({
    kernelName: MOMENTUM_STEP_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => momentumStep(memoryOf(backend as tf.KernelBackend), inputs, attrs as unknown as MomentumStepAttrs),
  });
  installed.add(backendName);
}

/** Takes both kernels off a backend again: the optimisers go back to op by op there. */
export function removeOptimizerKernels(backendName: string): void {
  if (!installed.delete(backendName)) return;
  tf.unregisterKernel(SQUARED_NORMS_KERNEL, backendName);
  tf.unregisterKernel(MOMENTUM_STEP_KERNEL, backendName);
}

/** Whether the active backend runs the fused optimiser kernels. */
export function hasOptimizerKernels(): boolean {
  return tf.getKernel(MOMENTUM_STEP_KERNEL, tf.getBackend()) !== undefined;
}
