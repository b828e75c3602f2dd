"""The parent side: start a sidecar, supervise it, and call it (docs/protocol.md sections 10-14, appendices A-B).

    client = await sidecarkit.start(["dotnet", "Demo.Sidecar.dll"], transport="jsonl", callbacks=Events())
    print(await client.call("demo.add", {"a": 2, "b": 3}))
    async with client.stream("demo.count", {"to": 100}) as items:
        async for i in items: ...
    await client.stop()
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import enum
import json
import logging
import os
import secrets
import signal
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from types import EllipsisType, TracebackType
from typing import Any, Final, Generic, TypeVar, overload

from .codec import codec_for
from .errors import CallTimeout, ConnectionLost, FingerprintMismatch, SidecarError, StartError
from .names import method_name
from .rpc import DEFAULT_TIMEOUT, Connection, Handler, OutCall, result_of, wrap_function

READY_PREFIX = "__SIDECAR_READY__:"
TRANSPORTS = ("jsonl", "msgpack", "msgpack-unix")
MAX_LINE = 4 * 1024 * 1024          # a ready marker may be this long; longer stderr lines are cut
_logger = logging.getLogger("sidecarkit.sidecar")
T = TypeVar("T")


async def exited(proc: asyncio.subprocess.Process) -> int:
    """The exit code, once the process has exited. (Python 3.11's Process.wait() also waits for the pipes to close,
    which a child the sidecar left behind can hold open for ever.)"""
    while proc.returncode is None:
        await asyncio.sleep(0.05)
    return proc.returncode


class Unset(enum.Enum):
    """The default of an optional parameter that may be null, in generated stubs: "not given", so not sent (None is
    sent as null)."""
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


def as_bytes(value: Any) -> bytes:
    """A `bytes` value as received: base64 text in JSON, bin in MessagePack."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return base64.b64decode(value, validate=True)
    raise TypeError(f"expected bytes or a base64 string, got {type(value).__name__}")


def _callback_lookup(callbacks: Any) -> Callable[[str, bool], Handler | None]:
    """Callbacks served for the sidecar: a dict of wire name -> function, or an object whose methods are named by
    the wire name's last part in snake_case (demoEvents.confirm -> confirm, a keyword with a trailing _: see
    sidecarkit.names.method_name) or marked with @sidecarkit.method."""
    marked: dict[str, Callable[..., Any]] = {}
    if callbacks is not None and not isinstance(callbacks, Mapping):
        for attr in dir(callbacks):
            fn = getattr(callbacks, attr, None) if not attr.startswith("__") else None
            wire = getattr(fn, "__sidecarkit_wire_name__", None)
            if callable(fn) and isinstance(wire, str):
                marked[wire] = fn

    def lookup(method: str, request: bool) -> Handler | None:
        if callbacks is None or method.startswith(("$/", "lifecycle.", "system.")):
            return None
        if isinstance(callbacks, Mapping):
            fn = callbacks.get(method)
        else:
            fn = marked.get(method) or getattr(callbacks, method_name(method), None)
        if not callable(fn):
            return None
        return Handler(method, "request" if request else "notification", wrap_function(fn, context=True))
    return lookup


