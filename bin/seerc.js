#!/usr/bin/env node
// The seerc executable: runs the compiled CLI from dist/ (built by `npm install` / `npm ci`
// through the `prepare` script). Internal errors are reported without a stack trace unless
// SEERC_DEBUG is set, with a request to file them.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const entry = new URL("../dist/cli/seerc.mjs", import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("seerc: the compiled CLI is missing (dist/). Run `npm install` (or `npm run build`) in the seerc folder.\n");
  process.exit(2);
}
await import(entry.href);
