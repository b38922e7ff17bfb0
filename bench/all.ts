// `npm run bench`: every benchmark in one go, one after the other (they would skew each other if
// run at once on a small machine), each in its own process with its tables printed as it goes.
//
//   node --import tsx bench/all.ts [--json] [--only check,train,data]
//
// Each benchmark runs with its defaults (see the top of each file for its own flags).
// With --json each benchmark prints its JSON lines and this script adds, per benchmark, one line
// { kind: "bench", name, exit_code, wall_s }. The exit code is 0 when every benchmark ran.
import { spawn } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";

const BENCHMARKS = [
  { name: "check", script: "bench/check.ts", what: "front end: `seerc check` start-up and parse/check speed" },
  { name: "train", script: "bench/train.ts", what: "training step: seerc (TensorFlow.js backends) against PyTorch" },
  { name: "data", script: "bench/data.ts", what: "data pipeline: seerc workers against torchvision + DataLoader" },
] as const;

interface Args {
  json: boolean;
  only: Set<string>;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { json: false, only: new Set(BENCHMARKS.map((b) => b.name)) };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--json") args.json = true;
    else if (flag === "--only") args.only = new Set((argv[++i] ?? "").split(",").filter(Boolean));
    else throw new Error(`unknown flag ${flag}`);
  }
  for (const name of args.only) {
    if (!BENCHMARKS.some((b) => b.name === name)) throw new Error(`unknown benchmark ${name} (known: ${BENCHMARKS.map((b) => b.name).join(", ")})`);
  }
  return args;
}

function run(script: string, flags: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...flags], { stdio: "inherit" });
    child.on("error", () => resolve(1));
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!args.json) {
    console.log(`seerc benchmarks on ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM; Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  }
  let failed = 0;
  for (const bench of BENCHMARKS) {
    if (!args.only.has(bench.name)) continue;
    if (!args.json) console.log(`\n== bench:${bench.name} — ${bench.what}\n`);
    const started = Date.now();
    const code = await run(bench.script, args.json ? ["--json"] : []);
    const wall = (Date.now() - started) / 1000;
    if (code !== 0) failed++;
    if (args.json) console.log(JSON.stringify({ kind: "bench", name: bench.name, exit_code: code, wall_s: wall }));
    else console.log(`\n(bench:${bench.name} ${code === 0 ? "finished" : `FAILED with exit code ${code}`} in ${wall.toFixed(0)} s)`);
  }
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