class Stream(Generic[T]):
    """A streamed result (kind stream or duplexStream) as an async iterator. The call starts at the first item asked
    for (or at ``async with``); each half window consumed is granted back as credit; leaving early (``aclose``, the
    end of ``async with``, or cancelling the task) cancels the call. After the end, ``result`` is the callee's final
    answer (the number of items it sent). `convert` turns each item as received into what the iterator yields."""

    def __init__(self, client: Client, method: str, params: Any, input: Any, timeout: float | None,
                 convert: Callable[[Any], T] | None = None):
        self._convert = convert
        self._client = client
        self._method = method
        self._params = params
        self._input = input
        self._timeout = timeout
        self._conn: Connection | None = None
        self._call: OutCall | None = None
        self._deadline: float | None = None
        self._done = False
        self.result: Any = None

    async def _begin(self) -> OutCall:
        if self._call is None:
            self._conn = await self._client._live()
            self._call = self._conn.start_call(self._method, self._params, input=self._input)
            if self._timeout is not None:
                self._deadline = asyncio.get_running_loop().time() + self._timeout
        return self._call

    def __aiter__(self) -> Stream[T]:
        return self

    async def __anext__(self) -> T:
        if self._done:
            raise StopAsyncIteration
        call = await self._begin()
        assert self._conn is not None
        try:
            while True:
                if call.items:
                    item = call.items.popleft()
                    self._conn.grant(call)
                    return self._convert(item) if self._convert is not None else item  # type: ignore[no-any-return]
                if call.future.done():
                    self._done = True
                    if call.pump is not None and not call.pump.done():
                        call.pump.cancel()
                    self.result = result_of(call.future.result())   # raises RemoteError / ConnectionLost
                    raise StopAsyncIteration
                call.event.clear()
                if self._deadline is None:
                    await call.event.wait()
                else:
                    left = self._deadline - asyncio.get_running_loop().time()
                    try:
                        await asyncio.wait_for(call.event.wait(), max(left, 0))
                    except TimeoutError:
                        raise CallTimeout(f"The stream '{self._method}' did not complete within "
                                          f"{self._timeout * 1000 if self._timeout else 0:.0f} ms.") from None
        except (asyncio.CancelledError, CallTimeout):
            await self.aclose()
            raise
        except BaseException:
            self._done = True
            raise

    async def aclose(self) -> None:
        """Stops early: the callee gets $/cancelRequest and whatever still arrives is ignored."""
        if not self._done and self._call is not None and self._conn is not None:
            self._conn.abandon(self._call)
        self._done = True

    async def __aenter__(self) -> Stream[T]:
        await self._begin()
        return self

    async def __aexit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def collect(self) -> list[T]:
        """Every item, in order (for small streams)."""
        return [item async for item in self]


class _Instance:
    """One run of the sidecar process and its connection."""

    def __init__(self, proc: asyncio.subprocess.Process, conn: Connection):
        self.proc = proc
        self.conn = conn
        self.stderr: deque[str] = deque(maxlen=50)
        self.ready: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.marker: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.stderr_done = asyncio.Event()
        self.tasks: list[asyncio.Task[Any]] = []
        self.writer: asyncio.StreamWriter | None = None
        self.watcher: asyncio.Task[None] | None = None

    def tail(self, lines: int = 20) -> str:
        return "\n".join(list(self.stderr)[-lines:])


