#!/usr/bin/python3
"""sidecarkit.stubgen: typed Python stubs from the OpenRPC documents (tests/Polyglot/openrpc/*.openrpc.json).

The generated module imports, passes `mypy --strict` with a usage file that calls every demo method through it, and
runs for real against the C# and the Python demo sidecars; a changed document (a parameter's type, a method's name, an
item type) makes mypy report the usage file's now-wrong calls. Without mypy the type checks are left out with a loud
message, except under CI=true, where a missing mypy is a failure (Debian: apt-get install mypy).

    /usr/bin/python3 tests/Polyglot/python/test_sidecarkit_stubgen.py
"""
from __future__ import annotations

import copy
import importlib.util
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path
from types import ModuleType
from typing import Any

from sidecarkit_cases import PY_SIDECAR, PYTHON, REPO_ROOT, Events, LoopTestCase, alive
from suite_runner import DEMO_SIDECAR_DLL, run

import sidecarkit  # noqa: E402
from sidecarkit import stubgen  # noqa: E402

GOLDEN = REPO_ROOT / "tests/Polyglot/openrpc/demo.openrpc.json"
TYPES_GOLDEN = REPO_ROOT / "tests/Polyglot/openrpc/types.openrpc.json"
LIB = str(REPO_ROOT / "clients" / "python")
WORK = Path(tempfile.mkdtemp(prefix="sidecarkit-stubgen-"))

# Calls every demo method through the stubs, with the types the contract has. mypy --strict must accept it as is and
# reject it once the document changes under it.
USAGE = textwrap.dedent('''
    from collections.abc import AsyncIterator

    import demo_stubs
    from demo_stubs import DemoClient, Person, Shape


    class Events:
        def __init__(self) -> None:
            self.seen: list[int] = []

        def progress(self, task: str, percent: int) -> None:
            self.seen.append(percent)

        async def confirm(self, question: str) -> bool:
            return question == "commit?"


    async def lines() -> AsyncIterator[str]:
        yield "hello"


    async def use(demo: DemoClient) -> list[object]:
        total: int = await demo.add(2, 3)
        ada: Person = {"name": "Ada", "age": 36, "tags": ["math"]}
        back: Person = await demo.echo(ada)
        age: int = back["age"]
        q: float = await demo.divide(1.0, 4.0)
        counted: list[int] = [i async for i in demo.count(5)]
        slept: str = await demo.sleep(1, timeout=5.0)
        blob: bytes = await demo.blob(4)
        await demo.log("hi")
        done: int = await demo.work(2)
        summed: int = await demo.sum([1, 2, 3])
        chat: list[str] = [line async for line in demo.chat("re: ", lines())]
        circle: Shape = {"$type": "circle", "name": "c", "radius": 1.0}
        area: float = await demo.area(circle)
        reports: list[int] = []
        steps: int = await demo.steps(3, progress=reports.append)
        uploaded: str = await demo.upload([b"hello"])
        chunks: list[bytes] = [c async for c in demo.download(10)]
        return [total, age, q, counted, slept, blob, done, summed, chat, area, steps, uploaded, chunks]


    async def main(command: list[str]) -> list[object]:
        demo = await demo_stubs.start_demo(command, callbacks=Events())
        try:
            return await use(demo)
        finally:
            await demo._client.stop()
''')


def find_mypy() -> list[str] | None:
    if shutil.which("mypy"):
        return ["mypy"]
    if importlib.util.find_spec("mypy") is not None:
        return [sys.executable, "-m", "mypy"]
    return None


MYPY = find_mypy()


def golden() -> dict[str, Any]:
    with open(GOLDEN, encoding="utf-8") as f:
        doc: dict[str, Any] = json.load(f)
    return doc


def write_stubs(doc: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "demo_stubs.py").write_text(stubgen.generate(doc, "a test"), encoding="utf-8")
    (folder / "demo_usage.py").write_text(USAGE, encoding="utf-8")
    return folder


def mypy(folder: Path, *files: str) -> subprocess.CompletedProcess[str]:
    assert MYPY is not None
    env = dict(os.environ, MYPYPATH=LIB)
    # A cache per folder: the modules keep their names from folder to folder, and mypy would trust a stale cache.
    return subprocess.run([*MYPY, "--strict", "--cache-dir", str(folder / ".mypy_cache"), *files], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)


