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
import queue
import shutil
import subprocess
import sys
import threading
import time
import unittest
from pathlib import Path
from typing import Any

import jsonrpc_harness as harness
from jsonrpc_harness import CALL_TIMEOUT, EXIT_TIMEOUT, METHOD_NOT_FOUND, READY_PREFIX, RpcError, SidecarClient
from jsonrpc_harness import id_key as _key

from suite_runner import DEMO_SIDECAR_DLL, REPO_ROOT


# JSON-RPC / SidecarKit error codes the demo contract promises.
PARSE_ERROR = -32700
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

def _compact(value: Any) -> Any:
    """A contract announcement without its members that say "nothing" (null, "optional": false)."""
    if isinstance(value, list):
        return [_compact(v) for v in value]
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None and not (k == "optional" and v is False)}
    return value


def sidecar_dll() -> Path:
    return Path(DEMO_SIDECAR_DLL)


# ====================================================================== tests


class SidecarTestCase(harness.SidecarTestCase):
    @classmethod
    def start_client(cls) -> SidecarClient:
        return SidecarClient(["dotnet", str(sidecar_dll())])


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
            self.assertRegex(c.get("fingerprint"), r"^[0-9a-f]{16}$")
            # Every method with its shape (the parent compares them with its own build of the contract).
            self.assertIsInstance(c.get("methods"), list)
            self.assertTrue(c["methods"])
            for m in c["methods"]:
                self.assertIsInstance(m.get("name"), str)
                self.assertIn(m.get("kind"), ("request", "notification", "stream", "clientStream", "duplexStream"))
                self.assertIsInstance(m.get("params"), list)
                # A streamed parameter is announced apart, as "input", by the methods that take one and only by them.
                self.assertEqual("input" in m, m["kind"] in ("clientStream", "duplexStream"), m)
        demo = next(c for c in r["contracts"] if c.get("name") == "demo")
        self.assertEqual([m["name"] for m in demo["methods"]],
                         ["demo.add", "demo.echo", "demo.divide", "demo.count", "demo.sleep", "demo.blob", "demo.log",
                          "demo.exit", "demo.work", "demo.sum", "demo.chat", "demo.area", "demo.steps", "demo.upload",
                          "demo.download", "demo.sample"])
        add = demo["methods"][0]
        self.assertEqual(add["params"], [{"name": "a", "type": "int32", "number": 1},
                                         {"name": "b", "type": "int32", "number": 2}])
        self.assertEqual(add["result"], "int32")
        methods = {m["name"]: m for m in demo["methods"]}
        self.assertEqual(methods["demo.sum"], {"name": "demo.sum", "kind": "clientStream", "params": [],
                                               "input": {"name": "values", "type": "int32", "number": 1},
                                               "result": "int64"})
        self.assertEqual(methods["demo.chat"], {"name": "demo.chat", "kind": "duplexStream",
                                                "params": [{"name": "prefix", "type": "string", "number": 1}],
                                                "input": {"name": "lines", "type": "string", "number": 2},
                                                "result": "string"})
        self.assertEqual(methods["demo.area"], {"name": "demo.area", "kind": "request",
                                                "params": [{"name": "shape", "type": "Shape", "number": 1}],
                                                "result": "float64"})
        # The progress parameter is announced as "progress" (the reports' type), not as a parameter; a Stream parameter
        # is an input of bytes, a Stream result a stream of bytes.
        self.assertEqual(methods["demo.steps"], {"name": "demo.steps", "kind": "request",
                                                 "params": [{"name": "steps", "type": "int32", "number": 1}],
                                                 "progress": "int32", "result": "int32"})
        self.assertEqual(methods["demo.upload"], {"name": "demo.upload", "kind": "clientStream", "params": [],
                                                  "input": {"name": "data", "type": "bytes", "number": 1},
                                                  "result": "string"})
        self.assertEqual(methods["demo.download"], {"name": "demo.download", "kind": "stream",
                                                    "params": [{"name": "size", "type": "int64", "number": 1}],
                                                    "result": "bytes"})
        types = {t["name"]: t for t in demo.get("types", [])}
        self.assertEqual(sorted(types), ["Address", "Circle", "Person", "Rectangle", "Sample", "Shape"])
        self.assertEqual(methods["demo.sample"], {"name": "demo.sample", "kind": "request",
                                                  "params": [{"name": "sample", "type": "Sample", "number": 1}],
                                                  "result": "Sample"})
        # The newer wire types as described: a HashSet is an array, Uri and Version strings, keyed maps map<K,T>.
        self.assertEqual([(m["name"], m["type"], m["number"]) for m in types["Sample"]["members"]], [
            ("day", "date", 1), ("at", "time", 2), ("big", "int128", 3), ("unsigned", "uint128", 4),
            ("ratio", "float16", 5), ("link", "string", 6), ("release", "string", 7), ("tags", "string[]", 8),
            ("scores", "int32[]", 9), ("counts", "map<string,int32>", 10), ("byId", "map<int32,string>", 11),
            ("byGuid", "map<guid,int32>", 12), ("note", "string", 13)])
        # The polymorphic Shape: no members of its own, its cases by discriminator with their oneof tags.
        self.assertEqual(types["Shape"], {"name": "Shape", "kind": "object", "members": [],
                                          "variants": [{"name": "circle", "type": "Circle", "number": 101},
                                                       {"name": "rectangle", "type": "Rectangle", "number": 102}]})
        self.assertEqual(types["Circle"]["members"], [{"name": "name", "type": "string", "number": 1},
                                                      {"name": "radius", "type": "float64", "number": 2}])
        # The callback contract it calls on its parent (demo.work's demoEvents.*).
        self.assertEqual([c.get("name") for c in r.get("callbacks", [])], ["demoEvents"])

    def test_lifecycle_ready_notification(self) -> None:
        note = self.client.wait_notification("lifecycle.ready")
        self.assertEqual(note.get("jsonrpc"), "2.0")
        self.assertNotIn("id", note)
        params = note.get("params")
        self.assertIsInstance(params, dict)
        self.assertEqual(params.get("pid"), self.ready["pid"])
        self.assertEqual(params.get("protocolVersion"), self.ready["protocolVersion"])
        self.assertEqual(params.get("instanceId"), self.ready.get("instanceId"))
        # The same announcement; the notification (written by the codec) also spells out what the marker leaves out
        # ("optional": false, a null "result", "members"/"values": null), so both are compared without those.
        self.assertEqual(_compact(params.get("contracts")), _compact(self.ready["contracts"]))
        self.assertEqual(_compact(params.get("callbacks")), _compact(self.ready.get("callbacks")))
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


class T2b_StreamedParameterTests(harness.DemoInputStreamTests, SidecarTestCase):
    """demo.sum, demo.chat and demo.area (the shared checks of jsonrpc_harness), on a process of their own."""

    def test_zz_no_stray_output(self) -> None:
        self.client.call("system.ping")
        self.assertEqual(self.client.invalid_lines, [])
        self.assertEqual(self.client._responses, {}, "responses arrived that nobody asked for")



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

    return harness.run([T1_ReadyTests, T2_DemoTests, T2b_StreamedParameterTests, T2c_ProgressAndBytesTests, T2d_SampleTests,
                        T3_ShutdownTests], problem)


if __name__ == "__main__":
    sys.exit(main())
