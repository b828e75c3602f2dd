// The demo sidecar over MessagePack-RPC on a Unix socket (--transport msgpack-unix), from Node's node:net and
// @msgpack/msgpack: $/hello with the token first, then every demo method (streamed parameters and a polymorphic one
// too, progress reports, Stream parameters and results as bin chunks), callbacks, cancellation, and refusals.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import {
  SAMPLE_EDGES, Timestamp, UnixSidecar, decodeKeepingIntKeys, f16round, floatEncoder, newSample, sampleRequestBytes,
} from "./sidecar.mjs";

const opts = { timeout: 30_000 };
const seconds = () => performance.now() / 1000;

describe("msgpack-unix: the demo contract", opts, () => {
  let sc, c, ready;
  before(async () => {
    sc = new UnixSidecar();
    await sc.waitReady();
  });
  after(() => sc?.kill());
  beforeEach(async () => {
    c = await sc.connect();
    ready = await c.next();
  });
  afterEach(() => c?.close());

  test("ready line on stderr names a private socket", () => {
    assert.equal(sc.ready.transport, "msgpack-unix");
    assert.equal(sc.ready.pid, sc.child.pid);
    const st = fs.statSync(sc.path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(sc.path)).mode & 0o777, 0o700);
  });

  test("lifecycle.ready follows $/hello on the connection", () => {
    assert.equal(ready[0], 2);
    assert.equal(ready[1], "lifecycle.ready");
    assert.deepEqual(ready[2].slice(4, 6), ["msgpack-unix", sc.path]);
    assert.equal(ready[2][2], sc.child.pid);
    assert.deepEqual(ready[2][6].map((x) => x.name), ["demo"]);
  });

  test("demo.add, its overflow error, and int64/uint64 encodings of int32 arguments", async () => {
    assert.deepEqual(await c.call(1, "demo.add", [2, 3]), [1, 1, null, 5]);
    assert.deepEqual(await c.call(2, "demo.add", [2147483646, 1]), [1, 2, null, 2147483647]);
    assert.equal((await c.call(3, "demo.add", [2147483647, 1]))[2].code, -32602);
    assert.deepEqual(await c.call(4, "demo.add", [-2147483648n, 7n]), [1, 4, null, -2147483641]); // 9-byte forms
    assert.equal((await c.call(5, "demo.add", [2n ** 63n - 1n, 0]))[2].code, -32602);
  });

  test("demo.echo: a Person with an Address and a timestamp with nanoseconds", async () => {
    const person = {
      name: "Ada ✓", age: 36, tags: ["math", ""],
      address: { street: "12 St James's Square", city: "London" },
      born: Timestamp.parse("1815-12-10T08:30:00.1234567Z"),
    };
    const r = await c.call(6, "demo.echo", [person]);
    assert.deepEqual(r, [1, 6, null, person]);
    assert.equal(r[3].born.size, 12); // before 1970: the 96-bit form
  });

  test("demo.divide: the error is a map, NaN and -0 travel as floats", async () => {
    assert.deepEqual(await c.call(7, "demo.divide", [1, 0], { paramEncoder: floatEncoder }),
      [1, 7, { code: -32010, message: "division by zero" }, null]);
    assert.deepEqual(await c.call(8, "demo.divide", [5, 2], { paramEncoder: floatEncoder }), [1, 8, null, 2.5]);
    assert.ok(Number.isNaN((await c.call(9, "demo.divide", [NaN, 1], { paramEncoder: floatEncoder }))[3]));
    assert.ok(Object.is((await c.call(10, "demo.divide", [-0, 1], { paramEncoder: floatEncoder }))[3], -0));
  });

  test("demo.count streams its items, then the count", async () => {
    const seen = [];
    assert.deepEqual(await c.call(11, "demo.count", [5], { seen }), [1, 11, null, 5]);
    assert.deepEqual(seen, [1, 2, 3, 4, 5].map((i) => [2, "$/stream.item", [11, i]]));
  });

  test("demo.sleep returns, and $/cancelRequest cancels it with -32800", async () => {
    assert.deepEqual(await c.call(12, "demo.sleep", [10]), [1, 12, null, "slept"]);
    const started = seconds();
    c.send([0, 13, "demo.sleep", [30000]]);
    c.send([2, "$/cancelRequest", [13]]);
    const m = await c.next();
    assert.deepEqual([m[0], m[1], m[2]?.code, m[3]], [1, 13, -32800, null]);
    assert.ok(seconds() - started < 20, "the cancelled 30 s sleep ran on");
  });

  test("demo.blob is bin, byte i = i % 256", async () => {
    const r = await c.call(14, "demo.blob", [1000]);
    assert.ok(r[3] instanceof Uint8Array);
    assert.deepEqual(Buffer.from(r[3]), Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256)));
    assert.equal((await c.call(15, "demo.blob", [0]))[3].length, 0);
  });

  test("demo.log is a notification: no answer, and it runs", async () => {
    const marker = `node-unix-log-${randomBytes(4).toString("hex")}`;
    c.send([2, "demo.log", [marker]]);
    assert.deepEqual(await c.call(16, "demo.add", [1, 1]), [1, 16, null, 2]); // nothing came before this answer
    assert.ok(await sc.waitFor(() => sc.stderr.includes(`demo.log: ${marker}`)), "the log line never appeared");
  });

  test("demo.work calls demoEvents.progress and demoEvents.confirm on the client; confirmed", async () => {
    const seen = [];
    assert.deepEqual(await c.call(17, "demo.work", [4], { confirm: true, seen }), [1, 17, null, 4]);
    assert.deepEqual(seen.filter((m) => m[0] === 2), [0, 25, 50, 75].map((p) => [2, "demoEvents.progress", ["work", p]]));
    const asked = seen.filter((m) => m[0] === 0);
    assert.equal(asked.length, 1);
    assert.deepEqual(asked[0].slice(2), ["demoEvents.confirm", ["commit?"]]);
  });

  test("demo.work declined by the client: -32011", async () => {
    const m = await c.call(18, "demo.work", [2], { confirm: false });
    assert.deepEqual([m[0], m[1], m[2]?.code, m[3]], [1, 18, -32011, null]);
  });

  test("a wrong token: closed without an answer, other connections untouched", async () => {
    const bad = await sc.connect({ token: randomBytes(16).toString("hex") });
    bad.send([0, 1, "demo.add", [1, 2]]);
    assert.equal(await bad.closedWithoutAnswer(), true);
    bad.close();
    assert.deepEqual(await c.call(19, "demo.add", [1, 2]), [1, 19, null, 3]);
  });

  test("no $/hello first: closed without an answer, nothing run", async () => {
    const marker = `node-unix-nohello-${randomBytes(4).toString("hex")}`;
    for (const first of [[0, 1, "demo.add", [1, 2]], [2, "demo.log", [marker]], [2, "$/hello", [{}]], "hello"]) {
      const bad = await sc.connect({ hello: false });
      bad.send(first);
      assert.equal(await bad.closedWithoutAnswer(), true, JSON.stringify(first));
      bad.close();
    }
    assert.deepEqual(await c.call(20, "demo.add", [1, 2]), [1, 20, null, 3]);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sc.stderr.includes(marker), false, "demo.log ran before $/hello");
  });

  test("over-deep input closes that connection only", async () => {
    let deep = 0;
    for (let i = 0; i < 62; i++) deep = [deep]; // envelope + params + Person + 62 arrays = 65 levels: over 64
    const bad = await sc.connect();
    try {
      assert.equal((await bad.next())[1], "lifecycle.ready");
      bad.send([0, 1, "demo.echo", [{ name: "n", age: 1, tags: [], address: null, born: null, x: deep }]]);
      assert.deepEqual((await bad.untilClosed()).filter((m) => m[0] !== 2), []);
    } finally {
      bad.close();
    }
    assert.deepEqual(await c.call(21, "demo.add", [1, 2]), [1, 21, null, 3]);
  });

  test("a fresh connection is served after a refused one", async () => {
    const bad = await sc.connect({ token: "0".repeat(32) });
    assert.equal(await bad.closedWithoutAnswer(), true);
    bad.close();
    const fresh = await sc.connect();
    try {
      assert.equal((await fresh.next())[1], "lifecycle.ready");
      assert.deepEqual(await fresh.call(1, "demo.add", [40, 2]), [1, 1, null, 42]);
    } finally {
      fresh.close();
    }
  });

  test("two connections at once, with the same msgids", async () => {
    const other = await sc.connect();
    try {
      assert.equal((await other.next())[1], "lifecycle.ready");
      // Order, not time: the sleep is still running when the other connection's answers are in, so the cancel
      // ends it (-32800); had those answers waited for it, it would have ended "slept" long before.
      c.send([0, 1, "demo.sleep", [60000]]);
      assert.deepEqual(await other.call(1, "demo.add", [3, 4]), [1, 1, null, 7]);
      assert.deepEqual(await other.call(2, "demo.echo", [{ name: "x", age: 1, tags: [], address: null, born: null }]),
        [1, 2, null, { name: "x", age: 1, tags: [], address: null, born: null }]);
      c.send([2, "$/cancelRequest", [1]]);
      const m = await c.next();
      assert.deepEqual([m[0], m[1], m[2]?.code, m[3]], [1, 1, -32800, null], "the second connection waited for the first one's call");
    } finally {
      other.close();
    }
  });
});

