// What the Node suites share: a MessagePack-RPC client on @msgpack/msgpack (an independent implementation) over any
// pair of streams (a Unix socket, or a child's stdout/stdin), and starting/stopping the demo sidecar.
// Every read has a timeout, every sidecar started here is killed by its suite's after hook (and at process exit).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  Encoder, ExtensionCodec, EXT_TIMESTAMP, decodeMulti, decodeMultiStream, decodeTimestampToTimeSpec, encodeTimeSpecToTimestamp,
} from "@msgpack/msgpack";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const DLL = process.env.DEMO_SIDECAR_DLL
  || path.join(ROOT, "samples/Demo/Sidecar/bin/Release/net10.0/SidecarKit.Samples.Demo.Sidecar.dll");
export const TIMEOUT = 10_000; // ms for any one message, the ready line, a log line or an exit
const READY_PREFIX = "__SIDECAR_READY__:";

/** A MessagePack timestamp (ext -1) kept exactly: seconds and nanoseconds, as Date cannot (it has milliseconds). */
export class Timestamp {
  constructor(sec, nsec = 0) {
    this.sec = sec;
    this.nsec = nsec;
  }

  /** From an ISO 8601 instant with up to 9 fractional digits ("1815-12-10T08:30:00.1234567Z"). */
  static parse(iso) {
    const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(iso);
    if (!m) throw new Error(`not an instant: ${iso}`);
    const ms = Date.parse(`${m[1]}Z`);
    if (Number.isNaN(ms)) throw new Error(`not an instant: ${iso}`);
    return new Timestamp(ms / 1000, Number((m[2] ?? "").padEnd(9, "0")));
  }

  /** The same instant, written in the 96-bit form whatever its value (a valid, not the smallest, encoding). */
  as96() {
    const t = new Timestamp(this.sec, this.nsec);
    Object.defineProperty(t, "force96", { value: true }); // not enumerable: deepStrictEqual ignores it
    return t;
  }
}

function encodeTimestamp(t) {
  if (!(t instanceof Timestamp)) return null;
  if (!t.force96) return encodeTimeSpecToTimestamp(t);
  const data = new Uint8Array(12), view = new DataView(data.buffer);
  view.setUint32(0, t.nsec);
  view.setBigInt64(4, BigInt(t.sec));
  return data;
}

function decodeTimestamp(data) {
  const t = new Timestamp(0, 0);
  Object.assign(t, decodeTimestampToTimeSpec(data));
  Object.defineProperty(t, "size", { value: data.byteLength }); // 4, 8 or 12: which form the sender chose
  return t;
}

export const extensionCodec = new ExtensionCodec();
extensionCodec.register({ type: EXT_TIMESTAMP, encode: encodeTimestamp, decode: decodeTimestamp }); // replaces Date

// int64/uint64 on the wire are bigint on both sides; a bigint is always written as int64/uint64 (9 bytes).
export const decodeOptions = { extensionCodec, useBigInt64: true };
export const encoder = new Encoder({ extensionCodec, useBigInt64: true });
export const floatEncoder = new Encoder({ extensionCodec, useBigInt64: true, forceIntegerToFloat: true });
export const float32Encoder = new Encoder({ extensionCodec, useBigInt64: true, forceIntegerToFloat: true, forceFloat32: true });
export const encode = (value) => encoder.encode(value);

/** [0, msgid, method, params] with params written by paramEncoder (e.g. floatEncoder: JS numbers 1 and -0 as float64). */
export function requestBytes(msgid, method, params, paramEncoder = encoder) {
  return Buffer.concat([Buffer.of(0x94), encode(0), encode(msgid), encode(method), paramEncoder.encode(params)]);
}

export class ClosedError extends Error {
  constructor(cause) {
    super("the sidecar closed the connection", { cause });
  }
}

const sameId = (a, b) => typeof a === typeof b ? a === b : BigInt(a) === BigInt(b);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A MessagePack-RPC connection: messages decoded by decodeMultiStream as they arrive, raw bytes kept too. */
export class Connection {
  constructor(readable, writable) {
    this.out = writable;
    this.inbox = [];
    this.waiter = null;
    this.ended = false;
    this.endError = null;
    this.chunks = [];
    this.received = 0; // bytes
    writable.on("error", () => {}); // writing to a connection the sidecar closed: the read side reports it
    const self = this;
    async function* tee() {
      for await (const chunk of readable) {
        self.chunks.push(chunk);
        self.received += chunk.length;
        yield chunk;
      }
    }
    (async () => {
      try {
        for await (const message of decodeMultiStream(tee(), decodeOptions)) {
          this.inbox.push(message);
          this.waiter?.();
        }
      } catch (e) {
        this.endError = e; // ECONNRESET, or bytes @msgpack/msgpack could not decode
      } finally {
        this.ended = true;
        this.waiter?.();
      }
    })();
  }

