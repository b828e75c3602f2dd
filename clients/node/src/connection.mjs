// The call engine, the same on both sides (the protocol is symmetric, docs/protocol.md section 13): outgoing calls,
// notifications, streamed results with credit, streamed parameters within the callee's credit, progress, cancellation
// and timeouts; incoming requests run by the methods a side serves, with the same machinery the other way round.
import { CallCancelledError, RemoteError, SidecarError, SidecarTimeoutError } from "./errors.mjs";
import { readValue, streamsInput, streamsResult } from "./contract.mjs";

export const STREAM_WINDOW = 64; // items a callee sends beyond the credit it was granted (the callee's setting)
export const INPUT_WINDOW = 64; // items of a streamed parameter a caller sends beyond its credit (fixed by the protocol)
const MAX_CREDIT = 2 ** 31 - 1;

/** Positional parameter names of the engine's own messages, for MessagePack-RPC (appendix A). */
export const BUILTIN_PARAMS = {
  "$/cancelRequest": ["id"],
  "$/stream.item": ["id", "item"],
  "$/stream.credit": ["id", "credit"],
  "$/progress": ["id", "item"],
  "$/input.item": ["id", "item"],
  "$/input.credit": ["id", "credit"],
  "$/input.end": ["id", "error"],
  "lifecycle.ready": ["version", "protocolVersion", "pid", "instanceId", "transport", "listenInfo", "contracts", "callbacks"],
  "lifecycle.shutdown": ["reason"],
  "system.ping": [], "system.shutdown": [], "system.shutdown_now": [],
};

const keyOf = (id) => (typeof id === "string" ? `s:${id}` : `n:${String(id)}`);
const isId = (id) => typeof id === "string" || (typeof id === "number" && Number.isInteger(id)) || typeof id === "bigint";

/**
 * One connection. `methods(name)` returns what this side serves under a wire name ({kind, params, input, items,
 * readArgs(params), readItem(v), handler(args, ctx)}) or undefined; `shapes(name)` what the other side announced for
 * a method it serves (for positional params and the types of results), or undefined.
 */
export class Connection {
  constructor({ codec, output, methods = () => undefined, shapes = () => undefined, types = () => undefined, log = () => {}, defaultTimeoutMs = 30_000, onNotification, accepting = () => true }) {
    Object.assign(this, { codec, output, methods, shapes, types, log, defaultTimeoutMs, onNotification, accepting });
    this.nextId = 0;
    this.pending = new Map(); // our calls awaiting an answer, by id
    this.running = new Map(); // the other side's requests running here, by keyOf(id)
    this.closedError = null;
    output.on?.("error", (e) => this.log("debug", `Writing failed: ${e.message}`));
  }

  // ------------------------------------------------------------------------------------------ writing

  send(msg) {
    if (this.closedError || this.output.destroyed || this.output.writableEnded) return false;
    try {
      this.output.write(this.codec.encode(msg));
      return true;
    } catch (e) {
      this.log("warn", `A message could not be written: ${e.message}`);
      throw e;
    }
  }

  wireParams(method, params) {
    if (params === undefined || params === null) params = {};
    if (this.codec.format !== "msgpack" || Array.isArray(params)) return params;
    const names = BUILTIN_PARAMS[method] ?? this.shapes(method)?.params?.map((p) => p.name);
    if (!names) return params; // unknown shape: by name, which MessagePack-RPC accepts too
    const values = names.map((n) => (params[n] === undefined ? null : params[n]));
    while (values.length && params[names[values.length - 1]] === undefined) values.pop(); // optional ones left out
    return values;
  }

  namedParams(method, params, names) {
    if (!Array.isArray(params)) return params ?? {};
    names ??= BUILTIN_PARAMS[method];
    if (!names) return params;
    const o = {};
    names.forEach((n, i) => { if (i < params.length) o[n] = params[i]; });
    return o;
  }

  notify(method, params) {
    if (this.closedError) throw this.closedError;
    this.send({ kind: "notification", method, params: this.wireParams(method, params) });
  }

