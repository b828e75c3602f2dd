#!/usr/bin/env node
// The SidecarKit demo sidecar in Node.js, on the sidecarkit library: the whole demo contract
// (samples/Demo/Contract/IDemo.cs) over JSON lines (--transport jsonl, the default) or MessagePack-RPC
// (--transport msgpack), announced with the C# contract's name, fingerprint and shapes, so a SidecarKit parent
// supervises it and calls it with the generated C# proxy. The library does the lifecycle: the ready marker and
// lifecycle.ready, system.ping, and the exit on system.shutdown, end of stdin, SIGTERM/SIGINT or the parent's death.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

// "sidecarkit" once `npm install` ran here; the library's folder otherwise, so that a parent can start this sidecar
// from a fresh checkout (JSON lines need no other package).
const { serve, RemoteError, log } = await import("sidecarkit").catch(() => import("../../../clients/node/index.mjs"));

// The description the C# demo sidecar prints with --describe json: the library announces it (shapes and types) and
// computes its fingerprint from it, affde6564d41572f, the C# generator's.
const description = JSON.parse(readFileSync(new URL("./demo-contract.json", import.meta.url), "utf8"));
// The application errors the C# contract declares ([SidecarError]): --describe json leaves them out (they are not part
// of the fingerprint); --describe openrpc lists them.
const declare = (name, code, message) => { description.contracts[0].methods.find((m) => m.name === name).errors = [{ code, message }]; };
declare("demo.divide", -32010, "division by zero");
declare("demo.work", -32011, "declined by parent");

const CHUNK = 64 * 1024; // a Stream result's chunks, as SidecarKit cuts them (docs/protocol.md section 12a)
const INT32_MIN = -(2 ** 31), INT32_MAX = 2 ** 31 - 1;

const demo = {
  add(a, b) {
    const sum = a + b;
    if (sum < INT32_MIN || sum > INT32_MAX) throw new RemoteError(-32602, `${a} + ${b} overflows a 32-bit integer`);
    return sum;
  },

  echo(person) {
    return person;
  },

  divide(dividend, divisor) {
    if (divisor === 0) throw new RemoteError(-32010, "division by zero");
    return dividend / divisor;
  },

  async *count(to, ctx) {
    for (let i = 1; i <= to; i++) {
      ctx.signal.throwIfAborted();
      yield i;
    }
  },

  async sleep(milliseconds, ctx) {
    // -1 sleeps until cancelled; the AbortError of a cancellation is answered -32800 by the library.
    await sleep(milliseconds === -1 ? 2 ** 31 - 1 : Math.max(0, milliseconds), undefined, { signal: ctx.signal });
    return "slept";
  },

  blob(size) {
    if (size < 0) throw new RemoteError(-32602, "size must not be negative");
    return Buffer.from(Array.from({ length: size }, (_, i) => i % 256));
  },

  log(message) {
    log("info", "demo", `demo.log: ${message}`);
  },

  exit(code) {
    process.exit(code); // at once, no answer: what the fault tests need
  },

  async work(steps, ctx) {
    for (let i = 0; i < steps; i++) {
      ctx.signal.throwIfAborted();
      ctx.notify("demoEvents.progress", { task: "work", percent: Math.floor((100 * i) / steps) });
    }
    // Cancelling demo.work cancels this call too ($/cancelRequest to the parent): ctx.call passes ctx.signal on.
    const confirmed = await ctx.call("demoEvents.confirm", { question: "commit?" });
    if (typeof confirmed !== "boolean") throw new RemoteError(-32603, `demoEvents.confirm answered ${JSON.stringify(confirmed)}, not a boolean.`, { type: "SidecarKit.SidecarProtocolException" });
    if (!confirmed) throw new RemoteError(-32011, "declined by parent");
    return steps;
  },

  async sum(values) {
    let total = 0n; // an int64: exact beyond 2^53, a number again when it fits
    for await (const v of values) total += BigInt(v);
    return total >= BigInt(Number.MIN_SAFE_INTEGER) && total <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(total) : total;
  },

  async *chat(prefix, lines) {
    for await (const line of lines) yield prefix + line;
  },

  area(shape) {
    if (shape.$type === "circle") return Math.PI * shape.radius * shape.radius;
    return shape.width * shape.height;
  },

  steps(steps, ctx) {
    for (let i = 1; i <= steps; i++) ctx.progress(i);
    return steps;
  },

  async upload(data) {
    const sha = createHash("sha256");
    let length = 0;
    for await (const chunk of data) {
      sha.update(chunk);
      length += chunk.length;
    }
    return `${length}:${sha.digest("hex")}`;
  },

  download(size) {
    if (size < 0) throw new RemoteError(-32602, "size must not be negative");
    const total = Number(size);
    const pattern = Buffer.from(Array.from({ length: CHUNK }, (_, i) => i % 256)); // 64 KiB is a multiple of 256
    return (async function* chunks() {
      for (let start = 0; start < total; start += CHUNK) yield pattern.subarray(0, Math.min(CHUNK, total - start));
    })();
  },

  sample(sample) {
    return { ...sample, tags: [...new Set(sample.tags)] }; // a HashSet<string>: each tag once
  },
};

await serve({ contract: description.contracts[0], callbacks: description.callbacks, implementation: demo, name: "demo-sidecar.mjs" });
