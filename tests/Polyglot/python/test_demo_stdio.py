#!/usr/bin/env python3
"""Drives the C# demo sidecar over JSON-RPC 2.0 / JSON lines on stdio, from plain Python.

Standard library only (Python 3.11): no pytest, no third-party packages. The contract is the demo contract of
CONFORMANCE.md. Run it from anywhere:

    /usr/bin/python3 tests/Polyglot/python/test_demo_stdio.py

The sidecar is DEMO_SIDECAR_DLL if set, else the Release build under samples/Demo/Sidecar/bin/. The last line of
output is always ``python: N passed, N failed``; the exit code is 0 only if every test passed.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import unittest
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DLL = REPO_ROOT / "samples/Demo/Sidecar/bin/Release/net10.0/SidecarKit.Samples.Demo.Sidecar.dll"
READY_PREFIX = "__SIDECAR_READY__:"

READY_TIMEOUT = 30.0    # seconds to wait for the ready marker (first start of the runtime can be slow)
CALL_TIMEOUT = 10.0     # seconds to wait for any one response
EXIT_TIMEOUT = 10.0     # seconds the process may take to exit after system.shutdown

# JSON-RPC / SidecarKit error codes the demo contract promises.
PARSE_ERROR = -32700
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
DIVISION_BY_ZERO = -32010

ADA = {"name": "Ada", "age": 36, "tags": ["math"], "address": None, "born": None}
ADA_FULL = {
    "name": "Ada Lovelace",
    "age": 36,
    "tags": ["math", "poetry"],
    "address": {"street": "12 St James's Square", "city": "London"},
    "born": "1815-12-10T00:00:00+00:00",
}

_EOF = object()  # put on a queue by a reader thread when its pipe closes


def sidecar_dll() -> Path:
    env = os.environ.get("DEMO_SIDECAR_DLL")
    return Path(env) if env else DEFAULT_DLL


class RpcError(Exception):
    """A JSON-RPC error response."""

    def __init__(self, error: dict[str, Any]):
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data")


class SidecarClient:
    """Runs one sidecar process and speaks JSON-RPC with it over its stdin and stdout.

    Two daemon threads read stdout and stderr line by line, so neither pipe can fill up and block the sidecar. Every
    read on this side goes through a queue with a timeout, so no test can hang.
    """

    def __init__(self, dll: Path):
        self.proc = subprocess.Popen(
            ["dotnet", str(dll)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        self._stdout: queue.Queue[Any] = queue.Queue()
        self._stderr_lines: list[str] = []
        self._stderr_lock = threading.Lock()
        self._ready_event = threading.Event()
        self.ready: dict[str, Any] | None = None
        self.ready_error: str | None = None
        self.notifications: list[dict[str, Any]] = []        # every notification seen, in order
        self.stream_items: dict[Any, list[Any]] = {}          # request id -> items, in order of arrival
        self.invalid_lines: list[str] = []                    # stdout lines that were not JSON objects
        self._responses: dict[Any, dict[str, Any]] = {}       # responses read while waiting for another id
        self._next_id = 0
        self.stdout_closed = False
        atexit.register(self.kill)  # never leave a sidecar behind, whatever happens to this script
        threading.Thread(target=self._read_stdout, name="sidecar-stdout", daemon=True).start()
        threading.Thread(target=self._read_stderr, name="sidecar-stderr", daemon=True).start()

    # ------------------------------------------------------------------ reader threads

    def _read_stdout(self) -> None:
        try:
            for raw in iter(self.proc.stdout.readline, b""):
                self._stdout.put(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
        finally:
            self._stdout.put(_EOF)

    def _read_stderr(self) -> None:
        try:
            for raw in iter(self.proc.stderr.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                with self._stderr_lock:
                    self._stderr_lines.append(line)
                if line.startswith(READY_PREFIX) and not self._ready_event.is_set():
                    try:
                        self.ready = json.loads(line[len(READY_PREFIX):])
                    except json.JSONDecodeError as e:
                        self.ready_error = f"ready payload is not JSON: {e}: {line!r}"
                    self._ready_event.set()
        finally:
            self._ready_event.set()  # wake a waiter if the process died before it was ready

    def stderr_tail(self, n: int = 30) -> str:
        with self._stderr_lock:
            return "\n".join(self._stderr_lines[-n:])

    # ------------------------------------------------------------------ lifecycle

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> dict[str, Any]:
        if not self._ready_event.wait(timeout):
            raise TimeoutError(f"no {READY_PREFIX} line on stderr within {timeout} s; stderr:\n{self.stderr_tail()}")
        if self.ready_error:
            raise AssertionError(self.ready_error)
        if self.ready is None:
            raise AssertionError(
                f"stderr closed before the ready line (exit code {self.proc.poll()}); stderr:\n{self.stderr_tail()}")
        return self.ready

    def kill(self) -> None:
        """Kills the process if it is still running (safe to call more than once)."""
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if pipe:
                    pipe.close()
            except OSError:
                pass

    # ------------------------------------------------------------------ writing

    def send_line(self, line: str) -> None:
        """Writes one raw line (a newline is added)."""
        self.proc.stdin.write(line.encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_line(json.dumps(message, ensure_ascii=False, separators=(",", ":")))

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def send_request(self, method: str, params: Any = None, id: Any = None) -> Any:
        if id is None:
            id = self.new_id()
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return id

    # ------------------------------------------------------------------ reading

    def _next_message(self, deadline: float) -> dict[str, Any] | None:
        """Reads the next JSON message from stdout, or None at end of stream. Raises TimeoutError at the deadline."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("timed out waiting for the sidecar")
            try:
                line = self._stdout.get(timeout=remaining)
            except queue.Empty:
                raise TimeoutError("timed out waiting for the sidecar") from None
            if line is _EOF:
                self.stdout_closed = True
                return None
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                self.invalid_lines.append(line)
                continue
            if not isinstance(message, dict):
                self.invalid_lines.append(line)
                continue
            return message

    def _dispatch(self, message: dict[str, Any]) -> None:
        """Files a message that is not the response being waited for."""
        if "method" in message and "id" not in message:
            self.notifications.append(message)
            if message["method"] == "$/stream.item":
                params = message.get("params") or {}
                self.stream_items.setdefault(_key(params.get("id")), []).append(params.get("item"))
        elif "method" in message:
            # A request from the sidecar to us (e.g. demoEvents.confirm): not part of these tests; refuse it.
            self.send({"jsonrpc": "2.0", "id": message["id"],
                       "error": {"code": METHOD_NOT_FOUND, "message": "not handled by the Python test client"}})
        elif "id" in message:
            self._responses[_key(message["id"])] = message
        else:
            self.invalid_lines.append(json.dumps(message))

    def wait_response(self, id: Any, timeout: float = CALL_TIMEOUT) -> dict[str, Any]:
        """Reads until the response with this id (exactly: 1 and "1" differ) arrives; files everything else."""
        key = _key(id)
        deadline = time.monotonic() + timeout
        while key not in self._responses:
            if self.stdout_closed:
                raise AssertionError(f"stdout closed before the response to id {id!r}; stderr:\n{self.stderr_tail()}")
            try:
                message = self._next_message(deadline)
            except TimeoutError:
                raise TimeoutError(f"no response to id {id!r} within {timeout} s; stderr:\n{self.stderr_tail()}") from None
            if message is not None:
                self._dispatch(message)
        return self._responses.pop(key)

    def wait_notification(self, method: str, timeout: float = CALL_TIMEOUT) -> dict[str, Any]:
        """Returns the first notification with this method seen so far, reading on until one arrives."""
        deadline = time.monotonic() + timeout
        while True:
            for n in self.notifications:
                if n.get("method") == method:
                    return n
            if self.stdout_closed:
                raise AssertionError(f"stdout closed without a {method} notification")
            message = self._next_message(deadline)
            if message is not None:
                self._dispatch(message)

    def drain_until_eof(self, timeout: float) -> None:
        """Reads (and files) everything until stdout closes."""
        deadline = time.monotonic() + timeout
        while not self.stdout_closed:
            message = self._next_message(deadline)
            if message is not None:
                self._dispatch(message)

    def call_raw(self, method: str, params: Any = None, id: Any = None, timeout: float = CALL_TIMEOUT) -> dict[str, Any]:
        """Sends a request and returns the whole response message."""
        return self.wait_response(self.send_request(method, params, id), timeout)

    def call(self, method: str, params: Any = None, timeout: float = CALL_TIMEOUT) -> Any:
        """Sends a request and returns its result, or raises RpcError."""
        response = self.call_raw(method, params, timeout=timeout)
        if "error" in response:
            raise RpcError(response["error"])
        return response["result"]


