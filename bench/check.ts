// `npm run bench:check`: how fast `seerc check` starts and how fast the front end reads.
// Prints figures and ratios; targets are stated, never asserted (benchmarks are not tests).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSource } from "../src/language/parse.js";
import { loadProgram } from "../src/language/loader.js";
import { checkPreset } from "../src/check/check.js";

const runs = Number(process.env.BENCH_RUNS ?? 15);

function medianMs(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env, stdio: "ignore" });
    if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}`);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

if (!existsSync("dist/cli/entry.js")) {
  console.log("building dist/ first (npm run build) …");
  execFileSync("npm", ["run", "build"], { stdio: "inherit" });
}

const bare = medianMs("node", ["-e", ""]);
const check = medianMs("node", ["bin/seerc.js", "check", "experiments/", "stdlib/"]);
const trace = join(tmpdir(), `seerc-trace-${process.pid}.json`);
spawnSync("node", ["--import", "./bench/trace-loads.mjs", "bin/seerc.js", "check", "experiments/"], { env: { ...process.env, SEERC_TRACE_OUT: trace }, stdio: "ignore" });
const traced = JSON.parse(readFileSync(trace, "utf8")) as { modules: number; tensorflow: number };
rmSync(trace, { force: true });

// A generated 10,000-line file: 1,000 presets of 10 lines each.
const lines: string[] = [];
for (let i = 0; i < 1000; i++) {
  lines.push(`// preset ${i}`, `preset Net${i} = regnety {`, `  w0 = ${24 + 8 * (i % 10)}`, `  wa = ${20 + (i % 17)}.5`, `  wm = 2.${10 + (i % 80)}`, `  group_width = 8`, `  depth = ${10 + (i % 12)}`, `  se_ratio = 0.25`, `  rounding = pycls`, `}`);
}
const text = lines.join("\n") + "\n";
const file = join(tmpdir(), "bench-10k.seer");
const t0 = process.hrtime.bigint();
const parsed = parseSource(text, file);
const t1 = process.hrtime.bigint();
const program = loadProgram([file], { overlay: new Map([[file, text]]) });
let diagnostics = 0;
for (const decl of program.files.get(file)!.decls) if (decl.kind === "Preset") diagnostics += checkPreset(program, file, decl).length;
const t2 = process.hrtime.bigint();
const parseMs = Number(t1 - t0) / 1e6;
const totalMs = Number(t2 - t1) / 1e6 + parseMs;

const ratio = check / bare;
const rows = [
  ["bare `node -e ''` start", `${bare.toFixed(0)} ms`, ""],
  ["cold `seerc check experiments/ stdlib/`", `${check.toFixed(0)} ms`, `${ratio.toFixed(2)}x node start (target < 4x)`],
  ["modules loaded by check / of them TensorFlow.js", `${traced.modules} / ${traced.tensorflow}`, traced.tensorflow === 0 ? "no TensorFlow.js (required)" : "LOADS TensorFlow.js"],
  ["parse 10,000 lines", `${parseMs.toFixed(0)} ms`, `${((lines.length / parseMs) * 1000).toFixed(0)} lines/s`],
  ["parse + check 10,000 lines (1,000 presets)", `${totalMs.toFixed(0)} ms`, `target < 1000 ms; ${parsed.diagnostics.length + diagnostics} diagnostics`],
];
const json = process.argv.includes("--json");
if (json) {
  console.log(JSON.stringify({ node_start_ms: bare, check_ms: check, ratio, tensorflow_modules: traced.tensorflow, parse_ms: parseMs, parse_check_ms: totalMs, lines: lines.length }));
} else {
  console.log(`seerc check benchmark (median of ${runs} runs; ${process.version}, ${process.platform}/${process.arch})\n`);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const r of rows) console.log(`${r[0].padEnd(w0)}  ${r[1].padStart(w1)}  ${r[2]}`);
}