class Client:
    """A started sidecar: calls, notifications, streams, callbacks served for it, crash detection, an optional
    restart on crash, and a graceful stop. Made by :func:`start`."""

    def __init__(self, command: Sequence[str], *, transport: str, callbacks: Any, ready_timeout: float,
                 call_timeout: float | None, env: Mapping[str, str] | None, cwd: str | None, restart: bool,
                 max_restarts: int, shutdown_timeout: float, on_stderr: Callable[[str], None] | None):
        if transport not in TRANSPORTS:
            raise ValueError(f"unknown transport {transport!r}: use one of {', '.join(TRANSPORTS)}")
        if not command:
            raise ValueError("the command that starts the sidecar is empty")
        codec_for(transport)                    # a missing msgpack module fails here, before anything starts
        self.command = list(command)
        self.transport = transport
        self.callbacks = callbacks
        self.ready_timeout = ready_timeout
        self.call_timeout = call_timeout
        self.env = env
        self.cwd = cwd
        self.restart = restart
        self.max_restarts = max_restarts
        self.shutdown_timeout = shutdown_timeout
        self.on_stderr = on_stderr
        self.restarts = 0
        self.ready: dict[str, Any] = {}
        self._lookup = _callback_lookup(callbacks)
        self._instance: _Instance | None = None
        self._stopping = False
        self._up = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self.notifications: Callable[[str, Any], None] | None = None

    # ---------------------------------------------------------------------------------------------- properties
    @property
    def pid(self) -> int | None:
        return self._instance.proc.pid if self._instance else None

    @property
    def returncode(self) -> int | None:
        return self._instance.proc.returncode if self._instance else None

    def stderr_tail(self, lines: int = 20) -> str:
        return self._instance.tail(lines) if self._instance else ""

    def contract_fingerprint(self, contract: str) -> str | None:
        """The fingerprint the sidecar announced for a contract (None: not announced, as hand-written sidecars may)."""
        for entry in self.ready.get("contracts") or []:
            if isinstance(entry, dict) and entry.get("name") == contract:
                fingerprint = entry.get("fingerprint")
                return fingerprint if isinstance(fingerprint, str) else None
        return None

    def check_fingerprint(self, contract: str, expected: str) -> None:
        """Raises FingerprintMismatch when the sidecar announced another fingerprint for `contract` than `expected`,
        or does not serve it; a sidecar that announces the contract without a fingerprint passes."""
        names = [e.get("name") for e in self.ready.get("contracts") or [] if isinstance(e, dict)]
        if contract not in names:
            raise FingerprintMismatch(f"the sidecar does not serve the contract '{contract}' (it serves: "
                                      f"{', '.join(map(str, names)) or 'nothing'})")
        announced = self.contract_fingerprint(contract)
        if announced is not None and announced != expected:
            raise FingerprintMismatch(f"the sidecar announced the contract '{contract}' with fingerprint {announced}, "
                                      f"but these stubs were generated from {expected}: regenerate them "
                                      "(python3 -m sidecarkit.stubgen) or start the matching sidecar")

    # ---------------------------------------------------------------------------------------------- calls
    async def _live(self) -> Connection:
        if self._stopping:
            raise ConnectionLost("The sidecar has been stopped.")
        if not self._up.is_set() and self.restart and self._supervisor is not None and not self._supervisor.done():
            try:                                # restarting: wait for the next instance
                await asyncio.wait_for(self._up.wait(), self.ready_timeout)
            except TimeoutError:
                pass
        assert self._instance is not None
        return self._instance.conn

    async def call(self, method: str, params: Any = None, *, timeout: float | None | EllipsisType = ...,
                   progress: Callable[[Any], Any] | None = None, input: Any = None) -> Any:
        """Calls `method` and returns its result; a method announced as a stream (kind stream or duplexStream)
        returns the list of its items (credit granted as they come; no default timeout, as for stream()). `params`: a dict (by name) or a list (by position). `timeout` in
        seconds (default: the client's call_timeout, 30 s; None: none; a call with `input` has none by default);
        `progress` gets each $/progress report; `input` (an iterable or async iterable) is the streamed parameter of
        a clientStream method. Raises RemoteError, CallTimeout, ConnectionLost; cancelling the awaiting task sends
        $/cancelRequest."""
        conn = await self._live()
        streams = self.method_kind(method) in ("stream", "duplexStream")
        if timeout is ...:                      # streams have no default timeout (docs/protocol.md section 11)
            timeout = self.call_timeout if input is None and not streams else None
        return await conn.call(method, params, timeout=timeout, input=input, progress=progress, collect=streams)

    def method_kind(self, method: str) -> str | None:
        """The kind the sidecar announced for `method` ("request", "stream", ...), None if it announced no shape."""
        for contract in self.ready.get("contracts") or []:
            for shape in (contract.get("methods") or []) if isinstance(contract, dict) else []:
                if isinstance(shape, dict) and shape.get("name") == method and isinstance(shape.get("kind"), str):
                    kind: str = shape["kind"]
                    return kind
        return None

    async def notify(self, method: str, params: Any = None) -> None:
        conn = await self._live()
        conn.notify(method, params)

    @overload
    def stream(self, method: str, params: Any = None, *, input: Any = None,
               timeout: float | None = None) -> Stream[Any]: ...

    @overload
    def stream(self, method: str, params: Any = None, *, input: Any = None, timeout: float | None = None,
               convert: Callable[[Any], T]) -> Stream[T]: ...

    def stream(self, method: str, params: Any = None, *, input: Any = None, timeout: float | None = None,
               convert: Callable[[Any], Any] | None = None) -> Stream[Any]:
        """A streamed result (stream, or duplexStream with `input`) as an async iterator (see Stream)."""
        return Stream(self, method, params, input, timeout, convert)

    async def ping(self, timeout: float = 5.0) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("system.ping", timeout=timeout)
        return result

    # ---------------------------------------------------------------------------------------------- the process
    async def _spawn(self) -> _Instance:
        env = dict(os.environ if self.env is None else self.env)
        if self.env is None or "SIDECAR_PARENT_PID" not in self.env:
            env["SIDECAR_PARENT_PID"] = str(os.getpid())     # its orphan guard watches us, not a grandparent
        token = None
        if self.transport == "msgpack-unix":
            token = secrets.token_hex(16)
            env["SIDECAR_TOKEN"] = token
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=env, cwd=self.cwd, start_new_session=True)
        except OSError as e:
            raise StartError(f"could not start {self.command[0]!r}: {e}") from e
        assert proc.stdin is not None
        stdin = proc.stdin
        use_stdio = self.transport != "msgpack-unix"
        conn = Connection(codec_for(self.transport), stdin.write if use_stdio else (lambda data: None),
                          drain=stdin.drain if use_stdio else None)
        inst = _Instance(proc, conn)
        self._wire(inst)
        inst.tasks.append(asyncio.create_task(self._read_stderr(inst)))
        if use_stdio:
            assert proc.stdout is not None
            inst.tasks.append(asyncio.create_task(self._read_channel(inst, proc.stdout)))
        else:
            inst.tasks.append(asyncio.create_task(self._discard(proc)))
        inst.watcher = asyncio.create_task(self._watch_exit(inst))
        try:
            await self._await_ready(inst, token)
        except BaseException:
            await self._kill(inst)
            raise
        return inst

    def _wire(self, inst: _Instance) -> None:
        conn = inst.conn
        conn.fallback = self._lookup

        def notification(method: str, params: Any) -> None:
            if method == "lifecycle.ready":
                if not inst.ready.done() and isinstance(params, dict):
                    inst.ready.set_result(params)
            elif method == "lifecycle.shutdown":
                _logger.debug("the sidecar %s is shutting down: %s", inst.proc.pid, params)
            elif self.notifications is not None:
                self.notifications(method, params)
        conn.on_notification = notification

    async def _await_ready(self, inst: _Instance, token: str | None) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.ready_timeout
        exit_future = asyncio.ensure_future(exited(inst.proc))

        async def first(*futures: asyncio.Future[Any]) -> asyncio.Future[Any]:
            done, _ = await asyncio.wait([*futures, exit_future], timeout=max(deadline - loop.time(), 0),
                                         return_when=asyncio.FIRST_COMPLETED)
            if not done:
                raise StartError(f"the sidecar {self.command!r} was not ready within {self.ready_timeout:g} s; "
                                 f"stderr tail:\n{inst.tail()}")
            for f in futures:
                if f in done:
                    return f
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(inst.stderr_done.wait(), 2.0)
            raise StartError(f"the sidecar {self.command!r} exited with code {inst.proc.returncode} before it was "
                             f"ready; stderr tail:\n{inst.tail()}")
        try:
            if self.transport != "msgpack-unix":
                won = await first(inst.ready, inst.marker)
                try:
                    self.ready = won.result()
                except ConnectionLost as e:
                    # Its stdout closes as it exits, and the end of the pipe may be read before the exit is seen: a
                    # process on its way out is given a moment, so the error names its exit code like any other.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(asyncio.shield(exit_future), 2.0)
                        await asyncio.wait_for(inst.stderr_done.wait(), 2.0)
                    if inst.proc.returncode is not None:
                        raise StartError(f"the sidecar {self.command!r} exited with code {inst.proc.returncode} before "
                                         f"it was ready; stderr tail:\n{inst.tail()}") from e
                    raise StartError(f"the sidecar closed its stdout before it was ready; stderr tail:\n"
                                     f"{inst.tail()}") from e
                return
            marker = (await first(inst.marker)).result()
            path = marker.get("listenInfo")
            if not isinstance(path, str):
                raise StartError(f"the sidecar's ready marker names no socket (listenInfo): {marker}")
            try:
                reader, writer = await asyncio.open_unix_connection(path, limit=MAX_LINE)
            except OSError as e:
                raise StartError(f"could not connect to the sidecar's socket {path}: {e}") from e
            inst.writer = writer
            inst.conn._write = writer.write
            inst.conn._drain = writer.drain
            inst.tasks.append(asyncio.create_task(self._read_channel(inst, reader)))
            inst.conn.notify("$/hello", [{"token": token}])
            try:
                self.ready = (await first(inst.ready)).result()
            except ConnectionLost as e:
                raise StartError(f"the sidecar closed the connection at {path} without admitting it: does it "
                                 f"expect another SIDECAR_TOKEN?; stderr tail:\n{inst.tail()}") from e
        finally:
            exit_future.cancel()

    async def _read_stderr(self, inst: _Instance) -> None:
        """The sidecar's log lines: kept (the tail goes into errors), passed on, and searched for the ready marker."""
        assert inst.proc.stderr is not None
        buffer = bytearray()
        try:
            while data := await inst.proc.stderr.read(65536):
                buffer += data
                while (end := buffer.find(b"\n")) >= 0 or len(buffer) > MAX_LINE:
                    cut = end if end >= 0 else MAX_LINE
                    self._stderr_line(inst, bytes(buffer[:cut]).decode("utf-8", "replace").rstrip("\r"))
                    del buffer[:cut + (1 if end >= 0 else 0)]
            if buffer:
                self._stderr_line(inst, bytes(buffer).decode("utf-8", "replace"))
        finally:
            inst.stderr_done.set()

    def _stderr_line(self, inst: _Instance, line: str) -> None:
        if line.startswith(READY_PREFIX):
            if not inst.marker.done():
                try:
                    payload = json.loads(line[len(READY_PREFIX):])
                    if isinstance(payload, dict):
                        inst.marker.set_result(payload)
                        return
                except ValueError:
                    pass
            _logger.warning("malformed ready marker: %.200s", line)
            return
        inst.stderr.append(line[:2000])
        if self.on_stderr is not None:
            self.on_stderr(line)
        else:
            _logger.debug("[%s] %s", inst.proc.pid, line)

    async def _discard(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None          # a socket transport's stdout carries no messages
        while await proc.stdout.read(65536):
            pass

    async def _read_channel(self, inst: _Instance, reader: asyncio.StreamReader) -> None:
        try:
            while data := await reader.read(65536):
                inst.conn.feed(data)
        except (ConnectionError, OSError):
            pass
        # The channel ended: the process exited (or is about to); wait a little for its exit code and last words.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(exited(inst.proc), 2.0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(inst.stderr_done.wait(), 1.0)
        why = "The sidecar was stopped" if self._stopping else "The sidecar exited" \
            if inst.proc.returncode is not None else "The sidecar closed its channel"
        inst.conn.eof(ConnectionLost(f"{why} ({' '.join(self.command)[:200]})", inst.proc.returncode,
                                     "" if self._stopping else inst.tail()))
        if not inst.ready.done():
            inst.ready.set_exception(ConnectionLost("the channel closed before lifecycle.ready"))
            inst.ready.exception()
        if inst is self._instance:
            self._up.clear()

    async def _watch_exit(self, inst: _Instance) -> None:
        """The reader fails the pending calls when the channel ends; but a process that left a child holding its
        stdout open never ends it: 2 s after the exit, the connection is closed anyway."""
        await exited(inst.proc)
        await asyncio.sleep(2.0)
        if inst.conn.closed is None:
            inst.conn.close(ConnectionLost(f"The sidecar exited ({' '.join(self.command)[:200]})",
                                           inst.proc.returncode, "" if self._stopping else inst.tail()))
            if inst is self._instance:
                self._up.clear()

    async def _supervise(self) -> None:
        """Restart on crash, with a backoff (0.1 s doubling to 5 s), at most max_restarts times."""
        while not self._stopping:
            inst = self._instance
            assert inst is not None
            await exited(inst.proc)
            while inst.conn.closed is None and not self._stopping:
                await asyncio.sleep(0.02)       # the reader fails the pending calls first
            if self._stopping or not self.restart or self.restarts >= self.max_restarts:
                return
            delay = min(0.1 * 2 ** self.restarts, 5.0)
            _logger.warning("the sidecar %s exited with code %s; restarting in %.1f s", inst.proc.pid,
                            inst.proc.returncode, delay)
            await asyncio.sleep(delay)
            self.restarts += 1
            try:
                self._instance = await self._spawn()
                self._up.set()
            except StartError as e:
                _logger.error("restarting the sidecar failed: %s", e)
                if self.restarts >= self.max_restarts:
                    return

    async def _kill(self, inst: _Instance) -> None:
        """SIGTERM, then SIGKILL to the whole process group (the sidecar's children too): no orphans."""
        for sig, wait in ((signal.SIGTERM, self.shutdown_timeout), (signal.SIGKILL, 5.0)):
            if inst.proc.returncode is not None:
                break
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(inst.proc.pid, sig)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(exited(inst.proc), wait)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(inst.proc.pid, signal.SIGKILL)   # whatever the sidecar started and left behind
        await self._close_pipes(inst)

    async def _close_pipes(self, inst: _Instance) -> None:
        if inst.watcher is not None:
            inst.watcher.cancel()
        if inst.writer is not None:
            inst.writer.close()
        if inst.proc.stdin is not None:
            inst.proc.stdin.close()
        for task in inst.tasks:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, 2.0)
        inst.conn.close(ConnectionLost("The sidecar has been stopped."))

    async def stop(self, timeout: float | None = None) -> int | None:
        """system.shutdown, then the end of stdin, then SIGTERM and SIGKILL, each stage after `timeout` seconds
        (default shutdown_timeout, 5 s). Returns the exit code."""
        timeout = self.shutdown_timeout if timeout is None else timeout
        inst = self._instance
        self._stopping = True
        self._up.clear()
        if self._supervisor is not None:
            self._supervisor.cancel()
        if inst is None:
            return None
        if inst.proc.returncode is None and inst.conn.closed is None:
            with contextlib.suppress(SidecarError, OSError):
                await inst.conn.call("system.shutdown", timeout=timeout)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(exited(inst.proc), timeout)
        if inst.proc.returncode is None and inst.proc.stdin is not None:
            inst.proc.stdin.close()             # the sidecar's orphan guard: the end of stdin
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(exited(inst.proc), timeout)
        await self._kill(inst)
        return inst.proc.returncode

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()


