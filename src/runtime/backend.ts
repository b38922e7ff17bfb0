// Choosing the TensorFlow.js backend: native TensorFlow when its Node binding is installed (the GPU
// path), else WebAssembly (XNNPACK), else the plain-JS cpu backend. The chosen backend gets the
// training kernels it lacks installed (see kernels/).
import * as tf from "@tensorflow/tfjs";
import { installTrainingKernels } from "./kernels/index.js";

export type BackendPreference = "auto" | "tensorflow" | "wasm" | "cpu";
export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendInfo {
  readonly name: BackendName;
  /** Version of the package providing the backend. */
  readonly version: string;
  /** wasm only: whether the SIMD build is running. */
  readonly simd?: boolean;
  /** wasm only: XNNPACK thread count. */
  readonly threads?: number;
  /** One line saying why this backend was chosen (and what was tried first). */
  readonly reason: string;
  /** Whether a native TensorFlow binding (@tensorflow/tfjs-node-gpu or -node) could be loaded. */
  readonly nativeFound: boolean;
}

/** A backend that was asked for cannot be used. `message` is written for the user. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly requested: BackendPreference,
    message: string,
  ) {
    super(message);
    this.name = "BackendUnavailableError";
  }
}

/** Kernels the training graph needs are not registered on the backend. */
export class MissingKernelsError extends Error {
  constructor(
    readonly backend: string,
    readonly missing: readonly string[],
  ) {
    super(
      `The ${backend} backend cannot run this training graph: no kernel registered for ` +
        `${missing.join(", ")}. ` +
        (backend === "wasm"
          ? "The wasm training kernels were probably not installed (use selectBackend)."
          : "Choose another backend with --backend."),
    );
    this.name = "MissingKernelsError";
  }
}

const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

interface NativeProbe {
  readonly loaded?: { readonly packageName: string; readonly version: string };
  /** Why each package could not be used, one short phrase each. */
  readonly failures: readonly string[];
}

function shortReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") return "not installed";
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0].slice(0, 200);
}

async function probeNative(): Promise<NativeProbe> {
  const failures: string[] = [];
  for (const packageName of NATIVE_PACKAGES) {
    try {
      // A variable specifier keeps TypeScript from resolving a package that is usually absent.
      const specifier: string = packageName;
      const module = (await import(specifier)) as { version?: Record<string, string> | string };
      if (tf.findBackendFactory("tensorflow") == null) {
        failures.push(`${packageName}: loaded but registered no 'tensorflow' backend`);
        continue;
      }
      const version =
        typeof module.version === "string"
          ? module.version
          : (module.version?.["tfjs-node"] ?? module.version?.["tfjs-core"] ?? tf.version_core);
      return { loaded: { packageName, version }, failures };
    } catch (error) {
      failures.push(`${packageName}: ${shortReason(error)}`);
    }
  }
  return { failures };
}

/**
 * Emscripten's wasm loader installs process-wide handlers: an unhandled rejection is rethrown from
 * its handler and Node then exits with code 7 and no useful message. Removing the handlers it
 * added restores Node's own reporting. Its uncaughtException handler only exists to swallow
 * Emscripten's ExitStatus, which tfjs never raises.
 */