const INPUT_WINDOW = 64; // items of a streamed parameter a caller may send before the callee grants credit

/**
 * One call with a streamed parameter, from its caller: the request (the streamed parameter is not among the params),
 * then items as [2, "$/input.item", [msgid, item]] within the credit granted ([2, "$/input.credit", [msgid, n]]),
 * reading on while it waits, and [2, "$/input.end", [msgid, error]]. Files the credit, the stream items and the response.
 */
class InputCall {
  constructor(conn, msgid, method, params) {
    Object.assign(this, { conn, id: msgid, credit: 0, sent: 0, items: [], response: null, other: [] });
    conn.send([0, msgid, method, params]);
  }

  async read() {
    const m = await this.conn.next();
    if (m[0] === 2 && m[1] === "$/input.credit" && m[2][0] === this.id) this.credit += m[2][1];
    else if (m[0] === 2 && m[1] === "$/stream.item" && m[2][0] === this.id) this.items.push(m[2][1]);
    else if (m[0] === 1 && m[1] === this.id) this.response = m;
    else this.other.push(m);
  }

  async send(items) {
    for (const item of items) {
      while (this.sent >= INPUT_WINDOW + this.credit) {
        if (this.response) assert.fail(`the call ended while its input was being sent: ${JSON.stringify(this.response)}`);
        await this.read();
      }
      this.conn.send([2, "$/input.item", [this.id, item]]);
      this.sent++;
    }
    return this;
  }

