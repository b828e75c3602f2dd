// The OpenRPC 1.3 document of what a sidecar serves (`--describe openrpc`, `rpc.discover`), as the C# exporter writes
// it (src/Runtime/Schema/OpenRpcExporter.cs; the goldens in tests/Polyglot/openrpc, /work/spec/openrpc.md): JSON
// Schemas of the JSON-RPC encoding, streams, input and progress as x-sidecarkit extensions, and the fingerprints. The
// 64-bit bounds are BigInts, exact: write the document with openRpcText (JSON.stringify cannot write a BigInt).
//
// What the C# document has that a contract description may not: the declared errors ([SidecarError]), the timeout
// (x-sidecarkit-timeout-ms) and idempotence (x-sidecarkit-idempotent) of a method. `--describe json` carries none of
// them (they are not part of the fingerprint); a method of a description may add them as "errors": [{code, message}],
// "timeoutMs" (-1: none) and "idempotent": true, and they are written as the C# exporter writes them.
import { fingerprintOf } from "./contract.mjs";

const INTS = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535], int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295], int64: [-(2n ** 63n), 2n ** 63n - 1n], uint64: [0, 2n ** 64n - 1n],
};
const SIGNED = new Set(["int8", "int16", "int32", "int64", "int128"]);
const FLOATS = new Set(["float16", "float32", "float64"]);
const FLOAT = (format) => ({ format, anyOf: [{ type: "number" }, { type: "string", enum: ["NaN", "Infinity", "-Infinity"] }] });
const BIG = (format, pattern, range) => ({ format, anyOf: [{ type: "string", pattern }, { type: "integer", minimum: INTS[range][0], maximum: INTS[range][1] }] });
const SCALARS = {
  bool: () => ({ type: "boolean" }), string: () => ({ type: "string" }), decimal: () => ({ type: "number", format: "decimal" }),
  // One UTF-16 code unit (not an emoji, which is two).
  char: () => ({ type: "string", format: "char", minLength: 1, maxLength: 1, pattern: "^[\\u0000-\\uFFFF]$" }),
  bytes: () => ({ type: "string", format: "bytes", contentEncoding: "base64" }), guid: () => ({ type: "string", format: "uuid" }),
  datetime: () => ({ type: "string", format: "datetime" }), datetimeoffset: () => ({ type: "string", format: "date-time" }),
  timespan: () => ({ type: "string", format: "timespan" }), date: () => ({ type: "string", format: "date" }),
  time: () => ({ type: "string", format: "partial-time" }),
  // A string of digits; a JSON integer within int64's (uint64's) range is read too.
  int128: () => BIG("int128", "^-?[0-9]+$", "int64"), uint128: () => BIG("uint128", "^[0-9]+$", "uint64"),
};
const isScalar = (t) => Boolean(INTS[t] || FLOATS.has(t) || SCALARS[t]);
const ERRORS = {
  InvalidRequest: { code: -32600, message: "Invalid Request" }, MethodNotFound: { code: -32601, message: "Method not found" },
  InvalidParams: { code: -32602, message: "Invalid params" }, InternalError: { code: -32603, message: "Internal error" },
  ServerBusy: { code: -32003, message: "Server busy" }, ShuttingDown: { code: -32004, message: "Shutting down" },
  RequestCancelled: { code: -32800, message: "Request cancelled" },
};

/** A description type (`Person[]?`, `map<string,int32>`) as a tree: {nullable|list: element} | {map: [key, value]} | {name}. */
function parseType(type) {
  if (type.endsWith("?")) return { nullable: parseType(type.slice(0, -1)) };
  if (type.endsWith("[]")) return { list: parseType(type.slice(0, -2)) };
  const map = /^map<([^,]+),(.+)>$/.exec(type);
  if (map) return { map: [parseType(map[1]), parseType(map[2])] };
  return { name: type };
}

