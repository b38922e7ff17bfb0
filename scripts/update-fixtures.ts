// Rewrites test/fixtures/**/X.expected from what `seerc check X.seer` prints now. Run after a
// deliberate change to messages or rules, then review the diff: `npm run fixtures:update`.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { expectedPathOf, listFixtures, orphanExpectations, renderFixture, REPO_ROOT } from "../test/fixtures/harness.js";
import { resolve } from "node:path";

let changed = 0;
const fixtures = listFixtures();
for (const fixture of fixtures) {
  const target = expectedPathOf(fixture);
  const rendered = renderFixture(fixture);
  const before = existsSync(target) ? readFileSync(target, "utf8") : null;
  if (before === rendered) continue;
  writeFileSync(target, rendered);
  changed++;
  process.stdout.write(`${before === null ? "created" : "updated"} ${fixture.replace(/\.seer$/, ".expected")}\n`);
}
for (const orphan of orphanExpectations()) {
  rmSync(resolve(REPO_ROOT, orphan));
  changed++;
  process.stdout.write(`removed ${orphan} (no .seer beside it)\n`);
}
process.stdout.write(`${fixtures.length} fixtures, ${changed} file${changed === 1 ? "" : "s"} changed\n`);
