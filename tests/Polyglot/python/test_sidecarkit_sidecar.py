#!/usr/bin/python3
"""sidecarkit's sidecar side (clients/python): the library-based demo sidecar (samples/Polyglot/python/demo_sidecar.py)
driven by the library's own client, Python to Python, on JSON lines and MessagePack-RPC on stdio — every demo method,
callbacks, cancellation, timeouts, a crash, stop, its OpenRPC document (`--describe openrpc` and `rpc.discover` on both
transports, equal to the C# exporter's golden tests/Polyglot/openrpc/demo.openrpc.json) — and a small contract served
from a script written here, for what the demo does not show (the @method decorator, error mapping, a missing
implementation), and the OpenRPC exporter in process for what the demo's document does not show.

    /usr/bin/python3 tests/Polyglot/python/test_sidecarkit_sidecar.py

Prints "python: N passed, N failed" last.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from typing import Any

from sidecarkit_cases import PY_SIDECAR, PYTHON, REPO_ROOT, DemoClientCases, DemoCrashCases, LoopTestCase
from suite_runner import DEMO_SIDECAR_DLL, import_msgpack, run

import sidecarkit  # noqa: E402  (sidecarkit_cases put it on sys.path)
from sidecarkit import RemoteError  # noqa: E402

import_msgpack()

GOLDEN = REPO_ROOT / "tests/Polyglot/openrpc/demo.openrpc.json"
INT64 = (-2**63, 2**63 - 1)


def golden() -> Any:
    """The C# exporter's document of the demo. json reads its integers exactly, so the 64-bit bounds compare as the
    C# integers (a rounded 9.223372036854776e18 would not equal 9223372036854775807)."""
    with open(GOLDEN, encoding="utf-8") as f:
        return json.load(f)


class OpenRpcCases(DemoClientCases):
    """rpc.discover on the running Python demo sidecar: the golden document, whole. The Python declaration says what
    the C# contract says, its declared errors and demo.echo's idempotence included, so nothing is left out of the
    comparison (the Node test leaves out the timeout and idempotence its JSON description cannot carry)."""

    def test_rpc_discover_answers_the_golden_document(self) -> None:
        doc = self.call("rpc.discover")
        self.assertEqual(doc, golden())
        size = next(m for m in doc["methods"] if m["name"] == "demo.download")["params"][0]["schema"]
        self.assertEqual((size["format"], size["minimum"], size["maximum"]), ("int64", *INT64))
        self.assertIs(type(size["maximum"]), int)    # exact, not a double
        self.assertEqual(self.call("rpc.discover", []), doc)     # positional (MessagePack-RPC's form): no params


class P1_PythonDemoJsonLines(OpenRpcCases):
    transport = "jsonl"

    @classmethod
    def command(cls) -> list[str]:
        return [PYTHON, PY_SIDECAR]

    def test_announces_shapes_and_the_fingerprint_computed_from_them(self) -> None:
        contract = self.client.ready["contracts"][0]
        self.assertEqual(contract["name"], "demo")
        self.assertEqual(contract["fingerprint"], "affde6564d41572f")  # the C# contract's, computed from the declaration
        self.assertEqual(self.client.contract_fingerprint("demo"), "affde6564d41572f")
        self.client.check_fingerprint("demo", "affde6564d41572f")
        with self.assertRaises(sidecarkit.FingerprintMismatch):
            self.client.check_fingerprint("demo", "0123456789abcdef")
        sum_shape = next(m for m in contract["methods"] if m["name"] == "demo.sum")
        self.assertEqual(sum_shape["input"], {"name": "values", "type": "int32", "number": 1})
        self.assertEqual(self.client.ready["callbacks"][0]["name"], "demoEvents")


    def test_describes_the_csharp_contract_to_the_fingerprint(self) -> None:
        # The library computes the C# generator's fingerprint of the Python declaration: equal to the C# contract's
        # only if every method, parameter, type and member is the same.
        def describe(command: list[str]) -> Any:
            done = subprocess.run([*command, "--describe", "json"], capture_output=True, text=True, timeout=60)
            self.assertEqual(done.returncode, 0, done.stderr)
            return json.loads(done.stdout)
        python = describe([PYTHON, PY_SIDECAR])
        csharp = describe(["dotnet", DEMO_SIDECAR_DLL])
        self.assertEqual(python["contracts"][0], csharp["contracts"][0])
        self.assertEqual(python["contracts"][0]["fingerprint"], "affde6564d41572f")
        # The callback contract, declared in full, is described in full: demoEvents' fingerprint is the C# one too.
        self.assertEqual(python, csharp)
        self.assertEqual(python["callbacks"][0]["fingerprint"], "71aff83504aafaad")

    def test_describe_openrpc_is_the_golden_document(self) -> None:
        done = subprocess.run([PYTHON, PY_SIDECAR, "--describe", "openrpc"], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)
        self.assertEqual((done.returncode, done.stderr), (0, ""))
        self.assertRegex(done.stdout, r'"minimum": -9223372036854775808,\n\s*"maximum": 9223372036854775807\n')
        self.assertNotIn("9223372036854776000", done.stdout)
        doc = json.loads(done.stdout)
        self.assertEqual(doc, golden())
        self.assertEqual(doc, self.call("rpc.discover"))
        # The ready payload still names the callbacks' methods alone (the C# parent's checks are unchanged).
        self.assertEqual(self.client.ready["callbacks"],
                         [{"name": "demoEvents", "methods": [{"name": "demoEvents.progress"},
                                                             {"name": "demoEvents.confirm"}]}])


