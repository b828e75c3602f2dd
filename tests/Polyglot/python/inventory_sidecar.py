#!/usr/bin/env python3
"""The `inventory` test contract (tests/Evolving/README.md) served by a Python sidecar: standard library only, JSON-RPC
2.0 on JSON lines on stdio (docs/protocol.md). It mirrors tests/Evolving/Sidecar/Program.cs, the C# sidecar, so that
tests/EndToEnd.Tests/PythonCompatibilityTests.cs can pair a C# parent built against one version of the contract with
a sidecar in another language serving another, and see the parent's compatibility check work on shapes announced by
hand (no fingerprint).

Environment:
  EVOLVING_CONTRACT   v1 (default), v2 or broken: the build of `inventory` served
  EVOLVING_EVENTS     v1, v2, broken or none: the build of the callback contract `inventoryEvents` it declares
                      (default: the same as EVOLVING_CONTRACT)
  INVENTORY_ANNOUNCE  shapes (default): every method's shape and the named types; names: the method names alone

Kept small: requests on their own threads, one stream (inventory.ids) with credit, $/cancelRequest, calls to the
parent (inventoryEvents.*), system.ping/shutdown/shutdown_now, and exit at the end of stdin. The full-featured
example of a sidecar in Python is samples/Polyglot/python/demo_sidecar.py.
"""

import json
import os
import sys
import threading
import time
import uuid

BUILD = os.environ.get("EVOLVING_CONTRACT", "v1")
EVENTS = os.environ.get("EVOLVING_EVENTS", BUILD)
ANNOUNCE = os.environ.get("INVENTORY_ANNOUNCE", "shapes")
PROTOCOL_VERSION, READY_PREFIX, STREAM_WINDOW, SHUTDOWN_TIMEOUT = "1.0", "__SIDECAR_READY__:", 64, 10.0
INT32_MIN, INT32_MAX = -2**31, 2**31 - 1
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32601, -32602, -32603
SHUTTING_DOWN, REQUEST_CANCELLED = -32004, -32800


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.error = {"code": code, "message": message}


# ------------------------------------------------------------------------------------------- the three builds
# A field is (wire name, type, extra), extra holding "optional" and a pinned "number" as the ready payload writes
# them. A method is (wire name, kind, params, result type or None). Types as in docs/protocol.md section 16.

def f(name, type, **extra):
    return (name, type, extra)


SHAPES = {
    "v1": {
        "methods": [("inventory.get", "request", [f("id", "int32")], "Item"),
                    ("inventory.find", "request", [f("name", "string")], "Item[]"),
                    ("inventory.save", "request", [f("item", "Item")], "Item"),
                    ("inventory.ids", "stream", [], "int32"),
                    ("inventory.retired", "request", [], "int32")],
        "types": {"Category": ["tools", "toys"],
                  "Item": [f("id", "int32"), f("name", "string"), f("category", "Category")]},
    },
    "v2": {     # compatible: count added, retired removed, find's limit optional, Item.color optional, garden
        "methods": [("inventory.get", "request", [f("id", "int32")], "Item"),
                    ("inventory.find", "request", [f("name", "string"), f("limit", "int32", optional=True)], "Item[]"),
                    ("inventory.save", "request", [f("item", "Item")], "Item"),
                    ("inventory.ids", "stream", [], "int32"),
                    ("inventory.count", "request", [], "int32")],
        "types": {"Category": ["tools", "toys", "garden"],
                  "Item": [f("id", "int32"), f("name", "string"), f("category", "Category"),
                           f("color", "string?", optional=True)]},
    },
    "broken": {  # get's id a string, find's limit required, ids a request, Item.name field 7, Item.owner required
        "methods": [("inventory.get", "request", [f("id", "string")], "Item"),
                    ("inventory.find", "request", [f("name", "string"), f("limit", "int32")], "Item[]"),
                    ("inventory.save", "request", [f("item", "Item")], "Item"),
                    ("inventory.ids", "request", [], "int32"),
                    ("inventory.retired", "request", [], "int32")],
        "types": {"Category": ["tools", "toys"],
                  "Item": [f("id", "int32"), f("name", "string", number=7), f("category", "Category"),
                           f("owner", "string")]},
    },
}
EVENT_SHAPES = {
    "v1": [("inventoryEvents.changed", "notification", [f("id", "int32")], None)],
    "v2": [("inventoryEvents.changed", "notification", [f("id", "int32")], None),
           ("inventoryEvents.approve", "request", [f("id", "int32")], "bool")],
    "broken": [("inventoryEvents.changed", "notification", [f("id", "string")], None)],
    "none": None,
}
if BUILD not in SHAPES or EVENTS not in EVENT_SHAPES or ANNOUNCE not in ("shapes", "names"):
    print(f"unknown EVOLVING_CONTRACT '{BUILD}', EVOLVING_EVENTS '{EVENTS}' or INVENTORY_ANNOUNCE '{ANNOUNCE}'",
          file=sys.stderr, flush=True)
    sys.exit(2)
