import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { describe, it } from "node:test";
import * as A from "../../src/language/ast.js";
import { parseSource } from "../../src/language/parse.js";
import { formatSource } from "../../src/language/format.js";
import type { ExperimentIR } from "../../src/compile/ir.js";
import { checkText, REPO_ROOT } from "./helpers.js";
import { seerFilesUnder } from "../language/helpers.js";

/**
 * The IR of every experiment in experiments/: it exists, its hash ignores layout and field order
 * and follows every value, and its derived values match independent calculations and the
 * published numbers of the SEER 1.3B run.
 */

const EXPERIMENT_FILES = seerFilesUnder("experiments").filter((f) => parseSource(readFileSync(f, "utf8"), f).file.decls.some((d) => d.kind === "Experiment"));

function irsOf(file: string, text = readFileSync(file, "utf8")): Map<string, ExperimentIR | null> {
  const r = checkText(file, text);
  return new Map(r.experiments.map((e) => [e.name, e.ir]));
}

/**
 * The file with every block's fields in reverse order. Fields written several times (`crop`,
 * `evaluate`) keep their relative order, which is meaningful (crop indices, evaluation order).
 */
function reordered(text: string, file: string): string {
  const source = parseSource(text, file).file;
  const slice = (s: { start: number; end: number }) => text.slice(s.start, s.end);
  const value = (v: A.Value): string => (v.kind === "Block" ? block(v) : v.kind === "Phrase" ? v.items.map(value).join(" ") : slice(v.span));
  const statement = (s: A.Statement): string => `${A.pathText(s.path)}${s.op === null ? " " : ` ${s.op} `}${value(s.value)}`;
  const block = (b: A.BlockNode): string => {
    const groups = new Map<string, A.Statement[]>();
    for (const s of b.statements) groups.set(s.path[0].name, [...(groups.get(s.path[0].name) ?? []), s]);
    return `{\n${[...groups.values()].reverse().flat().map(statement).join("\n")}\n}`;
  };
  const decl = (d: A.TopDecl): string => {
    if (d.kind === "Preset") return `preset ${d.name.name} = ${value(d.value)}`;
    if (d.kind === "Sweep") return `sweep ${d.name.name} from ${d.base.name} ${block(d.body)}`;
    return `experiment ${d.name.name}${d.base ? ` extends ${d.base.name}` : ""} ${block(d.body)}`;
  };
  return [...source.imports.map((i) => slice(i.span)), ...source.decls.map(decl)].join("\n") + "\n";
}

/** Every number literal of the file's experiments, with where its digits are. */
function numbersOf(text: string, file: string): A.NumberNode[] {
  const found: A.NumberNode[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") {
      if ((v as A.Value).kind === "Number") found.push(v as A.NumberNode);
      for (const [key, inner] of Object.entries(v)) if (key !== "span") visit(inner);
    }
  };
  visit(parseSource(text, file).file.decls.filter((d) => d.kind === "Experiment"));
  return found;
}

describe("every experiment in experiments/", () => {
  it("there are experiments", () => {
    assert.ok(EXPERIMENT_FILES.length >= 4, EXPERIMENT_FILES.join(", "));
  });

  for (const file of EXPERIMENT_FILES) {
    const name = relative(REPO_ROOT, file);
    const text = readFileSync(file, "utf8");
    it(`${name}: has an IR whose hash survives reformatting and reordering`, () => {
      const original = irsOf(file);
      assert.ok(original.size > 0);
      for (const [exp, ir] of original) {
        assert.ok(ir, `${exp} has no IR`);
        assert.match(ir.hash, /^[0-9a-f]{64}$/);
      }
      const formatted = formatSource(parseSource(text, file).file, text);
      const layouts = { formatted, reordered: reordered(text, file), "reordered and formatted": formatSource(parseSource(reordered(text, file), file).file, reordered(text, file)) };
      for (const [layout, variant] of Object.entries(layouts)) {
        const again = irsOf(file, variant);
        for (const [exp, ir] of original) assert.equal(again.get(exp)?.hash, ir!.hash, `${exp}: ${layout} text gave another hash`);
      }
      const fields = parseSource(text, file).file.decls.flatMap((d) => (d.kind === "Preset" ? [] : d.body.statements)).length;
      if (fields > 1) assert.notEqual(layouts.reordered.replace(/\s+/g, ""), text.replace(/\/\/[^\n]*|\s+/g, ""), "the reordering must change the text");
    });
  }
});