  end(error = null) {
    this.conn.send([2, "$/input.end", [this.id, error]]);
    return this;
  }

  async result() {
    while (!this.response) await this.read();
    return this.response;
  }
}

describe("msgpack-unix: streamed parameters (demo.sum, demo.chat) and a polymorphic one (demo.area)", opts, () => {
  let sc, c;
  let id = 1000;
  before(async () => {
    sc = new UnixSidecar();
    await sc.waitReady();
  });
  after(() => sc?.kill());
  beforeEach(async () => {
    c = await sc.connect();
    assert.equal((await c.next())[1], "lifecycle.ready");
  });
  afterEach(() => c?.close());

  const sum = async (items, error = null) => (await new InputCall(c, ++id, "demo.sum", []).send(items)).end(error).result();
  const errorOf = (m) => [m[0], m[2]?.code, m[3]];

  test("demo.sum: several values, none, and an int64 total", async () => {
    let r = await sum([1, 2, 3, 4, -5]);
    assert.deepEqual(r, [1, id, null, 5]);
    assert.deepEqual(await sum([]), [1, id, null, 0]);
    assert.deepEqual(await sum([2147483647, 2147483647, 2147483647]), [1, id, null, 6442450941n]); // > 32 bits: an int64 (a bigint here)
  });

  test("demo.sum of 1000 values: the caller waits for $/input.credit after each window", async () => {
    const call = await new InputCall(c, ++id, "demo.sum", []).send(Array.from({ length: 1000 }, (_, i) => i + 1));
    assert.deepEqual(await call.end().result(), [1, id, null, 500500]);
    assert.ok(call.credit >= 1000 - INPUT_WINDOW, `credit ${call.credit}: the items sent exceed it`);
  });

  test("demo.sum: the caller's failed stream ends the call with its error; a bad item is -32600", async () => {
    const r = await sum([1], { code: -32603, message: "the producer failed" });
    assert.deepEqual([r[0], r[2]?.code, r[2]?.message, r[3]], [1, -32603, "the producer failed", null]);
    assert.deepEqual(errorOf(await sum([1, "two"])), [1, -32600, null]);
  });

  test("demo.chat: each line comes back, prefixed, before the next is sent", async () => {
    const call = new InputCall(c, ++id, "demo.chat", ["re: "]);
    const lines = ["hello", "", "ünï ✓ 🚀", "bye"];
    for (const [i, line] of lines.entries()) {
      await call.send([line]);
      while (call.items.length <= i && !call.response) await call.read();
      assert.deepEqual(call.items.slice(i), [`re: ${line}`], `no echo of line ${i}`);
    }
    assert.deepEqual(await call.end().result(), [1, id, null, 4]);
    assert.deepEqual(call.items, lines.map((l) => `re: ${l}`));
  });

  test("demo.chat: 300 lines with credit both ways; none is just the count 0", async () => {
    const call = new InputCall(c, ++id, "demo.chat", ["> "]);
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i}`);
    let granted = 0;
    while (!call.response) {
      if (call.items.length - granted >= 32) {
        c.send([2, "$/stream.credit", [call.id, call.items.length - granted]]);
        granted = call.items.length;
      }
      if (call.sent < lines.length && call.sent < INPUT_WINDOW + call.credit) {
        await call.send([lines[call.sent]]);
        if (call.sent === lines.length) call.end();
        continue;
      }
      assert.ok(call.items.length <= INPUT_WINDOW + granted, "more echoes than the window and the credit allow");
      await call.read();
    }
    assert.deepEqual(call.response, [1, id, null, 300]);
    assert.deepEqual(call.items, lines.map((l) => `> ${l}`));
    const none = new InputCall(c, ++id, "demo.chat", ["x"]).end();
    assert.deepEqual(await none.result(), [1, id, null, 0]);
    assert.deepEqual(none.items, []);
  });

  test("a caller over its credit (200 lines, no credit read or granted): -32600 naming $/input.credit", async () => {
    const call = new InputCall(c, ++id, "demo.chat", ["> "]);
    for (let i = 0; i < 200; i++) c.send([2, "$/input.item", [call.id, `line ${i}`]]);
    const r = await call.end().result();
    assert.deepEqual(errorOf(r), [1, -32600, null]);
    assert.match(r[2].message, /\$\/input\.credit/);
    assert.ok(call.items.length <= INPUT_WINDOW, `${call.items.length} echoes`);
    assert.deepEqual(await sum([1, 2]), [1, id, null, 3]); // the connection goes on
  });

  test("demo.area: a circle and a rectangle, \"$type\" first", async () => {
    const circle = await c.call(++id, "demo.area", [{ $type: "circle", name: "c", radius: 2 }], { paramEncoder: floatEncoder });
    assert.equal(circle[2], null);
    assert.ok(Math.abs(circle[3] - 4 * Math.PI) < 1e-9, `${circle[3]}`);
    assert.deepEqual(await c.call(++id, "demo.area", [{ $type: "rectangle", name: "r", width: 2.5, height: 4 }], { paramEncoder: floatEncoder }),
      [1, id, null, 10]);
  });

  test("demo.area: an unknown \"$type\", or none, is -32602", async () => {
    for (const shape of [{ $type: "triangle", name: "t", base: 1.5, height: 2.5 }, { name: "c", radius: 1.5 }, null]) {
      assert.deepEqual(errorOf(await c.call(++id, "demo.area", [shape])), [1, -32602, null], JSON.stringify(shape));
    }
  });
});

describe("msgpack-unix: demo.sample (the newer wire types)", opts, () => {
  let sc, c;
  let id = 3000;
  before(async () => {
    sc = new UnixSidecar();
    await sc.waitReady();
  });
  after(() => sc?.kill());
  beforeEach(async () => {
    c = await sc.connect();
    assert.equal((await c.next())[1], "lifecycle.ready");
  });
  afterEach(() => c?.close());

  /** Sends demo.sample (byId's keys as MessagePack integers) and returns the response as decoded and as the raw bytes
   * read with the integer keys told apart ("int:<n>"). */
  async function sample(value, paramEncoder) {
    const msgid = ++id, mark = c.received;
    c.sendBytes(sampleRequestBytes(msgid, value, paramEncoder));
    for (;;) {
      const m = await c.next();
      if (m[0] === 1 && m[1] === msgid) return [m, decodeKeepingIntKeys(c.bytesSince(mark)).find((x) => x[0] === 1 && x[1] === msgid)];
    }
  }

  /** The echo equals `sent` in JavaScript terms: the set in any order, the half as a half, byId keyed by integers. */
  function assertSampleEqual(sent, [r, raw]) {
    assert.equal(r[2], null, JSON.stringify(r[2]));
    const back = { ...r[3], byId: raw[3].byId };
    assert.deepEqual(Object.keys(back).sort(), Object.keys(sent).sort());
    for (const [name, value] of Object.entries(sent)) {
      if (name === "tags") assert.deepEqual([...back.tags].sort(), [...new Set(value)].sort(), name);
      else if (name === "ratio") assert.equal(f16round(back.ratio), f16round(value), name);
      else if (value instanceof Map) assert.deepEqual(back[name], Object.fromEntries([...value].map(([k, v]) => [`int:${k}`, v])), name);
      else assert.deepEqual(back[name], value, name);
    }
  }

  test("demo.sample: ordinary values come back equal", async () => {
    const value = newSample();
    assertSampleEqual(value, await sample(value));
  });

  test("demo.sample: Int128 min, UInt128 max, 0001-01-01, midnight, Half.MaxValue, empty collections", async () => {
    const value = newSample(SAMPLE_EDGES);
    assertSampleEqual(value, await sample(value, floatEncoder)); // 65504 as a float64
  });

  test("demo.sample: big integers as MessagePack integers, int keys as digits in a str", async () => {
    const value = newSample({ big: -(2n ** 63n), unsigned: 2n ** 64n - 1n, byId: { "-5": "minus five", 2147483647: "max" } });
    const r = await sample(value);
    assertSampleEqual({ ...value, big: String(-(2n ** 63n)), unsigned: String(2n ** 64n - 1n),
      byId: new Map([[-5, "minus five"], [2147483647, "max"]]) }, r);
  });

  test("demo.sample: malformed values and a missing required member are -32602", async () => {
    const cases = [
      ["day", "2026-13-01", "'2026-13-01' is not a date (yyyy-MM-dd)."],
      ["at", "24:00:00", "is not a time of day (HH:mm:ss[.fffffff])."],
      ["big", String(2n ** 127n), `'${2n ** 127n}' is not an integer within Int128's range.`],
      ["unsigned", "-1", "'-1' is not a non-negative integer within UInt128's range."],
      ["byGuid", { nope: 1 }, "the key 'nope' is not a GUID (D format)."],
    ];
    for (const [name, value, message] of cases) {
      const [r] = await sample(newSample({ [name]: value }));
      assert.equal(r[2]?.code, -32602, `${name}: ${JSON.stringify(r[2])}`);
      assert.ok(r[2].message.endsWith(message), r[2].message);
    }
    const { note, ...withoutNote } = newSample();
    const [r] = await sample(withoutNote);
    assert.equal(r[2]?.code, -32602);
    assert.match(r[2].message, /required member 'note' is missing/);
  });
});

