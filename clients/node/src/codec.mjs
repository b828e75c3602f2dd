// The two encodings of the protocol's envelope: JSON-RPC 2.0 on JSON lines (docs/protocol.md sections 2-3) and
// MessagePack-RPC (appendix A). Both turn bytes into the same internal messages:
//   {kind: "request", id, method, params} | {kind: "notification", method, params}
//   | {kind: "response", id, result, error} | {kind: "invalid", id, error}   (the last one is answered, id null)
// `params` is whatever came (an object by name or an array by position); the connection names positional ones.
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseJson, stringifyJson } from "./json.mjs";

export const MAX_MESSAGE = 16 * 1024 * 1024;

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

export class JsonLinesCodec {
  constructor() {
    this.format = "json";
    this.name = "jsonl";
  }

  encode(msg) {
    let text;
    if (msg.kind === "request") text = `{"jsonrpc":"2.0","id":${stringifyJson(msg.id)},"method":${JSON.stringify(msg.method)},"params":${stringifyJson(msg.params ?? {})}}`;
    else if (msg.kind === "notification") text = `{"jsonrpc":"2.0","method":${JSON.stringify(msg.method)},"params":${stringifyJson(msg.params ?? {})}}`;
    else if (msg.error) text = `{"jsonrpc":"2.0","id":${stringifyJson(msg.id ?? null)},"error":${stringifyJson(msg.error)}}`;
    else text = `{"jsonrpc":"2.0","id":${stringifyJson(msg.id)},"result":${stringifyJson(msg.result ?? null)}}`;
    return Buffer.from(`${text}\n`, "utf8");
  }

  /** Feeds `readable` to `onMessage` one message at a time, in order; resolves at the end of the stream. */
  read(readable, onMessage) {
    return new Promise((resolve, reject) => {
      let pending = [];
      let pendingBytes = 0;
      let discarding = false;
      const line = (buf) => {
        const text = buf.toString("utf8");
        if (!/[^ \t\r]/.test(text)) return;
        onMessage(this.decodeLine(text));
      };
      readable.on("data", (chunk) => {
        let start = 0;
        for (;;) {
          const nl = chunk.indexOf(10, start);
          if (nl < 0) break;
          const piece = chunk.subarray(start, nl);
          start = nl + 1;
          if (discarding) {
            discarding = false;
            pending = [];
            pendingBytes = 0;
            onMessage({ kind: "invalid", id: null, error: { code: -32001, message: `Message too large: a line may be at most ${MAX_MESSAGE} bytes.` } });
            continue;
          }
          const whole = pending.length ? Buffer.concat([...pending, piece]) : piece;
          pending = [];
          pendingBytes = 0;
          try {
            line(whole);
          } catch (e) {
            reject(e);
            return;
          }
        }
        if (start < chunk.length && !discarding) {
          pending.push(chunk.subarray(start));
          pendingBytes += chunk.length - start;
          if (pendingBytes > MAX_MESSAGE) {
            discarding = true; // memory stays bounded: the rest of the line is dropped as it streams in
            pending = [];
          }
        }
      });
      readable.on("end", () => {
        if (pending.length && !discarding) line(Buffer.concat(pending)); // a last line without "\n"
        resolve();
      });
      readable.on("error", reject);
    });
  }

  decodeLine(text) {
    let m;
    try {
      if (text.charCodeAt(0) === 0xfeff) throw new SyntaxError("a byte-order mark is not allowed");
      m = parseJson(text);
    } catch (e) {
      return { kind: "invalid", id: null, error: { code: -32700, message: `Parse error: ${e.message}` } };
    }
    if (!isObject(m)) {
      const why = Array.isArray(m) ? "batches are not supported; send one message per line." : "a message must be a JSON object.";
      return { kind: "invalid", id: null, error: { code: -32600, message: `Invalid Request: ${why}` } };
    }
    const validId = (id) => id === null || typeof id === "string" || typeof id === "number" || typeof id === "bigint";
    const hasResult = "result" in m, hasError = "error" in m;
    if ((hasResult || hasError) && typeof m.method !== "string") {
      // A response; invalid ones are never answered, only dropped (section 3).
      if (m.jsonrpc !== "2.0" || !("id" in m) || !validId(m.id) || hasResult === hasError) return { kind: "drop", why: "an invalid response" };
      if (hasError && !(isObject(m.error) && Number.isInteger(m.error.code) && typeof m.error.message === "string")) return { kind: "drop", why: "an invalid error object" };
      return { kind: "response", id: m.id, result: m.result, error: hasError ? m.error : undefined };
    }
    const id = "id" in m && validId(m.id) ? m.id : null;
    const bad = (why) => ({ kind: "invalid", id, error: { code: -32600, message: `Invalid Request: ${why}` } });
    if (!("jsonrpc" in m)) return bad('"jsonrpc": "2.0" is required.');
    if (m.jsonrpc !== "2.0") return bad('"jsonrpc" must be "2.0".');
    if ("id" in m && !validId(m.id)) return { kind: "invalid", id: null, error: { code: -32600, message: 'Invalid Request: "id" must be a string, a number or null.' } };
    if (!("method" in m)) return bad('a message needs a "method", or exactly one of "result" and "error".');
    if (typeof m.method !== "string") return bad('"method" must be a string.');
    if ("params" in m && !(isObject(m.params) || Array.isArray(m.params))) return bad('"params" must be an object or an array.');
    if (hasResult || hasError) return bad('a request must not have "result" or "error".');
    const params = m.params ?? {};
    return "id" in m ? { kind: "request", id: m.id, method: m.method, params } : { kind: "notification", method: m.method, params };
  }
}

