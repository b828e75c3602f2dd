#!/usr/bin/env node
// sidecarkit-stubgen: TypeScript stubs from the OpenRPC document a SidecarKit sidecar describes itself with
// (`<sidecar> --describe openrpc`, /work/spec/openrpc.md): an interface per DTO, a string-literal union per enum, a
// discriminated union per polymorphic type, a typed client class per contract (one method per contract method), an
// interface per callback contract (what the Node parent implements), an interface per contract for a Node sidecar's
// implementation, and the contracts' fingerprints, which the client classes check against what the sidecar announces.
//
//   sidecarkit-stubgen <openrpc.json> [-o out.ts]
//   sidecarkit-stubgen [-o out.ts] --from-sidecar <command> [args...]     (runs `<command> [args...] --describe openrpc`)
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const RESERVED = new Set(("break case catch class const continue debugger default delete do else enum export extends false finally for function if "
  + "import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface "
  + "package private protected public await arguments eval").split(" "));
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const pascal = (s) => s.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c) => c.toUpperCase());
const safeName = (s) => { const n = s.replace(/[^A-Za-z0-9_$]/g, "_").replace(/^(\d)/, "_$1"); return RESERVED.has(n) ? `${n}_` : n; };
const prop = (s) => (IDENT.test(s) ? s : JSON.stringify(s));
const refName = (ref) => typeName(ref.slice(ref.lastIndexOf("/") + 1));
const typeName = (s) => { const n = s.replace(/[^A-Za-z0-9_$]/g, "_"); return /^\d/.test(n) ? `_${n}` : n; };
const comment = (text, indent = "") => (text ? `${indent}/** ${String(text).replace(/\*\//g, "*\\/").replace(/\n/g, `\n${indent} * `)} */\n` : "");

/** The TypeScript type of a JSON Schema of the JSON-RPC encoding; `dir` "in" for what we send, "out" for what we get. */
export function tsType(s, dir = "out") {
  if (!s || typeof s !== "object" || Object.keys(s).length === 0) return "unknown";
  if (s.$ref) return refName(s.$ref);
  if ("const" in s) return JSON.stringify(s.const);
  if (s.anyOf || s.oneOf) {
    const cases = s.anyOf ?? s.oneOf;
    // A float: a number, or NaN and the infinities, which JSON carries as strings; the library reads them as numbers.
    if (cases.some((c) => c.type === "number") && cases.every((c) => c.type === "number" || (c.type === "string" && Array.isArray(c.enum)))) return "number";
    const parts = [...new Set(cases.map((c) => tsType(c, dir)))];
    return parts.map((p) => (p.includes("=>") ? `(${p})` : p)).join(" | ");
  }
  if (s.allOf) return s.allOf.map((c) => tsType(c, dir)).join(" & ");
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (Array.isArray(s.type)) return s.type.map((t) => tsType({ ...s, type: t }, dir)).join(" | ");
  switch (s.type) {
    case "null": return "null";
    case "boolean": return "boolean";
    case "integer":
      // int64/uint64 beyond 2^53 arrive as BigInt (and may be sent as one); smaller ones are numbers.
      return s.format === "int64" || s.format === "uint64" ? "number | bigint" : "number";
    case "number": return "number";
    case "string":
      if (s.format === "bytes") return "Uint8Array";
      // JSON carries dates as ISO 8601 strings; MessagePack as timestamps, which arrive (and may be sent) as Date.
      if (s.format === "date-time" || s.format === "datetime") return "string | Date";
      if (s.format === "int128" || s.format === "uint128") return dir === "in" ? "string | bigint" : "string";
      return "string";
    case "array": return `Array<${tsType(s.items, dir)}>`;
    case "object": {
      if (s.properties) return inlineObject(s, dir);
      if (s.additionalProperties && typeof s.additionalProperties === "object") return `Record<string, ${tsType(s.additionalProperties, dir)}>`;
      return "Record<string, unknown>";
    }
    default: return "unknown";
  }
}

function inlineObject(s, dir) {
  const required = new Set(s.required ?? []);
  const members = Object.entries(s.properties).map(([k, v]) => `${prop(k)}${required.has(k) ? "" : "?"}: ${tsType(v, dir)}`);
  return `{ ${members.join("; ")} }`;
}

