#!/usr/bin/env python3
"""The SidecarKit demo sidecar, in plain Python (standard library only, Python 3.11+).

It serves the demo contract of CONFORMANCE.md over JSON-RPC 2.0 on JSON lines on stdio, exactly as the C# demo
sidecar (samples/Demo/Sidecar) does on the wire, so that a SidecarKit parent can supervise it and call it with the
same generated C# proxy:

    /usr/bin/python3 samples/Polyglot/python/demo_sidecar.py [--quiet-ready] [--log-level LEVEL]

From C#, start it like any sidecar and use the generated proxy of IDemo:

    var options = new SidecarProcessOptions { Name = "py-demo", FileName = "/usr/bin/python3" }.UseJsonLines();
    options.Arguments.Add("samples/Polyglot/python/demo_sidecar.py");
    options.Callbacks.AddContract<IDemoEvents>(myEvents);       // demo.work calls back demoEvents.*
    await using SidecarProcess sidecar = await SidecarProcess.StartAsync(options);
    IDemo demo = sidecar.GetClient<IDemo>();                    // checks the contract fingerprint

The wire protocol is docs/protocol.md. The parts that matter most for a parent:

* the ready marker ``__SIDECAR_READY__:{json}`` on stderr, then ``lifecycle.ready`` as the first line on stdout;
* requests run concurrently (one thread each), so a slow ``demo.sleep`` never holds back a ``demo.add``;
  ``$/cancelRequest`` cancels one (answered -32800); streams honour ``$/stream.credit`` (window of 64 items);
* ``system.ping`` / ``system.shutdown`` / ``system.shutdown_now``; end of stdin, SIGTERM/SIGINT and the death of
  the process named by ``SIDECAR_PARENT_PID`` (docs/lifecycle.md) also shut down; every shutdown ends with the
  ``lifecycle.shutdown`` notification and exit code 0;
* stdout carries protocol messages only; logs go to stderr as ``<level> <category>: <message>``.

The error messages follow the C# implementation byte for byte where the documentation gives them, including the
System.Text.Json reader's parse-error texts and the byte offsets in -32602 messages; that is why this file carries a
small JSON reader of its own instead of using the json module.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import os
import re
import signal
import sys
import threading
import time
import unicodedata
import uuid

# ====================================================================================================== constants

VERSION = "1.0.0"              # the version the C# demo sidecar announces (its assembly's default version)
PROTOCOL_VERSION = "1.0"
TRANSPORT = "jsonl"
READY_PREFIX = "__SIDECAR_READY__:"

# The fingerprint of the C# demo contract (samples/Demo/Contract/IDemo.cs), taken from
#     dotnet samples/Demo/Sidecar/bin/Release/net10.0/SidecarKit.Samples.Demo.Sidecar.dll --describe json
# It MUST equal the fingerprint generated for the C# contract: the SidecarKit parent compares the fingerprint in the
# ready payload with the one its proxy was built from, and refuses to create a client when they differ (the two sides
# would disagree on the wire shape). It is the 64-bit FNV-1a hash of DESCRIPTION without its "fingerprint" member
# (docs/protocol.md section 16); tests/Polyglot/python/test_python_sidecar.py recomputes it. If the C# contract
# changes, copy the new --describe output into DESCRIPTION and the new fingerprint here, and update the methods.
DEMO_FINGERPRINT = "a2a38f11c559a891"

# The contract description, verbatim from the C# demo sidecar's --describe json (one contract object).
DESCRIPTION = (
    '{"contract":"demo","fingerprint":"a2a38f11c559a891","methods":['
    '{"name":"demo.add","kind":"request","params":[{"name":"a","type":"int32"},{"name":"b","type":"int32"}],"result":"int32"},'
    '{"name":"demo.echo","kind":"request","params":[{"name":"person","type":"Person"}],"result":"Person"},'
    '{"name":"demo.divide","kind":"request","params":[{"name":"dividend","type":"float64"},{"name":"divisor","type":"float64"}],"result":"float64"},'
    '{"name":"demo.count","kind":"stream","params":[{"name":"to","type":"int32"}],"items":"int32"},'
    '{"name":"demo.sleep","kind":"request","params":[{"name":"milliseconds","type":"int32"}],"result":"string"},'
    '{"name":"demo.blob","kind":"request","params":[{"name":"size","type":"int32"}],"result":"bytes"},'
    '{"name":"demo.log","kind":"notification","params":[{"name":"message","type":"string"}]},'
    '{"name":"demo.exit","kind":"request","params":[{"name":"code","type":"int32"}]},'
    '{"name":"demo.work","kind":"request","params":[{"name":"steps","type":"int32"}],"result":"int32"}],'
    '"types":{"Address":{"kind":"object","members":[{"name":"street","type":"string","required":true},'
    '{"name":"city","type":"string","required":true}]},'
    '"Person":{"kind":"object","members":[{"name":"name","type":"string","required":true},'
    '{"name":"age","type":"int32","required":true},{"name":"tags","type":"string[]","required":true},'
    '{"name":"address","type":"Address?"},{"name":"born","type":"datetimeoffset?"}]}}}'
)

MAX_MESSAGE_SIZE = 16 * 1024 * 1024   # bytes per line, not counting the \n
MAX_DEPTH = 64                        # levels of arrays/objects, the envelope counting as one
MAX_CONCURRENT_REQUESTS = 4096        # requests from the parent running at once (system.* exempt)
STREAM_WINDOW = 64                    # stream items sent without credit
CALL_TIMEOUT = 30.0                   # seconds this side waits for the parent to answer one of its calls
SHUTDOWN_TIMEOUT = 10.0               # seconds running requests may take to finish after system.shutdown / EOF
PARENT_PID_VARIABLE = "SIDECAR_PARENT_PID"   # set by the SidecarKit parent: the sidecar exits when that process is gone
WATCHDOG_INTERVAL = 0.25              # seconds between two checks of the parent
INT32_MIN, INT32_MAX = -2**31, 2**31 - 1
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1

# JSON-RPC and SidecarKit error codes (docs/protocol.md section 8).
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
MESSAGE_TOO_LARGE = -32001
NESTING_TOO_DEEP = -32002
SERVER_BUSY = -32003
SHUTTING_DOWN = -32004
REQUEST_CANCELLED = -32800
DIVISION_BY_ZERO = -32010
DECLINED_BY_PARENT = -32011

# ====================================================================================================== logging

_LEVELS = {"trace": 0, "debug": 1, "info": 2, "information": 2, "warn": 3, "warning": 3, "error": 4,
           "critical": 5, "none": 6}
_LEVEL_TAGS = ("trce", "dbug", "info", "warn", "fail", "crit")
TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL, NONE = range(7)


class Log:
    """Writes `<level> <category>: <message>` lines to stderr, one per entry (the C# StderrLogger's format)."""

    minimum = INFO
    _lock = threading.Lock()

    @classmethod
    def write(cls, level: int, category: str, message: str) -> None:
        if level < cls.minimum or level >= NONE:
            return
        line = f"{_LEVEL_TAGS[level]} {category}: {message.replace(chr(10), ' ').replace(chr(13), ' ')}\n"
        cls.raw(line)

    @classmethod
    def raw(cls, text: str) -> None:
        with cls._lock:
            try:
                sys.stderr.buffer.write(text.encode("utf-8", "replace"))
                sys.stderr.buffer.flush()
            except (OSError, ValueError):
                pass


HOST, CONNECTION, DEMO = "SidecarKit.Host", "SidecarKit.Connection", "demo"

# ====================================================================================================== errors


class JsonReaderError(Exception):
    """A syntax error, with System.Text.Json's message and position."""

    def __init__(self, text: str, position: int):
        super().__init__(f"{text} LineNumber: 0 | BytePositionInLine: {position}.")


class PlainJsonError(Exception):
    """A JsonException with a plain message (the envelope reader's own)."""


class InvalidOperation(Exception):
    """What System.Text.Json throws when a string cannot be decoded (invalid UTF-8, unpaired surrogate escapes)."""


class WireFormatError(Exception):
    """A value does not match the expected type: answered -32602 `Invalid params for '<method>': <message>`."""


class RpcError(Exception):
    """An error response with this code, message and (already serialized) data."""

    def __init__(self, code: int, message: str, data_json: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data_json = data_json


class InternalError(Exception):
    """An unexpected failure: answered -32603 with data {"type": dotnet_type}, the C# exception it stands for."""

    def __init__(self, message: str, dotnet_type: str):
        super().__init__(message)
        self.message = message
        self.dotnet_type = dotnet_type

    @property
    def short_type(self) -> str:
        return self.dotnet_type.rsplit(".", 1)[-1]


class NoReply(Exception):
    """The reply could not be written (the C# side logs it at debug level and sends nothing)."""


class Cancelled(Exception):
    """The request was cancelled ($/cancelRequest, system.shutdown_now, SIGTERM): answered -32800."""


TRANSCODE_ERROR = "Cannot transcode invalid UTF-8 JSON text to UTF-16 string."
INCOMPLETE_UTF16 = "Cannot read incomplete UTF-16 JSON text as string with missing low surrogate."


def _invalid_utf16(value: int) -> InvalidOperation:
    return InvalidOperation(f"Cannot read invalid UTF-16 JSON text as string. Invalid surrogate value: '0x{value:02X}'.")


# ====================================================================================================== JSON writing
#
# SidecarKit writes compact JSON with System.Text.Json's UnsafeRelaxedJsonEscaping encoder: non-ASCII as raw UTF-8,
# '<' '>' '&' '\'' unescaped, but control characters, private-use and unassigned code points, U+2028/U+2029, the
# space separators other than U+0020, U+FEFF and every character outside the BMP (as a surrogate pair) escaped as
# \uXXXX with upper-case hex. Measured against the C# sidecar over the whole BMP.

# Code points that .NET 10 (Unicode 16) knows but Python 3.11's unicodedata (Unicode 14) calls unassigned.
_ASSIGNED_AFTER_UNICODE_14 = frozenset((
    0x0897, 0x0CF3, 0x0ECE, 0x1B4E, 0x1B4F, 0x1B7F, 0x1C89, 0x1C8A, 0x2427, 0x2428, 0x2429, 0x2FFC, 0x2FFD,
    0x2FFE, 0x2FFF, 0x31E4, 0x31E5, 0x31EF, 0xA7CB, 0xA7CC, 0xA7CD, 0xA7DA, 0xA7DB, 0xA7DC,
))
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_SAFE_ASCII = re.compile(r'[\x20\x21\x23-\x5b\x5d-\x7e]*\Z')
_escape_re: re.Pattern[str] | None = None
_escape_lock = threading.Lock()


def _needs_escape(cp: int) -> bool:
    if cp < 0x20 or cp in (0x22, 0x5C):
        return True
    if cp < 0x7F:
        return False
    if cp in _ASSIGNED_AFTER_UNICODE_14:
        return False
    if cp == 0xFEFF:
        return True
    category = unicodedata.category(chr(cp))
    return category in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") or (category == "Zs" and cp != 0x20)


def _build_escape_re() -> re.Pattern[str]:
    ranges: list[tuple[int, int]] = []
    for cp in range(0x10000):
        if _needs_escape(cp):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    parts = []
    for lo, hi in ranges:
        parts.append(f"\\u{lo:04x}" if lo == hi else f"\\u{lo:04x}-\\u{hi:04x}")
    parts.append("\\U00010000-\\U0010ffff")
    return re.compile("[" + "".join(parts) + "]")


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group()
    short = _SHORT_ESCAPES.get(ch)
    if short is not None:
        return short
    cp = ord(ch)
    if cp >= 0x10000:
        cp -= 0x10000
        return f"\\u{0xD800 + (cp >> 10):04X}\\u{0xDC00 + (cp & 0x3FF):04X}"
    return f"\\u{cp:04X}"


def jstr(text: str) -> str:
    """A JSON string literal, escaped the way the C# side escapes it."""
    global _escape_re
    if _SAFE_ASCII.match(text):
        return '"' + text + '"'
    if _escape_re is None:
        with _escape_lock:
            if _escape_re is None:
                _escape_re = _build_escape_re()
    return '"' + _escape_re.sub(_escape_char, text) + '"'


def format_double(value: float) -> str:
    """A double the way .NET writes it: shortest round-trip digits, E notation outside 1e-5..1e17, NaN as a string."""
    if value != value:
        return '"NaN"'
    if value in (float("inf"), float("-inf")):
        return '"Infinity"' if value > 0 else '"-Infinity"'
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    sign, digits, exponent = decimal.Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).lstrip("0") or "0"
    exponent = int(exponent)
    while len(text) > 1 and text.endswith("0"):
        text = text[:-1]
        exponent += 1
    scientific = len(text) - 1 + exponent
    minus = "-" if sign else ""
    if -5 < scientific < 17:
        if exponent >= 0:
            return minus + text + "0" * exponent
        point = len(text) + exponent
        if point > 0:
            return minus + text[:point] + "." + text[point:]
        return minus + "0." + "0" * (-point) + text
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return f"{minus}{mantissa}E{'+' if scientific >= 0 else '-'}{abs(scientific):02d}"


class Raw(str):
    """Text that is already JSON."""


def jval(value: object) -> str:
    """Compact JSON for the values this sidecar writes (dicts keep their order)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_double(value)
    if isinstance(value, str):
        return jstr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(jval(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(jstr(k) + ":" + jval(v) for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


# ====================================================================================================== JSON reading
#
# A port of the parts of System.Text.Json's Utf8JsonReader that SidecarKit uses (one complete line, no comments, no
# trailing commas, depth limit 64): the same tokens, the same Skip, the same error messages and byte positions, and the
# same lazy string decoding (a string's UTF-8 and escapes are only checked when its value is read).

NONE_T, START_OBJECT, END_OBJECT, START_ARRAY, END_ARRAY, PROPERTY_NAME, STRING, NUMBER, TRUE_T, FALSE_T, NULL_T = range(11)
_TOKEN_NAMES = ("None", "StartObject", "EndObject", "StartArray", "EndArray", "PropertyName", "String", "Number",
                "True", "False", "Null")
_WS = b" \t\r\n"
_DELIMITERS = b",}] \n\r\t/"
_ESCAPABLE = b'"nrt/ubf\\'
_HEX = b"0123456789abcdefABCDEF"
_STRING_RUN = re.compile(rb'[^"\\\x00-\x1f]*')
_WS_RUN = re.compile(rb"[ \t\r\n]*")
_DIGIT_RUN = re.compile(rb"[0-9]*")
_INT_TEXT = re.compile(rb"-?[0-9]+\Z")


def _printable(byte: int) -> str:
    return chr(byte) if 0x20 <= byte < 0x7F else f"0x{byte:02X}"


def _is_digit(byte: int) -> bool:
    return 0x30 <= byte <= 0x39


def unescape(raw: bytes) -> bytes:
    """Resolves the escapes of a JSON string's raw bytes (already validated by the reader) into UTF-8 bytes."""
    out = bytearray()
    i, n = 0, len(raw)
    while i < n:
        j = raw.find(b"\\", i)
        if j < 0:
            out += raw[i:]
            break
        out += raw[i:j]
        c = raw[j + 1]
        if c != 0x75:  # not 'u'
            out.append({0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09, 0x62: 0x08, 0x66: 0x0C}.get(c, c))
            i = j + 2
            continue
        scalar = int(raw[j + 2:j + 6], 16)
        i = j + 6
        if 0xD800 <= scalar <= 0xDFFF:
            if scalar >= 0xDC00:
                raise _invalid_utf16(scalar)
            if n < i + 6 or raw[i] != 0x5C or raw[i + 1] != 0x75:
                raise InvalidOperation(INCOMPLETE_UTF16)
            low = int(raw[i + 2:i + 6], 16)
            if not 0xDC00 <= low <= 0xDFFF:
                raise _invalid_utf16(low)
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            i += 6
        out += chr(scalar).encode("utf-8")
    return bytes(out)


class JsonReader:
    """Reads the tokens of one JSON text (bytes), like Utf8JsonReader with isFinalBlock: true."""

    __slots__ = ("buf", "n", "consumed", "token", "token_start", "vstart", "vend", "escaped", "stack",
                 "not_primitive", "max_depth")

    def __init__(self, buf: bytes, max_depth: int = MAX_DEPTH):
        self.buf = buf
        self.n = len(buf)
        self.consumed = 0
        self.token = NONE_T
        self.token_start = 0
        self.vstart = self.vend = 0
        self.escaped = False
        self.stack: list[bool] = []   # True for an object
        self.not_primitive = False
        self.max_depth = max_depth

    # --------------------------------------------------------------------------------- state

    @property
    def current_depth(self) -> int:
        depth = len(self.stack)
        return depth - 1 if self.token in (START_OBJECT, START_ARRAY) else depth

    @property
    def value(self) -> bytes:
        return self.buf[self.vstart:self.vend]

    def _fail(self, text: str, position: int) -> JsonReaderError:
        return JsonReaderError(text, position)

    # --------------------------------------------------------------------------------- Read

    def read(self) -> bool:
        buf, n = self.buf, self.n
        if self.consumed >= n:
            return self._no_more_data()
        first = buf[self.consumed]
        if first <= 0x20:
            self.consumed = _WS_RUN.match(buf, self.consumed).end()
            if self.consumed >= n:
                return self._no_more_data()
            first = buf[self.consumed]
        self.token_start = self.consumed
        token = self.token
        if token == NONE_T:
            return self._read_first_token(first)
        if first == 0x2F:  # '/': comments are not allowed
            self._consume_next_token(first)
        elif token == START_OBJECT:
            if first == 0x7D:
                self._end_object()
            else:
                if first != 0x22:
                    raise self._fail(f"'{_printable(first)}' is an invalid start of a property name. Expected a '\"'.",
                                     self.consumed)
                self._consume_property_name()
        elif token == START_ARRAY:
            if first == 0x5D:
                self._end_array()
            else:
                self._consume_value(first)
        elif token == PROPERTY_NAME:
            self._consume_value(first)
        else:
            self._consume_next_token(first)
        return True

    def _no_more_data(self) -> bool:
        if self.not_primitive:
            if self.stack:
                raise self._fail("Expected depth to be zero at the end of the JSON payload. There is an open JSON "
                                 "object or array that should be closed.", self.consumed)
            if self.token not in (END_OBJECT, END_ARRAY):
                raise self._fail(f"'{_TOKEN_NAMES[self.token]}' is an invalid token type for the end of the JSON "
                                 "payload. Expected either 'EndArray' or 'EndObject'.", self.consumed)
        return False

    def _read_first_token(self, first: int) -> bool:
        if first == 0x7B:
            self.stack.append(True)
            self.token = START_OBJECT
            self.consumed += 1
            self.not_primitive = True
            return True
        if first == 0x5B:
            self.stack.append(False)
            self.token = START_ARRAY
            self.consumed += 1
            self.not_primitive = True
            return True
        self._consume_value(first)
        self.not_primitive = self.token in (START_OBJECT, START_ARRAY)
        if self.consumed >= self.n:
            return True
        self.consumed = _WS_RUN.match(self.buf, self.consumed).end()
        if self.consumed >= self.n:
            return True
        raise self._fail(f"'{_printable(self.buf[self.consumed])}' is invalid after a single JSON value. "
                         "Expected end of data.", self.consumed)

    def _consume_value(self, marker: int) -> None:
        if marker == 0x22:
            self._consume_string()
        elif marker == 0x7B:
            self._start(True)
        elif marker == 0x5B:
            self._start(False)
        elif _is_digit(marker) or marker == 0x2D:
            self._consume_number()
        elif marker == 0x66:
            self._consume_literal(b"false", FALSE_T)
        elif marker == 0x74:
            self._consume_literal(b"true", TRUE_T)
        elif marker == 0x6E:
            self._consume_literal(b"null", NULL_T)
        else:
            raise self._fail(f"'{_printable(marker)}' is an invalid start of a value.", self.consumed)

    def _start(self, is_object: bool) -> None:
        if len(self.stack) >= self.max_depth:
            kind = "object" if is_object else "array"
            raise self._fail(f"The maximum configured depth of {self.max_depth} has been exceeded. "
                             f"Cannot read next JSON {kind}.", self.consumed)
        self.stack.append(is_object)
        self.token = START_OBJECT if is_object else START_ARRAY
        self.consumed += 1

    def _end_object(self) -> None:
        if not self.stack or not self.stack[-1]:
            raise self._fail("'}' is invalid without a matching open.", self.consumed)
        self.stack.pop()
        self.token = END_OBJECT
        self.consumed += 1

    def _end_array(self) -> None:
        if not self.stack or self.stack[-1]:
            raise self._fail("']' is invalid without a matching open.", self.consumed)
        self.stack.pop()
        self.token = END_ARRAY
        self.consumed += 1

    def _consume_next_token(self, marker: int) -> None:
        if not self.stack:
            raise self._fail(f"'{_printable(marker)}' is invalid after a single JSON value. Expected end of data.",
                             self.consumed)
        if marker == 0x2C:  # ','
            comma = self.consumed
            self.consumed += 1
            if self.consumed >= self.n:
                self.consumed = comma
                raise self._fail("Expected start of a property name or value, but instead reached end of data.", comma)
            self.consumed = _WS_RUN.match(self.buf, self.consumed).end()
            if self.consumed >= self.n:
                raise self._fail("Expected start of a property name or value, but instead reached end of data.",
                                 self.consumed)
            first = self.buf[self.consumed]
            self.token_start = self.consumed
            if self.stack[-1]:
                if first != 0x22:
                    if first == 0x7D:
                        raise self._fail("The JSON object contains a trailing comma at the end which is not supported "
                                         "in this mode. Change the reader options.", self.consumed)
                    raise self._fail(f"'{_printable(first)}' is an invalid start of a property name. Expected a '\"'.",
                                     self.consumed)
                self._consume_property_name()
            else:
                if first == 0x5D:
                    raise self._fail("The JSON array contains a trailing comma at the end which is not supported in "
                                     "this mode. Change the reader options.", self.consumed)
                self._consume_value(first)
        elif marker == 0x7D:
            self._end_object()
        elif marker == 0x5D:
            self._end_array()
        else:
            raise self._fail(f"'{_printable(marker)}' is invalid after a value. Expected either ',', '}}', or ']'.",
                             self.consumed)

    def _consume_property_name(self) -> None:
        self._consume_string()
        buf, n = self.buf, self.n
        if self.consumed >= n:
            raise self._fail("Expected a value, but instead reached end of data.", self.consumed)
        first = buf[self.consumed]
        if first <= 0x20:
            self.consumed = _WS_RUN.match(buf, self.consumed).end()
            if self.consumed >= n:
                raise self._fail("Expected a value, but instead reached end of data.", self.consumed)
            first = buf[self.consumed]
        if first != 0x3A:
            raise self._fail(f"'{_printable(first)}' is invalid after a property name. Expected a ':'.", self.consumed)
        self.consumed += 1
        self.token = PROPERTY_NAME

    def _consume_literal(self, literal: bytes, token: int) -> None:
        buf, start = self.buf, self.consumed
        if buf.startswith(literal, start):
            self.vstart, self.vend = start, start + len(literal)
            self.consumed += len(literal)
            self.token = token
            return
        available = self.n - start
        position = start + available
        for i in range(1, len(literal)):
            if available > i:
                if buf[start + i] != literal[i]:
                    position = start + i
                    break
            else:
                position = start + i
                break
        expected = {0x74: "true", 0x66: "false"}.get(buf[start], "null")
        text = buf[start:].decode("utf-8", "replace")
        raise self._fail(f"'{text}' is an invalid JSON literal. Expected the literal '{expected}'.", position)

    def _consume_string(self) -> None:
        buf, start = self.buf, self.consumed
        end = _STRING_RUN.match(buf, start + 1).end()
        if end < self.n and buf[end] == 0x22:
            self.vstart, self.vend = start + 1, end
            self.escaped = False
            self.consumed = end + 1
            self.token = STRING
            return
        if end >= self.n:
            raise self._fail("Expected end of string, but instead reached end of data.", self.n)
        self._consume_string_and_validate(start, end - start - 1)

    def _consume_string_and_validate(self, start: int, idx: int) -> None:
        data_start = start + 1
        buf, n = self.buf, self.n
        length = n - data_start
        position = start + idx + 1
        escaped_next = False
        k = idx
        done = False
        while k < length:
            c = buf[data_start + k]
            if c == 0x22:
                if not escaped_next:
                    done = True
                    break
                escaped_next = False
            elif c == 0x5C:
                escaped_next = not escaped_next
            elif escaped_next:
                if c not in _ESCAPABLE:
                    raise self._fail(f"'{_printable(c)}' is an invalid escapable character within a JSON string. "
                                     "The string should be correctly escaped.", position)
                if c == 0x75:
                    position += 1
                    complete = False
                    for j in range(k + 1, length):
                        h = buf[data_start + j]
                        if h not in _HEX:
                            raise self._fail(f"'{_printable(h)}' is not a hex digit following '\\u' within a JSON "
                                             "string. The string should be correctly escaped.", position)
                        if j - (k + 1) >= 3:
                            complete = True
                            break
                        position += 1
                    if complete:
                        k += 4
                    else:
                        k = length
                        break
                escaped_next = False
            elif c < 0x20:
                raise self._fail(f"'{_printable(c)}' is invalid within a JSON string. The string should be correctly "
                                 "escaped.", position)
            position += 1
            k += 1
        if not done:
            raise self._fail("Expected end of string, but instead reached end of data.", position)
        self.vstart, self.vend = data_start, data_start + k
        self.escaped = True
        self.consumed = data_start + k + 1
        self.token = STRING

    def _consume_number(self) -> None:
        buf, start, n = self.buf, self.consumed, self.n

        def at(i: int) -> int:
            return buf[start + i]

        length = n - start
        i = 0
        c = at(0)
        if c == 0x2D:
            i += 1
            if i >= length:
                raise self._fail("Expected a digit ('0'-'9'), but instead reached end of data.", start + i)
            c = at(i)
            if not _is_digit(c):
                raise self._fail(f"'{_printable(c)}' is invalid within a number, immediately after a sign character "
                                 "('+' or '-'). Expected a digit ('0'-'9').", start + i)
        success = False
        if c == 0x30:
            i += 1
            if i >= length:
                success = True
            else:
                c = at(i)
                if c in _DELIMITERS:
                    success = True
                elif c not in b".eE":
                    if _is_digit(c):
                        raise self._fail(f"Invalid leading zero before '{_printable(c)}'.", start + i)
                    raise self._fail(f"'{_printable(c)}' is an invalid end of a number. Expected a delimiter.", start + i)
        else:
            i = _DIGIT_RUN.match(buf, start + i + 1).end() - start
            if i >= length or at(i) in _DELIMITERS:
                success = True
            else:
                c = at(i)
                if c not in b".eE":
                    raise self._fail(f"'{_printable(c)}' is an invalid end of a number. Expected a delimiter.", start + i)
        if not success and c == 0x2E:
            i += 1
            if i >= length:
                raise self._fail("Expected a digit ('0'-'9'), but instead reached end of data.", start + i)
            c = at(i)
            if not _is_digit(c):
                raise self._fail(f"'{_printable(c)}' is invalid within a number, immediately after a decimal point "
                                 "('.'). Expected a digit ('0'-'9').", start + i)
            i = _DIGIT_RUN.match(buf, start + i + 1).end() - start
            if i >= length or at(i) in _DELIMITERS:
                success = True
            else:
                c = at(i)
                if c not in b"eE":
                    raise self._fail(f"'{_printable(c)}' is an invalid end of a number. Expected 'E' or 'e'.", start + i)
        if not success:
            i += 1
            if i >= length:
                raise self._fail("Expected a digit ('0'-'9'), but instead reached end of data.", start + i)
            c = at(i)
            if c in b"+-":
                i += 1
                if i >= length:
                    raise self._fail("Expected a digit ('0'-'9'), but instead reached end of data.", start + i)
                c = at(i)
            if not _is_digit(c):
                raise self._fail(f"'{_printable(c)}' is invalid within a number, immediately after a sign character "
                                 "('+' or '-'). Expected a digit ('0'-'9').", start + i)
            i = _DIGIT_RUN.match(buf, start + i + 1).end() - start
            if not (i >= length or at(i) in _DELIMITERS):
                raise self._fail(f"'{_printable(at(i))}' is an invalid end of a number. Expected a delimiter.", start + i)
        self.vstart, self.vend = start, start + i
        self.consumed = start + i
        self.token = NUMBER
        if self.consumed >= n and self.not_primitive:
            raise self._fail(f"'{_printable(buf[self.consumed - 1])}' is an invalid end of a number. Expected a "
                             "delimiter.", self.consumed)

    # --------------------------------------------------------------------------------- Skip and values

    def skip(self) -> None:
        if self.token == PROPERTY_NAME:
            self.read()
        if self.token in (START_OBJECT, START_ARRAY):
            depth = self.current_depth
            while True:
                self.read()
                if not depth < self.current_depth:
                    break

    def get_string(self) -> str:
        raw = self.value
        if self.escaped:
            raw = unescape(raw)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidOperation(TRANSCODE_ERROR) from None

    def value_text_equals(self, text: bytes) -> bool:
        raw = self.value
        if not self.escaped:
            return raw == text
        if len(raw) < len(text) or len(raw) // 6 > len(text):
            return False
        idx = raw.index(b"\\")
        if not text.startswith(raw[:idx]):
            return False
        return unescape(raw[idx:]) == text[idx:]

    def try_get_int64(self) -> int | None:
        raw = self.value
        if _INT_TEXT.match(raw):
            v = int(raw)
            if INT64_MIN <= v <= INT64_MAX:
                return v
        return None


# ====================================================================================================== ids and envelope


class RequestId:
    """A request id as the C# RequestId: a 64-bit integer, a string, a verbatim number, or null."""

    __slots__ = ("kind", "value")

    def __init__(self, kind: str, value: object = None):
        self.kind = kind      # "num", "str", "raw", "null"
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RequestId) and self.kind == other.kind and self.value == other.value

    def __hash__(self) -> int:
        return hash((self.kind, self.value))

    def json(self) -> str:
        if self.kind == "num":
            return str(self.value)
        if self.kind == "str":
            return jstr(self.value)  # type: ignore[arg-type]
        if self.kind == "raw":
            return self.value  # type: ignore[return-value]
        return "null"

    def __str__(self) -> str:
        if self.kind == "str":
            return f'"{self.value}"'
        if self.kind == "null":
            return "null"
        return str(self.value)


