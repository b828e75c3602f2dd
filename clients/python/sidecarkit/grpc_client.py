"""The parent side on gRPC (docs/grpc.md): a SidecarKit sidecar started with --transport grpc or grpc-unix, called
through grpcio's asyncio API with the same names and values as on the other transports.

    client = await sidecarkit.grpc_client.start(["dotnet", "Demo.Sidecar.dll", "--transport", "grpc"],
                                                callbacks=Events())
    await client.call("demo.add", {"a": 2, "b": 3})

No .proto is needed: the message types come from the sidecar's server reflection, and the callback contract's
messages (which reflection leaves out) are built from the shapes the ready marker announces. Values are converted
both ways so they look as on JSON lines: members by their JSON names, a polymorphic value as {"$type": tag, ...}
(a oneof in protobuf), a Timestamp as ISO 8601 text, map keys as text; bytes stay bytes. gRPC carries no progress
reports (a call with `progress` is refused, as SidecarKit's C# gRPC client does) and no notifications (a
notification method is an rpc: `notify` makes the call and waits for it). Needs grpcio and protobuf
(`pip install 'sidecarkit[grpc]'`; Debian python3-grpcio python3-protobuf), imported when this module is.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import importlib
import json
import re
import secrets
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from types import EllipsisType
from typing import Any

try:        # imported as Any: grpcio ships no type hints, and protobuf's depend on the installation
    grpc: Any = importlib.import_module("grpc")
    grpc_aio: Any = importlib.import_module("grpc.aio")
    descriptor_pb2: Any = importlib.import_module("google.protobuf.descriptor_pb2")
    descriptor_pool: Any = importlib.import_module("google.protobuf.descriptor_pool")
    _message_factory: Any = importlib.import_module("google.protobuf.message_factory")
except ImportError as e:      # pragma: no cover - the message is the point
    raise ImportError("sidecarkit's gRPC client needs grpcio and protobuf: pip install 'sidecarkit[grpc]' "
                      "(Debian: apt-get install python3-grpcio python3-protobuf)") from e

from .client import Client, Stream, _callback_lookup, _Instance, exited
from .codec import JsonLinesCodec
from .errors import (INTERNAL_ERROR, CallTimeout, ConnectionLost, RemoteError, SidecarError, StartError)
from .rpc import DEFAULT_TIMEOUT, Connection, Handler

STATUS_CODES = {"INVALID_ARGUMENT": -32602, "UNIMPLEMENTED": -32601, "INTERNAL": -32603, "RESOURCE_EXHAUSTED": -32003,
                "UNAVAILABLE": -32004, "CANCELLED": -32800}
SCALAR_TYPES = {"string": 9, "int32": 5, "int64": 3, "uint32": 13, "uint64": 4, "bool": 8, "float64": 1, "float32": 2,
                "bytes": 12, "int16": 5, "int8": 5, "uint16": 13, "uint8": 13}     # descriptor_pb2 field types
Message = Any


def _message_class(pool: Any, full_name: str) -> Any:
    descriptor = pool.FindMessageTypeByName(full_name)
    get = getattr(_message_factory, "GetMessageClass", None)
    return get(descriptor) if get is not None else _message_factory.MessageFactory(pool).GetPrototype(descriptor)


def _file(name: str, package: str, messages: dict[str, list[tuple[str, int, int, int, str]]],
          deps: Sequence[str] = ()) -> Any:
    """A FileDescriptorProto: messages by name, each field (name, number, type, label, type_name)."""
    f = descriptor_pb2.FileDescriptorProto(name=name, package=package, syntax="proto3", dependency=list(deps))
    for message, fields in messages.items():
        m = f.message_type.add(name=message)
        for field_name, number, type_, label, type_name in fields:
            fd = m.field.add(name=field_name, number=number, type=type_, label=label)
            if type_name:
                fd.type_name = type_name
    return f


OPT, REP, STR, BYTES, MSG, I32, U64, BOOL = 1, 3, 9, 12, 11, 5, 4, 8
# grpc.reflection.v1 (the fields used) and sidecarkit.callbacks: fixed by their specifications, built here so that no
# .proto or protoc is needed.
_FIXED = [
    _file("sidecarkit_py_reflection.proto", "grpc.reflection.v1", {
        "ServerReflectionRequest": [("host", 1, STR, OPT, ""), ("file_by_filename", 3, STR, OPT, ""),
                                    ("file_containing_symbol", 4, STR, OPT, ""), ("list_services", 7, STR, OPT, "")],
        "ServerReflectionResponse": [("valid_host", 1, STR, OPT, ""),
                                     ("file_descriptor_response", 4, MSG, OPT, ".grpc.reflection.v1.FileDescriptorResponse"),
                                     ("list_services_response", 6, MSG, OPT, ".grpc.reflection.v1.ListServiceResponse"),
                                     ("error_response", 7, MSG, OPT, ".grpc.reflection.v1.ErrorResponse")],
        "FileDescriptorResponse": [("file_descriptor_proto", 1, BYTES, REP, "")],
        "ListServiceResponse": [("service", 1, MSG, REP, ".grpc.reflection.v1.ServiceResponse")],
        "ServiceResponse": [("name", 1, STR, OPT, "")],
        "ErrorResponse": [("error_code", 1, I32, OPT, ""), ("error_message", 2, STR, OPT, "")]}),
    _file("sidecarkit_py_callbacks.proto", "sidecarkit.callbacks", {
        "Empty": [],
        "CallbackCall": [("id", 1, U64, OPT, ""), ("method", 2, STR, OPT, ""), ("path", 3, STR, OPT, ""),
                         ("request", 4, BYTES, OPT, ""), ("traceparent", 5, STR, OPT, ""),
                         ("tracestate", 6, STR, OPT, "")],
        "CallbackReply": [("id", 1, U64, OPT, ""), ("response", 2, BYTES, OPT, ""), ("error_code", 3, I32, OPT, ""),
                          ("error_message", 4, STR, OPT, ""), ("error_data_json", 5, STR, OPT, "")]}),
]


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


# ------------------------------------------------------------------------------------------------ values
def _is_variant(descriptor: Any) -> bool:
    """A polymorphic type's message: one oneof whose every field is a message (docs/grpc.md)."""
    return (len(descriptor.oneofs) == 1 and descriptor.fields
            and all(f.containing_oneof is not None and f.message_type is not None for f in descriptor.fields))


