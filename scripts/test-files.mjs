// Lists every test file under test/ (Node 20's --test globs silently match too little).
// Pass a substring to narrow: `node scripts/test-files.mjs runtime`.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.test\.tsx?$/.test(name)) out.push(path);
  }
  return out;
}
const filter = process.argv[2];
const files = walk("test", []).filter((f) => !filter || f.includes(filter));
process.stdout.write(files.join(" "));
