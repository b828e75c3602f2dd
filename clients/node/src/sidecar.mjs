// The sidecar's side: serve a contract's implementation to a SidecarKit parent over stdio (docs/protocol.md section
// 19, "A sidecar in another language"): the ready marker and lifecycle.ready, system.*, shutdown on system.shutdown,
// stdin EOF, SIGTERM/SIGINT and the parent's death, and log lines on stderr in the C# form.
import { randomBytes } from "node:crypto";
import { format } from "node:util";
import { codecFor } from "./codec.mjs";
import { Connection } from "./connection.mjs";
import { announceEntry, describeEntry, readContract, typesOf } from "./contract.mjs";
import { servedMethod } from "./methods.mjs";
import { openRpcDocument, openRpcText } from "./openrpc.mjs";

const VERSION = "1.0.0", PROTOCOL_VERSION = "1.0", READY_PREFIX = "__SIDECAR_READY__:";
const SHUTDOWN_TIMEOUT_MS = 10_000, CANCELLED_GRACE_MS = 2_000;
const LEVELS = { trace: 0, debug: 1, information: 2, info: 2, warning: 3, warn: 3, error: 4, critical: 5, none: 6 };
const TAGS = ["trce", "dbug", "info", "warn", "fail", "crit"];
let logLevel = 2;

export function setLogLevel(level) {
  if (!(String(level).toLowerCase() in LEVELS)) throw new Error(`unknown log level '${level}'`);
  logLevel = LEVELS[String(level).toLowerCase()];
}

const escape = (text) => String(text).replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");

/**
 * One log entry on stderr in the form SidecarKit sidecars write (docs/protocol.md section 14.6), so that the parent
 * logs it again at its level: `<lvl> <category>: <message>`, then a tab and the error's text for an error.
 */
export function log(level, category, message, error) {
  const n = LEVELS[level] ?? 2;
  if (n < logLevel || n >= 6) return;
  let line = `${TAGS[n]} ${String(category).replace(/\s/g, "_")}: ${escape(message)}`;
  if (error) line += `\t${escape(error?.stack ?? String(error))}`;
  process.stderr.write(`${line}\n`);
}

function usage(name, contracts, callbacks) {
  const list = (cs) => cs.map((c) => `  ${c.name} (fingerprint ${describeEntry(c).fingerprint}): ${[...c.methods.keys()].join(", ")}`).join("\n");
  return `Usage: ${name} [options]

Options:
  --transport <name>   jsonl (default) or msgpack
  --log-level <level>  trace, debug, information (default), warning, error, critical or none
  --quiet-ready        do not write the ${READY_PREFIX} line on stderr
  --describe [format]  print the contract description (json, or openrpc) and exit
  -h, --help           print this and exit

Contracts:
${list(contracts)}
${callbacks.length ? `Callbacks (called on the parent):\n${list(callbacks)}\n` : ""}`;
}

function parseArgs(argv) {
  const o = { transport: "jsonl", quietReady: false };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i], value;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) { value = a.slice(eq + 1); a = a.slice(0, eq); }
    const take = () => {
      if (value !== undefined) return value;
      if (i + 1 >= argv.length || argv[i + 1].startsWith("--")) throw new UsageError(`Missing value for '${a}'.`);
      return argv[++i];
    };
    switch (a) {
      case "--transport": o.transport = take(); break;
      case "--log-level": o.logLevel = take(); break;
      case "--quiet-ready": o.quietReady = true; break;
      case "--describe": o.describe = value ?? (i + 1 < argv.length && !argv[i + 1].startsWith("-") ? argv[++i] : "json"); break;
      case "-h": case "--help": o.help = true; break;
      default: throw new UsageError(`Unknown option '${a}'. Run with --help for the options.`);
    }
  }
  return o;
}

class UsageError extends Error {}

/**
 * Serves `implementation` for `contract` (a description in the `--describe json` form, or an array of them) until a
 * shutdown; never resolves (the process exits). Each method is found on the implementation by the part of its wire
 * name after the contract's name (`demo.add` -> `add`), or by its whole wire name; it is called with the params in
 * declared order, then the streamed parameter (an async iterable) for client and duplex streams, then a context
 * {signal, progress(item), call(), notify(), stream(), log()}. A stream method returns an (async) iterable.
 */
