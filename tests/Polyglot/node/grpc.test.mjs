// The demo sidecar over gRPC (--transport grpc: h2c on loopback TCP; grpc-unix: a Unix socket), called by
// @grpc/grpc-js with the proto3 file the sidecar itself exports (--describe proto) loaded by @grpc/proto-loader:
// every demo method but demo.work (its callbacks are designed elsewhere; Sum client streaming, Chat bidirectional, Area
// with a oneof Shape), statuses with their sidecar-error-code
// trailers, deadlines, cancellation, unknown methods, sizes, compression, health and the token as
// `authorization: Bearer`.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import { after, before, describe, test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { demoHandlers, demoProtoText, loadDemoPackage } from "./grpc-demo-server.mjs";
import { INT128_MAX, SAMPLE_EDGES, Sidecar, f16round, newSample } from "./sidecar.mjs";

const opts = { timeout: 60_000 };
const seconds = () => performance.now() / 1000;
const SERVICE = "/sidecarkit.demo.Demo/";

let pkg;
const demoPackage = () => (pkg ??= loadDemoPackage(demoProtoText()));

/** A unary call as a promise: resolves to { response, error } (error a grpc-js ServiceError, with code/details/metadata). */
function unary(client, method, request, { metadata = new grpc.Metadata(), deadline } = {}) {
  return new Promise((resolve) => {
    client[method](request, metadata, deadline === undefined ? {} : { deadline }, (error, response) => resolve({ response, error }));
  });
}

/** The unary call's response; fails the test with the status when there is none. */
async function ok(client, method, request, options) {
  const { response, error } = await unary(client, method, request, options);
  if (error) assert.fail(`${method} failed: ${grpc.status[error.code]} (${error.code}) ${error.details}`);
  return response;
}

/** The unary call's error; fails the test when it succeeded. */
async function failed(client, method, request, options) {
  const { response, error } = await unary(client, method, request, options);
  if (!error) assert.fail(`${method} succeeded with ${JSON.stringify(response)}; an error was expected`);
  return error;
}

/**
 * Reads a server stream to its end: { items, error }, once both the status and the end of the items (or the error)
 * have come. `onItem(item, call)` may cancel the call.
 */
function readStream(call, onItem = () => {}) {
  return new Promise((resolve) => {
    const items = [];
    let error = null, ended = false, status = false;
    const settle = () => { if (ended && status) resolve({ items, error }); };
    call.on("data", (m) => { items.push(m.item); onItem(m.item, call); });
    call.on("end", () => { ended = true; settle(); });
    call.on("error", (e) => { error = e; ended = true; settle(); });
    call.on("status", () => { status = true; settle(); });
  });
}

const errorCode = (error) => error.metadata.get("sidecar-error-code");

/** Sample as protobuf (proto-loader's camelCase fields; map<int32,string> keys as the object's strings). */
const protoSample = (changes = {}) => {
  const sample = newSample(changes);
  return { ...sample, byId: Object.fromEntries([...sample.byId].map(([k, v]) => [String(k), v])) };
};

/** Sample: ordinary and edge values come back equal, malformed ones are INVALID_ARGUMENT -32602. */
async function checkSample(demo) {
  for (const sent of [protoSample(), protoSample(SAMPLE_EDGES)]) {
    const { result } = await ok(demo, "sample", { sample: sent });
    for (const [name, value] of Object.entries(sent)) {
      if (name === "tags") assert.deepEqual([...result.tags].sort(), [...new Set(value)].sort(), name);
      else if (name === "ratio") assert.equal(f16round(result.ratio), f16round(value), name);
      else assert.deepEqual(result[name], value, name);
    }
  }
  for (const [name, value] of [["day", "2026-13-01"], ["at", "24:00:00"], ["big", String(INT128_MAX + 1n)], ["unsigned", "-1"],
    ["release", "1.2.x"], ["byGuid", { nope: 1 }]]) {
    const e = await failed(demo, "sample", { sample: protoSample({ [name]: value }) });
    assert.equal(e.code, grpc.status.INVALID_ARGUMENT, `${name}: ${e.details}`);
    assert.deepEqual(errorCode(e), ["-32602"]);
  }
}

