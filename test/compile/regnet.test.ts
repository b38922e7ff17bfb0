import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  classificationModelComplexity,
  countClassifierParameters,
  countMlpHeadParameters,
  countPrototypeParameters,
  countTrunkParameters,
  deriveAnyNet,
  deriveRegNet,
  multiCropTrunkMultiplyAdds,
  roundHalfEven,
  trunkComplexity,
  trunkOutputSize,
  type RegNetParams,
  type RegNetRounding,
  type StageTable,
} from "../../src/compile/regnet.js";
import { REGNET_PRESETS, findRegNetPreset } from "../../src/compile/regnet-presets.js";

function derive(params: RegNetParams, rounding: RegNetRounding): StageTable {
  const result = deriveRegNet(params, { rounding });
  if (!result.ok) throw new Error(`unexpected problems: ${JSON.stringify(result.problems)}`);
  return result.table;
}

function preset(name: string): StageTable {
  const found = findRegNetPreset(name);
  assert.ok(found, `preset ${name} exists`);
  return derive(found.params, found.rounding);
}

function regnetY(w0: number, wa: number, wm: number, groupWidth: number, depth: number): RegNetParams {
  return { w0, wa, wm, groupWidth, depth, seRatio: 0.25 };
}

// torchvision's builders (torchvision/models/regnet.py, github.com/pytorch/vision) with the
// `num_params` each weights entry publishes (also in the torchvision model docs). Those models carry
// a 1000-class fc and use torchvision's own width rounding.
const TORCHVISION_REGNET_Y = [
  { name: "regnet_y_400mf", params: regnetY(48, 27.89, 2.09, 8, 16), numParams: 4_344_144, gflops224: 0.4 },
  { name: "regnet_y_800mf", params: regnetY(56, 38.84, 2.4, 16, 14), numParams: 6_432_512, gflops224: 0.8 },
  { name: "regnet_y_1_6gf", params: regnetY(48, 20.71, 2.65, 24, 27), numParams: 11_202_430, gflops224: 1.6 },
  { name: "regnet_y_3_2gf", params: regnetY(80, 42.63, 2.66, 24, 21), numParams: 19_436_338, gflops224: 3.2 },
  { name: "regnet_y_8gf", params: regnetY(192, 76.82, 2.19, 56, 17), numParams: 39_381_472, gflops224: 8.5 },
  { name: "regnet_y_16gf", params: regnetY(200, 106.23, 2.48, 112, 18), numParams: 83_590_140, gflops224: 15.9 },
  { name: "regnet_y_32gf", params: regnetY(232, 115.89, 2.53, 232, 20), numParams: 145_046_770, gflops224: 32.3 },
  { name: "regnet_y_128gf", params: regnetY(456, 160.83, 2.52, 264, 27), numParams: 644_812_894, gflops224: 127.5 },
];

describe("torchvision convention against torchvision's published numbers", () => {
  for (const model of TORCHVISION_REGNET_Y) {
    it(`${model.name}: ${model.numParams} parameters with a 1000-class fc`, () => {
      const table = derive(model.params, "torchvision");
      assert.equal(classificationModelComplexity(table, 224, 1000).params, model.numParams);
    });
    it(`${model.name}: ${model.gflops224} GFLOPs at 224 px (torchvision's "_ops", one decimal)`, () => {
      const table = derive(model.params, "torchvision");
      const giga = classificationModelComplexity(table, 224, 1000).multiplyAdds / 1e9;
      assert.equal(Number(giga.toFixed(1)), model.gflops224);
    });
  }

  it("reproduces the GFLOPs torchvision publishes for its 384 px SWAG weights", () => {
    // "_ops" of RegNet_Y_16GF/32GF/128GF IMAGENET1K_SWAG_E2E_V1 (crop_size 384).
    const at384 = { regnet_y_16gf: 46.7, regnet_y_32gf: 94.8, regnet_y_128gf: 374.6 } as Record<string, number>;
    for (const model of TORCHVISION_REGNET_Y.filter((m) => m.name in at384)) {
      const giga = classificationModelComplexity(derive(model.params, "torchvision"), 384, 1000).multiplyAdds / 1e9;
      assert.equal(Number(giga.toFixed(1)), at384[model.name], model.name);
    }
  });

  it("counts multiply-adds at 96 px and at odd sizes as a per-layer hook count does", () => {
    // Counted independently with forward hooks on every Conv2d/Linear of torchvision 0.14's RegNet
    // (k*k*cin*cout*h*w/groups + bias) on 1x3xSxS inputs; a throwaway script, not part of the suite.
    const m800 = derive(TORCHVISION_REGNET_Y[1].params, "torchvision");
    const m8g = derive(TORCHVISION_REGNET_Y[4].params, "torchvision");
    assert.equal(classificationModelComplexity(m800, 96, 1000).multiplyAdds, 154_490_048);
    assert.equal(classificationModelComplexity(m800, 97, 1000).multiplyAdds, 206_371_616);
    assert.equal(classificationModelComplexity(m8g, 224, 1000).multiplyAdds, 8_473_087_616);
    assert.equal(classificationModelComplexity(m8g, 96, 1000).multiplyAdds, 1_562_101_376);
  });
});

