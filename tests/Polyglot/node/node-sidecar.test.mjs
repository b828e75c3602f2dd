// The Node demo sidecar (samples/Polyglot/node/demo-sidecar.mjs, on the sidecarkit library's serve()) driven by the
// library's client: every demo method on JSON lines and MessagePack-RPC, what it announces, and its exits (system.shutdown
// with a call in flight, system.shutdown_now, end of stdin, SIGTERM, the parent's death, demo.exit).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { SidecarExitedError, SidecarTimeoutError, start } from "sidecarkit";
import { parseJson } from "../../../clients/node/src/json.mjs";
import { DLL, NODE_SIDECAR, demoSuite, isGone, each, opts, until } from "./demo-suite.mjs";

for (const transport of ["jsonl", "msgpack"]) demoSuite("the Node demo sidecar", process.execPath, [NODE_SIDECAR], transport);

/** Runs the Node demo sidecar by hand: its stdout lines (JSON lines), its stderr, its exit. */
function raw(args = [], env = {}) {
  const child = spawn(process.execPath, [NODE_SIDECAR, ...args], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
  const out = [], err = [];
  let buf = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (t) => {
    buf += t;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) { out.push(JSON.parse(buf.slice(0, nl))); buf = buf.slice(nl + 1); }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (t) => err.push(t));
  const exited = once(child, "exit").then(([code, signal]) => ({ code, signal }));
  const send = (m) => child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", ...m })}\n`);
  const timeout = setTimeout(() => child.kill("SIGKILL"), 20_000);
  exited.then(() => clearTimeout(timeout));
  return { child, out, err, exited, send, stderr: () => err.join("") };
}