class P2_PythonDemoMessagePack(OpenRpcCases):
    transport = "msgpack"

    @classmethod
    def command(cls) -> list[str]:
        return [PYTHON, PY_SIDECAR, "--transport", "msgpack"]


class P3_PythonDemoCrash(DemoCrashCases):
    transport = "jsonl"

    @classmethod
    def command(cls) -> list[str]:
        return [PYTHON, PY_SIDECAR]


CUSTOM = textwrap.dedent('''
    import asyncio, sys
    sys.path.insert(0, {lib!r})
    from sidecarkit import Contract, Method, RemoteError, TypeSet, method, run

    SHOP = Contract("shop", fingerprint="0123456789abcdef", types=TypeSet(enums={{"Color": ["red", "darkBlue"]}}),
                    methods=[Method("shop.getPrice", {{"item": "string"}}, result="float64"),
                             Method("shop.paint", {{"color": "Color"}}, result="string"),
                             Method("shop.crash", {{}}, result="string"),
                             Method("shop.refuse", {{}}),
                             Method("shop.watch", {{"n": "int32"}}, kind="stream", result="int32"),
                             Method("shop.huge", {{"size": "int32"}}, result="string")])

    class Shop:
        def get_price(self, item):                      # sync is fine: it runs on the loop
            return {{"apple": 0.5}}.get(item, 1.0)

        @method("shop.paint")
        async def paint_it(self, color):
            return "painted " + color

        async def crash(self):
            raise KeyError("no such shelf")

        async def refuse(self):
            raise RemoteError(-32050, "closed on Sundays", {{"open": "Monday"}})

        async def watch(self, n, ctx):
            for i in range(n):
                yield i
                await asyncio.sleep(0)

        def huge(self, size):
            return "h" * size

    {extra}
    run(SHOP, Shop())
''')