NULL_ID = RequestId("null")

K_REQUEST, K_NOTIFICATION, K_RESULT, K_ERROR, K_INVALID = range(5)   # message kinds


class Message:
    __slots__ = ("kind", "id", "method", "payload", "error_code", "error_message")

    def __init__(self, kind: int, id: RequestId | None, method: str | None = None, payload: bytes | None = None,
                 error_code: int = 0, error_message: str | None = None):
        self.kind = kind
        self.id = id              # None: no id member (or not to be answered)
        self.method = method
        self.payload = payload    # params / result / error.data, raw; None when absent
        self.error_code = error_code
        self.error_message = error_message


def parse_envelope(line: bytes) -> Message:
    """The JSON-RPC envelope of one line, checked exactly as SidecarKit's JsonRpcProtocol.ParseEnvelope checks it."""
    r = JsonReader(line)
    id_: RequestId | None = None
    method: str | None = None
    invalid: str | None = None
    has_version = has_result = has_error = False
    payload: tuple[int, int] | None = None
    error_code = 0
    error_message: str | None = None
    try:
        r.read()
        if r.token != START_OBJECT:
            batch = r.token == START_ARRAY
            r.skip()
            _ensure_end(r)
            return Message(K_INVALID, NULL_ID, None, None, INVALID_REQUEST,
                           "Invalid Request: batches are not supported; send one message per line." if batch
                           else "Invalid Request: a message must be a JSON object.")
        while r.read() and r.token == PROPERTY_NAME:
            if r.value_text_equals(b"jsonrpc"):
                r.read()
                has_version = r.token == STRING and r.value_text_equals(b"2.0")
                if not has_version and invalid is None:
                    invalid = '"jsonrpc" must be "2.0".'
                r.skip()
            elif r.value_text_equals(b"id"):
                r.read()
                if r.token == NUMBER:
                    n = r.try_get_int64()
                    id_ = RequestId("num", n) if n is not None else RequestId("raw", r.value.decode("ascii"))
                elif r.token == STRING:
                    id_ = RequestId("str", r.get_string())
                elif r.token == NULL_T:
                    id_ = NULL_ID
                else:
                    if invalid is None:
                        invalid = '"id" must be a string, a number or null.'
                    id_ = NULL_ID
                    r.skip()
            elif r.value_text_equals(b"method"):
                r.read()
                if r.token == STRING:
                    method = r.get_string()
                else:
                    if invalid is None:
                        invalid = '"method" must be a string.'
                    r.skip()
            elif r.value_text_equals(b"params"):
                r.read()
                if r.token in (START_OBJECT, START_ARRAY):
                    begin = r.token_start
                    r.skip()
                    payload = (begin, r.consumed)
                else:
                    if invalid is None:
                        invalid = '"params" must be an object or an array.'
                    r.skip()
            elif r.value_text_equals(b"result"):
                r.read()
                has_result = True
                begin = r.token_start
                r.skip()
                payload = (begin, r.consumed)
            elif r.value_text_equals(b"error"):
                r.read()
                has_error = True
                if r.token != START_OBJECT:
                    if invalid is None:
                        invalid = '"error" must be an object.'
                    r.skip()
                    continue
                while r.read() and r.token == PROPERTY_NAME:
                    if r.value_text_equals(b"code"):
                        r.read()
                        code = r.try_get_int64() if r.token == NUMBER else None
                        if code is None or not INT32_MIN <= code <= INT32_MAX:
                            if invalid is None:
                                invalid = '"error.code" must be an integer.'
                        else:
                            error_code = code
                    elif r.value_text_equals(b"message"):
                        r.read()
                        if r.token == STRING:
                            error_message = r.get_string()
                        else:
                            if invalid is None:
                                invalid = '"error.message" must be a string.'
                            r.skip()
                    elif r.value_text_equals(b"data"):
                        r.read()
                        begin = r.token_start
                        r.skip()
                        payload = (begin, r.consumed)
                    else:
                        r.read()
                        r.skip()
            else:
                r.read()
                r.skip()
        _ensure_end(r)
    except (JsonReaderError, PlainJsonError, InvalidOperation) as e:
        text = str(e)
        if r.current_depth >= MAX_DEPTH - 1 and "depth" in text.lower():
            return Message(K_INVALID, NULL_ID, None, None, NESTING_TOO_DEEP,
                           f"Message nested too deeply: the limit is {MAX_DEPTH} levels.")
        return Message(K_INVALID, NULL_ID, None, None, PARSE_ERROR, f"Parse error: {text}")

    if not has_version and invalid is None:
        invalid = '"jsonrpc": "2.0" is required.'
    body = line[payload[0]:payload[1]] if payload else None
    if invalid is None:
        if method is not None:
            if has_result or has_error:
                invalid = 'a request must not have "result" or "error".'
            else:
                return Message(K_REQUEST if id_ is not None else K_NOTIFICATION, id_, method, body)
        elif has_result == has_error:
            invalid = 'a message needs a "method", or exactly one of "result" and "error".'
        elif id_ is None:
            invalid = 'a response needs an "id".'
        elif has_result:
            return Message(K_RESULT, id_, None, body)
        elif error_message is None:
            invalid = '"error.message" is required.'
        else:
            return Message(K_ERROR, id_, None, body, error_code, error_message)
    # An invalid response is not answered (answering could loop between two peers); an invalid request is.
    answer_id = None if method is None and (has_result or has_error) else (id_ if id_ is not None else NULL_ID)
    return Message(K_INVALID, answer_id, None, None, INVALID_REQUEST, "Invalid Request: " + invalid)


