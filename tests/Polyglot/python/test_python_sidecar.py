#!/usr/bin/env python3
"""Drives the Python demo sidecar (samples/Polyglot/python/demo_sidecar.py) over raw JSON lines on stdio.

Standard library only (Python 3.11): no pytest, no third-party packages, no .NET needed. The test plays the SidecarKit
parent: it starts the sidecar, reads its ready marker and lifecycle.ready, calls the demo contract of CONFORMANCE.md,
answers the sidecar's own demoEvents.confirm requests, and shuts it down the documented ways (docs/protocol.md).
It checks behaviour (error codes, ids, values, streaming and credit, cancellation, callbacks, shutdown reasons, exit
codes), not the wording of error messages, which only the contract fixes for the demo's own errors.
Run it from anywhere:

    /usr/bin/python3 tests/Polyglot/python/test_python_sidecar.py

The last line of output is always ``python: N passed, N failed``; the exit code is 0 only if every test passed.
"""

from __future__ import annotations

import atexit
import base64
import datetime
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import unittest
from pathlib import Path
from typing import Any

import jsonrpc_harness as harness
from jsonrpc_harness import CALL_TIMEOUT, EXIT_TIMEOUT, METHOD_NOT_FOUND, READY_PREFIX, SidecarClient
from jsonrpc_harness import id_key as _key

REPO_ROOT = Path(__file__).resolve().parents[3]
SIDECAR = REPO_ROOT / "samples/Polyglot/python/demo_sidecar.py"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

# What the Python sidecar announces of the demo contract (CONFORMANCE.md, samples/Demo/Contract/IDemo.cs): every
# method's shape and the named types, and the fingerprint the library computes from them. The C# parent compares these
# shapes with the contract it was built from (tests/EndToEnd.Tests/PythonCompatibilityTests.cs checks that they are
# exactly the C# contract's).
DEMO_METHODS = [
    {"name": "demo.add", "kind": "request", "params": [{"name": "a", "type": "int32"}, {"name": "b", "type": "int32"}],
     "result": "int32"},
    {"name": "demo.echo", "kind": "request", "params": [{"name": "person", "type": "Person"}], "result": "Person"},
    {"name": "demo.divide", "kind": "request",
     "params": [{"name": "dividend", "type": "float64"}, {"name": "divisor", "type": "float64"}], "result": "float64"},
    {"name": "demo.count", "kind": "stream", "params": [{"name": "to", "type": "int32"}], "result": "int32"},
    {"name": "demo.sleep", "kind": "request", "params": [{"name": "milliseconds", "type": "int32"}], "result": "string"},
    {"name": "demo.blob", "kind": "request", "params": [{"name": "size", "type": "int32"}], "result": "bytes"},
    {"name": "demo.log", "kind": "notification", "params": [{"name": "message", "type": "string"}]},
    {"name": "demo.exit", "kind": "request", "params": [{"name": "code", "type": "int32"}]},
    {"name": "demo.work", "kind": "request", "params": [{"name": "steps", "type": "int32"}], "result": "int32"},
    # A streamed parameter is announced apart, as "input", with its field number (the one after the parameters').
    {"name": "demo.sum", "kind": "clientStream", "params": [], "input": {"name": "values", "type": "int32", "number": 1},
     "result": "int64"},
    {"name": "demo.chat", "kind": "duplexStream", "params": [{"name": "prefix", "type": "string"}],
     "input": {"name": "lines", "type": "string", "number": 2}, "result": "string"},
    {"name": "demo.area", "kind": "request", "params": [{"name": "shape", "type": "Shape"}], "result": "float64"},
    # An IProgress<int> is announced as "progress" (its reports' type), not as a parameter; a Stream parameter is an
    # input of bytes, a Stream result a stream.
    {"name": "demo.steps", "kind": "request", "params": [{"name": "steps", "type": "int32"}], "progress": "int32",
     "result": "int32"},
    {"name": "demo.upload", "kind": "clientStream", "params": [], "input": {"name": "data", "type": "bytes", "number": 1},
     "result": "string"},
    {"name": "demo.download", "kind": "stream", "params": [{"name": "size", "type": "int64"}], "result": "bytes"},
    {"name": "demo.sample", "kind": "request", "params": [{"name": "sample", "type": "Sample"}], "result": "Sample"},
]
DEMO_TYPES = [   # by name, as SidecarKit lists them
    {"name": "Address", "kind": "object",
     "members": [{"name": "street", "type": "string"}, {"name": "city", "type": "string"}]},
    {"name": "Circle", "kind": "object",
     "members": [{"name": "name", "type": "string"}, {"name": "radius", "type": "float64"}]},
    {"name": "Person", "kind": "object",
     "members": [{"name": "name", "type": "string"}, {"name": "age", "type": "int32"},
                 {"name": "tags", "type": "string[]"}, {"name": "address", "type": "Address?", "optional": True},
                 {"name": "born", "type": "datetimeoffset?", "optional": True}]},
    {"name": "Rectangle", "kind": "object",
     "members": [{"name": "name", "type": "string"}, {"name": "width", "type": "float64"},
                 {"name": "height", "type": "float64"}]},
    # The newer wire types: a HashSet is an array, Uri and Version strings, keyed maps map<K,T>.
    {"name": "Sample", "kind": "object",
     "members": [{"name": n, "type": t} for n, t in (
         ("day", "date"), ("at", "time"), ("big", "int128"), ("unsigned", "uint128"), ("ratio", "float16"),
         ("link", "string"), ("release", "string"), ("tags", "string[]"), ("scores", "int32[]"),
         ("counts", "map<string,int32>"), ("byId", "map<int32,string>"), ("byGuid", "map<guid,int32>"),
         ("note", "string"))]},
    # Polymorphic: no members of its own; its cases by discriminator ("$type"), each with its oneof tag as the number.
    {"name": "Shape", "kind": "object", "members": [],
     "variants": [{"name": "circle", "type": "Circle", "number": 101},
                  {"name": "rectangle", "type": "Rectangle", "number": 102}]},
]
DEMO_CALLBACKS = [{"name": "demoEvents", "methods": [{"name": "demoEvents.progress"}, {"name": "demoEvents.confirm"}]}]


PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
SHUTTING_DOWN = -32004
REQUEST_CANCELLED = -32800
DIVISION_BY_ZERO = -32010
DECLINED_BY_PARENT = -32011

ADA = {"name": "Ada", "age": 36, "tags": ["math"], "address": None, "born": None}
ADA_FULL = {
    "name": "Ada Lovelace",
    "age": 36,
    "tags": ["math", "poetry"],
    "address": {"street": "12 St James's Square", "city": "London"},
    "born": "1815-12-10T00:00:00+00:00",
}

# ====================================================================== tests


def python_sidecar(*args: str, parent_pid: int | None = None) -> SidecarClient:
    """Starts the Python demo sidecar; SIDECAR_PARENT_PID is set only when asked for (the watchdog tests)."""
    env = {k: v for k, v in os.environ.items() if k != "SIDECAR_PARENT_PID"}
    if parent_pid is not None:
        env["SIDECAR_PARENT_PID"] = str(parent_pid)
    return SidecarClient([PYTHON, str(SIDECAR), *args], env=env)


class SidecarTestCase(harness.SidecarTestCase):
    """One Python sidecar per test class, started with ``args``."""

    args: tuple[str, ...] = ()

    @classmethod
    def start_client(cls) -> SidecarClient:
        return python_sidecar(*cls.args)

    def assertExitsWithShutdown(self, reason: str) -> None:
        """The process exits 0, and lifecycle.shutdown with this reason is its last message."""
        c = self.client
        code = c.wait_exit()
        self.assertEqual(code, 0, f"exit code {code}; stderr:\n{c.stderr_tail()}")
        c.drain_until_eof(timeout=5)
        shutdowns = [n for n in c.notifications if n.get("method") == "lifecycle.shutdown"]
        self.assertEqual(len(shutdowns), 1, f"notifications: {c.notifications}")
        self.assertEqual(shutdowns[0].get("params"), {"reason": reason})
        self.assertIs(c.messages[-1], shutdowns[0], "lifecycle.shutdown is not the last message")
        self.assertEqual(c.invalid_lines, [])


