"""The call engine: one symmetric connection that both calls and serves (docs/protocol.md sections 3-13).

The parent (sidecarkit.client) and the sidecar (sidecarkit.server) use the same engine: each side sends requests and
notifications and answers the other side's. Everything runs on one asyncio event loop; bytes come in through
``feed``/``eof`` and go out through the ``write`` callable the owner supplies.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .codec import Codec, Decoded, Malformed, Message, answered_id, named
from .errors import (INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, MESSAGE_TOO_LARGE, METHOD_NOT_FOUND,
                     REQUEST_CANCELLED, SHUTTING_DOWN, CallTimeout, ConnectionLost, RemoteError)
from .wiretypes import INT32_MAX, TypeSet

STREAM_WINDOW = 64      # items a callee sends before the caller must grant credit (the callee's setting)
INPUT_WINDOW = 64       # items of a streamed parameter a caller sends before the callee grants credit (fixed)
DEFAULT_TIMEOUT = 30.0  # seconds, for calls that are not streams (docs/protocol.md section 11)
KINDS = ("request", "notification", "stream", "clientStream", "duplexStream")
STREAMS = {"stream": "its result", "clientStream": "its input", "duplexStream": "its input and its result"}

LogFn = Callable[[int, str, str, "BaseException | None"], None]
_logger = logging.getLogger("sidecarkit")


def _default_log(level: int, category: str, message: str, exc: BaseException | None = None) -> None:
    _logger.log((5, 10, 20, 30, 40, 50)[min(level, 5)], "%s: %s", category, message, exc_info=exc)


def key(id: Any) -> tuple[str, Any]:
    return (type(id).__name__, id)              # ids match by type and value: 1 and "1" are different requests


def envelope_problem(msg: Message) -> str | None:
    """Why a message with a method is not a valid request or notification (None if it is)."""
    rules = (("jsonrpc" in msg, '"jsonrpc": "2.0" is required.'),
             (msg.get("jsonrpc") == "2.0", '"jsonrpc" must be "2.0".'),
             (type(msg.get("id")) in (int, float, str, type(None)), '"id" must be a string, a number or null.'),
             ("method" in msg, 'a message needs a "method", or exactly one of "result" and "error".'),
             (type(msg.get("method")) is str, '"method" must be a string.'),
             (type(msg.get("params", {})) in (dict, list), '"params" must be an object or an array.'),
             ("result" not in msg and "error" not in msg, 'a request must not have "result" or "error".'))
    return next((problem for ok, problem in rules if not ok), None)


def trace_meta(params: Any) -> dict[str, Any]:
    """The W3C trace context of params._meta, as a _meta to pass on to calls made on its behalf; {} if none."""
    meta = params.get("_meta") if isinstance(params, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("traceparent"), str):
        return {}
    return {"_meta": {k: v for k, v in meta.items() if k in ("traceparent", "tracestate") and isinstance(v, str)}}


@dataclass
class Handler:
    """A method this side serves. ``function(ctx, args)`` gets the running call and the parameters: a dict read
    against ``params`` when the types are known, else the params as sent (a dict, a list, or None). It returns the
    result, an awaitable of it, or, for streams, an (async) iterable of the items."""
    name: str
    kind: str
    function: Callable[[CallContext, Any], Any]
    params: dict[str, str] | None = None
    input: tuple[str, str] | None = None        # the streamed parameter: its name and item type
    progress: str | None = None
    types: TypeSet | None = None

    def read_args(self, params: Any) -> Any:
        if self.params is None or self.types is None:
            return params
        return self.types.read_object({} if params is None else params, self.params, self.name)


class CallContext:
    """One call from the other side while it runs: what an implementation gets to report progress, read its
    streamed parameter, learn of cancellation and call back."""

    def __init__(self, conn: Connection, msg: Message, handler: Handler):
        self.connection = conn
        self.method: str = msg["method"]
        self.is_request = "id" in msg
        self.id: Any = msg.get("id")
        self.handler = handler
        self.meta = trace_meta(msg.get("params"))
        self.cancelled = False
        self.answered = False
        self.started = False
        self.task: asyncio.Task[None] | None = None
        self.credit = STREAM_WINDOW
        self._credit_event = asyncio.Event()
        self.takes_input = handler.input is not None
        self._inbox: deque[Any] = deque()
        self._ended = False
        self._end_error: RemoteError | None = None
        self.abort: RemoteError | None = None
        self._allowed = INPUT_WINDOW
        self._received = 0
        self._input_event = asyncio.Event()

    # --- what implementations use
    def report(self, item: Any) -> None:
        """A progress report ($/progress): sent at once, so before the answer; dropped after it, and for a
        notification (docs/protocol.md section 12b)."""
        if self.is_request and not self.answered:
            self.connection.send({"method": "$/progress", "params": {"id": self.id, "item": item}})

    async def call(self, method: str, params: Any = None, *, timeout: float | None = None) -> Any:
        """Calls the other side (a callback on the parent); the caller's trace context goes along. Its error is
        raised as RemoteError; cancelling this call's task cancels that call too ($/cancelRequest)."""
        return await self.connection.call(method, self._with_meta(params), timeout=timeout)

    def notify(self, method: str, params: Any = None) -> None:
        self.connection.notify(method, self._with_meta(params))

    def _with_meta(self, params: Any) -> Any:
        if self.meta and (params is None or isinstance(params, dict)):
            return {**(params or {}), **self.meta}
        return params

    # --- the engine's side
    def cancel(self, abort: RemoteError | None = None) -> None:
        if abort is not None and self.abort is None:
            self.abort = abort
        self.cancelled = True
        self._input_event.set()
        if self.task is not None and self.started and not self.task.done():
            self.task.cancel()                  # a task not yet started sees `cancelled` when it starts

    def add_credit(self, credit: int) -> None:
        self.credit = min(self.credit + credit, INT32_MAX)
        self._credit_event.set()

    async def spend_credit(self) -> None:
        while self.credit <= 0:                 # flow control: wait for $/stream.credit
            self._credit_event.clear()
            await self._credit_event.wait()
        self.credit -= 1

    def add_input(self, raw_item: Any) -> None:
        if self._ended or self.abort:
            return                              # after the end (or a failure) items are ignored
        assert self.handler.input is not None
        try:
            item = (self.handler.types or TypeSet()).read(raw_item, self.handler.input[1], "item")
        except RemoteError as e:
            return self.fail(f"An item of the input stream of '{self.method}' could not be read: "
                             f"{e.message.removeprefix('Invalid params: ')}")
        self._received += 1
        if self._received > self._allowed:
            return self.fail(f"The caller sent more items of the input stream of '{self.method}' than it had "
                             f"credit for ({self._allowed}): see $/input.credit.")
        self._inbox.append(item)
        self._input_event.set()

    def end_input(self, error: Any) -> None:
        if not self._ended:
            self._ended = True
            if error is not None:
                message = error.get("message")
                self._end_error = RemoteError(error.get("code", INTERNAL_ERROR), message if message else "")
            self._input_event.set()

    def fail(self, message: str) -> None:
        """The caller broke the input's rules: the call ends with -32600."""
        self.connection.log(3, "connection", message, None)
        self.cancel(RemoteError(INVALID_REQUEST, message))

    async def input_items(self) -> AsyncIterator[Any]:
        """The streamed parameter as the implementation reads it: each item as it arrives until $/input.end
        (raising the caller's error if its stream failed). Every INPUT_WINDOW // 2 items read, the caller gets as
        much credit back."""
        consumed = 0
        while True:
            while not (self._inbox or self._ended or self.cancelled):
                self._input_event.clear()
                await self._input_event.wait()
            if self.abort:
                raise self.abort
            if self.cancelled:
                raise asyncio.CancelledError()
            if not self._inbox:
                if self._end_error:
                    raise self._end_error
                return
            item = self._inbox.popleft()
            consumed += 1
            if consumed >= INPUT_WINDOW // 2:
                self._allowed += consumed       # counted before it is sent: the caller may use it at once
                self.connection.send({"method": "$/input.credit", "params": {"id": self.id, "credit": consumed}})
                consumed = 0
            yield item