def _ensure_end(r: JsonReader) -> None:
    if r.read():
        raise PlainJsonError(f"unexpected content after the message at byte {r.token_start}.")


def reserialize(payload: bytes) -> str:
    """A JSON value re-written compactly, strings re-escaped, numbers kept verbatim (JsonElement.WriteTo)."""
    r = JsonReader(payload)
    parts: list[str] = []
    counts = [0]            # values (or members) written so far in each open container
    after_name = False
    while r.read():
        t = r.token
        if t in (END_OBJECT, END_ARRAY):
            parts.append("}" if t == END_OBJECT else "]")
            counts.pop()
            continue
        if not after_name:
            if counts[-1]:
                parts.append(",")
            counts[-1] += 1
        after_name = False
        if t == PROPERTY_NAME:
            parts.append(jstr(r.get_string()) + ":")
            after_name = True
        elif t in (START_OBJECT, START_ARRAY):
            parts.append("{" if t == START_OBJECT else "[")
            counts.append(0)
        else:
            parts.append(jstr(r.get_string()) if t == STRING else r.value.decode("ascii"))
    return "".join(parts)


# ====================================================================================================== typed params


class WireReader:
    """Reads typed values from a params (or result) payload, like SidecarKit's JsonWireReader."""

    def __init__(self, payload: bytes | None):
        self.r: JsonReader | None = None
        if payload is not None:
            self.r = JsonReader(payload)
            self.r.read()

    @property
    def token(self) -> int:
        return self.r.token if self.r is not None else NONE_T

    def _expected(self, what: str) -> WireFormatError:
        token = self.token
        found = {START_OBJECT: "an object", START_ARRAY: "an array", STRING: "a string", NUMBER: "a number",
                 TRUE_T: "a Boolean", FALSE_T: "a Boolean", NULL_T: "null", NONE_T: "nothing"}.get(token, _TOKEN_NAMES[token])
        start = self.r.token_start if self.r is not None else 0
        return WireFormatError(f"expected {what}, found {found} at byte {start}.")

    def is_null(self) -> bool:
        return self.token == NULL_T

    def boolean(self) -> bool:
        if self.token == TRUE_T:
            return True
        if self.token == FALSE_T:
            return False
        raise self._expected("a Boolean")

    def int64(self) -> int:
        if self.token == NUMBER:
            value = self.r.try_get_int64()
            if value is not None:
                return value
        raise self._expected("an integer (Int64)")

    def int32(self) -> int:
        value = self.int64()
        if not INT32_MIN <= value <= INT32_MAX:
            raise WireFormatError(f"the value {value} is out of range for Int32.")
        return value

    def double(self) -> float:
        if self.token == NUMBER:
            return float(self.r.value)
        if self.token == STRING:
            for text, value in ((b"NaN", float("nan")), (b"Infinity", float("inf")), (b"-Infinity", float("-inf"))):
                if self.r.value_text_equals(text):
                    return value
        raise self._expected("a number")

    def string(self) -> str:
        if self.token == STRING:
            return self.r.get_string()
        raise self._expected("a string")

    def date_time_offset(self) -> str:
        if self.token == STRING:
            raw = self.r.value
            if 10 <= len(raw) <= (252 if self.r.escaped else 42):
                text = unescape(raw) if self.r.escaped else raw
                if len(text) <= 42:
                    parsed = parse_date_time_offset(text)
                    if parsed is not None:
                        return parsed
        raise self._expected("an ISO 8601 date-time string")

    def start_array(self) -> None:
        if self.token != START_ARRAY:
            raise self._expected("an array")

    def next_item(self) -> bool:
        self.r.read()
        return self.r.token != END_ARRAY

    def start_object(self) -> None:
        if self.token not in (START_OBJECT, START_ARRAY):
            raise self._expected("an object")

    def next_member(self, type_name: str, names: tuple[bytes, ...], index: int) -> tuple[bool, int]:
        r = self.r
        r.read()
        if r.token in (END_OBJECT, END_ARRAY):
            return False, index
        if r.token == PROPERTY_NAME:
            index = self._match(names, index)
            r.read()
            return True, index
        index += 1
        if index >= len(names):
            raise WireFormatError(f"{type_name}: expected at most {len(names)} positional values.")
        return True, index

    def _match(self, names: tuple[bytes, ...], previous: int) -> int:
        following = previous + 1
        if 0 <= following < len(names) and self.r.value_text_equals(names[following]):
            return following
        for i, name in enumerate(names):
            if i != following and self.r.value_text_equals(name):
                return i
        return -1

    def skip(self) -> None:
        self.r.skip()