export async function serve({ contract, callbacks = [], implementation, name = process.argv[1]?.split("/").pop() ?? "sidecar", version = VERSION, argv = process.argv.slice(2) }) {
  const contracts = (Array.isArray(contract) ? contract : [contract]).map(readContract);
  const callbackContracts = callbacks.map(readContract);
  const types = typesOf([...contracts, ...callbackContracts]);
  const entries = new Map();
  for (const c of contracts) {
    for (const m of c.methods.values()) {
      const short = m.name.startsWith(`${c.name}.`) ? m.name.slice(c.name.length + 1) : m.name;
      const fn = implementation[short] ?? implementation[m.name];
      if (typeof fn !== "function") throw new Error(`The implementation of '${c.name}' has no method '${short}' for '${m.name}'.`);
      entries.set(m.name, servedMethod(m, types, fn.bind(implementation)));
    }
  }

  let opts;
  try {
    opts = parseArgs(argv);
    if (opts.logLevel !== undefined) setLogLevel(opts.logLevel);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(usage(name, contracts, callbackContracts));
    process.exit(0);
  }
  if (opts.describe !== undefined) {
    let text;
    if (opts.describe === "json") text = JSON.stringify({ protocolVersion: PROTOCOL_VERSION, contracts: contracts.map(describeEntry), callbacks: callbackContracts.map(describeEntry) });
    else if (opts.describe === "openrpc") text = openRpcText(openRpcDocument(contracts, callbackContracts));
    else {
      process.stderr.write(`Unknown description format '${opts.describe}'. Available: json, openrpc.\n`);
      process.exit(2);
    }
    process.stdout.write(`${text}\n`, () => process.exit(0));
    return new Promise(() => {});
  }
  const wanted = process.env.SIDECAR_PROTOCOL_VERSION;
  if (wanted && wanted.split(".")[0] !== PROTOCOL_VERSION.split(".")[0]) {
    process.stderr.write(`The parent speaks protocol ${wanted}; this sidecar speaks ${PROTOCOL_VERSION}.\n`);
    process.exit(1);
  }
  if (opts.transport !== "jsonl" && opts.transport !== "msgpack") {
    process.stderr.write(`Unknown transport '${opts.transport}'. Available: jsonl, msgpack.\n`);
    process.exit(2);
  }
  const codec = await codecFor(opts.transport);
  // stdout carries protocol messages only: a stray console.log of the implementation would break the parent's reading,
  // so the console writes log lines on stderr instead.
  for (const [name, level] of [["log", "info"], ["info", "info"], ["debug", "debug"], ["trace", "trace"]]) {
    console[name] = (...args) => log(level, "console", format(...args));
  }

  const started = performance.now();
  const instanceId = randomBytes(16).toString("hex");
  let reason = null, now = false;
  let wake = () => {};
  const stop = (why, immediately = false) => {
    const first = reason === null;
    reason ??= why;
    if (!first && (!immediately || now)) return; // the end of stdin during a drain changes nothing
    now ||= immediately;
    if (now) for (const run of conn.running.values()) run.cancel();
    wake();
  };

  const builtins = {
    "system.ping": servedMethod({ name: "system.ping", kind: "request", params: [] }, types, () => ({
      status: reason ? "draining" : "ok", pid: process.pid, instanceId, uptimeMs: Math.round(performance.now() - started),
      activeRequests: Math.max(0, conn.running.size - 1), version, protocolVersion: PROTOCOL_VERSION,
    })),
    "system.shutdown": servedMethod({ name: "system.shutdown", kind: "request", params: [] }, types, () => { setImmediate(() => stop("shutdown")); return null; }),
    "system.shutdown_now": servedMethod({ name: "system.shutdown_now", kind: "request", params: [] }, types, () => { setImmediate(() => stop("shutdown_now", true)); return null; }),
    // OpenRPC's discovery method: the document --describe openrpc prints (its 64-bit bounds exact, as BigInts).
    "rpc.discover": servedMethod({ name: "rpc.discover", kind: "request", params: [] }, types, () => openRpcDocument(contracts, callbackContracts)),
  };
  const callbackShapes = new Map();
  for (const c of callbackContracts) for (const m of c.methods.values()) callbackShapes.set(m.name, m);

  const conn = new Connection({
    codec,
    output: process.stdout,
    methods: (method) => entries.get(method) ?? builtins[method],
    shapes: (method) => callbackShapes.get(method),
    types: () => types,
    log: (level, message, category = "SidecarKit.Connection") => log(level, category, message),
    accepting: () => reason === null,
  });

  const ready = {
    version, protocolVersion: PROTOCOL_VERSION, pid: process.pid, instanceId, transport: opts.transport, listenInfo: null,
    contracts: contracts.map((c) => announceEntry(c)), callbacks: callbackContracts.map((c) => announceEntry(c)),
  };
  if (!opts.quietReady) process.stderr.write(`${READY_PREFIX}${JSON.stringify({ status: "ok", ...ready })}\n`);
  conn.notify("lifecycle.ready", ready); // before stdin is read: always the first message on stdout

  process.on("SIGTERM", () => stop("sigterm", true));
  process.on("SIGINT", () => stop("sigint", true));
  const parent = Number(process.env.SIDECAR_PARENT_PID);
  if (Number.isInteger(parent) && parent > 0) {
    const watch = setInterval(() => {
      try { process.kill(parent, 0); } catch (e) {
        if (e.code === "ESRCH") {
          clearInterval(watch);
          log("warning", "SidecarKit.Host", `The parent process ${parent} is gone; shutting down.`);
          stop("parent-exit", true);
        }
      }
    }, 250);
    watch.unref();
  }
  codec.read(process.stdin, (m) => { if (!(reason && now)) conn.receive(m); })
    .then(() => stop("eof"), (e) => { log("error", "SidecarKit.Connection", `The input cannot be read any further: ${e.message}`); stop("protocol-error", true); });
  log("info", "SidecarKit.Host", `Ready: ${contracts.map((c) => c.name).join(", ")} over ${opts.transport} (pid ${process.pid}).`);

  await new Promise((r) => { wake = r; });
  log("info", "SidecarKit.Host", `Shutting down (${reason}).`);
  const idle = (ms) => new Promise((resolve) => {
    const end = Date.now() + ms;
    const check = () => (conn.running.size === 0 || Date.now() > end ? resolve() : setTimeout(check, 10));
    check();
  });
  if (!now) {
    await Promise.race([idle(SHUTDOWN_TIMEOUT_MS), new Promise((r) => { wake = r; })]); // a "now" trigger cuts it short
    for (const run of conn.running.values()) run.cancel();
  }
  await idle(CANCELLED_GRACE_MS);
  conn.notify("lifecycle.shutdown", { reason });
  const code = reason === "protocol-error" ? 1 : 0;
  const timer = setTimeout(() => process.exit(code), 2000); // a parent that stopped reading must not hold us
  process.stdout.write(Buffer.alloc(0), () => { clearTimeout(timer); process.exit(code); });
  return new Promise(() => {});
}
