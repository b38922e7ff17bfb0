import type { Command } from "./command.js";
import { checkCommand } from "./check.js";
import { fmtCommand } from "./fmt.js";
import { explainCommand } from "./explain.js";
import { compileCommand, schemaCommand } from "./compile.js";
import { runCommand } from "./run.js";
import { reportCommand } from "./report.js";
import { runsCommand } from "./runs.js";
import { sweepCommand } from "./sweep.js";
import { evalCommand } from "./eval.js";
import { embedCommand } from "./embed.js";
import { exportCommand } from "./export.js";

/** Every command, in the order `seerc --help` lists them. */
export const COMMANDS: Command[] = [checkCommand, fmtCommand, explainCommand, compileCommand, schemaCommand, runCommand, sweepCommand, evalCommand, embedCommand, exportCommand, reportCommand, runsCommand];
