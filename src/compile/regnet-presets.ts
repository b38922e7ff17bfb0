// Named RegNetY presets and the generator numbers behind them. Every entry cites where its numbers
// come from; `rounding` is the convention the preset was published under (all of these are pycls /
// ClassyVision, the code SEER used). The tests check each derivation against the figures its
// source publishes (test/compile/regnet.test.ts).

import type { RegNetParams, RegNetRounding } from "./regnet.js";

export interface RegNetPreset {
  name: string;
  params: RegNetParams;
  rounding: RegNetRounding;
  /** Where the numbers were read. */
  source: string;
  /** Caveats a reader should see next to the numbers. */
  note?: string;
}

const PYCLS_ZOO =
  "pycls MODEL_ZOO.md (RegNetY table) and configs/dds_baselines/regnet*/RegNetY-*_dds_*gpu.yaml, github.com/facebookresearch/pycls (the 400MF, 8GF and 32GF numbers also appear in ClassyVision's and torchvision's regnet.py)";
const CLASSY = "ClassyVision classy_vision/models/regnet.py, github.com/facebookresearch/ClassyVision";

function regnetY(w0: number, wa: number, wm: number, groupWidth: number, depth: number): RegNetParams {
  return { w0, wa, wm, groupWidth, depth, seRatio: 0.25, bottleneckMultiplier: 1, stemWidth: 32 };
}

export const REGNET_PRESETS: readonly RegNetPreset[] = [
  // pycls model zoo (Radosavovic et al. 2020).
  { name: "RegNetY_200MF", params: regnetY(24, 36.44, 2.49, 8, 13), rounding: "pycls", source: PYCLS_ZOO },
  { name: "RegNetY_400MF", params: regnetY(48, 27.89, 2.09, 8, 16), rounding: "pycls", source: PYCLS_ZOO },
  { name: "RegNetY_600MF", params: regnetY(48, 32.54, 2.32, 16, 15), rounding: "pycls", source: PYCLS_ZOO },
  { name: "RegNetY_800MF", params: regnetY(56, 38.84, 2.4, 16, 14), rounding: "pycls", source: PYCLS_ZOO },
  { name: "RegNetY_1_6GF", params: regnetY(48, 20.71, 2.65, 24, 27), rounding: "pycls", source: PYCLS_ZOO },
  { name: "RegNetY_3_2GF", params: regnetY(80, 42.63, 2.66, 24, 21), rounding: "pycls", source: PYCLS_ZOO },
  {
    name: "RegNetY_4GF",
    params: regnetY(96, 31.41, 2.24, 64, 22),
    rounding: "pycls",
    source: `${PYCLS_ZOO}; the 4.0GF yaml was read through detectron2's RegNetY-4GF Mask R-CNN config, which quotes configs/dds_baselines/regnety/RegNetY-4.0GF_dds_8gpu.yaml lines 4-10`,
  },
  { name: "RegNetY_6_4GF", params: regnetY(112, 33.22, 2.27, 72, 25), rounding: "pycls", source: PYCLS_ZOO },
  { name: "RegNetY_8GF", params: regnetY(192, 76.82, 2.19, 56, 17), rounding: "pycls", source: PYCLS_ZOO },
  { name: "RegNetY_12GF", params: regnetY(168, 73.36, 2.37, 112, 19), rounding: "pycls", source: PYCLS_ZOO },
  { name: "RegNetY_16GF", params: regnetY(200, 106.23, 2.48, 112, 18), rounding: "pycls", source: PYCLS_ZOO },
  { name: "RegNetY_32GF", params: regnetY(232, 115.89, 2.53, 232, 20), rounding: "pycls", source: PYCLS_ZOO },

  // SEER sizes as VISSL configures them (VISSL builds its RegNet trunk with ClassyVision's code).
  {
    name: "SEER_RegNetY_8GF",
    params: regnetY(192, 76.82, 2.19, 56, 17),
    rounding: "pycls",
    source: `VISSL configs (MODEL.TRUNK.REGNET.name: regnet_y_8gf, e.g. configs/config/benchmark/fulltune/im2gps_yfcc/models_fine/regnet8Gf.yaml) -> ${CLASSY} RegNetY8gf`,
  },
  {
    name: "SEER_RegNetY_16GF",
    params: regnetY(200, 106.23, 2.48, 112, 18),
    rounding: "pycls",
    source: `VISSL configs (name: regnet_y_16gf, e.g. configs/config/pretrain/swav/models/regnet16Gf.yaml) -> ${CLASSY} RegNetY16gf`,
  },
  {
    name: "SEER_RegNetY_32GF",
    params: regnetY(232, 115.89, 2.53, 232, 20),
    rounding: "pycls",
    source: `VISSL configs (name: regnet_y_32gf, e.g. configs/config/benchmark/fulltune/im2gps_yfcc/models_fine/regnet32Gf.yaml) -> ${CLASSY} RegNetY32gf`,
  },
  {
    name: "SEER_RegNetY_64GF",
    params: regnetY(352, 147.48, 2.4, 328, 20),
    rounding: "pycls",
    source: `VISSL configs/config/benchmark/fulltune/im2gps_yfcc/models_fine/regnet64Gf_3.yaml (head input 4920) = ${CLASSY} RegNetY64gf (current version)`,
    note:
      "Ambiguous in the sources. An earlier ClassyVision regnet_y_64gf was depth 20, w0 368, wa 102.79, wm 2.05, group width 496 (trunk width 2976); VISSL's regnet64Gf.yaml names the model only, and the \"250M\" VISSL's SEER model zoo lists for RG-64Gf matches that older network (its trunk + a [2976, 2976, 128] head + 3000 prototypes = 249.6M). The released SEER-64GF checkpoint is loaded into these numbers (width 4920) by the HuggingFace regnet-y-640-seer conversion and timm's regnety_640.seer, so they are the preset.",
  },
  {
    name: "SEER_RegNetY_128GF",
    params: regnetY(456, 160.83, 2.52, 264, 27),
    rounding: "pycls",
    source: `VISSL configs/config/pretrain/swav/models/regnet128Gf.yaml (= ${CLASSY} RegNetY128gf)`,
  },
  {
    name: "SEER_RegNetY_256GF",
    params: regnetY(640, 230.83, 2.53, 373, 27),
    rounding: "pycls",
    source: "VISSL configs/config/pretrain/swav/models/regnet256Gf_1.yaml and VISSL docs (\"RegNet-256Gf model (1.3B params)\"); SEER paper arXiv 2103.01988",
    note:
      "ClassyVision's own regnet_y_256gf (w0 640, wa 124.47, wm 2.04, group width 848, trunk width 5088) is a different network; SEER's head input 10444 matches these numbers.",
  },
  {
    name: "SEER_RegNetY_10B",
    params: regnetY(1744, 620.83, 2.52, 1010, 27),
    rounding: "pycls",
    source: "VISSL configs/config/pretrain/seer/models/regnet10B.yaml (head dims [28280, 8192, 8192, 256])",
  },
];

export function findRegNetPreset(name: string): RegNetPreset | undefined {
  return REGNET_PRESETS.find((preset) => preset.name === name);
}
