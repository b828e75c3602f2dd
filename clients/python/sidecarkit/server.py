"""Writing a sidecar in Python: serve a contract to a SidecarKit parent over stdio (docs/protocol.md).

    DEMO = Contract("demo", [Method("demo.add", {"a": "int32", "b": "int32"}, result="int32"), ...])

    class Demo:
        async def add(self, a: int, b: int) -> int:
            return a + b

    run(DEMO, Demo())          # parses --transport/--log-level/--quiet-ready, serves until shut down, exits

A method's wire name maps to the attribute named by its last part in snake_case (demo.add -> add, demo.getAll ->
get_all), or to a function decorated with @method("demo.add"). A method that declares a `ctx` parameter gets the
CallContext (progress reports, calls to the parent's callbacks, cancellation state). Streams are returned as (async)
iterables, a streamed parameter arrives as an async iterator, cancellation cancels the method's task. The library does
the ready marker and lifecycle.ready, system.ping, system.shutdown(_now), rpc.discover (the OpenRPC document of
sidecarkit.openrpc, which --describe openrpc prints), the end of stdin, SIGTERM/SIGINT, the parent-pid watchdog,
credit, cancellation, error mapping and the log line format the C# parent parses.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .codec import codec_for
from .errors import RemoteError
from .names import method_name, snake  # noqa: F401  (snake: kept importable from here)
from .rpc import KINDS, CallContext, Connection, Handler, wrap_function
from .wiretypes import TypeSet, announced, fields

VERSION, PROTOCOL_VERSION, READY_PREFIX = "1.0.0", "1.0", "__SIDECAR_READY__:"
SHUTDOWN_TIMEOUT = 10.0     # seconds running requests may take to finish after system.shutdown or end of stdin
CANCEL_GRACE = 3.0          # seconds cancelled requests may take to answer

TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL = 0, 1, 2, 3, 4, 5
LEVELS = {"trace": 0, "debug": 1, "information": 2, "info": 2, "warning": 3, "warn": 3, "error": 4, "critical": 5,
          "none": 6}
_log_level = INFO
_stderr_lock = threading.Lock()

F = TypeVar("F", bound=Callable[..., Any])


def set_log_level(level: int | str) -> None:
    global _log_level
    _log_level = LEVELS[level.lower()] if isinstance(level, str) else level


def escape(text: str) -> str:
    """The escapes of the log line form: backslash, line feed, carriage return and tab, so an entry stays one line."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def log(level: int, category: str, message: str, exc: BaseException | None = None) -> None:
    """One log line on stderr in the form the C# sidecars write and the parent parses (docs/lifecycle.md):
    `<lvl> <category>: <message>`, then, for an exception, a tab and its text: `Type: message` as .NET writes it, then
    Python's traceback. The parent logs each entry again at its level and category."""
    if level >= _log_level:
        tag = ("trce", "dbug", "info", "warn", "fail", "crit")[min(level, 5)]
        line = f"{tag} {category}: {escape(message)}"
        if exc is not None:
            text = f"{type(exc).__name__}: {exc}\n" + "".join(traceback.format_exception(exc)).rstrip("\n")
            line += "\t" + escape(text)
        with _stderr_lock:
            print(line, file=sys.stderr, flush=True)


def method(wire_name: str) -> Callable[[F], F]:
    """Marks an implementation's function as the one serving `wire_name` (instead of the name-based mapping)."""
    def mark(fn: F) -> F:
        setattr(fn, "__sidecarkit_wire_name__", wire_name)
        return fn
    return mark


# The codes every method may answer (docs/protocol.md section 8): no method declares them as its own.
PROTOCOL_ERRORS = frozenset({-32700, -32600, -32601, -32602, -32603, -32001, -32002, -32003, -32004, -32800})