def missing(type_name: str, member: str) -> WireFormatError:
    return WireFormatError(f"{type_name}: required member '{member}' is missing.")


def null_not_allowed(type_name: str, member: str) -> WireFormatError:
    return WireFormatError(f"{type_name}: member '{member}' must not be null.")


def read_members(w: WireReader, type_name: str, members: tuple[tuple[str, object, bool], ...], is_args: bool) -> list:
    """Reads an object (or positional array) of members: (name, reader function, required). Like the generated code."""
    names = tuple(m[0].encode() for m in members)
    values: list = [None] * len(members)
    have = [False] * len(members)
    if not is_args or (w.token != NONE_T and not w.is_null()):
        w.start_object()
        index = -1
        while True:
            more, index = w.next_member(type_name, names, index)
            if not more:
                break
            if 0 <= index < len(members):
                values[index] = members[index][1](w)  # type: ignore[operator]
                have[index] = True
            else:
                w.skip()
    for (name, _, required), present in zip(members, have):
        if required and not present:
            raise missing(type_name, name)
    return values


def _int32(w: WireReader) -> int:
    return w.int32()


def _double(w: WireReader) -> float:
    return w.double()


def _not_null(type_name: str, member: str, read):  # type: ignore[no-untyped-def]
    def reader(w: WireReader):  # type: ignore[no-untyped-def]
        if w.is_null():
            raise null_not_allowed(type_name, member)
        return read(w)
    return reader