def load(path: Path, name: str) -> ModuleType:
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(path.parent))


class G1_Generation(unittest.TestCase):
    def test_the_golden_document_lands(self) -> None:
        self.assertTrue(GOLDEN.exists(), f"{GOLDEN} is missing")

    def test_the_module_has_every_type_method_and_the_fingerprint(self) -> None:
        doc = golden()
        stubs = load(write_stubs(doc, WORK / "g1") / "demo_stubs.py", "demo_stubs_g1")
        self.assertEqual(stubs.FINGERPRINT, doc["info"]["version"])
        self.assertEqual(stubs.DemoClient.FINGERPRINT, doc["x-sidecarkit-contracts"][0]["fingerprint"])
        self.assertEqual(stubs.Person.__required_keys__, frozenset({"name", "age", "tags"}))
        self.assertEqual(stubs.Person.__optional_keys__, frozenset({"address", "born"}))
        self.assertEqual(stubs.ShapeCircle.__required_keys__, frozenset({"$type", "name", "radius"}))
        for method in doc["methods"]:
            name = stubgen.snake(method["name"].split(".", 1)[1])
            self.assertTrue(callable(getattr(stubs.DemoClient, name, None)), name)
        self.assertTrue(callable(getattr(stubs.DemoEventsHandler, "confirm", None)))
        self.assertTrue(callable(stubs.start_demo))

    def test_every_type_of_the_types_document_imports(self) -> None:
        with open(TYPES_GOLDEN, encoding="utf-8") as f:
            doc = json.load(f)
        (WORK / "g1t").mkdir(exist_ok=True)
        path = WORK / "g1t" / "types_stubs.py"
        path.write_text(stubgen.generate(doc), encoding="utf-8")
        stubs = load(path, "types_stubs_g1")
        for contract in doc["x-sidecarkit-contracts"]:
            self.assertTrue(hasattr(stubs, stubgen.pascal(contract["name"]) + "Client"), contract["name"])
        self.assertEqual(stubs.Node.__required_keys__, frozenset({"name", "children"}))

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PYTHON, "-m", "sidecarkit.stubgen", *args], cwd=LIB, input=stdin,
                              capture_output=True, text=True, timeout=60)

    def test_cli_from_a_file_from_stdin_and_into_a_file(self) -> None:
        from_file = self.cli(str(GOLDEN))
        self.assertEqual(from_file.returncode, 0, from_file.stderr)
        from_stdin = self.cli("-", stdin=GOLDEN.read_text(encoding="utf-8"))
        self.assertEqual(from_stdin.returncode, 0, from_stdin.stderr)
        self.assertIn(f"FINGERPRINT = '{golden()['info']['version']}'", from_stdin.stdout)
        out = WORK / "cli_out.py"
        written = self.cli(str(GOLDEN), "-o", str(out))
        self.assertEqual((written.returncode, written.stdout), (0, ""))
        self.assertEqual(out.read_text(encoding="utf-8").split("\n", 1)[1], from_file.stdout.split("\n", 1)[1])

    def test_cli_from_the_csharp_sidecar(self) -> None:
        done = self.cli("--from-sidecar", "dotnet", DEMO_SIDECAR_DLL)
        self.assertEqual(done.returncode, 0, done.stderr)
        ready = subprocess.run(["dotnet", DEMO_SIDECAR_DLL, "--help"], capture_output=True, text=True, timeout=60)
        fingerprint = ready.stdout.split("demo (fingerprint ", 1)[1][:16]
        self.assertIn(f"FINGERPRINT = '{fingerprint}'", done.stdout)
        self.assertIn("class DemoClient:", done.stdout)

    def test_cli_errors_are_clear(self) -> None:
        cases = [((str(WORK / "nope.json"),), None, "cannot read"),
                 (("-",), "{not json", "is not JSON"),
                 (("-",), '{"openrpc": "1.3.2"}', 'no "methods" array'),
                 (("-",), json.dumps({"methods": [{"name": "x.y", "params": [
                     {"name": "a", "required": True, "schema": {"$ref": "#/components/schemas/Gone"}}]}]}),
                  "unknown schema 'Gone'"),
                 (("--from-sidecar", "/nonexistent/sidecar"), None, "could not run"),
                 ((), None, "give either")]
        for args, stdin, message in cases:
            with self.subTest(args=args):
                done = self.cli(*args, stdin=stdin)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn(message, done.stderr)
                self.assertEqual(done.stdout, "")


