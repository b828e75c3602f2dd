// Type declarations of the sidecarkit package (hand-written; the package is plain ESM JavaScript, no build step).

/** A value as the library hands it over: JSON values, with bytes as Buffers, int64 beyond 2^53 as BigInt, and (on
 * MessagePack) datetimes as Date. */
export type WireValue = unknown;

/** What a streamed parameter may be: any iterable or async iterable (an async generator, an array, a Node Readable). */
export type SidecarInput<T> = AsyncIterable<T> | Iterable<T>;

/** jsonl needs nothing; msgpack and msgpack-unix need @msgpack/msgpack; grpc and grpc-unix need @grpc/grpc-js and
 * @grpc/proto-loader (no progress reports there: a call with onProgress is refused). */
export type Transport = "jsonl" | "msgpack" | "msgpack-unix" | "grpc" | "grpc-unix";

export interface CallOptions<TProgress = unknown> {
  /** Fails the call with SidecarTimeoutError (and sends $/cancelRequest) after this many ms. Default 30 000 for a
   * request; none for a call with `input`. A negative value or Infinity: no timeout. */
  timeoutMs?: number;
  /** Cancels the call: it rejects at once with the signal's reason and $/cancelRequest is sent. */
  signal?: AbortSignal;
  /** Receives each $/progress report of the call, in order, before the call resolves. */
  onProgress?: (item: TProgress) => void;
  /** The streamed parameter of a clientStream method, sent as $/input.item within the callee's credit. */
  input?: SidecarInput<unknown>;
}

/** A request's options without progress or input (what the generated stubs take for most methods). */
export type RequestOptions = Omit<CallOptions, "onProgress" | "input">;
/** A request's options with typed progress reports. */
export type ProgressOptions<TProgress> = Omit<CallOptions<TProgress>, "input">;

export interface StreamOptions {
  /** No timeout by default for streams; this one covers the whole stream. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The streamed parameter of a duplexStream method. */
  input?: SidecarInput<unknown>;
}

/** A streamed result: iterate it with for await; the request is sent when iteration starts. Leaving the loop early
 * (break, return, throw) or cancel() sends $/cancelRequest. */
export interface RemoteStream<T> extends AsyncIterableIterator<T> {
  cancel(): void;
  /** The callee's count of items, once the stream ended. */
  readonly count: number | undefined;
}

/** Handlers of callback methods, by wire name ("demoEvents.confirm") or by contract ({demoEvents: {confirm() {}}}).
 * Each gets the params in declared order (when the sidecar announced the method's shape; else the params object),
 * then a ServeContext. */
export type CallbackHandlers = Record<string, ((...args: any[]) => unknown) | object>;