def _string(w: WireReader) -> str:
    return w.string()


PERSON = "SidecarKit.Samples.Demo.Person"
ADDRESS = "SidecarKit.Samples.Demo.Address"
TAG_LIST = "System.Collections.Generic.IReadOnlyList<string>"


def _tags(w: WireReader) -> list[str]:
    w.start_array()
    tags = []
    while w.next_item():
        if w.is_null():
            raise null_not_allowed(TAG_LIST, "[item]")
        tags.append(w.string())
    return tags


def _address(w: WireReader) -> dict | None:
    if w.is_null():
        return None
    street, city = read_members(w, ADDRESS, (("street", _not_null(ADDRESS, "street", _string), True),
                                             ("city", _not_null(ADDRESS, "city", _string), True)), False)
    return {"street": street, "city": city}


def _born(w: WireReader) -> str | None:
    return None if w.is_null() else w.date_time_offset()


def _person(w: WireReader) -> dict:
    name, age, tags, address, born = read_members(w, PERSON, (
        ("name", _not_null(PERSON, "name", _string), True),
        ("age", _int32, True),
        ("tags", _not_null(PERSON, "tags", _tags), True),
        ("address", _address, False),
        ("born", _born, False),
    ), False)
    return {"name": name, "age": age, "tags": tags, "address": address, "born": born}


# --------------------------------------------------------------------------------------------- DateTimeOffset

_TICKS_PER_SECOND = 10_000_000
_TICKS_PER_DAY = 86_400 * _TICKS_PER_SECOND
_MAX_TICKS = 3_155_378_975_999_999_999   # 9999-12-31T23:59:59.9999999


def parse_date_time_offset(text: bytes) -> str | None:
    """Parses System.Text.Json's ISO 8601 subset and returns the value as .NET writes it back, or None if invalid."""
    def two(at: int) -> int | None:
        a, b = text[at:at + 2]
        return (a - 48) * 10 + (b - 48) if 48 <= a <= 57 and 48 <= b <= 57 else None

    n = len(text)
    if n < 10 or text[4] != 0x2D or text[7] != 0x2D:
        return None
    if not all(48 <= c <= 57 for c in text[0:4]):
        return None
    year = int(text[0:4])
    month, day = two(5), two(8)
    if month is None or day is None:
        return None
    hour = minute = second = fraction = 0
    offset_sign: int | None = None   # None: no offset given (local time); 0 for 'Z'
    offset_hours = offset_minutes = 0

    def parse_offset(at: int) -> bool:
        nonlocal offset_hours, offset_minutes
        rest = n - at
        if rest < 2:
            return False
        h = two(at)
        if h is None:
            return False
        offset_hours = h
        if rest == 2:
            return True
        if rest != 5 or text[at + 2] != 0x3A:
            return False
        m = two(at + 3)
        if m is None:
            return False
        offset_minutes = m
        return True

    if n > 10:
        if n < 16 or text[10] != 0x54 or text[13] != 0x3A:
            return None
        h, m = two(11), two(14)
        if h is None or m is None:
            return None
        hour, minute = h, m
        if n > 16:
            c = text[16]
            if c == 0x5A:                       # 'Z'
                if n != 17:
                    return None
                offset_sign = 0
            elif c in (0x2B, 0x2D):             # '+' '-'
                offset_sign = 1 if c == 0x2B else -1
                if not parse_offset(17):
                    return None
            elif c == 0x3A:                     # ':' seconds
                if n < 19:
                    return None
                s = two(17)
                if s is None:
                    return None
                second = s
                if n > 19:
                    c = text[19]
                    i = 20
                    if c == 0x2E:               # '.' fraction: up to 16 digits, 7 kept
                        digits = 0
                        end = min(i + 16, n)
                        while i < end and 48 <= text[i] <= 57:
                            if digits < 7:
                                fraction = fraction * 10 + text[i] - 48
                                digits += 1
                            i += 1
                        if digits == 0:
                            return None
                        fraction *= 10 ** (7 - digits)
                        if i == n:
                            c = None
                        else:
                            c = text[i]
                            i += 1
                    if c is None:
                        pass
                    elif c == 0x5A:
                        if i != n:
                            return None
                        offset_sign = 0
                    elif c in (0x2B, 0x2D):
                        offset_sign = 1 if c == 0x2B else -1
                        if not parse_offset(i):
                            return None
                    else:
                        return None
            else:
                return None

    # Validate the date and time, as System.Text.Json's TryCreateDateTime does.
    if not (1 <= year <= 9999 and 1 <= month <= 12 and hour <= 23 and minute <= 59 and second <= 59):
        return None
    try:
        date = datetime.date(year, month, day)
    except ValueError:
        return None
    local_ticks = (date.toordinal() - 1) * _TICKS_PER_DAY + ((hour * 60 + minute) * 60 + second) * _TICKS_PER_SECOND + fraction
    if offset_sign is None:
        offset = _local_offset_minutes(year, month, day, hour, minute, second)
    else:
        if offset_minutes > 59:
            return None
        offset = offset_sign * (offset_hours * 60 + offset_minutes)
        if abs(offset) > 14 * 60:
            return None
    utc_ticks = local_ticks - offset * 60 * _TICKS_PER_SECOND
    if not 0 <= utc_ticks <= _MAX_TICKS:
        return None
    text_out = (f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}")
    if fraction:
        text_out += "." + f"{fraction:07d}".rstrip("0")
    sign = "-" if offset < 0 else "+"
    return text_out + f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"


