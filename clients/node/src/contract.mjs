// Contract descriptions: what a sidecar serves, in the form `--describe json` prints (docs/protocol.md section 16),
// or as a ready payload announces it (section 14.2). Both are read into one model:
//   {name, fingerprint, methods: Map<wire name, {name, kind, params: [{name, type, optional}], input, result, items,
//    progress}>, types: Map<name, {name, kind, members: [{name, type, required}], variants, values}>}
// From the model come the announcement, the fingerprint, the names of positional parameters, and the reading of
// values by their declared types (bytes, floats' NaN strings, checks of a sidecar's params).
import { RemoteError } from "./errors.mjs";

const STREAM_KINDS = new Set(["stream", "duplexStream"]);
const INPUT_KINDS = new Set(["clientStream", "duplexStream"]);
export const KINDS = new Set(["request", "notification", "stream", "clientStream", "duplexStream"]);
export const streamsResult = (kind) => STREAM_KINDS.has(kind);
export const streamsInput = (kind) => INPUT_KINDS.has(kind);

/** Reads a contract in the `--describe json` form ({contract, methods, types: {...}}) or the announced form. */
export function readContract(d) {
  if (!d || typeof d !== "object") throw new TypeError("a contract description must be an object");
  const name = d.contract ?? d.name;
  if (typeof name !== "string") throw new TypeError("a contract description needs its name ('contract')");
  const announced = !("contract" in d);
  const methods = new Map();
  for (const raw of d.methods ?? []) {
    const m = typeof raw === "string" ? { name: raw } : raw;
    if (typeof m.name !== "string") throw new TypeError(`contract '${name}': a method without a name`);
    if (!("kind" in m)) { methods.set(m.name, { name: m.name, shapeless: true }); continue; }
    if (!KINDS.has(m.kind)) throw new TypeError(`contract '${name}': method '${m.name}' has the unknown kind '${m.kind}'`);
    const field = (f) => ({ name: f.name, type: f.type, optional: Boolean(f.optional) });
    const streamed = STREAM_KINDS.has(m.kind);
    methods.set(m.name, {
      name: m.name,
      kind: m.kind,
      params: (m.params ?? []).map((p, i) => ({ ...field(p), field: p.field ?? (announced ? p.number : undefined) ?? undefined, position: i })),
      input: m.input ? { name: m.input.name, type: m.input.type, field: m.input.field } : null,
      result: streamed ? null : (m.result ?? null),
      items: streamed ? (m.items ?? m.result ?? null) : null,
      progress: m.progress ?? null,
      // Application errors ([SidecarError] in C#): in OpenRPC, not in the fingerprinted description.
      errors: Array.isArray(m.errors) ? m.errors.map((e) => ({ code: e.code, message: e.message })) : [],
      // The method's own timeout (-1: none) and idempotence, likewise: OpenRPC shows them when a description has them.
      ...(Number.isInteger(m.timeoutMs) ? { timeoutMs: m.timeoutMs } : {}),
      ...(m.idempotent === true ? { idempotent: true } : {}),
    });
  }
  const types = new Map();
  const rawTypes = Array.isArray(d.types) ? d.types.map((t) => [t.name, t]) : Object.entries(d.types ?? {});
  for (const [typeName, t] of rawTypes) {
    types.set(typeName, {
      name: typeName,
      kind: t.kind,
      members: (t.members ?? []).map((f) => ({ name: f.name, type: f.type, required: announced ? !f.optional : Boolean(f.required) })),
      variants: t.variants ? t.variants.map((v) => ({ name: v.name, type: v.type, tag: v.tag ?? v.number })) : null,
      values: t.values ?? null,
    });
  }
  return { name, fingerprint: d.fingerprint ?? null, methods, types, source: d };
}

/** The contract's text as the C# generator writes it, without the fingerprint: what the fingerprint hashes. */
export function canonicalDescription(c) {
  const methods = [...c.methods.values()].map((m) => {
    const o = { name: m.name, kind: m.kind, params: m.params.map((p) => ({ name: p.name, type: p.type, ...(p.optional ? { optional: true } : {}), ...(p.field !== undefined && p.field !== p.position + 1 ? { field: p.field } : {}) })) };
    if (m.input) o.input = { name: m.input.name, type: m.input.type, ...(m.input.field !== undefined ? { field: m.input.field } : {}) };
    if (m.progress) o.progress = m.progress;
    if (m.result) o.result = m.result;
    if (m.items) o.items = m.items;
    return o;
  });
  const types = {};
  for (const name of [...c.types.keys()].sort(ordinal)) {
    const t = c.types.get(name);
    types[name] = t.kind === "enum" ? { kind: "enum", values: t.values } : {
      kind: t.kind,
      members: t.members.map((f) => ({ name: f.name, type: f.type, ...(f.required ? { required: true } : {}) })),
      ...(t.variants ? { variants: t.variants.map((v) => ({ name: v.name, type: v.type, tag: v.tag })) } : {}),
    };
  }
  return JSON.stringify({ contract: c.name, methods, types });
}