class G2_TypeChecks(unittest.TestCase):
    """mypy --strict over the stubs and a usage file: clean for the golden document, errors once it changes."""

    def check(self, doc: dict[str, Any], folder: str) -> subprocess.CompletedProcess[str]:
        return mypy(write_stubs(doc, WORK / folder), "demo_stubs.py", "demo_usage.py")

    def test_the_golden_stubs_and_their_use_pass_mypy_strict(self) -> None:
        done = self.check(golden(), "g2_ok")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("Success", done.stdout)

    def test_the_types_document_passes_mypy_strict(self) -> None:
        folder = WORK / "g2_types"
        folder.mkdir(exist_ok=True)
        with open(TYPES_GOLDEN, encoding="utf-8") as f:
            (folder / "types_stubs.py").write_text(stubgen.generate(json.load(f)), encoding="utf-8")
        done = mypy(folder, "types_stubs.py")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)

    def test_a_parameter_changed_from_int_to_string_is_a_type_error(self) -> None:
        doc = copy.deepcopy(golden())
        add = next(m for m in doc["methods"] if m["name"] == "demo.add")
        add["params"][0]["schema"] = {"type": "string"}
        done = self.check(doc, "g2_param")
        self.assertNotEqual(done.returncode, 0)
        self.assertRegex(done.stdout, r'demo_usage\.py:\d+: error: Argument 1 to "add" of "DemoClient" has '
                                      r'incompatible type "int"; expected "str"')

    def test_a_renamed_method_is_a_type_error(self) -> None:
        doc = copy.deepcopy(golden())
        next(m for m in doc["methods"] if m["name"] == "demo.add")["name"] = "demo.plus"
        done = self.check(doc, "g2_rename")
        self.assertNotEqual(done.returncode, 0)
        self.assertIn('"DemoClient" has no attribute "add"', done.stdout)

    def test_a_changed_stream_item_type_is_a_type_error(self) -> None:
        doc = copy.deepcopy(golden())
        count = next(m for m in doc["methods"] if m["name"] == "demo.count")
        count["x-sidecarkit-items"]["schema"] = {"type": "string"}
        done = self.check(doc, "g2_items")
        self.assertNotEqual(done.returncode, 0)
        self.assertRegex(done.stdout, r"demo_usage\.py:\d+: error: List comprehension has incompatible type "
                                      r"List\[str\]; expected List\[int\]")

    def test_a_changed_callback_is_a_type_error(self) -> None:
        doc = copy.deepcopy(golden())
        confirm = doc["x-sidecarkit-callbacks"][0]["methods"][1]
        confirm["result"]["schema"] = {"type": "string"}
        done = self.check(doc, "g2_callback")
        self.assertNotEqual(done.returncode, 0)
        self.assertIn('Argument "callbacks" to "start_demo" has incompatible type "Events"', done.stdout)