// pycls MODEL_ZOO.md, RegNetY table: flops (B), params (M), acts (M) of the 1000-class models at 224 px.
const PYCLS_ZOO: Record<string, [number, number, number]> = {
  RegNetY_200MF: [0.2, 3.2, 2.2],
  RegNetY_400MF: [0.4, 4.3, 3.9],
  RegNetY_600MF: [0.6, 6.1, 4.3],
  RegNetY_800MF: [0.8, 6.3, 5.2],
  RegNetY_1_6GF: [1.6, 11.2, 8.0],
  RegNetY_3_2GF: [3.2, 19.4, 11.3],
  RegNetY_4GF: [4.0, 20.6, 12.3],
  RegNetY_6_4GF: [6.4, 30.6, 16.4],
  RegNetY_8GF: [8.0, 39.2, 18.0],
  RegNetY_12GF: [12.1, 51.8, 21.4],
  RegNetY_16GF: [15.9, 83.6, 23.0],
  RegNetY_32GF: [32.3, 145.0, 30.3],
};

describe("pycls convention against the pycls model zoo", () => {
  for (const [name, [gflops, paramsM, actsM]] of Object.entries(PYCLS_ZOO)) {
    it(`${name}: ${gflops} GF, ${paramsM} M params, ${actsM} M acts (one decimal)`, () => {
      const c = classificationModelComplexity(preset(name), 224, 1000);
      assert.equal(Number((c.multiplyAdds / 1e9).toFixed(1)), gflops);
      assert.equal(Number((c.params / 1e6).toFixed(1)), paramsM);
      assert.equal(Number((c.activations / 1e6).toFixed(1)), actsM);
    });
  }

  it("ends each ClassyVision RegNetY at the output width its source comments state", () => {
    // ClassyVision regnet.py: "# Output size: N feature maps" above each registered model.
    const expected: [string, number][] = [
      ["RegNetY_400MF", 440],
      ["RegNetY_800MF", 768],
      ["RegNetY_1_6GF", 888],
      ["RegNetY_3_2GF", 1512],
      ["RegNetY_8GF", 2016],
      ["RegNetY_16GF", 3024],
      ["RegNetY_32GF", 3712],
      ["SEER_RegNetY_128GF", 7392],
    ];
    for (const [name, width] of expected) assert.equal(preset(name).width, width, name);
  });
});