def _local_offset_minutes(year: int, month: int, day: int, hour: int, minute: int, second: int) -> int:
    """The local UTC offset at this local time (a value without an offset is read as local time)."""
    try:
        stamp = time.mktime((year, month, day, hour, minute, second, 0, 0, -1))
        local = time.localtime(stamp)
        return (local.tm_gmtoff or 0) // 60
    except (OverflowError, ValueError, OSError):
        return -time.timezone // 60


# ====================================================================================================== the connection


class PendingCall:
    """A call this side made to the parent (demoEvents.confirm), waiting for its response."""

    def __init__(self, id: int, method: str, wake: threading.Event):
        self.id = id
        self.method = method
        self.wake = wake
        self.response: Message | None = None
        self.failure: Exception | None = None


class InboundCall:
    """A request (or notification) from the parent that runs here."""

    def __init__(self, conn: "Connection", id: RequestId | None, method: str):
        self.conn = conn
        self.id = id
        self.method = method
        self.cancelled = threading.Event()
        self.wake = threading.Event()         # set on cancellation, credit, and responses to this call's own calls
        self.blocked = threading.Event()      # set when the handler first waits (notifications run inline until then)
        self.credit = STREAM_WINDOW
        self.lock = threading.Lock()
        self.after_reply = None   # run once the response was sent (system.shutdown: stop only after answering)

    def cancel(self) -> None:
        self.cancelled.set()
        self.wake.set()

    def add_credit(self, credit: int) -> None:
        with self.lock:
            room = INT32_MAX - self.credit
            if room <= 0:
                return
            self.credit += min(credit, room)
        self.wake.set()

    def take_credit(self) -> None:
        """Waits for one item of credit (the stream pauses without it), honouring cancellation."""
        while True:
            self.wake.clear()
            if self.cancelled.is_set():
                raise Cancelled()
            with self.lock:
                if self.credit > 0:
                    self.credit -= 1
                    return
            self.blocked.set()
            self.wake.wait()

    def sleep(self, seconds: float | None) -> None:
        """Waits, honouring cancellation (None: until cancelled)."""
        self.blocked.set()
        if self.cancelled.wait(seconds):
            raise Cancelled()

    def check_cancelled(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled()


class Method:
    def __init__(self, name: str, kind: str, members: tuple, implementation):  # type: ignore[no-untyped-def]
        self.name = name
        self.kind = kind            # "unary" (a result), "stream", "notification" (void; answered null as a request)
        self.members = members      # ((name, reader, required), ...)
        self.implementation = implementation


class Connection:
    """JSON-RPC over this process's stdin/stdout: the read loop, requests in threads, calls to the parent."""

    def __init__(self, methods: dict[str, Method]):
        self.methods = methods
        self.out = sys.stdout.buffer
        self.out_lock = threading.Lock()
        self.output_closed = False
        self.inbound: dict[RequestId, InboundCall] = {}
        self.inbound_lock = threading.Condition()
        self.pending: dict[int, PendingCall] = {}
        self.pending_lock = threading.Lock()
        self.next_id = 0
        self.input_closed = False
        self.accepting = True
        self.stop_lock = threading.Lock()
        self.stop_reason: str | None = None
        self.stop_event = threading.Event()
        self.urgent = threading.Event()       # cut a drain short (parent gone, or a second, urgent trigger)
        self.started = time.monotonic()
        self.pid = os.getpid()
        self.instance_id = uuid.uuid4().hex

    # ------------------------------------------------------------------------------------- writing

    def send(self, line: str) -> bool:
        data = line.encode("utf-8") + b"\n"
        with self.out_lock:
            if self.output_closed:
                return False
            try:
                self.out.write(data)
                self.out.flush()
                return True
            except (OSError, ValueError):
                self.output_closed = True
                return False

    def notify(self, method: str, params: str) -> bool:
        return self.send('{"jsonrpc":"2.0","method":' + jstr(method) + ',"params":' + params + "}")

    def send_result(self, id: RequestId, result: str) -> bool:
        return self.send('{"jsonrpc":"2.0","id":' + id.json() + ',"result":' + result + "}")

    def send_error(self, id: RequestId, code: int, message: str, data: str | None = None) -> bool:
        error = '{"code":' + str(code) + ',"message":' + jstr(message) + (',"data":' + data if data is not None else "") + "}"
        return self.send('{"jsonrpc":"2.0","id":' + id.json() + ',"error":' + error + "}")

    def reject(self, msg: Message, code: int, reason: str) -> None:
        if msg.id is not None:
            self.send_error(msg.id, code, reason)
        else:
            Log.write(WARNING, CONNECTION, f"Received an invalid message ({code}): {reason}")

    # ------------------------------------------------------------------------------------- reading

    def read_loop(self) -> None:
        stdin = sys.stdin.buffer
        try:
            while True:
                line = stdin.readline(MAX_MESSAGE_SIZE + 1)
                if not line:
                    break
                if line.endswith(b"\n"):
                    self.process_line(line[:-1])
                    continue
                if len(line) > MAX_MESSAGE_SIZE:
                    # Too long: drop the rest of the line as it streams in, and answer once its end is seen.
                    chunk = b""
                    while True:
                        chunk = stdin.readline(1 << 16)
                        if not chunk or chunk.endswith(b"\n"):
                            break
                    self.process_invalid(Message(K_INVALID, NULL_ID, None, None, MESSAGE_TOO_LARGE,
                                                 f"Message too large: a line may be at most {MAX_MESSAGE_SIZE} bytes."))
                    if not chunk:
                        break
                    continue
                self.process_line(line)   # a final line without \n
                break
        except Exception as e:  # noqa: BLE001 - the read loop must end cleanly whatever happens
            Log.write(ERROR, CONNECTION, f"The connection's read loop failed. {type(e).__name__}: {e}")
        finally:
            self.on_input_closed()

    def process_line(self, line: bytes) -> None:
        if not line.strip(b" \t\r"):
            return  # a blank line
        try:
            self.process(parse_envelope(line))
        except Exception as e:  # noqa: BLE001
            Log.write(ERROR, CONNECTION, f"Processing a message failed. {type(e).__name__}: {e}")

    def process_invalid(self, msg: Message) -> None:
        Log.write(WARNING, CONNECTION, f"Received an invalid message ({msg.error_code}): {msg.error_message}")
        if msg.id is not None:
            self.send_error(msg.id, msg.error_code, msg.error_message or "Invalid message.")

    def process(self, msg: Message) -> None:
        if msg.kind in (K_REQUEST, K_NOTIFICATION):
            method = msg.method or ""
            if method.startswith("$/") and self.process_protocol_message(msg):
                return
            if msg.kind == K_REQUEST and self.is_running(msg.id):
                # Answered with id null: the request already running with this id still gets its own, single answer.
                self.send_error(NULL_ID, INVALID_REQUEST, f"A request with id {msg.id} is already running.")
                return
            handler = self.methods.get(method)
            if handler is None:
                if msg.kind == K_REQUEST:
                    self.reject(msg, METHOD_NOT_FOUND, f"Method not found: '{method}'.")
                else:
                    Log.write(DEBUG, CONNECTION, f"Received a notification for unknown method '{method}'; ignored.")
                return
            if msg.kind == K_REQUEST and not self.accepting and not method.startswith("system."):
                self.reject(msg, SHUTTING_DOWN, "The sidecar is shutting down and accepts no new requests.")
                return
            self.dispatch(handler, msg)
        elif msg.kind in (K_RESULT, K_ERROR):
            call = None
            if msg.id is not None and msg.id.kind == "num":
                with self.pending_lock:
                    call = self.pending.pop(msg.id.value, None)  # type: ignore[arg-type]
            if call is not None:
                call.response = msg
                call.wake.set()
            elif msg.kind == K_ERROR:
                Log.write(WARNING, CONNECTION, f"Received an error response that matches no call (id {msg.id}): "
                                               f"[{msg.error_code}] {msg.error_message}")
            else:
                Log.write(DEBUG, CONNECTION, f"Received a response for unknown id {msg.id}; ignored.")
        else:
            self.process_invalid(msg)

    def process_protocol_message(self, msg: Message) -> bool:
        try:
            if msg.method == "$/cancelRequest":
                id = read_protocol_id(WireReader(msg.payload), "$/cancelRequest", ("id",))
                with self.inbound_lock:
                    call = self.inbound.get(id)
                if call is not None:
                    call.cancel()
                return True
            if msg.method == "$/stream.credit":
                w = WireReader(msg.payload)
                id, credit = None, 0
                w.start_object()
                index = -1
                while True:
                    more, index = w.next_member("$/stream.credit", (b"id", b"credit"), index)
                    if not more:
                        break
                    if index == 0:
                        id = read_request_id(w)
                    elif index == 1:
                        credit = w.int32()
                    else:
                        w.skip()
                if id is None:
                    raise missing("$/stream.credit", "id")
                if credit <= 0:
                    raise WireFormatError("credit must be a positive integer.")
                with self.inbound_lock:
                    call = self.inbound.get(id)
                if call is not None:
                    call.add_credit(credit)
                return True
            if msg.method == "$/stream.item":
                read_protocol_id(WireReader(msg.payload), "$/stream.item", ("id", "item"))
                return True   # this sidecar never calls a streamed method on its parent
            return False
        except (WireFormatError, InvalidOperation) as e:
            self.reject(msg, INVALID_PARAMS, f"Invalid params for '{msg.method}': {e}")
            return True

    def is_running(self, id: RequestId | None) -> bool:
        with self.inbound_lock:
            return id in self.inbound

    # ------------------------------------------------------------------------------------- running requests

    def dispatch(self, handler: Method, msg: Message) -> None:
        if handler.kind == "stream":
            if msg.id is None:
                Log.write(WARNING, CONNECTION, f"'{handler.name}' returns a stream and cannot be sent as a "
                                               "notification; ignored.")
                return
            if msg.id.kind == "raw":
                self.reject(msg, INVALID_REQUEST, f"'{handler.name}' streams its result: its request id must be an "
                                                  "integer or a string.")
                return
        try:
            args = read_members(WireReader(msg.payload), handler.name, handler.members, True)
        except (WireFormatError, InvalidOperation) as e:
            self.reject(msg, INVALID_PARAMS, f"Invalid params for '{handler.name}': {e}")
            return
        call = InboundCall(self, msg.id, handler.name)
        if msg.id is not None:
            with self.inbound_lock:
                busy = len(self.inbound) >= MAX_CONCURRENT_REQUESTS and not handler.name.startswith("system.")
                duplicate = not busy and msg.id in self.inbound
                if not busy and not duplicate:
                    self.inbound[msg.id] = call
            if busy:
                self.send_error(msg.id, SERVER_BUSY, f"Too many concurrent requests (limit {MAX_CONCURRENT_REQUESTS}).")
                return
            if duplicate:
                self.send_error(NULL_ID, INVALID_REQUEST, f"A request with id {msg.id} is already running.")
                return
        thread = threading.Thread(target=self.run, args=(handler, call, args), name=f"rpc {handler.name}", daemon=True)
        thread.start()
        if msg.id is None:
            # Notifications run in arrival order: the next message is read once this one returned or began to wait.
            call.blocked.wait()

    def run(self, handler: Method, call: InboundCall, args: list) -> None:
        try:
            if handler.kind == "stream":
                count = 0
                for item in handler.implementation(call, *args):
                    call.take_credit()
                    self.notify("$/stream.item", '{"id":' + call.id.json() + ',"item":' + jval(item) + "}")  # type: ignore[union-attr]
                    count += 1
                self.reply(call, str(count))
            else:
                result = handler.implementation(call, *args)
                self.reply(call, jval(result))
                if call.after_reply is not None:
                    call.after_reply()
        except NoReply:
            Log.write(DEBUG, CONNECTION, f"Could not send the reply to '{call.method}'.")
        except Cancelled:
            self.reply_error(call, REQUEST_CANCELLED, "Request cancelled")
        except RpcError as e:
            self.reply_error(call, e.code, e.message, e.data_json)
        except InternalError as e:
            Log.write(ERROR, CONNECTION, f"The handler of '{call.method}' failed. {e.short_type}: {e.message}")
            self.reply_error(call, INTERNAL_ERROR, e.message, '{"type":' + jstr(e.dotnet_type) + "}")
        except Exception as e:  # noqa: BLE001 - a bug here must still answer the request
            Log.write(ERROR, CONNECTION, f"The handler of '{call.method}' failed. {type(e).__name__}: {e}")
            self.reply_error(call, INTERNAL_ERROR, str(e), '{"type":' + jstr("Python." + type(e).__name__) + "}")
        finally:
            if call.id is not None:
                with self.inbound_lock:
                    if self.inbound.get(call.id) is call:
                        del self.inbound[call.id]
                    self.inbound_lock.notify_all()
            call.blocked.set()

    def reply(self, call: InboundCall, result: str) -> None:
        if call.id is not None:
            self.send_result(call.id, result)

    def reply_error(self, call: InboundCall, code: int, message: str, data: str | None = None) -> None:
        if call.id is not None:
            self.send_error(call.id, code, message, data)

    # ------------------------------------------------------------------------------------- calls to the parent

    def call_parent(self, call: InboundCall, method: str, params: str) -> Message:
        """Sends a request to the parent and waits for its response, honouring cancellation and the 30 s timeout."""
        call.check_cancelled()
        with self.pending_lock:
            if self.input_closed:
                raise InternalError("The connection was closed by the other side.", "SidecarKit.SidecarException")
            self.next_id += 1
            pending = PendingCall(self.next_id, method, call.wake)
            self.pending[pending.id] = pending
        deadline = time.monotonic() + CALL_TIMEOUT
        self.send('{"jsonrpc":"2.0","id":' + str(pending.id) + ',"method":' + jstr(method) + ',"params":' + params + "}")
        while True:
            call.wake.clear()
            if pending.response is not None:
                return pending.response
            if pending.failure is not None:
                raise pending.failure
            if call.cancelled.is_set() and self._remove_pending(pending.id):
                self.notify("$/cancelRequest", '{"id":' + str(pending.id) + "}")
                raise Cancelled()
            remaining = deadline - time.monotonic()
            if remaining <= 0 and self._remove_pending(pending.id):
                self.notify("$/cancelRequest", '{"id":' + str(pending.id) + "}")
                raise InternalError(f"The call to '{method}' did not complete within {int(CALL_TIMEOUT * 1000)} ms.",
                                    "SidecarKit.SidecarTimeoutException")
            call.blocked.set()
            call.wake.wait(max(remaining, 0.01))

    def _remove_pending(self, id: int) -> bool:
        with self.pending_lock:
            return self.pending.pop(id, None) is not None

    def on_input_closed(self) -> None:
        with self.pending_lock:
            self.input_closed = True
            waiting = list(self.pending.values())
            self.pending.clear()
        for pending in waiting:
            pending.failure = InternalError("The connection was closed by the other side.", "SidecarKit.SidecarException")
            pending.wake.set()
        self.request_stop("eof")

    # ------------------------------------------------------------------------------------- shutdown

    def request_stop(self, reason: str, urgent: bool = False) -> None:
        """Starts the shutdown; the first trigger names it. A signal or system.shutdown_now that comes while the
        sidecar is already shutting down (say, draining after system.shutdown) means "now": it cuts the drain."""
        with self.stop_lock:
            if self.stop_reason is None:
                self.stop_reason = reason
                self.stop_event.set()
            elif reason in ("sigterm", "sigint", "shutdown_now"):
                urgent = True
        if urgent:
            self.urgent.set()
            with self.inbound_lock:
                self.inbound_lock.notify_all()

    def cancel_inbound(self) -> None:
        with self.inbound_lock:
            running = list(self.inbound.values())
        for call in running:
            call.cancel()

    def wait_drained(self, timeout: float, interruptible: bool = True) -> bool:
        deadline = time.monotonic() + timeout
        with self.inbound_lock:
            while self.inbound:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (interruptible and self.urgent.is_set()):
                    return False
                self.inbound_lock.wait(remaining)
        return True

    def start_parent_watchdog(self) -> None:
        """Exits with reason parent-exit when the process named by SIDECAR_PARENT_PID is gone (no orphans)."""
        try:
            parent = int((os.environ.get(PARENT_PID_VARIABLE) or "").strip())
        except ValueError:
            return
        if parent <= 0:
            return

        def alive() -> bool:
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True

        if not alive():
            self.request_stop("parent-exit", urgent=True)   # orphaned before we got here
            return

        def watch() -> None:
            while alive():
                time.sleep(WATCHDOG_INTERVAL)
            Log.write(WARNING, HOST, f"The parent process {parent} is gone; shutting down.")
            self.request_stop("parent-exit", urgent=True)

        threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()

    def active_requests(self) -> int:
        with self.inbound_lock:
            return len(self.inbound)


def read_request_id(w: WireReader) -> RequestId:
    if w.token == NUMBER:
        return RequestId("num", w.int64())
    if w.token == STRING:
        return RequestId("str", w.string())
    if w.token == NULL_T:
        return NULL_ID
    raise WireFormatError("a request id must be a number or a string.")


def read_protocol_id(w: WireReader, type_name: str, names: tuple[str, ...]) -> RequestId:
    id = None
    w.start_object()
    index = -1
    encoded = tuple(n.encode() for n in names)
    while True:
        more, index = w.next_member(type_name, encoded, index)
        if not more:
            break
        if index == 0:
            id = read_request_id(w)
        else:
            w.skip()
    if id is None:
        raise missing(type_name, "id")
    return id


# ====================================================================================================== the demo contract


def demo_add(call: InboundCall, a: int, b: int) -> int:
    total = a + b
    if not INT32_MIN <= total <= INT32_MAX:
        raise RpcError(INVALID_PARAMS, f"{a} + {b} overflows a 32-bit integer")
    return total


def demo_echo(call: InboundCall, person: dict) -> dict:
    return person


def demo_divide(call: InboundCall, dividend: float, divisor: float) -> float:
    if divisor == 0:
        raise RpcError(DIVISION_BY_ZERO, "division by zero")
    try:
        return dividend / divisor
    except OverflowError:
        return float("inf") if (dividend > 0) == (divisor > 0) else float("-inf")


def demo_count(call: InboundCall, to: int):  # type: ignore[no-untyped-def]
    for i in range(1, to + 1):
        call.check_cancelled()
        yield i


def demo_sleep(call: InboundCall, milliseconds: int) -> str:
    if milliseconds < -1:
        raise InternalError("The value needs to be either -1 (signifying an infinite timeout), 0 or a positive integer. "
                            "(Parameter 'millisecondsDelay')", "System.ArgumentOutOfRangeException")
    call.check_cancelled()
    call.sleep(None if milliseconds == -1 else milliseconds / 1000)
    return "slept"


def demo_blob(call: InboundCall, size: int) -> Raw:
    if size < 0:
        raise RpcError(INVALID_PARAMS, "size must not be negative")
    data = (bytes(range(256)) * (size // 256 + 1))[:size]
    return Raw('"' + base64.b64encode(data).decode("ascii") + '"')


def demo_log(call: InboundCall, message: str) -> None:
    Log.write(INFO, DEMO, f"demo.log: {message}")


def demo_exit(call: InboundCall, code: int) -> None:
    try:
        sys.stderr.flush()
    finally:
        os._exit(code & 0xFF)


def demo_work(call: InboundCall, steps: int) -> int:
    conn = call.conn
    for i in range(steps):
        call.check_cancelled()
        product = (100 * i + 2**31) % 2**32 - 2**31          # C# int arithmetic wraps
        percent = abs(product) // steps * (1 if product >= 0 else -1)
        conn.notify("demoEvents.progress", '{"task":"work","percent":' + str(percent) + "}")
    response = conn.call_parent(call, "demoEvents.confirm", '{"question":"commit?"}')
    if response.kind == K_ERROR:
        # The parent's error is passed on unchanged: same code, message and data (re-written compactly).
        data = None
        if response.payload is not None:
            try:
                data = reserialize(response.payload)
            except InvalidOperation:
                raise NoReply() from None
        raise RpcError(response.error_code, response.error_message or "", data)
    try:
        w = WireReader(response.payload)
        if w.is_null():
            raise WireFormatError("expected a value of type Boolean, found null.")
        confirmed = w.boolean()
    except (WireFormatError, InvalidOperation) as e:
        raise InternalError(f"The result of 'demoEvents.confirm' could not be read: {e}",
                            "SidecarKit.SidecarProtocolException") from None
    if not confirmed:
        raise RpcError(DECLINED_BY_PARENT, "declined by parent")
    return steps


# ------------------------------------------------------------------------------------------- system.*


def make_methods(host: "Host") -> dict[str, Method]:
    i32 = _int32
    methods = [
        Method("demo.add", "unary", (("a", i32, True), ("b", i32, True)), demo_add),
        Method("demo.echo", "unary", (("person", _not_null("demo.echo", "person", _person), True),), demo_echo),
        Method("demo.divide", "unary", (("dividend", _double, True), ("divisor", _double, True)), demo_divide),
        Method("demo.count", "stream", (("to", i32, True),), demo_count),
        Method("demo.sleep", "unary", (("milliseconds", i32, True),), demo_sleep),
        Method("demo.blob", "unary", (("size", i32, True),), demo_blob),
        Method("demo.log", "notification", (("message", _not_null("demo.log", "message", _string), True),), demo_log),
        Method("demo.exit", "unary", (("code", i32, True),), demo_exit),
        Method("demo.work", "unary", (("steps", i32, True),), demo_work),
        Method("system.ping", "unary", (), host.ping),
        Method("system.shutdown", "unary", (), host.shutdown),
        Method("system.shutdown_now", "unary", (), host.shutdown_now),
    ]
    return {m.name: m for m in methods}


class Host:
    """The sidecar host: announces readiness, answers system.*, and shuts down cleanly."""

    def __init__(self, quiet_ready: bool):
        self.quiet_ready = quiet_ready
        self.conn = Connection(make_methods(self))

    def ping(self, call: InboundCall) -> dict:
        conn = self.conn
        return {
            "status": "draining" if conn.stop_reason is not None else "ok",
            "pid": conn.pid,
            "instanceId": conn.instance_id,
            "uptimeMs": int((time.monotonic() - conn.started) * 1000),
            "activeRequests": max(0, conn.active_requests() - 1),
            "version": VERSION,
            "protocolVersion": PROTOCOL_VERSION,
        }

    def shutdown(self, call: InboundCall) -> None:
        # New requests are refused (-32004) from now on; the drain waits for this call too, so its null answer
        # still precedes lifecycle.shutdown.
        self.conn.accepting = False
        self.conn.request_stop("shutdown")

    def shutdown_now(self, call: InboundCall) -> None:
        # The running requests are cancelled only once this call was answered, so the null answer comes first.
        self.conn.accepting = False
        call.after_reply = lambda: self.conn.request_stop("shutdown_now")

    def run(self) -> int:
        conn = self.conn
        signal.signal(signal.SIGTERM, lambda *_: conn.request_stop("sigterm"))
        signal.signal(signal.SIGINT, lambda *_: conn.request_stop("sigint"))
        conn.start_parent_watchdog()
        contracts = [{"name": "demo", "fingerprint": DEMO_FINGERPRINT}]
        ready = {"version": VERSION, "protocolVersion": PROTOCOL_VERSION, "pid": conn.pid,
                 "instanceId": conn.instance_id, "transport": TRANSPORT, "listenInfo": None, "contracts": contracts}
        if not self.quiet_ready:
            Log.raw(READY_PREFIX + jval({"status": "ok", **ready}) + "\n")
        # Sent before stdin is read, so lifecycle.ready is always the first line on stdout.
        conn.notify("lifecycle.ready", jval(ready))
        threading.Thread(target=conn.read_loop, name="stdin", daemon=True).start()
        Log.write(INFO, HOST, f"Ready: demo over {TRANSPORT} (pid {conn.pid}).")

        while not conn.stop_event.wait(0.25):
            pass
        reason = conn.stop_reason or "eof"
        Log.write(INFO, HOST, f"Shutting down ({reason}).")
        # system.shutdown and the end of stdin ("no more requests") let the requests already running finish, within
        # 10 s; system.shutdown_now, signals and the parent's death cancel them at once (and cut a drain short).
        drain = reason in ("shutdown", "eof")
        if not drain:
            conn.cancel_inbound()
        conn.accepting = False
        if not conn.wait_drained(SHUTDOWN_TIMEOUT if drain else 2.0):
            conn.cancel_inbound()
            if not conn.wait_drained(1.0, interruptible=False):
                Log.write(WARNING, HOST, f"Requests still running at exit: {conn.active_requests()}.")
        # The last words, then exit; stop waiting after 2 s if the parent does not read stdout any more.
        last = threading.Thread(target=conn.notify, args=("lifecycle.shutdown", '{"reason":' + jstr(reason) + "}"),
                                daemon=True)
        last.start()
        last.join(2.0)
        if last.is_alive():
            Log.write(WARNING, HOST, "stdout is not being read; exiting without flushing.")
        return 0


# ====================================================================================================== command line

USAGE = """\
Usage: {name} [options]

A SidecarKit sidecar. It serves its contracts on the chosen transport, writes
__SIDECAR_READY__:{{json}} on stderr and lifecycle.ready on the protocol channel when ready,
and exits on system.shutdown, end of stdin, SIGTERM or SIGINT. Logs go to stderr.

Options:
  --transport <name>    The transport to serve (default jsonl):
                          jsonl       JSON-RPC 2.0 over JSON lines on stdio
  --describe [format]   Print the contract description and exit (formats: json).
  --log-level <level>   trace, debug, information (default), warning, error, critical or none.
  --quiet-ready         Do not write the __SIDECAR_READY__ line on stderr.
  -h, --help            Show this help and exit.

Contracts:
  demo (fingerprint {fingerprint}): demo.add, demo.echo, demo.divide, demo.count, demo.sleep, demo.blob, demo.log, demo.exit, demo.work
"""


def main(argv: list[str]) -> int:
    help_ = quiet_ready = False
    describe: str | None = None
    transport = TRANSPORT
    error: str | None = None
    i = 0
    while i < len(argv):
        arg = original = argv[i]
        inline = None
        eq = arg.find("=")
        if arg.startswith("--") and eq > 0:
            arg, inline = arg[:eq], arg[eq + 1:]

        def value() -> str | None:
            nonlocal i
            if inline is not None:
                return inline
            if i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                i += 1
                return argv[i]
            return None

        if arg in ("-h", "--help"):
            help_ = True
        elif arg == "--quiet-ready":
            quiet_ready = True
        elif arg == "--transport":
            v = value()
            if v is None:
                error = error or "--transport needs a value (for example --transport jsonl)."
            else:
                transport = v
        elif arg == "--describe":
            v = value()
            describe = v if v is not None else "json"
        elif arg == "--log-level":
            level = value()
            if level is not None and level.lower() in _LEVELS:
                Log.minimum = _LEVELS[level.lower()]
            else:
                error = error or (f"--log-level takes trace, debug, information, warning, error, critical or none; "
                                  f"got '{level or ''}'.")
        else:
            error = error or f"Unknown option '{original}'. Run with --help for the options."
        i += 1

    if error is not None:
        Log.raw(error + "\n")
        return 2
    if help_:
        sys.stdout.write(USAGE.format(name=os.path.basename(sys.argv[0]) or "demo_sidecar.py",
                                      fingerprint=DEMO_FINGERPRINT))
        sys.stdout.flush()
        return 0
    if describe is not None:
        if describe != "json":
            Log.raw(f"Unknown description format '{describe}'. Available: json.\n")
            return 2
        sys.stdout.write('{"protocolVersion":"' + PROTOCOL_VERSION + '","contracts":[' + DESCRIPTION + "]}\n")
        sys.stdout.flush()
        return 0
    if transport != TRANSPORT:
        Log.raw(f"Unknown transport '{transport}'. Available: {TRANSPORT}.\n")
        return 2
    code = Host(quiet_ready).run()
    # Exit at once: do not wait for the stdin reader thread or for requests still blocked (nor flush stdout again:
    # a parent that stopped reading would block it).
    Log.raw("")
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