describe("the hash follows every value", () => {
  const file = resolve(REPO_ROOT, "experiments/seer_1p3b.seer");
  const text = readFileSync(file, "utf8");
  const original = irsOf(file).get("seer_1p3b")!;

  it("changing any number changes the hash (whenever the result still checks)", (t) => {
    let compiled = 0;
    const numbers = numbersOf(text, file);
    for (const n of numbers) {
      const doubled = n.value === 0 ? 1 : n.value * 2;
      const changed = text.slice(0, n.span.start) + String(doubled) + text.slice(n.span.start + n.text.length);
      const ir = irsOf(file, changed).get("seer_1p3b");
      if (!ir) continue;
      compiled++;
      assert.notEqual(ir.hash, original.hash, `changing \`${n.text}\` on line ${n.span.line} to ${doubled} kept the hash`);
    }
    t.diagnostic(`${compiled} of ${numbers.length} changed numbers still compile; each changed the hash`);
    assert.ok(compiled >= numbers.length / 2, `only ${compiled} of ${numbers.length} perturbations compiled`);
  });

  const edits: Array<[string, string]> = [
    ["w0 = 640", "w0 = 648"],
    ["wa = 230.83", "wa = 230.84"],
    ["temperature = 0.1", "temperature = 0.11"],
    ["prototypes = 16k", "prototypes = 16001"],
    ["at 4096", "at 4097"],
    ["16 per device x 512 devices", "32 per device x 256 devices"],
    ["precision = mixed", "precision = fp32"],
    ["activation_checkpointing = true", "activation_checkpointing = false"],
    ["{ batchnorm = false }", "{ batchnorm = true }"],
    ['folder("/data/uncurated")', 'folder("/data/uncurated2")'],
    ["seed = 0", "seed = 1"],
    ["flip = 0.5", "flip = 0.4"],
    ["then cosine -> 0.0096", "then cosine -> 0.0095"],
    ["device = v100_32gb", "device = a100_40gb"],
    ["x0.1 at 30 epochs", "x0.2 at 30 epochs"],
  ];
  for (const [from, to] of edits) {
    it(`\`${from}\` → \`${to}\` changes the hash`, () => {
      assert.ok(text.includes(from), `the experiment no longer contains \`${from}\``);
      const ir = irsOf(file, text.replace(from, to)).get("seer_1p3b");
      assert.ok(ir, `\`${to}\` does not compile`);
      assert.notEqual(ir.hash, original.hash);
    });
  }
});

/**
 * The last stage width of a RegNet by pycls's generator, written out here independently of
 * src/compile: continuous widths w0 + wa·i quantised to powers of wm, rounded to multiples of 8,
 * then to multiples of the group width (bottleneck 1).
 */
function pyclsLastWidth(w0: number, wa: number, wm: number, depth: number, groupWidth: number): number {
  const continuous = w0 + wa * (depth - 1);
  const exponent = Math.round(Math.log(continuous / w0) / Math.log(wm));
  const quantised = Math.round((w0 * wm ** exponent) / 8) * 8;
  const group = Math.min(groupWidth, quantised);
  return Math.round(quantised / group) * group;
}

describe("derived values of the SEER 1.3B run (experiments/seer_1p3b.seer) against independent facts", () => {
  const ir = irsOf(resolve(REPO_ROOT, "experiments/seer_1p3b.seer")).get("seer_1p3b")!;

  it("head input 10,444: RegNetY-256GF's last width (VISSL's SEER head is [10444, 8192, 8192, 256])", () => {
    assert.equal(pyclsLastWidth(640, 230.83, 2.53, 27, 373), 10444);
    assert.equal(ir.trunk.width, 10444);
    assert.deepEqual(ir.head.dims, [10444, 8192, 8192, 256]);
  });

  it("global batch 8,192 = 16 per device x 512 devices", () => {
    assert.equal(ir.train.global_batch, 16 * 512);
    assert.equal(ir.train.global_batch, 8192);
  });

  it("122,071 steps = ceil(1e9 images / 8192)", () => {
    assert.equal(Math.ceil(1e9 / 8192), 122_071);
    assert.equal(ir.train.total_steps, 122_071);
  });

  it("prototypes frozen for 313 steps = ceil(1,281,167 / 4096), ImageNet-1k's training set at batch 4096", () => {
    assert.equal(Math.ceil(1_281_167 / 4096), 313);
    assert.equal(ir.loss.freeze_prototypes.steps, 313);
  });

  it("warm-up from 0.15 to 9.6 over 8,000 steps, then cosine to 0.0096 at the last step", () => {
    assert.deepEqual(ir.schedule.pieces, [
      { kind: "linear", start_step: 0, end_step: 8000, from: 0.15, to: 9.6 },
      { kind: "cosine", start_step: 8000, end_step: 122_071, from: 9.6, to: 0.0096 },
    ]);
  });

  it("16k prototypes of the 256-wide embedding", () => {
    assert.equal(ir.loss.prototypes, 16_000);
    assert.equal(ir.loss.prototype_parameters, 16_000 * 256);
  });

  it("RegNetY-128GF (experiments/seer_128gf.seer) ends at 7,392, its head follows", () => {
    assert.equal(pyclsLastWidth(456, 160.83, 2.52, 27, 264), 7392);
    const small = irsOf(resolve(REPO_ROOT, "experiments/seer_128gf.seer")).get("seer_128gf")!;
    assert.equal(small.head.dims[0], 7392);
    assert.equal(small.train.total_steps, 122_071);
  });
});
