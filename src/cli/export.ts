import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname } from "node:path";
import { flag, parseArgs, UsageError } from "./args.js";
import { HELP_FLAG, type Command } from "./command.js";
import { loadExperiment } from "./load.js";
import { reportRuntimeError } from "./run.js";
import { out } from "./io.js";
import type { ExperimentIR } from "../compile/ir.js";

export const exportCommand: Command = {
  name: "export",
  summary: "export a checkpoint's trunk as a PyTorch state dict for torchvision's RegNet",
  usage: "seerc export CHECKPOINT --format torchvision -o trunk.safetensors",
  flags: [
    { name: "format", value: true, choices: ["torchvision"], doc: "torchvision: the state dict of torchvision.models.RegNet (regnet_y_* of the same stage table)" },
    { name: "output", short: "o", value: true, doc: "the .safetensors file to write" },
    HELP_FLAG,
  ],
  examples: ["seerc export runs/quickstart-…/ --format torchvision -o quickstart-trunk.safetensors"],
  async run(argv) {
    const args = parseArgs(argv, this.flags, this.name);
    if (args.positionals.length !== 1) throw new UsageError("seerc export takes one run or checkpoint folder; see `seerc export --help`");
    const format = flag(args, "format");
    if (!format) throw new UsageError("seerc export needs --format torchvision");
    const output = flag(args, "output");
    if (!output) throw new UsageError("seerc export needs -o FILE.safetensors");
    const target = args.positionals[0];
    const runtime = await import("../runtime/eval/index.js");
    const { modelSpecOf } = await import("../runtime/train/specs.js");
    try {
      const found = runtime.findCheckpoint(target);
      const irFile = runtime.irPathFor(target, found.dir);
      if (!existsSync(irFile)) throw new UsageError(`${found.dir} has no ir.json, so the trunk it holds is unknown`);
      const ir = loadExperiment(irFile, {}).ir;
      const state = runtime.torchvisionStateDict(modelSpecOf(ir).trunk, found.contents.model, { numBatchesTracked: found.contents.state.step, label: found.dir });
      mkdirSync(dirname(output) || ".", { recursive: true });
      const tmp = `${output}.tmp-${process.pid}`;
      runtime.writeTorchSafetensors(tmp, state, {
        format: "pt",
        producer: "seerc",
        experiment: ir.name,
        ir_hash: ir.hash,
        step: String(found.contents.state.step),
        torchvision_block_params: JSON.stringify(blockParams(ir)),
      });
      renameSync(tmp, output);
      const parameters = [...state.values()].filter((t) => t.dtype === "F32").reduce((n, t) => n + t.data.length, 0);
      out(`wrote ${output}: ${state.size} tensors (${parameters.toLocaleString("en-US")} values) of the trunk of \`${ir.name}\` at step ${found.contents.state.step}`);
      out("");
      out("Load it in PyTorch (pip install safetensors):");
      for (const line of pythonLoader(ir, output)) out(`  ${line}`);
      return 0;
    } catch (e) {
      if (e instanceof runtime.EvaluationError) {
        reportRuntimeError(e.code, e.message, e.hint);
        return 1;
      }
      throw e;
    }
  },
};

/** torchvision's BlockParams for the IR's stage table. */
export function blockParams(ir: ExperimentIR): { depths: number[]; widths: number[]; group_widths: number[]; bottleneck_multipliers: number[]; strides: number[]; se_ratio: number | null; stem_width: number } {
  const s = ir.trunk.stages;
  return {
    depths: s.map((x) => x.depth),
    widths: s.map((x) => x.width),
    group_widths: s.map((x) => x.group_width),
    bottleneck_multipliers: s.map(() => ir.trunk.bottleneck),
    strides: s.map((x) => x.stride),
    se_ratio: ir.trunk.se_ratio > 0 ? ir.trunk.se_ratio : null,
    stem_width: ir.trunk.stem_width,
  };
}

function pythonLoader(ir: ExperimentIR, file: string): string[] {
  const p = blockParams(ir);
  const list = (v: number[]) => `[${v.join(", ")}]`;
  return [
    "import torch",
    "from safetensors.torch import load_file",
    "from torchvision.models.regnet import BlockParams, RegNet",
    `params = BlockParams(depths=${list(p.depths)}, widths=${list(p.widths)}, group_widths=${list(p.group_widths)},`,
    `                     bottleneck_multipliers=${list(p.bottleneck_multipliers.map((b) => b))}, strides=${list(p.strides)}, se_ratio=${p.se_ratio ?? "None"})`,
    `model = RegNet(params, stem_width=${p.stem_width})`,
    "model.fc = torch.nn.Identity()  # a SwAV trunk has no classifier: the model returns the pooled features",
    `model.load_state_dict(load_file(${JSON.stringify(file)}), strict=True)`,
    "model.eval()",
  ];
}