export interface StartOptions {
  /** jsonl (default; nothing is added to the command line), or msgpack, msgpack-unix, grpc, grpc-unix
   * (`--transport <name>` is added). */
  transport?: Transport;
  /** What the parent serves for the sidecar's callback contracts. */
  callbacks?: CallbackHandlers;
  /** Fails the start when the sidecar has not announced readiness within this many ms (default 30 000). */
  readyTimeoutMs?: number;
  /** The default timeout of requests (default 30 000 ms). */
  defaultTimeoutMs?: number;
  /** stop()'s wait between system.shutdown, SIGTERM and SIGKILL (default 5 000 ms). */
  stopTimeoutMs?: number;
  /** Expected fingerprints by contract name: a sidecar announcing another fails the start (SidecarStartError). */
  fingerprints?: Record<string, string>;
  /** "warn": a fingerprint mismatch is only remembered in the stderr tail. */
  onFingerprintMismatch?: "error" | "warn";
  /** Contract descriptions (the `--describe json` form) to use instead of the announced shapes. */
  contracts?: object[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Arguments for the transport instead of `--transport <name>`. */
  transportArgs?: string[];
  /** Each stderr line of the sidecar (the ready marker aside). */
  onStderr?: (line: string) => void;
  /** The library's own diagnostics (ignored responses, invalid messages). */
  onLog?: (level: string, message: string) => void;
}

export interface AnnouncedContract {
  name: string;
  fingerprint?: string;
  methods?: Array<{ name: string; kind?: string; params?: Array<{ name: string; type: string; number?: number; optional?: boolean }>; input?: object; result?: string; progress?: string }>;
  types?: object[];
}

export interface ReadyPayload {
  status?: string;
  version: string;
  protocolVersion: string;
  pid: number;
  instanceId?: string | null;
  transport?: string | null;
  listenInfo?: string | null;
  contracts?: AnnouncedContract[] | null;
  callbacks?: AnnouncedContract[] | null;
}

export interface SidecarHealth {
  status: "ok" | "draining";
  pid: number;
  instanceId: string | null;
  uptimeMs: number;
  activeRequests: number;
  version: string | null;
  protocolVersion: string | null;
}

export interface ExitInfo { code: number | null; signal: string | null }

export declare class Sidecar {
  /** What the sidecar announced (lifecycle.ready, else the ready marker). */
  readonly ready: ReadyPayload;
  readonly pid: number | undefined;
  readonly transport: Transport;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitInfo>;
  readonly running: boolean;
  /** The last stderr lines (at most 50 kept). */
  stderrTail(n?: number): string[];
  /** A request (or a clientStream call with options.input). A method announced as a stream resolves to its items. */
  call<R = any>(method: string, params?: Record<string, unknown> | unknown[], options?: CallOptions<any>): Promise<R>;
  /** A streamed result (or a duplexStream call with options.input). */
  stream<T = any>(method: string, params?: Record<string, unknown> | unknown[], options?: StreamOptions): RemoteStream<T>;
  notify(method: string, params?: Record<string, unknown> | unknown[]): void;
  ping(options?: CallOptions): Promise<SidecarHealth>;
  /** system.shutdown and the end of stdin, then SIGTERM, then SIGKILL (to the process group), each after timeoutMs. */
  stop(options?: { timeoutMs?: number }): Promise<ExitInfo>;
  /** SIGKILL to the sidecar's process group, at once. */
  kill(): void;
}

/** Spawns `command args` and resolves once the sidecar is ready; rejects with SidecarStartError (its exit code and
 * stderr tail) if it exits, times out, or announces an unexpected fingerprint first. */
export declare function start(command: string, args?: string[], options?: StartOptions): Promise<Sidecar>;

// ------------------------------------------------------------------------------------------------ the sidecar side

/** What a served method gets after its arguments. */
export interface ServeContext {
  /** The request's id (undefined for a notification). */
  readonly id: string | number | null | undefined;
  readonly method: string;
  /** Aborted when the parent cancels the request ($/cancelRequest) or the sidecar shuts down "now". */
  readonly signal: AbortSignal;
  /** Sends a $/progress report of this request. */
  progress(item: unknown): void;
  /** Calls the parent (a callback contract); cancelled with this request by default. */
  call<R = any>(method: string, params?: Record<string, unknown> | unknown[], options?: CallOptions<any>): Promise<R>;
  stream<T = any>(method: string, params?: Record<string, unknown> | unknown[], options?: StreamOptions): RemoteStream<T>;
  notify(method: string, params?: Record<string, unknown> | unknown[]): void;
  log(level: LogLevel, message: string, category?: string): void;
}

export type LogLevel = "trace" | "debug" | "information" | "info" | "warning" | "warn" | "error" | "critical" | "none";

export interface ServeOptions {
  /** The contract description(s) in the `--describe json` form ({contract, methods, types}). */
  contract: object | object[];
  /** The callback contracts this sidecar calls on its parent, in the same form. */
  callbacks?: object[];
  /** Methods by their name after the contract's ("add" for "demo.add") or by wire name. */
  implementation: object;
  /** The name --help prints. */
  name?: string;
  /** The version announced (default "1.0.0"). */
  version?: string;
  /** The command line (default process.argv.slice(2)). */
  argv?: string[];
}

/** Serves the implementation on stdio until a shutdown, then exits the process; the returned promise never resolves. */
export declare function serve(options: ServeOptions): Promise<never>;
/** One log line on stderr in the C# sidecars' form: `<lvl> <category>: <message>`. */
export declare function log(level: LogLevel, category: string, message: string, error?: unknown): void;
export declare function setLogLevel(level: LogLevel): void;

// ------------------------------------------------------------------------------------------------ errors

export declare class SidecarError extends Error {}
/** An error response: code, message and data as the other side sent them. Throw one from a served method to answer
 * with that code. */
export declare class RemoteError extends SidecarError {
  constructor(code: number, message: string, data?: unknown, method?: string);
  readonly code: number;
  /** The message exactly as the other side sent it (`message` also names the code and the method). */
  readonly remoteMessage: string;
  readonly data?: unknown;
  readonly method?: string;
}
export declare class SidecarTimeoutError extends SidecarError {
  readonly method: string;
  readonly timeoutMs: number;
}
export declare class SidecarExitedError extends SidecarError {
  constructor(message: string, info?: { exitCode?: number | null; signal?: string | null; stderrTail?: string[] });
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: string[];
}
export declare class SidecarStartError extends SidecarExitedError {}
export declare class ProtocolError extends SidecarError {}
export declare class CallCancelledError extends SidecarError {
  readonly method: string;
}
export declare const ErrorCodes: Readonly<{
  ParseError: -32700; InvalidRequest: -32600; MethodNotFound: -32601; InvalidParams: -32602; InternalError: -32603;
  MessageTooLarge: -32001; NestingTooDeep: -32002; ServerBusy: -32003; ShuttingDown: -32004; RequestCancelled: -32800;
}>;

// ------------------------------------------------------------------------------------------------ contracts

export interface ContractModel { name: string; fingerprint: string | null }
/** Reads a description (`--describe json` entry or an announced entry). */
export declare function readContract(description: object): ContractModel;
/** The 64-bit FNV-1a fingerprint of a contract, as the C# generator computes it. */
export declare function fingerprintOf(contract: ContractModel): string;
export declare function describeEntry(contract: ContractModel): object;
export declare function announceEntry(contract: ContractModel, options?: { fingerprint?: boolean }): object;