# A contract whose names collide with what the stubs use: parameters named params, timeout, self, list, _sk_params;
# optional parameters that may be null (string? note = "d") or not (int count = 0); per-method timeouts; a schema name
# qualified by its contract; callbacks whose names are a keyword (import) and an acronym (getURL).
STRING, INT = {"type": "string"}, {"type": "integer", "format": "int32"}
NULLABLE_STRING = {"anyOf": [{"type": "string"}, {"type": "null"}]}
ODD_DOC: dict[str, Any] = {
    "openrpc": "1.3.2", "info": {"title": "odd", "version": "0"},
    "x-sidecarkit-contracts": [{"name": "odd", "fingerprint": None}],
    "methods": [
        {"name": "odd.list", "x-sidecarkit-kind": "request", "params": [],        # hides the builtins list and str
         "result": {"name": "result", "schema": {"type": "array", "items": STRING}}},
        {"name": "odd.str", "x-sidecarkit-kind": "request", "params": [], "result": {"name": "result", "schema": STRING}},
        {"name": "odd.point", "x-sidecarkit-kind": "request", "params": [],      # hides the schema point
         "result": {"name": "result", "schema": {"$ref": "#/components/schemas/point"}}},
        {"name": "odd.take", "x-sidecarkit-kind": "request", "x-sidecarkit-timeout-ms": 2500, "params": [
            {"name": "params", "required": True, "schema": STRING},
            {"name": "timeout", "required": True, "schema": INT},
            {"name": "list", "required": True, "schema": {"type": "array", "items": INT}},
            {"name": "self", "required": False, "schema": NULLABLE_STRING},
            {"name": "_sk_params", "required": False, "schema": NULLABLE_STRING},
            {"name": "note", "required": False, "schema": NULLABLE_STRING},
            {"name": "count", "required": False, "schema": INT}],
         "result": {"name": "result", "schema": STRING}},
        {"name": "odd.listAll", "x-sidecarkit-kind": "request", "x-sidecarkit-timeout-ms": -1,
         "params": [{"name": "list", "required": True, "schema": INT}],
         "result": {"name": "result", "schema": {"type": "array", "items": STRING}}},
        {"name": "odd.relay", "x-sidecarkit-kind": "request",
         "params": [{"name": "value", "required": True, "schema": STRING}], "result": {"name": "result", "schema": STRING}},
        {"name": "odd.tick", "x-sidecarkit-kind": "stream", "x-sidecarkit-timeout-ms": 1500,
         "params": [{"name": "n", "required": True, "schema": INT}],
         "result": {"name": "count", "schema": {"type": "integer"}}, "x-sidecarkit-items": {"name": "item", "schema": INT}},
        {"name": "odd.shape", "x-sidecarkit-kind": "request",
         "params": [{"name": "shape", "required": True, "schema": {"$ref": "#/components/schemas/shapes.Shape"}},
                    {"name": "other", "required": False, "schema": {"$ref": "#/components/schemas/Shape"}}],
         "result": {"name": "result", "schema": {"$ref": "#/components/schemas/shapes.Shape"}}}],
    "components": {"schemas": {
        "Shape": {"type": "object", "properties": {"sides": INT}, "required": ["sides"]},
        "shapes.Shape": {"oneOf": [{"$ref": "#/components/schemas/shapes.Circle"}],
                         "x-sidecarkit-discriminator": "$type",
                         "x-sidecarkit-variants": {"circle": "#/components/schemas/shapes.Circle"}},
        "shapes.Circle": {"type": "object", "properties": {"radius": {"type": "number"}, "inner": {
            "$ref": "#/components/schemas/shapes.Shape"}}, "required": ["radius"]},
        "point": {"type": "object", "properties": {"x": INT}, "required": ["x"]},
        "Unset": {"type": "object", "properties": {}}}},
    "x-sidecarkit-callbacks": [{"name": "oddEvents", "fingerprint": None, "methods": [
        {"name": "oddEvents.import", "params": [{"name": "value", "required": True, "schema": STRING}],
         "result": {"name": "result", "schema": STRING}},
        {"name": "oddEvents.getURL", "params": [], "result": {"name": "result", "schema": STRING}}]}],
}

ODD_USAGE = textwrap.dedent('''
    import odd_stubs
    from odd_stubs import OddClient, Shape, shapes_Shape, shapes_ShapeCircle


    class Events:
        def import_(self, value: str) -> str:
            return "imported " + value

        async def get_url(self) -> str:
            return "url"


    async def hidden(odd: OddClient) -> tuple[list[str], str, int]:
        return await odd.list(), await odd.str(), (await odd.point())["x"]


    async def use(odd: OddClient) -> list[object]:
        circle: shapes_ShapeCircle = {"$type": "circle", "radius": 2.0}
        plain: Shape = {"sides": 3}
        sent_null: str = await odd.take("p", 5, [1, 2], note=None, self_=None, _sk_params_="x")
        omitted: str = await odd.take("p", 5, [1, 2])
        given: str = await odd.take("p", 5, [1, 2], note="n", count=3, timeout=10.0)
        relayed: str = await odd.relay("it")
        ticks: list[int] = [i async for i in odd.tick(3)]
        return [sent_null, omitted, given, relayed, ticks, circle, plain]


    async def shapes(odd: OddClient, shape: shapes_Shape) -> shapes_Shape:
        return await odd.shape(shape, other={"sides": 4})


    async def main(command: list[str]) -> list[object]:
        odd = await odd_stubs.start_odd(command, callbacks=Events())
        try:
            return await use(odd)
        finally:
            await odd._client.stop()
''')