class T1_ReadyTests(SidecarTestCase):
    """The ready marker on stderr, lifecycle.ready on stdout, and the contract's shapes."""

    def test_ready_marker(self) -> None:
        r = self.ready
        self.assertCountEqual(r, ["status", "version", "protocolVersion", "pid", "instanceId", "transport",
                                  "listenInfo", "contracts", "callbacks"])
        self.assertEqual(r["status"], "ok")
        self.assertEqual(r["version"], "1.0.0")
        self.assertEqual(r["protocolVersion"], "1.0")
        self.assertEqual(r["pid"], self.client.proc.pid, f"ready pid is not the process's: {r}")
        self.assertRegex(r["instanceId"], r"^[0-9a-f]{32}$")
        self.assertEqual(r["transport"], "jsonl")
        self.assertIsNone(r["listenInfo"])
        self.assertEqual(r["contracts"], [{"name": "demo", "fingerprint": "affde6564d41572f", "methods": DEMO_METHODS, "types": DEMO_TYPES}])
        self.assertEqual(r["callbacks"], DEMO_CALLBACKS)

    def test_lifecycle_ready_is_the_first_message(self) -> None:
        note = self.client.wait_notification("lifecycle.ready")
        self.assertIs(self.client.messages[0], note)
        self.assertEqual(note.get("jsonrpc"), "2.0")
        self.assertNotIn("id", note)
        expected = {k: v for k, v in self.ready.items() if k != "status"}
        self.assertEqual(note.get("params"), expected)

    def test_help_and_bad_options(self) -> None:
        out = subprocess.run([PYTHON, str(SIDECAR), "--help"], capture_output=True, timeout=30, text=True)
        self.assertEqual(out.returncode, 0)
        self.assertTrue(out.stdout.lower().startswith("usage: "), out.stdout)
        self.assertIn("demo: " + ", ".join(m["name"] for m in DEMO_METHODS), out.stdout)
        self.assertIn("demoEvents: demoEvents.progress, demoEvents.confirm", out.stdout)
        self.assertNotIn("fingerprint", out.stdout)
        for args in (["--bogus"], ["--log-level", "loud"]):
            with self.subTest(args=args):
                out = subprocess.run([PYTHON, str(SIDECAR), *args], capture_output=True, timeout=30, text=True)
                self.assertEqual(out.returncode, 2)
                self.assertEqual(out.stdout, "")
                self.assertIn(args[-1], out.stderr)