def _key(id: Any) -> tuple[str, Any]:
    # Keys by type as well as value, so a string id "1" never matches a numeric id 1 (and True never matches 1).
    return (type(id).__name__, id)


# ====================================================================== tests


class SidecarTestCase(unittest.TestCase):
    """One sidecar process per test class, started in setUpClass and always killed in tearDownClass."""

    client: SidecarClient

    @classmethod
    def setUpClass(cls) -> None:
        cls.client = SidecarClient(sidecar_dll())
        try:
            cls.ready = cls.client.wait_ready()
        except BaseException:
            cls.client.kill()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        cls.client.kill()

    def assertRpcError(self, response: dict[str, Any], code: int, message: str | None = None) -> dict[str, Any]:
        self.assertNotIn("result", response, f"expected an error, got {response}")
        self.assertIn("error", response, f"expected an error, got {response}")
        error = response["error"]
        self.assertIsInstance(error, dict)
        self.assertEqual(error.get("code"), code, f"wrong error code in {response}")
        self.assertIsInstance(error.get("message"), str)
        if message is not None:
            self.assertEqual(error["message"], message)
        return error

    def assertResult(self, response: dict[str, Any], expected: Any) -> None:
        self.assertNotIn("error", response, f"expected a result, got {response}")
        self.assertIn("result", response, f"expected a result, got {response}")
        self.assertEqual(response["result"], expected)
        self.assertEqual(type(response["result"]), type(expected), f"wrong JSON type in {response}")


