// The seerc CLI with the sweep command registered, for the sweep tests (the same as src/cli/entry.ts
// once `sweep` is in src/cli/commands.ts; then this only re-runs that entry).
import { COMMANDS } from "../../src/cli/commands.js";
import { sweepCommand } from "../../src/cli/sweep.js";

if (!COMMANDS.some((c) => c.name === "sweep")) COMMANDS.push(sweepCommand);
await import("../../src/cli/entry.js");
