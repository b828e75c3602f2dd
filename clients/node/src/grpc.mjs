// The parent's side on gRPC (docs/grpc.md): a SidecarKit sidecar started with --transport grpc or grpc-unix, called
// through @grpc/grpc-js with the messages of the sidecar's own `--describe proto --output <dir>` (loaded by
// @grpc/proto-loader), with the same names and values as on the other transports: params and results by their wire
// names, a polymorphic value as {$type, ...} (a oneof in protobuf), timestamps as ISO 8601 text, durations in .NET's
// "c" form, int64 as numbers (BigInt beyond 2^53). gRPC carries no progress reports (a call with onProgress is refused,
// as the C# gRPC client does) and no notifications (notify() makes the unary call without waiting for it). Callbacks
// are served over sidecarkit.callbacks.Callbacks (Subscribe, Reply).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { loadPeer } from "./codec.mjs";
import { readContract, typesOf } from "./contract.mjs";
import { CallCancelledError, RemoteError, SidecarExitedError, SidecarStartError, SidecarTimeoutError } from "./errors.mjs";
import { flattenHandlers } from "./methods.mjs";

const STATUS_CODES = { 3: -32602, 12: -32601, 13: -32603, 8: -32003, 14: -32004, 1: -32800 }; // docs/grpc.md, read backwards
const INTS = new Set(["int8", "uint8", "int16", "uint16", "int32", "uint32"]);
const LONGS = new Set(["int64", "uint64"]);
const FLOATS = new Set(["float16", "float32", "float64"]);
const SPECIAL_FLOATS = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity };

// The sidecar's own system service, which --describe proto does not export (the messages SidecarKit serves).
const SYSTEM_PROTO = `syntax = "proto3";
package sidecarkit.system;
import "google/protobuf/empty.proto";
service System {
  rpc Ping(google.protobuf.Empty) returns (PingResponse);
  rpc Shutdown(google.protobuf.Empty) returns (google.protobuf.Empty);
}
message PingResponse { SidecarHealth result = 1; }
message SidecarHealth {
  string status = 1; int32 pid = 2; string instance_id = 3; int64 uptime_ms = 4; int32 active_requests = 5;
  string version = 6; string protocol_version = 7;
}
`;

/** C#'s snake_case of a wire name, as the .proto export writes field names; then protobuf.js's camelCase of it. */
function snake(name) {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2").toLowerCase();
}
const fieldKey = (name) => snake(name).replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const pascal = (name) => name.charAt(0).toUpperCase() + name.slice(1);

const toLong = (v) => (typeof v === "bigint" ? v.toString() : v);
const fromLong = (v) => {
  if (v === undefined || v === null || v === "") return 0;
  const b = BigInt(typeof v === "object" ? v.toString() : v);
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
};

function toTimestamp(v) {
  if (v instanceof Date) return { seconds: String(Math.floor(v.getTime() / 1000)), nanos: (((v.getTime() % 1000) + 1000) % 1000) * 1e6 };
  const m = /^(.*T\d\d:\d\d(?::\d\d)?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)?$/.exec(String(v));
  if (!m) throw new RemoteError(-32602, `'${v}' is not an ISO 8601 date and time`);
  const ms = Date.parse(`${m[1]}${m[3] ?? ""}`);
  return { seconds: String(Math.floor(ms / 1000)), nanos: Number((m[2] ?? "").padEnd(9, "0")) };
}

function fromTimestamp(t, offset) {
  const seconds = Number(t?.seconds ?? 0), nanos = Number(t?.nanos ?? 0);
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  const fraction = nanos ? `.${String(nanos).padStart(9, "0").slice(0, 7).replace(/0+$/, "")}` : "";
  return `${iso}${fraction}${offset ? "+00:00" : "Z"}`;
}

function toDuration(v) {
  const m = /^(-)?(?:(\d+)\.)?(\d+):(\d+):(\d+)(?:\.(\d{1,7}))?$/.exec(String(v));
  if (!m) throw new RemoteError(-32602, `'${v}' is not a time span ([-][d.]hh:mm:ss[.fffffff])`);
  const sign = m[1] ? -1 : 1;
  const seconds = ((Number(m[2] ?? 0) * 24 + Number(m[3])) * 60 + Number(m[4])) * 60 + Number(m[5]);
  return { seconds: String(sign * seconds), nanos: sign * Number((m[6] ?? "").padEnd(9, "0")) };
}