function removeHandlersAddedDuring<T>(body: () => Promise<T>): Promise<T> {
  const events = ["unhandledRejection", "uncaughtException"];
  type Listener = (...args: unknown[]) => void;
  const listeners = (event: string) => process.listeners(event as "unhandledRejection") as unknown as Listener[];
  const before = new Map(events.map((event) => [event, new Set(listeners(event))]));
  const strip = () => {
    for (const event of events) {
      for (const listener of listeners(event)) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
  };
  return body().finally(strip);
}

interface WasmModule {
  getThreadsCount(): number;
  version_wasm: string;
}

type WasmActivation =
  | { ok: true; info: Omit<BackendInfo, "reason" | "nativeFound"> }
  | { ok: false; why: string };

async function activateWasm(): Promise<WasmActivation> {
  try {
    const wasm = await removeHandlersAddedDuring(async () => {
      const module = (await import("@tensorflow/tfjs-backend-wasm")) as unknown as WasmModule;
      if (!(await tf.setBackend("wasm"))) throw new Error("the wasm backend failed to initialise");
      await tf.ready();
      return module;
    });
    const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
    return { ok: true, info: { name: "wasm", version: wasm.version_wasm, simd, threads: wasm.getThreadsCount() } };
  } catch (error) {
    return { ok: false, why: shortReason(error) };
  }
}

async function activateCpu(): Promise<void> {
  if (!(await tf.setBackend("cpu"))) throw new Error("the cpu backend failed to initialise");
  await tf.ready();
}

async function activateNative(): Promise<boolean> {
  if (!(await tf.setBackend("tensorflow"))) return false;
  await tf.ready();
  return true;
}

/**
 * Selects and initialises a backend. `auto`: native TensorFlow if a binding loads, else wasm, else
 * cpu. A forced backend that cannot be used throws BackendUnavailableError. The training kernels
 * the backend lacks are installed before returning.
 */
export async function selectBackend(preference: BackendPreference): Promise<BackendInfo> {
  // The runtime never prints; tfjs otherwise logs advice ("install the node backend") and warnings.
  tf.enableProdMode();
  // WebGL registers itself with the highest priority but can get no context in Node.
  if (tf.findBackendFactory("webgl") != null) tf.removeBackend("webgl");

  const info = await chooseBackend(preference);
  installTrainingKernels(info.name);
  return info;
}

async function chooseBackend(preference: BackendPreference): Promise<BackendInfo> {
  if (preference === "cpu") {
    await activateCpu();
    return { name: "cpu", version: tf.version_core, reason: "cpu backend requested", nativeFound: false };
  }
  if (preference === "wasm") {
    const wasm = await activateWasm();
    if (!wasm.ok) {
      throw new BackendUnavailableError("wasm", `The wasm backend could not be started: ${wasm.why}.`);
    }
    return { ...wasm.info, reason: "wasm backend requested", nativeFound: false };
  }

  const native = await probeNative();
  if (native.loaded !== undefined && (await activateNative())) {
    return {
      name: "tensorflow",
      version: native.loaded.version,
      reason: `${preference === "auto" ? "auto: " : ""}native TensorFlow from ${native.loaded.packageName}`,
      nativeFound: true,
    };
  }
  const nativeWhy =
    native.loaded !== undefined
      ? `${native.loaded.packageName} loaded but did not initialise`
      : native.failures.join("; ");
  if (preference === "tensorflow") {
    throw new BackendUnavailableError(
      "tensorflow",
      `The native TensorFlow backend is not available (${nativeWhy}). ` +
        "Install @tensorflow/tfjs-node-gpu (CUDA 11.2 + cuDNN 8.1) or @tensorflow/tfjs-node with network access, " +
        "or choose --backend wasm.",
    );
  }

  const wasm = await activateWasm();
  if (wasm.ok) {
    const simd = wasm.info.simd ? "SIMD" : "no SIMD";
    return {
      ...wasm.info,
      reason: `auto: no native TensorFlow (${nativeWhy}); using wasm (${simd}, ${wasm.info.threads} thread(s))`,
      nativeFound: native.loaded !== undefined,
    };
  }
  await activateCpu();
  return {
    name: "cpu",
    version: tf.version_core,
    reason: `auto: no native TensorFlow (${nativeWhy}); wasm failed (${wasm.why}); using the slow cpu backend`,
    nativeFound: native.loaded !== undefined,
  };
}

export interface KernelCheck {
  readonly backend: string;
  readonly checked: readonly string[];
  readonly missing: readonly string[];
}

/**
 * Checks that every kernel the training graph needs (forward and gradient; see
 * SWAV_TRAINING_KERNELS in model/) is registered on `backendName` (default: the active backend).
 * Throws MissingKernelsError naming all the missing ones, unless `throwOnMissing` is false.
 */
export function verifyGradientKernels(
  kernelNames: readonly string[],
  options: { backendName?: string; throwOnMissing?: boolean } = {},
): KernelCheck {
  const backend = options.backendName ?? tf.getBackend();
  const checked = [...new Set(kernelNames)].sort();
  const missing = checked.filter((name) => tf.getKernel(name, backend) === undefined);
  if (missing.length > 0 && options.throwOnMissing !== false) throw new MissingKernelsError(backend, missing);
  return { backend, checked, missing };
}
