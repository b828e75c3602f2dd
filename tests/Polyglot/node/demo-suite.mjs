// The demo contract's checks through the sidecarkit library's client, shared by the C# demo sidecar's suite
// (library-client.test.mjs) and the Node demo sidecar's (node-sidecar.test.mjs): the same calls must give the same
// answers from either sidecar, on every transport.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { RemoteError, SidecarTimeoutError, start } from "sidecarkit";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const DLL = process.env.DEMO_SIDECAR_DLL || path.join(ROOT, "samples/Demo/Sidecar/bin/Release/net10.0/SidecarKit.Samples.Demo.Sidecar.dll");
export const NODE_SIDECAR = path.join(ROOT, "samples/Polyglot/node/demo-sidecar.mjs");
export const FINGERPRINT = "affde6564d41572f";
export const opts = { timeout: 90_000 }; // a group of tests, as a whole
export const each = { timeout: 30_000 }; // one test

const sha256 = (b) => createHash("sha256").update(b).digest("hex");
const demoBytes = (n) => Buffer.from(Array.from({ length: n }, (_, i) => i % 256));

/** Answers demoEvents.* like a parent: records the progress, confirms with `confirmAnswer` (a value, or a function). */
export function demoEvents(state) {
  return {
    demoEvents: {
      progress(task, percent) { state.progress.push([task, percent]); },
      confirm(question) {
        state.questions.push(question);
        return typeof state.confirm === "function" ? state.confirm(question) : state.confirm;
      },
    },
  };
}

