import type { Rule } from "./types.js";

/** The wasm heap tops out near 3.8 GB and an allocation past it fails silently, so such runs are refused up front. */
export const WASM_HEAP_LIMIT_BYTES = 3.8e9;

const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;

/** SEER4008: estimated memory per device above the device profile's; SEER4011: above the wasm heap on that backend. */
export const memory: Rule = ({ ctx, exp, derived, options }) => {
  const m = derived.memory;
  const profile = derived.profile;
  if (!m || !exp.train) return;
  const span = ctx.spans.get("train.batch") ?? ctx.spanOf("train");
  const detail = `activations ${gib(m.activationBytes)} + parameters, gradients and momentum ${gib(m.parameterStateBytes)}`;
  const advice = exp.train.activation_checkpointing ? "lower the batch per device" : "lower the batch per device or set `activation_checkpointing = true`";
  if (profile && m.totalBytes > profile.memoryBytes) {
    ctx.report("SEER4008", `estimated memory per device is ${gib(m.totalBytes)} (${detail}), more than the ${gib(profile.memoryBytes)} of a ${profile.id} device`, span, { hint: advice });
  }
  if (options.target === "tfjs" && m.totalBytes > WASM_HEAP_LIMIT_BYTES) {
    const onWasm = options.backend === "wasm";
    ctx.report("SEER4011", `estimated memory is ${gib(m.totalBytes)} (${detail}); the wasm backend's heap stops near ${gib(WASM_HEAP_LIMIT_BYTES)}`, span, {
      severity: onWasm ? "error" : "warning",
      hint: `${advice}${onWasm ? "" : "; the native TensorFlow backend has no such ceiling"}`,
    });
  }
};