class T2_DemoTests(SidecarTestCase):
    """The demo contract, one process for all of these."""

    # --- demo.add

    def test_add_by_name(self) -> None:
        self.assertResult(self.client.call_raw("demo.add", {"a": 2, "b": 3}), 5)

    def test_add_by_position(self) -> None:
        self.assertResult(self.client.call_raw("demo.add", [40, 2]), 42)

    def test_add_overflow_is_invalid_params(self) -> None:
        response = self.client.call_raw("demo.add", {"a": 2147483647, "b": 1})
        self.assertRpcError(response, INVALID_PARAMS, "2147483647 + 1 overflows a 32-bit integer")

    def test_add_invalid_params(self) -> None:
        for params in ({"a": "x", "b": 1}, {"a": 1}, [1, 2, 3], {"a": 1.5, "b": 1}, {"a": True, "b": 1},
                       {"a": 2147483648, "b": 0}, "not params but a string"):
            with self.subTest(params=params):
                code = INVALID_REQUEST if isinstance(params, str) else INVALID_PARAMS  # params must be {} or []
                response = self.client.call_raw("demo.add", params)
                self.assertRpcError(response, code)

    # --- demo.echo

    def test_echo_person(self) -> None:
        self.assertResult(self.client.call_raw("demo.echo", {"person": ADA}), ADA)

    def test_echo_person_with_address_and_born(self) -> None:
        self.assertResult(self.client.call_raw("demo.echo", {"person": ADA_FULL}), ADA_FULL)

    def test_echo_fills_optional_members_and_normalizes_born(self) -> None:
        # By position, "Z" for UTC: every member comes back, and born is written with an explicit +00:00 offset.
        response = self.client.call_raw("demo.echo", [["Ada", 36, ["x"], None, "1815-12-10T01:02:03.50Z"]])
        result = response.get("result")
        self.assertIsInstance(result, dict, response)
        born = result.pop("born", None)
        self.assertEqual(result, {"name": "Ada", "age": 36, "tags": ["x"], "address": None})
        self.assertRegex(born, r"^1815-12-10T01:02:03(\.\d+)?\+00:00$")
        self.assertEqual(datetime.datetime.fromisoformat(born),
                         datetime.datetime(1815, 12, 10, 1, 2, 3, 500000, tzinfo=datetime.timezone.utc))

    def test_echo_invalid_person(self) -> None:
        for person in ({"name": "Ada", "age": 36}, {"name": None, "age": 36, "tags": []}, "Ada",
                       {"name": "Ada", "age": 36, "tags": [], "born": "not a date"}):
            with self.subTest(person=person):
                self.assertRpcError(self.client.call_raw("demo.echo", {"person": person}), INVALID_PARAMS)

    def test_echo_non_ascii(self) -> None:
        person = dict(ADA, name="Ada — 数学 ✓ 🚀", tags=["ü", "\"quoted\"", "line\nbreak"])
        self.assertResult(self.client.call_raw("demo.echo", {"person": person}), person)

    # --- demo.divide

    def test_divide(self) -> None:
        self.assertResult(self.client.call_raw("demo.divide", {"dividend": 1, "divisor": 4}), 0.25)

    def test_divide_by_zero(self) -> None:
        response = self.client.call_raw("demo.divide", {"dividend": 1, "divisor": 0})
        self.assertRpcError(response, DIVISION_BY_ZERO, "division by zero")

    def test_divide_non_finite_values_are_strings(self) -> None:
        # JSON has no NaN or infinities: they travel as the strings "NaN", "Infinity", "-Infinity", both ways.
        self.assertResult(self.client.call_raw("demo.divide", [1e308, 1e-308]), "Infinity")
        self.assertResult(self.client.call_raw("demo.divide", [-1e308, 1e-308]), "-Infinity")
        self.assertResult(self.client.call_raw("demo.divide", ["NaN", 2]), "NaN")
        self.assertResult(self.client.call_raw("demo.divide", [1, "Infinity"]), 0.0)
        self.assertRpcError(self.client.call_raw("demo.divide", ["nan", 2]), INVALID_PARAMS)

    # --- demo.count (a stream)

    def test_count_streams_items_then_result(self) -> None:
        id = self.client.send_request("demo.count", {"to": 5})
        response = self.client.wait_response(id)
        # wait_response files every item it reads on the way, so these are exactly the items before the response.
        self.assertEqual(self.client.stream_items.get(_key(id)), [1, 2, 3, 4, 5])
        self.assertResult(response, 5)

    def test_count_zero_streams_nothing(self) -> None:
        id = self.client.send_request("demo.count", {"to": 0})
        self.assertResult(self.client.wait_response(id), 0)
        self.assertNotIn(_key(id), self.client.stream_items)

    def test_count_pauses_after_the_window_until_credit(self) -> None:
        c = self.client
        id = c.send_request("demo.count", {"to": 100}, id="credit-test")
        deadline = time.monotonic() + CALL_TIMEOUT
        while len(c.stream_items.get(_key(id), [])) < 64 and time.monotonic() < deadline:
            c.pump(0.05)
        c.pump(0.5)
        self.assertEqual(c.stream_items.get(_key(id)), list(range(1, 65)), "not exactly the 64-item window")
        self.assertNotIn(_key(id), c._responses, "the stream ended without credit")
        c.notify("$/stream.credit", {"id": id, "credit": 36})
        self.assertResult(c.wait_response(id), 100)
        self.assertEqual(c.stream_items[_key(id)], list(range(1, 101)))

    # --- demo.sleep: concurrency and cancellation

    def test_sleep_does_not_block_others_and_is_cancelled(self) -> None:
        c = self.client
        sleep_id = c.send_request("demo.sleep", {"milliseconds": 10000})
        started = time.monotonic()
        self.assertResult(c.call_raw("demo.add", {"a": 1, "b": 1}, timeout=3), 2)
        c.notify("$/cancelRequest", {"id": sleep_id})
        response = c.wait_response(sleep_id, timeout=5)
        self.assertRpcError(response, REQUEST_CANCELLED, "Request cancelled")
        self.assertLess(time.monotonic() - started, 5, "the cancelled sleep was not stopped early")

    def test_sleep(self) -> None:
        self.assertResult(self.client.call_raw("demo.sleep", {"milliseconds": 10}), "slept")

    def test_a_reused_id_is_refused_with_id_null_before_any_other_check(self) -> None:
        # docs/protocol.md sections 8 and 9: the second request must not be answered with the running one's id, not
        # even for its bad params or its unknown method, which the caller would take for the first one's answer.
        c = self.client
        sleep_id = c.send_request("demo.sleep", {"milliseconds": 500})
        for method, params in (("demo.sleep", {"milliseconds": "soon"}), ("demo.nope", {}), ("demo.count", {"to": 1})):
            with self.subTest(method=method):
                c.send_request(method, params, id=sleep_id)
                refused = c.wait_response(None, timeout=5)
                self.assertRpcError(refused, -32600, f"A request with id {sleep_id} is already running.")
        self.assertResult(c.wait_response(sleep_id, timeout=5), "slept")
        self.assertResult(c.call_raw("demo.add", {"a": 1, "b": 2}, id=sleep_id), 3)   # free again once answered
        self.assertNotIn(_key(sleep_id), c._responses, "a second answer carried the running request's id")
        # and before the stream-id rule: a running id 1.5 reused by a stream method
        c.send_request("demo.sleep", {"milliseconds": 300}, id=1.5)
        c.send_request("demo.count", {"to": 1}, id=1.5)
        self.assertRpcError(c.wait_response(None, timeout=5), -32600, "A request with id 1.5 is already running.")
        self.assertResult(c.wait_response(1.5, timeout=5), "slept")

    def test_a_line_over_16_mib_is_refused_with_id_null_and_the_connection_goes_on(self) -> None:
        c = self.client
        big = b"a" * (16 * 1024 * 1024)
        c.send_line(b'{"jsonrpc":"2.0","id":"big","method":"demo.sleep","params":{"milliseconds":1,"pad":"' + big + b'"}}')
        refused = c.wait_response(None, timeout=10)
        self.assertRpcError(refused, -32001, "Message too large: a line may be at most 16777216 bytes.")
        self.assertResult(c.call_raw("demo.add", {"a": 2, "b": 2}), 4)
        self.assertNotIn(_key("big"), c._responses, "the dropped line was answered")
        # exactly at the limit is not too large (the line's "\n" not counted)
        head = b'{"jsonrpc":"2.0","id":"edge","method":"demo.add","params":{"a":1,"b":1},"pad":"'
        c.send_line(head + b"b" * (16 * 1024 * 1024 - len(head) - 2) + b'"}')
        self.assertResult(c.wait_response("edge", timeout=10), 2)

    # --- demo.blob, demo.log

    def test_blob(self) -> None:
        self.assertResult(self.client.call_raw("demo.blob", {"size": 4}), "AAECAw==")
        blob = self.client.call_raw("demo.blob", {"size": 600})["result"]
        self.assertEqual(base64.b64decode(blob, validate=True), bytes(i % 256 for i in range(600)))
        self.assertResult(self.client.call_raw("demo.blob", {"size": 0}), "")
        self.assertRpcError(self.client.call_raw("demo.blob", {"size": -1}), INVALID_PARAMS)

    def test_log_goes_to_stderr(self) -> None:
        c = self.client
        c.notify("demo.log", {"message": "hello from the test"})
        c.call_raw("system.ping")  # a round trip later, the notification has been handled
        deadline = time.monotonic() + 5
        while "info demo: demo.log: hello from the test" not in c.stderr_lines() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertIn("info demo: demo.log: hello from the test", c.stderr_lines())

    def test_log_lines_are_escaped_onto_one_line(self) -> None:
        """The log line form of docs/lifecycle.md section 8: backslash, line feed, carriage return and tab escaped."""
        c = self.client
        c.notify("demo.log", {"message": "two\nlines, a \\ and a\ttab\r"})
        c.call_raw("system.ping")
        expected = "info demo: demo.log: two\\nlines, a \\\\ and a\\ttab\\r"
        deadline = time.monotonic() + 5
        while expected not in c.stderr_lines() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertIn(expected, c.stderr_lines())

    # --- demo.work: calls from the sidecar to the parent

    def _work(self, steps: int, answer: Any) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
        c = self.client
        c.confirm_answer = answer
        seen_notes, seen_requests = len(c.notifications), len(c.requests_from_sidecar)
        response = c.call_raw("demo.work", {"steps": steps})
        progress = [n for n in c.notifications[seen_notes:] if n.get("method") == "demoEvents.progress"]
        return response, progress, c.requests_from_sidecar[seen_requests:]

    def test_work_confirmed(self) -> None:
        response, progress, requests = self._work(4, True)
        self.assertResult(response, 4)
        self.assertEqual([n["params"] for n in progress], [{"task": "work", "percent": p} for p in (0, 25, 50, 75)])
        self.assertEqual(len(requests), 1)
        self.assertEqual(requests[0]["method"], "demoEvents.confirm")
        self.assertEqual(requests[0]["params"], {"question": "commit?"})

    def test_work_declined(self) -> None:
        response, progress, requests = self._work(2, False)
        self.assertRpcError(response, DECLINED_BY_PARENT, "declined by parent")
        self.assertEqual([n["params"]["percent"] for n in progress], [0, 50])
        self.assertEqual(len(requests), 1)

    # --- protocol errors

    def test_unknown_method(self) -> None:
        response = self.client.call_raw("demo.noSuchMethod", {}, id="nope")
        self.assertEqual(response["id"], "nope")
        self.assertRpcError(response, METHOD_NOT_FOUND)
        self.assertRpcError(self.client.call_raw("Demo.Add", {"a": 1, "b": 1}), METHOD_NOT_FOUND)  # case-sensitive

    def test_parse_error_then_connection_still_usable(self) -> None:
        self.client.send_line("not json")
        response = self.client.wait_response(None)
        self.assertIsNone(response["id"])
        self.assertRpcError(response, PARSE_ERROR)
        for line in ('{"jsonrpc":"2.0","id":1,"method":"demo.add","params":[1,2]} trailing', '{"a":NaN}', "\ufeff{}"):
            with self.subTest(line=line):
                self.client.send_line(line)
                response = self.client.wait_response(None)
                self.assertIsNone(response["id"])
                self.assertRpcError(response, PARSE_ERROR)
        self.assertResult(self.client.call_raw("demo.add", {"a": 20, "b": 22}), 42)

    def test_invalid_requests(self) -> None:
        c = self.client
        # A batch, or anything but an object, is answered with id null; an invalid request object with its own id.
        for line in ("[1,2]", '[{"jsonrpc":"2.0","id":"in-batch","method":"demo.add","params":[1,2]}]', "5"):
            with self.subTest(line=line):
                c.send_line(line)
                self.assertRpcError(c.wait_response(None), INVALID_REQUEST)
        c.send_line('{"id":"no-version","method":"demo.add","params":{"a":1,"b":2}}')
        self.assertRpcError(c.wait_response("no-version"), INVALID_REQUEST)
        c.send_line('{"jsonrpc":"2.0","id":"null-params","method":"demo.add","params":null}')
        self.assertRpcError(c.wait_response("null-params"), INVALID_REQUEST)
        c.send_line('{"jsonrpc":"2.0","id":"not-a-string","method":5}')
        self.assertRpcError(c.wait_response("not-a-string"), INVALID_REQUEST)
        c.send_line('{"jsonrpc":"2.0","id":true,"method":"demo.add","params":[1,2]}')
        self.assertRpcError(c.wait_response(None), INVALID_REQUEST)

    def test_ids_echoed(self) -> None:
        for id in ("abc", "1", "", "ünïcødé"):
            with self.subTest(id=id):
                response = self.client.call_raw("demo.add", {"a": 1, "b": 1}, id=id)
                self.assertEqual(response["id"], id)
                self.assertResult(response, 2)

    # --- system.ping

    def test_ping(self) -> None:
        # A request leaves the active set just after its response was written, so poll briefly for 0.
        deadline = time.monotonic() + 5
        while True:
            health = self.client.call_raw("system.ping")["result"]
            if health.get("activeRequests") == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertCountEqual(health, ["status", "pid", "instanceId", "uptimeMs", "activeRequests", "version",
                                       "protocolVersion"])
        self.assertEqual(health["status"], "ok")
        self.assertEqual(health["pid"], self.client.proc.pid)
        self.assertEqual(health["instanceId"], self.ready["instanceId"])
        self.assertIsInstance(health["uptimeMs"], int)
        self.assertEqual(health["activeRequests"], 0)
        self.assertEqual(health["protocolVersion"], "1.0")

    def test_zz_no_stray_output(self) -> None:
        # Runs last in this class (unittest sorts by name): nothing that was not valid JSON-RPC appeared on stdout.
        self.client.call_raw("system.ping")
        self.assertEqual(self.client.invalid_lines, [])
        self.assertEqual(self.client._responses, {}, "responses arrived that nobody asked for")