def _field(descriptor: Any, name: str) -> Any:
    return descriptor.fields_by_camelcase_name.get(name) or descriptor.fields_by_name.get(name) \
        or descriptor.fields_by_name.get(re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower())


def _scalar_in(field: Any, value: Any) -> Any:
    if field.type == 12:                        # bytes
        return base64.b64decode(value) if isinstance(value, str) else bytes(value)
    if field.type == 14:                        # an enum: by name
        number = field.enum_type.values_by_name.get(value)
        return number.number if number is not None else value
    if field.type in (1, 2) and isinstance(value, str):
        return float(value)                     # "NaN", "Infinity"
    if field.type in (3, 4, 5, 6, 7, 13, 15, 16, 17, 18) and isinstance(value, str):
        return int(value)
    return value


def fill(message: Message, value: Any, where: str) -> Message:
    """Writes a JSON-RPC-shaped value into a protobuf message."""
    descriptor = message.DESCRIPTOR
    if descriptor.full_name == "google.protobuf.Timestamp":
        if isinstance(value, datetime.datetime):
            message.FromDatetime(value.astimezone(datetime.timezone.utc).replace(tzinfo=None))
        else:
            message.FromJsonString(str(value).replace("+00:00", "Z"))
        return message
    if not isinstance(value, dict):
        raise RemoteError(-32602, f"Invalid params: {where}: expected an object for {descriptor.name}")
    if _is_variant(descriptor) and "$type" in value:
        tag = value["$type"]
        case = _field(descriptor, str(tag))
        if case is None:
            raise RemoteError(-32602, f"Invalid params: {where}: {tag!r} names no case of {descriptor.name}")
        rest = {k: v for k, v in value.items() if k != "$type"}
        fill(getattr(message, case.name), rest, where)
        return message
    for key, item in value.items():
        field = _field(descriptor, key)
        if field is None or item is None:
            continue                            # unknown members are ignored, null is unset
        target = getattr(message, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key_field, value_field = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
            for k, v in item.items():
                mk = _scalar_in(key_field, k)
                if value_field.message_type is not None:
                    fill(target[mk], v, f"{where}.{key}")
                else:
                    target[mk] = _scalar_in(value_field, v)
        elif field.label == 3:
            for element in item:
                if field.message_type is not None:
                    fill(target.add(), element, f"{where}.{key}[]")
                else:
                    target.append(_scalar_in(field, element))
        elif field.message_type is not None:
            target.SetInParent()
            fill(target, item, f"{where}.{key}")
        else:
            setattr(message, field.name, _scalar_in(field, item))
    return message


def _float32(value: float) -> float:
    """A float32 as the shortest decimal that reads back as the same float32 (0.333, not 0.3330000042915344)."""
    import struct
    packed = struct.pack("<f", value)
    for digits in range(1, 10):
        shortest = float(f"{value:.{digits}g}")
        if struct.pack("<f", shortest) == packed:
            return shortest
    return value


def _scalar_out(field: Any, value: Any) -> Any:
    if field.type == 2 and value == value and value not in (float("inf"), float("-inf")):
        return _float32(value)
    if field.type == 14:
        enum = field.enum_type.values_by_number.get(value)
        return enum.name if enum is not None else value
    return value


def read(message: Message) -> Any:
    """A protobuf message as the JSON-RPC-shaped value: members by JSON name, unset messages None."""
    descriptor = message.DESCRIPTOR
    if descriptor.full_name == "google.protobuf.Timestamp":
        return message.ToDatetime().replace(tzinfo=datetime.timezone.utc).isoformat()
    if descriptor.full_name == "google.protobuf.Empty":
        return None
    if _is_variant(descriptor):
        which = message.WhichOneof(descriptor.oneofs[0].name)
        if which is None:
            return None
        return {"$type": descriptor.fields_by_name[which].json_name, **read(getattr(message, which))}
    out: dict[str, Any] = {}
    for field in descriptor.fields:
        value = getattr(message, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value_field = field.message_type.fields_by_name["value"]
            out[field.json_name] = {str(k): read(v) if value_field.message_type is not None
                                    else _scalar_out(value_field, v) for k, v in value.items()}
        elif field.label == 3:
            out[field.json_name] = [read(v) if field.message_type is not None else _scalar_out(field, v)
                                    for v in value]
        elif field.message_type is not None:
            out[field.json_name] = read(value) if message.HasField(field.name) else None
        elif field.has_presence and not message.HasField(field.name):
            out[field.json_name] = None         # proto3 optional, unset
        else:
            out[field.json_name] = _scalar_out(field, value)
    return out


def _result(message: Message, member: str) -> Any:
    if message.DESCRIPTOR.full_name == "google.protobuf.Empty":
        return None
    field = message.DESCRIPTOR.fields_by_name.get(member)
    if field is None:
        return read(message)
    value = read(message)[field.json_name]
    return value


# ------------------------------------------------------------------------------------------------ the client
class _Rpc:
    def __init__(self, path: str, request: Any, response: Any, kind: str, input_field: str | None,
                 params: list[str]):
        self.path, self.request, self.response, self.kind = path, request, response, kind
        self.input_field, self.params = input_field, params


class GrpcClient(Client):
    """A sidecar on gRPC, with the call/notify/stream/stop API of :class:`sidecarkit.Client`."""

    def __init__(self, command: Sequence[str], **kw: Any):
        self.grpc_transport = kw.pop("transport")
        super().__init__(command, transport="jsonl", **kw)
        self.transport = self.grpc_transport
        self._token = secrets.token_hex(16)
        self._channel: Any = None
        self._pool: Any = None
        self._rpcs: dict[str, _Rpc] = {}
        self._subscription: Any = None
        self._callback_tasks: set[asyncio.Task[Any]] = set()
        self._callback_types: dict[str, tuple[Any, Any]] = {}

    @property
    def _metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self._token}"),)

    async def _spawn(self) -> _Instance:
        import os
        env = dict(os.environ if self.env is None else self.env)
        if self.env is None or "SIDECAR_PARENT_PID" not in self.env:
            env["SIDECAR_PARENT_PID"] = str(os.getpid())     # its orphan guard watches us, not a grandparent
        env["SIDECAR_TOKEN"] = self._token
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=env, cwd=self.cwd, start_new_session=True)
        except OSError as e:
            raise StartError(f"could not start {self.command[0]!r}: {e}") from e
        inst = _Instance(proc, Connection(JsonLinesCodec(), lambda data: None))
        inst.tasks.append(asyncio.create_task(self._read_stderr(inst)))
        inst.tasks.append(asyncio.create_task(self._discard(proc)))
        try:
            exit_future: asyncio.Future[Any] = asyncio.ensure_future(exited(proc))
            waiters: list[asyncio.Future[Any]] = [inst.marker, exit_future]
            done, _ = await asyncio.wait(waiters, timeout=self.ready_timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            exit_future.cancel()
            if inst.marker not in done:
                if proc.returncode is not None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(inst.stderr_done.wait(), 2.0)
                    raise StartError(f"the sidecar {self.command!r} exited with code {proc.returncode} before it was "
                                     f"ready; stderr tail:\n{inst.tail()}")
                raise StartError(f"the sidecar {self.command!r} was not ready within {self.ready_timeout:g} s; "
                                 f"stderr tail:\n{inst.tail()}")
            self.ready = inst.marker.result()
            where = self.ready.get("listenInfo")
            if not isinstance(where, str) or self.ready.get("transport") not in ("grpc", "grpc-unix"):
                raise StartError(f"the sidecar announced transport {self.ready.get('transport')!r} at {where!r}, "
                                 "not gRPC: start it with --transport grpc (or grpc-unix)")
            target = "unix:" + where if self.ready["transport"] == "grpc-unix" else where
            self._channel = grpc_aio.insecure_channel(target, options=[("grpc.enable_http_proxy", 0),
                                                                       ("grpc.max_receive_message_length", 64 << 20)])
            await self._reflect(self.ready_timeout)
            if self.callbacks is not None:
                await self._subscribe()
        except BaseException:
            await self._kill(inst)
            raise
        inst.tasks.append(asyncio.create_task(self._watch_exit(inst)))
        return inst

    async def _watch_exit(self, inst: _Instance) -> None:
        await exited(inst.proc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(inst.stderr_done.wait(), 1.0)
        inst.conn.close(ConnectionLost(f"The sidecar exited ({' '.join(self.command)[:200]})", inst.proc.returncode,
                                       "" if self._stopping else inst.tail()))

    async def _reflect(self, timeout: float) -> None:
        """The services' descriptors, from server reflection, into a pool of our own."""
        pool = descriptor_pool.DescriptorPool()
        for f in _FIXED:
            pool.Add(f)
        request_cls = _message_class(pool, "grpc.reflection.v1.ServerReflectionRequest")
        response_cls = _message_class(pool, "grpc.reflection.v1.ServerReflectionResponse")
        info = self._channel.stream_stream("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                                           request_serializer=lambda m: m.SerializeToString(),
                                           response_deserializer=response_cls.FromString)
        call = info(metadata=self._metadata, timeout=timeout)
        await call.write(request_cls(list_services="*"))    # (our field has no oneof: an empty one is not sent)
        answer = await call.read()
        if answer.HasField("error_response"):
            raise StartError(f"the sidecar's server reflection refused to list its services: "
                             f"{answer.error_response.error_message}")
        services = [s.name for s in answer.list_services_response.service]
        files: dict[str, Any] = {}
        for service in services:
            await call.write(request_cls(file_containing_symbol=service))
            answer = await call.read()
            for raw in answer.file_descriptor_response.file_descriptor_proto:
                proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
                files.setdefault(proto.name, proto)
        await call.done_writing()
        added: set[str] = set()

        def add(name: str) -> None:             # dependencies first
            if name in added or name not in files:
                return
            added.add(name)
            for dep in files[name].dependency:
                add(dep)
            pool.Add(files[name])
        for name in files:
            add(name)
        self._pool = pool
        shapes = {m["name"]: m for c in self.ready.get("contracts") or [] for m in c.get("methods") or []
                  if isinstance(m, dict)}
        for service_name in services:
            service = pool.FindServiceByName(service_name)
            contract = service_name.rsplit(".", 1)[-1]
            for method in service.methods:
                wire = f"{contract[:1].lower()}{contract[1:]}.{method.name[:1].lower()}{method.name[1:]}"
                if service_name == "sidecarkit.system.System":
                    wire = f"system.{method.name[:1].lower()}{method.name[1:]}"
                shape = shapes.get(wire, {})
                kind = shape.get("kind") or ("duplexStream" if method.client_streaming and method.server_streaming
                                             else "clientStream" if method.client_streaming
                                             else "stream" if method.server_streaming else "request")
                input_field = None
                if isinstance(shape.get("input"), dict):
                    number = shape["input"].get("number")
                    input_field = next((f.name for f in method.input_type.fields if f.number == number), None)
                params = [f.json_name for f in method.input_type.fields if f.name != input_field]
                self._rpcs[wire] = _Rpc(f"/{service_name}/{method.name}",
                                        _message_class(pool, method.input_type.full_name),
                                        _message_class(pool, method.output_type.full_name), kind, input_field, params)

    def _rpc(self, method: str) -> _Rpc:
        rpc = self._rpcs.get(method)
        if rpc is None:
            raise RemoteError(-32601, f"Method not found: '{method}' (the sidecar's gRPC services have no such rpc).")
        return rpc

    def _request(self, rpc: _Rpc, method: str, params: Any) -> Message:
        if isinstance(params, list):
            params = dict(zip(rpc.params, params))
        try:
            return fill(rpc.request(), params or {}, method)
        except (ValueError, TypeError) as e:    # a value protobuf cannot take: refused before it is sent
            raise RemoteError(-32602, f"Invalid params: {method}: {e}") from None

    def _not_ours(self, failure: list[BaseException]) -> BaseException | None:
        """grpcio raises CancelledError in the awaiting task also when the call ended for another reason: the
        request iterator failed (that failure, as the caller's own), or the channel closed (the sidecar stopped). A
        cancellation of the task itself stays a cancellation (None)."""
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            return None
        if failure:
            return failure[0]
        inst = self._instance
        if inst is not None and inst.conn.closed is not None:
            return inst.conn.closed
        return ConnectionLost("The call ended: the channel to the sidecar was closed.")

    def _error(self, e: Any, method: str, timeout: float | None) -> BaseException:
        code = e.code()
        inst = self._instance
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return CallTimeout(f"The call to '{method}' did not complete within {(timeout or 0) * 1000:.0f} ms.")
        if inst is not None and inst.conn.closed is not None and code in (grpc.StatusCode.UNAVAILABLE,
                                                                          grpc.StatusCode.INTERNAL):
            return inst.conn.closed
        trailers = {k: v for k, v in (e.trailing_metadata() or ())}
        number = trailers.get("sidecar-error-code")
        data = trailers.get("sidecar-error-data-bin")
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        if number is not None and re.fullmatch(r"-?[0-9]+", str(number)):
            return RemoteError(int(number), e.details() or "", parsed)
        return RemoteError(STATUS_CODES.get(code.name, INTERNAL_ERROR), e.details() or code.name, parsed)

    async def _settle(self) -> None:
        """After a failed call: if the process is exiting, let the exit be seen so the error names it."""
        inst = self._instance
        if inst is not None and inst.conn.closed is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(exited(inst.proc), 0.5)
            if inst.proc.returncode is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(inst.stderr_done.wait(), 1.0)
                inst.conn.close(ConnectionLost(f"The sidecar exited ({' '.join(self.command)[:200]})",
                                               inst.proc.returncode, inst.tail()))

    def _check(self) -> None:
        if self._stopping:
            raise ConnectionLost("The sidecar has been stopped.")
        if self._instance is not None and self._instance.conn.closed is not None:
            raise self._instance.conn.closed

    async def call(self, method: str, params: Any = None, *, timeout: float | None | EllipsisType = ...,
                   progress: Callable[[Any], Any] | None = None, input: Any = None) -> Any:
        self._check()
        if progress is not None:
            raise NotImplementedError(f"'{method}': gRPC carries no progress reports (docs/grpc.md); call it "
                                      "without progress, or use another transport")
        rpc = self._rpc(method)
        if timeout is ...:
            timeout = self.call_timeout if input is None else None
        request = self._request(rpc, method, params)
        stub_kw: dict[str, Any] = {"request_serializer": lambda m: m.SerializeToString(),
                                   "response_deserializer": rpc.response.FromString}
        failure: list[BaseException] = []
        try:
            if input is not None or rpc.kind == "clientStream":
                stub = self._channel.stream_unary(rpc.path, **stub_kw)
                response = await stub(self._requests(rpc, request, input, failure), metadata=self._metadata,
                                      timeout=timeout)
            else:
                stub = self._channel.unary_unary(rpc.path, **stub_kw)
                response = await stub(request, metadata=self._metadata, timeout=timeout)
        except grpc_aio.AioRpcError as e:
            await self._settle()
            raise self._error(e, method, timeout) from None
        except asyncio.CancelledError:
            if (other := self._not_ours(failure)) is not None:
                raise other from None
            raise
        return _result(response, "result")

    async def _requests(self, rpc: _Rpc, first: Message, source: Any,
                        failure: list[BaseException]) -> AsyncIterator[Message]:
        """The params in the first message, then one message per item (the input field set). A failure of the
        caller's stream is kept for the caller: grpcio only cancels the call."""
        yield first
        if source is None:
            return
        try:
            field = rpc.input_field
            if field is None:
                raise SidecarError(f"{rpc.path} takes no streamed parameter")
            descriptor = rpc.request.DESCRIPTOR.fields_by_name[field]
            if hasattr(source, "__aiter__"):
                async for item in source:
                    yield self._item(rpc, descriptor, item)
            else:
                for item in source:
                    yield self._item(rpc, descriptor, item)
        except Exception as e:
            failure.append(e)
            raise

    def _item(self, rpc: _Rpc, field: Any, item: Any) -> Message:
        message = rpc.request()
        if field.message_type is not None:
            fill(getattr(message, field.name), item, "item")
        else:
            setattr(message, field.name, _scalar_in(field, item))
        return message

    async def notify(self, method: str, params: Any = None) -> None:
        await self.call(method, params)

    def stream(self, method: str, params: Any = None, *, input: Any = None, timeout: float | None = None,
               convert: Callable[[Any], Any] | None = None) -> Stream[Any]:
        return _GrpcStream(self, method, params, input, timeout, convert)

    async def _stream_items(self, method: str, params: Any, input: Any, timeout: float | None,
                            holder: list[Any]) -> AsyncIterator[Any]:
        self._check()
        rpc = self._rpc(method)
        request = self._request(rpc, method, params)
        stub_kw: dict[str, Any] = {"request_serializer": lambda m: m.SerializeToString(),
                                   "response_deserializer": rpc.response.FromString}
        failure: list[BaseException] = []
        if input is not None or rpc.kind == "duplexStream":
            call = self._channel.stream_stream(rpc.path, **stub_kw)(self._requests(rpc, request, input, failure),
                                                                    metadata=self._metadata, timeout=timeout)
        else:
            call = self._channel.unary_stream(rpc.path, **stub_kw)(request, metadata=self._metadata, timeout=timeout)
        holder.append(call)
        try:
            async for response in call:
                yield _result(response, "item")
        except grpc_aio.AioRpcError as e:
            await self._settle()
            raise self._error(e, method, timeout) from None
        except asyncio.CancelledError:
            if (other := self._not_ours(failure)) is not None:
                raise other from None
            raise

    async def ping(self, timeout: float = 5.0) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("system.ping", timeout=timeout)
        return result

    # --- callbacks: sidecarkit.callbacks.Callbacks/Subscribe, answered with Reply
    def _callback_messages(self, method: str) -> tuple[Any, Any] | None:
        """The request and response classes of a callback, built from the shapes the ready marker announces
        (scalars only: what a callback contract of events and questions takes)."""
        if method in self._callback_types:
            return self._callback_types[method]
        shape = next((m for c in self.ready.get("callbacks") or [] for m in c.get("methods") or []
                      if isinstance(m, dict) and m.get("name") == method), None)
        if shape is None:
            return None
        fields = []
        for p in shape.get("params") or []:
            t = SCALAR_TYPES.get(p.get("type", ""))
            if t is None:
                return None
            fields.append((p["name"], p["number"], t, OPT, ""))
        result = []
        if shape.get("result"):
            t = SCALAR_TYPES.get(shape["result"])
            if t is None:
                return None
            result.append(("result", 1, t, OPT, ""))
        package = "sidecarkit_py.cb" + str(len(self._callback_types))
        pool = descriptor_pool.DescriptorPool()
        pool.Add(_file(package + ".proto", package, {"Request": fields, "Response": result}))
        classes = (_message_class(pool, package + ".Request"), _message_class(pool, package + ".Response"))
        self._callback_types[method] = classes
        return classes

    async def _subscribe(self) -> None:
        call_cls = _message_class(self._pool, "sidecarkit.callbacks.CallbackCall")
        empty = _message_class(self._pool, "sidecarkit.callbacks.Empty")
        subscribe = self._channel.unary_stream("/sidecarkit.callbacks.Callbacks/Subscribe",
                                               request_serializer=lambda m: m.SerializeToString(),
                                               response_deserializer=call_cls.FromString)
        self._subscription = subscribe(empty(), metadata=self._metadata)
        await self._subscription.initial_metadata()     # the sidecar holds it: the first call may call back
        task = asyncio.create_task(self._serve_callbacks(self._subscription))
        self._callback_tasks.add(task)

    async def _serve_callbacks(self, subscription: Any) -> None:
        with contextlib.suppress(grpc_aio.AioRpcError, asyncio.CancelledError):
            async for call in subscription:
                if call.id == 0:
                    await self._answer(call)    # notifications in the order sent
                else:
                    task = asyncio.create_task(self._answer(call))
                    self._callback_tasks.add(task)
                    task.add_done_callback(self._callback_tasks.discard)

    async def _answer(self, call: Any) -> None:
        reply_cls = _message_class(self._pool, "sidecarkit.callbacks.CallbackReply")
        reply = reply_cls(id=call.id)
        lookup = _callback_lookup(self.callbacks)
        handler: Handler | None = lookup(call.method, call.id != 0)
        classes = self._callback_messages(call.method)
        try:
            if handler is None:
                raise RemoteError(-32601, f"Method not found: '{call.method}'.")
            if classes is None:
                raise RemoteError(-32603, f"'{call.method}': its shapes are not announced, or not scalars; the "
                                          "Python gRPC client cannot decode it")
            request_cls, response_cls = classes
            args = {f.name: getattr(request_cls.FromString(call.request), f.name)
                    for f in request_cls.DESCRIPTOR.fields}
            result = handler.function(None, args)  # type: ignore[arg-type]
            if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
                result = await result
            response = response_cls()
            if "result" in response_cls.DESCRIPTOR.fields_by_name and result is not None:
                response.result = result
            reply.response = response.SerializeToString()
        except RemoteError as e:
            reply.error_code, reply.error_message = e.code, e.message
            if e.data is not None:
                reply.error_data_json = json.dumps(e.data)
        except Exception as e:  # noqa: BLE001 - a failing callback answers -32603, as on the other transports
            reply.error_code, reply.error_message = INTERNAL_ERROR, str(e)
            reply.error_data_json = json.dumps({"type": type(e).__name__})
        if call.id == 0:
            return
        send = self._channel.unary_unary("/sidecarkit.callbacks.Callbacks/Reply",
                                         request_serializer=lambda m: m.SerializeToString(),
                                         response_deserializer=lambda b: b)
        with contextlib.suppress(grpc_aio.AioRpcError):
            await send(reply, metadata=self._metadata, timeout=10)

    async def stop(self, timeout: float | None = None) -> int | None:
        """system.shutdown, then the end of stdin, then SIGTERM and SIGKILL, each after `timeout` seconds."""
        timeout = self.shutdown_timeout if timeout is None else timeout
        inst = self._instance
        if inst is not None and inst.proc.returncode is None and not self._stopping and "system.shutdown" in self._rpcs:
            with contextlib.suppress(SidecarError, NotImplementedError):
                await self.call("system.shutdown", timeout=timeout)
        self._stopping = True
        if self._subscription is not None:
            self._subscription.cancel()
        for task in list(self._callback_tasks):
            task.cancel()
        if inst is not None and inst.proc.returncode is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(exited(inst.proc), timeout)
        if self._channel is not None:
            await self._channel.close()
        if inst is not None and inst.conn.closed is None:
            inst.conn.close(ConnectionLost("The sidecar has been stopped."))    # no JSON-RPC channel to shut down
        return await super().stop(timeout)


class _GrpcStream(Stream[Any]):
    def __init__(self, client: GrpcClient, method: str, params: Any, input: Any, timeout: float | None,
                 convert: Callable[[Any], Any] | None):
        super().__init__(client, method, params, input, timeout, convert)
        self._grpc = client
        self._calls: list[Any] = []
        self._items: AsyncIterator[Any] | None = None
        self._count = 0

    async def __anext__(self) -> Any:
        if self._done:
            raise StopAsyncIteration
        if self._items is None:
            self._items = self._grpc._stream_items(self._method, self._params, self._input, self._timeout,
                                                   self._calls)
        try:
            item = await self._items.__anext__()
        except StopAsyncIteration:
            self._done = True
            self.result = self._count           # gRPC has no final count: the items received
            raise
        except asyncio.CancelledError:
            await self.aclose()
            raise
        self._count += 1
        return self._convert(item) if self._convert is not None else item

    async def aclose(self) -> None:
        if not self._done:
            for call in self._calls:
                call.cancel()
        self._done = True

    async def __aenter__(self) -> _GrpcStream:
        return self


async def start(command: Sequence[str], *, transport: str = "grpc", callbacks: Any = None,
                ready_timeout: float = 30.0, call_timeout: float | None = DEFAULT_TIMEOUT,
                env: Mapping[str, str] | None = None, cwd: str | None = None, shutdown_timeout: float = 5.0,
                on_stderr: Callable[[str], None] | None = None) -> GrpcClient:
    """Starts a sidecar on gRPC ("grpc": loopback TCP, "grpc-unix": a Unix socket; the command must select the same
    --transport) and returns once it is ready, its services reflected and, with `callbacks`, its callback
    subscription held. A fresh SIDECAR_TOKEN is set and sent with every call."""
    if transport not in ("grpc", "grpc-unix"):
        raise ValueError(f"unknown gRPC transport {transport!r}: use 'grpc' or 'grpc-unix'")
    client = GrpcClient(command, transport=transport, callbacks=callbacks, ready_timeout=ready_timeout,
                        call_timeout=call_timeout, env=env, cwd=cwd, restart=False, max_restarts=0,
                        shutdown_timeout=shutdown_timeout, on_stderr=on_stderr)
    client._instance = await client._spawn()
    client._up.set()
    return client