/** A client-streaming call: writes `requests`, ends, and resolves to { response, error }. */
function clientStream(client, method, requests, { deadline } = {}) {
  return new Promise((resolve) => {
    const call = client[method](new grpc.Metadata(), deadline === undefined ? {} : { deadline }, (error, response) => resolve({ response, error }));
    for (const r of requests) call.write(r);
    call.end();
  });
}

/**
 * A client-streaming call that honours back-pressure: each request is written when the previous one was taken (write()
 * returned true, or "drain" came); resolves to { response, error, written }.
 */
function clientStreamPaced(client, method, requests) {
  return new Promise((resolve) => {
    let written = 0;
    const call = client[method]((error, response) => resolve({ response, error, written }));
    (async () => {
      for (const r of requests) {
        written++;
        if (!call.write(r)) await new Promise((drained) => call.once("drain", drained));
      }
      call.end();
    })();
  });
}

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
/** What Download sends: byte i = i % 256. */
const demoBytes = (size) => Buffer.from(Uint8Array.from({ length: size }, (_, i) => i % 256));

/** The items of a bidirectional call, one at a time: next() resolves to the next item (null at the end). */
class Duplex {
  constructor(call) {
    Object.assign(this, { call, items: [], waiters: [], error: null, ended: false });
    call.on("data", (m) => { this.items.push(m.item); this.wake(); });
    call.on("end", () => { this.ended = true; this.wake(); });
    call.on("error", (e) => { this.error = e; this.ended = true; this.wake(); });
  }

  wake() {
    while (this.waiters.length && (this.items.length || this.ended)) this.waiters.shift()(this.items.length ? this.items.shift() : null);
  }

  next() {
    return new Promise((resolve) => { this.waiters.push(resolve); this.wake(); });
  }
}

class GrpcSidecar extends Sidecar {
  constructor(transport = "grpc", env = {}) {
    super(["--transport", transport], env);
  }

  async client() {
    const ready = await this.waitReady();
    const target = ready.transport === "grpc-unix" ? `unix://${ready.listenInfo}` : ready.listenInfo;
    const Demo = demoPackage().Demo;
    return new Demo(target, grpc.credentials.createInsecure());
  }
}