  // ------------------------------------------------------------------------------------------ calling

  /** A request; resolves to its result. A stream-kind method (as announced) resolves to all its items. */
  call(method, params, opts = {}) {
    const shape = this.shapes(method);
    if (shape && streamsResult(shape.kind)) return this.collect(method, params, opts);
    return new Promise((resolve, reject) => {
      const record = this.begin(method, params, opts, {
        resolve: (result) => resolve(readValue(result, shape?.result, this.types(), false)),
        reject,
        onProgress: opts.onProgress && ((item) => {
          try { opts.onProgress(readValue(item, shape?.progress, this.types(), false)); } catch (e) { this.log("warn", `onProgress of '${method}' threw: ${e?.message ?? e}`); }
        }),
        timeoutMs: opts.timeoutMs ?? (opts.input ? undefined : this.defaultTimeoutMs),
      });
      if (record && opts.input) this.pump(record, opts.input);
    });
  }

  async collect(method, params, opts) {
    const items = [];
    for await (const item of this.stream(method, params, opts)) items.push(item);
    return items;
  }

  /** A streamed result as an async iterable; the request is sent when iteration starts. */
  stream(method, params, opts = {}) {
    return new RemoteStream(this, method, params, opts);
  }

  /** Registers and sends a request; `handlers` gets the answer. Returns the record, or undefined if refused at once. */
  begin(method, params, opts, handlers) {
    if (this.closedError) { handlers.reject(this.closedError); return undefined; }
    const { signal } = opts;
    if (signal?.aborted) { handlers.reject(signal.reason ?? new CallCancelledError(method)); return undefined; }
    const id = ++this.nextId;
    const record = { id, method, done: false, sent: 0, inputCredit: 0, creditWaiter: null, stopPump: null, ...handlers };
    const cleanup = () => {
      record.done = true;
      this.pending.delete(id);
      if (record.timer) clearTimeout(record.timer);
      if (signal && record.onAbort) signal.removeEventListener("abort", record.onAbort);
      record.creditWaiter?.();
      record.stopPump?.();
    };
    record.settle = (error, result) => {
      if (record.done) return;
      cleanup();
      if (error) handlers.reject(error);
      else handlers.resolve(result);
    };
    record.cancel = (error) => {
      if (record.done) return;
      this.sendQuietly({ kind: "notification", method: "$/cancelRequest", params: this.wireParams("$/cancelRequest", { id }) });
      record.settle(error);
    };
    if (signal) {
      record.onAbort = () => record.cancel(signal.reason ?? new CallCancelledError(method));
      signal.addEventListener("abort", record.onAbort, { once: true });
    }
    if (handlers.timeoutMs !== undefined && handlers.timeoutMs !== null && handlers.timeoutMs >= 0 && Number.isFinite(handlers.timeoutMs)) {
      record.timer = setTimeout(() => record.cancel(new SidecarTimeoutError(method, handlers.timeoutMs)), handlers.timeoutMs);
    }
    this.pending.set(id, record);
    try {
      this.send({ kind: "request", id, method, params: this.wireParams(method, params) });
    } catch (e) {
      record.settle(e);
      return undefined;
    }
    return record;
  }

  sendQuietly(msg) {
    try { this.send(msg); } catch { /* the connection is going away: nothing to cancel any more */ }
  }