const STREAM_WINDOW = 64; // stream items the callee may send before the caller grants $/stream.credit
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
/** What demo.download sends: byte i = i % 256. */
const demoBytes = (size) => Uint8Array.from({ length: size }, (_, i) => i % 256);
/**
 * A Stream result of `size` bytes: bin chunks of one size (64 KiB as SidecarKit sends them; the test takes any) but the
 * last, which may be shorter, none empty, byte i = i % 256.
 */
function assertChunks(items, size) {
  assert.ok(items.every((item) => item instanceof Uint8Array));
  const sizes = items.map((item) => item.length);
  assert.ok(sizes.every((n) => n > 0) && new Set(sizes.slice(0, -1)).size <= 1 && (sizes.at(-1) ?? 0) <= (sizes[0] ?? 0), `${sizes}`);
  assert.equal(sizes.reduce((a, b) => a + b, 0), size);
  assert.equal(sha256(Buffer.concat(items)), sha256(demoBytes(size)), "the bytes differ");
}

describe("msgpack-unix: progress (demo.steps), a Stream parameter (demo.upload) and a Stream result (demo.download)", opts, () => {
  let sc, c;
  let id = 2000;
  before(async () => {
    sc = new UnixSidecar();
    await sc.waitReady();
  });
  after(() => sc?.kill());
  beforeEach(async () => {
    c = await sc.connect();
    assert.equal((await c.next())[1], "lifecycle.ready");
  });
  afterEach(() => c?.close());

  /** Calls `method` and reads to its response, granting $/stream.credit for the items read when `grant`. */
  async function collect(method, params, { grant = true } = {}) {
    const call = { id: ++id, items: [], progress: [], response: null, other: [] };
    c.send([0, call.id, method, params]);
    let granted = 0;
    while (!call.response) {
      if (grant && call.items.length - granted >= 32) {
        c.send([2, "$/stream.credit", [call.id, call.items.length - granted]]);
        granted = call.items.length;
      }
      const m = await c.next();
      if (m[0] === 2 && m[1] === "$/stream.item" && m[2][0] === call.id) call.items.push(m[2][1]);
      else if (m[0] === 2 && m[1] === "$/progress" && m[2][0] === call.id) call.progress.push(m[2][1]);
      else if (m[0] === 1 && m[1] === call.id) call.response = m;
      else call.other.push(m);
    }
    return call;
  }

  test("demo.steps: [2, \"$/progress\", [msgid, n]] for 1..steps, in order, before the answer; none after it", async () => {
    for (const steps of [0, 1, 5, 300]) {
      const call = await collect("demo.steps", [steps]);
      assert.deepEqual(call.response, [1, id, null, steps]);
      assert.deepEqual(call.progress, Array.from({ length: steps }, (_, i) => i + 1));
      const seen = [];
      assert.deepEqual((await c.call(++id, "demo.add", [1, 2], { seen }))[3], 3); // a round trip later
      assert.deepEqual(seen.filter((m) => m[1] === "$/progress"), []);
    }
  });

  test("demo.upload: 3 MiB in 16 KiB bin chunks within $/input.credit, answered length:sha256", async () => {
    const data = randomBytes(3 * 1024 * 1024 + 77);
    const chunks = [];
    for (let i = 0; i < data.length; i += 16384) chunks.push(data.subarray(i, i + 16384));
    assert.ok(chunks.length > 2 * INPUT_WINDOW);
    const call = await new InputCall(c, ++id, "demo.upload", []).send(chunks);
    assert.deepEqual(await call.end().result(), [1, id, null, `${data.length}:${sha256(data)}`]);
    assert.ok(call.credit >= chunks.length - INPUT_WINDOW, `credit ${call.credit} for ${chunks.length} chunks`);
  });

  test("demo.upload: chunks of any size, none, a str chunk (-32600) and the caller's error", async () => {
    const data = Buffer.from(demoBytes(256_000));
    const cuts = [0, 0, 1, 2, 65536, 65538, 131081, data.length]; // an empty chunk, 1 byte, 64 KiB, 64 KiB + 7 …
    const chunks = cuts.slice(1).map((end, i) => data.subarray(cuts[i], end));
    const upload = async (items, error = null) => (await new InputCall(c, ++id, "demo.upload", []).send(items)).end(error).result();
    assert.deepEqual(await upload(chunks), [1, id, null, `${data.length}:${sha256(data)}`]);
    assert.deepEqual(await upload([]), [1, id, null, `0:${sha256(Buffer.alloc(0))}`]);
    const bad = await upload([Buffer.from("fine"), "a str, not bin"]);
    assert.deepEqual([bad[0], bad[2]?.code, bad[3]], [1, -32600, null]);
    const broken = await upload([Buffer.from("abc")], { code: -32603, message: "the stream broke" });
    assert.deepEqual([broken[0], broken[2]?.code, broken[2]?.message, broken[3]], [1, -32603, "the stream broke", null]);
  });

  test("demo.download of a terabyte: 64 bin chunks, then nothing until $/stream.credit; 17 more for 17; cancelled", async () => {
    const msgid = ++id;
    c.send([0, msgid, "demo.download", [2n ** 40n]]); // a bigint: an int64 (a number that large would be a float64)
    const items = [];
    let response = null;
    const file = (m) => {
      if (m[0] === 2 && m[1] === "$/stream.item" && m[2][0] === msgid) items.push(m[2][1]);
      else if (m[0] === 1 && m[1] === msgid) response = m;
    };
    for (const expected of [STREAM_WINDOW, STREAM_WINDOW + 17]) {
      while (items.length < expected && !response) file(await c.next());
      // A 300 ms sleep later, still no further chunk and no answer.
      const sleep = ++id;
      c.send([0, sleep, "demo.sleep", [300]]);
      for (;;) {
        const m = await c.next();
        if (m[0] === 1 && m[1] === sleep) break;
        file(m);
      }
      assert.deepEqual([items.length, response], [expected, null], "not exactly the window and the credit");
      if (expected === STREAM_WINDOW) c.send([2, "$/stream.credit", [msgid, 17]]);
    }
    c.send([2, "$/cancelRequest", [msgid]]);
    while (!response) file(await c.next());
    assert.deepEqual([response[0], response[2]?.code, response[3]], [1, -32800, null]);
    assert.equal(items.length, STREAM_WINDOW + 17);
    assertChunks(items, items.reduce((n, item) => n + item.length, 0));
    assert.equal(items[0].length, items.at(-1).length);
  });

  test("demo.download: credit granted as read, nothing, a few bytes; a negative size is -32602", async () => {
    let call;
    for (const size of [5 * 1024 * 1024 + 7, 3 * 1024 * 1024 + 5]) {
      call = await collect("demo.download", [size]);
      assert.deepEqual(call.response, [1, id, null, call.items.length]);
      assertChunks(call.items, size);
    }
    call = await collect("demo.download", [0]);
    assert.deepEqual([call.response, call.items], [[1, id, null, 0], []]);
    call = await collect("demo.download", [300]);
    assert.deepEqual([call.response, call.items.map((i) => Buffer.from(i))], [[1, id, null, 1], [Buffer.from(demoBytes(300))]]);
    call = await collect("demo.download", [-1]);
    assert.deepEqual(call.response, [1, id, { code: -32602, message: "size must not be negative" }, null]);
    assert.deepEqual(call.items, []);
  });
});

