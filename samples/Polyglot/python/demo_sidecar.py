#!/usr/bin/env python3
"""The SidecarKit demo sidecar in plain Python (standard library only, Python 3.11+).

It serves the demo contract (CONFORMANCE.md, samples/Demo/Contract/IDemo.cs) over JSON-RPC 2.0 on JSON lines on
stdio (docs/protocol.md), so a SidecarKit parent supervises it and calls it with the generated C# proxy, as
tests/EndToEnd.Tests/PythonSidecarTests.cs does. What a sidecar must do, and where it happens below:

* announce itself: the ready marker on stderr, then `lifecycle.ready` as the first line on stdout   (serve)
* read one JSON message per line; answer broken ones with -32700 / -32600                         (handle_line)
* run each request on its own thread; honour `$/cancelRequest` and `$/stream.credit`               (dispatch, run)
* take a streamed parameter: `$/input.item` up to `$/input.end`, granting `$/input.credit`          (Call.input_items)
* call the parent too: demo.work sends `demoEvents.*` and waits for the parent's answer            (call_parent)
* report progress: demo.steps sends `$/progress` notifications before its answer                  (Call.report)
* bytes: base64 strings; a Stream parameter or result is a stream of `bytes` chunks                (demo.upload/download)
* shut down on system.shutdown(_now), end of stdin, SIGTERM/SIGINT or the parent's death         (stop, serve)
* write only protocol messages on stdout, one per line, under a lock; log on stderr.
"""

import argparse
import base64
import datetime
import hashlib
import json
import math
import os
import re
import signal
import struct
import sys
import threading
import time
import traceback
import uuid

VERSION, PROTOCOL_VERSION, READY_PREFIX = "1.0.0", "1.0", "__SIDECAR_READY__:"
STREAM_WINDOW = 64            # stream items the parent accepts before it grants credit
INPUT_WINDOW = 64             # items of a streamed parameter the parent may send before we grant credit (fixed)
SHUTDOWN_TIMEOUT = 10.0       # seconds running requests may take to finish after system.shutdown or end of stdin
INT32_MIN, INT32_MAX = -2**31, 2**31 - 1
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1
CHUNK_SIZE = 64 * 1024        # a Stream result's chunks: 64 KiB each but the last (docs/protocol.md section 12a)

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
SHUTTING_DOWN, REQUEST_CANCELLED, DIVISION_BY_ZERO, DECLINED_BY_PARENT = -32004, -32800, -32010, -32011

LEVELS = {"trace": 0, "debug": 1, "information": 2, "info": 2, "warning": 3, "warn": 3, "error": 4, "critical": 5,
          "none": 6}
DEBUG, INFO, WARN, ERROR = 1, 2, 3, 4
log_level = INFO
stderr_lock = threading.Lock()


def escape(text: str) -> str:
    """The escapes of the log line form: backslash, line feed, carriage return and tab, so an entry stays one line."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def log(level: int, category: str, message: str, exc: BaseException | None = None) -> None:
    """Logs go to stderr, one line each, in the form the C# sidecars write (docs/lifecycle.md, "Sidecar logs"):
    `<lvl> <category>: <message>`, then, for an exception, a tab and its text: the first line `Type: message` as
    .NET writes it, then Python's traceback. The parent logs each entry again at its level and category."""
    if level >= log_level:
        tag = ("trce", "dbug", "info", "warn", "fail", "crit")[level]
        line = f"{tag} {category}: {escape(message)}"
        if exc is not None:
            text = f"{type(exc).__name__}: {exc}\n" + "".join(traceback.format_exception(exc)).rstrip("\n")
            line += "\t" + escape(text)
        with stderr_lock:
            print(line, file=sys.stderr, flush=True)


class RpcError(Exception):
    """Raised (by a method, a parameter check, or a cancellation) to answer with an error response."""

    def __init__(self, code: int, message: str, data=None):
        super().__init__(message)
        self.error = {"code": code, "message": message} | ({} if data is None else {"data": data})


