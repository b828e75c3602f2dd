// The errors a caller can tell apart with instanceof (and `name`, which survives structured cloning and logs).

/** Base of every error the library raises itself. */
export class SidecarError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An error response of the other side: JSON-RPC's code, message and data, passed through unchanged. */
export class RemoteError extends SidecarError {
  constructor(code, message, data, method) {
    super(method ? `${message} (code ${code}, from '${method}')` : message);
    this.code = code;
    this.remoteMessage = message;
    if (data !== undefined) this.data = data;
    if (method) this.method = method;
  }
}

/** A call that did not complete within its timeout; $/cancelRequest was sent for it. */
export class SidecarTimeoutError extends SidecarError {
  constructor(method, timeoutMs) {
    super(`The call to '${method}' did not complete within ${timeoutMs} ms.`);
    this.method = method;
    this.timeoutMs = timeoutMs;
  }
}

/** The sidecar exited (or its connection closed) while calls were pending, or a call was made after that. */
export class SidecarExitedError extends SidecarError {
  constructor(message, { exitCode = null, signal = null, stderrTail = [] } = {}) {
    super(stderrTail.length ? `${message}\nstderr (last lines):\n  ${stderrTail.join("\n  ")}` : message);
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderrTail = stderrTail;
  }
}

/** The sidecar exited or timed out before it announced that it was ready, or announced what the caller refuses. */
export class SidecarStartError extends SidecarExitedError {}

/** The other side broke the protocol (an unreadable message or value); the connection may go on. */
export class ProtocolError extends SidecarError {}

/** What a call rejects with when its AbortSignal fires without a reason of its own. */
export class CallCancelledError extends SidecarError {
  constructor(method) {
    super(`The call to '${method}' was cancelled.`);
    this.method = method;
  }
}

/** JSON-RPC and SidecarKit error codes (docs/protocol.md section 8). */
export const ErrorCodes = Object.freeze({
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  MessageTooLarge: -32001,
  NestingTooDeep: -32002,
  ServerBusy: -32003,
  ShuttingDown: -32004,
  RequestCancelled: -32800,
});
