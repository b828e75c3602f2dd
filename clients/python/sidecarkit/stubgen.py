"""Typed Python stubs from a SidecarKit OpenRPC document (`--describe openrpc`, `rpc.discover`).

    python3 -m sidecarkit.stubgen demo.openrpc.json -o demo_stubs.py
    python3 -m sidecarkit.stubgen - < demo.openrpc.json
    python3 -m sidecarkit.stubgen --from-sidecar dotnet Demo.Sidecar.dll -o demo_stubs.py

The module has: a TypedDict per DTO (keys as on the wire, optional members NotRequired), a Literal alias per enum, a
Union alias per polymorphic type (one TypedDict per case, with its "$type" Literal), a typed client class per served
contract (`DemoClient(client)`: one async method per contract method; streams return sidecarkit.Stream[T]), a
Protocol per callback contract (`DemoEventsHandler`) for the object passed as `callbacks=`, a typed `start_<name>()`
helper, and the fingerprints: FINGERPRINT (info.version) and each client class's own.

The fingerprint check: a client class compares its FINGERPRINT with what the sidecar announced in its ready payload
when it is made, and raises sidecarkit.FingerprintMismatch if they differ (or the sidecar does not serve the
contract); `DemoClient(client, check_fingerprint=False)` skips it. A sidecar that announces no fingerprint (a
hand-written one may not) passes: the parent cannot tell, and its method shapes are what SidecarKit's C# parent
compares. The JSON encoding is the one typed: integers are int, float64 is float, bytes in a DTO are `bytes | str`
(base64 text on JSON lines, bin on MessagePack); a method's own bytes result or stream items are decoded to bytes.
"""
from __future__ import annotations

import argparse
import json
import keyword
import re
import subprocess
import sys
from typing import Any

from .names import identifier, method_name, snake

NAN_STRINGS = {"NaN", "Infinity", "-Infinity"}
# What the generated module itself defines or imports, and the builtins its types use: a schema named so is renamed.
MODULE_NAMES = {"annotations", "builtins", "AsyncIterable", "Awaitable", "Callable", "Iterable", "Sequence", "EllipsisType", "Any",
                "Literal", "Protocol", "TypeAlias", "TypedDict", "NotRequired", "sidecarkit", "Stream", "Unset", "UNSET",
                "as_bytes", "FINGERPRINT", "PROTOCOL_VERSION", "FINGERPRINTS", "_same", "int", "str", "float", "bool",
                "bytes", "list", "dict", "object", "None"}
# What a generated method's body uses besides its parameters: a parameter named so is renamed (a trailing _).
BUILTINS = {"int", "str", "float", "bool", "bytes", "list", "dict", "object"}
BODY_NAMES = {"self", "timeout", "progress", "_sk_params", "_sk_result", "dict", "str", "as_bytes", "_same", "UNSET"}


class StubError(Exception):
    """The document is not a SidecarKit OpenRPC document this generator understands."""


def pascal(name: str) -> str:
    parts = re.split(r"[^0-9A-Za-z]+", name)
    text = "".join(p[:1].upper() + p[1:] for p in parts if p)
    return text if text and not text[0].isdigit() else "T" + text


def identifiers(text: str) -> set[str]:
    """The names a type expression uses."""
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r"'[^']*'|\"[^\"]*\"", "", text)))


def q(text: str) -> str:
    """A type expression quoted, for where Python evaluates it at import."""
    return f'"{text}"' if any(c.isalpha() for c in text) and not text.startswith('"') else text


def ref_name(ref: str) -> str:
    if not ref.startswith("#/components/schemas/"):
        raise StubError(f"unsupported $ref {ref!r} (only #/components/schemas/...)")
    return ref.rsplit("/", 1)[-1]


