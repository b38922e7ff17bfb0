// Child process of runCli (eval-helpers.ts): runs each argv through seerc's main with the eval, embed and
// export commands registered, captures what each prints, and writes the results as one JSON line.
import { COMMANDS } from "../../src/cli/commands.js";
import { main } from "../../src/cli/main.js";
import { evalCommand } from "../../src/cli/eval.js";
import { embedCommand } from "../../src/cli/embed.js";
import { exportCommand } from "../../src/cli/export.js";

for (const command of [evalCommand, embedCommand, exportCommand]) if (!COMMANDS.some((c) => c.name === command.name)) COMMANDS.push(command);

const writeOut = process.stdout.write.bind(process.stdout);
const writeErr = process.stderr.write.bind(process.stderr);
const results: Array<{ argv: string[]; code: number; stdout: string; stderr: string }> = [];
for (const argv of JSON.parse(process.argv[2]) as string[][]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  process.stdout.write = ((chunk: string | Uint8Array) => stdout.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(argv);
  } catch (e) {
    code = 70;
    stderr.push(`internal error: ${(e as Error).stack ?? e}`);
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
  results.push({ argv, code, stdout: stdout.join(""), stderr: stderr.join("") });
}
writeOut("\n" + JSON.stringify(results) + "\n");
