"""The OpenRPC 1.3 document of what a Python sidecar serves (`--describe openrpc`, `rpc.discover`), as the C# exporter
writes it (src/Runtime/Schema/OpenRpcExporter.cs; the goldens in tests/Polyglot/openrpc; the Node library's
clients/node/src/openrpc.mjs): JSON Schemas of the JSON-RPC encoding (docs/protocol.md section 6), streams, input and
progress as x-sidecarkit extensions, the declared errors, and the fingerprints. Python's integers are exact, so the
64-bit bounds are written exactly (9223372036854775807, not a rounded double) by json and by msgpack alike.

    doc = openrpc_document([DEMO], [DEMO_EVENTS])
    print(openrpc_text(doc))

What a declaration adds that the fingerprinted description (`--describe json`) leaves out: `Contract.errors` and
`Method.errors` ([SidecarError] in C#: the contract's first, then the method's), `Method.timeout_ms`
(x-sidecarkit-timeout-ms, -1: none) and `Method.idempotent` (x-sidecarkit-idempotent). A callback contract given by
its method names alone (``callbacks={"demoEvents": [...]}``) has no shapes to describe: it is listed with its method
names, and a null fingerprint.
"""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from .server import PROTOCOL_VERSION, Contract, Method
from .wiretypes import RANGES

OPENRPC_VERSION = "1.3.2"

SIGNED = {"int8", "int16", "int32", "int64", "int128"}
FLOATS = {"float16", "float32", "float64"}
# Uri and Version travel as strings and are described as strings (the description's announced type).
ALIASES = {"uri": "string", "version": "string"}
SCALARS: dict[str, Callable[[], dict[str, Any]]] = {
    "bool": lambda: {"type": "boolean"},
    "string": lambda: {"type": "string"},
    "decimal": lambda: {"type": "number", "format": "decimal"},
    # One UTF-16 code unit (not an emoji, which is two).
    "char": lambda: {"type": "string", "format": "char", "minLength": 1, "maxLength": 1,
                     "pattern": "^[\\u0000-\\uFFFF]$"},
    "bytes": lambda: {"type": "string", "format": "bytes", "contentEncoding": "base64"},
    "guid": lambda: {"type": "string", "format": "uuid"},
    "datetime": lambda: {"type": "string", "format": "datetime"},
    "datetimeoffset": lambda: {"type": "string", "format": "date-time"},
    "timespan": lambda: {"type": "string", "format": "timespan"},
    "date": lambda: {"type": "string", "format": "date"},
    "time": lambda: {"type": "string", "format": "partial-time"},
    # A string of digits; a JSON integer within int64's (uint64's) range is read too.
    "int128": lambda: _big("int128", "^-?[0-9]+$", "int64"),
    "uint128": lambda: _big("uint128", "^[0-9]+$", "uint64"),
    "any": lambda: {},                  # a value the library does not check: any JSON value
}
# The errors any request can answer (docs/protocol.md section 8), under the names components.errors gives them.
ERRORS: dict[str, dict[str, Any]] = {
    "InvalidRequest": {"code": -32600, "message": "Invalid Request"},
    "MethodNotFound": {"code": -32601, "message": "Method not found"},
    "InvalidParams": {"code": -32602, "message": "Invalid params"},
    "InternalError": {"code": -32603, "message": "Internal error"},
    "ServerBusy": {"code": -32003, "message": "Server busy"},
    "ShuttingDown": {"code": -32004, "message": "Shutting down"},
    "RequestCancelled": {"code": -32800, "message": "Request cancelled"},
}
MAP = re.compile(r"map<([^,]+),(.+)>")

Refs = Callable[[str], str]


def _big(fmt: str, pattern: str, within: str) -> dict[str, Any]:
    low, high = RANGES[within]
    return {"format": fmt, "anyOf": [{"type": "string", "pattern": pattern},
                                     {"type": "integer", "minimum": low, "maximum": high}]}


def _scalar(name: str) -> bool:
    name = ALIASES.get(name, name)
    return name in RANGES or name in FLOATS or name in SCALARS


def _identity(name: str) -> str:
    return name


def _ref(refs: Refs, name: str) -> str:
    return f"#/components/schemas/{refs(name)}"


def schema_of(t: str, refs: Refs = _identity) -> dict[str, Any]:
    """The JSON Schema of a value of the declared type `t` as JSON-RPC writes it ("T?", "T[]", "T{}" (a set: an
    array), "map<K,T>", a scalar or a named type); `refs` gives a named type's key in components.schemas."""
    if t.endswith("?"):
        return {"anyOf": [schema_of(t[:-1], refs), {"type": "null"}]}
    if t.endswith("[]") or t.endswith("{}"):
        return {"type": "array", "items": schema_of(t[:-2], refs)}
    if m := MAP.fullmatch(t):
        return {"type": "object", "additionalProperties": schema_of(m[2], refs), "propertyNames": _key_of(m[1], refs)}
    n = ALIASES.get(t, t)
    if n in RANGES:
        low, high = RANGES[n]
        return {"type": "integer", "format": n, "minimum": low, "maximum": high}
    if n in FLOATS:
        return {"format": n,
                "anyOf": [{"type": "number"}, {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]}]}
    if n in SCALARS:
        return SCALARS[n]()
    return {"$ref": _ref(refs, n)}


