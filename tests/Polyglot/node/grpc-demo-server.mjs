// The demo contract (shared/CONFORMANCE.md) served by @grpc/grpc-js from the proto3 file the C# demo sidecar exports,
// so that SidecarKit's C# gRPC client can be proven against another implementation's server
// (tests/Transports.Grpc.Tests/GrpcJsServerTests.cs).
//
//   node grpc-demo-server.mjs [--proto demo.proto]
//
// Without --proto the file comes from `dotnet <demo sidecar dll> --describe proto` (DEMO_SIDECAR_DLL, else the Release
// build under samples/Demo/Sidecar/bin/). Binds 127.0.0.1:0 without TLS and prints one line `LISTENING 127.0.0.1:<port>`
// on stdout; demo.log and the cancellations it sees go to stderr. Exits when its stdin ends, as the sidecars do.
//
// Serves Add, Echo, Divide, Count, Sleep, Blob, Log, Exit, Sum, Chat, Area, Steps (its progress does not cross gRPC),
// Upload (a Stream parameter: length:sha256) and Download (a Stream result: 64 KiB chunks); Work answers UNIMPLEMENTED.
//
// Also a module: loadDemoService() loads the same exported proto for the grpc-js client tests (grpc.test.mjs).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const DLL = process.env.DEMO_SIDECAR_DLL
  || path.join(ROOT, "samples/Demo/Sidecar/bin/Release/net10.0/SidecarKit.Samples.Demo.Sidecar.dll");

