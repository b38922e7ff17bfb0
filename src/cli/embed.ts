import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { flag, intFlag, parseArgs, UsageError } from "./args.js";
import { BACKEND_FLAG, backendPreference, HELP_FLAG, type Command } from "./command.js";
import { loadExperiment } from "./load.js";
import { reportRuntimeError, selectBackendOrReport } from "./run.js";
import { err, out } from "./io.js";

export const embedCommand: Command = {
  name: "embed",
  summary: "write a checkpoint's features of image files (npy, safetensors or JSON Lines)",
  usage: "seerc embed CHECKPOINT IMAGES|FOLDER… -o FILE [--stage N | --head] [--format npy|safetensors|jsonl] [--image-size N] [--batch N] [--backend …]",
  flags: [
    { name: "output", short: "o", value: true, doc: "the file to write (its extension chooses the format unless --format is given)" },
    { name: "format", value: true, choices: ["npy", "safetensors", "jsonl"], doc: "npy (+ FILE.paths.txt), safetensors (paths in the metadata) or jsonl (one object per image)" },
    { name: "stage", value: true, doc: "pooled output of trunk stage N (1-based; default the last stage)" },
    { name: "head", doc: "the projection head's L2-normalised embedding instead of trunk features" },
    { name: "image-size", value: true, doc: "side of the centre crop (default: the largest training crop)" },
    { name: "batch", value: true, doc: "images per forward pass (default 64)" },
    BACKEND_FLAG,
    { name: "workers", value: true, doc: "data decoding threads (default: one per spare core)" },
    HELP_FLAG,
  ],
  examples: [
    "seerc embed runs/quickstart-…/ photos/ -o photos.npy",
    "seerc embed runs/quickstart-…/checkpoints/step-00000080 a.jpg b.png -o ab.jsonl --stage 3",
    "seerc embed runs/quickstart-…/ photos/ -o photos.safetensors --head",
  ],
  async run(argv) {
    const args = parseArgs(argv, this.flags, this.name);
    const [checkpoint, ...inputs] = args.positionals;
    if (!checkpoint || inputs.length === 0) throw new UsageError("seerc embed needs a checkpoint and at least one image or folder; see `seerc embed --help`");
    const output = flag(args, "output");
    if (!output) throw new UsageError("seerc embed needs -o FILE (.npy, .safetensors or .jsonl)");
    const runtime = await import("../runtime/eval/index.js");
    const format = (flag(args, "format") ?? runtime.formatOfPath(output)) as "npy" | "safetensors" | "jsonl" | null;
    if (!format) throw new UsageError(`cannot tell the format of \`${output}\` from its extension; add --format npy|safetensors|jsonl`);
    const stage = intFlag(args, "stage");
    const head = args.flags.has("head");
    if (stage !== undefined && head) throw new UsageError("--stage and --head exclude each other: the head reads the last stage");
    if (stage === 0) throw new UsageError("--stage counts from 1");
    const imageSize = intFlag(args, "image-size");
    if (imageSize !== undefined && imageSize < 8) throw new UsageError("--image-size must be at least 8");
    const batch = intFlag(args, "batch") ?? 64;
    if (batch < 1) throw new UsageError("--batch must be at least 1");

    try {
      const found = runtime.findCheckpoint(checkpoint);
      const irFile = runtime.irPathFor(checkpoint, found.dir);
      if (!existsSync(irFile)) throw new UsageError(`${found.dir} has no ir.json, so the model it holds is unknown`);
      const ir = loadExperiment(irFile, {}).ir;
      const stages = ir.trunk.stages.length;
      if (stage !== undefined && stage > stages) throw new UsageError(`--stage ${stage}: the trunk has stages 1..${stages}`);
      const { files, issues } = await runtime.listImageFiles(inputs);
      if ((await selectBackendOrReport(backendPreference(args))) === null) return 1;
      const model = runtime.modelFromCheckpoint(ir, found);
      const size = imageSize ?? Math.max(...ir.augment.crops.map((c) => c.size));
      let set;
      try {
        const source = new runtime.PathListSource(files, inputs.join(", "), issues);
        set = await runtime.extractFeatures(model, source, {
          imageSize: size,
          normalize: ir.augment.normalize,
          batchSize: batch,
          workers: intFlag(args, "workers"),
          maxPixels: ir.data.max_pixels,
          output: head ? { kind: "head" } : { kind: "trunk", stage },
        });
      } finally {
        model.dispose();
      }
      const what = head ? "head embedding" : `stage ${stage ?? stages} features`;
      mkdirSync(dirname(output) || ".", { recursive: true });
      const written = await runtime.writeEmbeddings(set, output, format, {
        checkpoint: found.dir,
        step: String(found.contents.state.step),
        experiment: ir.name,
        ir_hash: ir.hash,
        output: head ? "head" : `stage ${stage ?? stages}`,
        image_size: String(size),
      });
      if (set.skipped.length > 0) {
        err(`skipped ${set.skipped.length} file${set.skipped.length === 1 ? "" : "s"} that could not be read, e.g. ${set.skipped[0].path}: ${set.skipped[0].reason}`);
      }
      out(`wrote ${set.count} × ${set.dim} ${what} (${size}px centre crops) to ${written.join(" and ")}`);
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