class S_CustomContract(LoopTestCase):
    script: str
    client: sidecarkit.Client

    @classmethod
    def write(cls, extra: str = "") -> str:
        fd, path = tempfile.mkstemp(suffix=".py", prefix="shop_sidecar_")
        with os.fdopen(fd, "w") as f:
            f.write(CUSTOM.format(lib=str(REPO_ROOT / "clients" / "python"), extra=extra))
        return path

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.script = cls.write()
        cls.client = cls.run_async(sidecarkit.start([PYTHON, cls.script]))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.run_async(cls.client.stop())
        os.unlink(cls.script)
        super().tearDownClass()

    def test_methods_map_by_snake_case_and_by_decorator(self) -> None:
        self.assertEqual(self.run_async(self.client.call("shop.getPrice", {"item": "apple"})), 0.5)
        self.assertEqual(self.run_async(self.client.call("shop.paint", {"color": "darkBlue"})), "painted darkBlue")

    def test_enum_values_are_checked(self) -> None:
        with self.assertRaises(RemoteError) as caught:
            self.run_async(self.client.call("shop.paint", {"color": "green"}))
        self.assertEqual(caught.exception.code, -32602)

    def test_a_bug_is_internal_error_with_its_type(self) -> None:
        with self.assertRaises(RemoteError) as caught:
            self.run_async(self.client.call("shop.crash"))
        self.assertEqual(caught.exception.code, -32603)
        self.assertEqual(caught.exception.data, {"type": "KeyError"})
        self.eventually(lambda: "fail connection: 'shop.crash' failed: KeyError" in self.client.stderr_tail(50),
                        what="the failure logged in the C# log line form")

    def test_application_errors_keep_code_message_and_data(self) -> None:
        with self.assertRaises(RemoteError) as caught:
            self.run_async(self.client.call("shop.refuse"))
        self.assertEqual((caught.exception.code, caught.exception.message, caught.exception.data),
                         (-32050, "closed on Sundays", {"open": "Monday"}))

    def test_async_generator_stream_and_fingerprint(self) -> None:
        self.assertEqual(self.run_async(self.client.stream("shop.watch", {"n": 100}).collect()), list(range(100)))
        self.assertEqual(self.client.contract_fingerprint("shop"), "0123456789abcdef")
        types = self.client.ready["contracts"][0]["types"]
        self.assertEqual(types, [{"name": "Color", "kind": "enum", "values": ["red", "darkBlue"]}])

    def test_call_on_a_stream_collects_its_items_past_the_window(self) -> None:
        # Before, call() granted no credit: the sidecar stopped after 64 items and the call hung until its timeout.
        started = time.monotonic()
        self.assertEqual(self.run_async(self.client.call("shop.watch", {"n": 300}, timeout=10)), list(range(300)))
        self.assertEqual(self.run_async(self.client.call("shop.watch", {"n": 0})), [])
        self.assertLess(time.monotonic() - started, 5)

    def test_an_answer_over_16_mib_fails_its_call_clearly_and_the_connection_goes_on(self) -> None:
        started = time.monotonic()
        with self.assertRaises(RemoteError) as caught:
            self.run_async(self.client.call("shop.huge", {"size": 17 * 1024 * 1024}))
        self.assertEqual(caught.exception.code, -32001)
        self.assertIn("The answer to 'shop.huge' was too large: Message too large: a line may be at most 16777216 "
                      "bytes.", caught.exception.message)
        self.assertLess(time.monotonic() - started, 10, "failed by its timeout, not at once")
        self.assertEqual(self.run_async(self.client.call("shop.huge", {"size": 3})), "hhh")
        self.assertEqual(self.run_async(self.client.call("shop.getPrice", {"item": "apple"})), 0.5)

    def test_describe_json(self) -> None:
        done = subprocess.run([PYTHON, self.script, "--describe"], capture_output=True, text=True, timeout=30)
        self.assertEqual(done.returncode, 0, done.stderr)
        described = json.loads(done.stdout)
        contract = described["contracts"][0]
        self.assertEqual(contract["contract"], "shop")
        self.assertRegex(contract["fingerprint"], r"^[0-9a-f]{16}$")
        self.assertEqual(contract["types"], {"Color": {"kind": "enum", "values": ["red", "darkBlue"]}})
        self.assertEqual(contract["methods"][4], {"name": "shop.watch", "kind": "stream",
                                                  "params": [{"name": "n", "type": "int32"}], "items": "int32"})

    def test_a_missing_implementation_fails_at_start(self) -> None:
        script = self.write("del Shop.crash")
        try:
            out = subprocess.run([PYTHON, script], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        finally:
            os.unlink(script)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("does not implement shop.crash of the contract 'shop'", out.stderr)


class U_Announced(unittest.TestCase):
    """Types as the ready payload, --describe json and the fingerprint name them: as the C# generator does, at any depth."""

    def test_sets_uri_and_version_are_announced_as_arrays_and_strings_at_any_depth(self) -> None:
        from sidecarkit.wiretypes import announced
        self.assertEqual([announced(t) for t in ["uri", "uri?", "version[]", "string{}?", "map<string,uri{}>", "map<int32,Person[]>?"]],
                         ["string", "string?", "string[]", "string[]?", "map<string,string[]>", "map<int32,Person[]>?"])
        nested = sidecarkit.Contract("nest", methods=[sidecarkit.Method("nest.f", {"a": "uri?"}, result="version[]")])
        flat = sidecarkit.Contract("nest", methods=[sidecarkit.Method("nest.f", {"a": "string?"}, result="string[]")])
        self.assertEqual(nested.fingerprint, flat.fingerprint)   # the same wire shape, so the same fingerprint


class U_OpenRpc(unittest.TestCase):
    """sidecarkit.openrpc in process: what the demo's document does not show."""

    def test_enums_keys_timeouts_contract_errors_and_named_callbacks(self) -> None:
        from sidecarkit.openrpc import openrpc_document
        shop = sidecarkit.Contract(
            "shop", fingerprint="0123456789abcdef", errors={-32050: "closed"},
            types=sidecarkit.TypeSet(enums={"Color": ["red", "darkBlue"]},
                                     objects={"Can": {"color": "Color", "size": "uint64", "label": "uri?"}}),
            methods=[sidecarkit.Method("shop.paint", {"byColor": "map<Color,int64{}>", "at": "version"}, result="Can",
                                       timeout_ms=2500, errors={-32051: "no paint"}),
                     sidecarkit.Method("shop.wait", {}, timeout_ms=-1, idempotent=True)])
        doc = openrpc_document([shop], [("shopEvents", ["shopEvents.sold"])])
        self.assertEqual(doc["info"]["version"], "0123456789abcdef")     # the declared fingerprint, as announced
        paint, wait = doc["methods"]
        self.assertEqual(paint["params"][0]["schema"], {
            "type": "object", "propertyNames": {"anyOf": [{"$ref": "#/components/schemas/Color"},
                                                          {"type": "string", "pattern": "^-?[0-9]+$"}]},
            "additionalProperties": {"type": "array", "items": {"type": "integer", "format": "int64",
                                                                "minimum": INT64[0], "maximum": INT64[1]}}})
        self.assertEqual(paint["params"][1], {"name": "at", "required": True, "schema": {"type": "string"}})
        self.assertEqual(paint["errors"][:3], [{"code": -32050, "message": "closed"},
                                               {"code": -32051, "message": "no paint"},
                                               {"$ref": "#/components/errors/MethodNotFound"}])
        self.assertEqual(paint["x-sidecarkit-timeout-ms"], 2500)
        self.assertNotIn("x-sidecarkit-idempotent", paint)
        self.assertEqual(wait["result"], {"name": "result", "schema": {"type": "null"}})
        self.assertEqual((wait["x-sidecarkit-timeout-ms"], wait["x-sidecarkit-idempotent"]), (-1, True))
        schemas = doc["components"]["schemas"]
        self.assertEqual(schemas["Color"], {"anyOf": [{"type": "string", "enum": ["red", "darkBlue"]},
                                                      {"type": "integer"}]})
        self.assertEqual(schemas["Can"]["required"], ["color", "size"])
        self.assertEqual(schemas["Can"]["properties"]["size"]["maximum"], 2**64 - 1)
        self.assertEqual(schemas["Can"]["properties"]["label"], {"anyOf": [{"type": "string"}, {"type": "null"}]})
        self.assertEqual(doc["x-sidecarkit-callbacks"], [{"name": "shopEvents", "fingerprint": None,
                                                          "methods": [{"name": "shopEvents.sold"}]}])

    def test_a_name_two_contracts_give_to_different_types_is_qualified(self) -> None:
        from sidecarkit.openrpc import openrpc_document
        point = sidecarkit.TypeSet(objects={"Point": {"x": "int32"}})
        first = sidecarkit.Contract("a", [sidecarkit.Method("a.get", {}, result="Point")], types=point)
        same = sidecarkit.Contract("b", [sidecarkit.Method("b.get", {}, result="Point")], types=point)
        other = sidecarkit.Contract("c", [sidecarkit.Method("c.get", {}, result="Point")],
                                    types=sidecarkit.TypeSet(objects={"Point": {"x": "float64"}}))
        doc = openrpc_document([first, same], [other])
        self.assertEqual(list(doc["components"]["schemas"]), ["Point", "c.Point"])
        self.assertEqual(doc["info"]["title"], "a, b")
        self.assertEqual(doc["methods"][1]["result"]["schema"], {"$ref": "#/components/schemas/Point"})
        self.assertEqual(doc["x-sidecarkit-callbacks"][0]["methods"][0]["result"]["schema"],
                         {"$ref": "#/components/schemas/c.Point"})

    def test_declared_errors_are_checked(self) -> None:
        with self.assertRaisesRegex(ValueError, "one of the protocol's own codes"):
            sidecarkit.Method("x.y", {}, errors={-32602: "bad"})
        with self.assertRaisesRegex(ValueError, "declared twice"):
            sidecarkit.Contract("x", [sidecarkit.Method("x.y", {}, errors={-32050: "a"})],
                                errors={-32050: "b"})
        with self.assertRaisesRegex(ValueError, "timeout_ms"):
            sidecarkit.Method("x.y", {}, timeout_ms=-2)


class U_Engine(unittest.TestCase):
    """The call engine and the codec in process (sidecarkit.rpc, sidecarkit.codec), for what a live peer cannot time."""

    def test_a_line_over_the_limit_is_never_buffered_whole(self) -> None:
        from sidecarkit.codec import MAX_MESSAGE_SIZE, JsonLinesCodec
        codec = JsonLinesCodec()
        chunk = b"x" * 65536
        for _ in range(MAX_MESSAGE_SIZE // len(chunk) + 64):     # 20 MiB more than the limit, without a "\n"
            self.assertEqual(codec.feed(chunk), [])
            self.assertLessEqual(len(codec._buffer), MAX_MESSAGE_SIZE + len(chunk))
        out = codec.feed(b'xx\n{"jsonrpc":"2.0","method":"a"}\n')
        self.assertEqual([type(m).__name__ for m in out], ["Malformed", "dict"])
        self.assertEqual(getattr(out[0], "code"), -32001)

    def test_a_request_cancelled_again_while_its_stream_closes_still_gets_its_one_answer(self) -> None:
        from sidecarkit.codec import JsonLinesCodec
        from sidecarkit.rpc import Connection, Handler

        async def go() -> tuple[list[Any], int]:
            out = bytearray()
            conn = Connection(JsonLinesCodec(), out.extend, log=lambda *args: None)

            async def items() -> Any:
                try:
                    for i in range(1000):
                        yield i
                finally:
                    await asyncio.sleep(0.3)    # a slow cleanup, cancelled again by the second $/cancelRequest

            conn.handlers["t.watch"] = Handler("t.watch", "stream", lambda ctx, args: items())

            def feed(message: dict[str, Any]) -> None:
                conn.feed(json.dumps({"jsonrpc": "2.0", **message}).encode() + b"\n")
            feed({"id": 1, "method": "t.watch"})
            await asyncio.sleep(0.1)            # 64 items sent: waiting for credit
            feed({"method": "$/cancelRequest", "params": {"id": 1}})
            await asyncio.sleep(0.05)
            feed({"method": "$/cancelRequest", "params": {"id": 1}})
            await asyncio.sleep(0.6)
            answers = [m for m in map(json.loads, out.splitlines()) if "method" not in m]
            return answers, conn.active()
        answers, active = asyncio.run(go())
        self.assertEqual(answers, [{"jsonrpc": "2.0", "id": 1, "error": {"code": -32800, "message": "Request cancelled"}}])
        self.assertEqual(active, 0, "the id is still taken")


if __name__ == "__main__":
    sys.exit(run([U_Announced, U_OpenRpc, U_Engine, P1_PythonDemoJsonLines, P2_PythonDemoMessagePack, P3_PythonDemoCrash,
                  S_CustomContract]))
