"""Framing and envelopes: JSON-RPC 2.0 on JSON lines (stdlib) and MessagePack-RPC (the optional msgpack module).

Both codecs turn bytes into messages in the JSON-RPC shape ({"jsonrpc", "id", "method", "params", "result",
"error"}), so the call engine knows one shape. MessagePack-RPC sends the protocol's own notifications by position
(docs/protocol.md appendix A); the codec names their members on the way in and places them on the way out.
"""
from __future__ import annotations

import base64
import datetime
import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import INVALID_REQUEST, MESSAGE_TOO_LARGE, PARSE_ERROR

Message = dict[str, Any]

MAX_MESSAGE_SIZE = 16 * 1024 * 1024     # bytes per JSON line, its "\n" not counted (docs/protocol.md section 15)
HEAD = 256                              # the first bytes of a dropped line kept: whose answer it was

# The positional layout of the protocol's own notifications on MessagePack-RPC.
LAYOUTS: dict[str, tuple[str, ...]] = {
    "$/stream.item": ("id", "item"), "$/stream.credit": ("id", "credit"), "$/cancelRequest": ("id",),
    "$/input.item": ("id", "item"), "$/input.credit": ("id", "credit"), "$/input.end": ("id", "error"),
    "$/progress": ("id", "item"), "lifecycle.shutdown": ("reason",),
    "lifecycle.ready": ("version", "protocolVersion", "pid", "instanceId", "transport", "listenInfo", "contracts",
                        "callbacks"),
}


@dataclass
class Malformed:
    """Input that is no message: answered with `code` (-32700 or -32600, id null). `fatal` input (bytes that are not
    MessagePack) cannot be resynchronised: the connection ends."""
    code: int
    message: str
    fatal: bool = False
    head: bytes = b""                   # a line too large: its first bytes (see answered_id)


Decoded = Message | Malformed


class Codec(Protocol):
    name: str

    def encode(self, message: Message) -> bytes: ...

    def feed(self, data: bytes) -> list[Decoded]: ...

    def finish(self) -> list[Decoded]: ...


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON.")   # json.loads would otherwise accept NaN and Infinity


def _json_default(value: Any) -> Any:
    """bytes travel as base64 in JSON, dates and times as ISO 8601 (docs/protocol.md section 6), so a value written
    for MessagePack (bin, the timestamp extension) is written for JSON too; anything else is the caller's mistake."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime.datetime):
        return (value if value.tzinfo else value.astimezone()).isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    raise TypeError(f"a value of type {type(value).__name__} cannot be sent as JSON: {value!r:.80}")


_ANSWER = re.compile(rb'\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*(\d+)\s*,\s*"(?:result|error)"')
_ITEM = re.compile(rb'\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"method"\s*:\s*"\$/(?:stream\.item|progress)"\s*,'
                   rb'\s*"params"\s*:\s*\{\s*"id"\s*:\s*(\d+)\s*[,}]')


def answered_id(head: bytes) -> int | None:
    """The id of our call that a dropped line answered (a response, a $/stream.item or $/progress), read from its first
    bytes as SidecarKit's encoders write them; None if they do not tell."""
    match = _ANSWER.match(head) or _ITEM.match(head)
    return int(match.group(1)) if match else None


class JsonLinesCodec:
    """One JSON message per line, UTF-8. A blank line is ignored; the last line may lack its "\\n". A line longer than
    `max_size` bytes is not kept: the rest of it is discarded as it arrives, and when its "\\n" comes it is reported as
    -32001 (Malformed, with its first bytes), so memory stays bounded by the limit."""
    name = "jsonl"

    def __init__(self, max_size: int = MAX_MESSAGE_SIZE) -> None:
        self.max_size = max_size
        self._buffer = bytearray()
        self._scanned = 0                       # bytes of the buffer known to hold no "\n": a long line is scanned once
        self._dropping: bytes | None = None     # the head of a line over the limit whose "\n" has not come yet

    def _too_large(self, head: bytes) -> Malformed:
        return Malformed(MESSAGE_TOO_LARGE, f"Message too large: a line may be at most {self.max_size} bytes.",
                         head=head)

    def encode(self, message: Message) -> bytes:
        text = json.dumps({"jsonrpc": "2.0", **message}, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False, default=_json_default)
        # A lone surrogate (an echoed "\ud800") has no UTF-8 form: backslashreplace writes the JSON escape.
        return text.encode("utf-8", "backslashreplace") + b"\n"

    def feed(self, data: bytes) -> list[Decoded]:
        out: list[Decoded] = []
        if self._dropping is not None:          # the rest of a line over the limit: discarded as it streams in
            end = data.find(b"\n")
            if end < 0:
                return out
            out.append(self._too_large(self._dropping))
            self._dropping = None
            data = data[end + 1:]
        self._buffer += data
        while (end := self._buffer.find(b"\n", self._scanned)) >= 0:
            if end > self.max_size:
                out.append(self._too_large(bytes(self._buffer[:min(end, HEAD)])))
                del self._buffer[:end + 1]
                self._scanned = 0
                continue
            line = bytes(self._buffer[:end])
            del self._buffer[:end + 1]
            self._scanned = 0
            if (decoded := self.decode_line(line)) is not None:
                out.append(decoded)
        if len(self._buffer) > self.max_size:   # no "\n" within the limit: keep the head, drop the rest
            self._dropping = bytes(self._buffer[:HEAD])
            self._buffer = bytearray()
        self._scanned = len(self._buffer)
        return out

    def finish(self) -> list[Decoded]:
        if self._dropping is not None:          # the input ended inside a line over the limit
            head, self._dropping = self._dropping, None
            return [self._too_large(head)]
        line, self._buffer, self._scanned = bytes(self._buffer), bytearray(), 0
        decoded = self.decode_line(line)
        return [] if decoded is None else [decoded]

    @staticmethod
    def decode_line(line: bytes) -> Decoded | None:
        if not line.strip(b" \t\r\n"):
            return None
        try:
            msg = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, RecursionError) as e:   # bad JSON or UTF-8, NaN literals, absurd nesting
            return Malformed(PARSE_ERROR, f"Parse error: {e}")
        if type(msg) is not dict:
            problem = "batches are not supported; send one message per line." if type(msg) is list \
                else "a message must be a JSON object."
            return Malformed(INVALID_REQUEST, f"Invalid Request: {problem}")
        return msg


