// The parent's side: start a sidecar process, wait until it is ready, call it, serve its callbacks, and stop it.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { codecFor } from "./codec.mjs";
import { Connection } from "./connection.mjs";
import { readContract, typesOf } from "./contract.mjs";
import { SidecarExitedError, SidecarStartError } from "./errors.mjs";
import { flattenHandlers, servedMethod } from "./methods.mjs";

const GRPC = new Set(["grpc", "grpc-unix"]);

const READY_PREFIX = "__SIDECAR_READY__:";
const TAIL_LINES = 50;
const live = new Set();
// No orphans: whatever this process leaves running when it exits is killed, with its process group (a sidecar is
// spawned detached, the leader of its own group, so what it started goes too, as with signal()). The sidecars also exit
// at the end of their stdin, which the OS closes when this process dies in any way, but their children need not.
process.once("exit", () => {
  for (const child of live) {
    try { process.kill(-child.pid, "SIGKILL"); } catch { try { child.kill("SIGKILL"); } catch { /* gone */ } }
  }
});

/**
 * Starts `command args` as a sidecar and resolves once it is ready (`lifecycle.ready` or the ready marker, whichever
 * comes first; for msgpack-unix the marker, then the connection's `lifecycle.ready`).
 */
export async function start(command, args = [], options = {}) {
  const sidecar = new Sidecar(command, args, options);
  await sidecar.started;
  return sidecar;
}

export class Sidecar {
  constructor(command, args, options) {
    this.command = command;
    this.options = options;
    this.transport = options.transport ?? "jsonl";
    this.stderrLines = [];
    this.ready = null;
    this.contracts = new Map(); // announced: name -> model
    this.callbackContracts = new Map();
    this.handlers = flattenHandlers(options.callbacks);
    this.stopping = false;
    this.started = this.launch(command, args, options);
    this.started.catch(() => {});
  }

  get pid() { return this.child?.pid; }

  /** The last stderr lines (at most 50), for error messages. */
  stderrTail(n = 20) { return this.stderrLines.slice(-n); }

