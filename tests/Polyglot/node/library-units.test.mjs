// The sidecarkit library's pure parts: exact 64-bit integers in JSON, the writer's conventions, and the contract
// fingerprint (the C# generator's FNV-1a over the description) and announcement.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import { announceEntry, fingerprintOf, readContract } from "sidecarkit";
import { parseJson, stringifyJson } from "../../../clients/node/src/json.mjs";
import { JsonLinesCodec } from "../../../clients/node/src/codec.mjs";
import { openRpcDocument, openRpcText } from "../../../clients/node/src/openrpc.mjs";
import { readFileSync } from "node:fs";
import { DLL, each, opts } from "./demo-suite.mjs";

describe("sidecarkit: JSON with exact int64, and the contract model", opts, () => {
  test("integers beyond 2^53 are read as BigInt and written back exactly; others stay numbers", each, () => {
    const text = '{"a":9223372036854775807,"b":-9223372036854775808,"c":9007199254740991,"d":18446744073709551615,"e":1.5e300,"f":"12345678901234567890"}';
    const v = parseJson(text);
    assert.deepEqual(v, { a: 2n ** 63n - 1n, b: -(2n ** 63n), c: 9007199254740991, d: 2n ** 64n - 1n, e: 1.5e300, f: "12345678901234567890" });
    assert.equal(stringifyJson(v), text.replace("1.5e300", "1.5e+300"));
    assert.throws(() => parseJson('{"a":12345678901234567890,}'), SyntaxError);
    assert.deepEqual(parseJson('{"__proto__":{"x":1},"s":"a\\u00e9\\n","n":12345678901234567890}').__proto__, { x: 1 });
  });

  test("the writer: bytes as base64, NaN and infinities as strings, Map as an object, Set as an array, Date as ISO", each, () => {
    assert.equal(stringifyJson({ b: Buffer.from([0, 1, 2, 3]), u: new Uint8Array([255]), n: [NaN, Infinity, -Infinity, -0], m: new Map([[1, "x"]]), s: new Set([1, 2]), d: new Date(0), skip: undefined }),
      '{"b":"AAECAw==","u":"/w==","n":["NaN","Infinity","-Infinity",0],"m":{"1":"x"},"s":[1,2],"d":"1970-01-01T00:00:00.000Z"}');
  });

  test("JSON lines: envelopes that are not valid are refused as the protocol says", each, () => {
    const c = new JsonLinesCodec();
    assert.deepEqual(c.decodeLine("[1]").error, { code: -32600, message: "Invalid Request: batches are not supported; send one message per line." });
    assert.equal(c.decodeLine("{").error.code, -32700);
    assert.equal(c.decodeLine('{"jsonrpc":"1.0","id":3,"method":"x"}').id, 3);
    assert.equal(c.decodeLine('{"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"m"}}').kind, "drop");
    assert.deepEqual(c.decodeLine('{"jsonrpc":"2.0","id":7,"result":12345678901234567890}'), { kind: "response", id: 7, result: 12345678901234567890n, error: undefined });
  });

  test("the fingerprints of the C# demo sidecar's --describe json, recomputed; the announcement equals the C# one", each, () => {
    const described = JSON.parse(execFileSync("dotnet", [DLL, "--describe", "json"], { encoding: "utf8" }));
    for (const c of [...described.contracts, ...described.callbacks]) assert.equal(fingerprintOf(readContract(c)), c.fingerprint, c.contract);
    const announced = announceEntry(readContract(described.contracts[0]));
    assert.equal(announced.fingerprint, "affde6564d41572f");
    assert.deepEqual(announced.methods.find((m) => m.name === "demo.chat"),
      { name: "demo.chat", kind: "duplexStream", params: [{ name: "prefix", type: "string", number: 1 }], input: { name: "lines", type: "string", number: 2 }, result: "string" });
    const changed = structuredClone(described.contracts[0]);
    changed.methods[0].params[0].type = "int64";
    assert.notEqual(fingerprintOf(readContract(changed)), "affde6564d41572f");
  });

  test("OpenRPC as the C# exporter writes it: a name two contracts give different types is qualified (shapes.Shape), alike types once, enums, enum keys, timeouts", each, () => {
    const demo = JSON.parse(readFileSync(new URL("../../../samples/Polyglot/node/demo-contract.json", import.meta.url), "utf8")).contracts[0];
    const demoTypes = demo.types;
    const shapes = {
      contract: "shapes",
      methods: [
        { name: "shapes.area", kind: "request", params: [{ name: "shape", type: "Shape" }], result: "float64", timeoutMs: 2500, idempotent: true },
        { name: "shapes.hold", kind: "request", params: [{ name: "person", type: "Person" }, { name: "paints", type: "map<Color,int32>" }], timeoutMs: -1 },
      ],
      types: {
        // The same Circle; another Shape (no rectangle); a Person alike in itself but whose Address differs.
        Address: { kind: "object", members: [{ name: "street", type: "string", required: true }] },
        Circle: demoTypes.Circle,
        Color: { kind: "enum", values: ["red", "green"] },
        Person: demoTypes.Person,
        Shape: { kind: "object", members: [], variants: [{ name: "circle", type: "Circle", tag: 1 }] },
      },
    };
    const doc = openRpcDocument([readContract(demo), readContract(shapes)]);
    const schemas = doc.components.schemas;
    assert.deepEqual(Object.keys(schemas), ["Address", "Circle", "Color", "Person", "Rectangle", "Sample", "Shape", "shapes.Address", "shapes.Person", "shapes.Shape"]);
    const method = (name) => doc.methods.find((m) => m.name === name);
    assert.equal(method("demo.area").params[0].schema.$ref, "#/components/schemas/Shape");
    assert.equal(method("shapes.area").params[0].schema.$ref, "#/components/schemas/shapes.Shape");
    assert.deepEqual(Object.keys(schemas.Shape["x-sidecarkit-variants"]), ["circle", "rectangle"]);
    assert.deepEqual(schemas["shapes.Shape"]["x-sidecarkit-variants"], { circle: "#/components/schemas/Circle" });
    assert.equal(method("shapes.hold").params[0].schema.$ref, "#/components/schemas/shapes.Person");
    assert.deepEqual(schemas["shapes.Person"].properties.address, { anyOf: [{ $ref: "#/components/schemas/shapes.Address" }, { type: "null" }] });
    assert.deepEqual(schemas.Color, { anyOf: [{ type: "string", enum: ["red", "green"] }, { type: "integer" }] });
    assert.deepEqual(method("shapes.hold").params[1].schema.propertyNames, { anyOf: [{ $ref: "#/components/schemas/Color" }, { type: "string", pattern: "^-?[0-9]+$" }] });
    assert.equal(method("shapes.area")["x-sidecarkit-timeout-ms"], 2500);
    assert.equal(method("shapes.area")["x-sidecarkit-idempotent"], true);
    assert.equal(method("shapes.hold")["x-sidecarkit-timeout-ms"], -1);
    assert.equal(method("demo.add")["x-sidecarkit-timeout-ms"], undefined);
    assert.equal(doc.info.version, `affde6564d41572f+${fingerprintOf(readContract(shapes))}`);
    // The same contract once more: nothing qualified twice.
    assert.deepEqual(Object.keys(openRpcDocument([readContract(demo)], [readContract(demo)]).components.schemas), ["Address", "Circle", "Person", "Rectangle", "Sample", "Shape"]);
    assert.match(openRpcText({ a: 2n ** 64n - 1n, b: [-(2n ** 63n)] }), /^\{\n  "a": 18446744073709551615,\n  "b": \[\n    -9223372036854775808\n  \]\n\}$/);
  });

  // The golden of every type (five contracts, tests/Polyglot/openrpc/types.openrpc.json) has no --describe json to
  // start from: its contracts are read back from its own schemas, and the Node exporter must write every schema, every
  // method and the document's frame as the C# exporter did (the fingerprints, which hash what OpenRPC does not carry,
  // such as field numbers and variant tags, are the golden's).
  test("OpenRPC: every schema and method of the C# golden of every type, written again from the contracts read back from it", each, () => {
    const golden = parseJson(readFileSync(new URL("../openrpc/types.openrpc.json", import.meta.url), "utf8"));
    const STRINGS = { undefined: "string", char: "char", bytes: "bytes", uuid: "guid", datetime: "datetime", "date-time": "datetimeoffset", timespan: "timespan", date: "date", "partial-time": "time" };
    const refName = (ref) => ref.slice(ref.lastIndexOf("/") + 1);
    const typeOf = (sc) => {
      if (sc.$ref) return refName(sc.$ref);
      if (sc.anyOf?.length === 2 && sc.anyOf[1].type === "null") return `${typeOf(sc.anyOf[0])}?`;
      if (sc.anyOf) return sc.format; // floats, int128, uint128
      if (sc.type === "integer" || (sc.type === "number" && sc.format)) return sc.format;
      if (sc.type === "boolean") return "bool";
      if (sc.type === "string") return STRINGS[sc.format];
      if (sc.type === "array") return `${typeOf(sc.items)}[]`;
      if (sc.type === "object" && sc.additionalProperties) {
        const k = sc.propertyNames;
        const key = k.anyOf ? refName(k.anyOf[0].$ref) : k.format === "uuid" ? "guid" : k.format ?? "string";
        return `map<${key},${typeOf(sc.additionalProperties)}>`;
      }
      throw new Error(`no type for ${JSON.stringify(sc)}`);
    };
    const members = (o) => Object.entries(o.properties).map(([name, sc]) => ({ name, type: typeOf(sc), required: o.required.includes(name) }));
    const types = {};
    for (const [name, sc] of Object.entries(golden.components.schemas)) {
      if (sc.anyOf) types[name] = { kind: "enum", values: sc.anyOf[0].enum };
      else if (sc.oneOf) {
        const base = sc.oneOf.find((c) => !c.allOf);
        types[name] = { kind: "object", members: base ? members(base) : [], variants: Object.entries(sc["x-sidecarkit-variants"]).map(([tag, ref], i) => ({ name: tag, type: refName(ref), tag: i + 1 })) };
      } else types[name] = { kind: "object", members: members(sc) };
    }
    const method = (m) => ({
      name: m.name, kind: m["x-sidecarkit-kind"],
      params: m.params.map((p) => ({ name: p.name, type: typeOf(p.schema), ...(p.required || p.schema.anyOf?.[1]?.type === "null" ? {} : { optional: true }) })),
      ...(m["x-sidecarkit-input"] ? { input: { name: m["x-sidecarkit-input"].name, type: typeOf(m["x-sidecarkit-input"].schema) } } : {}),
      ...(m["x-sidecarkit-progress"] ? { progress: typeOf(m["x-sidecarkit-progress"].schema) } : {}),
      ...(m["x-sidecarkit-items"] ? { items: typeOf(m["x-sidecarkit-items"].schema) } : m.result && m.result.schema.type !== "null" ? { result: typeOf(m.result.schema) } : {}),
      errors: (m.errors ?? []).filter((e) => !e.$ref),
      ...(m["x-sidecarkit-timeout-ms"] !== undefined ? { timeoutMs: Number(m["x-sidecarkit-timeout-ms"]) } : {}),
      ...(m["x-sidecarkit-idempotent"] ? { idempotent: true } : {}),
    });
    const contract = (name, ms) => readContract({ contract: name, methods: ms.map(method), types });
    const contracts = golden["x-sidecarkit-contracts"].map((c) => contract(c.name, golden.methods.filter((m) => m.name.startsWith(`${c.name}.`))));
    const callbacks = golden["x-sidecarkit-callbacks"].map((c) => contract(c.name, c.methods));
    const mine = parseJson(openRpcText(openRpcDocument(contracts, callbacks)));
    mine.info.version = golden.info.version;
    mine["x-sidecarkit-contracts"] = golden["x-sidecarkit-contracts"];
    mine["x-sidecarkit-callbacks"].forEach((c, i) => { c.fingerprint = golden["x-sidecarkit-callbacks"][i].fingerprint; });
    assert.equal(golden.methods.length, mine.methods.length);
    for (const [name, sc] of Object.entries(golden.components.schemas)) assert.deepEqual(mine.components.schemas[name], sc, name);
    golden.methods.forEach((m, i) => assert.deepEqual(mine.methods[i], m, m.name));
    assert.deepEqual(mine, golden);
  });
});