function fromDuration(d) {
  let seconds = BigInt(d?.seconds ?? 0), nanos = Number(d?.nanos ?? 0);
  const negative = seconds < 0n || nanos < 0;
  if (negative) { seconds = -seconds; nanos = -nanos; }
  const days = seconds / 86400n, rest = Number(seconds % 86400n);
  const hh = String(Math.floor(rest / 3600)).padStart(2, "0"), mm = String(Math.floor(rest / 60) % 60).padStart(2, "0"), ss = String(rest % 60).padStart(2, "0");
  return `${negative ? "-" : ""}${days ? `${days}.` : ""}${hh}:${mm}:${ss}${nanos ? `.${String(Math.floor(nanos / 100)).padStart(7, "0")}` : ""}`;
}

/** Whether a list's items or a map's values travel in a wrapper message (docs/grpc.md: OptionalX, XList, map wrappers). */
const wrapped = (t) => t.endsWith("?") || t.endsWith("[]") || t.startsWith("map<");
const wrap = (t, v, types) => {
  if (t.endsWith("?")) return v === null || v === undefined ? {} : { value: toProto(v, t.slice(0, -1), types) };
  if (t.endsWith("[]")) return { items: toProto(v, t, types) };
  return { entries: toProto(v, t, types) };
};
const unwrap = (t, w, types) => {
  if (t.endsWith("?")) return w?.value === undefined || w?.value === null ? null : fromProto(w.value, t.slice(0, -1), types);
  if (t.endsWith("[]")) return fromProto(w?.items, t, types);
  return fromProto(w?.entries, t, types);
};

/** A value of `type` as the message field protobuf.js writes. */
export function toProto(v, type, types) {
  if (v === null || v === undefined) return undefined;
  if (type.endsWith("?")) return toProto(v, type.slice(0, -1), types);
  if (type.endsWith("[]")) {
    const item = type.slice(0, -2);
    return [...v].map((x) => (wrapped(item) ? wrap(item, x, types) : toProto(x, item, types)));
  }
  const map = /^map<([^,]+),(.+)>$/.exec(type);
  if (map) {
    const o = {};
    for (const [k, x] of v instanceof Map ? v : Object.entries(v)) o[String(k)] = wrapped(map[2]) ? wrap(map[2], x, types) : toProto(x, map[2], types);
    return o;
  }
  if (LONGS.has(type)) return toLong(v);
  if (FLOATS.has(type)) return typeof v === "string" && v in SPECIAL_FLOATS ? SPECIAL_FLOATS[v] : v;
  if (type === "datetime" || type === "datetimeoffset") return toTimestamp(v);
  if (type === "timespan") return toDuration(v);
  if (type === "int128" || type === "uint128") return String(v);
  if (type === "decimal") return String(v);
  if (type === "bytes") return Buffer.isBuffer(v) ? v : Buffer.from(v);
  const t = types.get(type);
  if (!t || t.kind === "enum") return v;
  if (t.variants) {
    const tag = v.$type ?? "";
    const variant = t.variants.find((x) => x.name === tag);
    if (!variant) throw new RemoteError(-32602, `${type}: the type discriminator '${tag}' names no type derived from ${type}`);
    const caseType = types.get(variant.type) ?? t;
    return { [fieldKey(tag === "" ? type : tag)]: objectToProto(v, caseType, types) };
  }
  return objectToProto(v, t, types);
}

function objectToProto(v, t, types) {
  const o = {};
  for (const m of t.members) if (v[m.name] !== undefined && v[m.name] !== null) o[fieldKey(m.name)] = toProto(v[m.name], m.type, types);
  return o;
}