  /** Sends a streamed parameter's items within the callee's credit, then $/input.end (section 12a). */
  async pump(record, input) {
    const it = input[Symbol.asyncIterator] ? input[Symbol.asyncIterator]() : input[Symbol.iterator]();
    record.stopPump = () => { Promise.resolve().then(() => it.return?.()).catch(() => {}); };
    const wireId = (params) => this.wireParams(params.method, params.p);
    try {
      for (;;) {
        const { value, done } = await it.next();
        if (record.done) return;
        if (done) break;
        while (record.sent >= INPUT_WINDOW + record.inputCredit && !record.done) await new Promise((r) => { record.creditWaiter = r; });
        if (record.done) return;
        this.send({ kind: "notification", method: "$/input.item", params: wireId({ method: "$/input.item", p: { id: record.id, item: value } }) });
        record.sent++;
      }
      if (!record.done) this.send({ kind: "notification", method: "$/input.end", params: wireId({ method: "$/input.end", p: { id: record.id, error: null } }) });
    } catch (e) {
      if (record.done) return;
      const error = { code: Number.isInteger(e?.code) ? e.code : -32603, message: String(e?.remoteMessage ?? e?.message ?? e) };
      this.sendQuietly({ kind: "notification", method: "$/input.end", params: wireId({ method: "$/input.end", p: { id: record.id, error } }) });
      record.settle(e instanceof Error ? e : new Error(String(e))); // the caller's own error, at once
    }
  }

  // ------------------------------------------------------------------------------------------ reading

  /** Handles one decoded message; runs on the read loop, in arrival order. */
  receive(msg) {
    switch (msg.kind) {
      case "drop": this.log("warn", `Dropped ${msg.why}.`); return;
      case "invalid": this.log("warn", `Received an invalid message (${msg.error.code}): ${msg.error.message}`); this.send({ kind: "response", id: msg.id, error: msg.error }); return;
      case "response": this.onResponse(msg); return;
      case "notification": this.onNotificationMessage(msg); return;
      case "request": this.onRequest(msg); return;
      default: break;
    }
  }

  onResponse(msg) {
    const record = typeof msg.id === "number" || typeof msg.id === "bigint" ? this.pending.get(Number(msg.id)) : undefined;
    if (!record) { this.log("debug", `Ignored a response that answers no pending call (id ${String(msg.id)}).`); return; }
    if (msg.error) {
      const e = msg.error && typeof msg.error === "object" ? msg.error : { code: -32603, message: String(msg.error) };
      record.settle(new RemoteError(e.code, e.message, e.data, record.method));
    } else {
      record.settle(null, msg.result);
    }
  }

  onNotificationMessage(msg) {
    const { method } = msg;
    const p = this.namedParams(method, msg.params);
    switch (method) {
      case "$/cancelRequest": if (isId(p.id)) this.running.get(keyOf(p.id))?.cancel(); return;
      case "$/stream.credit": if (isId(p.id) && Number.isInteger(p.credit) && p.credit > 0) this.running.get(keyOf(p.id))?.addCredit(p.credit); return;
      case "$/input.item": if (isId(p.id) && "item" in p) this.running.get(keyOf(p.id))?.input?.add(p.item); return;
      case "$/input.end": if (isId(p.id)) this.running.get(keyOf(p.id))?.input?.end(p.error); return;
      case "$/input.credit": {
        const record = this.pending.get(Number(p.id));
        if (record && Number.isInteger(p.credit) && p.credit > 0) {
          record.inputCredit = Math.min(record.inputCredit + p.credit, MAX_CREDIT);
          const w = record.creditWaiter;
          record.creditWaiter = null;
          w?.();
        }
        return;
      }
      case "$/stream.item": this.pending.get(Number(p.id))?.onItem?.(p.item); return;
      case "$/progress": this.pending.get(Number(p.id))?.onProgress?.(p.item); return;
      default: break;
    }
    if (this.onNotification?.(method, p)) return;
    const entry = this.methods(method);
    if (!entry) { this.log("debug", `Ignored the notification '${method}': no such method here.`); return; }
    if (streamsResult(entry.kind) || streamsInput(entry.kind)) { this.log("warn", `'${method}' returns a stream and cannot be sent as a notification; ignored.`); return; }
    let args;
    try {
      args = entry.readArgs(Array.isArray(msg.params) ? msg.params : p);
    } catch (e) {
      this.log("warn", `Notification '${method}' ignored: ${e.message}`);
      return;
    }
    const ctx = this.context({ id: undefined, method, signal: new AbortController().signal, isRequest: false });
    try {
      const r = entry.handler(args, ctx);
      if (r && typeof r.then === "function") r.then(undefined, (e) => this.log("error", `Notification '${method}' failed: ${e?.stack ?? e}`));
    } catch (e) {
      this.log("error", `Notification '${method}' failed: ${e?.stack ?? e}`);
    }
  }