function declareSchema(name, s) {
  const n = typeName(name);
  const doc = comment(s.description ?? s.title);
  if (Array.isArray(s.enum) && (s.type === "string" || !s.type)) return `${doc}export type ${n} = ${s.enum.map((v) => JSON.stringify(v)).join(" | ")};\n`;
  if (s.oneOf && s["x-sidecarkit-variants"]) {
    // A polymorphic base: one case per discriminator, "$type" naming it; the base itself (if not abstract) has none.
    const variants = s["x-sidecarkit-variants"];
    const cases = Object.entries(variants).map(([tag, ref]) => (tag === "" ? `(${refName(ref)}Base & { $type?: never })` : `(${refName(ref)} & { $type: ${JSON.stringify(tag)} })`));
    const base = s.oneOf.find((c) => c.type === "object" && c.properties && !c.allOf);
    const baseDecl = "" in variants ? `/** ${n} itself, without a discriminator. */\nexport interface ${refName(variants[""])}Base ${objectBody(base ?? { properties: {} })}\n` : "";
    return `${baseDecl}${doc}export type ${n} =\n  | ${cases.join("\n  | ")};\n`;
  }
  if (s.type === "object" && s.properties) return `${doc}export interface ${n} ${objectBody(s)}\n`;
  return `${doc}export type ${n} = ${tsType(s)};\n`;
}

function objectBody(s) {
  const required = new Set(s.required ?? []);
  const lines = Object.entries(s.properties ?? {}).map(([k, v]) => `${comment(v.description, "  ")}  ${prop(k)}${required.has(k) ? "" : "?"}: ${tsType(v)};`);
  return lines.length ? `{\n${lines.join("\n")}\n}` : "{}";
}

/** The description type (docs/protocol.md section 16) of a schema, as far as the library needs it to read values. */
export function describedType(s) {
  if (!s || typeof s !== "object") return "string";
  if (s.$ref) return s.$ref.slice(s.$ref.lastIndexOf("/") + 1);
  const cases = s.anyOf ?? s.oneOf;
  if (cases) {
    if (s.format && cases.some((c) => c.type === "number")) return s.format;
    const inner = cases.filter((c) => c.type !== "null");
    const t = inner.length === 1 ? describedType(inner[0]) : "string";
    return inner.length < cases.length ? `${t}?` : t;
  }
  if (s.type === "array") return `${describedType(s.items)}[]`;
  if (s.type === "object" && s.additionalProperties) return `map<string,${describedType(s.additionalProperties)}>`;
  if (s.type === "boolean") return "bool";
  if (s.type === "integer") return s.format ?? "int64";
  if (s.type === "number") return s.format ?? "float64";
  if (s.type === "string") return s.format === "bytes" ? "bytes" : s.format === "date-time" ? "datetimeoffset" : "string";
  return "string";
}

/** A callback contract as the library reads descriptions: its methods' shapes, so that handlers get params in order
 * whatever the sidecar announces (a sidecar not built by SidecarKit may announce the names alone). */
function callbackDescription(cb) {
  return {
    contract: cb.name,
    methods: (cb.methods ?? []).map((m) => {
      const shape = shapeOf(m);
      return {
        name: m.name, kind: shape.kind,
        params: shape.params.map((p) => ({ name: p.name, type: describedType(p.schema), ...(p.required ? {} : { optional: true }) })),
        ...(shape.result && shape.result.type !== "null" ? { result: describedType(shape.result) } : {}),
      };
    }),
    types: {},
  };
}

/** Method shape from the OpenRPC method object. */
function shapeOf(m) {
  const kind = m["x-sidecarkit-kind"] ?? (m.result ? "request" : "notification");
  // Each parameter's identifier, unique among the method's (two names may come out alike from safeName).
  const ids = new Set();
  const unique = (name) => { let id = safeName(name); while (ids.has(id)) id += "_"; ids.add(id); return id; };
  const params = (m.params ?? []).map((p) => ({ name: p.name, id: unique(p.name), required: p.required !== false, schema: p.schema ?? {} }));
  const timeout = m["x-sidecarkit-timeout-ms"];
  return {
    wire: m.name, kind, params,
    input: m["x-sidecarkit-input"] ? { id: unique(m["x-sidecarkit-input"].name), schema: m["x-sidecarkit-input"].schema } : null,
    // The method's own timeout ([SidecarMethod(TimeoutMilliseconds = n)]; -1: none), the generated method's default.
    timeoutMs: Number.isInteger(timeout) ? timeout : null,
    items: m["x-sidecarkit-items"]?.schema ?? null,
    progress: m["x-sidecarkit-progress"]?.schema ?? null,
    result: m.result?.schema ?? null,
    summary: m.summary ?? m.description,
    errors: (m.errors ?? []).filter((e) => e && !e.$ref && Number.isInteger(e.code)).map((e) => ({ code: e.code, message: e.message })),
  };
}

