"""What the stdlib Python test suites share: a JSON-RPC client that plays a sidecar's parent over its stdio, a test
base class, and a runner that ends with the line ``python: N passed, N failed``.
Standard library only (Python 3.11).
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import json
import math
import queue
import random
import subprocess
import sys
import threading
import time
import unittest
from typing import Any

from suite_runner import READY_PREFIX  # noqa: E402  (one definition for every suite)
READY_TIMEOUT = 30.0    # seconds to wait for the ready marker (the first start of a runtime can be slow)
CALL_TIMEOUT = 10.0     # seconds to wait for any one response
EXIT_TIMEOUT = 15.0     # seconds a process may take to exit after a shutdown
METHOD_NOT_FOUND = -32601
INVALID_REQUEST, INVALID_PARAMS, REQUEST_CANCELLED = -32600, -32602, -32800
INPUT_WINDOW = 64       # items of a streamed parameter a caller may send before the callee grants credit


class RpcError(Exception):
    """A JSON-RPC error response."""

    def __init__(self, error: dict[str, Any]):
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data")


_EOF = object()  # put on a queue by a reader thread when its pipe closes


class SidecarClient:
    """Runs one sidecar process and speaks JSON-RPC with it, as its parent, over the sidecar's stdin and stdout.

    Two daemon threads read stdout and stderr line by line, so neither pipe can fill up and block the sidecar. Every
    read on this side goes through a queue with a timeout, so no test can hang. Requests from the sidecar are answered
    as they are read: demoEvents.confirm with ``confirm_answer``, anything else with -32601.
    """

    def __init__(self, command: list[str], env: dict[str, str] | None = None):
        self.proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        )
        self._stdout: queue.Queue[Any] = queue.Queue()
        self._stderr_lines: list[str] = []
        self._stderr_lock = threading.Lock()
        self._ready_event = threading.Event()
        self.ready: dict[str, Any] | None = None
        self.ready_error: str | None = None
        self.messages: list[dict[str, Any]] = []              # every message read from stdout, in order
        self.notifications: list[dict[str, Any]] = []         # every notification seen, in order
        self.stream_items: dict[Any, list[Any]] = {}          # request id -> items, in order of arrival
        self.requests_from_sidecar: list[dict[str, Any]] = []
        self.invalid_lines: list[str] = []                    # stdout lines that were not JSON objects
        self.confirm_answer: Any = True
        self._responses: dict[Any, dict[str, Any]] = {}
        self._next_id = 0
        self.stdout_closed = False
        atexit.register(self.kill)
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
            self._ready_event.set()

    def stderr_lines(self) -> list[str]:
        with self._stderr_lock:
            return list(self._stderr_lines)

    def stderr_tail(self, n: int = 30) -> str:
        return "\n".join(self.stderr_lines()[-n:])

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

    def wait_exit(self, timeout: float = EXIT_TIMEOUT) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the sidecar did not exit within {timeout} s; stderr:\n{self.stderr_tail()}") from None

    def close_stdin(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass

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

    def send_line(self, line: str | bytes) -> None:
        """Writes one raw line (a newline is added)."""
        data = line.encode("utf-8") if isinstance(line, str) else line
        self.proc.stdin.write(data + b"\n")
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

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

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
            self.messages.append(message)
            return message

    def _dispatch(self, message: dict[str, Any]) -> None:
        """Files a message that is not the response being waited for; answers requests from the sidecar."""
        if "method" in message and "id" not in message:
            self.notifications.append(message)
            if message["method"] == "$/stream.item":
                params = message.get("params") or {}
                self.stream_items.setdefault(id_key(params.get("id")), []).append(params.get("item"))
        elif "method" in message:
            self.requests_from_sidecar.append(message)
            if message["method"] == "demoEvents.confirm":
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": self.confirm_answer})
            else:
                self.send({"jsonrpc": "2.0", "id": message["id"],
                           "error": {"code": METHOD_NOT_FOUND, "message": "not handled by the test parent"}})
        elif "id" in message:
            self._responses[id_key(message["id"])] = message
        else:
            self.invalid_lines.append(json.dumps(message))

    def pump(self, seconds: float) -> None:
        """Reads (and files) whatever arrives during this many seconds."""
        deadline = time.monotonic() + seconds
        while not self.stdout_closed:
            try:
                message = self._next_message(deadline)
            except TimeoutError:
                return
            if message is not None:
                self._dispatch(message)

    def pump_one(self, deadline: float) -> None:
        """Reads (and files) the next message; raises TimeoutError at the deadline, AssertionError at end of stdout."""
        if self.stdout_closed:
            raise AssertionError(f"stdout closed; stderr:\n{self.stderr_tail()}")
        message = self._next_message(deadline)
        if message is not None:
            self._dispatch(message)

    # ------------------------------------------------------------------ streamed parameters ($/input.*)

    def input_credit(self, id: Any) -> int:
        """The credit the callee granted so far for the streamed parameter of request ``id`` ($/input.credit)."""
        return sum((n.get("params") or {}).get("credit", 0) for n in self.notifications
                   if n.get("method") == "$/input.credit" and id_key((n.get("params") or {}).get("id")) == id_key(id))

    def send_input(self, id: Any, items: Any, sent: int = 0, timeout: float = CALL_TIMEOUT) -> int:
        """Sends items of request ``id``'s streamed parameter as $/input.item, never beyond the window (64) plus the
        credit granted: at the limit it reads on until $/input.credit comes. ``sent`` is how many were sent before;
        returns the new total. Fails if the call ends (its response comes) while items are still to send."""
        for item in items:
            deadline = time.monotonic() + timeout
            while sent >= INPUT_WINDOW + self.input_credit(id):
                if id_key(id) in self._responses:
                    raise AssertionError(f"the call ended while its input was being sent: {self._responses[id_key(id)]}")
                try:
                    self.pump_one(deadline)
                except TimeoutError:
                    raise TimeoutError(f"no $/input.credit for id {id!r} within {timeout} s after {sent} items "
                                       f"(credit {self.input_credit(id)})") from None
            self.notify("$/input.item", {"id": id, "item": item})
            sent += 1
        return sent

    def end_input(self, id: Any, error: dict[str, Any] | None = None) -> None:
        """Ends request ``id``'s streamed parameter: cleanly, or with the error the caller's stream failed with."""
        self.notify("$/input.end", {"id": id, "error": error})

    def wait_stream_items(self, id: Any, count: int, timeout: float = CALL_TIMEOUT) -> list[Any]:
        """Reads until request ``id`` has ``count`` stream items (or its response came); returns its items."""
        deadline = time.monotonic() + timeout
        while len(self.stream_items.get(id_key(id), [])) < count and id_key(id) not in self._responses:
            try:
                self.pump_one(deadline)
            except TimeoutError:
                break
        return list(self.stream_items.get(id_key(id), []))

    def wait_response(self, id: Any, timeout: float = CALL_TIMEOUT) -> dict[str, Any]:
        """Reads until the response with this id (exactly: 1 and "1" differ) arrives; files everything else."""
        key = id_key(id)
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


def id_key(id: Any) -> tuple[str, Any]:
    # Keys by type as well as value, so a string id "1" never matches a numeric id 1 (and True never matches 1).
    return (type(id).__name__, id)



class SidecarTestCase(unittest.TestCase):
    """One sidecar process per test class, started in setUpClass and always killed in tearDownClass."""

    client: SidecarClient

    @classmethod
    def start_client(cls) -> SidecarClient:
        """Starts the sidecar this suite drives."""
        raise NotImplementedError

    @classmethod
    def setUpClass(cls) -> None:
        cls.client = cls.start_client()
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


class DemoInputStreamTests:
    """demo.sum (client streaming), demo.chat (bidirectional) and demo.area (a polymorphic parameter) over JSON lines:
    a mixin for a SidecarTestCase, so the same checks run against the C# demo sidecar (test_demo_stdio.py) and the
    Python one (test_python_sidecar.py). The streamed parameter is not in params; its items come as $/input.item
    {"id", "item"} within the callee's credit (a window of 64, then $/input.credit), and $/input.end {"id", "error"}
    ends it. Error messages are only checked where the contract fixes them."""

    client: SidecarClient

    def call_with_input(self, method: str, params: Any, items: list[Any], end_error: Any = None) -> dict[str, Any]:
        c = self.client
        id = c.send_request(method, params)
        c.send_input(id, items)
        c.end_input(id, end_error)
        return c.wait_response(id)

    # --- demo.sum

    def test_sum_of_several_items(self) -> None:
        self.assertResult(self.call_with_input("demo.sum", {}, [1, 2, 3, 4, -5]), 5)

    def test_sum_of_no_items_is_zero(self) -> None:
        self.assertResult(self.call_with_input("demo.sum", {}, []), 0)

    def test_sum_is_an_int64(self) -> None:
        self.assertResult(self.call_with_input("demo.sum", {}, [2147483647] * 3), 3 * 2147483647)
        self.assertResult(self.call_with_input("demo.sum", {}, [-2147483648] * 2), -2 * 2147483648)

    def test_sum_of_many_items_within_the_credit_granted(self) -> None:
        c = self.client
        id = c.send_request("demo.sum", {})
        c.send_input(id, range(1, 1001))        # waits for $/input.credit after every 64 items not yet granted
        c.end_input(id)
        self.assertResult(c.wait_response(id), 500500)
        grants = [n["params"]["credit"] for n in c.notifications
                  if n.get("method") == "$/input.credit" and n["params"].get("id") == id]
        self.assertTrue(grants and all(type(g) is int and g > 0 for g in grants), grants)
        self.assertGreaterEqual(sum(grants), 1000 - INPUT_WINDOW, "the items sent exceed the credit granted")

    def test_sum_with_a_string_id_and_input_by_position(self) -> None:
        c = self.client
        id = c.send_request("demo.sum", [], id="sum-by-position")
        for item in (40, 2):
            c.notify("$/input.item", [id, item])
        c.notify("$/input.end", [id, None])
        response = c.wait_response(id)
        self.assertEqual(response.get("id"), "sum-by-position")
        self.assertResult(response, 42)

    def test_sum_ends_with_the_callers_error(self) -> None:
        response = self.call_with_input("demo.sum", {}, [1, 2], {"code": -32603, "message": "the producer failed"})
        self.assertRpcError(response, -32603, "the producer failed")

    def test_sum_item_of_the_wrong_type_is_invalid_request(self) -> None:
        error = self.assertRpcError(self.call_with_input("demo.sum", {}, [1, "two"]), INVALID_REQUEST)
        self.assertIn("demo.sum", error["message"])

    def test_sum_with_a_non_integer_number_id_is_refused(self) -> None:
        self.assertRpcError(self.client.call_raw("demo.sum", {}, id=1.5), INVALID_REQUEST)

    def test_sum_cancelled_while_waiting_for_input(self) -> None:
        c = self.client
        id = c.send_request("demo.sum", {})
        c.send_input(id, [1])
        c.notify("$/cancelRequest", {"id": id})
        self.assertRpcError(c.wait_response(id), REQUEST_CANCELLED)
        c.send_input(id, [2])                   # items for a finished call are ignored
        c.end_input(id)
        self.assertResult(c.call_raw("demo.add", {"a": 1, "b": 2}), 3)

    # --- demo.chat

    def test_chat_round_trip_interleaved(self) -> None:
        c = self.client
        id = c.send_request("demo.chat", {"prefix": "re: "})
        for i, line in enumerate(["hello", "", "ünï ✓ 🚀", "bye"]):
            c.send_input(id, [line], sent=i)
            # Each line comes back before the next is sent: the callee answers as the items arrive.
            self.assertEqual(c.wait_stream_items(id, i + 1)[i:], ["re: " + line], f"no echo of line {i}")
        c.end_input(id)
        self.assertResult(c.wait_response(id), 4)  # the number of items streamed
        self.assertEqual(c.stream_items[id_key(id)], ["re: hello", "re: ", "re: ünï ✓ 🚀", "re: bye"])

    def test_chat_with_no_lines(self) -> None:
        c = self.client
        id = c.send_request("demo.chat", {"prefix": "x"})
        c.end_input(id)
        self.assertResult(c.wait_response(id), 0)
        self.assertNotIn(id_key(id), c.stream_items)

    def test_chat_many_lines_with_credit_both_ways(self) -> None:
        # 300 lines: the caller waits for $/input.credit, and grants $/stream.credit for the echoes it has read, 32 at a
        # time, as the SidecarKit caller does. Neither side may run ahead of the other by more than its window.
        c = self.client
        id = c.send_request("demo.chat", {"prefix": "> "})
        lines = [f"line {i}" for i in range(300)]
        sent = granted = 0
        deadline = time.monotonic() + 60
        while True:
            received = len(c.stream_items.get(id_key(id), []))
            if received - granted >= 32:
                c.notify("$/stream.credit", {"id": id, "credit": received - granted})
                granted = received
            if sent < len(lines) and sent < INPUT_WINDOW + c.input_credit(id):
                sent = c.send_input(id, [lines[sent]], sent=sent)
                if sent == len(lines):
                    c.end_input(id)
                continue
            if id_key(id) in c._responses:
                break
            self.assertLessEqual(received, INPUT_WINDOW + granted, "more echoes than the window and the credit allow")
            c.pump_one(deadline)
        self.assertResult(c.wait_response(id), 300)
        self.assertEqual(c.stream_items[id_key(id)], ["> " + line for line in lines])

    def test_chat_over_its_credit_fails_the_call(self) -> None:
        # A caller that reads nothing (no $/input.credit, no $/stream.credit) and sends 200 lines: the callee stops
        # reading them once it may send no more echoes, so it cannot have granted credit for all of them, and the call
        # ends with -32600 pointing at $/input.credit.
        c = self.client
        id = c.send_request("demo.chat", {"prefix": "> "})
        for i in range(200):
            c.notify("$/input.item", {"id": id, "item": f"line {i}"})
        c.end_input(id)
        error = self.assertRpcError(c.wait_response(id), INVALID_REQUEST)
        self.assertIn("$/input.credit", error["message"])
        self.assertLessEqual(len(c.stream_items.get(id_key(id), [])), INPUT_WINDOW)
        self.assertResult(c.call_raw("demo.add", {"a": 2, "b": 2}), 4)   # the connection goes on

    def test_chat_needs_its_prefix(self) -> None:
        self.assertRpcError(self.client.call_raw("demo.chat", {}), INVALID_PARAMS)

    # --- demo.area: a polymorphic parameter, "$type" first

    def assertArea(self, shape: dict[str, Any], expected: float) -> None:
        response = self.client.call_raw("demo.area", {"shape": shape})
        self.assertNotIn("error", response, response)
        self.assertIn(type(response.get("result")), (int, float), response)
        self.assertAlmostEqual(response["result"], expected, places=9)

    def test_area_of_a_circle(self) -> None:
        self.assertArea({"$type": "circle", "name": "c", "radius": 2.0}, 4 * math.pi)
        self.assertArea({"$type": "circle", "name": "unit", "radius": 1}, math.pi)

    def test_area_of_a_rectangle(self) -> None:
        self.assertArea({"$type": "rectangle", "name": "r", "width": 2.5, "height": 4.0}, 10.0)
        response = self.client.call_raw("demo.area", [{"$type": "rectangle", "name": "r", "width": 3, "height": 2}])
        self.assertEqual(response.get("result"), 6)   # params by position too

    def test_area_of_an_unknown_or_missing_type_is_invalid_params(self) -> None:
        for shape in ({"$type": "triangle", "name": "t", "base": 1, "height": 2}, {"name": "c", "radius": 1.0},
                      {"$type": 7, "name": "c", "radius": 1.0}, None):
            with self.subTest(shape=shape):
                self.assertRpcError(self.client.call_raw("demo.area", {"shape": shape}), INVALID_PARAMS)
        self.assertRpcError(self.client.call_raw("demo.area", {"shape": {"$type": "circle", "name": "c"}}),
                            INVALID_PARAMS)   # radius is required


STREAM_WINDOW = 64      # stream items a callee may send before the caller grants $/stream.credit


def demo_bytes(size: int) -> bytes:
    """What demo.download sends: byte i = i % 256."""
    return (bytes(range(256)) * (size // 256 + 1))[:size]


class DemoProgressAndBytesTests:
    """demo.steps (an IProgress<int>: $/progress {"id", "item"} before the answer), demo.upload (a Stream parameter: bytes
    chunks as base64 $/input.item within $/input.credit, answered "<length>:<sha256>") and demo.download (a Stream
    result: base64 $/stream.item chunks within $/stream.credit, the answer their count) over JSON lines: a mixin for a
    SidecarTestCase, run against the C# demo sidecar (test_demo_stdio.py) and the Python one (test_python_sidecar.py)."""

    client: SidecarClient

    # --- demo.steps

    def progress(self, id: Any) -> list[Any]:
        return [n["params"].get("item") for n in self.client.notifications
                if n.get("method") == "$/progress" and id_key((n.get("params") or {}).get("id")) == id_key(id)]

    def test_steps_reports_progress_in_order_before_its_answer(self) -> None:
        c = self.client
        for steps, id in ((5, None), (200, "steps-by-string")):
            with self.subTest(steps=steps):
                id = c.send_request("demo.steps", {"steps": steps}, id=id)
                response = c.wait_response(id)
                # wait_response files every notification read before the response: all the reports came first.
                self.assertEqual(self.progress(id), list(range(1, steps + 1)))
                self.assertResult(response, steps)
                c.call_raw("system.ping")   # a round trip later: no report came after the answer
                self.assertEqual(self.progress(id), list(range(1, steps + 1)))
        reports = [n for n in c.notifications if n.get("method") == "$/progress"]
        self.assertTrue(all(set(n["params"]) == {"id", "item"} and type(n["params"]["item"]) is int for n in reports))

    def test_steps_zero_reports_nothing_and_params_by_position(self) -> None:
        c = self.client
        id = c.send_request("demo.steps", {"steps": 0})
        self.assertResult(c.wait_response(id), 0)
        id = c.send_request("demo.steps", [3])      # the progress parameter takes no slot
        self.assertResult(c.wait_response(id), 3)
        c.call_raw("system.ping")
        self.assertEqual(self.progress(id), [1, 2, 3])
        self.assertRpcError(c.call_raw("demo.steps", {"steps": "x"}), INVALID_PARAMS)

    # --- demo.upload

    def upload(self, chunks: list[bytes]) -> tuple[dict[str, Any], Any]:
        c = self.client
        id = c.send_request("demo.upload", {})
        c.send_input(id, [base64.b64encode(chunk).decode("ascii") for chunk in chunks])
        c.end_input(id)
        return c.wait_response(id, timeout=60), id

    def test_upload_of_a_few_megabytes_in_chunks_within_the_credit(self) -> None:
        data = random.Random(7).randbytes(3 * 1024 * 1024 + 123)
        # 16 KiB chunks (and an odd one): 193 items, so the caller must wait for $/input.credit past the window.
        chunks = [data[i:i + 16384] for i in range(0, len(data), 16384)]
        self.assertGreater(len(chunks), 2 * INPUT_WINDOW)
        response, id = self.upload(chunks)
        self.assertResult(response, f"{len(data)}:{hashlib.sha256(data).hexdigest()}")
        self.assertGreaterEqual(self.client.input_credit(id), len(chunks) - INPUT_WINDOW)

    def test_upload_of_chunks_of_any_size(self) -> None:
        data = bytes(range(256)) * 1000
        cuts = [0, 1, 1, 100, 65536, 65537, 70000, 200000, len(data)]   # an empty chunk, a 1-byte one, 64 KiB + 1 …
        chunks = [data[a:b] for a, b in zip(cuts, cuts[1:])]
        self.assertResult(self.upload(chunks)[0], f"{len(data)}:{hashlib.sha256(data).hexdigest()}")
        self.assertResult(self.upload([])[0], f"0:{hashlib.sha256(b'').hexdigest()}")

    def test_upload_of_something_not_base64_is_invalid_request(self) -> None:
        c = self.client
        id = c.send_request("demo.upload", {})
        c.send_input(id, [base64.b64encode(b"fine").decode("ascii"), "not base64!"])
        c.end_input(id)
        self.assertIn("demo.upload", self.assertRpcError(c.wait_response(id), INVALID_REQUEST)["message"])

    def test_upload_ends_with_the_callers_error(self) -> None:
        c = self.client
        id = c.send_request("demo.upload", {})
        c.send_input(id, [base64.b64encode(b"abc").decode("ascii")])
        c.end_input(id, {"code": -32603, "message": "the stream broke"})
        self.assertRpcError(c.wait_response(id), -32603, "the stream broke")

    # --- demo.download

    def download(self, size: int, id: Any = None) -> tuple[dict[str, Any], list[bytes], Any]:
        """Calls demo.download granting $/stream.credit as the chunks arrive (32 at a time); returns the response, the
        decoded chunks that came before it, and the id."""
        c = self.client
        id = c.send_request("demo.download", {"size": size}, id=id)
        granted, deadline = 0, time.monotonic() + 60
        while id_key(id) not in c._responses:
            received = len(c.stream_items.get(id_key(id), []))
            if received - granted >= 32:
                c.notify("$/stream.credit", {"id": id, "credit": received - granted})
                granted = received
            c.pump_one(deadline)
        response = c.wait_response(id)
        return response, [base64.b64decode(item, validate=True) for item in c.stream_items.get(id_key(id), [])], id

    def assertChunks(self, chunks: list[bytes], size: int) -> None:
        """A Stream result of `size` bytes: chunks of one size (64 KiB as SidecarKit sends them; the test takes any) but
        the last, which may be shorter, none empty, byte i = i % 256."""
        self.assertTrue(chunks or size == 0)
        sizes = [len(chunk) for chunk in chunks]
        self.assertTrue(all(sizes) and len(set(sizes[:-1])) <= 1 and sizes[-1:] <= sizes[:1], sizes)
        self.assertEqual(sum(sizes), size)
        self.assertEqual(hashlib.sha256(b"".join(chunks)).hexdigest(), hashlib.sha256(demo_bytes(size)).hexdigest())

    def test_download_needs_credit_past_the_window(self) -> None:
        # A terabyte: 64 chunks come, then nothing until $/stream.credit; 17 more for a credit of 17; then cancelled.
        c = self.client
        id = c.send_request("demo.download", {"size": 1 << 40})
        for expected in (STREAM_WINDOW, STREAM_WINDOW + 17):
            c.wait_stream_items(id, expected, timeout=30)
            c.pump(0.5)
            self.assertEqual(len(c.stream_items.get(id_key(id), [])), expected, "not exactly the window and the credit")
            self.assertNotIn(id_key(id), c._responses, "the stream ended")
            if expected == STREAM_WINDOW:
                c.notify("$/stream.credit", {"id": id, "credit": 17})
        c.notify("$/cancelRequest", {"id": id})
        self.assertRpcError(c.wait_response(id, timeout=30), REQUEST_CANCELLED)
        chunks = [base64.b64decode(item, validate=True) for item in c.stream_items[id_key(id)]]
        self.assertEqual(len(chunks), STREAM_WINDOW + 17)
        self.assertChunks(chunks, sum(len(chunk) for chunk in chunks))
        self.assertEqual(len(chunks[0]), len(chunks[-1]))
        self.assertResult(c.call_raw("demo.add", {"a": 1, "b": 2}), 3)

    def test_download_of_a_few_megabytes_with_credit_granted_as_read(self) -> None:
        for size, id in ((5 * 1024 * 1024 + 7, None), (3 * 1024 * 1024 + 5, "download-by-string")):
            with self.subTest(size=size):
                response, chunks, _ = self.download(size, id=id)
                self.assertResult(response, len(chunks))
                self.assertChunks(chunks, size)

    def test_download_of_nothing_and_of_a_few_bytes(self) -> None:
        response, chunks, _ = self.download(0)
        self.assertResult(response, 0)
        self.assertEqual(chunks, [])
        response, chunks, _ = self.download(300)
        self.assertResult(response, 1)
        self.assertEqual(chunks, [demo_bytes(300)])

    def test_download_of_a_negative_size_is_invalid_params(self) -> None:
        c = self.client
        id = c.send_request("demo.download", {"size": -1})
        self.assertRpcError(c.wait_response(id), INVALID_PARAMS, "size must not be negative")
        self.assertNotIn(id_key(id), c.stream_items)
        self.assertRpcError(c.call_raw("demo.download", {"size": "5"}), INVALID_PARAMS)