def check_errors(where: str, errors: dict[int, str]) -> None:
    for code, message in errors.items():
        if type(code) is not int or not isinstance(message, str):
            raise ValueError(f"{where}: a declared error is an int code and a str message, not {code!r}: {message!r}")
        if code in PROTOCOL_ERRORS:
            raise ValueError(f"{where}: the error {code} is one of the protocol's own codes, which every method may "
                             "answer (docs/protocol.md section 8)")


@dataclass
class Method:
    """One method of a contract, as the ready payload announces it. `params` maps names to description types in
    order ("int32", "Person", "string[]", "Address?"...); `input` is the streamed parameter (name, item type) of a
    clientStream/duplexStream method; `progress` the type of an IProgress<T>'s reports; `result` the result type, or
    a stream's item type. `errors`, `timeout_ms` and `idempotent` are for the OpenRPC document only."""
    name: str
    params: dict[str, str] = field(default_factory=dict)
    kind: str = "request"
    result: str | None = None
    input: tuple[str, str] | None = None
    progress: str | None = None
    input_number: int | None = None     # the streamed parameter's field number: by default after the others
    # What OpenRPC shows and the fingerprint leaves out (C#: [SidecarError(code, message)],
    # [SidecarMethod(TimeoutMilliseconds = n, Idempotent = true)]): the method's own errors (code -> message), its
    # timeout in milliseconds (-1: none) and whether a call may be tried again.
    errors: dict[int, str] = field(default_factory=dict)
    timeout_ms: int | None = None
    idempotent: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: kind {self.kind!r} is none of {', '.join(KINDS)}")
        if (self.input is not None) != (self.kind in ("clientStream", "duplexStream")):
            raise ValueError(f"{self.name}: a {self.kind} method {'needs' if self.input is None else 'takes no'} "
                             "streamed parameter (input)")
        check_errors(self.name, self.errors)
        if self.timeout_ms is not None and (type(self.timeout_ms) is not int or self.timeout_ms < -1):
            raise ValueError(f"{self.name}: timeout_ms is a number of milliseconds, or -1 for none, not "
                             f"{self.timeout_ms!r}")

    def description(self) -> dict[str, Any]:
        """The method as `--describe json` writes it (docs/protocol.md section 16): members in the generator's order,
        a stream's item type as "items", no field numbers unless they differ from the positions."""
        entry: dict[str, Any] = {"name": self.name, "kind": self.kind,
                                 "params": [{"name": n, "type": announced(t)} for n, t in self.params.items()]}
        if self.input is not None:
            entry["input"] = {"name": self.input[0], "type": announced(self.input[1])}
            if self.input_number is not None and self.input_number != len(self.params) + 1:
                entry["input"]["field"] = self.input_number
        if self.progress is not None:
            entry["progress"] = announced(self.progress)
        if self.result is not None:
            entry["items" if self.kind in ("stream", "duplexStream") else "result"] = announced(self.result)
        return entry

    def shape(self) -> dict[str, Any]:
        shape: dict[str, Any] = {"name": self.name, "kind": self.kind, "params": fields(self.params)}
        if self.input is not None:
            number = self.input_number or len(self.params) + 1
            shape["input"] = {"name": self.input[0], "type": announced(self.input[1]), "number": number}
        if self.progress is not None:
            shape["progress"] = announced(self.progress)
        if self.result is not None:
            shape["result"] = announced(self.result)
        return shape