/** A message field as protobuf.js read it (absent fields absent) back to the value of `type`. */
export function fromProto(v, type, types) {
  if (type.endsWith("?")) return v === null || v === undefined ? null : fromProto(v, type.slice(0, -1), types);
  if (type.endsWith("[]")) {
    const item = type.slice(0, -2);
    return (v ?? []).map((x) => (wrapped(item) ? unwrap(item, x, types) : fromProto(x, item, types)));
  }
  const map = /^map<([^,]+),(.+)>$/.exec(type);
  if (map) {
    const o = {};
    for (const [k, x] of Object.entries(v ?? {})) o[k] = wrapped(map[2]) ? unwrap(map[2], x, types) : fromProto(x, map[2], types);
    return o;
  }
  if (LONGS.has(type)) return fromLong(v);
  if (INTS.has(type) || FLOATS.has(type)) return v ?? 0;
  if (type === "bool") return v ?? false;
  if (type === "bytes") return v ? Buffer.from(v) : Buffer.alloc(0);
  if (type === "datetime" || type === "datetimeoffset") return fromTimestamp(v, type === "datetimeoffset");
  if (type === "timespan") return fromDuration(v);
  if (type === "decimal") return v === undefined || v === "" ? 0 : Number(v);
  const t = types.get(type);
  if (!t) return v ?? (type === "string" || type === "char" || type === "guid" || type === "date" || type === "time" || type === "int128" || type === "uint128" ? "" : null);
  if (t.kind === "enum") return v ?? t.values?.[0] ?? "";
  if (v === null || v === undefined) return null;
  if (t.variants) {
    for (const variant of t.variants) {
      const key = fieldKey(variant.name === "" ? type : variant.name);
      if (v[key] !== undefined && v[key] !== null) {
        const inner = objectFromProto(v[key], types.get(variant.type) ?? t, types);
        return variant.name === "" ? inner : { $type: variant.name, ...inner };
      }
    }
    throw new RemoteError(-32603, `${type}: the value has no case this side declares`);
  }
  return objectFromProto(v, t, types);
}

function objectFromProto(v, t, types) {
  const o = {};
  for (const m of t.members) o[m.name] = fromProto(v?.[fieldKey(m.name)], m.type, types);
  return o;
}

const healthOf = (h) => ({
  status: h?.status ?? "", pid: h?.pid ?? 0, instanceId: h?.instanceId ?? null, uptimeMs: fromLong(h?.uptimeMs),
  activeRequests: h?.activeRequests ?? 0, version: h?.version ?? null, protocolVersion: h?.protocolVersion ?? null,
});

function remoteErrorOf(e, method) {
  const code = Number(e.metadata?.get?.("sidecar-error-code")?.[0]);
  let data;
  const raw = e.metadata?.get?.("sidecar-error-data-bin")?.[0];
  if (raw) { try { data = JSON.parse(Buffer.from(raw).toString("utf8")); } catch { /* not JSON: left out */ } }
  return new RemoteError(Number.isInteger(code) ? code : (STATUS_CODES[e.code] ?? -32603), e.details ?? e.message, data, method);
}

/** The gRPC side of a started sidecar; `owner` is the Sidecar (process, stderr tail, announcement). */
export class GrpcConnection {
  constructor(owner, grpc, definitions, client, token) {
    Object.assign(this, { owner, grpc, definitions, client, token });
    this.active = new Set(); // calls in flight: {call, fail}
    this.closedError = null;
    this.services = new Map(); // contract name -> service definition
  }

  metadata() {
    const m = new this.grpc.Metadata();
    if (this.token) m.set("authorization", `Bearer ${this.token}`);
    return m;
  }

  rpcOf(method) {
    const dot = method.lastIndexOf(".");
    const contract = method.slice(0, dot);
    const service = contract === "system" ? this.definitions["sidecarkit.system.System"] : this.definitions[`sidecarkit.${snake(contract)}.${pascal(contract)}`];
    const rpc = service?.[pascal(method.slice(dot + 1))];
    if (!rpc) throw new RemoteError(-32601, `Method not found: '${method}' (no such rpc in the sidecar's .proto).`, undefined, method);
    return rpc;
  }