def import_msgpack() -> Any:
    try:
        import msgpack  # type: ignore[import]
    except ImportError as e:
        raise ImportError("sidecarkit's MessagePack transports need the msgpack module: pip install "
                          "'sidecarkit[msgpack]' (Debian: apt-get install python3-msgpack)") from e
    return msgpack


class MessagePackCodec:
    """MessagePack-RPC: [0, msgid, method, params], [1, msgid, error, result], [2, method, params], one after
    another with no length prefix."""
    name = "msgpack"

    def __init__(self) -> None:
        self._msgpack = import_msgpack()
        self._unpacker = self._msgpack.Unpacker(raw=False, timestamp=3, strict_map_key=False,
                                                max_buffer_size=64 * 1024 * 1024)

    def encode(self, message: Message) -> bytes:
        if "method" in message:
            method, params = message["method"], message.get("params")
            if method in LAYOUTS and isinstance(params, dict):
                params = [params.get(name) for name in LAYOUTS[method]]
            elif params is None:
                params = []
            if "id" in message:
                frame: list[Any] = [0, message["id"], method, params]
            else:
                frame = [2, method, params]
        else:
            frame = [1, message.get("id"), message.get("error"), message.get("result")]
        data: bytes = self._msgpack.packb(frame, use_bin_type=True, datetime=True)
        return data

    def feed(self, data: bytes) -> list[Decoded]:
        self._unpacker.feed(data)
        out: list[Decoded] = []
        try:
            for obj in self._unpacker:
                out.append(self.envelope(obj))
        except (ValueError, self._msgpack.exceptions.ExtraData, self._msgpack.exceptions.FormatError,
                self._msgpack.exceptions.StackError, self._msgpack.exceptions.BufferFull) as e:
            out.append(Malformed(PARSE_ERROR, f"The input is not MessagePack: {e}", fatal=True))
        return out

    def finish(self) -> list[Decoded]:
        return []

    @staticmethod
    def envelope(obj: Any) -> Decoded:
        bad = Malformed(INVALID_REQUEST, "Invalid Request: a MessagePack-RPC message is an array [0, msgid, method, "
                                         "params], [1, msgid, error, result] or [2, method, params].")
        if type(obj) is not list or not obj or obj[0] not in (0, 1, 2):
            return bad
        kind = obj[0]
        if kind == 0 and len(obj) == 4 and type(obj[2]) is str:
            return {"jsonrpc": "2.0", "id": obj[1], "method": obj[2], "params": named(obj[2], obj[3])}
        if kind == 2 and len(obj) == 3 and type(obj[1]) is str:
            return {"jsonrpc": "2.0", "method": obj[1], "params": named(obj[1], obj[2])}
        if kind == 1 and len(obj) == 4:
            if obj[2] is not None:
                error = obj[2] if isinstance(obj[2], dict) else {"code": -32603, "message": str(obj[2])}
                return {"jsonrpc": "2.0", "id": obj[1], "error": error}
            return {"jsonrpc": "2.0", "id": obj[1], "result": obj[3]}
        return bad


def named(method: str, params: Any) -> Any:
    if method in LAYOUTS and type(params) is list:
        return dict(zip(LAYOUTS[method], params))
    return params


def codec_for(transport: str) -> Codec:
    if transport == "jsonl":
        return JsonLinesCodec()
    if transport in ("msgpack", "msgpack-unix"):
        return MessagePackCodec()
    raise ValueError(f"unknown transport {transport!r}: use 'jsonl', 'msgpack' or 'msgpack-unix'")
