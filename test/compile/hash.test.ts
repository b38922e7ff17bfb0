import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { canonicalHash, canonicalJson } from "../../src/compile/hash.js";

describe("canonical JSON and the IR hash", () => {
  it("sorts keys at every depth, drops undefined members, writes undefined array items as null", () => {
    const value = { b: [3, undefined, { y: "é\"", x: null }], a: { d: undefined, c: -0.5, e: 1e21 } };
    assert.equal(canonicalJson(value), '{"a":{"c":-0.5,"e":1e+21},"b":[3,null,{"x":null,"y":"é\\""}]}');
    assert.equal(canonicalJson({ a: value.a, b: value.b }), canonicalJson(value), "key order does not matter");
    assert.equal(canonicalJson(null), "null");
    assert.equal(canonicalJson("x"), '"x"');
  });

  it("refuses numbers JSON cannot carry", () => {
    assert.throws(() => canonicalJson({ a: [Number.NaN] }), /non-finite/);
    assert.throws(() => canonicalJson({ a: Number.POSITIVE_INFINITY }), /non-finite/);
  });

  it("hashes everything but `hash` and `sources`", () => {
    const ir = { name: "e", seed: 1, hash: "old", sources: ["a.seer"] };
    const expected = createHash("sha256").update('{"name":"e","seed":1}').digest("hex");
    assert.equal(canonicalHash(ir), expected);
    assert.equal(canonicalHash({ ...ir, sources: ["elsewhere/a.seer"], hash: "other" }), expected);
    assert.notEqual(canonicalHash({ ...ir, seed: 2 }), expected);
  });
});
