import type { Command } from "./command.js";
import { checkCommand } from "./check.js";
import { fmtCommand } from "./fmt.js";

/** Every command, in the order `seerc --help` lists them. */
export const COMMANDS: Command[] = [checkCommand, fmtCommand];
