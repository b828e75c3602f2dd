"""Checking JSON values against the contract description's types (docs/protocol.md sections 6 and 16).

Types are named as the description names them: "T?" is nullable (null, or an absent member, is None), "T[]" an array,
"T{}" a set (an array whose duplicates are dropped), "map<K,T>" an object keyed by K's text, and a named type is an
object type (its members in wire order) or a polymorphic type (its cases by "$type" discriminator).
"""
from __future__ import annotations

import base64
import datetime
import json
import math
import re
import struct
from dataclasses import dataclass, field
from typing import Any

from .errors import INVALID_PARAMS, RemoteError

INT32_MIN, INT32_MAX = -2**31, 2**31 - 1
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1

SCALARS: dict[str, tuple[type, ...]] = {
    "bool": (bool,), "int8": (int,), "int16": (int,), "int32": (int,), "int64": (int,), "uint8": (int,),
    "uint16": (int,), "uint32": (int,), "uint64": (int,), "float64": (int, float), "float32": (int, float),
    "decimal": (int, float), "string": (str,), "char": (str,), "guid": (str,), "datetime": (str,),
    "timespan": (str,), "datetimeoffset": (str, datetime.datetime), "date": (str,), "time": (str,), "uri": (str,),
    "version": (str,), "float16": (int, float),
    "int128": (int, str), "uint128": (int, str),     # decimal digits, or a JSON integer within (u)long's range
    "bytes": (str, bytes),      # base64 (standard alphabet, padded) in JSON, bin in MessagePack
    "id": (int, str),           # how $/cancelRequest, $/stream.credit and $/input.* name a request
    "any": (object,),
}
RANGES = {"int8": (-2**7, 2**7 - 1), "int16": (-2**15, 2**15 - 1), "int32": (INT32_MIN, INT32_MAX),
          "int64": (INT64_MIN, INT64_MAX), "uint8": (0, 2**8 - 1), "uint16": (0, 2**16 - 1),
          "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1)}
# Uri and Version are announced as strings, a set as an array.
ANNOUNCED = {"uri": "string", "version": "string"}
INT128 = {"int128": (-2**127, 2**127 - 1, "Int128", "an integer", INT64_MIN, INT64_MAX),
          "uint128": (0, 2**128 - 1, "UInt128", "a non-negative integer", 0, 2**64 - 1)}
TIME = re.compile(r"([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,7}))?)?", re.ASCII)
MAP = re.compile(r"map<(\w+),(.+)>")
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII | re.IGNORECASE)


def check(ok: bool, where: str, problem: str) -> None:
    if not ok:
        raise RemoteError(INVALID_PARAMS, f"Invalid params: {where}: {problem}.")


def announced(t: str) -> str:
    """A type as the contract description names it, at any depth: a set is an array, Uri and Version are strings
    ("uri?" is "string?", "version[]" is "string[]", "map<string,uri{}>" is "map<string,string[]>")."""
    if t.endswith("?"):
        return announced(t[:-1]) + "?"
    if t.endswith("[]") or t.endswith("{}"):
        return announced(t[:-2]) + "[]"
    if m := MAP.fullmatch(t):
        return f"map<{m.group(1)},{announced(m.group(2))}>"
    return ANNOUNCED.get(t, t)


def half(v: float, where: str) -> float:
    """v rounded to the nearest IEEE half, as the shortest decimal that reads back as that half: 0.333 stays 0.333
    (not 0.333251953125), Half.MaxValue is 65500. Beyond ±65504 (rounding to infinity) is -32602."""
    if not math.isfinite(v):
        return v
    try:
        h: float = struct.unpack("<e", struct.pack("<e", v))[0]
    except OverflowError:
        check(False, where, f"the value {v:g} is out of range for Half")
        raise   # unreachable: check raised
    for digits in range(1, 18):
        shortest = float(f"{h:.{digits}g}")
        if abs(shortest) <= 65519 and struct.unpack("<e", struct.pack("<e", shortest))[0] == h:  # 65520: infinity
            return int(shortest) if shortest.is_integer() else shortest
    return h