def _key_of(k: str, refs: Refs) -> dict[str, Any]:
    """A map's keys are strings: an enum's are its member's name or the digits of a value without one, integers are
    digits, GUIDs in the D format."""
    k = ALIASES.get(k, k)
    if not _scalar(k):
        return {"anyOf": [{"$ref": _ref(refs, k)}, {"type": "string", "pattern": "^-?[0-9]+$"}]}
    if k == "string":
        return {"type": "string"}
    if k == "guid":
        return {"type": "string", "format": "uuid"}
    return {"type": "string", "format": k, "pattern": "^-?[0-9]+$" if k in SIGNED else "^[0-9]+$"}


def _named_in(t: str) -> list[str]:
    """The named (non-scalar) types the type string `t` refers to."""
    if t.endswith("?"):
        return _named_in(t[:-1])
    if t.endswith("[]") or t.endswith("{}"):
        return _named_in(t[:-2])
    if m := MAP.fullmatch(t):
        return _named_in(m[1]) + _named_in(m[2])
    return [] if _scalar(t) else [t]


def _type_names(contract: Contract) -> list[str]:
    types = contract.types
    return sorted({*types.objects, *types.variants, *types.enums})


def _object(members: dict[str, str], refs: Refs) -> dict[str, Any]:
    return {"type": "object", "properties": {n: schema_of(t, refs) for n, t in members.items()},
            "required": [n for n, t in members.items() if not t.endswith("?")]}


def type_schema(contract: Contract, name: str, refs: Refs = _identity) -> dict[str, Any]:
    """The schema of a named type of the contract: an enum (its names, or a value without one as its number), a
    polymorphic type (its cases by "$type"), or an object type (unknown members are ignored on read: no
    additionalProperties: false)."""
    types = contract.types
    if name in types.enums:
        return {"anyOf": [{"type": "string", "enum": list(types.enums[name])}, {"type": "integer"}]}
    if name not in types.variants:
        return _object(types.objects.get(name, {}), refs)
    cases: list[dict[str, Any]] = []
    variants: dict[str, str] = {}
    for tag, (case, _number) in types.variants[name].items():
        if tag == "":                       # the base itself, when it is not abstract: its own members, no "$type"
            cases.append({**_object(types.objects.get(name, {}), refs), "not": {"required": ["$type"]}})
            variants[tag] = _ref(refs, name)
        else:
            discriminator = {"type": "object", "properties": {"$type": {"const": tag}}, "required": ["$type"]}
            cases.append({"allOf": [{"$ref": _ref(refs, case)}, discriminator]})
            variants[tag] = _ref(refs, case)
    return {"oneOf": cases, "x-sidecarkit-discriminator": "$type", "x-sidecarkit-variants": variants}


def _fields_of(contract: Contract, name: str) -> list[str]:
    """The types a named type's members and cases have: what `_alike` follows."""
    types = contract.types
    return [*types.objects.get(name, {}).values(), *(case for case, _ in types.variants.get(name, {}).values())]


def _ordinal(text: str) -> bytes:
    return text.encode("utf-16-be", "surrogatepass")    # .NET's ordinal order: by UTF-16 code units


class _TypeNames:
    """The keys of the named types in components.schemas: a type's own name, unless an earlier contract of the
    document already gave that name to a different type (its own shape or that of a type it reaches differs); then
    the contract's name qualifies it (`shapes.Shape`). A type two contracts define alike is written once."""

    def __init__(self, contracts: Sequence[Contract]):
        self.keys: dict[tuple[str, str], str] = {}
        taken: dict[str, Contract] = {}
        self.components: list[tuple[str, Contract, str]] = []
        done: set[str] = set()
        for c in contracts:
            if c.name in done:              # the same contract twice
                continue
            done.add(c.name)
            for name in _type_names(c):
                key = name
                if key in taken and not self._alike(taken[key], c, name):
                    key = f"{c.name}.{name}"
                self.keys[(c.name, name)] = key
                if key not in taken:
                    taken[key] = c
                    self.components.append((key, c, name))
        self.components.sort(key=lambda entry: _ordinal(entry[0]))

    @staticmethod
    def _alike(first: Contract, second: Contract, name: str) -> bool:
        seen: set[str] = set()
        pending = [name]
        while pending:
            n = pending.pop(0)
            if n in seen:
                continue
            seen.add(n)
            known = set(_type_names(first)), set(_type_names(second))
            if n not in known[0] or n not in known[1] or type_schema(first, n) != type_schema(second, n):
                return False
            for t in _fields_of(first, n):
                pending.extend(_named_in(t))
        return True

    def refs(self, contract: Contract) -> Refs:
        return lambda name: self.keys.get((contract.name, name), name)


