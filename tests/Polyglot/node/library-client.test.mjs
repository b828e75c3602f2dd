// The sidecarkit library (clients/node) as the parent of the C# demo sidecar: every demo method on JSON lines,
// MessagePack-RPC on stdio and on a Unix socket, and the process's life: start failures, a crash mid-call, stop.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, test } from "node:test";
import { RemoteError, SidecarExitedError, SidecarStartError, start } from "sidecarkit";
import { DLL, demoSuite, isGone, each, opts, until } from "./demo-suite.mjs";

for (const transport of ["jsonl", "msgpack", "msgpack-unix", "grpc", "grpc-unix"]) demoSuite("the C# demo sidecar", "dotnet", [DLL], transport);

describe("the C# demo sidecar's life under the library", opts, () => {
  for (const transport of ["jsonl", "msgpack", "msgpack-unix", "grpc"]) {
    test(`${transport}: a crash mid-call rejects the pending calls with the exit code and stderr; later calls too`, each, async () => {
      const sc = await start("dotnet", [DLL], { transport });
      try {
        const pending = sc.call("demo.sleep", { milliseconds: 30_000 });
        const exit = sc.call("demo.exit", { code: 3 });
        exit.catch(() => {}); // checked below, after the pending call
        const e = await pending.catch((x) => x);
        assert.ok(e instanceof SidecarExitedError, String(e));
        assert.equal(e.exitCode, 3);
        assert.match(e.message, /exited with code 3/);
        await assert.rejects(exit, SidecarExitedError);
        await assert.rejects(sc.call("demo.add", { a: 1, b: 2 }), (x) => x instanceof SidecarExitedError && x.exitCode === 3);
        assert.deepEqual(await sc.exited, { code: 3, signal: null });
      } finally {
        sc.kill();
      }
    });
  }

  test("stop(): system.shutdown lets a call in flight finish, exit code 0, no process left", each, async () => {
    const sc = await start("dotnet", [DLL]);
    const CALL_MS = 3000;
    const called = performance.now();
    const inFlight = sc.call("demo.sleep", { milliseconds: CALL_MS });
    // The stop begins once the call is seen running, so it must wait for (drain) the rest of it.
    assert.ok(await until(async () => (await sc.ping()).activeRequests >= 1), "demo.sleep never showed as running");
    const stopping = performance.now();
    const remaining = CALL_MS - (stopping - called);
    assert.ok(remaining > 1500, `the call was seen running only ${Math.round(stopping - called)} ms after it was sent`);
    assert.deepEqual(await sc.stop(), { code: 0, signal: null });
    const took = performance.now() - stopping;
    assert.ok(took >= remaining - 300, `stop() took ${Math.round(took)} ms, less than the ${Math.round(remaining)} ms the call had left: no drain`);
    assert.equal(await inFlight, "slept");
    assert.ok(isGone(sc.pid));
    await assert.rejects(sc.call("demo.add", { a: 1, b: 2 }), SidecarExitedError);
  });

  test("stop(): a sidecar that ignores system.shutdown and SIGTERM is killed, with its process group", each, async () => {
    const script = "process.on('SIGTERM',()=>{});console.error('__SIDECAR_READY__:'+JSON.stringify({status:'ok',version:'1',protocolVersion:'1.0',pid:process.pid}));"
      + "require('child_process').spawn(process.execPath,['-e','setInterval(()=>{},1000)'],{stdio:'ignore'});setInterval(()=>{},1000);process.stdin.resume();process.stdin.on('end',()=>{});";
    const sc = await start(process.execPath, ["-e", script]);
    const t0 = performance.now();
    assert.deepEqual(await sc.stop({ timeoutMs: 300 }), { code: null, signal: "SIGKILL" });
    assert.ok(performance.now() - t0 < 5000);
    assert.ok(isGone(sc.pid));
  });

  test("a parent that exits leaves nothing: its sidecars are killed with their process groups (what they started too)", each, async () => {
    // The sidecar starts a child, then stays up past the end of its stdin: only the parent's exit handler ends them.
    const sidecar = "const c=require('child_process').spawn(process.execPath,['-e','setInterval(()=>{},1000)'],{stdio:'ignore'});"
      + "console.error('grandchild '+c.pid);console.error('__SIDECAR_READY__:'+JSON.stringify({status:'ok',version:'1',protocolVersion:'1.0',pid:process.pid}));"
      + "setInterval(()=>{},1000);process.stdin.resume();process.stdin.on('end',()=>{});";
    const parent = `import { start } from "sidecarkit";
const sc = await start(process.execPath, ["-e", ${JSON.stringify(sidecar)}]);
const grandchild = Number(sc.stderrTail().find((l) => l.startsWith("grandchild ")).split(" ")[1]);
console.log(JSON.stringify({ sidecar: sc.pid, grandchild }));
process.exit(0);`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", parent], { cwd: path.dirname(fileURLToPath(import.meta.url)), timeout: 20_000 });
    const pids = JSON.parse(stdout);
    try {
      assert.ok(pids.sidecar > 0 && pids.grandchild > 0, stdout);
      assert.ok(await until(() => isGone(pids.sidecar), 5000), "the sidecar outlived its parent");
      assert.ok(await until(() => isGone(pids.grandchild), 5000), "what the sidecar started outlived the parent");
    } finally {
      for (const pid of [pids.sidecar, pids.grandchild]) try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
    }
  });

  test("a sidecar that exits before it is ready: SidecarStartError with the exit code and its stderr", each, async () => {
    const e = await start(process.execPath, ["-e", "console.error('cannot open the database'); process.exit(4)"]).catch((x) => x);
    assert.ok(e instanceof SidecarStartError, String(e));
    assert.equal(e.exitCode, 4);
    assert.ok(e.stderrTail.includes("cannot open the database"), e.message);
    assert.match(e.message, /exited with code 4 before it was ready/);
  });

  test("a sidecar that never says it is ready: SidecarStartError after readyTimeoutMs, and it is killed", each, async () => {
    let pid;
    const e = await start(process.execPath, ["-e", "console.error('starting '+process.pid); setInterval(()=>{},1000)"], {
      readyTimeoutMs: 500, onStderr: (l) => { pid = Number(l.split(" ")[1]); },
    }).catch((x) => x);
    assert.ok(e instanceof SidecarStartError, String(e));
    assert.match(e.message, /within 500 ms/);
    assert.ok(e.stderrTail.some((l) => l.startsWith("starting")));
    assert.ok(await until(() => isGone(pid), 5000), "the sidecar that timed out still runs");
  });

  test("a command that does not exist: SidecarStartError", each, async () => {
    await assert.rejects(start("/nonexistent/sidecar-binary", []), SidecarStartError);
  });

  test("an expected fingerprint that differs fails the start; the right one passes", each, async () => {
    const e = await start("dotnet", [DLL], { fingerprints: { demo: "0123456789abcdef" } }).catch((x) => x);
    assert.ok(e instanceof SidecarStartError, String(e));
    assert.match(e.message, /fingerprint affde6564d41572f, not 0123456789abcdef/);
    const sc = await start("dotnet", [DLL], { fingerprints: { demo: "affde6564d41572f" } });
    try {
      assert.equal(await sc.call("demo.add", { a: 1, b: 2 }), 3);
    } finally {
      await sc.stop();
    }
  });

  test("a callback the parent does not serve is answered -32601, which demo.work passes on", each, async () => {
    const sc = await start("dotnet", [DLL], { transport: "msgpack" });
    try {
      const e = await sc.call("demo.work", { steps: 1 }).catch((x) => x);
      assert.ok(e instanceof RemoteError);
      assert.equal(e.code, -32601);
    } finally {
      await sc.stop();
    }
  });
});

describe("samples/Polyglot/node/demo-client.mjs", opts, () => {
  const sample = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../samples/Polyglot/node/demo-client.mjs");
  for (const transport of ["jsonl", "msgpack", "grpc"]) {
    test(`${transport}: makes every kind of call on the C# demo sidecar and exits 0`, each, async () => {
      const { stdout } = await promisify(execFile)(process.execPath, [sample, DLL, "--transport", transport], { timeout: 60_000 });
      for (const line of ["unary: demo.add(2, 3)", "error: demo.divide(1, 0)", "stream: demo.count(5)", "cancel: demo.sleep", "timeout: demo.sleep",
        "notification: demo.log", "callback: demo.work(4)", "client stream: demo.sum(1..100)", "duplex: demo.chat", "progress: demo.steps(3)"]) {
        assert.ok(stdout.includes(line), `no "${line}" in:\n${stdout}`);
      }
      assert.match(stdout, /stopped\s+\{"code":0,"signal":null\}/);
    });
  }
});