@dataclass
class Contract:
    """A contract a sidecar serves: its name, methods (declaration order), named types and the C# generator's
    fingerprint, which is computed from the declaration unless given (equal to the C# contract's exactly when the
    declaration describes the same contract; a parent that finds another one compares the announced shapes).
    `errors` are declared for every method (C#: [SidecarError] on the interface): the OpenRPC document lists them
    before each method's own."""
    name: str
    methods: list[Method]
    types: TypeSet = field(default_factory=TypeSet)
    fingerprint: str | None = None
    errors: dict[int, str] = field(default_factory=dict)    # declared for every method, before the method's own

    def __post_init__(self) -> None:
        check_errors(self.name, self.errors)
        for m in self.methods:
            if twice := sorted(set(self.errors) & set(m.errors)):
                raise ValueError(f"{m.name}: the error {twice[0]} is declared twice (on the method and its contract)")

    def description(self) -> dict[str, Any]:
        """The contract as `--describe json` writes it, without the fingerprint (what the fingerprint hashes)."""
        types: dict[str, Any] = {}
        for name in sorted({*self.types.objects, *self.types.variants, *self.types.enums}):
            if name in self.types.variants:
                types[name] = {"kind": "object", "members": [],
                               "variants": [{"name": tag, "type": case, "tag": number}
                                            for tag, (case, number) in self.types.variants[name].items()]}
            elif name in self.types.enums:
                types[name] = {"kind": "enum", "values": list(self.types.enums[name])}
            else:
                types[name] = {"kind": "object", "members": [
                    {"name": m, "type": announced(t)} | ({} if t.endswith("?") else {"required": True})
                    for m, t in self.types.objects[name].items()]}
        return {"contract": self.name, "methods": [m.description() for m in self.methods], "types": types}

    def computed_fingerprint(self) -> str:
        """The C# generator's fingerprint of this description: 64-bit FNV-1a of its compact UTF-8 JSON (section 16).
        Equal to the C# contract's exactly when the Python declaration describes the same contract."""
        h = 14695981039346656037
        text = json.dumps(self.description(), separators=(",", ":"), ensure_ascii=False)
        for byte in text.encode("utf-8"):
            h = ((h ^ byte) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
        return format(h, "016x")

    def announcement(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": self.name, "fingerprint": self.fingerprint or self.computed_fingerprint()}
        entry["methods"] = [m.shape() for m in self.methods]
        entry["types"] = self.types.shapes()
        return entry


# The callback contracts a sidecar calls on its parent: declared in full (Contracts: their shapes and fingerprints go
# into --describe json and the OpenRPC document), or by their method names alone ({"demoEvents": [...]}).
Callbacks = dict[str, list[str]] | Sequence[Contract]
CallbackEntry = Contract | tuple[str, list[str]]


def callback_entries(callbacks: Callbacks | None) -> list[CallbackEntry]:
    if callbacks is None:
        return []
    if isinstance(callbacks, dict):
        return [(name, list(methods)) for name, methods in callbacks.items()]
    return list(callbacks)


def callback_names(entry: CallbackEntry) -> tuple[str, list[str]]:
    return (entry.name, [m.name for m in entry.methods]) if isinstance(entry, Contract) else entry


def bind(contract: Contract, implementation: Any) -> dict[str, Handler]:
    """The handlers of a contract served by an object (or a dict of wire name -> function). Missing methods are an
    error now, not at the first call."""
    marked: dict[str, Callable[..., Any]] = {}
    if not isinstance(implementation, dict):
        for attr in dir(implementation):
            if attr.startswith("__"):
                continue
            fn = getattr(implementation, attr, None)
            wire = getattr(fn, "__sidecarkit_wire_name__", None)
            if callable(fn) and isinstance(wire, str):
                marked[wire] = fn
    handlers: dict[str, Handler] = {}
    missing = []
    for m in contract.methods:
        if isinstance(implementation, dict):
            fn = implementation.get(m.name)
        else:
            fn = marked.get(m.name) or getattr(implementation, method_name(m.name), None)
        if not callable(fn):
            missing.append(m.name)
            continue
        handlers[m.name] = Handler(m.name, m.kind, wrap_function(fn, context=True), params=m.params,
                                   input=m.input, progress=m.progress, types=contract.types)
    if missing:
        raise TypeError(f"{type(implementation).__name__} does not implement {', '.join(missing)} of the "
                        f"contract '{contract.name}'")
    return handlers


class Sidecar:
    """Serves contracts on stdio until a shutdown, then exits the process (os._exit: no thread may keep it alive)."""

    def __init__(self, contracts: Sequence[tuple[Contract, Any]], *, callbacks: Callbacks | None = None,
                 transport: str = "jsonl", version: str = VERSION, quiet_ready: bool = False):
        if transport not in ("jsonl", "msgpack"):
            raise ValueError(f"the Python sidecar serves 'jsonl' or 'msgpack' on stdio, not {transport!r}")
        self.contracts = contracts
        self.handlers: dict[str, Handler] = {}
        for contract, implementation in contracts:     # a missing method fails here, before the ready marker
            self.handlers.update(bind(contract, implementation))
        self.callback_entries = callback_entries(callbacks)
        # The ready payload names the callbacks' methods alone, however they are declared (their shapes: OpenRPC).
        self.callbacks = [{"name": name, "methods": [{"name": m} for m in methods]}
                          for name, methods in map(callback_names, self.callback_entries)]
        self._openrpc: dict[str, Any] | None = None
        self.transport = transport
        self.version = version
        self.quiet_ready = quiet_ready
        self.instance_id = uuid.uuid4().hex
        self.started = time.monotonic()
        self.reason: str | None = None
        self.now = False
        self.exit_code = 0
        self._out_lock = threading.Lock()
        self._stopping: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.connection: Connection | None = None

    def _write(self, data: bytes) -> None:
        with self._out_lock:                    # the last words may come from another thread
            view = memoryview(data)
            while view:
                written = os.write(1, view)
                view = view[written:]

    def stop(self, reason: str, now: bool = False, exit_code: int = 0) -> None:
        """Begins the shutdown; the first trigger names it. A "now" trigger (a signal, system.shutdown_now, the
        parent's death) cancels whatever runs, also when it comes during a graceful drain."""
        if self.reason is None:
            self.reason = reason
            self.exit_code = exit_code
        self.now = self.now or now
        if self._stopping is not None:
            self._stopping.set()

    def openrpc(self) -> dict[str, Any]:
        """The OpenRPC document of what this sidecar serves and calls (sidecarkit.openrpc): rpc.discover's answer."""
        if self._openrpc is None:
            from .openrpc import openrpc_document
            self._openrpc = openrpc_document([c for c, _ in self.contracts], self.callback_entries)
        return self._openrpc

    def _system_handlers(self, types: TypeSet) -> dict[str, Handler]:
        def ping(ctx: CallContext, args: Any) -> Any:
            assert self.connection is not None
            return {"status": "draining" if self.reason else "ok", "pid": os.getpid(),
                    "instanceId": self.instance_id, "uptimeMs": int((time.monotonic() - self.started) * 1000),
                    "activeRequests": self.connection.active() - 1,   # not this one
                    "version": self.version, "protocolVersion": PROTOCOL_VERSION}

        def shutdown(now: bool) -> Callable[[CallContext, Any], Any]:
            return lambda ctx, args: self.stop("shutdown_now" if now else "shutdown", now=now)
        return {"system.ping": Handler("system.ping", "request", ping, {}, types=types),
                "system.shutdown": Handler("system.shutdown", "request", shutdown(False), {}, types=types),
                "system.shutdown_now": Handler("system.shutdown_now", "request", shutdown(True), {}, types=types),
                # OpenRPC's service discovery method: the document --describe openrpc prints.
                "rpc.discover": Handler("rpc.discover", "request", lambda ctx, args: self.openrpc(), {}, types=types)}

    def ready_payload(self) -> dict[str, Any]:
        return {"version": self.version, "protocolVersion": PROTOCOL_VERSION, "pid": os.getpid(),
                "instanceId": self.instance_id, "transport": self.transport, "listenInfo": None,
                "contracts": [c.announcement() for c, _ in self.contracts], "callbacks": self.callbacks}

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as e:  # noqa: BLE001 - a failure of the host itself: say why, exit 1
            log(CRITICAL, "host", f"The sidecar failed: {type(e).__name__}: {e}", e)
            self.exit_code = self.exit_code or 1
        finally:
            sys.stderr.flush()
            os._exit(self.exit_code)

    def _read_stdin(self, loop: asyncio.AbstractEventLoop, conn: Connection) -> None:
        while True:
            try:
                data = os.read(0, 65536)
            except OSError:
                data = b""
            if not data:
                break
            loop.call_soon_threadsafe(conn.feed, data)
        loop.call_soon_threadsafe(self._eof, conn)

    def _eof(self, conn: Connection) -> None:
        conn.eof(None)                          # end of stdin: no more requests (and the parent may be gone)
        self.stop("eof")

    async def _watch_parent(self, pid: int) -> None:
        """SIDECAR_PARENT_PID: when that process is gone, shut down at once (no orphans), even if stdin stays open."""
        while True:
            try:
                os.kill(pid, 0)                 # signal 0: only checks that the process exists
            except ProcessLookupError:
                break
            except PermissionError:
                pass                            # it exists, owned by another user
            await asyncio.sleep(0.25)
        log(WARN, "host", f"The parent process {pid} is gone; shutting down.")
        self.stop("parent-exit", now=True)

    async def _wait_idle(self, conn: Connection, seconds: float, until: Callable[[], bool] = lambda: False) -> None:
        deadline = time.monotonic() + seconds
        while conn.active() and time.monotonic() < deadline and not until():
            await asyncio.sleep(0.02)

    async def _main(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stopping = asyncio.Event()
        if self.reason is not None:
            self._stopping.set()
        conn = Connection(codec_for(self.transport), self._write, log=log)
        self.connection = conn
        conn.handlers.update(self.handlers)
        conn.handlers.update(self._system_handlers(TypeSet()))
        conn.refusing = lambda method: self.reason is not None
        conn.on_notification = lambda method, params: log(DEBUG, "connection",
                                                          f"Notification '{method}' ignored: Method not found: '{method}'.")
        conn.on_fatal = lambda why: self.stop("protocol-error", exit_code=1)
        loop.add_signal_handler(signal.SIGTERM, lambda: self.stop("sigterm", now=True))
        loop.add_signal_handler(signal.SIGINT, lambda: self.stop("sigint", now=True))

        ready = self.ready_payload()
        if not self.quiet_ready:
            marker = READY_PREFIX + json.dumps({"status": "ok", **ready}, separators=(",", ":"))
            with _stderr_lock:
                print(marker, file=sys.stderr, flush=True)
        conn.notify("lifecycle.ready", ready)   # before stdin is read: always the first message on stdout
        threading.Thread(target=self._read_stdin, args=(loop, conn), daemon=True).start()
        parent = os.environ.get("SIDECAR_PARENT_PID", "").strip()
        watchdog = loop.create_task(self._watch_parent(int(parent))) if parent.isdigit() and int(parent) > 0 else None
        names = ", ".join(c.name for c, _ in self.contracts)
        log(INFO, "host", f"Ready: {names} over {self.transport} (pid {os.getpid()}).")

        await self._stopping.wait()
        log(INFO, "host", f"Shutting down ({self.reason}).")
        # system.shutdown and end of stdin let running requests finish (10 s at most); then, and at once for the
        # "now" triggers, whatever still runs is cancelled and answers -32800.
        await self._wait_idle(conn, SHUTDOWN_TIMEOUT, until=lambda: self.now)
        for call in list(conn.incoming.values()):
            call.cancel()
        await self._wait_idle(conn, CANCEL_GRACE)
        if watchdog is not None:
            watchdog.cancel()

        def last_words() -> None:
            conn.notify("lifecycle.shutdown", {"reason": self.reason})
            conn.seal()                         # nothing may follow lifecycle.shutdown
        writer = threading.Thread(target=last_words, daemon=True)
        writer.start()
        writer.join(2.0)                        # do not hang if the parent stopped reading stdout


def serve(contract: Contract, implementation: Any, *, callbacks: Callbacks | None = None,
          transport: str = "jsonl", version: str = VERSION, quiet_ready: bool = False,
          log_level: int | str = INFO) -> None:
    """Serves one contract on stdio until a shutdown, then exits the process."""
    set_log_level(log_level)
    Sidecar([(contract, implementation)], callbacks=callbacks, transport=transport, version=version,
            quiet_ready=quiet_ready).run()


def run(contract: Contract, implementation: Any, *, callbacks: Callbacks | None = None,
        description: str | None = None, argv: Sequence[str] | None = None, version: str = VERSION) -> None:
    """serve() behind the command line SidecarKit sidecars share (docs/protocol.md section 17): --transport,
    --log-level, --quiet-ready, --describe [json|openrpc] (the description on stdout, exit 0), --help (usage on
    stdout, exit 0); a bad option exits with 2."""
    def listing(entries: list[tuple[str, list[str]]]) -> str:
        return "\n".join(f"  {name}: " + ", ".join(methods) for name, methods in entries)
    entries = callback_entries(callbacks)
    epilog = f"contracts (served):\n{listing([(contract.name, [m.name for m in contract.methods])])}"
    if entries:
        epilog += f"\ncallbacks (called on the parent):\n{listing([callback_names(e) for e in entries])}"
    parser = argparse.ArgumentParser(
        allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter, epilog=epilog,
        description=description or f"A SidecarKit sidecar in Python serving '{contract.name}'.")
    parser.add_argument("--transport", choices=("jsonl", "msgpack"), default="jsonl",
                        help="jsonl (JSON-RPC 2.0 on JSON lines, default) or msgpack (MessagePack-RPC), on stdio")
    parser.add_argument("--log-level", type=str.lower, choices=LEVELS, default="information", metavar="LEVEL",
                        help="trace, debug, information (default), warning, error, critical or none")
    parser.add_argument("--quiet-ready", action="store_true", help=f"do not write the {READY_PREFIX} line on stderr")
    parser.add_argument("--describe", nargs="?", const="json", choices=("json", "openrpc"), metavar="FORMAT",
                        help="print the contract description and exit: json (docs/protocol.md section 16, the "
                             "default) or openrpc (an OpenRPC 1.3 document, what rpc.discover answers)")
    args = parser.parse_args(argv)
    if args.describe == "openrpc":
        from .openrpc import openrpc_document, openrpc_text
        text = openrpc_text(openrpc_document([contract], entries))
        sys.stdout.buffer.write(text.encode("utf-8") + b"\n")
        sys.stdout.flush()
        sys.exit(0)
    if args.describe:
        def described(c: CallbackEntry) -> dict[str, Any]:
            if not isinstance(c, Contract):     # the methods' names alone: no shapes, no fingerprint
                return {"contract": c[0], "methods": [{"name": m} for m in c[1]]}
            entry = c.description()
            return {"contract": entry.pop("contract"), "fingerprint": c.computed_fingerprint(), **entry}
        print(json.dumps({"protocolVersion": PROTOCOL_VERSION, "contracts": [described(contract)],
                          "callbacks": [described(c) for c in entries]}, separators=(",", ":"), ensure_ascii=False))
        sys.exit(0)
    if args.transport == "msgpack":
        try:
            codec_for("msgpack")
        except ImportError as e:
            parser.exit(2, f"{parser.prog}: error: {e}\n")
    serve(contract, implementation, callbacks=callbacks, transport=args.transport, version=version,
          quiet_ready=args.quiet_ready, log_level=args.log_level)


__all__ = ["Contract", "Method", "TypeSet", "RemoteError", "CallContext", "method", "serve", "run", "log",
           "set_log_level", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL"]