/** The named (non-scalar) types a type string refers to. */
function namedIn(type, out = []) {
  const walk = (t) => {
    if (t.nullable) walk(t.nullable);
    else if (t.list) walk(t.list);
    else if (t.map) { walk(t.map[0]); walk(t.map[1]); } else if (!isScalar(t.name)) out.push(t.name);
  };
  walk(parseType(type));
  return out;
}

const identity = (name) => name;
const schemaRef = (refs) => (name) => `#/components/schemas/${refs(name)}`;

/** The JSON Schema of a value of `type` as JSON-RPC writes it; `refs` gives a named type's key in components.schemas. */
export function schemaOf(type, refs = identity) {
  const write = (t) => {
    if (t.nullable) return { anyOf: [write(t.nullable), { type: "null" }] };
    if (t.list) return { type: "array", items: write(t.list) };
    if (t.map) return { type: "object", additionalProperties: write(t.map[1]), propertyNames: keyOf(t.map[0]) };
    const n = t.name;
    if (INTS[n]) return { type: "integer", format: n, minimum: INTS[n][0], maximum: INTS[n][1] };
    if (FLOATS.has(n)) return FLOAT(n);
    if (SCALARS[n]) return SCALARS[n]();
    return { $ref: schemaRef(refs)(n) };
  };
  // A map's keys: strings; an enum's are its member's name or the digits of a value without one; integers are digits.
  const keyOf = (k) => {
    if (k.name === undefined || !isScalar(k.name)) return { anyOf: [{ $ref: schemaRef(refs)(k.name) }, { type: "string", pattern: "^-?[0-9]+$" }] };
    if (k.name === "string") return { type: "string" };
    if (k.name === "guid") return { type: "string", format: "uuid" };
    return { type: "string", format: k.name, pattern: SIGNED.has(k.name) ? "^-?[0-9]+$" : "^[0-9]+$" };
  };
  return write(parseType(type));
}

function typeSchema(t, refs) {
  // The camelCase names; a value without a name (a flags combination) travels as its number (docs/protocol.md, section 6).
  if (t.kind === "enum") return { anyOf: [{ type: "string", enum: t.values ?? [] }, { type: "integer" }] };
  const object = (members) => ({
    type: "object",
    properties: Object.fromEntries(members.map((m) => [m.name, schemaOf(m.type, refs)])),
    required: members.filter((m) => m.required).map((m) => m.name),
  });
  if (!t.variants) return object(t.members);
  const cases = t.variants.map((v) => (v.name === ""
    ? { ...object(t.members), not: { required: ["$type"] } }
    : { allOf: [{ $ref: schemaRef(refs)(v.type) }, { type: "object", properties: { $type: { const: v.name } }, required: ["$type"] }] }));
  return {
    oneOf: cases,
    "x-sidecarkit-discriminator": "$type",
    "x-sidecarkit-variants": Object.fromEntries(t.variants.map((v) => [v.name, schemaRef(refs)(v.name === "" ? t.name : v.type)])),
  };
}

function methodOf(m, refs) {
  const content = (name, type) => ({ name, schema: schemaOf(type, refs) });
  const o = {
    name: m.name,
    paramStructure: "by-name",
    params: m.params.map((p) => ({ name: p.name, required: !(p.optional || p.type.endsWith("?")), schema: schemaOf(p.type, refs) })),
  };
  const streamed = m.kind === "stream" || m.kind === "duplexStream";
  if (m.kind !== "notification") {
    // The response that ends a stream carries how many items were sent (docs/protocol.md, section 12).
    o.result = streamed ? { name: "count", schema: { type: "integer", minimum: 0 } } : { name: "result", schema: m.result ? schemaOf(m.result, refs) : { type: "null" } };
    // The method's own errors first, then the protocol's; only a method that streams breaks a stream's rules (-32600).
    o.errors = [
      ...(m.errors ?? []).map((e) => ({ code: e.code, message: e.message })),
      ...Object.keys(ERRORS).filter((e) => e !== "InvalidRequest" || m.kind !== "request").map((e) => ({ $ref: `#/components/errors/${e}` })),
    ];
  }
  o["x-sidecarkit-kind"] = m.kind;
  if (streamed && m.items) o["x-sidecarkit-items"] = content("item", m.items);
  if (m.input) o["x-sidecarkit-input"] = content(m.input.name, m.input.type);
  if (m.progress) o["x-sidecarkit-progress"] = content("progress", m.progress);
  if (m.idempotent === true) o["x-sidecarkit-idempotent"] = true;
  if (Number.isInteger(m.timeoutMs)) o["x-sidecarkit-timeout-ms"] = m.timeoutMs < 0 ? -1 : m.timeoutMs;
  return o;
}