describe("msgpack-unix: process lifetime", opts, () => {
  let sc, dir;
  afterEach(async () => {
    await sc?.kill();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  test("--listen takes the path; demo.exit ends the process with its code", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "sidecar-node-"));
    const sock = path.join(dir, "demo.sock");
    sc = new UnixSidecar(["--listen", sock]);
    await sc.waitReady();
    assert.equal(sc.ready.listenInfo, sock);
    const c = await sc.connect();
    assert.equal((await c.next())[2][5], sock);
    c.send([0, 1, "demo.exit", [7]]);
    assert.deepEqual((await c.untilClosed()).filter((m) => m[0] !== 2), []); // no answer: the process is gone
    assert.deepEqual(await sc.exit(), { code: 7, signal: null });
  });

  test("end of stdin stops the sidecar", async () => {
    sc = new UnixSidecar();
    await sc.waitReady();
    const c = await sc.connect();
    assert.equal((await c.next())[1], "lifecycle.ready");
    const sock = sc.path;
    sc.child.stdin.end();
    assert.deepEqual(await sc.exit(), { code: 0, signal: null });
    assert.deepEqual((await c.untilClosed()).filter((m) => m[0] !== 2), []); // lifecycle.shutdown at most
    assert.equal(fs.existsSync(sock), false, "the socket is left behind");
  });
});