# ---------------------------------------------------------------------------------------------- reading parameters
# Types are named as in the contract description (docs/protocol.md sections 6 and 16): "T?" is nullable (null, or an
# absent member, is None), "T[]" is an array, and an object type lists its members in wire order.
TYPES = {
    "Address": {"street": "string", "city": "string"},
    "Circle": {"name": "string", "radius": "float64"},
    "Person": {"name": "string", "age": "int32", "tags": "string[]", "address": "Address?", "born": "datetimeoffset?"},
    "Rectangle": {"name": "string", "width": "float64", "height": "float64"},
    # demo.sample's newer wire types (docs/protocol.md section 6). "T{}" is a set (HashSet<T>: duplicates dropped), which
    # is announced and written as an array, "T[]"; "map<K,T>" a JSON object whose keys are K's text.
    "Sample": {"day": "date", "at": "time", "big": "int128", "unsigned": "uint128", "ratio": "float16",
               "link": "uri", "release": "version", "tags": "string{}", "scores": "int32[]",
               "counts": "map<string,int32>", "byId": "map<int32,string>", "byGuid": "map<guid,int32>",
               "note": "string"},
}
ANNOUNCED = {"uri": "string", "version": "string"}   # Uri and Version are described as strings
# A polymorphic type: its cases by discriminator, each (the case's object type, its oneof tag in protobuf). On the wire
# an object with "$type" (the discriminator) and the case's members: {"$type": "circle", "name": "c", "radius": 2.0}.
VARIANTS = {
    "Shape": {"circle": ("Circle", 101), "rectangle": ("Rectangle", 102)},
}
SCALARS = {"int32": (int,), "int64": (int,), "float64": (int, float), "string": (str,), "datetimeoffset": (str,),
           "date": (str,), "time": (str,), "uri": (str,), "version": (str,), "float16": (int, float),
           "int128": (int, str), "uint128": (int, str),     # decimal digits, or a JSON integer within (u)long's range
           "bytes": (str,),             # base64 (standard alphabet, padded), read as the bytes it encodes
           "id": (int, str)}            # "id": how $/cancelRequest, $/stream.credit and $/input.* name a request


def check(ok: bool, where: str, problem: str) -> None:
    if not ok:
        raise RpcError(INVALID_PARAMS, f"Invalid params: {where}: {problem}.")


INT128 = {"int128": (-2**127, 2**127 - 1, "Int128", "an integer", INT64_MIN, INT64_MAX),
          "uint128": (0, 2**128 - 1, "UInt128", "a non-negative integer", 0, 2**64 - 1)}
TIME = re.compile(r"([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,7}))?)?", re.ASCII)
MAP = re.compile(r"map<(\w+),(.+)>")
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII | re.IGNORECASE)


def half(v: float, where: str) -> float:
    """v rounded to the nearest IEEE half (Half), as the shortest decimal that reads back as that half: 0.333 stays
    0.333 (not 0.333251953125), Half.MaxValue is 65500. Beyond ±65504 (rounding to infinity) is -32602."""
    if not math.isfinite(v):
        return v
    try:
        h = struct.unpack("<e", struct.pack("<e", v))[0]
    except OverflowError:
        check(False, where, f"the value {v:g} is out of range for Half")
    for digits in range(1, 18):
        shortest = float(f"{h:.{digits}g}")
        if abs(shortest) <= 65519 and struct.unpack("<e", struct.pack("<e", shortest))[0] == h:  # 65520: infinity
            return int(shortest) if shortest.is_integer() else shortest
    return h


def read_scalar(v, t: str, where: str):
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
        ok = m is not None and int(m[1]) < 24 and int(m[2]) < 60 and int(m[3] or 0) < 60
        check(ok, where, f"'{v}' is not a time of day (HH:mm:ss[.fffffff])")
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


def read_key(k: str, t: str, where: str):
    """A map's key (a JSON member name) as the key type t reads it; returned as the text it is written as."""
    if t == "int32":
        check(re.fullmatch(r"-?[0-9]+", k, re.ASCII) is not None, where, f"the key '{k}' is not an integer")
        check(INT32_MIN <= int(k) <= INT32_MAX, where, f"the value {k} is out of range for int32")
        return str(int(k))
    if t == "guid":
        check(GUID.fullmatch(k) is not None, where, f"the key '{k}' is not a GUID (D format)")
        return k.lower()
    return k


def read(v, t: str, where: str):
    """Checks the JSON value v against the contract type t and returns what the method gets; `where` names v."""
    if t.endswith("?"):
        return None if v is None else read(v, t[:-1], where)
    if t.endswith("[]") or t.endswith("{}"):
        check(v is not None, where, "must not be null")
        check(type(v) is list, where, f"expected an array, found {type(v).__name__}")
        items = [read(item, t[:-2], f"{where}[{i}]") for i, item in enumerate(v)]
        return list(dict.fromkeys(items)) if t.endswith("{}") else items     # a set keeps each item once
    if m := MAP.fullmatch(t):                   # map<K,T>: an object; a key that appears twice: the last value wins
        check(v is not None, where, "must not be null")
        check(type(v) is dict, where, f"expected an object, found {type(v).__name__}")
        return {read_key(k, m[1], where): read(item, m[2], f"{where}.{k}") for k, item in v.items()}
    if t in TYPES:
        return read_object(v, TYPES[t], where)
    if t in VARIANTS:
        return read_variant(v, t, where)
    if t in ("float64", "float16") and v in ("NaN", "Infinity", "-Infinity"):   # not JSON numbers: strings
        return float(v) if t == "float64" else v     # a float16 is only echoed (demo.sample): kept as written
    check(v is not None, where, "must not be null")
    check(type(v) in SCALARS[t], where, f"expected {t}, found {type(v).__name__}")  # type(): True is no int32
    if t in ("date", "time", "int128", "uint128", "float16", "uri", "version"):
        return read_scalar(v, t, where)
    if t == "int32":
        check(INT32_MIN <= v <= INT32_MAX, where, f"the value {v} is out of range for int32")
    if t == "int64":
        check(INT64_MIN <= v <= INT64_MAX, where, f"the value {v} is out of range for int64")
    if t == "bytes":
        try:
            return base64.b64decode(v, validate=True)
        except ValueError:
            check(False, where, "expected a base64 string")
    if t == "datetimeoffset":                   # ISO 8601, `Z` or `±hh:mm` (none: local time); written as `±hh:mm`
        try:
            value = datetime.datetime.fromisoformat(v)
        except ValueError:
            check(False, where, f"{v!r} is not an ISO 8601 date and time")
        return (value if value.tzinfo else value.astimezone()).isoformat()
    return float(v) if t == "float64" else v


