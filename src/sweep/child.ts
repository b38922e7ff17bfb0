import { existsSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** How to start `seerc` as a child process: the executable and the arguments before the command name. */
export interface SeercCommand {
  file: string;
  args: string[];
}

/**
 * The seerc that is running now, started again with the same Node: from the built package
 * (`bin/seerc.js`) when this module was loaded from dist/ (the bundle lives at dist/cli/seerc.mjs), and
 * from the sources through tsx otherwise. tsx is passed as a resolved URL so the child finds it
 * whatever its working directory.
 */
export function currentSeerc(moduleUrl: string = import.meta.url): SeercCommand {
  const here = fileURLToPath(moduleUrl);
  const parts = dirname(here).split(sep);
  const distAt = parts.lastIndexOf("dist");
  if (distAt > 0) {
    const root = parts.slice(0, distAt).join(sep);
    const bin = join(root, "bin", "seerc.js");
    if (existsSync(bin)) return { file: process.execPath, args: [bin] };
  }
  const srcAt = parts.lastIndexOf("src");
  if (srcAt > 0) {
    const root = parts.slice(0, srcAt).join(sep);
    const entry = join(root, "src", "cli", "entry.ts");
    if (existsSync(entry)) return { file: process.execPath, args: ["--import", import.meta.resolve("tsx"), entry] };
  }
  throw new Error(`internal: cannot tell how to start seerc from ${here} (neither under dist/ with bin/seerc.js nor under src/)`);
}