TYPES = SHAPES[BUILD]["types"]


def announce(name, methods, types):
    """One contract as the ready payload lists it (docs/protocol.md section 14.2), by hand: shapes or names alone."""
    if ANNOUNCE == "names":
        return {"name": name, "methods": [m[0] for m in methods]}

    def fields(fs):
        return [{"name": n, "type": t, **extra} for n, t, extra in fs]
    return {"name": name,
            "methods": [{"name": n, "kind": k, "params": fields(ps)} | ({"result": r} if r else {})
                        for n, k, ps, r in methods],
            "types": [{"name": n, "kind": "enum", "values": d} if type(d[0]) is str
                      else {"name": n, "kind": "object", "members": fields(d)} for n, d in types.items()]}


# ------------------------------------------------------------------------------------------- reading values

def check(ok, where, problem):
    if not ok:
        raise RpcError(INVALID_PARAMS, f"Invalid params: {where}: {problem}.")


def read(v, t, where):
    """The JSON value v checked against the type t of this build; returns it with every object member filled in."""
    if t.endswith("?"):
        return None if v is None else read(v, t[:-1], where)
    if t.endswith("[]"):
        check(type(v) is list, where, "expected an array")
        return [read(x, t[:-2], f"{where}[{i}]") for i, x in enumerate(v)]
    if t in TYPES and type(TYPES[t][0]) is str:             # an enum: its values' wire names
        check(v in TYPES[t], where, f"the value {json.dumps(v)} is not a {t} ({', '.join(TYPES[t])})")
        return v
    if t in TYPES:
        return read_fields(v, TYPES[t], where)
    check(type(v) is {"int32": int, "string": str, "bool": bool}[t], where, f"expected {t}")
    check(t != "int32" or INT32_MIN <= v <= INT32_MAX, where, f"{v} is out of range for int32")
    return v


def read_fields(v, fields, where):
    """An object (or a method's params) by name, or by position; members and extra values it does not know are
    skipped, as a reader of an older build does."""
    if type(v) is list:
        v = {name: x for (name, _, _), x in zip(fields, v)}
    check(type(v) is dict, where, "expected an object")
    for name, t, extra in fields:
        check(name in v or extra.get("optional") or t.endswith("?"), where, f"required member '{name}' is missing")
    return {name: read(v.get(name), t, f"{where}.{name}") for name, t, _ in fields if name in v or t.endswith("?")}


# ------------------------------------------------------------------------------------------- the methods
# Each gets the running Call first (for calls to the parent), then its parameters by name; as in Program.cs.

def save_v2(call, item):
    call.sidecar.notify("inventoryEvents.changed", {"id": item["id"]})
    try:    # a version 1 parent has no approve: the call fails (-32601) and the item is saved anyway
        approved = call.sidecar.call_parent(call, "inventoryEvents.approve", {"id": item["id"]})
    except RpcError:
        approved = True
    if approved is not True:
        raise RpcError(INTERNAL_ERROR, "not approved")
    return item | {"color": item.get("color") or "unpainted"}


def save_v1(call, item):
    call.sidecar.notify("inventoryEvents.changed", {"id": item["id"]})
    return item