class T1_ReadyTests(SidecarTestCase):
    """The ready marker on stderr and lifecycle.ready on stdout."""

    def test_ready_marker(self) -> None:
        r = self.ready
        self.assertEqual(r.get("pid"), self.client.proc.pid, f"ready pid is not the process's: {r}")
        self.assertEqual(r.get("protocolVersion"), "1.0")
        self.assertIsInstance(r.get("contracts"), list)
        names = [c.get("name") for c in r["contracts"]]
        self.assertIn("demo", names)
        for c in r["contracts"]:
            self.assertIsInstance(c.get("fingerprint"), str)
            self.assertTrue(c["fingerprint"])

    def test_lifecycle_ready_notification(self) -> None:
        note = self.client.wait_notification("lifecycle.ready")
        self.assertEqual(note.get("jsonrpc"), "2.0")
        self.assertNotIn("id", note)
        params = note.get("params")
        self.assertIsInstance(params, dict)
        self.assertEqual(params.get("pid"), self.ready["pid"])
        self.assertEqual(params.get("protocolVersion"), self.ready["protocolVersion"])
        self.assertEqual(params.get("instanceId"), self.ready.get("instanceId"))
        self.assertEqual(params.get("contracts"), self.ready["contracts"])
        # It is the very first message on stdout.
        self.assertIs(self.client.notifications[0], note)