  onRequest(msg) {
    const { id, method } = msg;
    const refuse = (code, message, answerId = id) => this.send({ kind: "response", id: answerId, error: { code, message } });
    // An id still in use is refused first, answered with id null (docs/protocol.md sections 8 and 9): any other answer
    // would carry that id and be taken for the running call's.
    if (id !== null && id !== undefined && this.running.has(keyOf(id))) return refuse(-32600, `A request with id ${JSON.stringify(typeof id === "bigint" ? String(id) : id)} is already running.`, null);
    const entry = this.methods(method);
    if (!entry) return refuse(-32601, `Method not found: '${method}'.`);
    if (!method.startsWith("system.") && !this.accepting()) return refuse(-32004, "The sidecar is shutting down and accepts no new requests.");
    const streams = streamsResult(entry.kind) ? (streamsInput(entry.kind) ? "its input and its result" : "its result") : streamsInput(entry.kind) ? "its input" : null;
    if (streams && !isId(id)) return refuse(-32600, `'${method}' streams ${streams}: its request id must be an integer or a string.`);
    let args;
    try {
      args = entry.readArgs(msg.params);
    } catch (e) {
      return refuse(e.code ?? -32602, e.remoteMessage ?? e.message);
    }
    const run = new Running(this, id, method, entry);
    if (id !== null) this.running.set(keyOf(id), run);
    run.start(args);
  }

  /** What a served method gets besides its arguments. */
  context(run) {
    const conn = this;
    return {
      id: run.id,
      method: run.method,
      signal: run.signal,
      progress(item) { run.report?.(item); },
      call: (method, params, opts = {}) => conn.call(method, params, { signal: run.signal, ...opts }),
      stream: (method, params, opts = {}) => conn.stream(method, params, { signal: run.signal, ...opts }),
      notify: (method, params) => conn.notify(method, params),
      log: (level, message, category) => conn.log(level, message, category ?? run.method.slice(0, Math.max(0, run.method.lastIndexOf("."))) ?? "sidecar"),
    };
  }

  /** Fails every pending call with `error` (the process died, the connection closed) and cancels what runs here. */
  close(error) {
    if (this.closedError) return;
    this.closedError = error ?? new SidecarError("The connection is closed.");
    for (const record of [...this.pending.values()]) record.settle(this.closedError);
    for (const run of this.running.values()) run.cancel();
  }
}

/** One of the other side's requests while it runs here. */
class Running {
  constructor(conn, id, method, entry) {
    Object.assign(this, { conn, id, method, entry });
    this.abort = new AbortController();
    this.signal = this.abort.signal;
    this.failure = null; // a RemoteError that ends the call (an input that broke the rules)
    this.credit = STREAM_WINDOW;
    this.creditWaiter = null;
    this.answered = false;
    this.isRequest = id !== undefined;
    this.input = streamsInput(entry.kind) ? new InputQueue(this) : null;
  }

  cancel(failure) {
    if (failure && !this.failure) this.failure = failure;
    this.abort.abort(failure ?? new RemoteError(-32800, "Request cancelled"));
    const w = this.creditWaiter;
    this.creditWaiter = null;
    w?.();
  }

  addCredit(n) {
    this.credit = Math.min(this.credit + n, MAX_CREDIT);
    const w = this.creditWaiter;
    this.creditWaiter = null;
    w?.();
  }

  report(item) {
    if (this.isRequest && this.id !== null && !this.answered) this.conn.sendQuietly({ kind: "notification", method: "$/progress", params: this.conn.wireParams("$/progress", { id: this.id, item }) });
  }