describe("the two rounding conventions", () => {
  it("disagree on RegNetY-800MF and -8GF, as published parameter counts show", () => {
    // Stage widths as pycls's generate_regnet + adjust_block_compatibility and torchvision 0.14's
    // BlockParams.from_init_params print them (throwaway runs of both).
    const m800 = TORCHVISION_REGNET_Y[1].params;
    const m8g = TORCHVISION_REGNET_Y[4].params;
    assert.deepEqual(derive(m800, "pycls").stages.map((s) => s.width), [64, 128, 320, 768]);
    assert.deepEqual(derive(m800, "torchvision").stages.map((s) => s.width), [64, 144, 320, 784]);
    assert.deepEqual(derive(m8g, "pycls").stages.map((s) => s.width), [168, 448, 896, 2016]);
    assert.deepEqual(derive(m8g, "torchvision").stages.map((s) => s.width), [224, 448, 896, 2016]);
  });

  it("pycls rounds a half-way bottleneck width to the even multiple, torchvision rounds it up", () => {
    // One block of width 40 with group width 16: 40 / 16 = 2.5 groups.
    // pycls: round(2.5) = 2 -> 32. torchvision: int(40 + 8) // 16 * 16 = 48.
    const params: RegNetParams = { w0: 40, wa: 0, wm: 2, groupWidth: 16, depth: 1, seRatio: 0 };
    assert.equal(derive(params, "pycls").width, 32);
    assert.equal(derive(params, "torchvision").width, 48);
  });

  it("torchvision adds a group when rounding would lose more than 10% of the width", () => {
    // Width 56, group width 48: both round to one group (48), but 48 < 0.9 * 56 = 50.4, so
    // torchvision takes two groups (96); pycls keeps 48.
    const params: RegNetParams = { w0: 56, wa: 0, wm: 2, groupWidth: 48, depth: 1, seRatio: 0 };
    assert.equal(derive(params, "pycls").width, 48);
    assert.equal(derive(params, "torchvision").width, 96);
  });

  it("reproduces float64 (numpy) and float32 (torch) block widths where they round differently", () => {
    // 400 * 2.45 = 980 = 8 * 122.5: float64 makes it 980.0000000000001 (-> 984), float32 keeps 980.0
    // and rounds the tie to even (-> 976). Expected lists printed by pycls's generate_regnet formula
    // under numpy 1.24 and by torchvision 0.14's BlockParams formula under torch (throwaway runs).
    const a: RegNetParams = { w0: 400, wa: 68.11, wm: 2.45, groupWidth: 8, depth: 7, seRatio: 0 };
    assert.deepEqual(derive(a, "pycls").quantizedBlockWidths, [400, 400, 400, 400, 984, 984, 984]);
    assert.deepEqual(derive(a, "torchvision").quantizedBlockWidths, [400, 400, 400, 400, 976, 976, 976]);
    const b: RegNetParams = { w0: 440, wa: 95.69, wm: 2.1, groupWidth: 8, depth: 8, seRatio: 0 };
    assert.deepEqual(derive(b, "pycls").quantizedBlockWidths, [440, 440, 440, 928, 928, 928, 928, 928]);
    assert.deepEqual(derive(b, "torchvision").quantizedBlockWidths, [440, 440, 440, 920, 920, 920, 920, 920]);
  });

  it("caps the group width at the bottleneck width", () => {
    const table = derive({ w0: 24, wa: 0, wm: 2, groupWidth: 64, depth: 2, seRatio: 0 }, "pycls");
    assert.deepEqual(table.stages.map((s) => [s.depth, s.width, s.groupWidth, s.groups]), [[2, 24, 24, 1]]);
  });
});

