// The OpenRPC documents (--describe openrpc, rpc.discover) checked by third parties: @open-rpc/schema-utils-js
// validates them against the OpenRPC meta-schema, and Ajv checks that the values the C# demo sidecar really sends and
// accepts on JSON lines match the JSON Schemas the document gives them (and that wrong ones do not).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { validateOpenRPCDocument } from "@open-rpc/schema-utils-js";
import Ajv from "ajv";
import { UnixSidecar } from "./sidecar.mjs";

const opts = { timeout: 60_000 };
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const GOLDEN = path.join(ROOT, "tests/Polyglot/openrpc");
const DLL = process.env.DEMO_SIDECAR_DLL
  || path.join(ROOT, "samples/Demo/Sidecar/bin/Release/net10.0/SidecarKit.Samples.Demo.Sidecar.dll");
const read = (name) => JSON.parse(fs.readFileSync(path.join(GOLDEN, name), "utf8"));

/** The demo sidecar on JSON lines: call(method, params) answers the response object. */
class JsonLinesSidecar {
  constructor() {
    this.child = spawn("dotnet", [DLL, "--log-level", "warning"], { stdio: ["pipe", "pipe", "ignore"] });
    this.waiting = new Map();
    this.nextId = 1;
    readline.createInterface({ input: this.child.stdout }).on("line", (line) => {
      const message = JSON.parse(line);
      const resolve = this.waiting.get(message.id);
      if (resolve) { this.waiting.delete(message.id); resolve(message); }
    });
  }
  call(method, params) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
    });
  }
  stop() { this.child.stdin.end(); }
}

describe("openrpc: the documents against the OpenRPC meta-schema", opts, () => {
  for (const name of ["demo.openrpc.json", "types.openrpc.json"]) {
    test(`${name} is a valid OpenRPC document`, () => {
      const result = validateOpenRPCDocument(read(name));
      assert.equal(result, true, String(result?.message ?? result));
    });
  }

  test("the validator refuses a broken document (a method without params, an unknown member)", () => {
    const broken = read("demo.openrpc.json");
    delete broken.methods[0].params;
    assert.notEqual(validateOpenRPCDocument(broken), true);
    const unknown = read("demo.openrpc.json");
    unknown.methods[1].streaming = true;   // not an x- extension: OpenRPC's method object allows none
    assert.notEqual(validateOpenRPCDocument(unknown), true);
  });

  test("the document declares the callback contract and the fingerprints the sidecar announces", async () => {
    const doc = read("demo.openrpc.json");
    assert.equal(doc.info.version, "affde6564d41572f");
    assert.deepEqual(doc["x-sidecarkit-contracts"], [{ name: "demo", fingerprint: "affde6564d41572f" }]);
    const events = doc["x-sidecarkit-callbacks"][0];
    assert.equal(events.name, "demoEvents");
    assert.deepEqual(events.methods.map((m) => [m.name, m["x-sidecarkit-kind"]]),
      [["demoEvents.progress", "notification"], ["demoEvents.confirm", "request"]]);
    const kinds = Object.fromEntries(doc.methods.map((m) => [m.name, m["x-sidecarkit-kind"]]));
    assert.deepEqual([kinds["demo.count"], kinds["demo.sum"], kinds["demo.chat"], kinds["demo.log"]],
      ["stream", "clientStream", "duplexStream", "notification"]);
  });
});

describe("openrpc: rpc.discover on the running demo sidecar", opts, () => {
  test("on JSON lines it answers the golden document", async () => {
    const sidecar = new JsonLinesSidecar();
    try {
      const answer = await sidecar.call("rpc.discover");
      assert.deepEqual(answer.result, read("demo.openrpc.json"));
    } finally { sidecar.stop(); }
  });

  test("on MessagePack-RPC (a Unix socket) it answers the same document as a map", async () => {
    const sc = new UnixSidecar();
    try {
      await sc.waitReady();
      const c = await sc.connect();
      await c.next();   // lifecycle.ready
      const [type, id, error, result] = await c.call(1, "rpc.discover", []);
      assert.deepEqual([type, id, error], [1, 1, null]);
      // The decoder gives the 64-bit bounds as BigInts, exactly; JSON.parse rounds them to doubles.
      const numbers = (v) => typeof v === "bigint" ? Number(v) : Array.isArray(v) ? v.map(numbers)
        : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, numbers(x)])) : v;
      assert.deepEqual(numbers(result), read("demo.openrpc.json"));
      // …and exactly where doubles cannot say it: demo.download's size is an int64.
      const size = result.methods.find((m) => m.name === "demo.download").params[0].schema;
      assert.deepEqual([size.minimum, size.maximum], [-(2n ** 63n), 2n ** 63n - 1n]);
      c.close();
    } finally { sc.kill(); }
  });
});