  async start(args) {
    const { conn, entry } = this;
    let answer;
    try {
      const ctx = conn.context(this);
      if (this.input) args = [...args, this.input];
      const value = entry.handler(args, ctx);
      if (streamsResult(entry.kind)) answer = { result: await this.sendItems(await value) };
      else answer = { result: await value };
      if (this.failure) throw this.failure;
    } catch (e) {
      answer = { error: this.errorOf(e) };
    }
    this.answered = true;
    if (this.id !== undefined) {
      try {
        conn.send({ kind: "response", id: this.id, ...answer });
      } catch (e) {
        // A result that cannot be written (a cycle, a value the encoding has no form for) still gets its one answer.
        conn.log("error", `The answer of '${this.method}' could not be written: ${e?.message ?? e}`);
        conn.sendQuietly({ kind: "response", id: this.id, error: { code: -32603, message: `The answer could not be written: ${e?.message ?? e}`, data: { type: e?.name ?? "Error" } } });
      }
      if (this.id !== null) conn.running.delete(keyOf(this.id));
    }
    this.input?.close();
  }

  async sendItems(iterable) {
    if (!iterable || !(iterable[Symbol.asyncIterator] || iterable[Symbol.iterator])) throw new TypeError(`'${this.method}' must return an iterable (an async generator), not ${typeof iterable}`);
    const it = iterable[Symbol.asyncIterator] ? iterable[Symbol.asyncIterator]() : iterable[Symbol.iterator]();
    const failure = () => this.failure ?? new RemoteError(-32800, "Request cancelled");
    // The next item, or the cancellation if it comes first (a generator waiting on something may not notice it). One
    // abort listener for the whole stream, not one reaction per item on a shared promise.
    let abortNext = null;
    const onAbort = () => abortNext?.(failure());
    this.signal.addEventListener("abort", onAbort, { once: true });
    const next = () => new Promise((resolve, reject) => {
      abortNext = reject;
      Promise.resolve(it.next()).then(resolve, reject);
    });
    let count = 0, finished = false;
    try {
      for (;;) {
        while (this.credit <= 0 && !this.signal.aborted) await new Promise((r) => { this.creditWaiter = r; });
        if (this.signal.aborted) throw failure();
        const { value, done } = await next();
        abortNext = null;
        if (done) { finished = true; break; }
        if (this.signal.aborted) throw failure();
        this.credit--;
        this.conn.send({ kind: "notification", method: "$/stream.item", params: this.conn.wireParams("$/stream.item", { id: this.id, item: value }) });
        count++;
      }
    } finally {
      this.signal.removeEventListener("abort", onAbort);
      if (!finished) Promise.resolve().then(() => it.return?.()).catch(() => {});
    }
    return count;
  }

  errorOf(e) {
    if (this.failure) e = this.failure;
    if (e instanceof RemoteError) return { code: e.code, message: e.remoteMessage, ...(e.data !== undefined ? { data: e.data } : {}) };
    if (this.signal.aborted) return { code: -32800, message: "Request cancelled" };
    this.conn.log("error", `'${this.method}' failed: ${e?.stack ?? e}`);
    return { code: -32603, message: String(e?.message ?? e), data: { type: e?.name ?? e?.constructor?.name ?? "Error" } };
  }
}

/** A streamed parameter as the served method reads it: items as they arrive, credit granted back as it reads. */
class InputQueue {
  constructor(run) {
    this.run = run;
    this.items = [];
    this.ended = false;
    this.error = null;
    this.allowed = INPUT_WINDOW;
    this.received = 0;
    this.consumed = 0;
    this.waiter = null;
    this.iterating = false;
  }