class T2b_StreamedParameterTests(harness.DemoInputStreamTests, SidecarTestCase):
    """demo.sum, demo.chat and demo.area: the checks the C# demo sidecar passes too (jsonrpc_harness), and more."""

    def test_sum_reads_its_items_as_they_come(self) -> None:
        # No credit is owed before the first half window is read; at 32 items read the parent gets 32.
        c = self.client
        id = c.send_request("demo.sum", {}, id="sum-credit")
        c.send_input(id, range(32))
        deadline = time.monotonic() + CALL_TIMEOUT
        while c.input_credit(id) < 32:
            c.pump_one(deadline)
        self.assertEqual(c.input_credit(id), 32)
        c.end_input(id)
        self.assertResult(c.wait_response(id), sum(range(32)))

    def test_sum_over_its_credit_fails_the_call(self) -> None:
        # Items beyond the window and the credit granted: the call ends with -32600 (here the sum reads them as fast as
        # they come, so only a burst far beyond the window is sure to overtake it).
        c = self.client
        id = c.send_request("demo.sum", {})
        c.send_line("\n".join(json.dumps({"jsonrpc": "2.0", "method": "$/input.item", "params": {"id": id, "item": 1}})
                              for _ in range(5000)))
        c.end_input(id)
        response = c.wait_response(id)
        if "error" in response:
            self.assertIn("$/input.credit", self.assertRpcError(response, INVALID_REQUEST)["message"])
        else:
            self.assertLessEqual(5000, INPUT_WINDOW + c.input_credit(id), f"over its credit, yet {response}")

    def test_stream_methods_sent_as_notifications_are_ignored(self) -> None:
        c = self.client
        c.notify("demo.sum", {})
        c.notify("demo.chat", {"prefix": "p"})
        self.assertResult(c.call_raw("demo.add", {"a": 1, "b": 1}), 2)   # no answer came to either notification
        self.assertEqual(c._responses, {})

    def test_input_for_unknown_or_other_requests_is_ignored(self) -> None:
        c = self.client
        sleeping = c.send_request("demo.sleep", {"milliseconds": 10})
        c.notify("$/input.item", {"id": sleeping, "item": 1})
        c.notify("$/input.item", {"id": "nobody", "item": 1})
        c.notify("$/input.end", {"id": "nobody", "error": None})
        self.assertResult(c.wait_response(sleeping), "slept")
        self.assertResult(self.call_with_input("demo.sum", {}, [5]), 5)

    def test_malformed_input_messages_are_refused_when_sent_as_requests(self) -> None:
        self.assertRpcError(self.client.call_raw("$/input.item", {"item": 1}), INVALID_PARAMS)
        self.assertRpcError(self.client.call_raw("$/input.item", {"id": 1.5, "item": 1}), INVALID_PARAMS)
        self.assertRpcError(self.client.call_raw("$/input.end", {"id": 1, "error": "x"}), INVALID_PARAMS)

    def test_an_item_without_its_item_ends_the_call(self) -> None:
        c = self.client
        id = c.send_request("demo.sum", {})
        c.notify("$/input.item", {"id": id})
        self.assertIn("demo.sum", self.assertRpcError(c.wait_response(id), INVALID_REQUEST)["message"])

    def test_a_failed_end_as_an_array_and_a_null_item(self) -> None:
        # [code, message] is read as well as {"code", "message"}; a null int32 item cannot be read (the C# sidecar reads
        # it as 0: docs/protocol.md section 20), so it ends the call with -32600.
        self.assertRpcError(self.call_with_input("demo.sum", {}, [1], [-32099, "broke"]), -32099, "broke")
        self.assertRpcError(self.call_with_input("demo.sum", {}, [1, None]), INVALID_REQUEST)



