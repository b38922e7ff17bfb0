// Generated SIMD modules on the wasm backend's memory: compiled once per backend and module name,
// switched off as a whole for tests that compare them with the formulations they replace.
import * as tf from "@tensorflow/tfjs";
import { ModuleWriter, type FunctionWriter, type Local } from "./wasm-assembler.js";

export type SimdFunction = (...args: number[]) => void;
export type SimdExports = Readonly<Record<string, SimdFunction>>;

const compiled = new WeakMap<object, Map<string, SimdExports | null>>();
let enabled = true;

/**
 * Switches the generated SIMD kernels off (or back on) and returns the previous setting: the tests
 * run each case through both the SIMD kernels and the stock-kernel formulations they replace.
 */
export function setSimdKernels(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** The wasm backend's memory: Emscripten keeps the instance's exports as `asm` on the module. */
function backendMemory(backend: tf.KernelBackend): WebAssembly.Memory | undefined {
  const memory = (backend as unknown as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/**
 * The exports of the module `name` (written by `write`) instantiated on this backend's memory, or
 * null where generated kernels cannot run: switched off, not the wasm backend, or an engine
 * without 128-bit SIMD (it rejects the module).
 */
export function simdModule(backend: tf.KernelBackend, name: string, write: (module: ModuleWriter) => void): SimdExports | null {
  if (!enabled) return null;
  let byName = compiled.get(backend);
  if (byName === undefined) {
    byName = new Map();
    compiled.set(backend, byName);
  }
  let exports = byName.get(name);
  if (exports === undefined) {
    const memory = backendMemory(backend);
    exports = null;
    if (memory !== undefined) {
      try {
        const writer = new ModuleWriter();
        write(writer);
        exports = new WebAssembly.Instance(new WebAssembly.Module(writer.encode()), { env: { memory } }).exports as SimdExports;
      } catch {
        exports = null;
      }
    }
    byName.set(name, exports);
  }
  return exports;
}

/** Whether generated SIMD kernels run on this backend. */
export function simdKernelsActive(backend: tf.KernelBackend): boolean {
  return simdModule(backend, "probe", (module) => module.addFunction("zero", [], (f) => void f.v128Zero().set(f.local("v128")))) !== null;
}

/** The float32 element offset of a heap tensor in the backend's memory. */
export function heapOffset(view: Float32Array): number {
  return view.byteOffset / 4;
}


/** One level of a generated nested walk: its trip count, and how far each walked address moves a step. */
export interface WalkLevel {
  readonly count: Local;
  readonly steps: readonly Local[];
}

/**
 * Emits one countdown loop per level (outermost first) over a set of addresses that start at
 * `starts`; each level moves every address by its step, and `body` runs innermost with the current
 * addresses. Every trip count must be positive when the code runs.
 */
export function writeNestedWalk(f: FunctionWriter, starts: readonly Local[], levels: readonly WalkLevel[], body: (addresses: readonly Local[]) => void): void {
  const current = levels.map(() => ({ addresses: starts.map(() => f.local("i32")), count: f.local("i32") }));
  const enter = (level: number) => {
    const { addresses, count } = current[level];
    (level === 0 ? starts : current[level - 1].addresses).forEach((from, k) => f.get(from).set(addresses[k]));
    f.get(levels[level].count).set(count);
    f.countdown(count, () => {
      if (level < levels.length - 1) enter(level + 1);
      else body(addresses);
      addresses.forEach((address, k) => f.addTo(address, levels[level].steps[k]));
    });
  };
  enter(0);
}

/** One level of a convolution's pixel walk: steps, and how far (floats) a step moves in x and in y. */
export interface WalkExtent {
  readonly count: number;
  readonly xStride: number;
  readonly yStride: number;
}

/**
 * The pixels one filter tap (a, b) pairs up, for a chunk of images: the output pixels
 * (n, oh, ow) whose tap lands inside the input, as three walk levels (images, rows, columns), and
 * the float offsets of the first pixel in x and in y.
 */
export interface TapWalk {
  readonly tap: number;
  readonly xOffset: number;
  readonly yOffset: number;
  readonly images: WalkExtent;
  readonly rows: WalkExtent;
  readonly cols: WalkExtent;
}

/** Values of x and y (float32) walked together: 256 KiB, about a core's L2 cache on x86-64. */
const CHUNK_VALUES = 64 * 1024;

/** The first and one-past-last output index along one axis whose tap reads inside [0, size). */
function validOutputRange(size: number, outSize: number, tap: number, stride: number, pad: number): [number, number] {
  const first = Math.max(0, Math.ceil((pad - tap) / stride));
  const last = Math.min(outSize - 1, Math.floor((size - 1 + pad - tap) / stride));
  return [first, Math.max(first, last + 1)];
}

/**
 * Every tap's walk over a convolution x [N, H, W, inChannels] → y [N, OH, OW, outChannels] as tfjs
 * describes it (taps that meet no input are left out), chunk of images by chunk: each tap (and
 * each group and tile of the caller) walks the images again, so a chunk sized to stay in cache is
 * walked by all of them before the next is read.
 */
export function* tapWalks(info: tf.backend_util.Conv2DInfo): Generator<TapWalk> {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  const imageX = inHeight * inWidth * inChannels;
  const imageY = outHeight * outWidth * outChannels;
  const chunk = Math.max(1, Math.floor(CHUNK_VALUES / (imageX + imageY)));
  for (let first = 0; first < batchSize; first += chunk) {
    const images = { count: Math.min(chunk, batchSize - first), xStride: imageX, yStride: imageY };
    for (let a = 0; a < filterHeight; a++) {
      const [row0, row1] = validOutputRange(inHeight, outHeight, a, strideHeight, top);
      if (row1 <= row0) continue;
      const rows = { count: row1 - row0, xStride: strideHeight * inWidth * inChannels, yStride: outWidth * outChannels };
      for (let b = 0; b < filterWidth; b++) {
        const [col0, col1] = validOutputRange(inWidth, outWidth, b, strideWidth, left);
        if (col1 <= col0) continue;
        yield {
          tap: a * filterWidth + b,
          xOffset: first * imageX + ((row0 * strideHeight + a - top) * inWidth + (col0 * strideWidth + b - left)) * inChannels,
          yOffset: first * imageY + (row0 * outWidth + col0) * outChannels,
          images,
          rows,
          cols: { count: col1 - col0, xStride: strideWidth * inChannels, yStride: outChannels },
        };
      }
    }
  }
}