  sendBytes(bytes) {
    this.out.write(bytes);
  }

  send(message) {
    this.sendBytes(encode(message));
  }

  /** The next message; rejects with ClosedError at end of stream, or with an Error after `timeout` ms. */
  next(timeout = TIMEOUT) {
    if (this.inbox.length) return Promise.resolve(this.inbox.shift());
    if (this.ended) return Promise.reject(new ClosedError(this.endError));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no message from the sidecar within ${timeout} ms`));
      }, timeout);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = null;
        if (this.inbox.length) resolve(this.inbox.shift());
        else reject(new ClosedError(this.endError));
      };
    });
  }

  /** The raw bytes received since `mark` (a value of this.received). */
  bytesSince(mark) {
    return Buffer.concat(this.chunks).subarray(mark);
  }

  /**
   * Sends a request and returns its response. Answers demoEvents.confirm with `confirm` (when given); every other
   * message read meanwhile goes to `seen`. `paramEncoder` writes the params (see requestBytes).
   */
  async call(msgid, method, params, { confirm, seen, paramEncoder } = {}) {
    this.sendBytes(requestBytes(msgid, method, params, paramEncoder));
    for (;;) {
      const m = await this.next();
      if (m[0] === 1 && m[1] !== null && sameId(m[1], msgid)) return m;
      if (m[0] === 0 && m[2] === "demoEvents.confirm" && confirm !== undefined) this.send([1, m[1], null, confirm]);
      seen?.push(m);
    }
  }

  /** True when the sidecar ends this connection without having sent a single byte. */
  async closedWithoutAnswer() {
    try {
      await this.next();
      return false;
    } catch (e) {
      if (e instanceof ClosedError) return this.received === 0;
      throw e;
    }
  }

  /** Reads until the sidecar ends the connection; returns what came meanwhile (rejects after a timeout). */
  async untilClosed() {
    const seen = [];
    for (;;) {
      try {
        seen.push(await this.next());
      } catch (e) {
        if (e instanceof ClosedError) return seen;
        throw e;
      }
    }
  }

  close() {
    this.out.destroy?.();
  }
}

const live = new Set();
process.on("exit", () => { for (const child of live) child.kill("SIGKILL"); });

/** One demo sidecar process: stdin a pipe held open until kill() (the sidecar exits at end of stdin). */
export class Sidecar {
  constructor(args, env = {}, stdout = "ignore") {
    this.child = spawn("dotnet", [DLL, ...args], { env: { ...process.env, ...env }, stdio: ["pipe", stdout, "pipe"] });
    live.add(this.child);
    this.stderr = "";
    this.ready = null;
    this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => {
      live.delete(this.child);
      resolve({ code, signal });
    }));
    this.child.on("error", (e) => { this.spawnError = e; });
    this.child.stdin.on("error", () => {});
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (text) => {
      this.stderr += text;
      if (this.ready === null) {
        const line = this.stderr.split("\n").find((l) => l.startsWith(READY_PREFIX) && this.stderr.includes(`${l}\n`));
        if (line) this.ready = JSON.parse(line.slice(READY_PREFIX.length));
      }
    });
  }

  get running() {
    return this.child.exitCode === null && this.child.signalCode === null && !this.spawnError;
  }

  /** Polls `predicate` until it holds (true) or the process is gone or `timeout` ms passed (false). */
  async waitFor(predicate, timeout = TIMEOUT) {
    const end = Date.now() + timeout;
    while (!predicate()) {
      if (!this.running || Date.now() > end) return Boolean(predicate());
      await sleep(20);
    }
    return true;
  }

  async waitReady() {
    if (!(await this.waitFor(() => this.ready !== null, 30_000)))
      throw new Error(`no ${READY_PREFIX} line; stderr:\n${this.stderr.slice(-2000)}`);
    return this.ready;
  }

  /** Resolves to { code, signal } once the process has exited, or rejects after `timeout` ms. */
  async exit(timeout = TIMEOUT) {
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the sidecar is still running after ${timeout} ms`)), timeout);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends stdin (the sidecar then stops and removes its socket); kills it if it has not exited within 5 s. */
  async kill() {
    if (this.running) {
      this.child.stdin.end();
      try {
        await this.exit(5000);
      } catch {
        this.child.kill("SIGKILL");
      }
    }
    await this.exited;
  }
}