const ordinal = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** 64-bit FNV-1a of the UTF-8 text, as 16 lower-case hex digits (docs/protocol.md section 16). */
export function fnv1a64(text) {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(text, "utf8")) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, "0");
}

export const fingerprintOf = (c) => fnv1a64(canonicalDescription(c));

/** The `--describe json` entry of a contract, the fingerprint second. */
export function describeEntry(c) {
  const { contract, ...rest } = JSON.parse(canonicalDescription(c));
  return { contract, fingerprint: fingerprintOf(c), ...rest };
}

/** The contract as the ready payload announces it (section 14.2): fields with numbers, stream items under result. */
export function announceEntry(c, { fingerprint = true } = {}) {
  const field = (f, i) => ({ name: f.name, type: f.type, number: f.field ?? i + 1, ...(f.optional ? { optional: true } : {}) });
  return {
    name: c.name,
    ...(fingerprint ? { fingerprint: fingerprintOf(c) } : {}),
    methods: [...c.methods.values()].map((m) => ({
      name: m.name,
      kind: m.kind,
      params: m.params.map(field),
      ...(m.input ? { input: { name: m.input.name, type: m.input.type, number: m.input.field ?? m.params.length + 1 } } : {}),
      ...(m.progress ? { progress: m.progress } : {}),
      ...((m.result ?? m.items) ? { result: m.result ?? m.items } : {}),
    })),
    types: [...c.types.keys()].sort(ordinal).map((name) => {
      const t = c.types.get(name);
      if (t.kind === "enum") return { name, kind: "enum", values: t.values };
      return {
        name, kind: t.kind,
        members: t.members.map((f, i) => ({ name: f.name, type: f.type, number: i + 1, ...(f.required ? {} : { optional: true }) })),
        ...(t.variants ? { variants: t.variants.map((v) => ({ name: v.name, type: v.type, number: v.tag })) } : {}),
      };
    }),
  };
}

// ------------------------------------------------------------------------------------------------ values by type

const INT_RANGES = {
  int8: [-128n, 127n, "SByte"], uint8: [0n, 255n, "Byte"], int16: [-32768n, 32767n, "Int16"], uint16: [0n, 65535n, "UInt16"],
  int32: [-2147483648n, 2147483647n, "Int32"], uint32: [0n, 4294967295n, "UInt32"],
  int64: [-(2n ** 63n), 2n ** 63n - 1n, "Int64"], uint64: [0n, 2n ** 64n - 1n, "UInt64"],
};
const FLOATS = new Set(["float16", "float32", "float64"]);
const STRINGS = new Set(["string", "char", "guid", "datetime", "datetimeoffset", "timespan", "date", "time"]);
const SPECIAL_FLOATS = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

class ValueError extends Error {}
const describeValue = (v) => (v === null ? "null" : Array.isArray(v) ? "an array" : v instanceof Uint8Array ? "bytes" : `a ${typeof v}`);

/**
 * Reads `v` as a value of `type`: bytes become Buffers (from base64 in JSON), "NaN"/"Infinity" strings of floats
 * become numbers, objects get their members read by type. With `strict` (a sidecar reading its params) it also checks
 * what the parent sent, throwing a ValueError that names where.
 */
