#!/usr/bin/env node
// A Node.js parent of the C# demo sidecar on the sidecarkit library: starts it, makes every kind of call, prints what
// happened, stops it, and exits 0 when everything went as the demo contract says (1 otherwise).
//
//   node demo-client.mjs [path/to/SidecarKit.Samples.Demo.Sidecar.dll] [--transport jsonl|msgpack|msgpack-unix|grpc|grpc-unix]
//   (or DEMO_SIDECAR_DLL; the default is the Release build under samples/Demo/Sidecar/bin/)
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";

// "sidecarkit" once `npm install` ran here; the library's folder otherwise (JSON lines need no other package).
const { start, RemoteError, SidecarTimeoutError } = await import("sidecarkit").catch(() => import("../../../clients/node/index.mjs"));

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const t = args.indexOf("--transport");
const transport = t >= 0 ? args.splice(t, 2)[1] : "jsonl";
const dll = args[0] ?? process.env.DEMO_SIDECAR_DLL ?? path.resolve(here, "../../Demo/Sidecar/bin/Release/net10.0/SidecarKit.Samples.Demo.Sidecar.dll");

const say = (what, value) => console.log(`${what.padEnd(44)} ${typeof value === "string" ? value : JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`);

// The callback contract demoEvents, served by this parent: demo.work reports progress, then asks to confirm.
const progress = [];
const callbacks = {
  demoEvents: {
    progress(task, percent) { progress.push(`${task} ${percent}%`); },
    confirm(question) { say("  demoEvents.confirm asked", question); return true; },
  },
};

const sidecar = await start("dotnet", [dll], { transport, callbacks });
try {
  say(`started (${transport}), pid`, sidecar.pid);
  say("contract demo, fingerprint", sidecar.ready.contracts.find((c) => c.name === "demo").fingerprint);

  // Unary.
  const sum = await sidecar.call("demo.add", { a: 2, b: 3 });
  say("unary: demo.add(2, 3)", sum);
  assert.equal(sum, 5);

  // An error: RemoteError with the code, message and data the sidecar sent.
  try {
    await sidecar.call("demo.divide", { dividend: 1, divisor: 0 });
    assert.fail("demo.divide by zero succeeded");
  } catch (e) {
    assert.ok(e instanceof RemoteError);
    say("error: demo.divide(1, 0)", `RemoteError ${e.code} ${e.remoteMessage}`);
    assert.equal(e.code, -32010);
  }

  // A streamed result: an async iterable, credit granted as it is read.
  const counted = [];
  for await (const n of sidecar.stream("demo.count", { to: 5 })) counted.push(n);
  say("stream: demo.count(5)", counted);
  assert.deepEqual(counted, [1, 2, 3, 4, 5]);

  // Cancellation: an AbortSignal; the call rejects at once and $/cancelRequest reaches the sidecar.
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 200);
  const t0 = Date.now();
  const cancelled = await sidecar.call("demo.sleep", { milliseconds: 30_000 }, { signal: ac.signal }).catch((e) => e);
  say("cancel: demo.sleep(30 s) aborted after 200 ms", `${cancelled.name} after ${Date.now() - t0} ms`);
  assert.equal(cancelled.name, "AbortError");

  // A timeout.
  const late = await sidecar.call("demo.sleep", { milliseconds: 30_000 }, { timeoutMs: 100 }).catch((e) => e);
  say("timeout: demo.sleep(30 s) within 100 ms", late.message);
  assert.ok(late instanceof SidecarTimeoutError);

  // A notification: no answer; the sidecar logs it on its stderr.
  sidecar.notify("demo.log", { message: "hello from Node.js" });
  say("notification: demo.log", "sent");

  // Callbacks: demo.work calls demoEvents.progress and demoEvents.confirm on this parent.
  const worked = await sidecar.call("demo.work", { steps: 4 });
  say("callback: demo.work(4)", `${worked}, progress: ${progress.join(", ")}`);
  assert.equal(worked, 4);
  assert.deepEqual(progress, ["work 0%", "work 25%", "work 50%", "work 75%"]);

  // A client stream: the values come from an async generator, within the sidecar's credit.
  async function* values() { for (let i = 1; i <= 100; i++) yield i; }
  const total = await sidecar.call("demo.sum", {}, { input: values() });
  say("client stream: demo.sum(1..100)", total);
  assert.equal(total, 5050);

  // A duplex stream: lines go out while the answers come back.
  const echoed = [];
  for await (const line of sidecar.stream("demo.chat", { prefix: "re: " }, { input: ["hello", "ünïcødé"] })) echoed.push(line);
  say("duplex: demo.chat", echoed);
  assert.deepEqual(echoed, ["re: hello", "re: ünïcødé"]);

  // Progress reports of a request (gRPC cannot carry them: there the call is refused with onProgress).
  const reports = [];
  if (transport.startsWith("grpc")) {
    const refused = await sidecar.call("demo.steps", { steps: 3 }, { onProgress: (n) => reports.push(n) }).catch((e) => e);
    say("progress: demo.steps(3) on gRPC", refused.message.split(":")[0]);
    assert.equal(await sidecar.call("demo.steps", { steps: 3 }), 3);
  } else {
    const steps = await sidecar.call("demo.steps", { steps: 3 }, { onProgress: (n) => reports.push(n) });
    say("progress: demo.steps(3)", `${steps}, reports ${reports.join(", ")}`);
    assert.deepEqual(reports, [1, 2, 3]);
  }

  // A polymorphic parameter, bytes, and a Stream each way.
  say("polymorphic: demo.area(circle r=1)", await sidecar.call("demo.area", { shape: { $type: "circle", name: "c", radius: 1 } }));
  say("bytes: demo.blob(4)", [...(await sidecar.call("demo.blob", { size: 4 }))]);
  say("Stream parameter: demo.upload", await sidecar.call("demo.upload", {}, { input: [Buffer.from("hello, "), Buffer.from("world")] }));
  let downloaded = 0;
  for await (const chunk of sidecar.stream("demo.download", { size: 200_000 })) downloaded += chunk.length;
  say("Stream result: demo.download(200000)", `${downloaded} bytes`);
  assert.equal(downloaded, 200_000);

  say("system.ping", await sidecar.ping());
} catch (e) {
  console.error(`FAILED: ${e?.stack ?? e}`);
  process.exitCode = 1;
} finally {
  const exit = await sidecar.stop();
  say("stopped", exit);
  if (exit.code !== 0) process.exitCode = 1;
}
