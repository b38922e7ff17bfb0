import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { RULES } from "../../../src/check/rules/index.js";
import { SNIPPET_DIR } from "../helpers.js";

/** One rule, one test file: a rule added to src/check/rules/ without its tests fails here. */
it("every rule in src/check/rules has test/check/rules/<name>.test.ts", () => {
  const missing = RULES.map(([name]) => name).filter((name) => !existsSync(join(SNIPPET_DIR, "rules", `${name}.test.ts`)));
  assert.deepEqual(missing, []);
  assert.ok(RULES.length >= 13);
});