ODD_SIDECAR = textwrap.dedent('''
    import json, sys
    sys.path.insert(0, {lib!r})
    from sidecarkit import Contract, Method, run

    ODD = Contract("odd", [
        Method("odd.take", {{"params": "string", "timeout": "int32", "list": "int32[]", "self": "string?",
                            "_sk_params": "string?", "note": "string?", "count": "int32?"}}, result="string"),
        Method("odd.relay", {{"value": "string"}}, result="string"),
        Method("odd.tick", {{"n": "int32"}}, kind="stream", result="int32")])


    async def relay(value, ctx):
        return await ctx.call("oddEvents.import", {{"value": value}}) + " " + await ctx.call("oddEvents.getURL")

    run(ODD, {{"odd.take": lambda **kw: json.dumps(kw, sort_keys=True), "odd.relay": relay,
              "odd.tick": lambda n: range(n)}}, callbacks={{"oddEvents": ["oddEvents.import", "oddEvents.getURL"]}})
''')


class Recorder:
    """Stands in for sidecarkit.Client: records what the generated methods pass."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, Any]] = []

    async def call(self, method: str, params: Any, *, timeout: Any = ..., progress: Any = None, input: Any = None) -> Any:
        self.calls.append((method, params, timeout))
        return "ok"

    def stream(self, method: str, params: Any, *, input: Any = None, timeout: Any = None, convert: Any = None) -> Any:
        self.calls.append((method, params, timeout))
        return []


class G4_Names(LoopTestCase):
    """Names and defaults the generated code must get right: qualified schema names, parameters that would shadow
    the body's locals, nullable optional parameters, per-method timeouts, callback method names."""
    folder: Path

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.folder = WORK / "g4"
        cls.folder.mkdir(parents=True, exist_ok=True)
        (cls.folder / "odd_stubs.py").write_text(stubgen.generate(ODD_DOC, "a test"), encoding="utf-8")
        (cls.folder / "odd_usage.py").write_text(ODD_USAGE, encoding="utf-8")
        (cls.folder / "odd_sidecar.py").write_text(ODD_SIDECAR.format(lib=LIB), encoding="utf-8")

    def test_the_stubs_and_their_use_pass_mypy_strict(self) -> None:
        if MYPY is None:
            self.skipTest("mypy is missing")
        done = mypy(self.folder, "odd_stubs.py", "odd_usage.py")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)

    def test_names_defaults_and_what_is_sent(self) -> None:
        stubs = load(self.folder / "odd_stubs.py", "odd_stubs_g4")
        self.assertEqual(stubs.shapes_ShapeCircle.__required_keys__, frozenset({"$type", "radius"}))
        self.assertEqual(stubs.Shape.__required_keys__, frozenset({"sides"}))
        self.assertTrue(hasattr(stubs, "Unset_"), "the schema named Unset was not renamed")
        self.assertTrue(hasattr(stubs, "point_"), "the schema named point was not renamed")
        self.assertEqual([name for name in vars(stubs.OddEventsHandler) if not name.startswith("_")],
                         ["import_", "get_url"])
        take = inspect.signature(stubs.OddClient.take).parameters
        self.assertEqual(list(take), ["self", "params", "timeout_", "list", "self_", "_sk_params_", "note", "count",
                                      "timeout"])
        self.assertIs(take["note"].default, sidecarkit.UNSET)
        self.assertIsNone(take["count"].default)
        recorder = Recorder()
        odd = stubs.OddClient(recorder)

        async def go() -> None:
            await odd.take("p", 5, [1], note=None, self_="s")
            await odd.take("p", 5, [1], count=2, timeout=9.0)
            await odd.list_all(7)
            odd.tick(2)
        self.run_async(go())
        self.assertEqual(recorder.calls, [
            ("odd.take", {"params": "p", "timeout": 5, "list": [1], "self": "s", "note": None}, 2.5),
            ("odd.take", {"params": "p", "timeout": 5, "list": [1], "count": 2}, 9.0),
            ("odd.listAll", {"list": 7}, None),
            ("odd.tick", {"n": 2}, 1.5)])

    def test_the_stubs_against_a_python_sidecar(self) -> None:
        load(self.folder / "odd_stubs.py", "odd_stubs")
        usage = load(self.folder / "odd_usage.py", "odd_usage_g4")
        got = self.run_async(usage.main([PYTHON, str(self.folder / "odd_sidecar.py")]))
        received = [json.loads(text) for text in got[:3]]
        self.assertEqual(received[0], {"params": "p", "timeout": 5, "list": [1, 2], "self": None, "_sk_params": "x",
                                       "note": None, "count": None})
        self.assertEqual(received[2]["note"], "n")
        self.assertEqual(received[2]["count"], 3)
        self.assertEqual(got[3:5], ["imported it url", [0, 1, 2]])


