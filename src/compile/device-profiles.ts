// Device profiles for the cost model: memory, peak arithmetic rates and the fraction of peak a
// convnet training step is assumed to sustain. Peaks are vendor datasheet figures (dense, no
// sparsity); utilisations are assumptions with their reasons written next to them, not fits to
// the SEER run the tests compare against.

export type Precision = "fp32" | "mixed";

export interface DeviceProfile {
  id: string;
  name: string;
  /** Memory available to one device, bytes. */
  memoryBytes: number;
  /** Peak fp32 rate (non-tensor-core), FLOP/s; a fused multiply-add counts as 2 FLOPs. */
  peakFlopsFp32: number;
  /** Peak dense fp16/bf16 tensor-core rate, FLOP/s (equal to the fp32 peak where there is none). */
  peakFlopsMixed: number;
  /** Fraction of the matching peak a RegNet training step is assumed to sustain. */
  utilisation: Record<Precision, number>;
  /** Where the numbers come from and why the utilisation is what it is. */
  sources: string[];
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const TERA = 1e12;

// Sustained RegNetY training throughput on V100, worked out by hand from the pycls model zoo (8 V100,
// 100 ImageNet epochs = 128,116,700 images, training = 3 x forward, forward FLOPs = 2 x multiply-adds):
//   RegNetY-16GF: 6 x 15.9e9 x 128,116,700 / (45.6 h x 3600 x 8) = 9.3 TFLOP/s per GPU
//   RegNetY-32GF: 6 x 32.3e9 x 128,116,700 / (76.0 h x 3600 x 8) = 11.3 TFLOP/s per GPU
// The SwAV README's ResNet-50 run (2x224 + 6x96 crops, apex mixed precision, 64 V100) takes 3 min 40 s
// per epoch: 6 x (2 x 4.1e9 + 6 x 0.75e9) x 1,281,167 / (220 s x 64) = 6.9 TFLOP/s per GPU. So in
// this software stack mixed precision did not lift sustained throughput above ~10 TFLOP/s per V100;
// we take 10 TFLOP/s for both precisions.
const V100_SUSTAINED = 10 * TERA;

export const DEVICE_PROFILES: readonly DeviceProfile[] = [
  {
    id: "cpu",
    name: "2-core CPU (the development machine: AMD EPYC, AVX-512) running TensorFlow.js wasm",
    memoryBytes: 16 * GIB,
    peakFlopsFp32: 2 * 2.6e9 * 64,
    peakFlopsMixed: 2 * 2.6e9 * 64,
    utilisation: { fp32: 0.075, mixed: 0.075 },
    sources: [
      "Peak: 2 cores x 2.6 GHz x 64 FLOP/cycle (two 512-bit FMA pipes x 16 fp32 lanes x 2); memory: 16 GiB of the machine's 23 GiB, the rest left to the OS and other users.",
      "Measured on this machine: tfjs-backend-wasm 4.22 forward conv3x3 (8x56x56x64 -> 64) and 1024^3 matmul run at ~45 GFLOP/s (0.13 of peak: 128-bit wasm SIMD without FMA). A whole training step (npm run bench:train, batch 32, 2x64px + 2x32px crops) sustains 25 GFLOP/s on RegNetY_200MF, 27 on 400MF and 30 on 800MF, so 0.075 of peak (~25 GFLOP/s) is assumed.",
      "No fp16 arithmetic in the wasm backend: mixed precision runs at the fp32 rate.",
    ],
  },
  {
    id: "v100_32gb",
    name: "NVIDIA V100 SXM2 32 GB",
    memoryBytes: 32510 * MIB,
    peakFlopsFp32: 15.7 * TERA,
    peakFlopsMixed: 125 * TERA,
    utilisation: { fp32: V100_SUSTAINED / (15.7 * TERA), mixed: V100_SUSTAINED / (125 * TERA) },
    sources: [
      "NVIDIA Tesla V100 datasheet (SXM2): 15.7 TFLOPS fp32, 125 TFLOPS tensor; memory as nvidia-smi reports a V100-SXM2-32GB (32510 MiB).",
      "Utilisation: ~10 TFLOP/s sustained, from the pycls model zoo's RegNetY-16GF/-32GF training times and the SwAV README's epoch time (worked out in device-profiles.ts).",
    ],
  },
  {
    id: "a100_40gb",
    name: "NVIDIA A100 SXM4 40 GB",
    memoryBytes: 40536 * MIB,
    peakFlopsFp32: 19.5 * TERA,
    peakFlopsMixed: 312 * TERA,
    utilisation: { fp32: 0.6, mixed: 0.08 },
    sources: [
      "NVIDIA A100 datasheet: 19.5 TFLOPS fp32, 312 TFLOPS fp16/bf16 tensor (dense); memory as nvidia-smi reports an A100-SXM4-40GB (40536 MiB).",
      "Utilisation: no public RegNetY training throughput was found for this device; the V100 fractions (fp32 ~0.6, tensor ~0.08) are carried over. fp32 convolutions may run on TF32 tensor cores in PyTorch, which this profile does not credit.",
    ],
  },
  {
    id: "h100_80gb",
    name: "NVIDIA H100 SXM5 80 GB",
    memoryBytes: 81559 * MIB,
    peakFlopsFp32: 67 * TERA,
    peakFlopsMixed: 989 * TERA,
    utilisation: { fp32: 0.6, mixed: 0.08 },
    sources: [
      "NVIDIA H100 datasheet (SXM): 67 TFLOPS fp32, 989 TFLOPS fp16/bf16 tensor (dense; 1,979 with sparsity); memory as nvidia-smi reports an H100 80GB HBM3 (81559 MiB).",
      "Utilisation: V100 fractions carried over, as for the A100 (assumption, no RegNet measurement found).",
    ],
  },
  {
    id: "h200",
    name: "NVIDIA H200 SXM 141 GB",
    memoryBytes: 143771 * MIB,
    peakFlopsFp32: 67 * TERA,
    peakFlopsMixed: 989 * TERA,
    utilisation: { fp32: 0.6, mixed: 0.08 },
    sources: [
      "NVIDIA H200 datasheet (SXM): same compute as the H100 SXM (67 TFLOPS fp32, 989 TFLOPS fp16/bf16 tensor, dense) with 141 GB HBM3e; memory as nvidia-smi reports an H200 (143771 MiB).",
      "Utilisation: V100 fractions carried over, as for the A100 (assumption, no RegNet measurement found).",
    ],
  },
];

export function findDeviceProfile(id: string): DeviceProfile | undefined {
  return DEVICE_PROFILES.find((profile) => profile.id === id);
}

/** FLOP/s one device is assumed to sustain at the given precision. */
export function sustainedFlops(profile: DeviceProfile, precision: Precision): number {
  const peak = precision === "fp32" ? profile.peakFlopsFp32 : profile.peakFlopsMixed;
  return peak * profile.utilisation[precision];
}