/** Polls until `predicate` holds or `ms` passed. */
export async function until(predicate, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

export const isGone = (pid) => { try { process.kill(pid, 0); return false; } catch (e) { return e.code === "ESRCH"; } };

/** Every demo method through `start(command, args, {transport})`, with one sidecar for the whole group. */
export function demoSuite(label, command, args, transport, { fingerprint = FINGERPRINT, startOptions = {} } = {}) {
  describe(`${label} over ${transport}: every demo method through the library`, opts, () => {
    let sc;
    const state = { progress: [], questions: [], confirm: true };
    const stderr = [];
    before(async () => {
      sc = await start(command, args, { transport, callbacks: demoEvents(state), onStderr: (l) => stderr.push(l), ...startOptions });
    });
    after(async () => { await sc?.stop(); });

    test("the ready payload: the demo contract with its fingerprint, the transport, the pid", each, () => {
      const demo = sc.ready.contracts.find((c) => c.name === "demo");
      assert.equal(demo.fingerprint ?? null, fingerprint);
      assert.equal(sc.ready.transport, transport);
      assert.equal(sc.ready.pid, sc.pid);
      assert.deepEqual(sc.ready.callbacks.map((c) => c.name), ["demoEvents"]);
    });

    test("demo.add, and its overflow as a RemoteError -32602", each, async () => {
      assert.equal(await sc.call("demo.add", { a: 2, b: 3 }), 5);
      assert.equal(await sc.call("demo.add", { a: -2147483648, b: 2147483647 }), -1);
      const e = await sc.call("demo.add", { a: 2147483647, b: 1 }).catch((x) => x);
      assert.ok(e instanceof RemoteError, String(e));
      assert.equal(e.code, -32602);
      assert.match(e.message, /overflows a 32-bit integer/);
    });

    test("demo.echo: a Person with an address and a birth date, and one with nulls", each, async () => {
      // JSON lines and gRPC carry it as ISO 8601 text (a Timestamp, on gRPC, shown so); MessagePack as a timestamp (Date).
      const born = transport.startsWith("msgpack") ? new Date("1815-12-10T00:00:00Z") : "1815-12-10T00:00:00+00:00";
      const ada = { name: "Ada ✓ 🚀", age: 36, tags: ["math", ""], address: { street: "12 St James's Sq", city: "London" }, born };
      assert.deepEqual(await sc.call("demo.echo", { person: ada }), ada);
      const plain = { name: "p", age: 1, tags: [], address: null, born: null };
      assert.deepEqual(await sc.call("demo.echo", { person: plain }), plain);
    });

    test("demo.divide: a quotient, NaN as a float, and division by zero as -32010", each, async () => {
      assert.equal(await sc.call("demo.divide", { dividend: 5, divisor: 2 }), 2.5);
      assert.ok(Number.isNaN(await sc.call("demo.divide", { dividend: NaN, divisor: 1 })));
      assert.equal(await sc.call("demo.divide", { dividend: 1, divisor: 1e-320 }), Infinity);
      const e = await sc.call("demo.divide", { dividend: 1, divisor: 0 }).catch((x) => x);
      assert.deepEqual([e instanceof RemoteError, e.code, e.remoteMessage], [true, -32010, "division by zero"]);
    });

    test("demo.count: a stream, 300 items past the window with credit, and call() collecting one", each, async () => {
      const items = [];
      for await (const i of sc.stream("demo.count", { to: 300 })) items.push(i);
      assert.deepEqual(items, Array.from({ length: 300 }, (_, i) => i + 1));
      assert.deepEqual(await sc.call("demo.count", { to: 3 }), [1, 2, 3]);
      assert.deepEqual(await sc.call("demo.count", { to: 0 }), []);
    });

    test("demo.count: leaving the for-await early cancels the stream; the connection goes on", each, async () => {
      const seen = [];
      for await (const i of sc.stream("demo.count", { to: 1_000_000 })) {
        seen.push(i);
        if (i === 100) break;
      }
      assert.equal(seen.length, 100);
      assert.ok(await until(async () => (await sc.ping()).activeRequests === 0), "the stream still runs in the sidecar");
      assert.equal(await sc.call("demo.add", { a: 1, b: 1 }), 2);
    });

    test("demo.sleep: answered; cancelled by an AbortSignal at once; a timeout cancels it too", each, async () => {
      assert.equal(await sc.call("demo.sleep", { milliseconds: 10 }), "slept");
      const ac = new AbortController();
      const t0 = performance.now();
      const p = sc.call("demo.sleep", { milliseconds: 30_000 }, { signal: ac.signal });
      setTimeout(() => ac.abort(), 100);
      await assert.rejects(p, (e) => e.name === "AbortError");
      assert.ok(performance.now() - t0 < 5000);
      const reason = new Error("mine");
      const ac2 = new AbortController();
      ac2.abort(reason);
      await assert.rejects(sc.call("demo.sleep", { milliseconds: 30_000 }, { signal: ac2.signal }), (e) => e === reason);
      await assert.rejects(sc.call("demo.sleep", { milliseconds: 30_000 }, { timeoutMs: 150 }), (e) => e instanceof SidecarTimeoutError && /within 150 ms/.test(e.message));
      // Both reached the sidecar as $/cancelRequest: nothing is left running there.
      assert.ok(await until(async () => (await sc.ping()).activeRequests === 0), "a cancelled sleep still runs in the sidecar");
    });

    test("demo.blob: bytes as a Buffer (base64 in JSON, bin in MessagePack); a negative size is -32602", each, async () => {
      assert.deepEqual(await sc.call("demo.blob", { size: 1000 }), demoBytes(1000));
      assert.deepEqual(await sc.call("demo.blob", { size: 0 }), Buffer.alloc(0));
      await assert.rejects(sc.call("demo.blob", { size: -1 }), (e) => e instanceof RemoteError && e.code === -32602);
    });

    test("demo.log: a notification, written to the sidecar's log", each, async () => {
      const marker = `node-lib-log-${randomBytes(4).toString("hex")}`;
      sc.notify("demo.log", { message: marker });
      assert.ok(await until(() => stderr.some((l) => l.includes(`demo.log: ${marker}`))), `no log line; stderr: ${stderr.slice(-5).join(" | ")}`);
      assert.ok(stderr.some((l) => l.startsWith("info demo: demo.log: ")), "not in the C# log form");
    });

    test("demo.work: progress and confirm served by the Node parent; declined is -32011", each, async () => {
      state.progress.length = 0;
      state.confirm = true;
      assert.equal(await sc.call("demo.work", { steps: 4 }), 4);
      assert.deepEqual(state.progress, [["work", 0], ["work", 25], ["work", 50], ["work", 75]]);
      assert.deepEqual(state.questions.at(-1), "commit?");
      state.confirm = false;
      await assert.rejects(sc.call("demo.work", { steps: 1 }), (e) => e instanceof RemoteError && e.code === -32011 && e.remoteMessage === "declined by parent");
      state.confirm = async () => { await new Promise((r) => setTimeout(r, 50)); return true; };
      assert.equal(await sc.call("demo.work", { steps: 2 }), 2);
    });

    test("demo.work: a callback's RemoteError comes back with its code; a callback that throws is -32603", each, async () => {
      state.confirm = () => { throw new RemoteError(-32042, "not now", { why: "busy" }); };
      const e = await sc.call("demo.work", { steps: 1 }).catch((x) => x);
      assert.deepEqual([e.code, e.remoteMessage], [-32042, "not now"]);
      state.confirm = () => { throw new TypeError("a bug in the parent"); };
      const f = await sc.call("demo.work", { steps: 1 }).catch((x) => x);
      assert.equal(f.code, -32603);
      state.confirm = true;
    });

    test("demo.work: cancelling it while the sidecar waits for confirm cancels the sidecar's call too", each, async () => {
      let asked;
      const askedPromise = new Promise((r) => { asked = r; });
      state.confirm = () => { asked(); return new Promise(() => {}); }; // never answers
      const ac = new AbortController();
      const p = sc.call("demo.work", { steps: 1 }, { signal: ac.signal });
      await askedPromise;
      ac.abort();
      await assert.rejects(p, (e) => e.name === "AbortError");
      assert.ok(await until(async () => (await sc.ping()).activeRequests === 0), "demo.work still runs in the sidecar");
      state.confirm = true;
    });

    test("demo.sum: a client stream within $/input.credit (1000 values), none, from an async generator", each, async () => {
      assert.equal(await sc.call("demo.sum", {}, { input: Array.from({ length: 1000 }, (_, i) => i + 1) }), 500500);
      assert.equal(await sc.call("demo.sum", {}, { input: [] }), 0);
      async function* slow() { for (let i = 0; i < 5; i++) { await new Promise((r) => setTimeout(r, 5)); yield 2147483647; } }
      assert.equal(await sc.call("demo.sum", {}, { input: slow() }), 5 * 2147483647);
    });

    test("demo.sum: the caller's stream fails: the call rejects with that error, and its producer stops", each, async () => {
      let finallyRan = false;
      async function* broken() { try { yield 1; throw new Error("the producer failed"); } finally { finallyRan = true; } }
      await assert.rejects(sc.call("demo.sum", {}, { input: broken() }), /the producer failed/);
      assert.ok(finallyRan);
      assert.ok(await until(async () => (await sc.ping()).activeRequests === 0));
    });

    test("demo.chat: a duplex stream, each line answered as it arrives", each, async () => {
      const out = [];
      let answered;
      async function* lines() {
        for (const line of ["hello", "", "ünïcødé ✓"]) {
          const before = out.length;
          yield line;
          // Wait for the echo of this line before the next one: both directions flow at once.
          await until(() => out.length > before, 5000);
        }
        answered = out.length;
      }
      for await (const l of sc.stream("demo.chat", { prefix: "re: " }, { input: lines() })) out.push(l);
      assert.deepEqual(out, ["re: hello", "re: ", "re: ünïcødé ✓"]);
      assert.equal(answered, 3);
      const many = Array.from({ length: 300 }, (_, i) => `line ${i}`);
      assert.deepEqual(await sc.call("demo.chat", { prefix: "> " }, { input: many }), many.map((l) => `> ${l}`));
    });

    test("demo.area: a polymorphic Shape; an unknown $type is -32602", each, async () => {
      assert.ok(Math.abs((await sc.call("demo.area", { shape: { $type: "circle", name: "c", radius: 2 } })) - 4 * Math.PI) < 1e-9);
      assert.equal(await sc.call("demo.area", { shape: { name: "r", width: 2.5, height: 4, $type: "rectangle" } }), 10);
      await assert.rejects(sc.call("demo.area", { shape: { $type: "triangle", name: "t" } }), (e) => e.code === -32602);
    });

    test("demo.steps: progress reports in order, before the answer (refused on gRPC, which cannot carry them)", each, async () => {
      const reports = [];
      if (transport.startsWith("grpc")) {
        await assert.rejects(sc.call("demo.steps", { steps: 5 }, { onProgress: (p) => reports.push(p) }), /gRPC cannot carry/);
        assert.equal(await sc.call("demo.steps", { steps: 5 }), 5);
        return;
      }
      assert.equal(await sc.call("demo.steps", { steps: 5 }, { onProgress: (p) => reports.push(p) }), 5);
      assert.deepEqual(reports, [1, 2, 3, 4, 5]);
      assert.equal(await sc.call("demo.steps", { steps: 0 }, { onProgress: (p) => reports.push(p) }), 0);
      assert.equal(reports.length, 5);
    });

    test("demo.upload: a Node Readable and Buffers as the Stream parameter; length:sha256", each, async () => {
      const data = randomBytes(700_000);
      const expected = `${data.length}:${sha256(data)}`;
      assert.equal(await sc.call("demo.upload", {}, { input: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]) }), expected);
      const small = [];
      for (let i = 0; i < data.length; i += 4096) small.push(data.subarray(i, i + 4096)); // 171 chunks: credit needed
      assert.equal(await sc.call("demo.upload", {}, { input: small }), expected);
      assert.equal(await sc.call("demo.upload", {}, { input: [] }), `0:${sha256(Buffer.alloc(0))}`);
    });

    test("demo.download: the Stream result as Buffer chunks; a negative size is -32602", each, async () => {
      const chunks = [];
      for await (const c of sc.stream("demo.download", { size: 5 * 65536 + 7 })) chunks.push(c);
      assert.ok(chunks.every((c) => Buffer.isBuffer(c)));
      assert.equal(sha256(Buffer.concat(chunks)), sha256(demoBytes(5 * 65536 + 7)));
      assert.deepEqual(await sc.call("demo.download", { size: 0 }), []);
      await assert.rejects(sc.call("demo.download", { size: -1 }), (e) => e.code === -32602 && e.remoteMessage === "size must not be negative");
    });

    test("demo.sample: the newer wire types come back equal", each, async () => {
      const sample = {
        day: "2026-12-07", at: "23:59:58.123456", big: String(2n ** 127n - 1n), unsigned: String(2n ** 128n - 1n), ratio: 0.5,
        link: "https://example.com/a?b=c#d", release: "1.2.3.4", tags: ["x", "y"], scores: [3, 1, 2], counts: { a: 1, b: -2 },
        byId: { "-1": "minus one", 7: "seven" }, byGuid: { "0f8fad5b-d9cb-469f-a165-70867728950e": 42 }, note: "required",
      };
      const back = await sc.call("demo.sample", { sample });
      assert.deepEqual({ ...back, tags: [...back.tags].sort() }, sample);
      const { note, ...withoutNote } = sample;
      if (transport.startsWith("grpc")) {
        // proto3 cannot tell an absent string from "": a required member left out reads back as its default.
        assert.equal((await sc.call("demo.sample", { sample: withoutNote })).note, "");
      } else {
        await assert.rejects(sc.call("demo.sample", { sample: withoutNote }), (e) => e.code === -32602 && /note/.test(e.message));
      }
    });

    test("an unknown method is -32601; system.ping reports the sidecar", each, async () => {
      await assert.rejects(sc.call("demo.nope", {}), (e) => e instanceof RemoteError && e.code === -32601);
      const ping = await sc.ping();
      assert.deepEqual([ping.status, ping.pid, ping.protocolVersion], ["ok", sc.pid, "1.0"]);
    });

    test("many calls at once are matched by id, whatever order the answers come in", each, async () => {
      const slow = sc.call("demo.sleep", { milliseconds: 300 });
      const fast = await Promise.all(Array.from({ length: 50 }, (_, i) => sc.call("demo.add", { a: i, b: i })));
      assert.deepEqual(fast, Array.from({ length: 50 }, (_, i) => 2 * i));
      assert.equal(await slow, "slept");
    });

    test("an aborted signal refuses the call before it is sent; stream.cancel() ends the iteration at once", each, async () => {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(sc.call("demo.add", { a: 1, b: 2 }, { signal: ac.signal }), (e) => e.name === "AbortError");
      const s = sc.stream("demo.count", { to: 1_000_000 });
      const it = s[Symbol.asyncIterator]();
      assert.deepEqual(await it.next(), { value: 1, done: false });
      s.cancel();
      assert.deepEqual(await it.next(), { value: undefined, done: true });
      assert.ok(await until(async () => (await sc.ping()).activeRequests === 0), "the cancelled stream still runs in the sidecar");
    });
  });
}