class T2_DemoTests(SidecarTestCase):
    """The demo contract, one process for all of these."""

    # --- demo.add

    def test_add_by_name(self) -> None:
        self.assertResult(self.client.call_raw("demo.add", {"a": 2, "b": 3}), 5)

    def test_add_by_position(self) -> None:
        self.assertResult(self.client.call_raw("demo.add", [40, 2]), 42)

    def test_add_negative(self) -> None:
        self.assertResult(self.client.call_raw("demo.add", {"a": -7, "b": 3}), -4)

    def test_add_overflow_is_an_error(self) -> None:
        response = self.client.call_raw("demo.add", {"a": 2147483647, "b": 1})
        self.assertRpcError(response, INVALID_PARAMS)

    def test_add_wrong_param_type(self) -> None:
        self.assertRpcError(self.client.call_raw("demo.add", {"a": "x", "b": 1}), INVALID_PARAMS)

    # --- demo.echo

    def test_echo_person(self) -> None:
        self.assertResult(self.client.call_raw("demo.echo", {"person": ADA}), ADA)

    def test_echo_person_with_address_and_born(self) -> None:
        self.assertResult(self.client.call_raw("demo.echo", {"person": ADA_FULL}), ADA_FULL)

    def test_echo_non_ascii(self) -> None:
        person = dict(ADA, name="Ada — 数学 ✓ 🚀", tags=["ü", "\"quoted\"", "line\nbreak"])
        self.assertResult(self.client.call_raw("demo.echo", {"person": person}), person)

    # --- demo.divide

    def test_divide(self) -> None:
        self.assertResult(self.client.call_raw("demo.divide", {"dividend": 1, "divisor": 4}), 0.25)

    def test_divide_by_zero(self) -> None:
        response = self.client.call_raw("demo.divide", {"dividend": 1, "divisor": 0})
        self.assertRpcError(response, DIVISION_BY_ZERO, "division by zero")

    # --- demo.count (a stream)

    def _count(self, to: int, id: Any = None) -> tuple[list[Any], dict[str, Any], Any]:
        """Calls demo.count and returns (the items that arrived before the response, the response, the id)."""
        id = self.client.send_request("demo.count", {"to": to}, id)
        self.assertNotIn(_key(id), self.client.stream_items)
        response = self.client.wait_response(id)
        # wait_response files every item it reads on the way, so these are exactly the items before the response.
        items = list(self.client.stream_items.get(_key(id), []))
        return items, response, id

    def test_count_streams_items_then_result(self) -> None:
        items, response, id = self._count(5)
        self.assertEqual(items, [1, 2, 3, 4, 5])
        self.assertResult(response, 5)
        # Nothing more for this stream after its response.
        self.client.call("system.ping")  # a round trip later, anything stray for this stream would have been read
        self.assertEqual(self.client.stream_items.get(_key(id)), [1, 2, 3, 4, 5])

    def test_count_zero_streams_nothing(self) -> None:
        items, response, _ = self._count(0)
        self.assertEqual(items, [])
        self.assertResult(response, 0)

    def test_count_negative_streams_nothing(self) -> None:
        items, response, _ = self._count(-3)
        self.assertEqual(items, [])
        self.assertResult(response, 0)

    def test_count_full_window_without_credit(self) -> None:
        # 64 is the default credit window: a client that never grants credit still gets all of them.
        items, response, _ = self._count(64)
        self.assertEqual(items, list(range(1, 65)))
        self.assertResult(response, 64)

    def test_count_with_string_id(self) -> None:
        items, response, _ = self._count(3, id="count-abc")
        self.assertEqual(response.get("id"), "count-abc")
        self.assertEqual(items, [1, 2, 3])
        self.assertResult(response, 3)

    # --- protocol errors

    def test_unknown_method(self) -> None:
        self.assertRpcError(self.client.call_raw("demo.noSuchMethod", {}), METHOD_NOT_FOUND)

    def test_malformed_line_then_connection_still_usable(self) -> None:
        self.client.send_line("not json")
        response = self.client.wait_response(None)
        self.assertIn("id", response)
        self.assertIsNone(response["id"])
        self.assertEqual(response.get("jsonrpc"), "2.0")
        self.assertRpcError(response, PARSE_ERROR)
        self.assertResult(self.client.call_raw("demo.add", {"a": 20, "b": 22}), 42)

    def test_string_id_echoed_verbatim(self) -> None:
        for id in ("abc", "1", "", "id with spaces / ünïcødé"):
            with self.subTest(id=id):
                response = self.client.call_raw("demo.add", {"a": 1, "b": 1}, id=id)
                self.assertIsInstance(response.get("id"), str)
                self.assertEqual(response["id"], id)
                self.assertResult(response, 2)

    def test_responses_matched_by_id_when_pipelined(self) -> None:
        ids = [self.client.send_request("demo.add", {"a": i, "b": 1000}) for i in range(20)]
        for i, id in enumerate(ids):
            self.assertResult(self.client.wait_response(id), i + 1000)

    # --- system.*

    def test_ping(self) -> None:
        health = self.client.call("system.ping")
        self.assertIsInstance(health, dict)
        self.assertEqual(health.get("status"), "ok")
        self.assertEqual(health.get("pid"), self.ready["pid"])
        self.assertEqual(health.get("pid"), self.client.proc.pid)

    def test_zz_no_stray_output(self) -> None:
        # Runs last in this class (unittest sorts by name): nothing that was not valid JSON-RPC appeared on stdout.
        self.client.call("system.ping")
        self.assertEqual(self.client.invalid_lines, [])
        self.assertEqual(self.client._responses, {}, "responses arrived that nobody asked for")