describe("openrpc: the demo sidecar's values match the document's JSON Schemas", opts, () => {
  const doc = read("demo.openrpc.json");
  const ajv = new Ajv({ strict: false, allErrors: true });
  // The formats the document uses: the standard ones checked as RFC 3339 / RFC 4122 say, SidecarKit's own named only.
  ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat("date", /^\d{4}-\d{2}-\d{2}$/);
  ajv.addFormat("date-time", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  ajv.addFormat("partial-time", /^\d{2}:\d{2}:\d{2}(\.\d+)?$/);
  for (const own of ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64",
    "decimal", "char", "bytes", "datetime", "timespan", "int128", "uint128"]) ajv.addFormat(own, true);
  ajv.addSchema(doc, "demo");
  const method = (name) => doc.methods.find((m) => m.name === name);
  // A schema of the document, compiled where its $refs resolve (#/components/... inside the document).
  const compile = (schema) => ajv.compile({ $ref: "demo#/methods/" + doc.methods.indexOf(schema.method) + schema.at });
  const resultOf = (name) => compile({ method: method(name), at: "/result/schema" });
  const paramOf = (name, i) => compile({ method: method(name), at: `/params/${i}/schema` });
  const sample = {
    day: "2024-02-29", at: "13:45:30.5", big: "-170141183460469231731687303715884105728", unsigned: "340282366920938463463374607431768211455",
    ratio: 0.5, link: "https://example.com/a%20b", release: "1.2.3", tags: ["a"], scores: [1, 2], counts: { a: 1 },
    byId: { "-1": "minus one", "7": "seven" }, byGuid: { "0f8fad5b-d9cb-469f-a165-70867728950e": 3 }, note: "n",
  };
  const calls = [
    ["demo.add", { a: 2, b: 3 }],
    ["demo.echo", { person: { name: "Ada", age: 36, tags: ["math"], address: { street: "s", city: "c" }, born: "1815-12-10T00:00:00+00:00" } }],
    ["demo.echo", { person: { name: "Bob", age: 1, tags: [] } }],
    ["demo.divide", { dividend: 1, divisor: 4 }],
    ["demo.divide", { dividend: "NaN", divisor: 1 }],   // NaN: a string, which the schema allows
    ["demo.blob", { size: 5 }],
    ["demo.sleep", { milliseconds: 1 }],
    ["demo.area", { shape: { $type: "circle", name: "c", radius: 1 } }],
    ["demo.area", { shape: { $type: "rectangle", name: "r", width: 2, height: 3 } }],
    ["demo.sample", { sample }],
  ];
  let sidecar;
  before(() => { sidecar = new JsonLinesSidecar(); });
  after(() => sidecar?.stop());

  for (const [name, params] of calls) {
    test(`${name}(${JSON.stringify(params).slice(0, 60)}): params and result match`, async () => {
      method(name).params.forEach((p, i) => {
        const valid = paramOf(name, i);
        assert.ok(valid(params[p.name]), `param ${p.name}: ${ajv.errorsText(valid.errors)}`);
      });
      const answer = await sidecar.call(name, params);
      assert.equal(answer.error, undefined, JSON.stringify(answer.error));
      const valid = resultOf(name);
      assert.ok(valid(answer.result), `${JSON.stringify(answer.result)}: ${ajv.errorsText(valid.errors)}`);
    });
  }

  test("values the sidecar refuses are refused by the schemas too", async () => {
    const refused = [
      ["demo.add", 0, 2147483648],
      ["demo.add", 0, 1.5],
      ["demo.echo", 0, { age: 36, tags: [] }],                         // no name
      ["demo.area", 0, { name: "t", radius: 1 }],                        // no discriminator: Shape is abstract
      ["demo.area", 0, { $type: "triangle", name: "t" }],
      ["demo.sample", 0, { ...sample, byId: { x: "not an integer key" } }],
      ["demo.sample", 0, { ...sample, big: "1e3" }],
    ];
    for (const [name, i, value] of refused) {
      assert.equal(paramOf(name, i)(value), false, `${name}: the schema accepts ${JSON.stringify(value)}`);
      const p = method(name).params[i].name;
      const answer = await sidecar.call(name, { ...Object.fromEntries(method(name).params.map((q) => [q.name, 1])), [p]: value });
      assert.equal(answer.error?.code, -32602, `${name}: the sidecar accepts ${JSON.stringify(value)}`);
    }
  });
});

describe("openrpc: the every-type document's schemas against values of the wire (docs/protocol.md, section 6)", opts, () => {
  const doc = read("types.openrpc.json");
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const own of ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64",
    "decimal", "char", "bytes", "datetime", "timespan", "int128", "uint128", "uuid", "date", "date-time", "partial-time"]) ajv.addFormat(own, true);
  ajv.addSchema(doc, "types");
  const schema = (pointer) => ajv.compile({ $ref: "types#/components/schemas/" + pointer });
  const cases = [
    // [schema, accepted, refused]
    ["Access", ["read", "none", 3, 0], ["admin", "Read|Write", 1.5, null]],           // a flags combination travels as its number
    ["AllPrimitives/properties/char", ["a", "é", "\u4e2d"], ["", "ab", "\u{1F600}"]],  // one UTF-16 code unit
    ["NewScalars/properties/int128", ["-170141183460469231731687303715884105728", "0", 42], ["1e3", "+1", 1.5, " 1"]],
    ["NewScalars/properties/uInt128", ["340282366920938463463374607431768211455", 7], ["-1", -1]],
    ["KeyedMaps/properties/byInt", [{ "-1": "a", "300": "b" }], [{ x: "a" }, { "1.5": "b" }]],
  ];
  for (const [pointer, accepted, refused] of cases) {
    test(`${pointer}: accepts ${JSON.stringify(accepted)}, refuses ${JSON.stringify(refused)}`, () => {
      const valid = schema(pointer);
      for (const value of accepted) assert.ok(valid(value), `${JSON.stringify(value)}: ${ajv.errorsText(valid.errors)}`);
      for (const value of refused) assert.equal(valid(value), false, `${JSON.stringify(value)} is accepted`);
    });
  }
});