  request(method, shape, params) {
    if (Array.isArray(params)) params = Object.fromEntries((shape?.params ?? []).map((p, i) => [p.name, params[i]]));
    const types = this.owner.allTypes;
    const o = {};
    for (const p of shape?.params ?? []) if (params?.[p.name] !== undefined && params[p.name] !== null) o[fieldKey(p.name)] = toProto(params[p.name], p.type, types);
    return o;
  }

  options(opts, unaryDefault) {
    const timeoutMs = opts.timeoutMs ?? (unaryDefault ? this.owner.options.defaultTimeoutMs ?? 30_000 : undefined);
    return timeoutMs !== undefined && timeoutMs >= 0 && Number.isFinite(timeoutMs) ? { deadline: Date.now() + timeoutMs, timeoutMs } : {};
  }

  /** Runs one gRPC call with cancellation, deadline and crash handling; `begin(callback)` starts it. */
  track(method, opts, timeoutMs, begin) {
    return new Promise((resolve, reject) => {
      if (this.closedError) { reject(this.closedError); return; }
      const { signal } = opts;
      if (signal?.aborted) { reject(signal.reason ?? new CallCancelledError(method)); return; }
      let settled = false;
      const entry = {};
      const done = (error, value) => {
        if (settled) return;
        settled = true;
        this.active.delete(entry);
        signal?.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve(value);
      };
      const onAbort = () => { done(signal.reason ?? new CallCancelledError(method)); entry.call?.cancel(); };
      entry.fail = (e) => { done(e); entry.call?.cancel(); };
      entry.done = done;
      this.active.add(entry);
      signal?.addEventListener("abort", onAbort, { once: true });
      entry.call = begin((error, value) => {
        if (!error) return done(null, value);
        if (error.code === this.grpc.status.DEADLINE_EXCEEDED) return done(new SidecarTimeoutError(method, timeoutMs));
        if (this.closedError) return done(this.closedError);
        // A dropped connection is usually a process that died: give its exit a second to be the error, with its code.
        if (error.code === this.grpc.status.UNAVAILABLE && !error.metadata?.get?.("sidecar-error-code")?.length) {
          setTimeout(() => done(this.closedError ?? remoteErrorOf(error, method)), 1000).unref?.();
          return undefined;
        }
        return done(remoteErrorOf(error, method));
      }, entry);
    });
  }

  call(method, params, opts = {}) {
    const shape = this.owner.shapeOf(method);
    if (opts.onProgress) return Promise.reject(new Error(`'${method}' reports progress, which gRPC cannot carry: a unary gRPC call has no messages before its response. Call it over jsonl or msgpack, or leave out onProgress.`));
    if (shape && (shape.kind === "stream" || shape.kind === "duplexStream")) return (async () => { const items = []; for await (const i of this.stream(method, params, opts)) items.push(i); return items; })();
    let rpc;
    try { rpc = this.rpcOf(method); } catch (e) { return Promise.reject(e); }
    const types = this.owner.allTypes;
    const result = method === "system.ping" ? (r) => healthOf(r?.result) : (response) => (shape?.result ? fromProto(response?.result, shape.result, types) : null);
    const { deadline, timeoutMs } = this.options(opts, !opts.input);
    const callOptions = deadline ? { deadline } : {};
    if (rpc.requestStream) {
      if (!opts.input) return Promise.reject(new TypeError(`'${method}' takes a stream: pass options.input`));
      return this.track(method, opts, timeoutMs, (callback, entry) => {
        const call = this.client.makeClientStreamRequest(rpc.path, rpc.requestSerialize, rpc.responseDeserialize, this.metadata(), callOptions, (e, r) => callback(e, e ? undefined : result(r)));
        this.sendInput(call, method, shape, params, opts.input, entry);
        return call;
      });
    }
    return this.track(method, opts, timeoutMs, (callback) => this.client.makeUnaryRequest(rpc.path, rpc.requestSerialize, rpc.responseDeserialize,
      this.request(method, shape, params), this.metadata(), callOptions, (e, r) => callback(e, e ? undefined : result(r))));
  }