def read_object(v, members: dict, where: str) -> dict:
    """An object by name, or by position (an array of its member values in order); unknown members are ignored.
    Returns every member, in order. A method's `params` are read this way too."""
    if type(v) is list:
        check(len(v) <= len(members), where, f"expected at most {len(members)} positional values")
        v = dict(zip(members, v))
    check(type(v) is dict, where, f"expected an object, found {type(v).__name__}")
    for name, t in members.items():
        check(name in v or t.endswith("?"), where, f"required member '{name}' is missing")
    return {name: read(v.get(name), t, f"{where}.{name}") for name, t in members.items()}


def read_variant(v, t: str, where: str) -> dict:
    """A value of a polymorphic type: its case named by "$type" (anywhere in the object), then that case's members.
    Returns them with "$type" first."""
    check(type(v) is dict, where, f"expected an object, found {type(v).__name__}")
    cases = VARIANTS[t]
    check("$type" in v, where, f'the value has no type discriminator ("$type"), and {t} cannot be read as itself')
    tag = v["$type"]
    check(type(tag) is str and tag in cases, where,
          f"the type discriminator {json.dumps(tag)} names no case of {t} ({', '.join(cases)})")
    return {"$type": tag, **read_object(v, TYPES[cases[tag][0]], where)}


# ---------------------------------------------------------------------------------------------- the demo contract
# Each method gets the running Call first (for cancellation and calls to the parent), then its parameters by name.

def demo_add(call, a, b):
    if not INT32_MIN <= a + b <= INT32_MAX:
        raise RpcError(INVALID_PARAMS, f"{a} + {b} overflows a 32-bit integer")
    return a + b


def demo_divide(call, dividend, divisor):
    if divisor == 0:
        raise RpcError(DIVISION_BY_ZERO, "division by zero")
    q = dividend / divisor
    return q if math.isfinite(q) else "NaN" if math.isnan(q) else "Infinity" if q > 0 else "-Infinity"


def demo_sleep(call, milliseconds):             # -1 sleeps until cancelled
    call.wait(lambda: False, None if milliseconds == -1 else max(milliseconds, 0) / 1000)  # ends early if cancelled
    return "slept"


def demo_blob(call, size):
    if size < 0:
        raise RpcError(INVALID_PARAMS, "size must not be negative")
    return base64.b64encode(bytes(i % 256 for i in range(size))).decode("ascii")   # bytes travel as base64