class T2c_ProgressAndBytesTests(harness.DemoProgressAndBytesTests, SidecarTestCase):
    """demo.steps (progress), demo.upload (a Stream parameter) and demo.download (a Stream result): the shared checks of
    jsonrpc_harness, on a process of their own."""

    def test_zz_no_stray_output(self) -> None:
        self.client.call_raw("system.ping")
        self.assertEqual(self.client.invalid_lines, [])
        self.assertEqual(self.client._responses, {}, "responses arrived that nobody asked for")

class T2d_SampleTests(harness.DemoSampleTests, SidecarTestCase):
    """demo.sample (the newer wire types: dates, times, big integers, a half, sets, keyed maps): the shared checks of
    jsonrpc_harness, on a process of their own."""

    def test_zz_no_stray_output(self) -> None:
        self.client.call_raw("system.ping")
        self.assertEqual(self.client.invalid_lines, [])
        self.assertEqual(self.client._responses, {}, "responses arrived that nobody asked for")


class T3_ShutdownTests(SidecarTestCase):
    """system.shutdown: answers null, lets a running request finish, says lifecycle.shutdown, exits 0."""

    def test_shutdown(self) -> None:
        c = self.client
        sleep_id = c.send_request("demo.sleep", {"milliseconds": 300})
        self.assertResult(c.call_raw("system.shutdown"), None)
        self.assertRpcError(c.call_raw("demo.add", {"a": 1, "b": 1}), SHUTTING_DOWN)
        self.assertEqual(c.call_raw("system.ping")["result"]["status"], "draining")  # system.* still answered
        self.assertResult(c.wait_response(sleep_id), "slept")
        self.assertExitsWithShutdown("shutdown")


