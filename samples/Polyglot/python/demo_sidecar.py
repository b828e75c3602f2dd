#!/usr/bin/env python3
"""The SidecarKit demo sidecar in Python, on the sidecarkit library (clients/python, standard library only).

It serves the demo contract (CONFORMANCE.md, samples/Demo/Contract/IDemo.cs) over JSON-RPC 2.0 on JSON lines on
stdio (docs/protocol.md) — or MessagePack-RPC with --transport msgpack — so a SidecarKit parent supervises it and
calls it with the generated C# proxy, as tests/EndToEnd.Tests/PythonSidecarTests.cs does. The protocol (ready marker,
lifecycle.ready, credit, cancellation, shutdown, logs) is the library's; this file is the contract and its logic.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import math
import os
import sys
from collections.abc import AsyncIterator, Iterable
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "clients", "python"))

from sidecarkit import CallContext, Contract, Method, RemoteError, TypeSet, log, run  # noqa: E402
from sidecarkit.server import INFO  # noqa: E402

INVALID_PARAMS, INTERNAL_ERROR, DIVISION_BY_ZERO, DECLINED_BY_PARENT = -32602, -32603, -32010, -32011
INT32_MIN, INT32_MAX = -2**31, 2**31 - 1
CHUNK_SIZE = 64 * 1024        # a Stream result's chunks: 64 KiB each but the last (docs/protocol.md section 12a)

# The named types, members in wire order. "T{}" is a set (announced as an array), "map<K,T>" an object keyed by K.
TYPES = TypeSet(
    objects={
        "Address": {"street": "string", "city": "string"},
        "Circle": {"name": "string", "radius": "float64"},
        "Person": {"name": "string", "age": "int32", "tags": "string[]", "address": "Address?",
                   "born": "datetimeoffset?"},
        "Rectangle": {"name": "string", "width": "float64", "height": "float64"},
        "Sample": {"day": "date", "at": "time", "big": "int128", "unsigned": "uint128", "ratio": "float16",
                   "link": "uri", "release": "version", "tags": "string{}", "scores": "int32[]",
                   "counts": "map<string,int32>", "byId": "map<int32,string>", "byGuid": "map<guid,int32>",
                   "note": "string"},
    },
    # A polymorphic type: its cases by discriminator ("$type"), each (its object type, its oneof tag in protobuf).
    variants={"Shape": {"circle": ("Circle", 101), "rectangle": ("Rectangle", 102)}},
)

# What the ready payload announces: every method's shape, so the parent checks it against the contract it was built
# from (a changed parameter type fails its start), and the fingerprint the library computes from it the C# generator's
# way: affde6564d41572f, the C# demo contract's, as long as this declaration says what IDemo says. The declared
# errors ([SidecarError]) and demo.echo's idempotence ([SidecarMethod(Idempotent = true)]) are not part of the
# fingerprint; --describe openrpc and rpc.discover show them, as the C# demo sidecar's document does.
DEMO = Contract("demo", types=TYPES, methods=[
    Method("demo.add", {"a": "int32", "b": "int32"}, result="int32"),
    Method("demo.echo", {"person": "Person"}, result="Person", idempotent=True),
    Method("demo.divide", {"dividend": "float64", "divisor": "float64"}, result="float64",
           errors={DIVISION_BY_ZERO: "division by zero"}),
    Method("demo.count", {"to": "int32"}, kind="stream", result="int32"),
    Method("demo.sleep", {"milliseconds": "int32"}, result="string"),
    Method("demo.blob", {"size": "int32"}, result="bytes"),
    Method("demo.log", {"message": "string"}, kind="notification"),
    Method("demo.exit", {"code": "int32"}),
    Method("demo.work", {"steps": "int32"}, result="int32", errors={DECLINED_BY_PARENT: "declined by parent"}),
    Method("demo.sum", {}, kind="clientStream", input=("values", "int32"), result="int64"),
    Method("demo.chat", {"prefix": "string"}, kind="duplexStream", input=("lines", "string"), result="string"),
    Method("demo.area", {"shape": "Shape"}, result="float64"),
    Method("demo.steps", {"steps": "int32"}, progress="int32", result="int32"),
    Method("demo.upload", {}, kind="clientStream", input=("data", "bytes"), result="string"),
    Method("demo.download", {"size": "int64"}, kind="stream", result="bytes"),
    Method("demo.sample", {"sample": "Sample"}, result="Sample"),
])
# What demo.work calls on its parent, the C# IDemoEvents (fingerprint 71aff83504aafaad): the ready payload names its
# methods, which the parent must serve; --describe and the OpenRPC document describe them in full.
CALLBACKS = [Contract("demoEvents", methods=[
    Method("demoEvents.progress", {"task": "string", "percent": "int32"}, kind="notification"),
    Method("demoEvents.confirm", {"question": "string"}, result="bool"),
])]


class Demo:
    def __init__(self, binary: bool):
        self.binary = binary            # MessagePack carries bytes as bin; JSON as base64 text

    def _bytes(self, data: bytes) -> Any:
        return data if self.binary else base64.b64encode(data).decode("ascii")

    async def add(self, a: int, b: int) -> int:
        if not INT32_MIN <= a + b <= INT32_MAX:
            raise RemoteError(INVALID_PARAMS, f"{a} + {b} overflows a 32-bit integer")
        return a + b

    async def echo(self, person: dict[str, Any]) -> dict[str, Any]:
        return person

    async def divide(self, dividend: float, divisor: float) -> float | str:
        if divisor == 0:
            raise RemoteError(DIVISION_BY_ZERO, "division by zero")
        q = dividend / divisor
        return q if math.isfinite(q) or self.binary else "NaN" if math.isnan(q) else "Infinity" if q > 0 else "-Infinity"

    def count(self, to: int) -> Iterable[int]:
        return range(1, to + 1)

    async def sleep(self, milliseconds: int) -> str:       # -1 sleeps until cancelled
        if milliseconds == -1:
            await asyncio.Event().wait()
        await asyncio.sleep(max(milliseconds, 0) / 1000)
        return "slept"

    async def blob(self, size: int) -> Any:
        if size < 0:
            raise RemoteError(INVALID_PARAMS, "size must not be negative")
        return self._bytes(bytes(i % 256 for i in range(size)))

    def log(self, message: str) -> None:
        log(INFO, "demo", f"demo.log: {message}")

    def exit(self, code: int) -> None:
        os._exit(code)

    async def work(self, steps: int, ctx: CallContext) -> int:
        for i in range(steps):
            ctx.notify("demoEvents.progress", {"task": "work", "percent": 100 * i // steps})
        confirmed = await ctx.call("demoEvents.confirm", {"question": "commit?"})
        if type(confirmed) is not bool:
            raise RemoteError(INTERNAL_ERROR, f"demoEvents.confirm answered {confirmed!r}, not a boolean.")
        if not confirmed:
            raise RemoteError(DECLINED_BY_PARENT, "declined by parent")
        return steps

    async def sum(self, values: AsyncIterator[int]) -> int:
        return sum([v async for v in values])       # an int64 on the wire

    async def chat(self, prefix: str, lines: AsyncIterator[str]) -> AsyncIterator[str]:
        async for line in lines:                    # each line back as it arrives: a stream fed by a stream
            yield prefix + line

    async def area(self, shape: dict[str, Any]) -> float:
        if shape["$type"] == "circle":
            return float(math.pi * shape["radius"] * shape["radius"])
        return float(shape["width"] * shape["height"])

    async def steps(self, steps: int, ctx: CallContext) -> int:
        for i in range(1, steps + 1):               # the parent's IProgress<int> gets 1 … steps, then the answer
            ctx.report(i)
        return steps

    async def upload(self, data: AsyncIterator[bytes]) -> str:
        sha, length = hashlib.sha256(), 0
        async for chunk in data:
            sha.update(chunk)
            length += len(chunk)
        return f"{length}:{sha.hexdigest()}"

    async def download(self, size: int) -> AsyncIterator[Any]:
        if size < 0:                                # raised before the first item: the call fails at once
            raise RemoteError(INVALID_PARAMS, "size must not be negative")
        return self._chunks(size)

    async def _chunks(self, size: int) -> AsyncIterator[Any]:
        pattern = bytes(range(256)) * (CHUNK_SIZE // 256)   # a multiple of 256: every chunk starts at byte 0
        for start in range(0, size, CHUNK_SIZE):
            yield self._bytes(pattern[:min(CHUNK_SIZE, size - start)])

    async def sample(self, sample: dict[str, Any]) -> dict[str, Any]:
        return sample                               # read (checked) against Sample, then echoed


if __name__ == "__main__":
    run(DEMO, Demo(binary=any("msgpack" in arg for arg in sys.argv[1:])), callbacks=CALLBACKS,
        description="The SidecarKit demo sidecar in Python: JSON-RPC 2.0 over JSON lines (or MessagePack-RPC) on stdio.")
