import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import { loadProgram, resolveImport, STDLIB_DIR } from "../../src/language/loader.js";
import { positionOf, REPO_ROOT } from "../check/helpers.js";

/** Imports: stdlib names and relative paths, missing files and cycles at the import's span, each file parsed once. */

const DIR = resolve(REPO_ROOT, "test/language/virtual");
const path = (name: string) => join(DIR, name);

function load(files: Record<string, string>, entries: string[] = [Object.keys(files)[0]]) {
  const overlay = new Map(Object.entries(files).map(([name, text]) => [path(name), text]));
  return loadProgram(entries.map(path), { overlay });
}

function located(program: ReturnType<typeof load>) {
  return program.diagnostics.map((d) => ({ code: d.code, file: d.span?.file, line: d.span?.line, column: d.span?.column }));
}

describe("resolving imports", () => {
  it("a bare name is a stdlib module; a path starting with ./ or ../ is relative to the importer, `.seer` optional", () => {
    assert.equal(resolveImport("regnet", path("a.seer")), join(STDLIB_DIR, "regnet.seer"));
    assert.equal(resolveImport("./b", path("a.seer")), path("b.seer"));
    assert.equal(resolveImport("./b.seer", path("a.seer")), path("b.seer"));
    assert.equal(resolveImport("../c.seer", path("sub/a.seer")), path("c.seer"));
    assert.equal(STDLIB_DIR, resolve(REPO_ROOT, "stdlib"));
  });

  it("loads the stdlib and relative imports, recording the edges", () => {
    const program = load({ "a.seer": 'import "regnet"\nimport "./b"\n', "b.seer": 'import "swav"\n' });
    assert.deepEqual(program.diagnostics, []);
    assert.deepEqual(program.imports.get(path("a.seer")), [join(STDLIB_DIR, "regnet.seer"), path("b.seer")]);
    assert.deepEqual(program.imports.get(path("b.seer")), [join(STDLIB_DIR, "swav.seer")]);
    assert.deepEqual([...program.files.keys()].sort(), [path("a.seer"), path("b.seer"), join(STDLIB_DIR, "regnet.seer"), join(STDLIB_DIR, "swav.seer")].sort());
  });

  it("a file imported twice (a diamond) is parsed once and is not a cycle", () => {
    const program = load({ "a.seer": 'import "./b"\nimport "./c"\n', "b.seer": 'import "./d"\n', "c.seer": 'import "./d"\n', "d.seer": "" });
    assert.deepEqual(program.diagnostics, []);
    assert.equal(program.files.size, 4);
  });
});

describe("missing imports (SEER1011), at the import's string", () => {
  it("a relative file", () => {
    const text = 'import "./nowhere.seer"\n';
    const program = load({ "a.seer": text });
    assert.deepEqual(located(program), [{ code: "SEER1011", file: path("a.seer"), ...positionOf(text, '"./nowhere.seer"') }]);
    assert.match(program.diagnostics[0].message, /cannot find file "\.\/nowhere\.seer"/);
    assert.equal(program.diagnostics[0].hint, "paths are relative to the importing file");
  });

  it("a stdlib module, with the modules that exist in the hint", () => {
    const text = '// first line\n  import "regnot"\n';
    const program = load({ "a.seer": text });
    assert.deepEqual(located(program), [{ code: "SEER1011", file: path("a.seer"), ...positionOf(text, '"regnot"') }]);
    assert.match(program.diagnostics[0].message, /cannot find stdlib module "regnot"/);
    assert.match(program.diagnostics[0].hint ?? "", /regnet, schedules, swav/);
  });

  it("inside an imported file, reported in that file", () => {
    const b = '\nimport "./gone"\n';
    const program = load({ "a.seer": 'import "./b"\n', "b.seer": b });
    assert.deepEqual(located(program), [{ code: "SEER1011", file: path("b.seer"), ...positionOf(b, '"./gone"') }]);
  });
});

describe("import cycles (SEER1012), at the import that closes the cycle", () => {
  it("two files importing each other", () => {
    const b = 'import "./a"\n';
    const program = load({ "a.seer": 'import "./b"\n', "b.seer": b });
    assert.deepEqual(located(program), [{ code: "SEER1012", file: path("b.seer"), ...positionOf(b, '"./a"') }]);
    assert.equal(program.diagnostics[0].message, "import cycle: a.seer → b.seer → a.seer");
  });

  it("a longer cycle names every file on it", () => {
    const program = load({ "a.seer": 'import "./b"\n', "b.seer": 'import "./c"\n', "c.seer": '\n\nimport "./a"\n' });
    assert.deepEqual(located(program), [{ code: "SEER1012", file: path("c.seer"), line: 3, column: 8 }]);
    assert.equal(program.diagnostics[0].message, "import cycle: a.seer → b.seer → c.seer → a.seer");
  });

  it("a file importing itself", () => {
    const program = load({ "a.seer": 'import "./a.seer"\n' });
    assert.deepEqual(located(program), [{ code: "SEER1012", file: path("a.seer"), line: 1, column: 8 }]);
  });
});

describe("entry files", () => {
  const temp = mkdtempSync(join(tmpdir(), "seerc-loader-"));
  after(() => rmSync(temp, { recursive: true, force: true }));

  it("an unreadable entry is SEER1010 without a position (the CLI turns it into exit code 2)", () => {
    const program = loadProgram([join(temp, "missing.seer"), temp]);
    assert.deepEqual(program.diagnostics.map((d) => [d.code, d.span]), [["SEER1010", undefined], ["SEER1010", undefined]]);
    assert.match(program.diagnostics[0].message, /missing\.seer: no such file/);
    assert.match(program.diagnostics[1].message, /it is a directory/);
  });

  it("reads the disk when there is no overlay, and the overlay wins over the disk", () => {
    const file = join(temp, "on-disk.seer");
    writeFileSync(file, "experiment e {\n  seed = 1 ]\n}\n");
    const fromDisk = loadProgram([file]);
    assert.deepEqual(fromDisk.diagnostics.map((d) => [d.code, d.span?.line]), [["SEER1002", 2]]);
    const overlaid = loadProgram([file], { overlay: new Map([[file, "experiment e {}\n"]]) });
    assert.deepEqual(overlaid.diagnostics, []);
    assert.equal(overlaid.texts.get(file), "experiment e {}\n");
  });

  it("syntax errors of an imported file carry that file's path", () => {
    const program = load({ "a.seer": 'import "./b"\n', "b.seer": "preset p = regnety { w0 = }\n" });
    assert.deepEqual(located(program), [{ code: "SEER1002", file: path("b.seer"), line: 1, column: 27 }]);
  });
});