function paramList(shape, dir) {
  // A required parameter after an optional one cannot be left out positionally: it takes `undefined` instead.
  let optionalSeen = Boolean(shape.input); // the streamed parameter follows the others, and is required
  const list = [];
  for (let i = shape.params.length - 1; i >= 0; i--) {
    const p = shape.params[i];
    const canOmit = !p.required && !optionalSeen;
    if (p.required) optionalSeen = true;
    list.unshift(`${p.id}${canOmit ? "?" : ""}: ${tsType(p.schema, "in")}${!p.required && !canOmit ? " | undefined" : ""}`);
  }
  return list;
}

function resultType(schema) {
  if (!schema || schema.type === "null") return "void";
  return tsType(schema);
}

/** A name for a local of a generated method that no parameter of `shape` has (a parameter may be called `options`). */
function localName(shape, wanted) {
  const taken = new Set([...shape.params.map((p) => p.id), ...(shape.input ? [shape.input.id] : [])]);
  let name = wanted;
  while (taken.has(name)) name += "_";
  return name;
}

// Members of the client classes that a contract method must not take.
const CLASS_MEMBERS = new Set(["constructor", "CONTRACT", "FINGERPRINT"]);

function clientMethod(shape, contract) {
  const short = shape.wire.startsWith(`${contract}.`) ? shape.wire.slice(contract.length + 1) : shape.wire;
  let name = safeName(short).replace(/^\$/, "_");
  if (CLASS_MEMBERS.has(name)) name += "_";
  const args = paramList(shape, "in");
  const options = localName(shape, "options");
  // The stub's options, with the method's own timeout as the default: a caller's timeoutMs (even -1) wins.
  const opts = shape.timeoutMs === null ? options : `{ ...${options}, timeoutMs: ${options}?.timeoutMs ?? ${shape.timeoutMs} }`;
  const optsWith = (extra) => (shape.timeoutMs === null ? `{ ...${options}, ${extra} }` : `{ ...${options}, timeoutMs: ${options}?.timeoutMs ?? ${shape.timeoutMs}, ${extra} }`);
  const timeoutDoc = shape.timeoutMs === null || shape.kind === "notification" ? null
    : `Timeout: ${shape.timeoutMs < 0 ? "none" : `${shape.timeoutMs} ms`} unless options.timeoutMs says otherwise (the method's own, x-sidecarkit-timeout-ms).`;
  const byName = shape.params.length ? `{ ${shape.params.map((p) => `${prop(p.name)}: ${p.id}`).join(", ")} }` : "{}";
  const wire = JSON.stringify(shape.wire);
  const declared = shape.errors.map((e) => `${e.code} ${e.message}`).join("; ");
  const doc = comment([shape.summary, declared && `Declared errors (RemoteError codes): ${declared}.`, timeoutDoc].filter(Boolean).join(" "), "  ");
  const input = shape.input ? `${shape.input.id}: SidecarInput<${tsType(shape.input.schema, "in")}>` : null;
  switch (shape.kind) {
    case "notification":
      return `${doc}  ${name}(${args.join(", ")}): void {\n    this.$sidecar.notify(${wire}, ${byName});\n  }\n`;
    case "stream":
      return `${doc}  ${name}(${[...args, `${options}?: StreamOptions`].join(", ")}): RemoteStream<${tsType(shape.items)}> {\n    return this.$sidecar.stream(${wire}, ${byName}, ${opts});\n  }\n`;
    case "duplexStream":
      return `${doc}  ${name}(${[...args, input, `${options}?: StreamOptions`].join(", ")}): RemoteStream<${tsType(shape.items)}> {\n    return this.$sidecar.stream(${wire}, ${byName}, ${optsWith(`input: ${shape.input.id}`)});\n  }\n`;
    case "clientStream":
      return `${doc}  ${name}(${[...args, input, `${options}?: ${shape.progress ? `ProgressOptions<${tsType(shape.progress)}>` : "RequestOptions"}`].join(", ")}): Promise<${resultType(shape.result)}> {\n    return this.$sidecar.call(${wire}, ${byName}, ${optsWith(`input: ${shape.input.id}`)});\n  }\n`;
    default:
      return `${doc}  ${name}(${[...args, `${options}?: ${shape.progress ? `ProgressOptions<${tsType(shape.progress)}>` : "RequestOptions"}`].join(", ")}): Promise<${resultType(shape.result)}> {\n    return this.$sidecar.call(${wire}, ${byName}, ${opts});\n  }\n`;
  }
}

