#!/usr/bin/python3
"""The demo sidecar over MessagePack-RPC on stdio, driven by Debian's python3-msgpack (an independent implementation).

Prints "python: N passed, N failed" last; exits non-zero on any failure. Without the msgpack module it says so loudly
and counts as one failure (scripts/test.sh installs python3-msgpack).
"""
import datetime, os, select, subprocess, sys, unittest

from suite_runner import DEMO_SIDECAR_DLL as DLL, import_msgpack, run

msgpack = import_msgpack()
from msgpack_input_tests import (MessagePackInputStreamTests, MessagePackProgressAndBytesTests,  # noqa: E402
                                 MessagePackSampleTests)

TIMEOUT = 10.0   # seconds any one read may wait: no test can hang


class Sidecar:
    def __init__(self):
        self.p = subprocess.Popen(["dotnet", DLL, "--transport", "msgpack"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.u = msgpack.Unpacker(raw=False, timestamp=3, strict_map_key=False)

    def send(self, obj):
        self.p.stdin.write(msgpack.packb(obj, use_bin_type=True, datetime=True))
        self.p.stdin.flush()

    def next(self):
        while True:
            for obj in self.u:
                return obj
            if not select.select([self.p.stdout], [], [], TIMEOUT)[0]:
                raise TimeoutError(f"nothing from the sidecar within {TIMEOUT} s")
            data = os.read(self.p.stdout.fileno(), 65536)   # not read(n): it would wait for n bytes
            if not data:
                raise EOFError("the sidecar closed stdout")
            self.u.feed(data)

    def call(self, msgid, method, params):
        self.send([0, msgid, method, params])
        while True:
            m = self.next()
            if m[0] == 1 and m[1] == msgid:
                return m

    def call_raw_id(self, msgid, method, params):
        """Sends a request whose msgid cannot be an id here, and returns the error (sent with a nil msgid)."""
        self.send([0, msgid, method, params])
        while True:
            m = self.next()
            if m[0] == 1 and m[1] is None:
                return m

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


class MessagePackStdio(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Sidecar()
        first = cls.s.next()
        assert first[0] == 2 and first[1] == "lifecycle.ready", first

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_add(self):
        self.assertEqual([1, 1, None, 5], self.s.call(1, "demo.add", [2, 3]))

    def test_add_extremes_and_overflow(self):
        self.assertEqual(2147483647, self.s.call(2, "demo.add", [2147483646, 1])[3])
        self.assertEqual(-32602, self.s.call(3, "demo.add", [2147483647, 1])[2]["code"])

    def test_echo_with_timestamp_extension(self):
        born = datetime.datetime(1815, 12, 10, 8, 30, tzinfo=datetime.timezone.utc)   # before 1970: the 96-bit form
        person = {"name": "Ada ✓", "age": 36, "tags": ["math", ""], "address": {"street": "s", "city": "c"}, "born": born}
        self.assertEqual(person, self.s.call(4, "demo.echo", [person])[3])

    def test_divide_error_is_a_map(self):
        self.assertEqual({"code": -32010, "message": "division by zero"}, self.s.call(5, "demo.divide", [1.0, 0.0])[2])
        r = self.s.call(6, "demo.divide", [float("nan"), 1.0])[3]
        self.assertNotEqual(r, r)   # NaN travels as float64

    def test_count_streams_items_then_the_count(self):
        self.s.send([0, 7, "demo.count", [5]])
        items = []
        while True:
            m = self.s.next()
            if m[0] == 2 and m[1] == "$/stream.item" and m[2][0] == 7:
                items.append(m[2][1])
            elif m[0] == 1 and m[1] == 7:
                self.assertEqual(5, m[3])
                break
        self.assertEqual([1, 2, 3, 4, 5], items)

    def test_blob_is_bin(self):
        data = self.s.call(8, "demo.blob", [1000])[3]
        self.assertIsInstance(data, bytes)
        self.assertEqual(bytes(i % 256 for i in range(1000)), data)

    def test_errors_for_bad_calls(self):
        self.assertEqual(-32601, self.s.call(9, "nope", [])[2]["code"])
        self.assertEqual(-32602, self.s.call(10, "demo.add", ["x", 1])[2]["code"])
        self.s.send([7, 7])
        m = self.s.next()
        self.assertEqual(-32600, m[2]["code"])
        self.assertEqual(3, self.s.call(11, "demo.add", [1, 2])[3])   # still usable

    def test_params_by_name_are_accepted_too(self):
        self.assertEqual(9, self.s.call(12, "demo.add", {"a": 4, "b": 5})[3])

    def test_int64_and_uint64_ids_negative_zero_and_depth_at_the_limit(self):
        # The contract has no 64-bit field: the msgid, echoed in the response, carries the int64 extremes.
        for msgid in (-(1 << 63), (1 << 63) - 1, 1 << 32, -(1 << 31) - 1):
            self.assertEqual([1, msgid, None, 3], self.s.call(msgid, "demo.add", [1, 2]))
        self.assertEqual(-32600, self.s.call_raw_id((1 << 64) - 1, "demo.add", [1, 2])[2]["code"])   # beyond int64
        zero = self.s.call(14, "demo.divide", [-0.0, 1.0])[3]
        self.assertEqual("-0.0", repr(zero))
        # 64 levels (the envelope, the params, the Person, then 61 arrays in a member Person does not declare) are read.
        deep = []
        for _ in range(60):
            deep = [deep]
        person = {"name": "deep", "age": 1, "tags": [], "address": None, "born": None, "extra": deep}
        self.assertEqual("deep", self.s.call(15, "demo.echo", [person])[3]["name"])

    def test_large_values(self):
        s = "x" * (1 << 20)
        person = {"name": s, "age": 1, "tags": [str(i) for i in range(65536)], "address": None, "born": None}
        back = self.s.call(13, "demo.echo", [person])[3]
        self.assertEqual(s, back["name"])
        self.assertEqual(65536, len(back["tags"]))


class StreamedParameters(MessagePackInputStreamTests, MessagePackProgressAndBytesTests, MessagePackSampleTests,
                        unittest.TestCase):
    """demo.sum, demo.chat, demo.area, demo.steps, demo.upload, demo.download and demo.sample (msgpack_input_tests), on a process of
    their own."""

    @classmethod
    def setUpClass(cls):
        cls.s = Sidecar()
        first = cls.s.next()
        assert first[0] == 2 and first[1] == "lifecycle.ready", first

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def peer(self):
        return self.s


class Shutdown(unittest.TestCase):
    def test_system_shutdown_then_exit_zero(self):
        s = Sidecar()
        try:
            self.assertEqual("lifecycle.ready", s.next()[1])
            self.assertEqual([1, 1, None, None], s.call(1, "system.shutdown", []))
            self.assertEqual([2, "lifecycle.shutdown", ["shutdown"]], s.next())
            self.assertEqual(0, s.p.wait(timeout=10))
        finally:
            s.close()


if __name__ == "__main__":
    problem = None if os.path.exists(DLL) else f"the demo sidecar is not built ({DLL}): dotnet build Toolkit.sln -c Release"
    sys.exit(run([MessagePackStdio, StreamedParameters, Shutdown], problem))