/** The demo contract as proto3: the file at `protoPath`, else what the demo sidecar prints for --describe proto. */
export function demoProtoText(protoPath) {
  if (protoPath) return fs.readFileSync(protoPath, "utf8");
  if (!fs.existsSync(DLL)) throw new Error(`the demo sidecar is not built: ${DLL} (set DEMO_SIDECAR_DLL, or build Release)`);
  return execFileSync("dotnet", [DLL, "--describe", "proto"], { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * The `sidecarkit.demo` package of the proto text, loaded by @grpc/proto-loader: message fields in camelCase, int64 as
 * strings, defaults filled in (absent messages are null). google/protobuf imports come from /usr/include when Debian's
 * protobuf headers are there, else from the definitions protobufjs bundles.
 */
export function loadDemoPackage(text) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sidecar-proto-"));
  try {
    const file = path.join(dir, "demo.proto");
    fs.writeFileSync(file, text);
    const includeDirs = [dir];
    if (fs.existsSync("/usr/include/google/protobuf/timestamp.proto")) includeDirs.push("/usr/include");
    const definition = protoLoader.loadSync(file, { includeDirs, longs: String, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(definition).sidecarkit?.demo;
    if (!pkg?.Demo) throw new Error("the proto has no service sidecarkit.demo.Demo");
    return pkg;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const INT32_MIN = -(2 ** 31), INT32_MAX = 2 ** 31 - 1;
export const WORK_UNIMPLEMENTED = "demo.work needs callbacks to the parent — not made by this server ✗ (100% sure)";

/** A failed call as SidecarKit's servers send it: a gRPC status, and the application's code in sidecar-error-code. */
function failure(code, details, errorCode) {
  const metadata = new grpc.Metadata();
  if (errorCode !== undefined) metadata.set("sidecar-error-code", String(errorCode));
  return { code, details, metadata };
}

/** Resolves after `ms`, or false at once when the call is cancelled (by the client or its deadline). */
function waitOrCancelled(call, ms) {
  return new Promise((resolve) => {
    if (call.cancelled) return resolve(false);
    const onCancel = () => { clearTimeout(timer); resolve(false); };
    const timer = setTimeout(() => { call.off("cancelled", onCancel); resolve(true); }, ms);
    call.once("cancelled", onCancel);
  });
}

/** The handlers of service Demo, as CONFORMANCE.md describes the contract. */
export const demoHandlers = {
  add(call, callback) {
    const { a, b } = call.request, sum = a + b;
    if (sum < INT32_MIN || sum > INT32_MAX)
      return callback(failure(grpc.status.INVALID_ARGUMENT, `${a} + ${b} overflows a 32-bit integer`, -32602));
    callback(null, { result: sum });
  },

  echo(call, callback) {
    callback(null, { result: call.request.person });
  },

  divide(call, callback) {
    const { dividend, divisor } = call.request;
    if (divisor === 0) return callback(failure(grpc.status.UNKNOWN, "division by zero", -32010));
    callback(null, { result: dividend / divisor });
  },

  async count(call) {
    const to = call.request.to;
    let sent = 0;
    for (let i = 1; i <= to; i++) {
      if (call.cancelled) break;
      if (!call.write({ item: i })) {
        // Back-pressure: wait for the transport to drain, or for the client to go away.
        await new Promise((resolve) => {
          const done = () => { call.off("drain", done); call.off("cancelled", done); resolve(); };
          call.once("drain", done);
          call.once("cancelled", done);
        });
      }
      sent = i;
    }
    if (call.cancelled) {
      console.error(`demo.count: cancelled after ${sent} of ${to} items`);
      return;
    }
    call.end();
  },

  async sleep(call, callback) {
    const ms = call.request.milliseconds;
    if (await waitOrCancelled(call, Math.max(0, ms))) return callback(null, { result: "slept" });
    console.error(`demo.sleep: cancelled (${ms} ms asked)`);
  },

  blob(call, callback) {
    const size = call.request.size;
    if (size < 0) return callback(failure(grpc.status.INVALID_ARGUMENT, "size must not be negative", -32602));
    const bytes = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i++) bytes[i] = i % 256;
    callback(null, { result: bytes });
  },

  log(call, callback) {
    console.error(`demo.log: ${call.request.message}`);
    callback(null, {});
  },

  exit(call) {
    process.exit(call.request.code); // at once, without an answer (for fault tests)
  },

  // Client streaming: the first message carries the params (none here), every message with the item field set
  // (proto3 optional, so a 0 counts) is one item.
  sum(call, callback) {
    let total = 0n;
    call.on("data", (m) => { if (m.values !== undefined && m.values !== null) total += BigInt(m.values); });
    call.on("end", () => callback(null, { result: total.toString() }));
    call.on("error", () => {}); // cancelled by the client: nothing to answer
  },

  // Bidirectional: the prefix comes in the first message (which may carry a line too); each line goes back at once.
  chat(call) {
    let prefix;
    call.on("data", (m) => {
      prefix ??= m.prefix ?? "";
      if (m.lines !== undefined && m.lines !== null) call.write({ item: prefix + m.lines });
    });
    call.on("end", () => call.end());
    call.on("error", () => {});
  },

  // A polymorphic parameter: the case of the oneof Shape. None (or no shape) is invalid, as "$type" missing is.
  area(call, callback) {
    const shape = call.request.shape;
    if (shape?.variant === "circle") return callback(null, { result: Math.PI * shape.circle.radius ** 2 });
    if (shape?.variant === "rectangle") return callback(null, { result: shape.rectangle.width * shape.rectangle.height });
    callback(failure(grpc.status.INVALID_ARGUMENT,
      shape ? "the shape has no case of its oneof (circle, rectangle)" : "member 'shape' must not be null", -32602));
  },

  // IProgress<int> in C#: gRPC cannot carry the reports, so this is a plain unary rpc that answers steps.
  steps(call, callback) {
    callback(null, { result: call.request.steps });
  },

  // A Stream parameter: client streaming of byte chunks of any size (a message without data is not a chunk).
  upload(call, callback) {
    const sha = createHash("sha256");
    let length = 0;
    call.on("data", (m) => {
      if (m.data === undefined || m.data === null) return;
      sha.update(m.data);
      length += m.data.length;
    });
    call.on("end", () => callback(null, { result: `${length}:${sha.digest("hex")}` }));
    call.on("error", () => {}); // cancelled by the client: nothing to answer
  },

  // A Stream result: server streaming of 64 KiB chunks (the last shorter), byte i = i % 256, with back-pressure.
  async download(call) {
    const size = BigInt(call.request.size); // int64: a string (longs: String)
    if (size < 0n) {
      call.emit("error", failure(grpc.status.INVALID_ARGUMENT, "size must not be negative", -32602));
      return;
    }
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = i % 256;
    for (let sent = 0n; sent < size && !call.cancelled;) {
      const n = size - sent < BigInt(chunk.length) ? Number(size - sent) : chunk.length;
      sent += BigInt(n);
      if (!call.write({ item: chunk.subarray(0, n) })) {
        await new Promise((resolve) => {
          const done = () => { call.off("drain", done); call.off("cancelled", done); resolve(); };
          call.once("drain", done);
          call.once("cancelled", done);
        });
      }
    }
    if (call.cancelled) return console.error("demo.download: cancelled");
    call.end();
  },

  work(call, callback) {
    // A plain gRPC status without sidecar-error-code, as any other server sends it: the client derives the code.
    // Its details are not ASCII (grpc-js percent-encodes grpc-message), so that clients are seen to decode them.
    callback(failure(grpc.status.UNIMPLEMENTED, WORK_UNIMPLEMENTED));
  },
};

async function main() {
  const args = process.argv.slice(2);
  let protoPath;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--proto" && i + 1 < args.length) protoPath = args[++i];
    else throw new Error(`unknown argument '${args[i]}'; usage: node grpc-demo-server.mjs [--proto demo.proto]`);
  }
  const pkg = loadDemoPackage(demoProtoText(protoPath));
  const server = new grpc.Server();
  server.addService(pkg.Demo.service, demoHandlers);
  const port = await new Promise((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(),
    (error, p) => (error ? reject(error) : resolve(p))));
  process.stdout.write(`LISTENING 127.0.0.1:${port}\n`);
  // The sidecars' rule: the end of stdin (the parent closed it, or died) ends the process.
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("error", () => process.exit(0));
  process.stdin.resume();
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(`grpc-demo-server: ${e.stack ?? e}`);
    process.exit(1);
  });
}