class T3_ShutdownTests(SidecarTestCase):
    """system.shutdown on its own process: it answers null, says lifecycle.shutdown, and exits 0."""

    def test_shutdown(self) -> None:
        c = self.client
        self.assertResult(c.call_raw("demo.add", {"a": 1, "b": 2}), 3)
        self.assertResult(c.call_raw("system.shutdown"), None)
        try:
            code = c.proc.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail(f"the sidecar did not exit within {EXIT_TIMEOUT} s of system.shutdown; stderr:\n{c.stderr_tail()}")
        self.assertEqual(code, 0, f"exit code {code}; stderr:\n{c.stderr_tail()}")
        c.drain_until_eof(timeout=5)
        shutdowns = [n for n in c.notifications if n.get("method") == "lifecycle.shutdown"]
        self.assertEqual(len(shutdowns), 1, f"notifications: {c.notifications}")
        self.assertEqual(shutdowns[0].get("params"), {"reason": "shutdown"})
        self.assertEqual(c.invalid_lines, [])


# ====================================================================== runner


class CountingResult(unittest.TextTestResult):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.passed = 0
        self._subtest_failed: set[str] = set()

    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)
        if test.id() not in self._subtest_failed:
            self.passed += 1

    def addSubTest(self, test: unittest.TestCase, subtest: unittest.TestCase, err: Any) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._subtest_failed.add(test.id())


def main() -> int:
    dll = sidecar_dll()
    problem = None
    if not dll.is_file():
        problem = (f"The demo sidecar was not found at {dll}.\n"
                   f"Build it first, from the repository root ({REPO_ROOT}):\n\n"
                   f"    dotnet build Toolkit.sln -c Release\n\n"
                   f"or point DEMO_SIDECAR_DLL at a built SidecarKit.Samples.Demo.Sidecar.dll.")
    elif shutil.which("dotnet") is None:
        problem = "`dotnet` is not on PATH; the demo sidecar runs as `dotnet <dll>`."
    if problem:
        bar = "!" * 78
        print(f"{bar}\n{problem}\n{bar}", file=sys.stderr)
        print("python: 0 passed, 1 failed")
        return 1

    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for case in (T1_ReadyTests, T2_DemoTests, T3_ShutdownTests):
        suite.addTests(loader.loadTestsFromTestCase(case))
    runner = unittest.TextTestRunner(verbosity=2, resultclass=CountingResult, stream=sys.stdout)
    result: CountingResult = runner.run(suite)  # type: ignore[assignment]
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses) + len(result.skipped)
    sys.stdout.flush()
    print(f"python: {result.passed} passed, {failed} failed")
    return 0 if failed == 0 and result.passed > 0 and result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