@dataclass
class TypeSet:
    """The named types of a contract: object types (members in wire order) and polymorphic ones (discriminator ->
    (the case's object type, its oneof number))."""
    objects: dict[str, dict[str, str]] = field(default_factory=dict)
    variants: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)
    enums: dict[str, list[str]] = field(default_factory=dict)

    def read(self, v: Any, t: str, where: str) -> Any:
        """Checks the value v against the type t and returns what the method gets; `where` names v in errors."""
        if t.endswith("?"):
            return None if v is None else self.read(v, t[:-1], where)
        if t.endswith("[]") or t.endswith("{}"):
            check(v is not None, where, "must not be null")
            check(type(v) is list, where, f"expected an array, found {type(v).__name__}")
            items = [self.read(item, t[:-2], f"{where}[{i}]") for i, item in enumerate(v)]
            return list(dict.fromkeys(items)) if t.endswith("{}") else items     # a set keeps each item once
        if m := MAP.fullmatch(t):               # a key that appears twice: the last value wins
            check(v is not None, where, "must not be null")
            check(type(v) is dict, where, f"expected an object, found {type(v).__name__}")
            return {self.read_key(k, m[1], where): self.read(item, m[2], f"{where}.{k}") for k, item in v.items()}
        if t in self.objects:
            return self.read_object(v, self.objects[t], where)
        if t in self.variants:
            return self.read_variant(v, t, where)
        if t in self.enums:
            check(v in self.enums[t], where, f"{json.dumps(v)} is not a value of {t}")
            return v
        if t in ("float64", "float32", "float16") and v in ("NaN", "Infinity", "-Infinity"):
            return float(v) if t != "float16" else v      # a float16 is only echoed: kept as written
        check(v is not None, where, "must not be null")
        check(t in SCALARS, where, f"the type {t} is unknown")
        check(t == "any" or type(v) in SCALARS[t], where, f"expected {t}, found {type(v).__name__}")  # True: no int
        if t in ("date", "time", "int128", "uint128", "float16", "uri", "version"):
            return read_scalar(v, t, where)
        if t in RANGES:
            low, high = RANGES[t]
            check(low <= v <= high, where, f"the value {v} is out of range for {t}")
        if t == "bytes":
            if type(v) is bytes:
                return v
            try:
                return base64.b64decode(v, validate=True)
            except ValueError:
                check(False, where, "expected a base64 string")
        if t == "datetimeoffset" and isinstance(v, datetime.datetime):
            return v                            # MessagePack's timestamp extension
        if t == "datetimeoffset":               # ISO 8601, `Z` or `±hh:mm` (none: local time); written as `±hh:mm`
            try:
                value = datetime.datetime.fromisoformat(v)
            except ValueError:
                check(False, where, f"{v!r} is not an ISO 8601 date and time")
                raise
            return (value if value.tzinfo else value.astimezone()).isoformat()
        return float(v) if t in ("float64", "float32") else v

    @staticmethod
    def read_key(k: str, t: str, where: str) -> str:
        """A map's key (a JSON member name) as the key type t reads it; returned as the text it is written as."""
        if isinstance(k, int) and not isinstance(k, bool):
            k = str(k)                          # MessagePack keys integer maps by integers
        if t in RANGES:
            check(re.fullmatch(r"-?[0-9]+", k, re.ASCII) is not None, where, f"the key '{k}' is not an integer")
            low, high = RANGES[t]
            check(low <= int(k) <= high, where, f"the value {k} is out of range for {t}")
            return str(int(k))
        if t == "guid":
            check(GUID.fullmatch(k) is not None, where, f"the key '{k}' is not a GUID (D format)")
            return k.lower()
        return k

    def read_object(self, v: Any, members: dict[str, str], where: str) -> dict[str, Any]:
        """An object by name, or by position (an array of its member values in order); unknown members are ignored.
        Returns every member, in order. A method's params are read this way too."""
        if type(v) is list:
            check(len(v) <= len(members), where, f"expected at most {len(members)} positional values")
            v = dict(zip(members, v))
        check(type(v) is dict, where, f"expected an object, found {type(v).__name__}")
        for name, t in members.items():
            check(name in v or t.endswith("?"), where, f"required member '{name}' is missing")
        return {name: self.read(v.get(name), t, f"{where}.{name}") for name, t in members.items()}

    def read_variant(self, v: Any, t: str, where: str) -> dict[str, Any]:
        """A value of a polymorphic type: its case named by "$type", then that case's members ("$type" first)."""
        check(type(v) is dict, where, f"expected an object, found {type(v).__name__}")
        cases = self.variants[t]
        check("$type" in v, where, f'the value has no type discriminator ("$type"), and {t} cannot be read as itself')
        tag = v["$type"]
        check(type(tag) is str and tag in cases, where,
              f"the type discriminator {json.dumps(tag)} names no case of {t} ({', '.join(cases)})")
        return {"$type": tag, **self.read_object(v, self.objects[cases[tag][0]], where)}

    def shapes(self) -> list[dict[str, Any]]:
        """The named types as the ready payload lists them, by name."""
        out: list[dict[str, Any]] = []
        for name in sorted({*self.objects, *self.variants, *self.enums}):
            if name in self.variants:
                out.append({"name": name, "kind": "object", "members": [],
                            "variants": [{"name": tag, "type": case, "number": n}
                                         for tag, (case, n) in self.variants[name].items()]})
            elif name in self.enums:
                out.append({"name": name, "kind": "enum", "values": list(self.enums[name])})
            else:
                out.append({"name": name, "kind": "object", "members": fields(self.objects[name])})
        return out