describe("the Node demo sidecar's announcement and its exits", opts, () => {
  test("--describe json is the C# demo sidecar's, byte for byte (so the fingerprint is the generator's)", each, () => {
    const mine = execFileSync(process.execPath, [NODE_SIDECAR, "--describe", "json"], { encoding: "utf8" });
    const theirs = execFileSync("dotnet", [DLL, "--describe", "json"], { encoding: "utf8" });
    assert.equal(mine, theirs);
  });

  // The C# exporter's document (the golden) from the C# contract; the Node one from its --describe json description
  // with the declared errors the demo adds by hand. What a description cannot carry, the method's timeout and its
  // idempotence ([SidecarMethod(TimeoutMilliseconds, Idempotent)]), is left out of the comparison: those two fields
  // only. Read with the library's exact reader: the 64-bit bounds must be the C# integers, not rounded doubles.
  const UNDESCRIBED = ["x-sidecarkit-timeout-ms", "x-sidecarkit-idempotent"];
  const comparable = (doc) => {
    for (const m of [...doc.methods, ...doc["x-sidecarkit-callbacks"].flatMap((c) => c.methods)]) for (const f of UNDESCRIBED) delete m[f];
    return doc;
  };
  const goldenDemo = () => parseJson(readFileSync(new URL("../openrpc/demo.openrpc.json", import.meta.url), "utf8"));

  test("--describe openrpc is the golden document of the demo (tests/Polyglot/openrpc/demo.openrpc.json), exact integers included", each, () => {
    const text = execFileSync(process.execPath, [NODE_SIDECAR, "--describe", "openrpc"], { encoding: "utf8" });
    assert.match(text, /"minimum": -9223372036854775808,\n\s*"maximum": 9223372036854775807\n/);
    assert.doesNotMatch(text, /9223372036854776000/);
    const mine = parseJson(text);
    assert.equal(mine.methods.find((m) => m.name === "demo.sum").result.schema.maximum, 2n ** 63n - 1n);
    assert.deepEqual(comparable(mine), comparable(goldenDemo()));
  });

  for (const transport of ["jsonl", "msgpack"]) {
    test(`${transport}: rpc.discover answers the document --describe openrpc prints, exact integers included`, each, async () => {
      const sc = await start(process.execPath, [NODE_SIDECAR], { transport });
      try {
        const doc = await sc.call("rpc.discover");
        assert.equal(doc.methods.find((m) => m.name === "demo.sum").result.schema.minimum, -(2n ** 63n));
        const described = parseJson(execFileSync(process.execPath, [NODE_SIDECAR, "--describe", "openrpc"], { encoding: "utf8" }));
        assert.deepEqual(doc, described);
        assert.deepEqual(comparable(doc), comparable(goldenDemo()));
      } finally {
        await sc.stop();
      }
    });
  }

  test("the ready marker, then lifecycle.ready first on stdout, with the C# announcement's contracts and callbacks", each, async () => {
    const r = raw();
    assert.ok(await until(() => r.out.length > 0 && r.stderr().includes("Ready: demo over jsonl")), r.stderr());
    const marker = JSON.parse(r.stderr().split("\n").find((l) => l.startsWith("__SIDECAR_READY__:")).slice(18));
    assert.equal(r.out[0].method, "lifecycle.ready");
    const ready = r.out[0].params;
    assert.deepEqual(marker, { status: "ok", ...ready });
    assert.deepEqual([ready.pid, ready.transport, ready.protocolVersion, ready.listenInfo], [r.child.pid, "jsonl", "1.0", null]);
    assert.match(ready.instanceId, /^[0-9a-f]{32}$/);
    assert.equal(ready.contracts[0].fingerprint, "affde6564d41572f");
    assert.equal(ready.callbacks[0].fingerprint, "71aff83504aafaad");
    assert.match(r.stderr(), /^info SidecarKit\.Host: Ready: demo over jsonl \(pid \d+\)\.$/m);
    r.child.stdin.end();
    assert.deepEqual(await r.exited, { code: 0, signal: null });
  });

  test("end of stdin: the running call is answered, then lifecycle.shutdown eof, exit 0", each, async () => {
    const r = raw();
    r.send({ id: 1, method: "demo.sleep", params: { milliseconds: 300 } });
    r.child.stdin.end();
    assert.deepEqual(await r.exited, { code: 0, signal: null });
    assert.deepEqual(r.out.slice(1), [{ jsonrpc: "2.0", id: 1, result: "slept" }, { jsonrpc: "2.0", method: "lifecycle.shutdown", params: { reason: "eof" } }]);
  });

  test("system.shutdown: answered at once, new requests -32004, system.ping draining, the call in flight finishes", each, async () => {
    const r = raw();
    r.send({ id: 1, method: "demo.sleep", params: { milliseconds: 500 } });
    r.send({ id: 2, method: "system.shutdown" });
    assert.ok(await until(() => r.out.some((m) => m.id === 2)));
    r.send({ id: 3, method: "demo.add", params: { a: 1, b: 1 } });
    r.send({ id: 4, method: "system.ping" });
    assert.deepEqual(await r.exited, { code: 0, signal: null });
    const byId = Object.fromEntries(r.out.filter((m) => "id" in m).map((m) => [m.id, m]));
    assert.equal(byId[2].result, null);
    assert.equal(byId[3].error.code, -32004);
    assert.equal(byId[4].result.status, "draining");
    assert.equal(byId[4].result.activeRequests, 1);
    assert.equal(byId[1].result, "slept");
    assert.deepEqual(r.out.at(-1), { jsonrpc: "2.0", method: "lifecycle.shutdown", params: { reason: "shutdown" } });
  });

  test("the end of stdin during a system.shutdown drain changes nothing: the call in flight still finishes", each, async () => {
    const r = raw();
    r.send({ id: 1, method: "demo.sleep", params: { milliseconds: 400 } });
    r.send({ id: 2, method: "system.shutdown" });
    assert.ok(await until(() => r.out.some((m) => m.id === 2)));
    r.child.stdin.end();
    assert.deepEqual(await r.exited, { code: 0, signal: null });
    assert.deepEqual(r.out.find((m) => m.id === 1), { jsonrpc: "2.0", id: 1, result: "slept" });
    assert.deepEqual(r.out.at(-1).params, { reason: "shutdown" });
  });

  test("system.shutdown_now and SIGTERM cancel what runs (-32800) and exit 0 at once", each, async () => {
    for (const how of ["shutdown_now", "sigterm"]) {
      const r = raw();
      r.send({ id: 1, method: "demo.sleep", params: { milliseconds: 30_000 } });
      await until(() => r.out.length > 0);
      await new Promise((res) => setTimeout(res, 100));
      const t0 = performance.now();
      if (how === "sigterm") r.child.kill("SIGTERM");
      else r.send({ id: 2, method: "system.shutdown_now" });
      assert.deepEqual(await r.exited, { code: 0, signal: null }, how);
      assert.ok(performance.now() - t0 < 5000, how);
      assert.deepEqual(r.out.find((m) => m.id === 1), { jsonrpc: "2.0", id: 1, error: { code: -32800, message: "Request cancelled" } }, how);
      assert.deepEqual(r.out.at(-1).params, { reason: how }, how);
    }
  });

  test("the parent's death (SIDECAR_PARENT_PID) ends it even while its stdin stays open", each, async () => {
    // A stand-in parent, killed once the sidecar is seen busy in a long call; its stdin (ours) stays open.
    const parent = spawn(process.execPath, ["-e", "setInterval(()=>{},1000)"], { stdio: "ignore" });
    const r = raw([], { SIDECAR_PARENT_PID: String(parent.pid) });
    try {
      r.send({ id: 1, method: "demo.sleep", params: { milliseconds: 60_000 } });
      r.send({ id: 2, method: "system.ping" });
      assert.ok(await until(() => r.out.some((m) => m.id === 2)), r.stderr());
      assert.equal(r.out.find((m) => m.id === 2).result.activeRequests, 1, "demo.sleep is not running");
      assert.equal(r.out.find((m) => m.id === 2).result.status, "ok", "the sidecar stopped before its parent died");
    } catch (e) {
      parent.kill("SIGKILL");
      throw e;
    }
    parent.kill("SIGKILL");
    await once(parent, "exit");
    const t0 = performance.now();
    assert.deepEqual(await r.exited, { code: 0, signal: null });
    assert.ok(performance.now() - t0 < 3000, "it took more than 3 s to notice");
    assert.match(r.stderr(), /The parent process \d+ is gone; shutting down\./);
    assert.deepEqual(r.out.find((m) => m.id === 1)?.error?.code, -32800);
    assert.deepEqual(r.out.at(-1).params, { reason: "parent-exit" });
  });

  test("under the library: demo.exit mid-call is a clear SidecarExitedError; stop() leaves no process", each, async () => {
    const sc = await start(process.execPath, [NODE_SIDECAR], { transport: "msgpack" });
    const pending = sc.call("demo.sleep", { milliseconds: 30_000 });
    sc.call("demo.exit", { code: 9 }).catch(() => {});
    const e = await pending.catch((x) => x);
    assert.ok(e instanceof SidecarExitedError);
    assert.equal(e.exitCode, 9);
    const sc2 = await start(process.execPath, [NODE_SIDECAR]);
    const CALL_MS = 3000;
    const called = performance.now();
    const inFlight = sc2.call("demo.sleep", { milliseconds: CALL_MS });
    // The stop begins once the call is seen running, so it must wait for (drain) the rest of it.
    assert.ok(await until(async () => (await sc2.ping()).activeRequests >= 1), "demo.sleep never showed as running");
    const stopping = performance.now();
    const remaining = CALL_MS - (stopping - called);
    assert.ok(remaining > 1500, `the call was seen running only ${Math.round(stopping - called)} ms after it was sent`);
    assert.deepEqual(await sc2.stop(), { code: 0, signal: null });
    const took = performance.now() - stopping;
    assert.ok(took >= remaining - 300, `stop() took ${Math.round(took)} ms, less than the ${Math.round(remaining)} ms the call had left: no drain`);
    assert.equal(await inFlight, "slept");
    assert.ok(isGone(sc2.pid));
  });

  test("SIGSTOPped, it answers no ping (a timeout); SIGCONTed, it answers again", each, async () => {
    const sc = await start(process.execPath, [NODE_SIDECAR]);
    try {
      process.kill(sc.pid, "SIGSTOP");
      await assert.rejects(sc.ping({ timeoutMs: 300 }), SidecarTimeoutError);
      process.kill(sc.pid, "SIGCONT");
      assert.equal((await sc.ping()).status, "ok");
      assert.equal(await sc.call("demo.add", { a: 1, b: 2 }), 3);
    } finally {
      process.kill(sc.pid, "SIGCONT");
      await sc.stop();
    }
  });

  test("bad command lines exit 2; --help exits 0 listing the methods and the fingerprint", each, () => {
    const run = (args) => { try { return { code: 0, out: execFileSync(process.execPath, [NODE_SIDECAR, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }) }; } catch (e) { return { code: e.status, out: e.stderr }; } };
    assert.equal(run(["--bogus"]).code, 2);
    assert.equal(run(["--transport", "carrier-pigeon"]).code, 2);
    const help = run(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.out, /demo \(fingerprint affde6564d41572f\): demo\.add, demo\.echo/);
  });

  test("credit: 64 stream items without it, 10 more for 10; an input beyond its credit or unreadable is -32600", each, async () => {
    const r = raw();
    const items = (id) => r.out.filter((m) => m.method === "$/stream.item" && m.params.id === id).length;
    r.send({ id: "big", method: "demo.count", params: { to: 200 } });
    assert.ok(await until(() => items("big") === 64));
    r.send({ id: 1, method: "demo.sleep", params: { milliseconds: 200 } }); // time for more to come, were any sent
    assert.ok(await until(() => r.out.some((m) => m.id === 1)));
    assert.equal(items("big"), 64);
    r.send({ method: "$/stream.credit", params: { id: "big", credit: 10 } });
    assert.ok(await until(() => items("big") === 74));
    r.send({ method: "$/cancelRequest", params: { id: "big" } });
    assert.ok(await until(() => r.out.some((m) => m.id === "big")));
    assert.deepEqual(r.out.find((m) => m.id === "big").error, { code: -32800, message: "Request cancelled" });
    assert.equal(items("big"), 74);

    // One write, far beyond the credit: the items arrive before the sum has consumed any (it grants more as it
    // consumes, so items sent one write at a time could race its grants).
    r.child.stdin.write([{ id: 2, method: "demo.sum", params: {} }, ...Array.from({ length: 300 }, (_, i) => ({ method: "$/input.item", params: { id: 2, item: i } }))]
      .map((m) => `${JSON.stringify({ jsonrpc: "2.0", ...m })}\n`).join(""));
    r.send({ id: 3, method: "demo.sum", params: {} });
    r.send({ method: "$/input.item", params: { id: 3, item: "x" } });
    r.send({ id: 4, method: "demo.sum", params: {} });
    r.send({ method: "$/input.item", params: { id: 4, item: 5 } });
    r.send({ method: "$/input.end", params: { id: 4, error: { code: -32042, message: "the producer broke" } } });
    assert.ok(await until(() => [2, 3, 4].every((id) => r.out.some((m) => m.id === id))));
    const answer = (id) => r.out.find((m) => m.id === id);
    assert.equal(answer(2).error.code, -32600);
    assert.match(answer(2).error.message, /more items of the input stream of 'demo\.sum' than it had credit for \(\d+\): see \$\/input\.credit/);
    const credit = Number(/credit for \((\d+)\)/.exec(answer(2).error.message)[1]);
    assert.ok(credit >= 64 && credit < 300, `credit ${credit}: 64 at first, more only for what was consumed`);
    assert.equal(answer(3).error.code, -32600);
    assert.match(answer(3).error.message, /An item of the input stream of 'demo\.sum' could not be read/);
    assert.deepEqual(answer(4).error, { code: -32042, message: "the producer broke" });
    r.send({ id: 5, method: "demo.count", params: { to: 2 } }); // ids may be reused once answered; 1.5 may not stream
    r.send({ id: 1.5, method: "demo.count", params: { to: 2 } });
    assert.ok(await until(() => r.out.some((m) => m.id === 5) && r.out.some((m) => m.id === 1.5)));
    assert.equal(answer(1.5).error.code, -32600);
    r.child.stdin.end();
    assert.deepEqual(await r.exited, { code: 0, signal: null });
  });

  test("a request reusing a running request's id is -32600 with id null before any other check; the running call still gets its answer", each, async () => {
    const r = raw();
    r.send({ id: 7, method: "demo.sleep", params: { milliseconds: 1500 } });
    r.send({ id: "s", method: "demo.sleep", params: { milliseconds: 1500 } });
    r.send({ id: 1.5, method: "demo.sleep", params: { milliseconds: 1500 } });
    // Each would be answered with its own id by another check: bad params, no such method, missing params, the rule
    // that a stream's id is an integer or a string.
    r.send({ id: 7, method: "demo.sleep", params: { milliseconds: "not a number" } });
    r.send({ id: 7, method: "demo.nothing" });
    r.send({ id: "s", method: "demo.add", params: { a: 1 } });
    r.send({ id: 1.5, method: "demo.count", params: { to: 2 } });
    r.send({ id: 8, method: "system.ping" });
    assert.ok(await until(() => r.out.some((m) => m.id === 8)));
    const refusals = r.out.filter((m) => m.id === null);
    assert.equal(refusals.length, 4, JSON.stringify(r.out));
    for (const m of refusals) {
      assert.equal(m.error.code, -32600);
      assert.match(m.error.message, /is already running/);
    }
    assert.equal(r.out.filter((m) => m.id === 7 || m.id === "s").length, 0, "nothing answered with a running call's id");
    assert.ok(await until(() => r.out.some((m) => m.id === 7) && r.out.some((m) => m.id === "s")));
    assert.deepEqual(r.out.filter((m) => m.id === 7), [{ jsonrpc: "2.0", id: 7, result: "slept" }]);
    assert.deepEqual(r.out.filter((m) => m.id === "s"), [{ jsonrpc: "2.0", id: "s", result: "slept" }]);
    // Answered, the id may be used again, and the checks answer with it.
    r.send({ id: 7, method: "demo.sleep", params: { milliseconds: "x" } });
    assert.ok(await until(() => r.out.filter((m) => m.id === 7).length === 2));
    assert.equal(r.out.filter((m) => m.id === 7)[1].error.code, -32602);
    assert.ok(await until(() => r.out.some((m) => m.id === 1.5)));
    // Shutting down: a new request is refused -32004 with its id, but one that reuses a running id is -32600, id null.
    r.send({ id: 9, method: "demo.sleep", params: { milliseconds: 1000 } });
    r.send({ id: 10, method: "system.shutdown" });
    assert.ok(await until(() => r.out.some((m) => m.id === 10)));
    r.send({ id: 9, method: "demo.add", params: { a: 1, b: 2 } });
    r.send({ id: 11, method: "demo.add", params: { a: 1, b: 2 } });
    assert.deepEqual(await r.exited, { code: 0, signal: null });
    assert.equal(r.out.filter((m) => m.id === null).length, 5);
    assert.equal(r.out.filter((m) => m.id === null)[4].error.code, -32600);
    assert.deepEqual(r.out.filter((m) => m.id === 9), [{ jsonrpc: "2.0", id: 9, result: "slept" }]);
    assert.equal(r.out.find((m) => m.id === 11).error.code, -32004);
  });

  test("an invalid line is answered -32700 with id null, and the sidecar goes on", each, async () => {
    const r = raw();
    r.child.stdin.write("{not json\n");
    r.send({ id: 1, method: "demo.add", params: [2, 3] });
    r.send({ id: 2, method: "demo.add", params: { a: "x", b: 1 } });
    assert.ok(await until(() => r.out.some((m) => m.id === 2)));
    r.child.stdin.end();
    await r.exited;
    assert.equal(r.out[1].error.code, -32700);
    assert.equal(r.out[1].id, null);
    assert.equal(r.out.find((m) => m.id === 1).result, 5);
    assert.equal(r.out.find((m) => m.id === 2).error.code, -32602);
  });
});
