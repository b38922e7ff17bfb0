// Generated SIMD modules on the wasm backend's memory: compiled once per backend and module name,
// switched off as a whole for tests that compare them with the formulations they replace.
import * as tf from "@tensorflow/tfjs";
import { ModuleWriter } from "./wasm-assembler.js";

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

/**
 * The first and one-past-last output index (along one axis) whose filter tap `tap` reads inside
 * an input of `size`, for a convolution with this stride and leading padding.
 */
export function validOutputRange(size: number, outSize: number, tap: number, stride: number, pad: number): [number, number] {
  const first = Math.max(0, Math.ceil((pad - tap) / stride));
  const last = Math.min(outSize - 1, Math.floor((size - 1 + pad - tap) / stride));
  return [first, Math.max(first, last + 1)];
}