  /** The parameters in the first message, then one item per message, waiting for HTTP/2's flow control. */
  async sendInput(call, method, shape, params, input, entry) {
    const types = this.owner.allTypes;
    const key = fieldKey(shape?.input?.name ?? "item");
    const it = input[Symbol.asyncIterator] ? input[Symbol.asyncIterator]() : input[Symbol.iterator]();
    try {
      call.write(this.request(method, shape, params));
      for (;;) {
        const { value, done } = await it.next();
        if (done) break;
        if (value === null || value === undefined) throw new TypeError(`An item of the input stream of '${method}' is null: gRPC carries an absent item field as no item, so a null cannot be sent.`);
        if (!call.write({ [key]: toProto(value, shape?.input?.type ?? "bytes", types) })) await new Promise((r) => call.once("drain", r));
        if (entry.settledFlag) break;
      }
      call.end();
    } catch (e) {
      // gRPC has no way for a client to send an error: the call is cancelled, and fails with the caller's own error.
      entry.fail(e instanceof Error ? e : new Error(String(e)));
    } finally {
      Promise.resolve().then(() => it.return?.()).catch(() => {});
    }
  }

  stream(method, params, opts = {}) {
    return new GrpcStream(this, method, params, opts);
  }

  notify(method, params) {
    this.call(method, params).catch(() => {}); // a notification method is a unary rpc answered with Empty
  }

  close(error) {
    if (this.closedError) return;
    this.closedError = error;
    for (const entry of [...this.active]) entry.fail(error);
    this.subscription?.cancel();
    this.client.close();
  }

  /** sidecarkit.callbacks.Callbacks/Subscribe: each CallbackCall is served by the handlers, answered with Reply. */
  subscribe(handlers) {
    const service = this.definitions["sidecarkit.callbacks.Callbacks"];
    if (!service) return Promise.resolve();
    const call = this.client.makeServerStreamRequest(service.Subscribe.path, service.Subscribe.requestSerialize, service.Subscribe.responseDeserialize, {}, this.metadata(), {});
    this.subscription = call;
    call.on("error", () => {}); // the end of the sidecar ends it
    call.on("data", (m) => this.serveCallback(m, handlers, service));
    // The sidecar holds the subscription once it sent its headers: then the first call may already call back.
    return new Promise((resolve) => { call.once("metadata", resolve); call.once("status", resolve); setTimeout(resolve, 5000).unref(); });
  }

  async serveCallback(m, handlers, service) {
    const id = String(m.id ?? "0");
    const reply = (r) => {
      if (id === "0") return;
      this.client.makeUnaryRequest(service.Reply.path, service.Reply.requestSerialize, service.Reply.responseDeserialize, { id, ...r }, this.metadata(), {}, () => {});
    };
    const types = this.owner.allTypes;
    try {
      const shape = this.owner.shapeOf(m.method);
      const fn = handlers.get(m.method);
      if (!fn) throw new RemoteError(-32601, `Method not found: '${m.method}'.`);
      const rpc = this.rpcOf(m.method);
      const request = rpc.requestDeserialize(m.request ?? Buffer.alloc(0));
      const args = (shape?.params ?? []).map((p) => fromProto(request[fieldKey(p.name)], p.type, types));
      const ctx = { id, method: m.method, signal: new AbortController().signal, progress() {}, call: (x, y, z) => this.call(x, y, z), stream: (x, y, z) => this.stream(x, y, z), notify: (x, y) => this.notify(x, y), log() {} };
      const value = await fn(...(shape ? args : [request]), ctx);
      const response = shape?.result ? { result: toProto(value, shape.result, types) } : {};
      reply({ response: rpc.responseSerialize(response) });
    } catch (e) {
      const r = e instanceof RemoteError ? e : null;
      reply({ errorCode: r ? r.code : -32603, errorMessage: r ? r.remoteMessage : String(e?.message ?? e), errorDataJson: r ? (r.data === undefined ? "" : JSON.stringify(r.data)) : JSON.stringify({ type: e?.name ?? "Error" }) });
    }
  }
}

/** A server-streaming or bidirectional call as an async iterable; leaving the loop early cancels it. */
class GrpcStream {
  constructor(conn, method, params, opts) {
    Object.assign(this, { conn, method, params, opts, queue: [], finished: false, error: null, waiter: null, started: false, count: undefined });
  }