class OutCall:
    """One call this side made and is waiting for."""

    def __init__(self, id: int, method: str, progress: Callable[[Any], Any] | None):
        self.id = id
        self.method = method
        self.future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self.items: deque[Any] = deque()
        self.event = asyncio.Event()            # set on an item, the response, or a grant of input credit
        self.progress = progress
        self.input_allowed = INPUT_WINDOW
        self.input_sent = 0
        self.consumed = 0
        self.pump: asyncio.Task[None] | None = None
        self.collect: list[Any] | None = None   # call(): stream items are collected (credit granted at once)

    def wake(self) -> None:
        self.event.set()


class Connection:
    def __init__(self, codec: Codec, write: Callable[[bytes], None], *,
                 drain: Callable[[], Awaitable[None]] | None = None, log: LogFn | None = None):
        self.codec = codec
        self._write = write
        self._drain = drain
        self.log: LogFn = log or _default_log
        self.handlers: dict[str, Handler] = {}
        self.fallback: Callable[[str, bool], Handler | None] | None = None
        self.on_notification: Callable[[str, Any], None] | None = None
        self.on_fatal: Callable[[str], None] | None = None
        self.refusing: Callable[[str], bool] = lambda method: False
        self.incoming: dict[tuple[str, Any], CallContext] = {}
        self._outgoing: dict[int, OutCall] = {}
        self._next_id = 0
        self.closed: ConnectionLost | None = None
        self.lost_error: Callable[[], ConnectionLost] | None = None
        self._sealed = False

    # ------------------------------------------------------------------------------------------------ writing
    def send(self, message: Message) -> None:
        """Encodes and writes one message; raises TypeError/ValueError if it cannot be encoded."""
        data = self.codec.encode(message)
        if self._sealed:
            return
        try:
            self._write(data)
        except (OSError, RuntimeError, ValueError):
            pass                                # the other side stopped reading: its end is noticed on the read side

    def seal(self) -> None:
        """Nothing more is written (after lifecycle.shutdown)."""
        self._sealed = True

    def notify(self, method: str, params: Any = None) -> None:
        self._check_open()
        self.send({"method": method, **({} if params is None else {"params": params})})

    # ------------------------------------------------------------------------------------------------ reading
    def feed(self, data: bytes) -> None:
        for decoded in self.codec.feed(data):
            self._handle_safely(decoded)

    def eof(self, error: ConnectionLost | None) -> None:
        """The input ended. With an error, the connection is closed: every pending call fails with it."""
        for decoded in self.codec.finish():
            self._handle_safely(decoded)
        if error is not None:
            self.close(error)

    def close(self, error: ConnectionLost) -> None:
        if self.closed is None:
            self.closed = error
        for call in list(self._outgoing.values()):
            if not call.future.done():
                call.future.set_exception(error)
                call.future.exception()         # retrieved: no "never retrieved" warning if nobody awaits it
            call.wake()
        self._outgoing.clear()
        for incoming in list(self.incoming.values()):
            incoming.cancel()                   # their answers could not arrive

    def _check_open(self) -> None:
        if self.closed is not None:
            raise self.closed

    def _handle_safely(self, decoded: Decoded) -> None:
        try:
            self._handle(decoded)
        except Exception as e:  # noqa: BLE001 - one bad message must not end the read loop
            self.log(4, "connection", f"Handling a message failed: {type(e).__name__}: {e}", e)

    def _handle(self, msg: Decoded) -> None:
        if isinstance(msg, Malformed):
            self.send({"id": None, "error": {"code": msg.code, "message": msg.message}})
            if msg.code == MESSAGE_TOO_LARGE:
                self._too_large(msg)
            if msg.fatal and self.on_fatal is not None:
                self.on_fatal(msg.message)
            return
        if ("result" in msg or "error" in msg) and type(msg.get("method")) is not str:
            return self._response(msg)
        if problem := envelope_problem(msg):
            id = msg.get("id") if type(msg.get("id")) in (int, float, str) else None
            return self.send({"id": id, "error": {"code": INVALID_REQUEST, "message": f"Invalid Request: {problem}"}})
        if "id" in msg and key(msg["id"]) in self.incoming:
            # Before any other check can answer with that id: the running request keeps its single answer.
            message = f"A request with id {json.dumps(msg['id'])} is already running."
            return self.send({"id": None, "error": {"code": INVALID_REQUEST, "message": message}})
        method: str = msg["method"]
        if method in ("$/stream.item", "$/progress", "$/input.credit"):
            return self._for_outgoing(method, msg.get("params"))
        self._dispatch(msg)

    def _too_large(self, msg: Malformed) -> None:
        """A line over the size limit was dropped (docs/protocol.md section 15). If its first bytes show it was the
        answer (or a stream item) of one of our calls, that call fails now with -32001, rather than at its timeout."""
        id = answered_id(msg.head)
        call = self._outgoing.pop(id, None) if id is not None else None
        self.log(4, "connection", f"{msg.message} The line was dropped"
                 + (f": it answered the call to '{call.method}' (id {id}), which fails." if call else "."), None)
        if call is not None:
            if not call.future.done():
                call.future.set_exception(RemoteError(MESSAGE_TOO_LARGE, f"The answer to '{call.method}' was too "
                                                      f"large: {msg.message}"))
            if call.pump is not None:
                call.pump.cancel()
            if self.closed is None:
                self.send({"method": "$/cancelRequest", "params": {"id": call.id}})
            call.wake()

    # ------------------------------------------------------------------------------------------------ our calls
    def _response(self, msg: Message) -> None:
        """The answer to one of our calls. Never answer a response, not even an invalid one: only log it."""
        id = msg.get("id")
        call = self._outgoing.pop(id, None) if type(id) is int else None
        if call is None:
            self.log(1, "connection", f"Ignored a response that answers no pending call: {json.dumps(msg, default=repr)[:200]}", None)
            return
        if not call.future.done():
            call.future.set_result(msg)
        call.wake()

    def _for_outgoing(self, method: str, params: Any) -> None:
        params = named(method, params)
        id = params.get("id") if isinstance(params, dict) else None
        call = self._outgoing.get(id) if type(id) is int else None
        if call is None:
            return                              # a call we stopped waiting for, or never made
        if method == "$/stream.item":
            if call.collect is not None:
                call.collect.append(params.get("item"))
                self.grant(call)                # collected: consumed at once
            else:
                call.items.append(params.get("item"))
        elif method == "$/progress":
            if call.progress is not None:
                try:
                    report = call.progress(params.get("item"))
                    if inspect.isawaitable(report):     # an async callback: runs on its own, reports stay in order
                        asyncio.ensure_future(report)
                except Exception as e:  # noqa: BLE001 - a failing progress callback must not fail the call
                    self.log(3, "connection", f"A progress callback of '{call.method}' failed: {e}", e)
        else:
            credit = params.get("credit")
            if type(credit) is int and credit > 0:
                call.input_allowed = min(call.input_allowed + credit, call.input_sent + INT32_MAX)
        call.wake()

    def start_call(self, method: str, params: Any, *, input: Any = None,
                   progress: Callable[[Any], Any] | None = None) -> OutCall:
        self._check_open()
        self._next_id += 1
        call = OutCall(self._next_id, method, progress)
        self.send({"id": call.id, "method": method, **({} if params is None else {"params": params})})
        self._outgoing[call.id] = call
        if input is not None:
            call.pump = asyncio.get_running_loop().create_task(self._pump(call, input))
        return call

    def abandon(self, call: OutCall) -> None:
        """We stop waiting (cancelled, timed out, or the consumer left): the callee is told, and stops sending."""
        if self._outgoing.pop(call.id, None) is not None and self.closed is None:
            self.send({"method": "$/cancelRequest", "params": {"id": call.id}})
        if call.pump is not None:
            call.pump.cancel()
        if not call.future.done():
            call.future.cancel()

    async def call(self, method: str, params: Any = None, *, timeout: float | None = DEFAULT_TIMEOUT,
                   input: Any = None, progress: Callable[[Any], Any] | None = None, collect: bool = False) -> Any:
        """Calls `method` and returns its result. A method that streams its result (it sends $/stream.item) never
        waits for credit here: its items are collected, and returned as a list instead of the count when `collect`
        is set (for a method announced as a stream) or when any item came."""
        call = self.start_call(method, params, input=input, progress=progress)
        call.collect = []
        try:
            done, _ = await asyncio.wait([call.future], timeout=timeout)
            if not done:
                self.abandon(call)
                raise CallTimeout(f"The call to '{method}' did not complete within {(timeout or 0) * 1000:.0f} ms.")
            response = call.future.result()
        except asyncio.CancelledError:
            self.abandon(call)
            raise
        finally:
            if call.pump is not None and not call.pump.done():
                call.pump.cancel()              # the callee answered first: stop the producer
        result = result_of(response)
        return call.collect if collect or call.collect else result

    async def _pump(self, call: OutCall, source: Any) -> None:
        """Sends a streamed parameter as the input credit allows, then its end; a producer that fails ends the
        input with its error and fails the call at once with its own exception."""
        iterator: Any = source.__aiter__() if hasattr(source, "__aiter__") else iter(source)
        is_async = hasattr(iterator, "__anext__")
        try:
            while True:
                try:
                    item = await iterator.__anext__() if is_async else next(iterator)
                except (StopAsyncIteration, StopIteration):
                    break
                while call.input_sent >= call.input_allowed and not call.future.done():
                    call.event.clear()          # with the next item in hand: wait for $/input.credit
                    await call.event.wait()
                if call.future.done():
                    return
                self.send({"method": "$/input.item", "params": {"id": call.id, "item": item}})
                call.input_sent += 1
                if self._drain is not None:
                    await self._drain()
            if not call.future.done():
                self.send({"method": "$/input.end", "params": {"id": call.id, "error": None}})
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - the caller's own stream failed: it fails the call
            if not call.future.done():
                self._outgoing.pop(call.id, None)
                code = e.code if isinstance(e, RemoteError) else INTERNAL_ERROR
                message = e.message if isinstance(e, RemoteError) else str(e)
                if self.closed is None:
                    self.send({"method": "$/input.end", "params": {"id": call.id,
                                                                   "error": {"code": code, "message": message}}})
                call.future.set_exception(e)
                call.wake()
        finally:
            if is_async and hasattr(iterator, "aclose"):
                await iterator.aclose()         # so the producer's `finally` runs
            elif hasattr(iterator, "close"):
                iterator.close()

    def grant(self, call: OutCall) -> None:
        """One item consumed: each half window consumed goes back as $/stream.credit."""
        call.consumed += 1
        if call.consumed >= STREAM_WINDOW // 2 and call.id in self._outgoing:
            self.send({"method": "$/stream.credit", "params": {"id": call.id, "credit": call.consumed}})
            call.consumed = 0

    def lost(self) -> ConnectionLost:
        return self.closed or ConnectionLost("The connection is closed.")

    # ------------------------------------------------------------------------------------------------ their calls
    def _dispatch(self, msg: Message) -> None:
        method, params, request = msg["method"], msg.get("params", {}), "id" in msg

        def refuse(code: int, message: str) -> None:    # errors about a notification are only logged
            if request:
                self.send({"id": msg["id"], "error": {"code": code, "message": message}})
            else:
                self.log(1, "connection", f"Notification '{method}' ignored: {message}", None)

        if method in ("$/cancelRequest", "$/stream.credit"):     # at once, not answered on success
            return self._control(method, params, refuse)
        if method in ("$/input.item", "$/input.end"):
            return self._input(method, params, refuse)
        handler = self.handlers.get(method)
        if handler is None and self.fallback is not None:
            handler = self.fallback(method, request)
        if handler is None:
            if not request and self.on_notification is not None:
                return self.on_notification(method, params)
            return refuse(METHOD_NOT_FOUND, f"Method not found: '{method}'.")
        if request and not method.startswith("system.") and self.refusing(method):
            return refuse(SHUTTING_DOWN, "The sidecar is shutting down and accepts no new requests.")
        if handler.kind in STREAMS and not (request and type(msg["id"]) in (int, str)):
            if not request:
                kind = "returns a stream" if handler.kind == "stream" else "streams its input"
                return self.log(3, "connection", f"'{method}' {kind} and cannot be sent as a notification; ignored.",
                                None)
            # Items carry the id, and $/stream.credit, $/input.* and $/cancelRequest must be able to name it.
            return refuse(INVALID_REQUEST, f"'{method}' streams {STREAMS[handler.kind]}: its request id must be an "
                                           "integer or a string.")
        try:
            args = handler.read_args(params)
        except RemoteError as e:
            return refuse(INVALID_PARAMS, e.message)
        call = CallContext(self, msg, handler)
        if call.takes_input and isinstance(args, dict):
            assert handler.input is not None    # the streamed parameter is not in params: it comes as $/input.item
            args[handler.input[0]] = call.input_items()
        if request:
            self.incoming[key(call.id)] = call  # a duplicate id was refused in _handle, before any other check
        call.task = asyncio.get_running_loop().create_task(self._run(call, args))

    def _control(self, method: str, params: Any, refuse: Callable[[int, str], None]) -> None:
        members = {"id": "id"} if method == "$/cancelRequest" else {"id": "id", "credit": "int32"}
        try:
            args = TypeSet().read_object(params, members, method)
            if args.get("credit", 1) <= 0:
                raise RemoteError(INVALID_PARAMS, f"Invalid params: {method}: credit must be a positive integer.")
        except RemoteError as e:
            return refuse(INVALID_PARAMS, e.message)
        target = self.incoming.get(key(args["id"]))        # unknown or finished ids are ignored
        if target is not None and method == "$/cancelRequest":
            target.cancel()
        elif target is not None:
            target.add_credit(args["credit"])

    def _input(self, method: str, params: Any, refuse: Callable[[int, str], None]) -> None:
        """An item or the end of a running request's streamed parameter; by name or by position ([id, item]). An
        error is {"code", "message"} (or [code, message]). Messages for an id that is not running are ignored."""
        member = "item" if method == "$/input.item" else "error"
        if type(params) is list:
            params = dict(zip(("id", member), params))
        if type(params) is not dict or type(params.get("id")) not in (int, str):
            return refuse(INVALID_PARAMS, f"Invalid params: {method}: expected {{\"id\": <request id>, "
                                          f"\"{member}\": …}}.")
        error = params.get("error")
        if type(error) is list:
            error = dict(zip(("code", "message"), error))
        if member == "error" and error is not None and not (
                type(error) is dict and type(error.get("code", 0)) is int
                and type(error.get("message", "")) in (str, type(None))):
            return refuse(INVALID_PARAMS, f"Invalid params: {method}: error must be null or {{\"code\", \"message\"}}.")
        target = self.incoming.get(key(params["id"]))
        if target is None or not target.takes_input:
            return
        if member == "error":
            target.end_input(error)
        elif "item" not in params:              # an item that cannot be read ends the call
            target.fail(f"An item of the input stream of '{target.method}' could not be read: "
                        "required member 'item' is missing.")
        else:
            target.add_input(params["item"])

    async def _run(self, call: CallContext, args: Any) -> None:
        """Runs one method and sends its response, if it was a request."""
        call.started = True
        kind = call.handler.kind
        items: Any = None
        answer: Message = {"error": {"code": REQUEST_CANCELLED, "message": "Request cancelled"}}
        escaped: BaseException | None = None    # raised again once the answer is sent
        try:
            if call.cancelled:
                raise asyncio.CancelledError()
            result = call.handler.function(call, args)
            if inspect.isawaitable(result):
                result = await result
            if kind in ("stream", "duplexStream"):
                items = result
                count = 0
                if hasattr(items, "__aiter__"):
                    async for item in items:
                        await call.spend_credit()
                        self.send({"method": "$/stream.item", "params": {"id": call.id, "item": item}})
                        count += 1
                else:
                    for item in items:
                        await call.spend_credit()
                        self.send({"method": "$/stream.item", "params": {"id": call.id, "item": item}})
                        count += 1
                        if count % 16 == 0:
                            await asyncio.sleep(0)  # a plain iterator never awaits: let $/cancelRequest in
                answer = {"result": count}      # a stream's result is the number of items sent
            else:
                answer = {"result": result}
        except RemoteError as e:
            answer = {"error": e.to_error()}
        except asyncio.CancelledError:
            answer = {"error": call.abort.to_error() if call.abort
                      else {"code": REQUEST_CANCELLED, "message": "Request cancelled"}}
        except Exception as e:  # noqa: BLE001 - a bug must still answer the request
            self.log(4, "connection", f"'{call.method}' failed: {type(e).__name__}: {e}", e)
            answer = {"error": {"code": INTERNAL_ERROR, "message": str(e), "data": {"type": type(e).__name__}}}
        except BaseException as e:  # noqa: BLE001 - KeyboardInterrupt, SystemExit: answered, then raised again
            answer = {"error": {"code": INTERNAL_ERROR, "message": f"'{call.method}' was interrupted: "
                                                                   f"{type(e).__name__}", "data": {"type": type(e).__name__}}}
            escaped = e
        if items is not None and hasattr(items, "aclose"):
            try:
                await items.aclose()            # the generator's `finally` runs
            except asyncio.CancelledError as e:
                # Cancelled again while cleaning up ($/cancelRequest twice, a shutdown): still answered, then raised.
                if "error" not in answer or answer["error"].get("code") != REQUEST_CANCELLED:
                    answer = {"error": call.abort.to_error() if call.abort
                              else {"code": REQUEST_CANCELLED, "message": "Request cancelled"}}
                escaped = escaped or e
            except Exception:  # noqa: BLE001 - its failure is not the call's
                pass
            except BaseException as e:  # noqa: BLE001
                escaped = escaped or e
        call.answered = True
        if call.is_request:
            try:
                self.send({"id": call.id, **answer})
            except (TypeError, ValueError) as e:
                self.send({"id": call.id, "error": {"code": INTERNAL_ERROR,
                                                    "message": f"The result of '{call.method}' could not be written: {e}"}})
            finally:
                self.incoming.pop(key(call.id), None)   # only now may the id be used again
        if escaped is not None:
            raise escaped

    def active(self) -> int:
        return len(self.incoming)


def result_of(response: Message) -> Any:
    if "error" in response and response["error"] is not None:
        raise RemoteError.from_error(response["error"])
    return response.get("result")


def wrap_function(fn: Callable[..., Any], *, context: bool) -> Callable[[CallContext, Any], Any]:
    """Adapts a Pythonic function (parameters by name) to a Handler's function(ctx, args): a dict of arguments goes
    by keyword, a list by position; the context goes as `ctx` when the function takes it."""
    try:
        takes_ctx = context and "ctx" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        takes_ctx = False

    def invoke(ctx: CallContext, args: Any) -> Any:
        extra = {"ctx": ctx} if takes_ctx else {}
        if isinstance(args, dict):
            return fn(**{k: v for k, v in args.items() if k != "_meta"}, **extra)
        if isinstance(args, list):
            return fn(*args, **extra)
        return fn(**extra)
    return invoke


async def aiter_of(source: Iterable[Any] | AsyncIterable[Any]) -> AsyncIterator[Any]:
    if hasattr(source, "__aiter__"):
        async for item in source:
            yield item
    else:
        for item in source:
            yield item