class Generator:
    def __init__(self, doc: Any):
        if not isinstance(doc, dict) or not isinstance(doc.get("methods"), list):
            raise StubError("not an OpenRPC document: it has no \"methods\" array")
        self.doc = doc
        self.schemas: dict[str, Any] = (doc.get("components") or {}).get("schemas") or {}
        self.out: list[str] = []
        self.uses_bytes = False
        # Every schema name as a Python identifier, the same in named types, $refs and variants: "shapes.Shape" (a
        # name two contracts give to different types, qualified by the later contract) is shapes_Shape.
        self.type_names: dict[str, str] = {}
        # A method named like a type would hide it in its class's later signatures: such a type is renamed (a builtin
        # is written builtins.x there instead, see ann).
        self.method_names = {method_name(m["name"]) for m in doc["methods"]
                             if isinstance(m, dict) and isinstance(m.get("name"), str)}
        for contract in doc.get("x-sidecarkit-callbacks") or []:
            self.method_names |= {method_name(m["name"]) for m in (contract.get("methods") or [])
                                  if isinstance(m, dict) and isinstance(m.get("name"), str)}
        self.shadowed: set[str] = set()         # the builtins the class being written hides
        taken = set(MODULE_NAMES) | self.method_names
        for name in self.schemas:
            python = identifier(name)
            while python in taken:
                python += "_"
            taken.add(python)
            self.type_names[name] = python

    # ------------------------------------------------------------------------------------------------ types
    def ann(self, text: str) -> str:
        """A type as a class's signature writes it: a builtin that one of the class's methods hides is builtins.x."""
        if not self.shadowed:
            return text
        return re.sub(r"'[^']*'|\"[^\"]*\"|\b[A-Za-z_][A-Za-z0-9_.]*",
                      lambda m: "builtins." + m.group(0) if m.group(0) in self.shadowed else m.group(0), text)

    def py(self, schema: Any, where: str) -> str:
        """The Python type of a schema, as source text. Where it is evaluated (TypedDict members, aliases) the whole
        text is quoted by the caller, since named types may be defined further down."""
        if not isinstance(schema, dict):
            raise StubError(f"{where}: a schema must be an object, found {schema!r}")
        if "$ref" in schema:
            name = ref_name(schema["$ref"])
            if name not in self.schemas:
                raise StubError(f"{where}: $ref to the unknown schema {name!r}")
            return self.type_names[name]
        if "anyOf" in schema:
            cases = schema["anyOf"]
            nullable = any(isinstance(c, dict) and c.get("type") == "null" for c in cases)
            rest = [c for c in cases if not (isinstance(c, dict) and c.get("type") == "null")]
            if any(isinstance(c, dict) and c.get("type") == "number" for c in rest) and all(
                    isinstance(c, dict) and (c.get("type") == "number" or (c.get("type") == "string" and "enum" in c
                                                                            and set(c["enum"]) <= NAN_STRINGS))
                    for c in rest):
                inner = "float"             # a float with its non-finite values spelled as strings
            else:
                inner = " | ".join(dict.fromkeys(self.py(c, where) for c in rest)) or "None"
            return f"{inner} | None" if nullable else inner
        if "oneOf" in schema:
            return " | ".join(self.py(c, where) for c in schema["oneOf"])
        if "const" in schema:
            return f"Literal[{schema['const']!r}]"
        if "enum" in schema:
            return "Literal[" + ", ".join(repr(v) for v in schema["enum"]) + "]"
        t = schema.get("type")
        if t == "boolean":
            return "bool"
        if t == "integer":
            return "int"
        if t == "number":
            return "float"
        if t == "null":
            return "None"
        if t == "string":
            if schema.get("format") == "bytes":
                self.uses_bytes = True
                return "bytes | str"
            return "str"
        if t == "array":
            return f"list[{self.py(schema.get('items', {}), where + '[]')}]"
        if t == "object":
            if "additionalProperties" in schema:
                return f"dict[str, {self.py(schema['additionalProperties'], where + '{}')}]"
            return "dict[str, Any]"
        if not schema:
            return "Any"
        raise StubError(f"{where}: unsupported schema {json.dumps(schema)[:200]}")

    def members(self, schema: dict[str, Any], where: str) -> list[str]:
        required = set(schema.get("required") or [])
        entries = []
        for name, member in (schema.get("properties") or {}).items():
            t = self.py(member, f"{where}.{name}")
            entries.append(f"{name!r}: {q(t) if name in required else f'NotRequired[{q(t)}]'}")
        return entries

    def object_type(self, name: str, schema: dict[str, Any], extra: list[str] | None = None) -> None:
        entries = (extra or []) + self.members(schema, name)
        doc = schema.get("description")
        self.out.append(f"{name} = TypedDict({name!r}, {{{', '.join(entries)}}})"
                        + (f"  # {doc}" if isinstance(doc, str) and "\n" not in doc else ""))

    def polymorphic(self, name: str, schema: dict[str, Any]) -> None:
        discriminator = schema.get("x-sidecarkit-discriminator", "$type")
        variants: dict[str, str] = schema.get("x-sidecarkit-variants") or {}
        python = self.type_names[name]
        cases = []
        for tag, target in variants.items():
            case_name = f"{python}{pascal(tag)}" if tag else f"{python}Base"
            target_name = ref_name(target) if target.startswith("#/") else target
            if target_name == name:             # a non-abstract base: its own members, the case without $type
                body: dict[str, Any] = next((c for c in schema.get("oneOf", []) if isinstance(c, dict) and "properties" in c), {})
                self.object_type(case_name, body)
            else:
                target_schema = self.schemas.get(target_name)
                if not isinstance(target_schema, dict):
                    raise StubError(f"{name}: the case {tag!r} names the unknown schema {target_name!r}")
                self.object_type(case_name, target_schema, [f"{discriminator!r}: Literal[{tag!r}]"])
            cases.append(case_name)
        if not cases:
            raise StubError(f"{name}: a oneOf without x-sidecarkit-variants")
        self.out.append(f"{python}: TypeAlias = {q(' | '.join(cases))}")

    def named_types(self) -> None:
        for name, schema in self.schemas.items():
            python = self.type_names[name]
            if not isinstance(schema, dict):
                raise StubError(f"the schema {name!r} is not an object")
            if python != name:
                self.out.append(f"# {python}: the schema {name!r}")
            if "oneOf" in schema:
                self.polymorphic(name, schema)
            elif "enum" in schema:
                self.out.append(f"{python}: TypeAlias = Literal[{', '.join(repr(v) for v in schema['enum'])}]")
            elif schema.get("type") == "object":
                self.object_type(python, schema)
            else:
                self.out.append(f"{python}: TypeAlias = {q(self.py(schema, name))}")

    # ------------------------------------------------------------------------------------------------ methods
    def is_bytes(self, schema: Any) -> bool:
        return isinstance(schema, dict) and schema.get("type") == "string" and schema.get("format") == "bytes"

    def param_names(self, method: dict[str, Any], reserved: set[str]) -> dict[str, str]:
        """Each parameter's Python name (the streamed one's too): snake_case, renamed with a trailing _ when it would
        shadow what the method's body uses (`reserved`: its _sk_ locals, the names it calls) or repeat another parameter's."""
        wires = [p["name"] for p in method.get("params") or []]
        if method.get("x-sidecarkit-input") is not None:
            wires.append(method["x-sidecarkit-input"]["name"])
        names: dict[str, str] = {}
        for wire in wires:
            name = snake(wire)
            while name in reserved or name in names.values():
                name += "_"
            names[wire] = name
        return names

    def params(self, method: dict[str, Any], names: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
        """The signature's required and optional parameters, and the lines that build the params dict. An optional
        parameter that may be null defaults to UNSET (not sent), so None can be sent; one that may not be null
        defaults to None (not sent)."""
        signature, build = [], []
        optional = []
        for p in method.get("params") or []:
            wire = p["name"]
            name = names[wire]
            t = self.ann(self.py(p.get("schema", {}), f"{method['name']}({wire})"))
            if p.get("required", False):
                signature.append(f"{name}: {t}")
                build.append(f"_sk_params[{wire!r}] = {name}")
            elif t == "Any" or t == "None" or t.endswith("| None"):
                optional.append(f"{name}: {t} | Unset = UNSET")
                build.append(f"if {name} is not UNSET:\n            _sk_params[{wire!r}] = {name}")
            else:
                optional.append(f"{name}: {t} | None = None")
                build.append(f"if {name} is not None:\n            _sk_params[{wire!r}] = {name}")
        return signature, optional, build

    @staticmethod
    def default_timeout(method: dict[str, Any], otherwise: str) -> str:
        """The generated method's default timeout: x-sidecarkit-timeout-ms ([SidecarMethod(TimeoutMilliseconds = n)],
        -1: none) in seconds, else `otherwise`."""
        ms = method.get("x-sidecarkit-timeout-ms")
        if type(ms) is int and ms == -1:
            return "None"
        if isinstance(ms, (int, float)) and not isinstance(ms, bool) and ms > 0:
            return repr(ms / 1000)
        return otherwise

    def client_method(self, method: dict[str, Any]) -> list[str]:
        wire: str = method["name"]
        kind = method.get("x-sidecarkit-kind", "request" if "result" in method else "notification")
        result = method.get("result", {}).get("schema", {"type": "null"})
        rtype = "bytes" if self.is_bytes(result) else self.py(result, f"{wire} result")
        names = self.param_names(method, BODY_NAMES | identifiers(rtype))
        signature, optional, build = self.params(method, names)
        name = method_name(wire)
        summary = method.get("summary") or method.get("description")
        doc = [f'        """{summary}"""'] if isinstance(summary, str) and '"""' not in summary else []
        body = ["        _sk_params: dict[str, Any] = {}"] + [f"        {line}" for line in build]
        items = method.get("x-sidecarkit-items", {}).get("schema", {})
        input_ = method.get("x-sidecarkit-input")
        if input_ is not None:
            item_type = self.py(input_.get("schema", {}), f"{wire} input")
            if self.is_bytes(input_.get("schema")):
                item_type = "bytes"
            item_type = self.ann(item_type)
            signature.append(f"{names[input_['name']]}: AsyncIterable[{item_type}] | Iterable[{item_type}]")
        signature += optional                   # after the streamed parameter, which has no default
        input_arg = f", input={names[input_['name']]}" if input_ is not None else ""
        if kind in ("stream", "duplexStream"):
            item = "bytes" if self.is_bytes(items) else self.py(items, f"{wire} items")
            convert = ", convert=as_bytes" if item == "bytes" else ", convert=_same"
            timeout = self.ann("timeout: float | None") + f" = {self.default_timeout(method, 'None')}"
            head = f"    def {name}(self, {', '.join(signature + ['*', timeout])}) -> Stream[{self.ann(item)}]:"
            return [head, *doc, *body,
                    f"        return self._client.stream({wire!r}, _sk_params{input_arg}, timeout=timeout{convert})"]
        if kind == "notification":
            head = f"    async def {name}(self{''.join(', ' + s for s in signature)}) -> None:"
            return [head, *doc, *body, f"        await self._client.notify({wire!r}, _sk_params)"]
        extra = ["*", self.ann("timeout: float | None | EllipsisType") + f" = {self.default_timeout(method, '...')}"]
        progress = method.get("x-sidecarkit-progress")
        progress_arg = ""
        if progress is not None:
            report = self.ann(self.py(progress.get('schema', {}), wire + ' progress'))
            extra.append(f"progress: Callable[[{report}], {self.ann('object')}] | None = None")
            progress_arg = ", progress=progress"
        head = f"    async def {name}(self, {', '.join(signature + extra)}) -> {self.ann(rtype)}:"
        call = f"await self._client.call({wire!r}, _sk_params, timeout=timeout{progress_arg}{input_arg})"
        if rtype == "None":
            tail = [f"        {call}"]
        elif rtype == "bytes":
            tail = [f"        return as_bytes({call})"]
        else:
            tail = [f"        _sk_result: {rtype} = {call}", "        return _sk_result"]
        return [head, *doc, *body, *tail]

    def handler_method(self, method: dict[str, Any]) -> str:
        """A callback as the library calls it: the method named by the wire name's last part in snake_case, the
        params by their wire names."""
        wire: str = method["name"]
        signature = []
        for p in method.get("params") or []:
            if not p["name"].isidentifier() or keyword.iskeyword(p["name"]):
                raise StubError(f"{wire}: the parameter {p['name']!r} cannot be a Python parameter name")
            t = self.ann(self.py(p.get("schema", {}), f"{wire}({p['name']})"))
            signature.append(f"{p['name']}: {t}" + ("" if p.get("required", False) else " = ..."))
        name = method_name(wire)                # the name the library's callback lookup uses
        kind = method.get("x-sidecarkit-kind", "request")
        if kind == "notification" or "result" not in method:
            result = self.ann("object")
        else:
            rtype = self.ann(self.py(method["result"].get("schema", {"type": "null"}), f"{wire} result"))
            result = f"{rtype} | Awaitable[{rtype}]"
        return f"    def {name}(self{''.join(', ' + s for s in signature)}) -> {result}: ..."

    # ------------------------------------------------------------------------------------------------ module
    def generate(self, source: str) -> str:
        info = self.doc.get("info") or {}
        contracts = self.doc.get("x-sidecarkit-contracts")
        if not contracts:                       # a plain OpenRPC document: the contracts are the methods' prefixes
            prefixes = list(dict.fromkeys(str(m.get("name", "")).rsplit(".", 1)[0] for m in self.doc["methods"]))
            contracts = [{"name": p, "fingerprint": info.get("version") if len(prefixes) == 1 else None}
                         for p in prefixes]
        for m in self.doc["methods"]:
            if not isinstance(m, dict) or not isinstance(m.get("name"), str) or "." not in m["name"]:
                raise StubError(f"a method needs a wire name \"contract.method\": {json.dumps(m)[:200]}")
        callbacks = self.doc.get("x-sidecarkit-callbacks") or []
        self.named_types()
        types = self.out
        self.out = []
        classes: list[str] = []
        for contract in contracts:
            cname = contract["name"]
            methods = [m for m in self.doc["methods"] if m["name"].startswith(cname + ".")]
            cls = f"{pascal(cname)}Client"
            classes += ["", "", f"class {cls}:",
                        f'    """The contract \'{cname}\': one method per contract method, over a started sidecar."""',
                        f"    CONTRACT = {cname!r}", f"    FINGERPRINT = {contract.get('fingerprint')!r}", "",
                        "    def __init__(self, client: sidecarkit.Client, *, check_fingerprint: bool = True) -> None:",
                        "        self._client = client",
                        "        if check_fingerprint and self.FINGERPRINT is not None:",
                        "            client.check_fingerprint(self.CONTRACT, self.FINGERPRINT)"]
            self.shadowed = BUILTINS & {method_name(m["name"]) for m in methods}
            for m in methods:
                classes += ["", *self.client_method(m)]
        protocols: list[str] = []
        for contract in callbacks:
            cname = contract["name"]
            protocols += ["", "", f"class {pascal(cname)}Handler(Protocol):",
                          f'    """What the parent serves of the callback contract \'{cname}\' (fingerprint '
                          f'{contract.get("fingerprint")}), passed as callbacks=: sync or async methods."""']
            self.shadowed = BUILTINS & {method_name(m["name"]) for m in contract.get("methods") or []}
            for m in contract.get("methods") or []:
                protocols.append(self.handler_method(m))
        self.shadowed = set()
        first = contracts[0]["name"]
        handler = f"{pascal(callbacks[0]['name'])}Handler | None" if callbacks else "object"
        starter = ["", "", f"async def start_{snake(first)}(command: Sequence[str], *, callbacks: {handler} = None, "
                   f"**options: Any) -> {pascal(first)}Client:",
                   f'    """Starts the sidecar (sidecarkit.start) and returns its typed client, fingerprint checked."""',
                   "    client = await sidecarkit.start(command, callbacks=callbacks, **options)",
                   "    try:", f"        return {pascal(first)}Client(client)",
                   "    except sidecarkit.FingerprintMismatch:", "        await client.stop()", "        raise"]
        header = [f'"""Typed stubs for {info.get("title", "a SidecarKit sidecar")}: generated by sidecarkit.stubgen '
                  f'from {source}. Do not edit; regenerate."""',
                  "# mypy: disable-error-code=\"empty-body\"",
                  "from __future__ import annotations", "",
                  "import builtins  # noqa: F401  (for a type a method's name hides)",
                  "from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Sequence",
                  "from types import EllipsisType",
                  "from typing import Any, Literal, Protocol, TypeAlias, TypedDict",
                  "", "from typing_extensions import NotRequired" if sys.version_info < (3, 11)
                  else "from typing import NotRequired", "",
                  "import sidecarkit", "from sidecarkit import UNSET, Stream, Unset, as_bytes", "",
                  f"FINGERPRINT = {info.get('version')!r}",
                  f"PROTOCOL_VERSION = {info.get('x-sidecarkit-protocol', '1.0')!r}",
                  "FINGERPRINTS: dict[str, str] = {"
                  + ", ".join(f"{c['name']!r}: {c.get('fingerprint')!r}" for c in contracts if c.get("fingerprint"))
                  + "}", "", "",
                  "def _same(value: Any) -> Any:", "    return value", "", ""]
        return "\n".join(header + types + classes + protocols + starter) + "\n"


def generate(doc: Any, source: str = "an OpenRPC document") -> str:
    """The stub module's source for an OpenRPC document (a parsed JSON object)."""
    return Generator(doc).generate(source)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m sidecarkit.stubgen", description=__doc__.split("\n\n")[0])
    parser.add_argument("document", nargs="?", help="the OpenRPC JSON file, or - for stdin")
    parser.add_argument("-o", "--output", help="the module to write (default: stdout)")
    parser.add_argument("--from-sidecar", nargs=argparse.REMAINDER, metavar="CMD",
                        help="run CMD --describe openrpc and generate from its output (must come last)")
    args = parser.parse_args(argv)
    if (args.document is None) == (not args.from_sidecar):
        parser.error("give either an OpenRPC document (a file or -) or --from-sidecar <command...>")
    try:
        if args.from_sidecar:
            command = [*args.from_sidecar, "--describe", "openrpc"]
            try:
                done = subprocess.run(command, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
            except (OSError, subprocess.TimeoutExpired) as e:
                raise StubError(f"could not run {' '.join(command)}: {e}") from e
            if done.returncode != 0:
                raise StubError(f"{' '.join(command)} exited with code {done.returncode}: "
                                f"{done.stderr.decode('utf-8', 'replace').strip()[-500:]}")
            text, source = done.stdout.decode("utf-8"), "`" + " ".join(command) + "`"
        elif args.document == "-":
            text, source = sys.stdin.read(), "stdin"
        else:
            try:
                with open(args.document, encoding="utf-8") as f:
                    text = f.read()
            except OSError as e:
                raise StubError(f"cannot read {args.document}: {e.strerror}") from e
            source = args.document.replace("\\", "/").rsplit("/", 1)[-1]
        try:
            doc = json.loads(text)
        except ValueError as e:
            raise StubError(f"{source} is not JSON: {e}") from e
        module = generate(doc, source)
    except (StubError, KeyError, TypeError) as e:
        print(f"stubgen: error: {e}", file=sys.stderr)
        return 2
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(module)
    else:
        sys.stdout.write(module)
    return 0


if __name__ == "__main__":
    sys.exit(main())