  [Symbol.asyncIterator]() { return this; }

  wake() { const w = this.waiter; this.waiter = null; w?.(); }

  start() {
    this.started = true;
    const { conn, method, opts } = this;
    const shape = conn.owner.shapeOf(method);
    const types = conn.owner.allTypes;
    let rpc;
    try { rpc = conn.rpcOf(method); } catch (e) { this.error = e; this.finished = true; return; }
    const { deadline, timeoutMs } = conn.options(opts, false);
    const callOptions = deadline ? { deadline } : {};
    this.promise = conn.track(method, opts, timeoutMs, (callback, entry) => {
      const call = rpc.requestStream
        ? conn.client.makeBidiStreamRequest(rpc.path, rpc.requestSerialize, rpc.responseDeserialize, conn.metadata(), callOptions)
        : conn.client.makeServerStreamRequest(rpc.path, rpc.requestSerialize, rpc.responseDeserialize, conn.request(method, shape, this.params), conn.metadata(), callOptions);
      let count = 0;
      call.on("data", (m) => { count++; this.queue.push(shape?.items ? fromProto(m.item, shape.items, types) : m); this.wake(); });
      call.on("error", (e) => callback(e));
      call.on("end", () => callback(null, count));
      if (rpc.requestStream) {
        if (!opts.input) { queueMicrotask(() => entry.fail(new TypeError(`'${method}' takes a stream: pass options.input`))); return call; }
        conn.sendInput(call, method, shape, this.params, opts.input, entry);
      }
      this.call = call;
      return call;
    });
    this.promise.then((count) => { this.count = count; this.finished = true; this.wake(); }, (e) => { this.error = e; this.finished = true; this.wake(); });
  }

  async next() {
    if (!this.started) this.start();
    for (;;) {
      if (this.queue.length) return { value: this.queue.shift(), done: false };
      if (this.finished) {
        if (this.error) { const e = this.error; this.error = null; throw e; }
        return { value: undefined, done: true };
      }
      await new Promise((r) => { this.waiter = r; });
    }
  }

  async return() { this.cancel(); return { value: undefined, done: true }; }

  async throw(e) { this.cancel(); throw e; }

  cancel() {
    if (this.started && !this.finished) this.call?.cancel();
    this.queue = [];
    this.finished = true;
    this.error = null;
    this.started = true;
    this.wake();
  }
}

/** Loads grpc-js and the sidecar's messages, connects to `listenInfo`, and subscribes for the callbacks. */
export async function connectGrpc(owner, command, args, listenInfo, token, handlers) {
  const grpc = await loadPeer("@grpc/grpc-js", "The gRPC transports", (m) => Boolean(m.Client));
  const loader = await loadPeer("@grpc/proto-loader", "The gRPC transports", (m) => Boolean(m.loadSync));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sidecarkit-proto-"));
  let definitions;
  try {
    try {
      await promisify(execFile)(command, [...args, "--describe", "proto", "--output", dir], { timeout: 60_000, env: { ...process.env, SIDECAR_TOKEN: "" } });
    } catch (e) {
      throw new SidecarStartError(`\`${[command, ...args, "--describe", "proto", "--output", dir].join(" ")}\` failed: ${(e.stderr || e.message).toString().trim()}`, { stderrTail: owner.stderrTail() });
    }
    fs.writeFileSync(path.join(dir, "sidecarkit_system_node.proto"), SYSTEM_PROTO);
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".proto"));
    definitions = loader.loadSync(files.map((f) => path.join(dir, f)), { includeDirs: [dir], longs: String, enums: String, defaults: false, oneofs: true, bytes: Buffer });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const address = listenInfo.startsWith("/") ? `unix:${listenInfo}` : listenInfo;
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": 16 * 1024 * 1024 });
  const conn = new GrpcConnection(owner, grpc, definitions, client, token);
  if (handlers.size) await conn.subscribe(handlers);
  return conn;
}

export const newToken = () => randomBytes(16).toString("hex");
export { readContract, typesOf, flattenHandlers, SidecarExitedError };