IMPLEMENTATIONS = {
    "v1": {
        "inventory.get": lambda call, id: {"id": id, "name": f"item{id}", "category": "tools"},
        "inventory.find": lambda call, name: [{"id": i, "name": name, "category": "toys"} for i in (1, 2, 3)],
        "inventory.save": save_v1,
        "inventory.ids": lambda call: iter((1, 2, 3)),
        "inventory.retired": lambda call: 42,
    },
    "v2": {     # item 3 is in the category version 1 does not know
        "inventory.get": lambda call, id: {"id": id, "name": f"item{id}", "category": "garden" if id == 3 else "tools",
                                           "color": "red"},
        "inventory.find": lambda call, name, limit=10: [{"id": i, "name": name, "category": "toys", "color": None}
                                                        for i in range(1, min(limit, 5) + 1)],
        "inventory.save": save_v2,
        "inventory.ids": lambda call: iter((1, 2, 3)),
        "inventory.count": lambda call: 7,
    },
    "broken": {
        "inventory.get": lambda call, id: {"id": 1, "name": id, "category": "tools", "owner": "me"},
        "inventory.find": lambda call, name, limit: [],
        "inventory.save": lambda call, item: item,
        "inventory.ids": lambda call: 3,
        "inventory.retired": lambda call: 42,
    },
}[BUILD]
METHODS = {name: (IMPLEMENTATIONS[name], params, kind) for name, kind, params, _ in SHAPES[BUILD]["methods"]}


# ------------------------------------------------------------------------------------------- the connection

def key(id):
    return (type(id).__name__, id)          # 1 and "1" are different requests


class Call:
    """A request of the parent while it runs: cancellation, stream credit and the answer to our call wake it."""

    def __init__(self, sidecar, id):
        self.sidecar, self.id, self.cancelled, self.credit, self.reply = sidecar, id, False, STREAM_WINDOW, None
        self.changed = threading.Condition()

    def wait(self, until):
        with self.changed:
            self.changed.wait_for(lambda: self.cancelled or until())
            if self.cancelled:
                raise RpcError(REQUEST_CANCELLED, "Request cancelled")

    def update(self, **changes):            # from the read loop
        with self.changed:
            for name, value in changes.items():
                setattr(self, name, value(getattr(self, name)) if callable(value) else value)
            self.changed.notify_all()