async def start(command: Sequence[str], *, transport: str = "jsonl", callbacks: Any = None,
                ready_timeout: float = 30.0, call_timeout: float | None = DEFAULT_TIMEOUT,
                env: Mapping[str, str] | None = None, cwd: str | None = None, restart: bool = False,
                max_restarts: int = 5, shutdown_timeout: float = 5.0,
                on_stderr: Callable[[str], None] | None = None) -> Client:
    """Starts a sidecar and returns once it is ready (its ready marker or lifecycle.ready), or raises StartError
    naming why (it exited first, with its exit code, or timed out), with its stderr tail.

    `transport`: "jsonl" (JSON-RPC on JSON lines, stdlib only), "msgpack" (MessagePack-RPC on stdio),
    "msgpack-unix" (MessagePack-RPC on the Unix socket the sidecar announces; a fresh SIDECAR_TOKEN is sent as
    $/hello), or "grpc"/"grpc-unix" (sidecarkit.grpc_client: grpcio, types from server reflection). The command must select the same transport (for SidecarKit's C# sidecars: --transport <name>).
    `callbacks`: what the sidecar may call on us: an object (demoEvents.confirm -> its `confirm` method, sync or
    async, taking the params by name) or a dict of wire name -> function. `restart`: start the sidecar again when it
    exits on its own (calls pending at the crash still fail with ConnectionLost). `on_stderr` gets each log line."""
    if transport in ("grpc", "grpc-unix"):     # grpcio is imported only for these
        if restart:
            raise ValueError("restart=True is not offered on gRPC")
        from . import grpc_client
        return await grpc_client.start(command, transport=transport, callbacks=callbacks, ready_timeout=ready_timeout,
                                       call_timeout=call_timeout, env=env, cwd=cwd, shutdown_timeout=shutdown_timeout,
                                       on_stderr=on_stderr)
    client = Client(command, transport=transport, callbacks=callbacks, ready_timeout=ready_timeout,
                    call_timeout=call_timeout, env=env, cwd=cwd, restart=restart, max_restarts=max_restarts,
                    shutdown_timeout=shutdown_timeout, on_stderr=on_stderr)
    client._instance = await client._spawn()
    client._up.set()
    client._supervisor = asyncio.create_task(client._supervise())
    return client