  wake() {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  add(raw) {
    if (this.ended || this.run.failure || this.run.answered) return;
    let item;
    try {
      item = this.run.entry.readItem(raw);
    } catch (e) {
      this.fail(e);
      return;
    }
    if (++this.received > this.allowed) {
      this.fail(new RemoteError(-32600, `The caller sent more items of the input stream of '${this.run.method}' than it had credit for (${this.allowed}): see $/input.credit.`));
      return;
    }
    this.items.push(item);
    this.wake();
  }

  end(error) {
    if (this.ended) return;
    this.ended = true;
    if (Array.isArray(error)) error = { code: error[0], message: error[1] };
    if (error && typeof error === "object") this.error = new RemoteError(Number.isInteger(error.code) ? error.code : -32603, String(error.message ?? ""));
    this.wake();
  }

  fail(e) {
    this.run.conn.log("warn", e.remoteMessage ?? e.message);
    this.run.cancel(e);
    this.wake();
  }

  close() {
    this.ended = true;
    this.wake();
  }

  [Symbol.asyncIterator]() {
    if (this.iterating) throw new Error(`the input stream of '${this.run.method}' can be read once only`);
    this.iterating = true;
    return {
      next: async () => {
        for (;;) {
          if (this.run.signal.aborted) throw this.run.failure ?? new RemoteError(-32800, "Request cancelled");
          if (this.items.length) {
            const value = this.items.shift();
            if (++this.consumed >= INPUT_WINDOW / 2) {
              this.allowed += this.consumed; // counted before it is sent: the caller may use it at once
              this.run.conn.sendQuietly({ kind: "notification", method: "$/input.credit", params: this.run.conn.wireParams("$/input.credit", { id: this.run.id, credit: this.consumed }) });
              this.consumed = 0;
            }
            return { value, done: false };
          }
          if (this.ended) {
            if (this.error) throw this.error;
            return { value: undefined, done: true };
          }
          await new Promise((r) => {
            // One listener per wait, removed when an item wakes it: a long input must not pile them up on the signal.
            const onAbort = () => { this.waiter = null; r(); };
            this.waiter = () => { this.run.signal.removeEventListener("abort", onAbort); r(); };
            this.run.signal.addEventListener("abort", onAbort, { once: true });
          });
        }
      },
      return: async () => ({ value: undefined, done: true }),
      [Symbol.asyncIterator]() { return this; },
    };
  }
}

/** A streamed result on the caller's side: buffers at most a window, grants credit as its consumer reads. */
export class RemoteStream {
  constructor(conn, method, params, opts) {
    Object.assign(this, { conn, method, params, opts });
    this.queue = [];
    this.finished = false;
    this.error = null;
    this.record = null;
    this.consumed = 0;
    this.waiter = null;
    this.count = undefined;
    this.shape = conn.shapes(method);
  }

  [Symbol.asyncIterator]() { return this; }

  wake() {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  start() {
    this.started = true;
    const types = this.conn.types();
    this.record = this.conn.begin(this.method, this.params, this.opts, {
      timeoutMs: this.opts.timeoutMs,
      resolve: (count) => { this.count = count; this.finished = true; this.wake(); },
      reject: (e) => { this.error = e; this.finished = true; this.wake(); },
      onItem: (item) => {
        this.queue.push(readValue(item, this.shape?.items, types, false));
        this.wake();
      },
    });
    if (!this.record) return;
    if (this.opts.input) this.conn.pump(this.record, this.opts.input);
  }

  async next() {
    if (!this.started) this.start();
    for (;;) {
      if (this.queue.length) {
        const value = this.queue.shift();
        if (++this.consumed >= STREAM_WINDOW / 2) {
          if (!this.finished) this.conn.sendQuietly({ kind: "notification", method: "$/stream.credit", params: this.conn.wireParams("$/stream.credit", { id: this.record.id, credit: this.consumed }) });
          this.consumed = 0;
        }
        return { value, done: false };
      }
      if (this.finished) {
        if (this.error) {
          const e = this.error;
          this.error = null;
          throw e;
        }
        return { value: undefined, done: true };
      }
      await new Promise((r) => { this.waiter = r; });
    }
  }

  /** Leaving a for-await early cancels the call ($/cancelRequest), as the C# caller does. */
  async return() {
    this.cancel();
    this.queue = [];
    return { value: undefined, done: true };
  }

  async throw(e) {
    this.cancel();
    throw e;
  }

  cancel() {
    if (this.started && !this.finished) this.record?.cancel(new CallCancelledError(this.method));
    this.queue = []; // what is buffered is dropped: the consumer asked for no more
    this.finished = true;
    this.error = null;
    this.started = true;
    this.wake();
  }
}