const peers = new Map();
/**
 * An optional peer dependency, loaded only when a transport needs it. Installed as a symlink (npm's "file:"
 * dependencies), this package resolves its peers from its real folder, where they are not: it looks where the
 * application is, too. `check` tells the module's namespace from a CommonJS default export.
 */
export async function loadPeer(name, why, check) {
  if (peers.has(name)) return peers.get(name);
  let m;
  try {
    m = await import(name);
  } catch (e) {
    for (const base of [process.argv[1], path.join(process.cwd(), "index.js")]) {
      if (!base) continue;
      try {
        m = await import(pathToFileURL(createRequire(base).resolve(name)).href);
        break;
      } catch { /* not there either */ }
    }
    if (!m) throw new Error(`${why} need the package ${name} (an optional peer dependency of sidecarkit): npm install ${name}`, { cause: e });
  }
  m = check(m) ? m : m.default;
  peers.set(name, m);
  return m;
}

export const loadMsgpack = () => loadPeer("@msgpack/msgpack", "The MessagePack transports", (m) => Boolean(m.decodeMultiStream));

/** int64/uint64 come as BigInt (useBigInt64); those that fit a double exactly become numbers again, as in JSON. */
function smallBigints(v) {
  if (typeof v === "bigint") return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  if (v === null || typeof v !== "object" || v instanceof Uint8Array || v instanceof Date) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = smallBigints(v[i]);
    return v;
  }
  for (const k of Object.keys(v)) v[k] = smallBigints(v[k]);
  return v;
}

export class MessagePackCodec {
  constructor(msgpack, name = "msgpack") {
    this.format = "msgpack";
    this.name = name;
    this.mp = msgpack;
    this.encoder = new msgpack.Encoder({ useBigInt64: true });
  }

  encode(msg) {
    let m;
    if (msg.kind === "request") m = [0, msg.id, msg.method, msg.params ?? []];
    else if (msg.kind === "notification") m = [2, msg.method, msg.params ?? []];
    else m = [1, msg.id ?? null, msg.error ?? null, msg.error ? null : (msg.result ?? null)];
    return Buffer.from(this.encoder.encode(this.prepare(m)));
  }

  /** Maps and Sets become what MessagePack has (maps and arrays); -0 stays a float. */
  prepare(v) {
    if (v === null || typeof v !== "object" || v instanceof Uint8Array || v instanceof Date) return v;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    if (Array.isArray(v)) return v.map((x) => this.prepare(x));
    if (v instanceof Set) return [...v].map((x) => this.prepare(x));
    if (v instanceof Map) {
      const o = {};
      for (const [k, x] of v) o[String(k)] = this.prepare(x);
      return o;
    }
    if (typeof v.toJSON === "function" && !(v.constructor === Object)) return this.prepare(v.toJSON());
    const o = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = this.prepare(x);
    return o;
  }

  async read(readable, onMessage) {
    const options = { useBigInt64: true, maxStrLength: MAX_MESSAGE, maxBinLength: MAX_MESSAGE };
    for await (const raw of this.mp.decodeMultiStream(readable, options)) onMessage(this.toMessage(smallBigints(raw)));
  }

  toMessage(m) {
    const bad = (why, id = null) => ({ kind: "invalid", id, error: { code: -32600, message: `Invalid Request: ${why}` } });
    if (!Array.isArray(m)) return bad("a message must be an array.");
    const params = (p) => (p === undefined || p === null ? [] : p);
    switch (m[0]) {
      case 0:
        if (m.length !== 4 || typeof m[2] !== "string") return bad("a request is [0, msgid, method, params].", typeof m[1] === "number" ? m[1] : null);
        return { kind: "request", id: m[1], method: m[2], params: params(m[3]) };
      case 2:
        if (m.length !== 3 || typeof m[1] !== "string") return bad("a notification is [2, method, params].");
        return { kind: "notification", method: m[1], params: params(m[2]) };
      case 1: {
        if (m.length !== 4) return { kind: "drop", why: "an invalid response" };
        let error = m[2];
        if (error !== null && error !== undefined) {
          if (typeof error === "string") error = { code: -32603, message: error };
          else if (Array.isArray(error)) error = { code: error[0], message: error[1], data: error[2] };
          return { kind: "response", id: m[1], error };
        }
        return { kind: "response", id: m[1], result: m[3] };
      }
      default:
        return bad("the message type must be 0, 1 or 2.");
    }
  }
}

export async function codecFor(transport) {
  if (transport === "jsonl") return new JsonLinesCodec();
  if (transport === "msgpack" || transport === "msgpack-unix") return new MessagePackCodec(await loadMsgpack(), transport);
  throw new Error(`Unknown transport '${transport}'. Available: jsonl, msgpack, msgpack-unix.`);
}