export function readValue(v, type, types, strict, where = "value") {
  if (typeof type !== "string") return v;
  if (type.endsWith("?")) return v === null || v === undefined ? null : readValue(v, type.slice(0, -1), types, strict, where);
  const fail = (what) => { throw new ValueError(`${where}: ${what}`); };
  if (v === null || v === undefined) {
    if (strict) fail("must not be null");
    return v ?? null;
  }
  if (type.endsWith("[]")) {
    if (!Array.isArray(v)) { if (strict) fail(`expected an array, found ${describeValue(v)}`); return v; }
    const itemType = type.slice(0, -2);
    return v.map((x, i) => readValue(x, itemType, types, strict, `${where}[${i}]`));
  }
  const map = /^map<([^,]+),(.+)>$/.exec(type);
  if (map) {
    if (v instanceof Map) v = Object.fromEntries(v);
    if (typeof v !== "object" || Array.isArray(v)) { if (strict) fail(`expected an object, found ${describeValue(v)}`); return v; }
    const o = {};
    for (const [k, x] of Object.entries(v)) {
      if (strict && INT_RANGES[map[1]] && !/^-?\d+$/.test(k)) fail(`the key '${k}' is not an integer`);
      o[k] = readValue(x, map[2], types, strict, `${where}.${k}`);
    }
    return o;
  }
  if (type === "bytes") {
    if (typeof v === "string") return Buffer.from(v, "base64");
    if (v instanceof Uint8Array) return Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    if (strict) fail(`expected bytes (base64), found ${describeValue(v)}`);
    return v;
  }
  if (FLOATS.has(type)) {
    if (typeof v === "string" && v in SPECIAL_FLOATS) return SPECIAL_FLOATS[v];
    if (typeof v === "bigint") return Number(v);
    if (strict && typeof v !== "number") fail(`expected a number (${type}), found ${describeValue(v)}`);
    return v;
  }
  if (INT_RANGES[type]) {
    if (!strict) return v;
    if (!(typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v)))) fail(`expected an integer (${type}), found ${describeValue(v)}`);
    const [lo, hi, name] = INT_RANGES[type];
    const b = BigInt(v);
    if (b < lo || b > hi) fail(`the value ${v} is out of range for ${name}`);
    return v;
  }
  if (type === "bool") {
    if (strict && typeof v !== "boolean") fail(`expected a boolean, found ${describeValue(v)}`);
    return v;
  }
  if (type === "decimal") return v;
  if (type === "int128" || type === "uint128") {
    if (typeof v === "number" || typeof v === "bigint") return String(v);
    if (strict && (typeof v !== "string" || !/^-?\d+$/.test(v))) fail(`'${v}' is not an integer within ${type === "int128" ? "Int128" : "UInt128"}'s range`);
    return v;
  }
  if (STRINGS.has(type)) {
    if (strict && typeof v !== "string" && !(v instanceof Date && type.startsWith("datetime"))) fail(`expected a string (${type}), found ${describeValue(v)}`);
    return v;
  }
  const t = types?.get(type);
  if (!t) return v; // a type this side does not know: passed through as it came
  if (t.kind === "enum") {
    if (strict && !(typeof v === "string" ? t.values.includes(v) : Number.isInteger(v))) fail(`'${v}' is not a member of ${type}`);
    return v;
  }
  if (typeof v !== "object" || v instanceof Uint8Array) { if (strict) fail(`expected an object (${type}), found ${describeValue(v)}`); return v; }
  if (t.variants && !Array.isArray(v)) {
    const tag = v.$type;
    if (tag === undefined) {
      const self = t.variants.find((x) => x.name === "");
      if (self) return readObject(v, t, types, strict, where);
      if (strict) fail(`the value has no type discriminator ("$type"), and ${type} cannot be read as itself`);
      return v;
    }
    const variant = t.variants.find((x) => x.name === tag);
    if (!variant) { if (strict) fail(`the type discriminator '${tag}' names no type derived from ${type} that this side declares`); return v; }
    const inner = types.get(variant.type);
    return { $type: tag, ...(inner ? readObject(v, inner, types, strict, where) : v) };
  }
  return readObject(v, t, types, strict, where);
}

function readObject(v, t, types, strict, where) {
  if (Array.isArray(v)) v = Object.fromEntries(t.members.slice(0, v.length).map((m, i) => [m.name, v[i]])); // positional form
  if (!strict) {
    const o = { ...v };
    for (const m of t.members) if (m.name in o) o[m.name] = readValue(o[m.name], m.type, types, false, `${where}.${m.name}`);
    return o;
  }
  const o = {};
  for (const m of t.members) {
    if (!(m.name in v) || v[m.name] === undefined) {
      if (m.required) throw new ValueError(`${where}: required member '${m.name}' is missing`);
      o[m.name] = null;
      continue;
    }
    o[m.name] = readValue(v[m.name], m.type, types, true, `${where}.${m.name}`);
  }
  return o;
}

/** A sidecar's reading of a request's params into the implementation's arguments, in declaration order. */
export function readParams(method, params, types) {
  const invalid = (detail) => new RemoteError(-32602, `Invalid params for '${method.name}': ${detail}.`);
  const byName = Array.isArray(params) ? null : params ?? {};
  if (Array.isArray(params) && params.length > method.params.length) throw invalid(`expected at most ${method.params.length} parameters, found ${params.length}`);
  return method.params.map((p, i) => {
    const present = byName ? p.name in byName : i < params.length;
    const v = byName ? byName[p.name] : params[i];
    if (!present || v === undefined) {
      if (p.optional || p.type.endsWith("?")) return undefined;
      throw invalid(`required parameter '${p.name}' is missing`);
    }
    try {
      return readValue(v, p.type, types, true, p.name);
    } catch (e) {
      if (e instanceof ValueError) throw invalid(e.message);
      throw e;
    }
  });
}

/** Reads one item of a streamed parameter; a ValueError becomes the -32600 the protocol names (section 12a). */
export function readItem(method, v, types) {
  try {
    if (v === null && !method.input.type.endsWith("?") && (INT_RANGES[method.input.type] || FLOATS.has(method.input.type) || method.input.type === "bool"))
      throw new ValueError(`the item is null, and ${method.input.type} cannot be null`);
    return readValue(v, method.input.type, types, true, "item");
  } catch (e) {
    if (e instanceof ValueError) throw new RemoteError(-32600, `An item of the input stream of '${method.name}' could not be read: ${e.message}.`);
    throw e;
  }
}

/** Merges several contracts' types (a method may name a type of its own contract only, but names are unique enough). */
export function typesOf(contracts) {
  const types = new Map();
  for (const c of contracts) for (const [k, t] of c.types) if (!types.has(k)) types.set(k, t);
  return types;
}
