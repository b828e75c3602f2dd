// Our MessagePack codec against @msgpack/msgpack, through the demo sidecar on stdio (--transport msgpack): edge values
// go out encoded by @msgpack/msgpack, come back encoded by SidecarKit, and must decode (and re-encode) exactly.
//
// The demo contract has no 64-bit member: int64/uint64 extremes are proven on the msgid (an integer of the envelope
// that the sidecar reads as int64 and echoes), and as int32 arguments that must be refused, not truncated.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { decode } from "@msgpack/msgpack";
import { StdioSidecar, Timestamp, decodeOptions, encode, float32Encoder, floatEncoder } from "./sidecar.mjs";

const opts = { timeout: 30_000 };
const person = (fields) => ({ name: "p", age: 1, tags: [], address: null, born: null, ...fields });

/** `depth` arrays nested in one another, innermost [0]. */
function nested(depth) {
  let v = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe("round trips through the demo sidecar on stdio", opts, () => {
  let sc, c, readyBytes, ready;
  let id = 100;
  before(async () => {
    sc = new StdioSidecar();
    c = sc.conn;
    ready = await c.next();
    readyBytes = c.bytesSince(0);
  });
  after(() => sc?.kill());

  /** Calls, and returns [response, the exact bytes of that response]. Only for calls that get nothing but a response. */
  async function callRaw(method, params, options) {
    const mark = c.received, msgid = ++id;
    const r = await c.call(msgid, method, params, options);
    return [r, c.bytesSince(mark)];
  }
  const echo = async (p) => (await c.call(++id, "demo.echo", [p]))[3];

  test("the ready notification decodes, and re-encodes to the same bytes", () => {
    assert.deepEqual(ready.slice(0, 2), [2, "lifecycle.ready"]);
    assert.equal(ready[2][4], "msgpack");
    assert.equal(ready[2][5], null);
    assert.deepEqual(decode(readyBytes, decodeOptions), ready); // exactly one object: decode refuses trailing bytes
    assert.deepEqual(Buffer.from(encode(ready)), readyBytes);
  });

  test("msgid: int64 extremes come back exactly, smallest encodings", async () => {
    for (const msgid of [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, 2n ** 32n, 4294967295, -2147483649n, -1, 0]) {
      const mark = c.received;
      const r = await c.call(msgid, "demo.add", [1, 2]);
      assert.deepEqual(r, [1, msgid, null, 3]); // > 32 bits: a bigint, i.e. int64/uint64 on the wire; else a number
      assert.deepEqual(Buffer.from(encode(r)), c.bytesSince(mark));
    }
  });

  test("msgid 2^64-1 does not fit the int64 id: -32600 with a nil msgid", async () => {
    c.send([0, 2n ** 64n - 1n, "demo.add", [1, 2]]);
    const m = await c.next();
    assert.deepEqual([m[0], m[1], m[2]?.code, m[3]], [1, null, -32600, null]);
  });

  test("int32: extremes pass, 9-byte encodings are read, 64-bit values are refused", async () => {
    assert.deepEqual((await c.call(++id, "demo.add", [-2147483648, 2147483647]))[3], -1);
    assert.deepEqual((await c.call(++id, "demo.add", [2n, 3n]))[3], 5); // uint64 forms of small values
    assert.deepEqual((await c.call(++id, "demo.add", [-2147483648n, 0n]))[3], -2147483648);
    for (const big of [2147483648, -2147483649, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n])
      assert.equal((await c.call(++id, "demo.add", [big, 0]))[2]?.code, -32602, String(big));
    assert.equal((await echo(person({ age: 2147483647 }))).age, 2147483647);
    assert.equal((await echo(person({ age: -2147483648 }))).age, -2147483648);
    assert.equal((await c.call(++id, "demo.echo", [person({ age: 2147483648 })]))[2]?.code, -32602);
  });

  test("float64: -0.0, NaN, infinities through demo.divide; float32 arguments read", async () => {
    const divide = async (a, b, enc = floatEncoder) => c.call(++id, "demo.divide", [a, b], { paramEncoder: enc });
    const [neg0, neg0Bytes] = await callRaw("demo.divide", [-0, 1], { paramEncoder: floatEncoder });
    assert.ok(Object.is(neg0[3], -0), `got ${neg0[3]}`);
    assert.deepEqual([...neg0Bytes.subarray(-9)], [0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    const [nan, nanBytes] = await callRaw("demo.divide", [NaN, 1], { paramEncoder: floatEncoder });
    assert.ok(Number.isNaN(nan[3]));
    assert.equal(nanBytes.at(-9), 0xcb);
    assert.ok(Object.is((await divide(0, -1))[3], -0));
    assert.equal((await divide(Infinity, -1))[3], -Infinity);
    assert.equal((await divide(1, 3))[3], 1 / 3);
    assert.equal((await divide(Number.MAX_VALUE, 0.5))[3], Infinity);
    assert.equal((await divide(Number.MIN_VALUE, 2))[3], 0);
    assert.equal((await divide(1.5, 0.5, float32Encoder))[3], 3);
    assert.deepEqual((await divide(1, -0))[2], { code: -32010, message: "division by zero" });
    assert.deepEqual((await divide(1, 0, float32Encoder))[2], { code: -32010, message: "division by zero" });
  });

  test("strings: empty, 1 MiB of multi-byte UTF-8", async () => {
    assert.equal((await echo(person({ name: "" }))).name, "");
    const big = "é✓𝄞x".repeat(104857) + "123456"; // (2+3+4+1) * 104,857 + 6 = 1,048,576 bytes: a str32
    assert.equal(Buffer.byteLength(big), 1 << 20);
    const [r, bytes] = await callRaw("demo.echo", [person({ name: big })]);
    assert.equal(r[3].name, big);
    assert.deepEqual(Buffer.from(encode(r)), bytes);
  });

  test("arrays: 65,536 tags (array32), and an empty one", async () => {
    const tags = Array.from({ length: 65536 }, (_, i) => `t${i}`);
    const [r, bytes] = await callRaw("demo.echo", [person({ tags })]);
    assert.deepEqual(r[3].tags, tags);
    assert.deepEqual(Buffer.from(encode(r)), bytes);
    assert.deepEqual((await echo(person({ tags: [] }))).tags, []);
  });

  test("bin: demo.blob at every header size boundary", async () => {
    for (const size of [0, 1, 255, 256, 65535, 65536, 1 << 20]) {
      const [r, bytes] = await callRaw("demo.blob", [size]);
      assert.ok(r[3] instanceof Uint8Array);
      assert.equal(r[3].length, size);
      assert.ok(r[3].every((b, i) => b === i % 256), `content of blob(${size})`);
      assert.deepEqual(Buffer.from(encode(r)), bytes, `blob(${size}) re-encodes to other bytes: not the smallest bin`);
    }
  });

  test("timestamps: 32/64/96-bit forms, before 1970, after 2106 and 2514, 100 ns steps, DateTimeOffset's extremes", async () => {
    const cases = [
      ["1970-01-01T00:00:00Z", 4],
      ["2106-02-07T06:28:15Z", 4], // 2^32 - 1 s: the last 32-bit one
      ["2106-02-07T06:28:16Z", 8], // just after 2106
      ["2024-02-29T12:00:00.0000001Z", 8],
      ["2200-01-01T00:00:00.9999999Z", 8],
      ["2514-05-30T01:53:03.9999999Z", 8], // 2^34 - 1 s: the last 64-bit one
      ["2514-05-30T01:53:04Z", 12],
      ["1969-12-31T23:59:59.9999999Z", 12],
      ["1815-12-10T08:30:00.1234567Z", 12],
      ["0001-01-01T00:00:00Z", 12], // DateTimeOffset.MinValue
      ["9999-12-31T23:59:59.9999999Z", 12], // DateTimeOffset.MaxValue
    ];
    for (const [iso, size] of cases) {
      const born = Timestamp.parse(iso);
      const [r, bytes] = await callRaw("demo.echo", [person({ born })]);
      assert.deepEqual(r[3].born, born, iso);
      assert.equal(r[3].born.size, size, `${iso}: the smallest form is ${size} bytes`);
      assert.deepEqual(Buffer.from(encode(r)), bytes, iso);
      const back = await echo(person({ born: born.as96() })); // a larger form than needed is read too
      assert.deepEqual([back.born, back.born.size], [born, size], `${iso} sent as 96 bits`);
    }
  });

  test("an object given as an array is read by position", async () => {
    const p = person({ name: "Ada", age: 36, tags: ["a"], address: { street: "s", city: "c" } });
    assert.deepEqual(await echo(["Ada", 36, ["a"], ["s", "c"], null]), p);
  });

  test("nesting at the limit (64, the envelope counting as one) is read", async () => {
    // The contract's own types nest 4 deep at most ([envelope, [params, {Person, [tags]}]]): the depth goes into a
    // member Person does not declare, which the reader skips. 3 levels (envelope, params, Person) + 61 arrays = 64.
    const r = await c.call(++id, "demo.echo", [{ ...person({ name: "deep" }), extra: nested(61) }]);
    assert.deepEqual(r, [1, id, null, person({ name: "deep" })]);
  });

  test("sidecar bytes decode with @msgpack/msgpack, re-encode identically, and are accepted back", async () => {
    const p = {
      name: "Grace ✓", age: -7, tags: ["navy", "", "é".repeat(40)],
      address: { street: "x".repeat(300), city: "Arlington" }, born: Timestamp.parse("1906-12-09T10:11:12.3456789Z"),
    };
    const [r1, bytes1] = await callRaw("demo.echo", [p]);
    const decoded = decode(bytes1, decodeOptions);
    assert.deepEqual(decoded, [1, id, null, p]);
    assert.deepEqual(Buffer.from(encode(decoded)), bytes1);
    const [r2, bytes2] = await callRaw("demo.echo", [decoded[3]]); // @msgpack/msgpack's own encoding of our output
    assert.deepEqual(r2[3], r1[3]);
    const body = (b, msgid) => b.subarray(1 + encode(1).length + encode(msgid).length);
    assert.deepEqual(body(bytes2, r2[1]), body(bytes1, r1[1])); // the same bytes but for the msgid
  });

  test("still serving after all that", async () => {
    assert.deepEqual(await c.call(1, "demo.add", [20, 22]), [1, 1, null, 42]);
  });
});

describe("over-deep input on stdio", opts, () => {
  let sc;
  after(() => sc?.kill());

  test("nesting one level over the limit closes the connection, unanswered", async () => {
    sc = new StdioSidecar();
    const c = sc.conn;
    assert.equal((await c.next())[1], "lifecycle.ready");
    c.send([0, 1, "demo.echo", [{ ...person({}), extra: nested(62) }]]); // 65 levels
    const seen = await c.untilClosed();
    assert.deepEqual(seen.filter((m) => m[0] !== 2), []); // at most notifications (lifecycle.shutdown), no answer
    assert.equal(typeof (await sc.exit()).code, "number"); // stdio closed: the sidecar is gone
  });
});