class G3_StubsAtRuntime(LoopTestCase):
    """The stubs against real sidecars: the C# demo (announces its fingerprint) and the Python demo (announces none)."""

    def stubs(self, doc: dict[str, Any], folder: str) -> ModuleType:
        path = write_stubs(doc, WORK / folder)
        load(path / "demo_stubs.py", "demo_stubs")
        return load(path / "demo_usage.py", f"demo_usage_{folder}")

    def test_every_method_through_the_stubs_on_the_csharp_sidecar(self) -> None:
        usage = self.stubs(golden(), "g3_cs")
        got = self.run_async(usage.main(["dotnet", DEMO_SIDECAR_DLL]))
        self.assertEqual(got, [5, 36, 0.25, [1, 2, 3, 4, 5], "slept", bytes([0, 1, 2, 3]), 2, 6, ["re: hello"],
                               3.141592653589793, 3, "5:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
                               [bytes(range(10))]])

    def test_every_method_through_the_stubs_on_the_python_sidecar(self) -> None:
        usage = self.stubs(golden(), "g3_py")
        got = self.run_async(usage.main([PYTHON, PY_SIDECAR]))
        self.assertEqual(got[:3], [5, 36, 0.25])
        self.assertEqual(got[5], bytes([0, 1, 2, 3]))
        self.assertEqual(got[-1], [bytes(range(10))])

    def test_a_fingerprint_mismatch_stops_the_sidecar_and_says_so(self) -> None:
        doc = copy.deepcopy(golden())
        doc["x-sidecarkit-contracts"][0]["fingerprint"] = "0123456789abcdef"
        self.stubs(doc, "g3_mismatch")
        stubs = sys.modules["demo_stubs"]

        async def go() -> None:
            with self.assertRaises(sidecarkit.FingerprintMismatch) as caught:
                await stubs.start_demo(["dotnet", DEMO_SIDECAR_DLL], callbacks=Events())
            self.assertIn("generated from 0123456789abcdef", str(caught.exception))
            client = await sidecarkit.start(["dotnet", DEMO_SIDECAR_DLL])
            try:
                typed = stubs.DemoClient(client, check_fingerprint=False)     # the way around it, on purpose
                self.assertEqual(await typed.add(1, 2), 3)
            finally:
                pid = client.pid
                await client.stop()
            self.assertFalse(alive(pid))
        self.run_async(go())


if __name__ == "__main__":
    cases: list[type[unittest.TestCase]] = [G1_Generation, G3_StubsAtRuntime, G4_Names]
    if MYPY is not None:
        cases.insert(1, G2_TypeChecks)
    elif os.environ.get("CI") == "true":
        sys.exit(run([], "mypy is missing, and CI=true: the stubs' type checks cannot run (apt-get install mypy)"))
    else:
        bar = "!" * 78
        print(f"{bar}\nmypy is missing: the type checks of the stubs (G2_TypeChecks) were NOT run. "
              f"apt-get install mypy\n{bar}", file=sys.stderr)
    try:
        code = run(cases)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(code)