def _errors(contract: Contract, m: Method) -> list[dict[str, Any]]:
    """The declared errors (the contract's first, then the method's), then the protocol's any call may get; only a
    method that streams can be refused for breaking a stream's rules (-32600)."""
    declared = [{"code": code, "message": message} for code, message in {**contract.errors, **m.errors}.items()]
    protocol = [{"$ref": f"#/components/errors/{name}"} for name in ERRORS
                if name != "InvalidRequest" or m.kind != "request"]
    return declared + protocol


def _content(name: str, t: str, refs: Refs) -> dict[str, Any]:
    return {"name": name, "schema": schema_of(t, refs)}


def method_object(contract: Contract, m: Method, refs: Refs = _identity) -> dict[str, Any]:
    """One method as OpenRPC's method object, with SidecarKit's extensions."""
    o: dict[str, Any] = {
        "name": m.name,
        "paramStructure": "by-name",
        "params": [{"name": n, "required": not t.endswith("?"), "schema": schema_of(t, refs)}
                   for n, t in m.params.items()],
    }
    streamed = m.kind in ("stream", "duplexStream")
    if m.kind != "notification":
        # The response that ends a stream carries how many items were sent (docs/protocol.md section 12).
        if streamed:
            o["result"] = {"name": "count", "schema": {"type": "integer", "minimum": 0}}
        else:
            o["result"] = {"name": "result", "schema": schema_of(m.result, refs) if m.result else {"type": "null"}}
        o["errors"] = _errors(contract, m)
    o["x-sidecarkit-kind"] = m.kind
    if streamed and m.result is not None:
        o["x-sidecarkit-items"] = _content("item", m.result, refs)
    if m.input is not None:
        o["x-sidecarkit-input"] = _content(m.input[0], m.input[1], refs)
    if m.progress is not None:
        o["x-sidecarkit-progress"] = _content("progress", m.progress, refs)
    if m.idempotent:
        o["x-sidecarkit-idempotent"] = True
    if m.timeout_ms is not None:
        o["x-sidecarkit-timeout-ms"] = -1 if m.timeout_ms < 0 else m.timeout_ms
    return o


def fingerprint_of(contract: Contract) -> str:
    """The fingerprint the sidecar announces: the declared one, else the C# generator's of the declaration."""
    return contract.fingerprint or contract.computed_fingerprint()


def openrpc_document(contracts: Sequence[Contract], callbacks: Sequence[Contract | tuple[str, Sequence[str]]] = (),
                     ) -> dict[str, Any]:
    """The OpenRPC document of a sidecar that serves `contracts` and calls `callbacks` on its parent (declared as
    Contracts, or as (name, method names) when only the names are known)."""
    if not contracts:
        raise ValueError("describe at least one contract")
    declared = [c for c in callbacks if isinstance(c, Contract)]
    names = _TypeNames([*contracts, *declared])

    def methods(c: Contract) -> list[dict[str, Any]]:
        return [method_object(c, m, names.refs(c)) for m in c.methods]

    def callback(c: Contract | tuple[str, Sequence[str]]) -> dict[str, Any]:
        if isinstance(c, Contract):
            return {"name": c.name, "fingerprint": fingerprint_of(c), "methods": methods(c)}
        return {"name": c[0], "fingerprint": None, "methods": [{"name": m} for m in c[1]]}

    titles = [c.name for c in contracts]
    quoted = ", ".join(f"'{n}'" for n in titles)
    return {
        "openrpc": OPENRPC_VERSION,
        "info": {
            "title": ", ".join(titles),
            "description": f"The contract{'s' if len(titles) > 1 else ''} {quoted} of a SidecarKit sidecar: JSON-RPC "
                           "2.0 on JSON lines (docs/protocol.md); the same methods on MessagePack-RPC and gRPC.",
            "version": "+".join(fingerprint_of(c) for c in contracts),
            "x-sidecarkit-protocol": PROTOCOL_VERSION,
        },
        "methods": [o for c in contracts for o in methods(c)],
        "components": {
            "schemas": {key: type_schema(c, name, names.refs(c)) for key, c, name in names.components},
            "errors": copy.deepcopy(ERRORS),
        },
        "x-sidecarkit-contracts": [{"name": c.name, "fingerprint": fingerprint_of(c)} for c in contracts],
        "x-sidecarkit-callbacks": [callback(c) for c in callbacks],
    }


def openrpc_text(doc: dict[str, Any]) -> str:
    """The document's text, indented as the C# exporter indents it; its integers (the 64-bit bounds) exact."""
    return json.dumps(doc, indent=2, ensure_ascii=False)


__all__ = ["openrpc_document", "openrpc_text", "schema_of", "type_schema", "method_object", "fingerprint_of"]