/** A Node sidecar's implementation of the contract (what `serve()` calls), or a Node parent's of a callback contract. */
function implementationMember(shape, contract) {
  const short = shape.wire.startsWith(`${contract}.`) ? shape.wire.slice(contract.length + 1) : shape.wire;
  const args = shape.params.map((p) => `${p.id}: ${tsType(p.schema, "out")}${p.required ? "" : " | undefined"}`);
  if (shape.input) args.push(`${shape.input.id}: AsyncIterable<${tsType(shape.input.schema, "out")}>`);
  args.push(`${localName(shape, "context")}: ServeContext`);
  let ret;
  if (shape.kind === "stream" || shape.kind === "duplexStream") ret = `AsyncIterable<${tsType(shape.items, "in")}> | Iterable<${tsType(shape.items, "in")}>`;
  else if (shape.kind === "notification") ret = "void | Promise<void>";
  else { const r = resultType(shape.result) === "void" ? "void | null" : tsType(shape.result, "in"); ret = `${r} | Promise<${r}>`; }
  return `${comment(shape.summary, "  ")}  ${prop(short)}(${args.join(", ")}): ${ret};\n`;
}

/** Generates the TypeScript module for an OpenRPC document. */
export function generate(doc, { source = "an OpenRPC document" } = {}) {
  if (!doc || typeof doc !== "object" || typeof doc.openrpc !== "string" || !Array.isArray(doc.methods)) throw new Error("not an OpenRPC document: 'openrpc' and 'methods' are required");
  const contracts = doc["x-sidecarkit-contracts"] ?? [{ name: doc.info?.title ?? "sidecar", fingerprint: doc.info?.version }];
  const callbacks = doc["x-sidecarkit-callbacks"] ?? [];
  const out = [];
  out.push(`// Generated by sidecarkit-stubgen from ${source}. Do not edit: generate it again when the contract changes.\n`);
  out.push(`// OpenRPC ${doc.openrpc}; SidecarKit protocol ${doc.info?.["x-sidecarkit-protocol"] ?? "1.0"}.\n`);
  out.push(`import { Sidecar, start, SidecarStartError } from "sidecarkit";\n`);
  out.push(`import type { ProgressOptions, RemoteStream, RequestOptions, ServeContext, SidecarInput, StartOptions, StreamOptions } from "sidecarkit";\n\n`);

  const fingerprints = Object.fromEntries(contracts.map((c) => [c.name, c.fingerprint]));
  if (contracts.length === 1) out.push(`/** The fingerprint of contract '${contracts[0].name}' these stubs were generated from: the sidecar must announce the same. */\nexport const FINGERPRINT = ${JSON.stringify(contracts[0].fingerprint)};\n`);
  out.push(`/** Every contract's fingerprint, by contract name. */\nexport const FINGERPRINTS = ${JSON.stringify(fingerprints)} as const;\n`);
  if (callbacks.length) out.push(`/** The callback contracts' fingerprints. */\nexport const CALLBACK_FINGERPRINTS = ${JSON.stringify(Object.fromEntries(callbacks.map((c) => [c.name, c.fingerprint])))} as const;\n`);
  const declared = Object.fromEntries(doc.methods.map(shapeOf).filter((m) => m.errors.length).map((m) => [m.wire, m.errors]));
  out.push(`/** The application errors each method declares, by wire name: a RemoteError's code and message. */\nexport const ERRORS = ${JSON.stringify(declared)} as const;\n`);
  out.push("\n");

  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) out.push(declareSchema(name, schema), "\n");

  // Callback contracts: what the Node parent implements for the sidecar to call.
  const cbTypes = [];
  for (const cb of callbacks) {
    const iface = `${pascal(cb.name)}Callbacks`;
    cbTypes.push([cb.name, iface]);
    out.push(`/** The callback contract '${cb.name}' (fingerprint ${cb.fingerprint}): the sidecar calls these on its parent. */\nexport interface ${iface} {\n`);
    for (const m of cb.methods ?? []) out.push(implementationMember(shapeOf(m), cb.name));
    out.push("}\n\n");
  }
  out.push(`/** The callback contracts' shapes, handed to start() so that callback handlers get their params in order. */\nconst CALLBACK_CONTRACTS = ${JSON.stringify(callbacks.map(callbackDescription))};\n\n`);
  const callbacksType = cbTypes.length ? `{ ${cbTypes.map(([n, i]) => `${prop(n)}?: ${i}`).join("; ")} }` : "Record<string, never>";
  out.push(`/** The callbacks a parent serves for this sidecar, by callback contract name. */\nexport type Callbacks = ${callbacksType};\n\n`);
  out.push(`/** start()'s options, with the callbacks typed. */\nexport type TypedStartOptions = Omit<StartOptions, "callbacks" | "fingerprints"> & { callbacks?: Callbacks };\n\n`);

  out.push(`function checkFingerprint(sidecar: Sidecar, contract: string, expected: string): void {
  const announced = sidecar.ready?.contracts?.find((c) => c.name === contract);
  if (!announced) throw new SidecarStartError(\`The sidecar does not serve the contract '\${contract}'.\`);
  if (announced.fingerprint && announced.fingerprint !== expected)
    throw new SidecarStartError(\`The sidecar serves contract '\${contract}' with fingerprint \${announced.fingerprint}, not \${expected}: these stubs were generated from another version of it.\`);
}\n\n`);

  for (const c of contracts) {
    const cls = `${pascal(c.name)}Client`;
    const methods = doc.methods.filter((m) => m.name.startsWith(`${c.name}.`) || (contracts.length === 1 && !m.name.startsWith("system.")));
    out.push(`/** A Node sidecar's implementation of contract '${c.name}', for serve(). */\nexport interface ${pascal(c.name)}Implementation {\n`);
    for (const m of methods) out.push(implementationMember(shapeOf(m), c.name));
    out.push("}\n\n");
    out.push(`/**
 * The contract '${c.name}' (fingerprint ${c.fingerprint}), called on a running sidecar. The constructor refuses a sidecar
 * that announces another fingerprint for it (a sidecar that announces none, not built by SidecarKit, is accepted).
 */
export class ${cls} {
  static readonly CONTRACT = ${JSON.stringify(c.name)};
  static readonly FINGERPRINT = ${JSON.stringify(c.fingerprint)};

  constructor(readonly $sidecar: Sidecar) {
    checkFingerprint($sidecar, ${cls}.CONTRACT, ${cls}.FINGERPRINT);
  }

  /** Starts the sidecar (\`command args\`), waits until it is ready, and checks the contract's fingerprint. */
  static async start(command: string, args: string[] = [], options: TypedStartOptions = {}): Promise<${cls}> {
    const sidecar = await start(command, args, { ...options, contracts: [...CALLBACK_CONTRACTS, ...(options.contracts ?? [])], fingerprints: { [${cls}.CONTRACT]: ${cls}.FINGERPRINT } });
    try {
      return new ${cls}(sidecar);
    } catch (e) {
      sidecar.kill();
      throw e;
    }
  }

  /** Stops the sidecar: system.shutdown and the end of stdin, then SIGTERM, then SIGKILL. */
  $stop(): Promise<{ code: number | null; signal: string | null }> {
    return this.$sidecar.stop();
  }

`);
    for (const m of methods) out.push(clientMethod(shapeOf(m), c.name), "\n");
    out.push("}\n\n");
  }
  return out.join("").replace(/\n{3,}/g, "\n\n");
}