def demo_work(call, steps):
    for i in range(steps):
        call.check_cancelled()
        call.sidecar.notify("demoEvents.progress", {"task": "work", "percent": 100 * i // steps, **call.meta})
    confirmed = call.sidecar.call_parent(call, "demoEvents.confirm", {"question": "commit?"})
    if type(confirmed) is not bool:
        raise RpcError(INTERNAL_ERROR, f"demoEvents.confirm answered {json.dumps(confirmed)}, not a boolean.")
    if not confirmed:
        raise RpcError(DECLINED_BY_PARENT, "declined by parent")
    return steps


def demo_sum(call, values):                 # values: the streamed parameter, read as it arrives
    return sum(values)                      # an int64 on the wire: int32 items cannot overflow it in practice


def demo_chat(call, prefix, lines):         # each line back as it arrives: a stream fed by a stream
    return (prefix + line for line in lines)


def demo_steps(call, steps):               # progress: the parent's IProgress<int> gets 1 … steps, then the answer
    for i in range(1, steps + 1):
        call.check_cancelled()
        call.report(i)
    return steps


def demo_upload(call, data):                # data: a Stream parameter, its chunks (bytes) as they arrive
    sha, length = hashlib.sha256(), 0
    for chunk in data:
        sha.update(chunk)
        length += len(chunk)
    return f"{length}:{sha.hexdigest()}"


def demo_download(call, size):              # a Stream result: chunks of 64 KiB (the last shorter), byte i = i % 256
    if size < 0:
        raise RpcError(INVALID_PARAMS, "size must not be negative")
    pattern = bytes(range(256)) * (CHUNK_SIZE // 256)

    def chunks():
        for start in range(0, size, CHUNK_SIZE):   # CHUNK_SIZE is a multiple of 256: every chunk starts at byte 0
            yield base64.b64encode(pattern[:min(CHUNK_SIZE, size - start)]).decode("ascii")
    return chunks()


def demo_area(call, shape):
    if shape["$type"] == "circle":
        return math.pi * shape["radius"] * shape["radius"]
    return shape["width"] * shape["height"]


def system_ping(call):
    s = call.sidecar
    return {"status": "draining" if s.reason else "ok", "pid": os.getpid(), "instanceId": s.instance_id,
            "uptimeMs": int((time.monotonic() - s.started) * 1000), "activeRequests": s.active() - 1,  # not this one
            "version": VERSION, "protocolVersion": PROTOCOL_VERSION}


# wire name: (implementation, parameters, kind, result type or None). A "stream" method returns an iterable, whose
# items (of the result type) run() sends as $/stream.item. A "clientStream" method takes a streamed parameter (INPUTS:
# its name and item type), which it gets as an iterable of the items the parent sends; a "duplexStream" method takes
# one and returns a stream. A "notification" method (void in C#), sent as a notification, runs inline on the read loop,
# so such notifications are handled in the order they arrived. demo.exit ends the process at once (for fault tests).
METHODS = {
    "demo.add": (demo_add, {"a": "int32", "b": "int32"}, "request", "int32"),
    "demo.echo": (lambda call, person: person, {"person": "Person"}, "request", "Person"),
    "demo.divide": (demo_divide, {"dividend": "float64", "divisor": "float64"}, "request", "float64"),
    "demo.count": (lambda call, to: range(1, to + 1), {"to": "int32"}, "stream", "int32"),
    "demo.sleep": (demo_sleep, {"milliseconds": "int32"}, "request", "string"),
    "demo.blob": (demo_blob, {"size": "int32"}, "request", "bytes"),
    "demo.log": (lambda call, message: log(INFO, "demo", f"demo.log: {message}"), {"message": "string"},
                 "notification", None),
    "demo.exit": (lambda call, code: os._exit(code), {"code": "int32"}, "request", None),
    "demo.work": (demo_work, {"steps": "int32"}, "request", "int32"),
    "demo.sum": (demo_sum, {}, "clientStream", "int64"),
    "demo.chat": (demo_chat, {"prefix": "string"}, "duplexStream", "string"),
    "demo.area": (demo_area, {"shape": "Shape"}, "request", "float64"),
    "demo.steps": (demo_steps, {"steps": "int32"}, "request", "int32"),     # with progress (int32): see PROGRESS
    "demo.upload": (demo_upload, {}, "clientStream", "string"),
    "demo.download": (demo_download, {"size": "int64"}, "stream", "bytes"),
    "demo.sample": (lambda call, sample: sample, {"sample": "Sample"}, "request", "Sample"),   # read (checked): echoed
    "system.ping": (system_ping, {}, "request", "SidecarHealth"),
    "system.shutdown": (lambda call: call.sidecar.stop("shutdown"), {}, "request", None),
    "system.shutdown_now": (lambda call: call.sidecar.stop("shutdown_now", now=True), {}, "request", None),
}
INPUTS = {"demo.sum": ("values", "int32"), "demo.chat": ("lines", "string"),  # the streamed parameters
          "demo.upload": ("data", "bytes")}                                     # (a Stream: chunks of bytes)
CONTROL = {"$/cancelRequest": {"id": "id"}, "$/stream.credit": {"id": "id", "credit": "int32"}}
INPUT = ("$/input.item", "$/input.end")     # the parent's items of a streamed parameter, and their end


def fields(members: dict) -> list:
    """Parameters or members as the ready payload lists them: in order, `optional` when they may be absent."""
    return [{"name": n, "type": announced(t)} | ({"optional": True} if t.endswith("?") else {})
            for n, t in members.items()]


def announced(t: str) -> str:
    """A type as the contract description names it: a set is an array, Uri and Version are strings."""
    return (t[:-2] + "[]") if t.endswith("{}") else ANNOUNCED.get(t, t)


def method_shape(name, params, kind, result) -> dict:
    """A method as the ready payload lists it. A streamed parameter is announced apart, as "input", with its field
    number: the one after the other parameters' (what protobuf numbers it)."""
    shape = {"name": name, "kind": kind, "params": fields(params)}
    if name in INPUTS:
        input_name, input_type = INPUTS[name]
        shape["input"] = {"name": input_name, "type": input_type, "number": len(params) + 1}
    if name in PROGRESS:
        shape["progress"] = PROGRESS[name]   # what its IProgress<T> reports: announced, not a parameter
    return shape | ({"result": result} if result else {})


PROGRESS = {"demo.steps": "int32"}


def type_shape(name) -> dict:
    """A named type as the ready payload lists it; a polymorphic one has no members of its own and lists its cases
    under "variants", each with its discriminator, its type and its oneof tag as the number."""
    if name in VARIANTS:
        return {"name": name, "kind": "object", "members": [],
                "variants": [{"name": tag, "type": t, "number": n} for tag, (t, n) in VARIANTS[name].items()]}
    return {"name": name, "kind": "object", "members": fields(TYPES[name])}


# What the ready payload announces (docs/protocol.md section 14.2): the demo contract with every method's shape and
# its named types, so that the parent checks it against the contract it was built from under the compatibility rules
# (a changed parameter type fails its start, a method missing here fails at once when called). No fingerprint: that
# hash is the C# generator's; the shapes say more, and are what the parent compares. The methods the sidecar calls on
# its parent (demo.work's demoEvents.*) are announced by name under "callbacks": the parent must serve them. A name
# alone is an object with only "name" ({"name": "demoEvents.confirm"}): lifecycle.ready, which the parent reads with the
# typed codec of the announcement, takes objects (the stderr marker also takes bare strings).
CONTRACTS = [{
    "name": "demo",
    "methods": [method_shape(name, params, kind, result)
                for name, (_, params, kind, result) in METHODS.items() if name.startswith("demo.")],
    "types": [type_shape(name) for name in sorted({*TYPES, *VARIANTS})],   # by name, as SidecarKit lists them
}]
CALLBACKS = [{"name": "demoEvents", "methods": [{"name": "demoEvents.progress"}, {"name": "demoEvents.confirm"}]}]

# ---------------------------------------------------------------------------------------------- the connection

def key(id):
    return (type(id).__name__, id)              # ids match by type and value: 1 and "1" are different requests


def envelope_problem(msg: dict) -> str | None:
    """Why a message with a method is not a valid request or notification (None if it is)."""
    rules = (("jsonrpc" in msg, '"jsonrpc": "2.0" is required.'),
             (msg.get("jsonrpc") == "2.0", '"jsonrpc" must be "2.0".'),
             (type(msg.get("id")) in (int, float, str, type(None)), '"id" must be a string, a number or null.'),
             ("method" in msg, 'a message needs a "method", or exactly one of "result" and "error".'),
             (type(msg.get("method")) is str, '"method" must be a string.'),
             (type(msg.get("params", {})) in (dict, list), '"params" must be an object or an array.'),
             ("result" not in msg and "error" not in msg, 'a request must not have "result" or "error".'))
    return next((problem for ok, problem in rules if not ok), None)


def reject_constant(name):
    raise ValueError(f"{name} is not valid JSON.")   # json.loads would otherwise accept NaN and Infinity


def trace_meta(params) -> dict:
    """The trace context of params._meta (docs/observability.md), as a _meta to send along; {} when there is none."""
    meta = params.get("_meta") if isinstance(params, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("traceparent"), str):
        return {}
    return {"_meta": {k: v for k, v in meta.items() if k in ("traceparent", "tracestate") and isinstance(v, str)}}


class Call:
    """One request (or notification) from the parent while it runs. Its condition wakes the method's thread on
    cancellation, on stream credit, on an item (or the end) of its streamed parameter, and on the parent's answer to a
    call this method made."""

    def __init__(self, sidecar, msg: dict):
        self.sidecar, self.method, self.is_request, self.id = sidecar, msg["method"], "id" in msg, msg.get("id")
        self.cancelled, self.credit, self.reply = False, STREAM_WINDOW, None
        self.meta = trace_meta(msg.get("params"))   # the W3C trace context the parent sent, passed on to its callbacks
        self.changed = threading.Condition()
        # The streamed parameter (methods in INPUTS): items received and not yet read, whether $/input.end came (with
        # the parent's error, if its stream failed), and the flow control: the parent may send INPUT_WINDOW items plus
        # the credit we granted; more, or an item that cannot be read, fails the call (abort) with -32600.
        self.takes_input = self.method in INPUTS
        self.inbox, self.ended, self.end_error, self.abort = [], False, None, None
        self.allowed, self.received = INPUT_WINDOW, 0

    def wait(self, until, timeout=None) -> bool:
        """Waits until until() is true (False after the timeout); raises -32800 if the call is cancelled first."""
        with self.changed:
            done = self.changed.wait_for(lambda: self.cancelled or until(), timeout)
            self.check_cancelled()
            return done

    def check_cancelled(self):
        if self.abort:
            raise self.abort
        if self.cancelled:
            raise RpcError(REQUEST_CANCELLED, "Request cancelled")

    def cancel(self):                           # these three are called from other threads
        with self.changed:
            self.cancelled = True
            self.changed.notify_all()

    def add_credit(self, credit):
        with self.changed:
            self.credit = min(self.credit + credit, INT32_MAX)
            self.changed.notify_all()

    def report(self, item):
        """A progress report ($/progress {"id", "item"}): sent at once, so before the answer; dropped for a
        notification (docs/protocol.md section 12b)."""
        if self.is_request:
            self.sidecar.notify("$/progress", {"id": self.id, "item": item})

    def deliver(self, reply):
        with self.changed:
            self.reply = reply
            self.changed.notify_all()

    def add_input(self, raw_item):              # on the read loop: $/input.item
        with self.changed:
            if self.ended or self.abort:
                return                          # after the end (or a failure) items are ignored
            try:
                item = read(raw_item, INPUTS[self.method][1], "item")
            except RpcError as e:
                return self.fail(f"An item of the input stream of '{self.method}' could not be read: "
                                 f"{str(e).removeprefix('Invalid params: ')}")
            self.received += 1
            if self.received > self.allowed:
                return self.fail(f"The caller sent more items of the input stream of '{self.method}' than it had "
                                 f"credit for ({self.allowed}): see $/input.credit.")
            self.inbox.append(item)
            self.changed.notify_all()

    def end_input(self, error):                 # on the read loop: $/input.end, error None for a clean end
        with self.changed:
            if not self.ended:
                self.ended = True
                if error is not None:
                    self.end_error = RpcError(error.get("code", INTERNAL_ERROR), error.get("message") or "")
                self.changed.notify_all()

    def fail(self, message):                    # the parent broke the input's rules: the call ends with -32600
        self.abort = RpcError(INVALID_REQUEST, message)
        self.cancelled = True                   # wakes whatever the method waits for; check_cancelled raises abort
        log(WARN, "connection", message)
        self.changed.notify_all()

    def input_items(self):
        """The streamed parameter as the method reads it: each item as it arrives, until $/input.end (raising the
        parent's error if its stream failed). Every INPUT_WINDOW // 2 items read, the parent gets as much credit."""
        consumed = 0
        while True:
            with self.changed:
                self.wait(lambda: self.inbox or self.ended or self.abort)
                if not self.inbox:
                    if self.end_error:
                        raise self.end_error
                    return
                item = self.inbox.pop(0)
                consumed += 1
                if consumed >= INPUT_WINDOW // 2:
                    self.allowed += consumed    # counted before it is sent: the parent may use it at once
                    self.sidecar.notify("$/input.credit", {"id": self.id, "credit": consumed})
                    consumed = 0
            yield item


class Sidecar:
    def __init__(self):
        self.instance_id, self.started = uuid.uuid4().hex, time.monotonic()
        self.out_lock = threading.Lock()        # one writer at a time: each message is one whole line
        self.lock = threading.Condition()       # guards the fields below
        self.running: dict = {}                 # key(id) -> Call: the parent's requests not yet answered
        self.pending: dict = {}                 # id -> Call: our calls to the parent awaiting its answer
        self.next_id = 0
        self.reason, self.now, self.stopping = None, False, threading.Event()

    def send(self, **members):
        text = json.dumps({"jsonrpc": "2.0", **members}, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        # A lone surrogate (say, an echoed "\ud800") has no UTF-8 form: backslashreplace writes the JSON escape.
        data = text.encode("utf-8", "backslashreplace") + b"\n"
        with self.out_lock:
            try:
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
            except (OSError, ValueError):
                pass                            # the parent stopped reading; a shutdown follows

    def notify(self, method, params):
        self.send(method=method, params=params)

    def read_loop(self):
        for line in sys.stdin.buffer:           # one message per line (the last one may lack its "\n")
            try:
                self.handle_line(line)
            except Exception as e:  # noqa: BLE001 - one bad message must not end the read loop
                log(ERROR, "connection", f"Handling a message failed: {type(e).__name__}: {e}", e)
        self.stop("eof")                        # end of stdin: no more requests (and the parent may be gone)

    def handle_line(self, line: bytes):
        if not line.strip(b" \t\r\n"):
            return                              # blank lines are ignored
        try:
            msg = json.loads(line.decode("utf-8"), parse_constant=reject_constant)
        except (ValueError, RecursionError) as e:   # bad JSON or UTF-8, NaN literals, absurd nesting
            return self.send(id=None, error={"code": PARSE_ERROR, "message": f"Parse error: {e}"})
        if type(msg) is not dict:
            problem = "batches are not supported; send one message per line." if type(msg) is list \
                else "a message must be a JSON object."
            return self.send(id=None, error={"code": INVALID_REQUEST, "message": f"Invalid Request: {problem}"})
        if ("result" in msg or "error" in msg) and type(msg.get("method")) is not str:
            return self.handle_response(msg)
        if problem := envelope_problem(msg):
            id = msg.get("id") if type(msg.get("id")) in (int, float, str) else None
            return self.send(id=id, error={"code": INVALID_REQUEST, "message": f"Invalid Request: {problem}"})
        self.dispatch(msg)

    def handle_response(self, msg):
        """The parent's answer to one of our calls. Never answer a response, not even an invalid one: only log it."""
        with self.lock:
            call = self.pending.pop(msg.get("id"), None) if type(msg.get("id")) is int else None
        if call:
            call.deliver(msg)
        else:
            log(WARN, "connection", f"Ignored a response that answers no call of ours: {json.dumps(msg)[:200]}")

    def dispatch(self, msg):
        method, params, request = msg["method"], msg.get("params", {}), "id" in msg

        def refuse(code, message):              # errors about a notification are only logged
            if request:
                self.send(id=msg["id"], error={"code": code, "message": message})
            else:
                log(DEBUG, "connection", f"Notification '{method}' ignored: {message}")

        if method in CONTROL:                   # $/cancelRequest, $/stream.credit: at once, not answered on success
            try:
                args = read_object(params, CONTROL[method], method)
                check(args.get("credit", 1) > 0, method, "credit must be a positive integer")
            except RpcError as e:
                return refuse(INVALID_PARAMS, str(e))
            with self.lock:
                target = self.running.get(key(args["id"]))    # unknown or finished ids are ignored
            if target and method == "$/cancelRequest":
                target.cancel()
            elif target:
                target.add_credit(args["credit"])
            return
        if method in INPUT:                     # $/input.item, $/input.end: {"id", "item"} / {"id", "error"}
            return self.handle_input(method, params, refuse)
        if method not in METHODS:
            return refuse(METHOD_NOT_FOUND, f"Method not found: '{method}'.")
        function, members, kind, _ = METHODS[method]
        if request and self.reason and not method.startswith("system."):
            return refuse(SHUTTING_DOWN, "The sidecar is shutting down and accepts no new requests.")
        streams = {"stream": "its result", "clientStream": "its input", "duplexStream": "its input and its result"}
        if kind in streams and not (request and type(msg["id"]) in (int, str)):
            # Items carry the id, and $/stream.credit, $/input.* and $/cancelRequest must be able to name it.
            return refuse(INVALID_REQUEST, f"'{method}' streams {streams[kind]}: its request id must be an integer "
                                           "or a string.")
        try:
            args = read_object(params, members, method)
        except RpcError as e:
            return refuse(INVALID_PARAMS, str(e))
        call = Call(self, msg)
        if call.takes_input:                    # the streamed parameter is not in params: it comes as $/input.item
            args[INPUTS[method][0]] = call.input_items()
        if request:
            with self.lock:
                duplicate = self.running.setdefault(key(call.id), call) is not call
            if duplicate:                       # id null: the running request still gets its own single answer
                message = f"A request with id {json.dumps(call.id)} is already running."
                return self.send(id=None, error={"code": INVALID_REQUEST, "message": message})
        if kind == "notification" and not request:
            self.run(call, function, args, kind)
        else:
            threading.Thread(target=self.run, args=(call, function, args, kind), daemon=True).start()

    def handle_input(self, method, params, refuse):
        """An item or the end of a running request's streamed parameter; by name or by position ([id, item]). An
        error is {"code", "message"} (or [code, message]). Messages for an id that is not running are ignored."""
        member = "item" if method == "$/input.item" else "error"
        if type(params) is list:
            params = dict(zip(("id", member), params))
        if type(params) is not dict or type(params.get("id")) not in (int, str):
            return refuse(INVALID_PARAMS, f"Invalid params: {method}: expected {{\"id\": <request id>, \"{member}\": …}}.")
        error = params.get("error")
        if type(error) is list:
            error = dict(zip(("code", "message"), error))
        if member == "error" and error is not None and not (type(error) is dict and type(error.get("code", 0)) is int
                                                             and type(error.get("message", "")) in (str, type(None))):
            return refuse(INVALID_PARAMS, f"Invalid params: {method}: error must be null or {{\"code\", \"message\"}}.")
        with self.lock:
            target = self.running.get(key(params["id"]))
        if target is None or not target.takes_input:
            return
        if member == "error":
            target.end_input(error)
        elif "item" not in params:              # an item that cannot be read ends the call
            with target.changed:
                target.fail(f"An item of the input stream of '{target.method}' could not be read: "
                            "required member 'item' is missing.")
        else:
            target.add_input(params["item"])

    def run(self, call, function, args, kind):
        """Runs one method and sends its response, if it was a request."""
        try:
            if kind in ("stream", "duplexStream"):
                count = 0
                for item in function(call, **args):
                    with call.changed:          # flow control: spend one credit, or wait for $/stream.credit
                        call.wait(lambda: call.credit > 0)
                        call.credit -= 1
                    self.notify("$/stream.item", {"id": call.id, "item": item})
                    count += 1
                answer = {"result": count}      # a stream's result is the number of items sent
            else:
                answer = {"result": function(call, **args)}
        except RpcError as e:
            answer = {"error": e.error}
        except Exception as e:  # noqa: BLE001 - a bug must still answer the request
            log(ERROR, "connection", f"'{call.method}' failed: {type(e).__name__}: {e}", e)
            answer = {"error": {"code": INTERNAL_ERROR, "message": str(e), "data": {"type": type(e).__name__}}}
        if call.is_request:
            try:
                self.send(id=call.id, **answer)
            finally:
                with self.lock:
                    del self.running[key(call.id)]  # only now may the id be used again

    def call_parent(self, call, method, params):
        """Calls the parent (the connection is symmetric) and returns its result; its error is passed on as is."""
        call.reply = None
        with self.lock:
            self.next_id += 1                   # our own ids: unrelated to the parent's ids
            id = self.next_id
            self.pending[id] = call
        self.send(id=id, method=method, params={**params, **call.meta})   # the callback joins the caller's trace
        try:    # no timeout of our own: the parent's timeout on the call that got us here cancels it, and so us
            call.wait(lambda: call.reply is not None)
        except RpcError:
            self.notify("$/cancelRequest", {"id": id})   # cancelled while waiting: cancel our call too
            raise
        finally:
            with self.lock:
                self.pending.pop(id, None)
        if "error" in call.reply:
            e = call.reply["error"]
            raise RpcError(e["code"], e["message"], e.get("data"))   # (a malformed error: -32603)
        return call.reply["result"]

    def active(self) -> int:
        with self.lock:
            return len(self.running)

    def stop(self, reason, now=False):
        """Begins the shutdown; the first trigger names it. A "now" trigger (a signal, system.shutdown_now, the
        parent's death) cancels whatever runs, also when it comes during a graceful drain."""
        with self.lock:
            self.reason = self.reason or reason
            self.now = self.now or now
        self.stopping.set()

    def wait_idle(self, seconds, until=lambda: False):
        deadline = time.monotonic() + seconds
        while self.active() and time.monotonic() < deadline and not until():
            time.sleep(0.02)

    def watch_parent(self, pid):
        """SIDECAR_PARENT_PID: when that process is gone, shut down at once (no orphans), even if stdin stays open."""
        while True:
            try:
                os.kill(pid, 0)                 # signal 0: only checks that the process exists
            except ProcessLookupError:
                break
            except PermissionError:
                pass                            # it exists, owned by another user
            time.sleep(0.25)
        log(WARN, "host", f"The parent process {pid} is gone; shutting down.")
        self.stop("parent-exit", now=True)

    def serve(self, quiet_ready: bool):
        signal.signal(signal.SIGTERM, lambda *_: self.stop("sigterm", now=True))
        signal.signal(signal.SIGINT, lambda *_: self.stop("sigint", now=True))
        ready = {"version": VERSION, "protocolVersion": PROTOCOL_VERSION, "pid": os.getpid(),
                 "instanceId": self.instance_id, "transport": "jsonl", "listenInfo": None,
                 "contracts": CONTRACTS, "callbacks": CALLBACKS}
        if not quiet_ready:
            marker = READY_PREFIX + json.dumps({"status": "ok", **ready}, separators=(",", ":"))
            with stderr_lock:
                print(marker, file=sys.stderr, flush=True)
        self.notify("lifecycle.ready", ready)   # before stdin is read: always the first line on stdout
        threading.Thread(target=self.read_loop, daemon=True).start()
        parent = os.environ.get("SIDECAR_PARENT_PID", "").strip()
        if parent.isdigit() and int(parent) > 0:
            threading.Thread(target=self.watch_parent, args=(int(parent),), daemon=True).start()
        log(INFO, "host", f"Ready: demo over jsonl (pid {os.getpid()}).")

        while not self.stopping.wait(0.25):     # signal handlers run on this, the main, thread
            pass
        log(INFO, "host", f"Shutting down ({self.reason}).")
        # system.shutdown and end of stdin let running requests finish (10 s at most); then, and at once for the
        # "now" triggers, whatever still runs is cancelled and answers -32800.
        self.wait_idle(SHUTDOWN_TIMEOUT, until=lambda: self.now)
        with self.lock:
            running = list(self.running.values())
        for call in running:
            call.cancel()
        self.wait_idle(3.0)

        def last_words():
            self.notify("lifecycle.shutdown", {"reason": self.reason})
            self.out_lock.acquire()             # and keep it: nothing may follow lifecycle.shutdown
        writer = threading.Thread(target=last_words, daemon=True)
        writer.start()
        writer.join(2.0)                        # do not hang if the parent stopped reading stdout
        os._exit(0)


def main() -> None:
    global log_level
    def listing(contracts):
        return "\n".join(f"  {c['name']}: " + ", ".join(m if type(m) is str else m["name"] for m in c["methods"])
                         for c in contracts)
    parser = argparse.ArgumentParser(
        allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="The SidecarKit demo sidecar in Python: JSON-RPC 2.0 over JSON lines on stdio.",
        epilog=f"contracts (served):\n{listing(CONTRACTS)}\ncallbacks (called on the parent):\n{listing(CALLBACKS)}")
    parser.add_argument("--log-level", type=str.lower, choices=LEVELS, default="information", metavar="LEVEL",
                        help="trace, debug, information (default), warning, error, critical or none")
    parser.add_argument("--quiet-ready", action="store_true", help=f"do not write the {READY_PREFIX} line on stderr")
    args = parser.parse_args()                  # --help: usage on stdout, exit 0; a bad option: exit 2
    log_level = LEVELS[args.log_level]
    Sidecar().serve(args.quiet_ready)


if __name__ == "__main__":
    main()