def fields(members: dict[str, str]) -> list[dict[str, Any]]:
    """Parameters or members as the ready payload lists them: in order, `optional` when they may be absent."""
    return [{"name": n, "type": announced(t)} | ({"optional": True} if t.endswith("?") else {})
            for n, t in members.items()]


def read_scalar(v: Any, t: str, where: str) -> Any:
    """The newer wire types: date, time, int128/uint128, float16, Uri, Version (written as the C# side writes them)."""
    if t == "date":                             # exactly yyyy-MM-dd
        ok = re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", v, re.ASCII) is not None
        try:
            ok = ok and datetime.date.fromisoformat(v).year >= 1
        except ValueError:
            ok = False
        check(ok, where, f"'{v}' is not a date (yyyy-MM-dd)")
        return v
    if t == "time":                             # HH:mm[:ss[.f…]], written HH:mm:ss and the fraction only as needed
        m = TIME.fullmatch(v)
        check(m is not None and int(m[1]) < 24 and int(m[2]) < 60 and int(m[3] or 0) < 60, where,
              f"'{v}' is not a time of day (HH:mm:ss[.fffffff])")
        assert m is not None
        fraction = (m[4] or "").rstrip("0")
        return f"{m[1]}:{m[2]}:{m[3] or '00'}" + (f".{fraction}" if fraction else "")
    if t in INT128:                             # a string of decimal digits (no +, no exponent, no spaces), or an int
        low, high, name, what, int_low, int_high = INT128[t]
        if type(v) is int:
            check(int_low <= v <= int_high, where, f"the value {v} is out of range for {name}")
            return str(v)
        ok = re.fullmatch(r"-?[0-9]+", v, re.ASCII) is not None and low <= int(v) <= high
        check(ok, where, f"'{v}' is not {what} within {name}'s range")
        return str(int(v))
    if t == "float16":
        return half(float(v), where)
    if t == "version":                          # major.minor[.build[.revision]], each within int32
        ok = re.fullmatch(r"[0-9]+(\.[0-9]+){1,3}", v, re.ASCII) is not None
        check(ok and all(int(part) <= INT32_MAX for part in v.split(".")), where,
              f"'{v}' is not a version (major.minor[.build[.revision]])")
        return v
    return v                                    # a Uri: as given (absolute or relative)