class Sidecar:
    def __init__(self):
        self.instance_id, self.started = uuid.uuid4().hex, time.monotonic()
        self.out_lock, self.lock = threading.Lock(), threading.Lock()
        self.running, self.pending, self.next_id = {}, {}, 0
        self.reason, self.stopping = None, threading.Event()

    def send(self, **members):
        data = json.dumps({"jsonrpc": "2.0", **members}, separators=(",", ":")).encode("utf-8") + b"\n"
        with self.out_lock:
            try:
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
            except (OSError, ValueError):
                pass                        # the parent stopped reading; a shutdown follows

    def notify(self, method, params):
        self.send(method=method, params=params)

    def call_parent(self, call, method, params):
        """A request to the parent; its answer's result, or its error raised as an RpcError."""
        with self.lock:
            self.next_id += 1
            id = self.next_id
            self.pending[id] = call
        call.reply = None
        self.send(id=id, method=method, params=params)
        try:
            call.wait(lambda: call.reply is not None)
        finally:
            with self.lock:
                self.pending.pop(id, None)
        if "error" in call.reply:
            raise RpcError(call.reply["error"].get("code", INTERNAL_ERROR), call.reply["error"].get("message", ""))
        return call.reply.get("result")

    def read_loop(self):
        for line in sys.stdin.buffer:
            if line.strip():
                try:
                    self.handle(line)
                except Exception as e:  # noqa: BLE001 - one bad message must not end the read loop
                    print(f"fail connection: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        self.stop("eof")

    def handle(self, line):
        try:
            msg = json.loads(line)
        except ValueError as e:
            return self.send(id=None, error={"code": PARSE_ERROR, "message": f"Parse error: {e}"})
        if type(msg) is not dict or msg.get("jsonrpc") != "2.0":
            return self.send(id=None, error={"code": INVALID_REQUEST, "message": "Invalid Request."})
        method, id, request, params = msg.get("method"), msg.get("id"), "id" in msg, msg.get("params", {})
        if type(method) is not str:         # a response to one of our calls
            with self.lock:
                call = self.pending.get(id)
            return call.update(reply=msg) if call else None
        if method in ("$/cancelRequest", "$/stream.credit"):
            with self.lock:
                call = self.running.get(key(params.get("id"))) if type(params) is dict else None
            if call and method == "$/cancelRequest":
                call.update(cancelled=True)
            elif call and type(params.get("credit")) is int and params["credit"] > 0:
                call.update(credit=lambda c: min(c + params["credit"], INT32_MAX))
            return
        if not request:
            return                          # no notifications in this contract: ignored
        if method == "system.ping":
            return self.send(id=id, result={
                "status": "draining" if self.reason else "ok", "pid": os.getpid(), "instanceId": self.instance_id,
                "uptimeMs": int((time.monotonic() - self.started) * 1000), "activeRequests": len(self.running),
                "version": BUILD, "protocolVersion": PROTOCOL_VERSION})
        if method in ("system.shutdown", "system.shutdown_now"):
            self.send(id=id, result=None)
            return self.stop(method[len("system."):], now=method.endswith("_now"))
        if method not in METHODS:
            return self.send(id=id, error={"code": METHOD_NOT_FOUND, "message": f"Method not found: '{method}'."})
        if self.reason:
            return self.send(id=id, error={"code": SHUTTING_DOWN, "message": "The sidecar is shutting down."})
        function, fields, kind = METHODS[method]
        try:
            args = read_fields(params, fields, method)
        except RpcError as e:
            return self.send(id=id, error=e.error)
        call = Call(self, id)
        with self.lock:
            if key(id) in self.running:
                return self.send(id=None, error={"code": INVALID_REQUEST, "message": "Duplicate id."})
            self.running[key(id)] = call
        threading.Thread(target=self.run, args=(call, function, args, kind), daemon=True).start()

    def run(self, call, function, args, kind):
        try:
            if kind == "stream":            # items as $/stream.item within the credit, then the number sent
                count = 0
                for item in function(call, **args):
                    call.wait(lambda: call.credit > 0)
                    call.update(credit=lambda c: c - 1)
                    self.notify("$/stream.item", {"id": call.id, "item": item})
                    count += 1
                answer = {"result": count}
            else:
                answer = {"result": function(call, **args)}
        except RpcError as e:
            answer = {"error": e.error}
        except Exception as e:  # noqa: BLE001 - a bug still answers the request
            answer = {"error": {"code": INTERNAL_ERROR, "message": str(e), "data": {"type": type(e).__name__}}}
        self.send(id=call.id, **answer)
        with self.lock:
            del self.running[key(call.id)]

    def stop(self, reason, now=False):
        with self.lock:
            self.reason = self.reason or reason
            calls = list(self.running.values()) if now else []
        for call in calls:
            call.update(cancelled=True)
        self.stopping.set()

    def serve(self):
        ready = {"version": BUILD, "protocolVersion": PROTOCOL_VERSION, "pid": os.getpid(),
                 "instanceId": self.instance_id, "transport": "jsonl", "listenInfo": None,
                 "contracts": [announce("inventory", SHAPES[BUILD]["methods"], TYPES)]}
        if EVENT_SHAPES[EVENTS]:
            ready["callbacks"] = [announce("inventoryEvents", EVENT_SHAPES[EVENTS], {})]
        print(READY_PREFIX + json.dumps({"status": "ok", **ready}, separators=(",", ":")), file=sys.stderr, flush=True)
        self.notify("lifecycle.ready", ready)   # before stdin is read: the first line on stdout
        threading.Thread(target=self.read_loop, daemon=True).start()
        self.stopping.wait()
        deadline = time.monotonic() + SHUTDOWN_TIMEOUT   # running requests may finish; then they are cancelled
        while self.running and time.monotonic() < deadline:
            time.sleep(0.02)
        self.stop(self.reason, now=True)
        time.sleep(0.1 if self.running else 0)
        self.notify("lifecycle.shutdown", {"reason": self.reason})
        os._exit(0)


if __name__ == "__main__":
    Sidecar().serve()