describe("grpc: the demo contract from @grpc/grpc-js", opts, () => {
  let sc, demo;
  before(async () => {
    sc = new GrpcSidecar("grpc");
    demo = await sc.client();
  });
  after(async () => {
    demo?.close();
    await sc?.kill();
  });

  test("the ready line names 127.0.0.1 and a port; the exported proto is package sidecarkit.demo, service Demo", () => {
    assert.equal(sc.ready.transport, "grpc");
    assert.match(sc.ready.listenInfo, /^127\.0\.0\.1:\d+$/);
    assert.equal(sc.ready.pid, sc.child.pid);
    const text = demoProtoText();
    assert.match(text, /^package sidecarkit\.demo;$/m);
    assert.match(text, /^service Demo \{$/m);
    assert.deepEqual(Object.keys(demoPackage().Demo.service).sort(),
      ["Add", "Area", "Blob", "Chat", "Count", "Divide", "Download", "Echo", "Exit", "Log", "Sample", "Sleep", "Steps", "Sum",
        "Upload", "Work"]);
    const { Sum, Chat, Count, Steps, Upload, Download } = demoPackage().Demo.service;
    assert.deepEqual([Sum.requestStream, Sum.responseStream], [true, false]); // client streaming
    assert.deepEqual([Chat.requestStream, Chat.responseStream], [true, true]); // bidirectional
    assert.deepEqual([Count.requestStream, Count.responseStream], [false, true]);
    assert.deepEqual([Steps.requestStream, Steps.responseStream], [false, false]); // IProgress<int>: no reports on gRPC
    assert.deepEqual([Upload.requestStream, Upload.responseStream], [true, false]); // a Stream parameter
    assert.deepEqual([Download.requestStream, Download.responseStream], [false, true]); // a Stream result
  });

  test("Add, and its overflow: INVALID_ARGUMENT with sidecar-error-code -32602", async () => {
    assert.deepEqual(await ok(demo, "add", { a: 2, b: 3 }), { result: 5 });
    assert.deepEqual(await ok(demo, "add", { a: -2147483648, b: 2147483647 }), { result: -1 });
    assert.deepEqual(await ok(demo, "add", {}), { result: 0 }); // absent fields are 0
    const e = await failed(demo, "add", { a: 2147483647, b: 1 });
    assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
    assert.deepEqual(errorCode(e), ["-32602"]);
    assert.match(e.details, /overflow/);
  });

  test("Echo: a full Person (Timestamp born, Address) and an empty one", async () => {
    const person = {
      name: "Ada 𝄞 ✓", age: 36, tags: ["math", ""],
      address: { street: "12 St James's Square", city: "London" },
      born: { seconds: "-4861697400", nanos: 123456700 }, // 1815-12-10T08:30:00.1234567Z
    };
    assert.deepEqual(await ok(demo, "echo", { person }), { result: person });
    const empty = { name: "", age: 0, tags: [], address: null, born: null };
    assert.deepEqual(await ok(demo, "echo", { person: {} }), { result: empty });
    const epoch = { ...empty, born: { seconds: "0", nanos: 0 }, address: { street: "", city: "" } };
    assert.deepEqual(await ok(demo, "echo", { person: epoch }), { result: epoch }); // present but empty messages stay present
  });

  test("Divide, and division by zero: UNKNOWN, details 'division by zero', sidecar-error-code -32010", async () => {
    assert.deepEqual(await ok(demo, "divide", { dividend: 5, divisor: 2 }), { result: 2.5 });
    assert.ok(Number.isNaN((await ok(demo, "divide", { dividend: NaN, divisor: 1 })).result));
    const e = await failed(demo, "divide", { dividend: 1, divisor: 0 });
    assert.equal(e.code, grpc.status.UNKNOWN);
    assert.equal(e.code, 2);
    assert.equal(e.details, "division by zero");
    assert.deepEqual(errorCode(e), ["-32010"]);
  });

  test("Count streams 1..N; to <= 0 streams nothing", async () => {
    const { items, error } = await readStream(demo.count({ to: 1000 }));
    assert.equal(error, null);
    assert.deepEqual(items, Array.from({ length: 1000 }, (_, i) => i + 1));
    for (const to of [0, -5]) assert.deepEqual(await readStream(demo.count({ to })), { items: [], error: null });
  });

  test("Count cancelled mid-stream: CANCELLED here, and the next calls are served", async () => {
    const { items, error } = await readStream(demo.count({ to: 1_000_000 }), (item, call) => { if (item === 10) call.cancel(); });
    assert.equal(error?.code, grpc.status.CANCELLED);
    assert.ok(items.length >= 10 && items.length < 1_000_000, `${items.length} items`);
    assert.deepEqual(items.slice(0, 10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(await ok(demo, "add", { a: 40, b: 2 }), { result: 42 });
    assert.deepEqual((await readStream(demo.count({ to: 3 }))).items, [1, 2, 3]);
  });

  test("Sum (client streaming): several values, none, a params-only message, 5000 values as an int64", async () => {
    const sum = async (requests) => {
      const { response, error } = await clientStream(demo, "sum", requests);
      if (error) assert.fail(`Sum failed: ${grpc.status[error.code]} ${error.details}`);
      return response.result; // int64: a string (longs: String)
    };
    assert.equal(await sum([1, 2, 3, 4, -5].map((values) => ({ values }))), "5");
    assert.equal(await sum([]), "0");
    assert.equal(await sum([{}, { values: 0 }, { values: 7 }, {}]), "7"); // only messages with the item field are items
    assert.equal(await sum(Array.from({ length: 5000 }, () => ({ values: 2147483647 }))), String(5000 * 2147483647));
  });

  test("Chat (bidirectional): each line comes back, prefixed, before the next is written", async () => {
    const call = demo.chat();
    const chat = new Duplex(call);
    call.write({ prefix: "re: " }); // the params alone
    const lines = ["hello", "", "ünï ✓ 🚀", "bye"];
    for (const line of lines) {
      call.write({ lines: line });
      assert.equal(await chat.next(), `re: ${line}`);
    }
    call.end();
    assert.equal(await chat.next(), null);
    assert.equal(chat.error, null);
  });

  test("Chat: the first message carries the prefix and a line; 2000 lines; none", async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i}`);
    const call = demo.chat();
    const read = readStream(call);
    call.write({ prefix: "> ", lines: lines[0] });
    for (const line of lines.slice(1)) call.write({ lines: line });
    call.end();
    assert.deepEqual(await read, { items: lines.map((l) => `> ${l}`), error: null });
    const empty = demo.chat();
    const none = readStream(empty);
    empty.write({ prefix: "x" });
    empty.end();
    assert.deepEqual(await none, { items: [], error: null });
  });

  test("Area: a oneof Shape, circle or rectangle; no case, or no shape, is INVALID_ARGUMENT -32602", async () => {
    const circle = await ok(demo, "area", { shape: { circle: { name: "c", radius: 2 } } });
    assert.ok(Math.abs(circle.result - 4 * Math.PI) < 1e-9, `${circle.result}`);
    assert.deepEqual(await ok(demo, "area", { shape: { rectangle: { name: "r", width: 2.5, height: 4 } } }), { result: 10 });
    for (const request of [{ shape: {} }, {}]) {
      const e = await failed(demo, "area", request);
      assert.equal(e.code, grpc.status.INVALID_ARGUMENT, e.details);
      assert.deepEqual(errorCode(e), ["-32602"]);
    }
  });

  test("Sample (the newer wire types): ordinary and edge values round-trip; malformed ones are INVALID_ARGUMENT -32602", async () => {
    await checkSample(demo);
  });

  test("Steps (IProgress<int> in C#): a plain unary rpc that returns steps", async () => {
    for (const steps of [0, 1, 7, 1000]) assert.deepEqual(await ok(demo, "steps", { steps }), { result: steps });
  });

  test("Upload (a Stream parameter): 3 MiB in 64 KiB UploadRequest chunks, paced by back-pressure; length:sha256", async () => {
    const data = randomBytes(3 * 1024 * 1024 + 99);
    const requests = [];
    for (let i = 0; i < data.length; i += 65536) requests.push({ data: data.subarray(i, i + 65536) });
    const { response, error, written } = await clientStreamPaced(demo, "upload", requests);
    assert.equal(error, null, error?.details);
    assert.equal(written, 49);
    assert.deepEqual(response, { result: `${data.length}:${sha256(data)}` });
  });

  test("Upload: chunks of any size (an empty one is an item, a message without data is not), none", async () => {
    const data = demoBytes(256_000);
    const cuts = [0, 0, 1, 2, 65536, 65538, 131081, data.length];
    const requests = [{}, ...cuts.slice(1).map((end, i) => ({ data: data.subarray(cuts[i], end) }))];
    let { response, error } = await clientStream(demo, "upload", requests);
    assert.equal(error, null, error?.details);
    assert.deepEqual(response, { result: `${data.length}:${sha256(data)}` });
    ({ response, error } = await clientStream(demo, "upload", []));
    assert.deepEqual([response, error], [{ result: `0:${sha256(Buffer.alloc(0))}` }, null]);
  });

  test("Download (a Stream result): 5 MiB + 7 bytes in chunks, each its own message; 0 and 300 bytes", async () => {
    const size = 5 * 1024 * 1024 + 7;
    const { items, error } = await readStream(demo.download({ size }));
    assert.equal(error, null, error?.details);
    const sizes = items.map((item) => item.length); // one size (64 KiB as SidecarKit sends them; any is taken) but the last
    assert.ok(sizes.length > 1 && new Set(sizes.slice(0, -1)).size === 1 && sizes.at(-1) > 0 && sizes.at(-1) <= sizes[0], `${sizes}`);
    assert.ok(Buffer.concat(items).equals(demoBytes(size)), "the bytes differ");
    assert.deepEqual(await readStream(demo.download({ size: 0 })), { items: [], error: null });
    const few = await readStream(demo.download({ size: "300" })); // int64: a string (longs: String) or a number
    assert.deepEqual([few.items.map((item) => Buffer.from(item)), few.error], [[demoBytes(300)], null]);
  });

  test("Download: cancelled after 20 chunks of a terabyte; a negative size is INVALID_ARGUMENT -32602", async () => {
    const { items, error } = await readStream(demo.download({ size: String(2 ** 40) }),
      (item, call) => { if (call.seen = (call.seen ?? 0) + 1, call.seen === 20) call.cancel(); });
    assert.equal(error?.code, grpc.status.CANCELLED);
    assert.ok(items.length >= 20 && items.length < 1000, `${items.length} chunks`);
    const first = items.slice(0, 20);
    assert.equal(new Set(first.map((item) => item.length)).size, 1);
    assert.ok(Buffer.concat(first).equals(demoBytes(20 * first[0].length)), "the bytes differ");
    const negative = await readStream(demo.download({ size: -1 }));
    assert.equal(negative.error?.code, grpc.status.INVALID_ARGUMENT, negative.error?.details);
    assert.deepEqual(errorCode(negative.error), ["-32602"]);
    assert.match(negative.error.details, /size must not be negative/);
    assert.deepEqual(await ok(demo, "add", { a: 1, b: 1 }), { result: 2 });
  });

  test("Sleep returns 'slept'; with a deadline it ends DEADLINE_EXCEEDED, well before its time", async () => {
    assert.deepEqual(await ok(demo, "sleep", { milliseconds: 10 }), { result: "slept" });
    const started = seconds();
    const e = await failed(demo, "sleep", { milliseconds: 60_000 }, { deadline: Date.now() + 300 });
    assert.equal(e.code, grpc.status.DEADLINE_EXCEEDED);
    assert.ok(seconds() - started < 30, `${seconds() - started} s`);
    // A deadline that leaves time enough is no error.
    assert.deepEqual(await ok(demo, "sleep", { milliseconds: 50 }, { deadline: Date.now() + 10_000 }), { result: "slept" });
  });

  test("Sleep cancelled by the client: CANCELLED, at once", async () => {
    const started = seconds();
    const e = await new Promise((resolve) => {
      const call = demo.sleep({ milliseconds: 60_000 }, (error) => resolve(error));
      setTimeout(() => call.cancel(), 200);
    });
    assert.equal(e?.code, grpc.status.CANCELLED);
    assert.ok(seconds() - started < 30);
    assert.deepEqual(await ok(demo, "add", { a: 1, b: 1 }), { result: 2 });
  });

  test("Blob: 1 MiB, byte i = i % 256; size 0 is empty", async () => {
    const { result } = await ok(demo, "blob", { size: 1 << 20 });
    assert.ok(Buffer.isBuffer(result));
    assert.equal(result.length, 1 << 20);
    const expected = Buffer.alloc(1 << 20);
    for (let i = 0; i < expected.length; i++) expected[i] = i % 256;
    assert.ok(result.equals(expected), "the bytes differ from i % 256");
    assert.equal((await ok(demo, "blob", { size: 0 })).result.length, 0);
  });

  test("Log answers google.protobuf.Empty, and the message reaches the sidecar's log", async () => {
    const marker = `node-grpc-log-${randomBytes(4).toString("hex")}`;
    assert.deepEqual(await ok(demo, "log", { message: marker }), {});
    assert.ok(await sc.waitFor(() => sc.stderr.includes(`demo.log: ${marker}`)), "the log line never appeared");
  });

  test("Timestamp: DateTimeOffset's range kept to 100 ns; outside it or malformed, INVALID_ARGUMENT", async () => {
    const echoBorn = (born) => unary(demo, "echo", { person: { name: "t", born } });
    for (const born of [{ seconds: "-62135596800", nanos: 0 }, { seconds: "253402300799", nanos: 999999900 }, { seconds: "0", nanos: 0 }]) {
      const { response, error } = await echoBorn(born);
      assert.equal(error, null, JSON.stringify(born));
      assert.deepEqual(response.result.born, born);
    }
    assert.deepEqual((await echoBorn({ seconds: "1", nanos: 123456789 })).response.result.born, { seconds: "1", nanos: 123456700 });
    for (const born of [{ seconds: "253402300800", nanos: 0 }, { seconds: "-62135596801", nanos: 0 },
      { seconds: "0", nanos: -1 }, { seconds: "0", nanos: 1_000_000_000 }]) {
      const { error } = await echoBorn(born);
      assert.equal(error?.code, grpc.status.INVALID_ARGUMENT, JSON.stringify(born));
      assert.deepEqual(errorCode(error), ["-32602"]);
    }
  });

  test("large requests: 3 MiB is echoed; 5 MiB is RESOURCE_EXHAUSTED; the channel goes on", async () => {
    const name = "n".repeat(3 << 20);
    assert.equal((await ok(demo, "echo", { person: { name } })).result.name, name);
    const e = await failed(demo, "echo", { person: { name: "n".repeat(5 << 20) } });
    assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.deepEqual(await ok(demo, "add", { a: 1, b: 2 }), { result: 3 });
  });

  test("requests compressed by grpc-js: gzip is read; deflate is UNIMPLEMENTED naming what the server takes", async () => {
    const Demo = demoPackage().Demo;
    const gzip = new Demo(sc.ready.listenInfo, grpc.credentials.createInsecure(), { "grpc.default_compression_algorithm": 2 });
    const deflate = new Demo(sc.ready.listenInfo, grpc.credentials.createInsecure(), { "grpc.default_compression_algorithm": 1 });
    try {
      assert.deepEqual(await ok(gzip, "add", { a: 2, b: 3 }), { result: 5 });
      const name = "z".repeat(1 << 20);
      assert.equal((await ok(gzip, "echo", { person: { name } })).result.name, name);
      const e = await failed(deflate, "add", { a: 2, b: 3 });
      assert.equal(e.code, grpc.status.UNIMPLEMENTED);
      assert.deepEqual(e.metadata.get("grpc-accept-encoding"), ["identity,gzip"]);
    } finally {
      gzip.close();
      deflate.close();
    }
  });

  test("an unknown method or service: UNIMPLEMENTED", async () => {
    const raw = (p) => new Promise((resolve) => {
      demo.makeUnaryRequest(p, (b) => b, (b) => b, Buffer.alloc(0), (error, response) => resolve({ error, response }));
    });
    for (const p of [`${SERVICE}Nope`, "/sidecarkit.demo.Nope/Add", `${SERVICE}add`]) {
      const { error } = await raw(p);
      assert.equal(error?.code, grpc.status.UNIMPLEMENTED, p);
    }
    assert.deepEqual(await ok(demo, "add", { a: 1, b: 2 }), { result: 3 });
  });

  test("several calls at once on one channel: a long Sleep does not hold up the others", async () => {
    // Order, not time: the sleep is still running when every add has answered.
    let sleepEnded = false;
    let sleepCall;
    const sleeping = new Promise((resolve) => {
      sleepCall = demo.sleep({ milliseconds: 60_000 }, (error) => { sleepEnded = true; resolve(error); });
    });
    const sums = await Promise.all(Array.from({ length: 20 }, (_, i) => ok(demo, "add", { a: i, b: i })));
    assert.deepEqual(sums.map((r) => r.result), Array.from({ length: 20 }, (_, i) => 2 * i));
    assert.equal(sleepEnded, false, "the adds waited for the sleep");
    sleepCall.cancel();
    assert.equal((await sleeping)?.code, grpc.status.CANCELLED);
  });
});

describe("grpc: the grpc-js demo server (grpc-demo-server.mjs) serves Sum, Chat, Area, Steps, Upload and Download as the sidecar does", opts, () => {
  let server, demo;
  before(async () => {
    server = new grpc.Server();
    server.addService(demoPackage().Demo.service, demoHandlers);
    const port = await new Promise((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(),
      (error, p) => (error ? reject(error) : resolve(p))));
    demo = new (demoPackage().Demo)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  after(() => {
    demo?.close();
    server?.forceShutdown();
  });

  test("Sum: several values, none, params-only messages", async () => {
    for (const [requests, total] of [[[1, 2, 3, 4, -5].map((values) => ({ values })), "5"], [[], "0"],
      [[{}, { values: 0 }, { values: 2147483647 }, { values: 2147483647 }], "4294967294"]]) {
      const { response, error } = await clientStream(demo, "sum", requests);
      assert.equal(error, null);
      assert.deepEqual(response, { result: total });
    }
  });

  test("Chat: interleaved, the prefix from the first message", async () => {
    const call = demo.chat();
    const chat = new Duplex(call);
    call.write({ prefix: "re: ", lines: "a" });
    assert.equal(await chat.next(), "re: a");
    call.write({ lines: "b" });
    assert.equal(await chat.next(), "re: b");
    call.end();
    assert.equal(await chat.next(), null);
    assert.equal(chat.error, null);
  });

  test("Steps answers steps; Upload answers length:sha256; Download streams chunks, and a negative size is -32602", async () => {
    assert.deepEqual(await ok(demo, "steps", { steps: 9 }), { result: 9 });
    const data = randomBytes(300_000);
    const requests = [{}, { data: data.subarray(0, 1) }, { data: data.subarray(1, 100_001) }, { data: data.subarray(100_001) }];
    const { response, error } = await clientStreamPaced(demo, "upload", requests);
    assert.deepEqual([response, error], [{ result: `${data.length}:${sha256(data)}` }, null]);
    const size = 200_000;
    const download = await readStream(demo.download({ size }));
    assert.equal(download.error, null);
    assert.ok(Buffer.concat(download.items).equals(demoBytes(size)), "the bytes differ");
    assert.deepEqual(download.items.map((item) => item.length), [65536, 65536, 65536, 3392]);
    const negative = await readStream(demo.download({ size: -1 }));
    assert.equal(negative.error?.code, grpc.status.INVALID_ARGUMENT);
    assert.deepEqual(errorCode(negative.error), ["-32602"]);
  });

  test("Area: circle, rectangle, and no case: INVALID_ARGUMENT -32602", async () => {
    assert.ok(Math.abs((await ok(demo, "area", { shape: { circle: { name: "c", radius: 2 } } })).result - 4 * Math.PI) < 1e-9);
    assert.deepEqual(await ok(demo, "area", { shape: { rectangle: { name: "r", width: 2.5, height: 4 } } }), { result: 10 });
    for (const request of [{ shape: {} }, {}]) {
      const e = await failed(demo, "area", request);
      assert.equal(e.code, grpc.status.INVALID_ARGUMENT, e.details);
      assert.deepEqual(errorCode(e), ["-32602"]);
    }
  });
});

describe("grpc: responses gzipped by the sidecar (DEMO_GRPC_COMPRESS=1)", opts, () => {
  let sc, demo;
  before(async () => {
    sc = new GrpcSidecar("grpc", { DEMO_GRPC_COMPRESS: "1" });
    demo = await sc.client();
  });
  after(async () => {
    demo?.close();
    await sc?.kill();
  });

  test("grpc-js inflates large answers (Blob 1 MiB, a long Echo) and reads small ones sent plain", async () => {
    const { result } = await ok(demo, "blob", { size: 1 << 20 });
    const expected = Buffer.alloc(1 << 20);
    for (let i = 0; i < expected.length; i++) expected[i] = i % 256;
    assert.ok(result.equals(expected), "the bytes differ from i % 256");
    const person = { name: "ü".repeat(100_000), age: 3, tags: ["a", "b"] };
    const echoed = (await ok(demo, "echo", { person })).result;
    assert.deepEqual([echoed.name, echoed.age, echoed.tags], [person.name, person.age, person.tags]);
    assert.deepEqual(await ok(demo, "add", { a: 3, b: 4 }), { result: 7 });
  });

  test("the 4 MiB limit applies to the inflated size: Blob 5 MiB is RESOURCE_EXHAUSTED", async () => {
    const e = await failed(demo, "blob", { size: 5 << 20 });
    assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED, e.details);
    assert.deepEqual(await ok(demo, "add", { a: 1, b: 2 }), { result: 3 });
  });
});

describe("grpc: the token as authorization: Bearer", opts, () => {
  const token = randomBytes(16).toString("hex");
  let sc, demo;
  before(async () => {
    sc = new GrpcSidecar("grpc", { SIDECAR_TOKEN: token });
    demo = await sc.client();
  });
  after(async () => {
    demo?.close();
    await sc?.kill();
  });

  const bearer = (value) => {
    const m = new grpc.Metadata();
    if (value !== undefined) m.set("authorization", value);
    return m;
  };

  test("no authorization, another token, or a malformed header: UNAUTHENTICATED, and nothing runs", async () => {
    const marker = `node-grpc-unauth-${randomBytes(4).toString("hex")}`;
    const other = randomBytes(16).toString("hex");
    for (const value of [undefined, `Bearer ${other}`, token, `Basic ${token}`, `Bearer ${token}x`, "Bearer "]) {
      const e = await failed(demo, "add", { a: 1, b: 2 }, { metadata: bearer(value) });
      assert.equal(e.code, grpc.status.UNAUTHENTICATED, String(value));
      const l = await failed(demo, "log", { message: marker }, { metadata: bearer(value) });
      assert.equal(l.code, grpc.status.UNAUTHENTICATED, String(value));
    }
    const s = await readStream(demo.count({ to: 3 }, bearer(`Bearer ${other}`)));
    assert.deepEqual([s.items, s.error?.code], [[], grpc.status.UNAUTHENTICATED]);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sc.stderr.includes(marker), false, "demo.log ran without the token");
  });

  test("grpc.health.v1.Health/Check answers without the token: SERVING for the server and for sidecarkit.demo.Demo", async () => {
    const check = (service) => new Promise((resolve) => {
      const request = Buffer.concat([Buffer.from([0x0a, service.length]), Buffer.from(service)]); // HealthCheckRequest.service
      demo.makeUnaryRequest("/grpc.health.v1.Health/Check", (b) => b, (b) => b, service ? request : Buffer.alloc(0),
        (error, response) => resolve({ error, response }));
    });
    for (const service of ["", "sidecarkit.demo.Demo"]) {
      const { error, response } = await check(service);
      assert.equal(error, null, service);
      assert.deepEqual([...response], [0x08, 0x01], service); // status = SERVING
    }
    assert.equal((await check("sidecarkit.nope.Nope")).error?.code, grpc.status.NOT_FOUND);
  });

  test("the right token works, per call or added to every call by an interceptor", async () => {
    assert.deepEqual(await ok(demo, "add", { a: 2, b: 3 }, { metadata: bearer(`Bearer ${token}`) }), { result: 5 });
    const s = await readStream(demo.count({ to: 3 }, bearer(`Bearer ${token}`)));
    assert.deepEqual([s.items, s.error], [[1, 2, 3], null]);
    // grpc-js sends call credentials only on secure channels; over h2c an interceptor adds the header.
    const interceptor = (options, next) => new grpc.InterceptingCall(next(options), {
      start(metadata, listener, nextStart) {
        metadata.set("authorization", `Bearer ${token}`);
        nextStart(metadata, listener);
      },
    });
    const Demo = demoPackage().Demo;
    const authed = new Demo(sc.ready.listenInfo, grpc.credentials.createInsecure(), { interceptors: [interceptor] });
    try {
      assert.deepEqual(await ok(authed, "echo", { person: { name: "t" } }),
        { result: { name: "t", age: 0, tags: [], address: null, born: null } });
    } finally {
      authed.close();
    }
  });
});

describe("grpc-unix: the demo contract over a Unix socket", opts, () => {
  let sc, demo;
  before(async () => {
    sc = new GrpcSidecar("grpc-unix");
    demo = await sc.client();
  });
  after(async () => {
    demo?.close();
    await sc?.kill();
  });

  test("the socket is private; Add, Echo, Count and a Divide error work over it", async () => {
    assert.equal(sc.ready.transport, "grpc-unix");
    const st = fs.statSync(sc.ready.listenInfo);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    assert.deepEqual(await ok(demo, "add", { a: 20, b: 22 }), { result: 42 });
    assert.deepEqual(await ok(demo, "echo", { person: { name: "u", tags: ["x"] } }),
      { result: { name: "u", age: 0, tags: ["x"], address: null, born: null } });
    assert.deepEqual((await readStream(demo.count({ to: 5 }))).items, [1, 2, 3, 4, 5]);
    const e = await failed(demo, "divide", { dividend: 1, divisor: 0 });
    assert.deepEqual([e.code, e.details, errorCode(e)], [grpc.status.UNKNOWN, "division by zero", ["-32010"]]);
  });

  test("Sample over the socket: the newer wire types round-trip; malformed ones are INVALID_ARGUMENT -32602", async () => {
    await checkSample(demo);
  });

  test("end of stdin stops the sidecar and removes the socket", async () => {
    const sock = sc.ready.listenInfo;
    demo.close();
    sc.child.stdin.end();
    assert.deepEqual(await sc.exit(), { code: 0, signal: null });
    assert.equal(fs.existsSync(sock), false, "the socket is left behind");
  });
});