describe("SEER sizes", () => {
  it("RegNetY-256GF (w0 640, wa 230.83, wm 2.53, group width 373, depth 27) ends at width 10444", () => {
    const table = preset("SEER_RegNetY_256GF");
    // 10444 is the head input of VISSL's SEER 256GF configs (d10444_d8192_d8192_d256_proto16k.yaml).
    assert.equal(table.width, 10444);
    // Stage table and parameter count as torchvision 0.14 builds the same generator (throwaway run:
    // depths [2, 7, 17, 1], widths [746, 1492, 4103, 10444], 1,282,601,138 params with a 1000-class fc).
    assert.deepEqual(table.stages.map((s) => s.depth), [2, 7, 17, 1]);
    assert.deepEqual(table.stages.map((s) => s.width), [746, 1492, 4103, 10444]);
    assert.deepEqual(table.stages.map((s) => s.groupWidth), [373, 373, 373, 373]);
    assert.equal(classificationModelComplexity(table, 224, 1000).params, 1_282_601_138);
    assert.equal(countTrunkParameters(table), 1_282_601_138 - (10444 * 1000 + 1000));
    assert.equal(table.totalStride, 32);
  });

  it("the stage table the SEER paper's text quotes for 256GF is RegNetY-128GF's", () => {
    // Paper text: depths (2, 7, 17, 1), widths (528, 1056, 2904, 7392); that is what the 128GF
    // generator gives, while the 256GF generator gives the table above.
    const table = preset("SEER_RegNetY_128GF");
    assert.deepEqual(table.stages.map((s) => s.depth), [2, 7, 17, 1]);
    assert.deepEqual(table.stages.map((s) => s.width), [528, 1056, 2904, 7392]);
  });

  it("ends the 64GF and 10B presets at the head input widths of their VISSL configs", () => {
    assert.equal(preset("SEER_RegNetY_64GF").width, 4920); // regnet64Gf_3.yaml: mlp dims [4920, ...]
    assert.equal(preset("SEER_RegNetY_10B").width, 28280); // regnet10B.yaml: dims [28280, 8192, 8192, 256]
  });

  it("every preset derives without problems under its own convention", () => {
    const names = REGNET_PRESETS.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    for (const p of REGNET_PRESETS) {
      const result = deriveRegNet(p.params, { rounding: p.rounding });
      assert.ok(result.ok, p.name);
      assert.ok(p.source.length > 0, p.name);
    }
  });
});

describe("stage table shape", () => {
  it("gives every stage its groups, bottleneck and SE widths", () => {
    const table = preset("RegNetY_400MF");
    // 400MF: stages 1x48, 3x104, 6x208, 6x440, group width 8, stem 32, SE ratio 0.25 of the block input.
    assert.deepEqual(
      table.stages.map((s) => [s.depth, s.width, s.inputWidth, s.groups, s.bottleneckWidth, s.stride, s.firstBlockSeWidth, s.seWidth]),
      [
        [1, 48, 32, 6, 48, 2, 8, 12],
        [3, 104, 48, 13, 104, 2, 12, 26],
        [6, 208, 104, 26, 208, 2, 26, 52],
        [6, 440, 208, 55, 440, 2, 52, 110],
      ],
    );
    assert.equal(table.depth, 16);
    assert.equal(table.totalStride, 32);
    assert.equal(trunkOutputSize(table, 224), 7);
    assert.equal(trunkOutputSize(table, 96), 3);
    assert.equal(table.quantizedBlockWidths.length, 16);
  });

  it("has no SE widths when seRatio is 0", () => {
    const table = derive({ w0: 48, wa: 27.89, wm: 2.09, groupWidth: 8, depth: 16, seRatio: 0 }, "pycls");
    assert.ok(table.stages.every((s) => s.seWidth === 0 && s.firstBlockSeWidth === 0));
  });
});

describe("preconditions", () => {
  it("lists every problem with its field instead of throwing", () => {
    const result = deriveRegNet({ w0: 30, wa: -1, wm: 1, groupWidth: 0, depth: 0, seRatio: -0.5 }, { rounding: "pycls" });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.problems.map((p) => p.field).sort(), ["depth", "groupWidth", "seRatio", "w0", "wa", "wm"]);
    assert.ok(result.problems.every((p) => p.message.length > 0));
  });

  it("rejects non-finite numbers and fractional depths", () => {
    const result = deriveRegNet({ w0: Number.NaN, wa: 10, wm: 2, groupWidth: 8, depth: 2.5, seRatio: 0 }, { rounding: "torchvision" });
    assert.equal(result.ok, false);
    if (!result.ok) assert.deepEqual(result.problems.map((p) => p.field), ["w0", "depth"]);
  });

  it("rejects a fractional expansion above 1 under pycls only", () => {
    const params: RegNetParams = { w0: 48, wa: 20, wm: 2, groupWidth: 8, depth: 4, seRatio: 0, bottleneckMultiplier: 2.5 };
    const pycls = deriveRegNet(params, { rounding: "pycls" });
    assert.equal(pycls.ok, false);
    if (!pycls.ok) assert.deepEqual(pycls.problems.map((p) => p.field), ["bottleneckMultiplier"]);
    assert.equal(deriveRegNet(params, { rounding: "torchvision" }).ok, true);
  });
});

