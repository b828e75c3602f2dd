"""What the sidecarkit suites share: the library on sys.path, a test base that runs one event loop per class with a
timeout around every step, and the demo contract's checks as a mixin run against any demo sidecar on any transport
(the C# one in test_sidecarkit_client.py, the library-based Python one in test_sidecarkit_sidecar.py)."""
from __future__ import annotations

import asyncio
import hashlib
import math
import os
import sys
import time
import unittest
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT / "clients" / "python"))

import sidecarkit  # noqa: E402
from sidecarkit import CallTimeout, ConnectionLost, RemoteError, as_bytes  # noqa: E402

T = TypeVar("T")
STEP_TIMEOUT = 20.0     # seconds any one awaited step of a test may take: nothing hangs
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
PY_SIDECAR = str(REPO_ROOT / "samples/Polyglot/python/demo_sidecar.py")

ADA = {"name": "Ada", "age": 36, "tags": ["math", "poetry"], "address": {"street": "12 St James's Square",
                                                                           "city": "London"}, "born": None}
SAMPLE = {
    "day": "2026-12-07", "at": "23:59:58.123456", "big": str(2**127 - 6), "unsigned": str((2**128 - 1) // 3),
    "ratio": 0.333, "link": "https://example.com/a?b=c#d", "release": "1.2.3.4", "tags": ["x", "y"],
    "scores": [3, 1, 2], "counts": {"a": 1, "b": -2}, "byId": {"-1": "minus one", "7": "seven"},
    "byGuid": {"0f8fad5b-d9cb-469f-a165-70867728950e": 42}, "note": "required",
}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:                                        # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


class Events:
    """The demoEvents callback contract, served by the Python parent: records progress, answers confirm."""

    def __init__(self, answer: Any = True):
        self.answer = answer
        self.reports: list[tuple[str, int]] = []
        self.questions: list[str] = []

    def progress(self, task: str, percent: int) -> None:
        self.reports.append((task, percent))

    async def confirm(self, question: str) -> Any:
        self.questions.append(question)
        await asyncio.sleep(0)                  # an async callback, awaited by the library
        return self.answer


class LoopTestCase(unittest.TestCase):
    """One event loop per class, so a class's tests share one sidecar; every step runs under STEP_TIMEOUT."""
    loop: asyncio.AbstractEventLoop

    @classmethod
    def setUpClass(cls) -> None:
        cls.loop = asyncio.new_event_loop()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.loop.close()

    @classmethod
    def run_async(cls, coro: Coroutine[Any, Any, T], timeout: float = STEP_TIMEOUT) -> T:
        return cls.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    def eventually(self, condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not condition():              # the loop runs meanwhile: its readers keep reading
            if time.monotonic() > deadline:
                self.fail(f"not within {timeout} s: {what}")
            self.run_async(asyncio.sleep(0.02))


class DemoClientCases(LoopTestCase):
    """Every method of the demo contract through sidecarkit's client. Subclasses say how to start the sidecar."""
    transport = "jsonl"
    client: sidecarkit.Client
    events: Events
    binary = False
    starter: Any = staticmethod(sidecarkit.start)     # sidecarkit.grpc_client.start for the gRPC classes

    @classmethod
    def command(cls) -> list[str]:
        raise NotImplementedError

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.events = Events()
        cls.binary = cls.transport != "jsonl"
        cls.client = cls.run_async(cls.starter(cls.command(), transport=cls.transport, callbacks=cls.events,
                                               ready_timeout=30))

    @classmethod
    def tearDownClass(cls) -> None:
        pid = cls.client.pid
        code = cls.run_async(cls.client.stop())
        assert pid is None or not alive(pid), f"the sidecar {pid} survived stop() (exit code {code})"
        super().tearDownClass()

    def call(self, method: str, params: Any = None, **kw: Any) -> Any:
        return self.run_async(self.client.call(method, params, **kw))

    def assertRemoteError(self, code: int, method: str, params: Any = None, **kw: Any) -> RemoteError:
        with self.assertRaises(RemoteError) as caught:
            self.call(method, params, **kw)
        self.assertEqual(caught.exception.code, code, caught.exception)
        return caught.exception

    def idle(self) -> None:
        """The sidecar runs nothing (a cancelled or timed-out call really stopped there)."""
        deadline = time.monotonic() + 10
        while self.run_async(self.client.ping())["activeRequests"] != 0:
            self.assertLess(time.monotonic(), deadline, "the sidecar still runs a request")
            self.run_async(asyncio.sleep(0.05))

    # --- the ready announcement
    def test_ready_announces_the_demo_contract(self) -> None:
        ready = self.client.ready
        self.assertEqual(ready["protocolVersion"], "1.0")
        self.assertEqual(ready["pid"], self.client.pid)
        self.assertIn("demo", [c["name"] for c in ready["contracts"]])

    # --- unary
    def test_add_by_name_and_by_position(self) -> None:
        self.assertEqual(self.call("demo.add", {"a": 2, "b": 3}), 5)
        self.assertEqual(self.call("demo.add", [40, 2]), 42)

    def test_add_overflow_and_bad_params_are_invalid_params(self) -> None:
        self.assertRemoteError(-32602, "demo.add", {"a": 2**31 - 1, "b": 1})
        self.assertRemoteError(-32602, "demo.add", {"a": "two", "b": 1})

    def test_unknown_method(self) -> None:
        self.assertRemoteError(-32601, "demo.nope", {})

    def test_echo(self) -> None:
        back = self.call("demo.echo", {"person": ADA})
        self.assertEqual({k: back.get(k) for k in ADA}, ADA)

    def test_divide_and_its_error(self) -> None:
        self.assertEqual(self.call("demo.divide", {"dividend": 1, "divisor": 4}), 0.25)
        e = self.assertRemoteError(-32010, "demo.divide", {"dividend": 1, "divisor": 0})
        self.assertEqual(e.message, "division by zero")

    def test_blob_is_bytes(self) -> None:
        self.assertEqual(as_bytes(self.call("demo.blob", {"size": 300})), bytes(i % 256 for i in range(300)))

    def test_area_of_each_shape(self) -> None:
        self.assertAlmostEqual(self.call("demo.area", {"shape": {"$type": "circle", "name": "c", "radius": 2.0}}),
                               4 * math.pi)
        self.assertEqual(self.call("demo.area", {"shape": {"$type": "rectangle", "name": "r", "width": 2.0,
                                                           "height": 3.5}}), 7.0)
        self.assertRemoteError(-32602, "demo.area", {"shape": {"$type": "triangle", "name": "t"}})

    def test_sample_round_trips(self) -> None:
        back = self.call("demo.sample", {"sample": SAMPLE})
        for name in ("day", "at", "big", "unsigned", "link", "release", "scores", "counts", "note"):
            self.assertEqual(back[name], SAMPLE[name], name)
        self.assertEqual(sorted(back["tags"]), ["x", "y"])
        self.assertEqual({str(k): v for k, v in back["byId"].items()}, SAMPLE["byId"])

    # --- streams
    def test_count_streams_past_the_window_with_credit(self) -> None:
        async def go() -> tuple[list[int], Any]:
            stream = self.client.stream("demo.count", {"to": 300})
            items = [i async for i in stream]
            return items, stream.result
        items, count = self.run_async(go())
        self.assertEqual(items, list(range(1, 301)))
        self.assertEqual(count, 300)
        self.assertEqual(self.run_async(self.client.stream("demo.count", {"to": 0}).collect()), [])

    def test_leaving_a_stream_early_cancels_it(self) -> None:
        async def go() -> list[int]:
            got = []
            async with self.client.stream("demo.count", {"to": 1_000_000}) as stream:
                async for i in stream:
                    got.append(i)
                    if i == 5:
                        break
            return got
        self.assertEqual(self.run_async(go()), [1, 2, 3, 4, 5])
        self.idle()

    def test_stream_error_before_items(self) -> None:
        with self.assertRaises(RemoteError) as caught:
            self.run_async(self.client.stream("demo.download", {"size": -1}).collect())
        self.assertEqual(caught.exception.code, -32602)

    def test_download(self) -> None:
        chunks = [as_bytes(c) for c in self.run_async(self.client.stream("demo.download", {"size": 200_000}).collect())]
        self.assertEqual([len(c) for c in chunks], [65536, 65536, 65536, 3392])
        self.assertEqual(b"".join(chunks), bytes(i % 256 for i in range(200_000)))

    # --- client streams and duplex
    def test_sum_of_an_async_generator_past_the_input_window(self) -> None:
        async def values() -> AsyncIterator[int]:
            for i in range(1, 501):
                yield i
        self.assertEqual(self.call("demo.sum", input=values()), 125250)
        self.assertEqual(self.call("demo.sum", input=[]), 0)

    def test_sum_whose_input_fails_raises_the_callers_own_error(self) -> None:
        async def broken() -> AsyncIterator[int]:
            yield 1
            raise ValueError("the caller's stream broke at 2")
        with self.assertRaises(ValueError):
            self.call("demo.sum", input=broken())
        self.idle()

    def test_chat_answers_each_line_as_it_arrives(self) -> None:
        async def go() -> tuple[list[str], Any]:
            queue: asyncio.Queue[str | None] = asyncio.Queue()

            async def lines() -> AsyncIterator[str]:
                while (line := await queue.get()) is not None:
                    yield line
            got: list[str] = []
            stream = self.client.stream("demo.chat", {"prefix": "re: "}, input=lines())
            await queue.put("hello")
            async for answer in stream:         # each answer comes before the next line is even produced
                got.append(answer)
                await queue.put("ünïcødé" if len(got) == 1 else None)
            return got, stream.result
        got, count = self.run_async(go())
        self.assertEqual(got, ["re: hello", "re: ünïcødé"])
        self.assertEqual(count, 2)

    def test_chat_with_many_lines(self) -> None:
        lines = [f"line {i}" for i in range(300)]
        got = self.run_async(self.client.stream("demo.chat", {"prefix": ">"}, input=lines).collect())
        self.assertEqual(got, [">" + line for line in lines])

    def test_upload(self) -> None:
        data = bytes(range(256)) * 1000
        chunks = [data[i:i + 70_000] for i in range(0, len(data), 70_000)]
        self.assertEqual(self.call("demo.upload", input=chunks), f"{len(data)}:{hashlib.sha256(data).hexdigest()}")

    # --- progress
    def test_steps_reports_progress_before_the_answer(self) -> None:
        reports: list[int] = []
        self.assertEqual(self.call("demo.steps", {"steps": 5}, progress=reports.append), 5)
        self.assertEqual(reports, [1, 2, 3, 4, 5])

    # --- callbacks
    def test_work_calls_back_progress_and_confirm(self) -> None:
        self.events.reports.clear()
        self.assertEqual(self.call("demo.work", {"steps": 3}), 3)
        self.assertEqual(self.events.reports, [("work", 0), ("work", 33), ("work", 66)])
        self.assertIn("commit?", self.events.questions)

    def test_work_declined(self) -> None:
        self.events.answer = False
        try:
            self.assertRemoteError(-32011, "demo.work", {"steps": 1})
        finally:
            self.events.answer = True

    # --- notifications, cancellation, timeouts
    def test_log_is_a_notification(self) -> None:
        self.run_async(self.client.notify("demo.log", {"message": "hello from the Python parent"}))
        self.eventually(lambda: "hello from the Python parent" in self.client.stderr_tail(50), what="the log line")

    def test_cancelling_the_awaiting_task_cancels_the_call(self) -> None:
        async def go() -> None:
            task = asyncio.ensure_future(self.client.call("demo.sleep", {"milliseconds": 30_000}))
            await asyncio.sleep(0.3)
            task.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await task
        started = time.monotonic()
        self.run_async(go())
        self.idle()                             # the sidecar stopped sleeping: it got $/cancelRequest
        self.assertLess(time.monotonic() - started, 10)

    def test_timeout(self) -> None:
        started = time.monotonic()
        with self.assertRaises(CallTimeout):
            self.call("demo.sleep", {"milliseconds": 30_000}, timeout=0.3)
        self.assertLess(time.monotonic() - started, 5)
        self.idle()
        self.assertEqual(self.call("demo.sleep", {"milliseconds": 10}, timeout=5), "slept")

    def test_concurrent_calls(self) -> None:
        async def go() -> list[Any]:
            return list(await asyncio.gather(*(self.client.call("demo.add", {"a": i, "b": i}) for i in range(50))))
        self.assertEqual(self.run_async(go()), [2 * i for i in range(50)])


class DemoCrashCases(LoopTestCase):
    """A sidecar that dies mid-call (demo.exit): the pending calls fail at once with ConnectionLost naming the exit
    code and the stderr tail; later calls fail the same way; with restart=True the next instance serves."""
    transport = "jsonl"
    starter: Any = staticmethod(sidecarkit.start)

    @classmethod
    def command(cls) -> list[str]:
        raise NotImplementedError

    def test_crash_mid_call_fails_pending_calls_clearly(self) -> None:
        async def go() -> None:
            client = await self.starter(self.command(), transport=self.transport, callbacks=Events())
            pid = client.pid
            assert pid is not None
            try:
                sleeping = asyncio.ensure_future(client.call("demo.sleep", {"milliseconds": 30_000}, timeout=None))
                await asyncio.sleep(0.2)
                started = time.monotonic()
                with self.assertRaises(ConnectionLost) as caught:
                    await client.call("demo.exit", {"code": 3})
                with self.assertRaises(ConnectionLost):
                    await sleeping
                self.assertLess(time.monotonic() - started, 5)
                self.assertEqual(caught.exception.exit_code, 3)
                self.assertIn("exit code 3", str(caught.exception))
                with self.assertRaises(ConnectionLost):
                    await client.call("demo.add", {"a": 1, "b": 2})
            finally:
                await client.stop()
            self.assertFalse(alive(pid))
        self.run_async(go())

    def test_restart_on_crash(self) -> None:
        async def go() -> None:
            client = await sidecarkit.start(self.command(), transport=self.transport, restart=True, callbacks=Events())
            first = client.pid
            try:
                with self.assertRaises(ConnectionLost):
                    await client.call("demo.exit", {"code": 7})
                deadline = time.monotonic() + 15
                while True:                     # the call may come before the restart: it then waits for it
                    try:
                        self.assertEqual(await client.call("demo.add", {"a": 4, "b": 5}), 9)
                        break
                    except ConnectionLost:
                        self.assertLess(time.monotonic(), deadline)
                        await asyncio.sleep(0.1)
                self.assertNotEqual(client.pid, first)
                self.assertEqual(client.restarts, 1)
            finally:
                last = client.pid
                await client.stop()
            assert last is not None
            self.assertFalse(alive(last))
        self.run_async(go(), timeout=40)

    def test_stop_leaves_no_process(self) -> None:
        async def go() -> tuple[int | None, int | None]:
            client = await self.starter(self.command(), transport=self.transport)
            pid = client.pid
            code = await client.stop()
            return pid, code
        pid, code = self.run_async(go())
        assert pid is not None
        self.assertEqual(code, 0)               # system.shutdown: a clean exit
        self.assertFalse(alive(pid))

    def test_stop_with_a_call_still_running(self) -> None:
        async def go() -> None:
            client = await self.starter(self.command(), transport=self.transport)
            pid = client.pid
            assert pid is not None
            sleeping = asyncio.ensure_future(client.call("demo.sleep", {"milliseconds": -1}, timeout=None))
            await asyncio.sleep(0.2)
            await client.stop(timeout=1.0)
            with self.assertRaises((ConnectionLost, RemoteError)):
                await sleeping
            self.assertFalse(alive(pid))
        self.run_async(go())