class T4_EofTests(SidecarTestCase):
    """The end of stdin: running requests finish, then lifecycle.shutdown with reason eof, exit 0."""

    def test_eof(self) -> None:
        c = self.client
        sleep_id = c.send_request("demo.sleep", {"milliseconds": 200})
        c.close_stdin()
        self.assertResult(c.wait_response(sleep_id), "slept")
        self.assertExitsWithShutdown("eof")


class T5_ShutdownNowTests(SidecarTestCase):
    """system.shutdown_now cancels what runs (-32800)."""

    def test_shutdown_now(self) -> None:
        c = self.client
        sleep_id = c.send_request("demo.sleep", {"milliseconds": 30000})
        self.assertResult(c.call_raw("system.shutdown_now"), None)
        self.assertRpcError(c.wait_response(sleep_id), REQUEST_CANCELLED, "Request cancelled")
        self.assertExitsWithShutdown("shutdown_now")


class T6_SigtermTests(SidecarTestCase):
    """SIGTERM cancels what runs and shuts down with reason sigterm."""

    def test_sigterm(self) -> None:
        c = self.client
        sleep_id = c.send_request("demo.sleep", {"milliseconds": 30000})
        c.call_raw("system.ping")  # the sleep is running by now
        c.proc.send_signal(signal.SIGTERM)
        self.assertRpcError(c.wait_response(sleep_id), REQUEST_CANCELLED, "Request cancelled")
        self.assertExitsWithShutdown("sigterm")