  async launch(command, args, options) {
    const { readyTimeoutMs = 30_000 } = options;
    const grpcTransport = GRPC.has(this.transport);
    const codec = grpcTransport ? null : await codecFor(this.transport);
    const env = { ...process.env, SIDECAR_PARENT_PID: String(process.pid), ...options.env };
    // A socket needs the parent's token (a fresh one each start); stdio pipes are private to the two processes.
    if ((this.transport === "msgpack-unix" || grpcTransport) && !("SIDECAR_TOKEN" in (options.env ?? {}))) env.SIDECAR_TOKEN = randomBytes(16).toString("hex");
    this.token = env.SIDECAR_TOKEN;
    // jsonl is every sidecar's default, so only the other transports are named (a jsonl-only sidecar need not know the flag).
    const transportArgs = options.transportArgs ?? (this.transport === "jsonl" ? [] : ["--transport", this.transport]);
    const child = spawn(command, [...args, ...transportArgs], { cwd: options.cwd, env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    this.child = child;
    live.add(child);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        live.delete(child);
        this.exitInfo = { code, signal };
        resolve({ code, signal });
      });
    });
    const spawnFailed = new Promise((_, reject) => child.once("error", (e) => reject(new SidecarStartError(`Could not start '${command}': ${e.message}`, { stderrTail: [] }))));
    spawnFailed.catch(() => {});
    child.stdin.on("error", () => {}); // writing to a sidecar that died: the exit reports it

    let markReady, markLifecycle;
    const readySeen = new Promise((resolve) => { markReady = resolve; });
    const lifecycleSeen = new Promise((resolve) => { markLifecycle = resolve; });
    this.readLines(child.stderr, (line) => {
      if (line.startsWith(READY_PREFIX) && !this.marker) {
        try {
          this.marker = JSON.parse(line.slice(READY_PREFIX.length));
          markReady("marker");
        } catch { this.remember(line); }
        return;
      }
      this.remember(line);
      options.onStderr?.(line);
    });

    const conn = grpcTransport ? null : new Connection({
      codec,
      output: child.stdin,
      methods: (name) => this.served(name),
      shapes: (name) => this.shapeOf(name),
      types: () => this.allTypes,
      log: (level, message) => options.onLog?.(level, message),
      defaultTimeoutMs: options.defaultTimeoutMs ?? 30_000,
      onNotification: (method, params) => {
        if (method === "lifecycle.ready") { this.lifecycleReady = params; markReady("lifecycle.ready"); markLifecycle(); return true; }
        if (method === "lifecycle.shutdown") { this.shutdownReason = params.reason; return true; }
        return false;
      },
    });
    this.conn = conn;

    if (this.transport === "msgpack-unix" || grpcTransport) {
      child.stdout.on("data", (chunk) => { for (const l of chunk.toString("utf8").split("\n")) if (l) this.remember(`stdout: ${l}`); });
    } else {
      this.reading = codec.read(child.stdout, (m) => conn.receive(m)).catch((e) => this.remember(`(the sidecar's output could not be read: ${e.message})`));
      // A sidecar that closes its stdout can answer nothing more, even if it goes on running.
      this.reading.then(() => this.connectionLost("closed its stdout"));
    }
    this.exited.then(async () => {
      await Promise.race([this.reading, new Promise((r) => setTimeout(r, 500))]); // let answers already sent arrive first
      this.connectionLost();
    });

    let timer;
    const timedOut = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new SidecarStartError(`The sidecar '${command}' did not announce that it was ready within ${readyTimeoutMs} ms.`, { stderrTail: this.stderrTail() })), readyTimeoutMs);
    });
    const exitedEarly = this.exited.then(({ code, signal }) => {
      throw new SidecarStartError(`The sidecar '${command}' ${signal ? `was killed by ${signal}` : `exited with code ${code}`} before it was ready.`, { exitCode: code, signal, stderrTail: this.stderrTail() });
    });
    exitedEarly.catch(() => {});
    try {
      if (grpcTransport) {
        await Promise.race([readySeen, exitedEarly, timedOut, spawnFailed]);
        this.acceptAnnouncement(this.marker);
        const { connectGrpc } = await import("./grpc.mjs");
        this.conn = await Promise.race([connectGrpc(this, command, args, this.marker.listenInfo, this.token, this.handlers), exitedEarly, timedOut]);
        return;
      } else if (this.transport === "msgpack-unix") {
        await Promise.race([readySeen, exitedEarly, timedOut, spawnFailed]);
        await Promise.race([this.connectSocket(codec, conn), exitedEarly, timedOut]);
        await Promise.race([lifecycleSeen, exitedEarly, timedOut]); // the connection's own lifecycle.ready
      } else {
        await Promise.race([readySeen, exitedEarly, timedOut, spawnFailed]);
      }
      this.acceptAnnouncement(this.lifecycleReady ?? this.marker);
    } catch (e) {
      this.kill();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  async connectSocket(codec, conn) {
    const path = this.marker?.listenInfo;
    if (typeof path !== "string") throw new SidecarStartError("The ready marker names no socket (listenInfo).", { stderrTail: this.stderrTail() });
    const socket = net.createConnection(path);
    await new Promise((resolve, reject) => { socket.once("connect", resolve); socket.once("error", reject); });
    this.socket = socket;
    conn.output = socket;
    socket.on("error", () => {});
    if (this.token) conn.send({ kind: "notification", method: "$/hello", params: [{ token: this.token }] });
    this.reading = codec.read(socket, (m) => conn.receive(m)).catch((e) => this.remember(`(the socket could not be read: ${e.message})`));
    this.reading.then(() => this.connectionLost(`closed its connection at ${path}`));
  }

  /** Fails what is pending once nothing more can arrive, naming the exit code when the process is gone (or goes
   * within a second), or `what` happened when it still runs. */
  async connectionLost(what) {
    if (!this.conn || this.conn.closedError) return;
    if (!this.exitInfo && what) await Promise.race([this.exited, new Promise((r) => setTimeout(r, 1000))]);
    if (this.conn.closedError) return;
    let message;
    if (this.exitInfo) {
      const { code, signal } = this.exitInfo;
      message = `The sidecar (pid ${this.child.pid}) ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${this.stopping ? " (stopped)" : ""}.`;
    } else {
      message = `The sidecar (pid ${this.child.pid}) ${what}.`;
    }
    this.conn.close(new SidecarExitedError(message, { exitCode: this.exitInfo?.code ?? null, signal: this.exitInfo?.signal ?? null, stderrTail: this.stderrTail() }));
  }

  remember(line) {
    this.stderrLines.push(line.length > 16384 ? `${line.slice(0, 16384)}…` : line);
    if (this.stderrLines.length > TAIL_LINES) this.stderrLines.shift();
  }

  readLines(stream, onLine) {
    stream.setEncoding("utf8");
    let rest = "";
    stream.on("data", (text) => {
      rest += text;
      let nl;
      while ((nl = rest.indexOf("\n")) >= 0) {
        onLine(rest.slice(0, nl).replace(/\r$/, ""));
        rest = rest.slice(nl + 1);
      }
    });
    stream.on("end", () => { if (rest) onLine(rest); });
  }

  /** Reads the announced contracts and checks the fingerprints the caller expects. */
  acceptAnnouncement(payload) {
    this.ready = payload;
    const major = String(payload?.protocolVersion ?? "1.0").split(".")[0];
    if (major !== "1") throw new SidecarStartError(`The sidecar speaks protocol ${payload.protocolVersion}; this library speaks 1.x.`, { stderrTail: this.stderrTail() });
    for (const entry of payload?.contracts ?? []) {
      try { this.contracts.set(entry.name, readContract(entry)); } catch (e) { this.remember(`(an announced contract could not be read: ${e.message})`); }
    }
    for (const entry of payload?.callbacks ?? []) {
      try { this.callbackContracts.set(entry.name, readContract(entry)); } catch (e) { this.remember(`(an announced callback contract could not be read: ${e.message})`); }
    }
    for (const c of this.options.contracts ?? []) { // the caller's own descriptions win over the announced shapes
      const model = readContract(c);
      const into = this.contracts.has(model.name) || !this.callbackContracts.has(model.name) ? this.contracts : this.callbackContracts;
      const announced = into.get(model.name);
      into.set(model.name, { ...model, fingerprint: announced?.fingerprint ?? null, types: model.types.size ? model.types : (announced?.types ?? model.types) });
    }
    this.allTypes = typesOf([...this.contracts.values(), ...this.callbackContracts.values()]);
    for (const [name, expected] of Object.entries(this.options.fingerprints ?? {})) {
      const announced = this.ready?.contracts?.find((c) => c.name === name);
      if (!announced) throw new SidecarStartError(`The sidecar does not serve the contract '${name}' (it announced: ${(this.ready?.contracts ?? []).map((c) => c.name).join(", ") || "none"}).`, { stderrTail: this.stderrTail() });
      if (announced.fingerprint && announced.fingerprint !== expected) {
        const message = `The sidecar serves contract '${name}' with fingerprint ${announced.fingerprint}, not ${expected} (the stubs were generated from another version of the contract).`;
        if (this.options.onFingerprintMismatch === "warn") this.remember(`(warning) ${message}`);
        else throw new SidecarStartError(message, { stderrTail: this.stderrTail() });
      }
    }
    for (const name of this.handlers.keys()) {
      const contract = name.slice(0, name.lastIndexOf("."));
      if (this.callbackContracts.size && !this.callbackContracts.has(contract)) this.remember(`(warning) a handler for '${name}', but the sidecar announced no callback contract '${contract}'`);
    }
  }

  shapeOf(name) {
    const contract = name.slice(0, name.lastIndexOf("."));
    return this.contracts.get(contract)?.methods.get(name) ?? this.callbackContracts.get(contract)?.methods.get(name);
  }

  served(name) {
    const fn = this.handlers.get(name);
    if (!fn) return undefined;
    return servedMethod(this.shapeOf(name), this.allTypes, fn);
  }

  // ---------------------------------------------------------------------------------------------- calling

  /** A request (or a client stream with `input`); a method announced as a stream resolves to all its items. */
  call(method, params, options) { return this.conn.call(method, params, options); }

  /** A streamed result (or a duplex stream with `input`) as an async iterable; breaking out of it cancels the call. */
  stream(method, params, options) { return this.conn.stream(method, params, options); }

  /** A notification: no answer. */
  notify(method, params) { this.conn.notify(method, params); }

  /** system.ping: the sidecar's health snapshot. */
  ping(options) { return this.conn.call("system.ping", {}, { timeoutMs: 5000, ...options }); }

  get running() { return this.child && !this.exitInfo; }

  /**
   * Stops the sidecar: system.shutdown (it answers, lets running calls finish, exits 0) and the end of its stdin, then
   * SIGTERM, then SIGKILL, each after `timeoutMs` (default 5 s). Resolves to the exit {code, signal}.
   */
  async stop({ timeoutMs = this.options.stopTimeoutMs ?? 5000 } = {}) {
    this.stopping = true;
    if (!this.child || this.exitInfo) return this.exited ?? { code: null, signal: null };
    const waitExit = (ms) => Promise.race([this.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), ms).unref?.())]);
    // system.shutdown, then the end of stdin once it is answered (or refused: a sidecar that does not know it still
    // exits at the end of its input); a SidecarKit sidecar already draining goes on draining.
    const endInput = () => { try { this.child.stdin.end(); } catch { /* gone */ } };
    (this.conn ? this.conn.call("system.shutdown", {}, { timeoutMs }) : Promise.reject()).then(endInput, endInput);
    if (await waitExit(timeoutMs)) return this.exited;
    this.signal("SIGTERM");
    if (await waitExit(timeoutMs)) return this.exited;
    this.kill();
    return this.exited;
  }

  signal(sig) {
    // The sidecar leads its own process group (detached): signalling the group reaches whatever it started too.
    try { process.kill(-this.child.pid, sig); } catch { try { this.child.kill(sig); } catch { /* gone */ } }
  }

  /** SIGKILL to the sidecar's whole process group, at once. */
  kill() {
    if (!this.child || this.exitInfo) return;
    this.stopping = true;
    this.signal("SIGKILL");
  }
}
