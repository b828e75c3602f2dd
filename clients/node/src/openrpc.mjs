// The OpenRPC 1.3 document of what a sidecar serves (`--describe openrpc`), as the C# side writes it (the goldens in
// tests/Polyglot/openrpc, /work/spec/openrpc.md): JSON Schemas of the JSON-RPC encoding, streams, input and progress as
// x-sidecarkit extensions, and the fingerprints.
import { fingerprintOf } from "./contract.mjs";

const INTS = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535], int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295], int64: [Number(-(2n ** 63n)), Number(2n ** 63n - 1n)], uint64: [0, Number(2n ** 64n - 1n)],
};
const FLOAT = (format) => ({ format, anyOf: [{ type: "number" }, { type: "string", enum: ["NaN", "Infinity", "-Infinity"] }] });
const SCALARS = {
  bool: { type: "boolean" }, decimal: { type: "number", format: "decimal" },
  char: { type: "string", format: "char", minLength: 1, maxLength: 1 }, string: { type: "string" },
  bytes: { type: "string", format: "bytes", contentEncoding: "base64" }, guid: { type: "string", format: "uuid" },
  datetime: { type: "string", format: "datetime" }, datetimeoffset: { type: "string", format: "date-time" },
  timespan: { type: "string", format: "timespan" }, date: { type: "string", format: "date" }, time: { type: "string", format: "partial-time" },
  int128: { type: "string", format: "int128", pattern: "^-?[0-9]+$" }, uint128: { type: "string", format: "uint128", pattern: "^[0-9]+$" },
};
const ERRORS = {
  InvalidRequest: { code: -32600, message: "Invalid Request" }, MethodNotFound: { code: -32601, message: "Method not found" },
  InvalidParams: { code: -32602, message: "Invalid params" }, InternalError: { code: -32603, message: "Internal error" },
  ServerBusy: { code: -32003, message: "Server busy" }, ShuttingDown: { code: -32004, message: "Shutting down" },
  RequestCancelled: { code: -32800, message: "Request cancelled" },
};
const ref = (name) => ({ $ref: `#/components/schemas/${name}` });

export function schemaOf(type) {
  if (type.endsWith("?")) return { anyOf: [schemaOf(type.slice(0, -1)), { type: "null" }] };
  if (type.endsWith("[]")) return { type: "array", items: schemaOf(type.slice(0, -2)) };
  const map = /^map<([^,]+),(.+)>$/.exec(type);
  if (map) {
    const k = map[1];
    const keys = k === "string" ? { type: "string" } : INTS[k] ? { type: "string", format: k, pattern: k.startsWith("u") ? "^[0-9]+$" : "^-?[0-9]+$" } : k === "guid" ? { type: "string", format: "uuid" } : ref(k);
    return { type: "object", additionalProperties: schemaOf(map[2]), propertyNames: keys };
  }
  if (INTS[type]) return { type: "integer", format: type, minimum: INTS[type][0], maximum: INTS[type][1] };
  if (type === "float16" || type === "float32" || type === "float64") return FLOAT(type);
  return SCALARS[type] ? { ...SCALARS[type] } : ref(type);
}

function typeSchema(t, types) {
  if (t.kind === "enum") return { type: "string", enum: t.values };
  const object = (members) => ({ type: "object", properties: Object.fromEntries(members.map((m) => [m.name, schemaOf(m.type)])), required: members.filter((m) => m.required).map((m) => m.name) });
  if (!t.variants) return object(t.members);
  const cases = t.variants.map((v) => (v.name === ""
    ? { ...object(types.get(v.type)?.members ?? t.members), not: { required: ["$type"] } }
    : { allOf: [ref(v.type), { type: "object", properties: { $type: { const: v.name } }, required: ["$type"] }] }));
  return { oneOf: cases, "x-sidecarkit-discriminator": "$type", "x-sidecarkit-variants": Object.fromEntries(t.variants.map((v) => [v.name, `#/components/schemas/${v.type}`])) };
}

function methodOf(m) {
  const o = { name: m.name, paramStructure: "by-name", params: m.params.map((p) => ({ name: p.name, required: !(p.optional || p.type.endsWith("?")), schema: schemaOf(p.type) })) };
  if (m.kind === "notification") return { ...o, "x-sidecarkit-kind": m.kind };
  const streamed = m.kind === "stream" || m.kind === "duplexStream";
  o.result = streamed ? { name: "count", schema: { type: "integer", minimum: 0 } } : { name: "result", schema: m.result ? schemaOf(m.result) : { type: "null" } };
  const refs = [...(streamed || m.input ? ["InvalidRequest"] : []), "MethodNotFound", "InvalidParams", "InternalError", "ServerBusy", "ShuttingDown", "RequestCancelled"];
  o.errors = [...(m.errors ?? []), ...refs.map((e) => ({ $ref: `#/components/errors/${e}` }))];
  o["x-sidecarkit-kind"] = m.kind;
  if (streamed) o["x-sidecarkit-items"] = { name: "item", schema: schemaOf(m.items) };
  if (m.input) o["x-sidecarkit-input"] = { name: m.input.name, schema: schemaOf(m.input.type) };
  if (m.progress) o["x-sidecarkit-progress"] = { name: "progress", schema: schemaOf(m.progress) };
  return o;
}

/** The OpenRPC document of `contracts` (served) and `callbacks` (called on the parent), as contract models. */
export function openRpcDocument(contracts, callbacks = []) {
  const names = contracts.map((c) => c.name);
  const types = new Map();
  for (const c of [...contracts, ...callbacks]) for (const [k, t] of c.types) if (!types.has(k)) types.set(k, t);
  const quoted = names.map((n) => `'${n}'`).join(", ");
  return {
    openrpc: "1.3.2",
    info: {
      title: names.join(", "),
      description: `The contract${names.length > 1 ? "s" : ""} ${quoted} of a SidecarKit sidecar: JSON-RPC 2.0 on JSON lines (docs/protocol.md); the same methods on MessagePack-RPC and gRPC.`,
      version: contracts.map(fingerprintOf).join("+"),
      "x-sidecarkit-protocol": "1.0",
    },
    methods: contracts.flatMap((c) => [...c.methods.values()].map(methodOf)),
    components: {
      schemas: Object.fromEntries([...types.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => [k, typeSchema(types.get(k), types)])),
      errors: ERRORS,
    },
    "x-sidecarkit-contracts": contracts.map((c) => ({ name: c.name, fingerprint: fingerprintOf(c) })),
    "x-sidecarkit-callbacks": callbacks.map((c) => ({ name: c.name, fingerprint: fingerprintOf(c), methods: [...c.methods.values()].map(methodOf) })),
  };
}
