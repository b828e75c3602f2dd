#!/usr/bin/env python3
"""A Python parent for the demo sidecar, on the sidecarkit library (clients/python): it starts the C# demo sidecar
and makes each kind of call, printing what happened (the Python counterpart of samples/Quickstart/Program.cs).

    python3 samples/Polyglot/python/demo_client.py [path/to/SidecarKit.Samples.Demo.Sidecar.dll] [--transport T]

The sidecar: the argument, else DEMO_SIDECAR_DLL, else the Release build. A path ending in .py or .mjs starts the
Python or Node demo sidecar instead. --transport: jsonl (default), msgpack or msgpack-unix (python3-msgpack).
Exit code 0 when every call did what the demo contract says.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime
import hashlib
import os
import sys
import time
from collections.abc import AsyncIterator

REPO_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO_ROOT, "clients", "python"))

import sidecarkit  # noqa: E402
from sidecarkit import CallTimeout, ConnectionLost, RemoteError, as_bytes  # noqa: E402

DEFAULT_DLL = os.path.join(REPO_ROOT, "samples/Demo/Sidecar/bin/Release/net10.0/SidecarKit.Samples.Demo.Sidecar.dll")


class PrintingEvents:
    """The callback contract demoEvents, served by this parent: the sidecar calls these during demo.work."""

    def progress(self, task: str, percent: int) -> None:
        print(f"    callback demoEvents.progress: {task} {percent}%")

    async def confirm(self, question: str) -> bool:
        print(f"    callback demoEvents.confirm: {question!r} -> yes")
        return True


def section(title: str) -> None:
    print(f"\n{title}")


def command_for(sidecar: str, transport: str) -> list[str]:
    if sidecar.endswith(".py"):
        return [sys.executable, sidecar, "--transport", transport]
    if sidecar.endswith(".mjs"):
        return ["node", sidecar, "--transport", transport]
    return ["dotnet", sidecar, "--transport", transport]


async def main(sidecar: str, transport: str) -> int:
    command = command_for(sidecar, transport)
    print(f"Starting the demo sidecar: {' '.join(os.path.basename(a) for a in command)}")
    clock = time.monotonic()
    client = await sidecarkit.start(command, transport=transport, callbacks=PrintingEvents())
    contracts = ", ".join(f"{c['name']}@{c.get('fingerprint')}" for c in client.ready.get("contracts") or [])
    print(f"  ready in {(time.monotonic() - clock) * 1000:.0f} ms: pid {client.pid}, contracts {contracts}")
    problems: list[str] = []

    def expect(what: str, ok: bool) -> None:
        if not ok:
            problems.append(what)
            print(f"  !! unexpected: {what}")

    try:
        section("1. Unary calls")
        total = await client.call("demo.add", {"a": 2, "b": 3})
        print(f"  demo.add(2, 3) = {total}")
        expect("demo.add(2, 3) == 5", total == 5)
        ada = {"name": "Ada", "age": 36, "tags": ["math", "engines"],
               "address": {"street": "12 St James's Sq", "city": "London"},
               # ISO 8601 text on JSON lines, the timestamp extension on MessagePack: the codec writes either
               "born": datetime.datetime(1815, 12, 10, tzinfo=datetime.timezone.utc)}
        echoed = await client.call("demo.echo", {"person": ada})
        print(f"  demo.echo(Ada) = {echoed['name']}, {echoed['age']}, {echoed['tags']}, {echoed['address']['city']}")
        expect("demo.echo returns Ada", echoed["name"] == "Ada")
        blob = as_bytes(await client.call("demo.blob", {"size": 1000}))
        print(f"  demo.blob(1000) = {len(blob)} bytes")
        area = await client.call("demo.area", {"shape": {"$type": "rectangle", "name": "r", "width": 2, "height": 3}})
        print(f"  demo.area(rectangle 2 x 3) = {area} (a polymorphic parameter)")

        section("2. An application error")
        try:
            await client.call("demo.divide", {"dividend": 1, "divisor": 0})
            expect("demo.divide(1, 0) fails", False)
        except RemoteError as e:
            print(f"  demo.divide(1, 0) failed as expected: code {e.code}, {e.message!r}")
            expect("code -32010", e.code == -32010)

        section("3. A streamed result")
        items = [i async for i in client.stream("demo.count", {"to": 5})]
        print(f"  demo.count(5) streamed: {', '.join(map(str, items))}")
        expect("demo.count(5)", items == [1, 2, 3, 4, 5])
        size = 0
        async for chunk in client.stream("demo.download", {"size": 200_000}):
            size += len(as_bytes(chunk))
        print(f"  demo.download(200000) streamed {size} bytes in chunks")

        section("4. Cancellation and a timeout")
        clock = time.monotonic()
        sleeping = asyncio.ensure_future(client.call("demo.sleep", {"milliseconds": 10_000}))
        await asyncio.sleep(0.2)
        sleeping.cancel()
        try:
            await sleeping
        except asyncio.CancelledError:
            print(f"  demo.sleep(10000) cancelled after {(time.monotonic() - clock) * 1000:.0f} ms; "
                  "the sidecar was told with $/cancelRequest")
        try:
            await client.call("demo.sleep", {"milliseconds": 10_000}, timeout=0.3)
        except CallTimeout as e:
            print(f"  {e}")

        section("5. A one-way notification")
        await client.notify("demo.log", {"message": "hello from the Python parent"})
        await client.ping()         # a round trip, so the notification has been handled
        print("  demo.log sent (no reply by design); the sidecar logged: "
              + next((line for line in client.stderr_tail(50).splitlines() if "hello from the Python" in line), "?"))

        section("6. A callback: the sidecar calls the parent")
        worked = await client.call("demo.work", {"steps": 4})
        print(f"  demo.work(4) = {worked}")
        expect("demo.work(4) == 4", worked == 4)

        section("7. A client stream and a duplex stream")

        async def values() -> AsyncIterator[int]:
            for i in range(1, 101):
                yield i
        summed = await client.call("demo.sum", input=values())
        print(f"  demo.sum(1..100) = {summed}")
        expect("demo.sum == 5050", summed == 5050)
        data = b"hello, world" * 10_000
        uploaded = await client.call("demo.upload", input=[data[:50_000], data[50_000:]])
        print(f"  demo.upload({len(data)} bytes) = {uploaded}")
        expect("demo.upload hash", uploaded == f"{len(data)}:{hashlib.sha256(data).hexdigest()}")
        chat = client.stream("demo.chat", {"prefix": "re: "}, input=["hello", "ünïcødé"])
        answers = [line async for line in chat]
        print(f"  demo.chat answered {answers} ({chat.result} items)")
        expect("demo.chat", answers == ["re: hello", "re: ünïcødé"])

        section("8. Progress")
        steps = await client.call("demo.steps", {"steps": 3}, progress=lambda i: print(f"    progress {i}"))
        print(f"  demo.steps(3) = {steps}")

        section("9. Health")
        health = await client.ping()
        print(f"  system.ping: {health['status']}, uptime {health['uptimeMs']} ms, pid {health['pid']}")

        section("10. A crash mid-call")
        pending = asyncio.ensure_future(client.call("demo.sleep", {"milliseconds": 10_000}))
        await asyncio.sleep(0.2)
        try:
            await client.call("demo.exit", {"code": 3})
        except ConnectionLost:
            pass
        try:
            await pending
            expect("the pending call fails", False)
        except ConnectionLost as e:
            print(f"  the call in flight failed: exit code {e.exit_code}: {str(e).splitlines()[0]}")
            expect("exit code 3", e.exit_code == 3)
    finally:
        code = await client.stop()
        section("11. Stop")
        print(f"  stopped; exit code {code}; process {client.pid} gone")
    if problems:
        print(f"\n{len(problems)} unexpected result(s): {'; '.join(problems)}")
        return 1
    print("\nEvery call did what the demo contract says.")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sidecar", nargs="?", default=os.environ.get("DEMO_SIDECAR_DLL") or DEFAULT_DLL,
                        help="the demo sidecar: a .dll (dotnet), .py (python3) or .mjs (node)")
    parser.add_argument("--transport", choices=("jsonl", "msgpack", "msgpack-unix"), default="jsonl")
    args = parser.parse_args()
    if not os.path.exists(args.sidecar):
        parser.exit(2, f"demo_client.py: the demo sidecar {args.sidecar} does not exist (build it: dotnet build -c "
                       "Release samples/Demo/Sidecar, or pass its path)\n")
    try:
        sys.exit(asyncio.run(main(args.sidecar, args.transport)))
    except sidecarkit.SidecarError as e:
        print(f"demo_client.py: {e}", file=sys.stderr)
        sys.exit(1)