function main(argv) {
  let input, output, from;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-o" || a === "--output") output = argv[++i];
    else if (a === "--from-sidecar") { from = argv.slice(i + 1); break; }
    else if (a === "-h" || a === "--help") { process.stdout.write("Usage: sidecarkit-stubgen <openrpc.json> [-o out.ts]\n       sidecarkit-stubgen [-o out.ts] --from-sidecar <command> [args...]\n"); return 0; }
    else if (a.startsWith("-")) { process.stderr.write(`Unknown option '${a}'.\n`); return 2; }
    else input = a;
  }
  if (!input && !from?.length) { process.stderr.write("Give an OpenRPC document, or --from-sidecar <command> [args...].\n"); return 2; }
  let text, source;
  if (from?.length) {
    source = `\`${[...from, "--describe", "openrpc"].join(" ")}\``;
    try {
      text = execFileSync(from[0], [...from.slice(1), "--describe", "openrpc"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    } catch (e) {
      process.stderr.write(`${source} failed${e.status !== undefined ? ` (exit code ${e.status})` : ""}: ${(e.stderr || e.message).toString().trim()}\n`);
      return 1;
    }
  } else {
    source = input.split("/").pop();
    text = readFileSync(input, "utf8");
  }
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    process.stderr.write(`${source} is not JSON: ${e.message}\n`);
    return 1;
  }
  let ts;
  try {
    ts = generate(doc, { source });
  } catch (e) {
    process.stderr.write(`${source}: ${e.message}\n`);
    return 1;
  }
  if (output) writeFileSync(output, ts);
  else process.stdout.write(ts);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === (await import("node:fs")).realpathSync(process.argv[1])) process.exitCode = main(process.argv.slice(2));