/**
 * The keys of the named types in components.schemas: a type's own name, unless an earlier contract of the document
 * already gave that name to a different type (its own shape or that of a type it reaches differs); then the
 * contract's name qualifies it (`shapes.Shape`). A type two contracts define alike is written once.
 */
function typeNames(contracts) {
  const keys = new Map(); // `${contract}\0${type}` -> key
  const taken = new Map(); // key -> the contract whose type has it
  const components = [];
  const render = (t) => openRpcText(typeSchema(t, identity), 0);
  const alike = (first, second, name) => {
    const seen = new Set();
    const pending = [name];
    while (pending.length) {
      const next = pending.shift();
      if (seen.has(next)) continue;
      seen.add(next);
      const a = first.types.get(next), b = second.types.get(next);
      if (!a || !b || render(a) !== render(b)) return false;
      for (const f of [...a.members, ...(a.variants ?? [])]) pending.push(...namedIn(f.type));
    }
    return true;
  };
  const done = new Set();
  for (const c of contracts) {
    if (done.has(c.name)) continue; // the same contract twice
    done.add(c.name);
    for (const [name, t] of c.types) {
      let key = name;
      if (taken.has(key) && !alike(taken.get(key), c, name)) key = `${c.name}.${name}`;
      keys.set(`${c.name}\0${name}`, key);
      if (!taken.has(key)) { taken.set(key, c); components.push([key, c, t]); }
    }
  }
  components.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { components, refsOf: (c) => (name) => keys.get(`${c.name}\0${name}`) ?? name };
}

/** The OpenRPC document of `contracts` (served) and `callbacks` (called on the parent), as contract models. */
export function openRpcDocument(contracts, callbacks = []) {
  if (!contracts.length) throw new TypeError("describe at least one contract");
  const names = contracts.map((c) => c.name);
  const { components, refsOf } = typeNames([...contracts, ...callbacks]);
  const quoted = names.map((n) => `'${n}'`).join(", ");
  const methods = (c) => [...c.methods.values()].map((m) => methodOf(m, refsOf(c)));
  return {
    openrpc: "1.3.2",
    info: {
      title: names.join(", "),
      description: `The contract${names.length > 1 ? "s" : ""} ${quoted} of a SidecarKit sidecar: JSON-RPC 2.0 on JSON lines (docs/protocol.md); the same methods on MessagePack-RPC and gRPC.`,
      version: contracts.map(fingerprintOf).join("+"),
      "x-sidecarkit-protocol": "1.0",
    },
    methods: contracts.flatMap(methods),
    components: {
      schemas: Object.fromEntries(components.map(([key, c, t]) => [key, typeSchema(t, refsOf(c))])),
      errors: structuredClone(ERRORS),
    },
    "x-sidecarkit-contracts": contracts.map((c) => ({ name: c.name, fingerprint: fingerprintOf(c) })),
    "x-sidecarkit-callbacks": callbacks.map((c) => ({ name: c.name, fingerprint: fingerprintOf(c), methods: methods(c) })),
  };
}

/** The document's text, indented as the C# exporter indents it, with its BigInts (the 64-bit bounds) written exactly. */
export function openRpcText(doc, indent = 2) {
  const mark = "\u0000bigint:";
  const text = JSON.stringify(doc, (_, v) => (typeof v === "bigint" ? `${mark}${v}` : v), indent);
  return text.replace(/"\\u0000bigint:(-?[0-9]+)"/g, "$1");
}