class T7_ExitTests(SidecarTestCase):
    """demo.exit ends the process at once with the code, and nothing more is sent. With --quiet-ready and
    --log-level none, stderr stays silent."""

    args = ("--quiet-ready", "--log-level=none")

    @classmethod
    def setUpClass(cls) -> None:
        cls.client = python_sidecar(*cls.args)
        cls.ready = {}

    def test_quiet_ready_then_exit(self) -> None:
        c = self.client
        c.wait_notification("lifecycle.ready")
        c.send_request("demo.exit", {"code": 3})
        self.assertEqual(c.wait_exit(), 3)
        c.drain_until_eof(timeout=5)
        self.assertEqual([m.get("method") for m in c.messages], ["lifecycle.ready"])
        self.assertFalse(any(line.startswith(READY_PREFIX) for line in c.stderr_lines()))
        self.assertEqual(c.stderr_lines(), [])


class T8_ParentWatchdogTests(SidecarTestCase):
    """SIDECAR_PARENT_PID names the parent; when it is gone the sidecar cancels what runs and exits (parent-exit),
    even though its stdin is still open."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.parent = subprocess.Popen(["sleep", "60"])
        cls.client = python_sidecar(parent_pid=cls.parent.pid)
        try:
            cls.ready = cls.client.wait_ready()
        except BaseException:
            cls.client.kill()
            cls.parent.kill()
            raise

    @classmethod
    def tearDownClass(cls) -> None:
        cls.client.kill()
        cls.parent.kill()
        cls.parent.wait()

    def test_parent_gone(self) -> None:
        c = self.client
        sleep_id = c.send_request("demo.sleep", {"milliseconds": 30000})
        self.assertResult(c.call_raw("demo.add", [1, 1]), 2)  # the sleep is running by now
        self.parent.kill()
        self.parent.wait()
        self.assertRpcError(c.wait_response(sleep_id, timeout=5), REQUEST_CANCELLED, "Request cancelled")
        self.assertExitsWithShutdown("parent-exit")
        self.assertTrue(any(str(self.parent.pid) in line for line in c.stderr_lines()), "the watchdog did not log")


# ====================================================================== runner


def main() -> int:
    if not SIDECAR.is_file():
        return harness.run([], f"The Python demo sidecar was not found at {SIDECAR}.")
    return harness.run([T1_ReadyTests, T2_DemoTests, T2b_StreamedParameterTests, T2c_ProgressAndBytesTests, T2d_SampleTests, T3_ShutdownTests, T4_EofTests, T5_ShutdownNowTests,
                        T6_SigtermTests, T7_ExitTests, T8_ParentWatchdogTests])


if __name__ == "__main__":
    sys.exit(main())