describe("explicit AnyNet", () => {
  it("reproduces a derived RegNet when given its stages", () => {
    const derived = preset("RegNetY_400MF");
    const result = deriveAnyNet({
      depths: [1, 3, 6, 6],
      widths: [48, 104, 208, 440],
      groupWidths: [8, 8, 8, 8],
      seRatio: 0.25,
    });
    assert.ok(result.ok);
    if (!result.ok) return;
    assert.deepEqual(result.table.stages, derived.stages);
    assert.equal(classificationModelComplexity(result.table, 224, 1000).params, 4_344_144);
    assert.equal(result.table.source, "anynet");
  });

  it("reports mismatched lists and indivisible group widths", () => {
    const lengths = deriveAnyNet({ depths: [1, 2], widths: [64], groupWidths: [16, 16], seRatio: 0.25 });
    assert.equal(lengths.ok, false);
    if (!lengths.ok) assert.deepEqual(lengths.problems.map((p) => p.field), ["widths"]);

    const missing = deriveAnyNet({ depths: [1], seRatio: 0 } as unknown as Parameters<typeof deriveAnyNet>[0]);
    assert.equal(missing.ok, false);
    if (!missing.ok) assert.deepEqual(missing.problems.map((p) => p.field), ["widths", "groupWidths"]);

    const groups = deriveAnyNet({ depths: [1, 2], widths: [64, 100], groupWidths: [16, 16], seRatio: 0.25 });
    assert.equal(groups.ok, false);
    if (!groups.ok) assert.deepEqual(groups.problems.map((p) => p.field), ["groupWidths[1]"]);
  });
});

describe("parameter helpers", () => {
  it("counts an MLP head with biases, with and without BatchNorm", () => {
    // [10444, 8192, 8192, 256]: (10444*8192 + 8192) + (8192*8192 + 8192) + (8192*256 + 256)
    // = 85,565,440 + 67,117,056 + 2,097,408.
    assert.equal(countMlpHeadParameters([10444, 8192, 8192, 256]), 154_779_904);
    // BatchNorm1d after the two hidden layers (not after the last): + 2 * 2 * 8192.
    assert.equal(countMlpHeadParameters([10444, 8192, 8192, 256], { batchNorm: true }), 154_779_904 + 32_768);
    assert.equal(countMlpHeadParameters([10444, 8192, 8192, 256], { batchNorm: true, skipLastBatchNorm: false }), 154_779_904 + 32_768 + 512);
    assert.equal(countMlpHeadParameters([2048, 128], { bias: false }), 2048 * 128);
  });

  it("counts prototypes without bias and a classifier with bias", () => {
    assert.equal(countPrototypeParameters(256, 16000), 4_096_000);
    assert.equal(countClassifierParameters(2016, 1000), 2_017_000);
  });
});

describe("multi-crop multiply-adds", () => {
  it("sums the per-size trunk cost over the crops", () => {
    // 8GF (torchvision) hook counts from above, minus the fc (2016*1000 + 1000 multiply-adds).
    const table = derive(TORCHVISION_REGNET_Y[4].params, "torchvision");
    const fc = 2016 * 1000 + 1000;
    const expected = 2 * (8_473_087_616 - fc) + 4 * (1_562_101_376 - fc);
    assert.equal(multiCropTrunkMultiplyAdds(table, [{ count: 2, size: 224 }, { count: 4, size: 96 }]), expected);
    assert.equal(trunkComplexity(table, 224).multiplyAdds, 8_473_087_616 - fc);
  });
});

describe("roundHalfEven", () => {
  it("matches Python's round", () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfEven), [0, 2, 2, 0, -2, 2, 3]);
  });
});