from suite_runner import CountingResult, run  # noqa: E402,F401  (the JSON suites call harness.run)


# demo.sample: a Sample of the newer wire types (docs/protocol.md section 6), the values of
# tests/EndToEnd.Tests/DemoStreamingTests.cs NewSample() as JSON carries them.
INT128_MIN, INT128_MAX, UINT128_MAX = -2**127, 2**127 - 1, 2**128 - 1
SAMPLE = {
    "day": "2026-12-07", "at": "23:59:58.123456",                          # DateOnly, TimeOnly (fraction as needed)
    "big": str(INT128_MAX - 5), "unsigned": str(UINT128_MAX // 3),          # Int128, UInt128: decimal strings
    "ratio": 0.333,                                                         # Half: the half's shortest decimal
    "link": "https://example.com/a?b=c#d", "release": "1.2.3.4",           # Uri, Version: strings
    "tags": ["x", "y"], "scores": [3, 1, 2],                                # HashSet, ImmutableArray: arrays
    "counts": {"a": 1, "b": -2},                                            # ImmutableDictionary<string,int>
    "byId": {"-1": "minus one", "7": "seven"},                              # Dictionary<int,string>: digits as keys
    "byGuid": {"0f8fad5b-d9cb-469f-a165-70867728950e": 42},                 # Dictionary<Guid,int>: D format keys
    "note": "required",                                                     # the required init member
}
SAMPLE_EDGES = SAMPLE | {
    "day": "0001-01-01", "at": "00:00:00", "big": str(INT128_MIN), "unsigned": str(UINT128_MAX), "ratio": 65500,
    "tags": [], "scores": [], "counts": {}, "byId": {}, "byGuid": {}, "note": "",
}


def half(value: float) -> float:
    """value rounded to an IEEE half, as Half compares."""
    import struct
    return struct.unpack("<e", struct.pack("<e", value))[0]


class DemoSampleTests:
    """demo.sample over JSON lines (a mixin for a SidecarTestCase, run against the C# and the Python demo sidecars):
    the Sample comes back equal in JSON terms (a set's and a map's order aside, the half compared as a half), malformed
    values are -32602 naming what is wrong."""

    client: SidecarClient

    def sample(self, value: Any) -> dict[str, Any]:
        return self.client.call_raw("demo.sample", {"sample": value})

    def assertSampleEqual(self, expected: dict[str, Any], actual: Any) -> None:
        self.assertIsInstance(actual, dict)
        self.assertEqual(set(actual), set(expected))
        for name, value in expected.items():
            if name == "tags":
                self.assertEqual(sorted(actual[name]), sorted(set(value)), name)      # a set: any order, once each
            elif name == "ratio":
                self.assertIn(type(actual[name]), (int, float))
                self.assertEqual(half(actual[name]), half(value), name)
            else:
                self.assertEqual(actual[name], value, name)      # dicts compare without order; lists with it
                self.assertEqual(type(actual[name]), type(value), name)

    def test_sample_round_trips(self) -> None:
        response = self.sample(SAMPLE)
        self.assertNotIn("error", response, response)
        self.assertSampleEqual(SAMPLE, response["result"])
        self.assertEqual(response["result"]["ratio"], 0.333)       # the shortest form, not 0.333251953125

    def test_sample_edge_values_round_trip(self) -> None:
        response = self.sample(SAMPLE_EDGES)
        self.assertNotIn("error", response, response)
        self.assertSampleEqual(SAMPLE_EDGES, response["result"])
        self.assertEqual(response["result"]["ratio"], 65500)       # Half.MaxValue (65504) as its shortest form

    def test_sample_values_read_in_their_other_forms(self) -> None:
        # Integers for the big integers, "HH:mm", a duplicated set item, an upper-case GUID, a float rounded to a half.
        response = self.sample(SAMPLE | {"big": -42, "unsigned": 2**64 - 1, "at": "13:45", "tags": ["x", "x"],
                                         "byGuid": {"0F8FAD5B-D9CB-469F-A165-70867728950E": 1}, "ratio": 0.1,
                                         "byId": {str(-2**31): "min", "2147483647": "max"}, "release": "1.2"})
        self.assertNotIn("error", response, response)
        result = response["result"]
        self.assertEqual((result["big"], result["unsigned"], result["at"]), ("-42", str(2**64 - 1), "13:45:00"))
        self.assertEqual((result["tags"], result["byGuid"]), (["x"], {"0f8fad5b-d9cb-469f-a165-70867728950e": 1}))
        self.assertEqual((result["ratio"], result["release"]), (0.1, "1.2"))
        self.assertEqual(result["byId"], {str(-2**31): "min", "2147483647": "max"})

    def test_sample_malformed_values_are_invalid_params(self) -> None:
        cases = {
            "day": ("2026-13-01", "'2026-13-01' is not a date (yyyy-MM-dd)."),
            "at": ("24:00:00", "'24:00:00' is not a time of day (HH:mm:ss[.fffffff])."),
            "big": (str(INT128_MAX + 1), f"'{INT128_MAX + 1}' is not an integer within Int128's range."),
            "unsigned": ("-1", "'-1' is not a non-negative integer within UInt128's range."),
            "ratio": (65536, "out of range for Half."),
            "release": ("1.2.x", "'1.2.x' is not a version (major.minor[.build[.revision]])."),
            "byId": ({"x": "a"}, "the key 'x' is not an integer."),
            "byGuid": ({"{0f8fad5b-d9cb-469f-a165-70867728950e}": 1},
                       "the key '{0f8fad5b-d9cb-469f-a165-70867728950e}' is not a GUID (D format)."),
        }
        for name, (value, message) in cases.items():
            with self.subTest(name):
                error = self.assertRpcError(self.sample(SAMPLE | {name: value}), -32602)
                self.assertTrue(error["message"].endswith(message), error)

    def test_sample_without_a_required_member_is_invalid_params(self) -> None:
        for name in ("note", "day", "byGuid"):
            with self.subTest(name):
                value = {k: v for k, v in SAMPLE.items() if k != name}
                error = self.assertRpcError(self.sample(value), -32602)
                self.assertIn(f"required member '{name}' is missing", error["message"])
        error = self.assertRpcError(self.sample(SAMPLE | {"note": None}), -32602)
        self.assertIn("note", error["message"])