/** `--transport msgpack-unix` with a fresh SIDECAR_TOKEN; connect() opens a socket (and says $/hello by default). */
export class UnixSidecar extends Sidecar {
  constructor(extra = []) {
    const token = randomBytes(16).toString("hex");
    super(["--transport", "msgpack-unix", ...extra], { SIDECAR_TOKEN: token });
    this.token = token;
  }

  get path() {
    return this.ready.listenInfo;
  }

  async connect({ hello = true, token = this.token } = {}) {
    const socket = net.createConnection(this.path);
    await new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const c = new Connection(socket, socket);
    if (hello) c.send([2, "$/hello", [{ token }]]);
    return c;
  }
}

/** `--transport msgpack` on stdio: the connection is the child's stdout and stdin. */
export class StdioSidecar extends Sidecar {
  constructor() {
    super(["--transport", "msgpack"], {}, "pipe");
    this.conn = new Connection(this.child.stdout, this.child.stdin);
  }
}

/** x rounded to the nearest IEEE half (binary16), ties to even, as .NET's Half compares (Node 20 has no Math.f16round). */
export function f16round(x) {
  if (!Number.isFinite(x) || x === 0) return x;
  const sign = Math.sign(x), a = Math.abs(x);
  if (a >= 65520) return sign * Infinity;
  let e = Math.max(Math.floor(Math.log2(a)), -14);
  if (e > -14 && 2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  const step = 2 ** (e - 10), n = a / step;
  let r = Math.round(n);
  if (n - Math.floor(n) === 0.5 && r % 2 !== 0) r--;
  return sign * r * step;
}

/**
 * demo.sample's Sample (tests/EndToEnd.Tests/DemoStreamingTests.cs NewSample()) with `changes`: the newer wire types as
 * JSON and MessagePack carry them (section 6 of docs/protocol.md): dates, times, Int128/UInt128, Uri and Version as
 * strings, Half as a number, the set and the immutable array as arrays, maps with int keys (a Map here, so that
 * MessagePack writes native integer keys) and Guid keys as strings.
 */
export const INT128_MIN = -(2n ** 127n), INT128_MAX = 2n ** 127n - 1n, UINT128_MAX = 2n ** 128n - 1n;
export function newSample(changes = {}) {
  return {
    day: "2026-12-07", at: "23:59:58.123456", big: String(INT128_MAX - 5n), unsigned: String(UINT128_MAX / 3n),
    ratio: 0.333, link: "https://example.com/a?b=c#d", release: "1.2.3.4", tags: ["x", "y"], scores: [3, 1, 2],
    counts: { a: 1, b: -2 }, byId: new Map([[-1, "minus one"], [7, "seven"]]),
    byGuid: { "0f8fad5b-d9cb-469f-a165-70867728950e": 42 }, note: "required", ...changes,
  };
}
export const SAMPLE_EDGES = {
  day: "0001-01-01", at: "00:00:00", big: String(INT128_MIN), unsigned: String(UINT128_MAX), ratio: 65504,
  tags: [], scores: [], counts: {}, byId: new Map(), byGuid: {}, note: "",
};

/**
 * A demo.sample request as bytes: @msgpack/msgpack writes a Map as a map of its string keys only, so a Map member (byId)
 * is written by hand, its keys as MessagePack integers, the rest by `paramEncoder`.
 */
export function sampleRequestBytes(msgid, sample, paramEncoder = encoder) {
  const members = Object.entries(sample);
  const parts = [Buffer.of(0x94), encode(0), encode(msgid), encode("demo.sample"), Buffer.of(0x91, 0x80 | members.length)];
  for (const [name, value] of members) {
    parts.push(encode(name));
    if (value instanceof Map) {
      parts.push(Buffer.of(0x80 | value.size));
      for (const [k, v] of value) parts.push(encode(k), paramEncoder.encode(v));
    } else {
      parts.push(paramEncoder.encode(value));
    }
  }
  return Buffer.concat(parts);
}

/** The messages in `bytes`, map keys that are MessagePack integers read as "int:<n>" (strings stay as they are). */
export function decodeKeepingIntKeys(bytes) {
  return [...decodeMulti(bytes, { ...decodeOptions, mapKeyConverter: (k) => (typeof k === "string" ? k : `int:${k}`) })];
}
