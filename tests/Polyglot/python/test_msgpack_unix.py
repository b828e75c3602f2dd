#!/usr/bin/python3
"""The demo sidecar over MessagePack-RPC on a Unix socket (--transport msgpack-unix), driven by Debian's python3-msgpack
(an independent implementation) and the stdlib socket module.

The sidecar is started with SIDECAR_TOKEN set and stdin a pipe kept open (it exits on end of stdin). It names its socket
in the "listenInfo" of the __SIDECAR_READY__ line on stderr. Every connection must first send
[2, "$/hello", [{"token": ...}]]; the sidecar then sends lifecycle.ready and serves calls as on stdio.

Prints "python: N passed, N failed" last; exits non-zero on any failure. Without the msgpack module it says so loudly
and counts as one failure (scripts/test.sh installs python3-msgpack).
"""
import datetime, json, os, secrets, shutil, socket, stat, subprocess, sys, tempfile, threading, time, unittest

from suite_runner import DEMO_SIDECAR_DLL as DLL, SidecarProcess, import_msgpack, run

msgpack = import_msgpack()
from msgpack_input_tests import (MessagePackInputStreamTests, MessagePackProgressAndBytesTests,  # noqa: E402
                                 MessagePackSampleTests)
TIMEOUT = 10.0          # seconds for any one socket read, the ready line, a log line or an exit


class Sidecar(SidecarProcess):
    """One `dotnet <dll> --transport msgpack-unix` process with a token of its own."""

    def __init__(self, *extra):
        self.token = secrets.token_hex(16)
        super().__init__(["--transport", "msgpack-unix", *extra], dict(os.environ, SIDECAR_TOKEN=self.token))
        self.path = self.wait_ready()["listenInfo"]

    def connect(self, hello=True, token=None):
        c = Conn(self.path)
        if hello:
            c.send([2, "$/hello", [{"token": token or self.token}]])
        return c

    def close(self):
        self.stop()


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(TIMEOUT)   # every read below times out: no test can hang
        self.s.connect(path)
        self.u = msgpack.Unpacker(raw=False, timestamp=3, strict_map_key=False)
        self.received = 0

    def send(self, obj):
        self.s.sendall(msgpack.packb(obj, use_bin_type=True, datetime=True))

    def next(self):
        while True:
            for obj in self.u:
                return obj
            try:
                data = self.s.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                raise EOFError("the sidecar closed the connection")
            self.received += len(data)
            self.u.feed(data)

    def ready(self):
        m = self.next()
        assert m[0] == 2 and m[1] == "lifecycle.ready", m
        return m[2]

    def call(self, msgid, method, params, confirm=None, seen=None):
        """Sends a request and returns its response; answers demoEvents.confirm with `confirm`, keeps the rest in `seen`."""
        self.send([0, msgid, method, params])
        while True:
            m = self.next()
            if m[0] == 1 and m[1] == msgid:
                return m
            if m[0] == 0 and m[2] == "demoEvents.confirm" and confirm is not None:
                self.send([1, m[1], None, confirm])
            if seen is not None:
                seen.append(m)

    def until_closed(self):
        """Reads until the sidecar closes the connection; returns what came meanwhile."""
        seen = []
        try:
            while True:
                seen.append(self.next())
        except EOFError:
            return seen

    def closed_without_answer(self):
        """True when the sidecar closes this connection without sending a single byte."""
        try:
            self.next()
        except EOFError:
            return self.received == 0
        return False

    def close(self):
        self.s.close()


class UnixSocket(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sc = Sidecar()

    @classmethod
    def tearDownClass(cls):
        cls.sc.close()

    def setUp(self):
        self.c = self.sc.connect()
        self.ready = self.c.ready()

    def tearDown(self):
        self.c.close()

    def test_ready_line_and_private_socket(self):
        r = self.sc.ready
        self.assertEqual("msgpack-unix", r["transport"])
        self.assertEqual(self.sc.p.pid, r["pid"])
        st = os.stat(r["listenInfo"])
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(0o600, stat.S_IMODE(st.st_mode))
        self.assertEqual(0o700, stat.S_IMODE(os.stat(os.path.dirname(r["listenInfo"])).st_mode))

    def test_lifecycle_ready_on_the_connection(self):
        self.assertEqual(["msgpack-unix", self.sc.path], self.ready[4:6])
        self.assertEqual(self.sc.p.pid, self.ready[2])
        self.assertEqual(["demo"], [c["name"] for c in self.ready[6]])

    def test_add_and_overflow(self):
        self.assertEqual([1, 1, None, 5], self.c.call(1, "demo.add", [2, 3]))
        self.assertEqual([1, 2, None, -2147483648], self.c.call(2, "demo.add", [-2147483647, -1]))
        self.assertEqual(-32602, self.c.call(3, "demo.add", [2147483647, 1])[2]["code"])

    def test_echo_person_with_address_and_timestamp(self):
        born = datetime.datetime(1815, 12, 10, 8, 30, 0, 123456, tzinfo=datetime.timezone.utc)
        person = {"name": "Ada ✓", "age": 36, "tags": ["math", ""],
                  "address": {"street": "12 St James's Square", "city": "London"}, "born": born}
        self.assertEqual([1, 4, None, person], self.c.call(4, "demo.echo", [person]))

    def test_divide(self):
        self.assertEqual([1, 5, {"code": -32010, "message": "division by zero"}, None], self.c.call(5, "demo.divide", [1.0, 0.0]))
        self.assertEqual(2.5, self.c.call(6, "demo.divide", [5.0, 2.0])[3])
        r = self.c.call(7, "demo.divide", [float("nan"), 1.0])[3]
        self.assertIsInstance(r, float)
        self.assertNotEqual(r, r)

    def test_count_streams_items_then_the_count(self):
        seen = []
        self.assertEqual([1, 8, None, 5], self.c.call(8, "demo.count", [5], seen=seen))
        self.assertEqual([[2, "$/stream.item", [8, i]] for i in range(1, 6)], seen)

    def test_sleep_and_cancel(self):
        self.assertEqual([1, 9, None, "slept"], self.c.call(9, "demo.sleep", [10]))
        started = time.monotonic()
        self.c.send([0, 10, "demo.sleep", [30000]])
        self.c.send([2, "$/cancelRequest", [10]])
        m = self.c.next()
        self.assertEqual((1, 10, -32800, None), (m[0], m[1], m[2]["code"], m[3]))
        self.assertLess(time.monotonic() - started, 20, "the cancelled 30 s sleep ran on")

    def test_blob_is_bin(self):
        self.assertEqual([1, 11, None, bytes(i % 256 for i in range(1000))], self.c.call(11, "demo.blob", [1000]))
        self.assertEqual([1, 12, None, b""], self.c.call(12, "demo.blob", [0]))

    def test_log_is_a_notification_that_runs(self):
        marker = "unix-log-" + secrets.token_hex(4)
        self.c.send([2, "demo.log", [marker]])
        self.assertEqual([1, 13, None, 2], self.c.call(13, "demo.add", [1, 1]))   # no response to the notification came first
        self.assertTrue(self.sc.wait_for(lambda: self.sc.logged("demo.log: " + marker)), "the log line never appeared")

    def test_work_calls_back_and_confirmed(self):
        seen = []
        self.assertEqual([1, 14, None, 4], self.c.call(14, "demo.work", [4], confirm=True, seen=seen))
        progress = [m for m in seen if m[0] == 2]
        self.assertEqual([[2, "demoEvents.progress", ["work", p]] for p in (0, 25, 50, 75)], progress)
        confirms = [m for m in seen if m[0] == 0]
        self.assertEqual(1, len(confirms))
        self.assertEqual(["demoEvents.confirm", ["commit?"]], confirms[0][2:])

    def test_work_declined(self):
        m = self.c.call(15, "demo.work", [2], confirm=False)
        self.assertEqual((1, 15, -32011, None), (m[0], m[1], m[2]["code"], m[3]))

    def test_wrong_token_is_closed_without_answer(self):
        bad = self.sc.connect(token=secrets.token_hex(16))
        try:
            bad.send([0, 1, "demo.add", [1, 2]])
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            self.assertTrue(bad.closed_without_answer())
        finally:
            bad.close()
        self.assertEqual([1, 16, None, 3], self.c.call(16, "demo.add", [1, 2]))   # the live connection is untouched

    def test_no_hello_is_closed_without_running_anything(self):
        marker = "unix-nohello-" + secrets.token_hex(4)
        for first in ([0, 1, "demo.add", [1, 2]], [2, "demo.log", [marker]], [2, "$/hello", []], "token"):
            bad = self.sc.connect(hello=False)
            try:
                bad.send(first)
                self.assertTrue(bad.closed_without_answer(), first)
            finally:
                bad.close()
        self.assertEqual([1, 17, None, 3], self.c.call(17, "demo.add", [1, 2]))
        time.sleep(0.2)
        self.assertFalse(self.sc.logged(marker), "demo.log ran before $/hello")

    def test_over_deep_input_closes_that_connection_only(self):
        deep = 0
        for _ in range(62):
            deep = [deep]   # envelope + params + Person + 62 arrays = 65 levels: over the limit of 64
        bad = self.sc.connect()
        try:
            self.assertEqual("lifecycle.ready", bad.next()[1])
            bad.send([0, 1, "demo.echo", [{"name": "n", "age": 1, "tags": [], "address": None, "born": None, "x": deep}]])
            self.assertEqual([], [m for m in bad.until_closed() if m[0] != 2])
        finally:
            bad.close()
        self.assertEqual([1, 18, None, 3], self.c.call(18, "demo.add", [1, 2]))

    def test_fresh_connection_after_a_refused_one(self):
        bad = self.sc.connect(token="0" * 32)
        try:
            self.assertTrue(bad.closed_without_answer())
        finally:
            bad.close()
        fresh = self.sc.connect()
        try:
            self.assertEqual("lifecycle.ready", fresh.next()[1])
            self.assertEqual([1, 1, None, 42], fresh.call(1, "demo.add", [40, 2]))
        finally:
            fresh.close()

    def test_two_connections_at_once(self):
        other = self.sc.connect()
        try:
            self.assertEqual("lifecycle.ready", other.next()[1])
            # The same msgid on both: ids are per connection. Order, not time: the sleep is still running when the other
            # connection's answers are in, so the cancel ends it (-32800) rather than finding it "slept".
            self.c.send([0, 1, "demo.sleep", [60000]])
            self.assertEqual([1, 1, None, 7], other.call(1, "demo.add", [3, 4]))
            self.assertEqual([1, 2, None, b"\x00\x01\x02"], other.call(2, "demo.blob", [3]))
            self.c.send([2, "$/cancelRequest", [1]])
            m = self.c.next()
            self.assertEqual((1, 1, -32800, None), (m[0], m[1], m[2]["code"], m[3]), "the other connection waited")
        finally:
            other.close()


class StreamedParameters(MessagePackInputStreamTests, MessagePackProgressAndBytesTests, MessagePackSampleTests,
                        unittest.TestCase):
    """demo.sum, demo.chat, demo.area, demo.steps, demo.upload, demo.download and demo.sample (msgpack_input_tests) over the socket:
    one sidecar, a connection per test."""

    @classmethod
    def setUpClass(cls):
        cls.sc = Sidecar()

    @classmethod
    def tearDownClass(cls):
        cls.sc.close()

    def setUp(self):
        self.c = self.sc.connect()
        self.c.ready()

    def tearDown(self):
        self.c.close()

    def peer(self):
        return self.c


class Exit(unittest.TestCase):
    def test_listen_path_then_exit_code(self):
        d = tempfile.mkdtemp(prefix="sidecar-unix-test-")
        path = os.path.join(d, "demo.sock")
        sc = None
        try:
            sc = Sidecar("--listen", path)
            self.assertEqual(path, sc.ready["listenInfo"])
            c = sc.connect()
            self.assertEqual(path, c.ready()[5])
            c.send([0, 1, "demo.exit", [7]])
            self.assertEqual([], [m for m in c.until_closed() if m[0] != 2])   # no answer: the process is gone
            self.assertEqual(7, sc.p.wait(timeout=TIMEOUT))
            c.close()
        finally:
            if sc:
                sc.close()
            shutil.rmtree(d, ignore_errors=True)

    def test_end_of_stdin_stops_the_sidecar(self):
        sc = Sidecar()
        try:
            c = sc.connect()
            c.ready()
            path = sc.path
            sc.p.stdin.close()
            self.assertEqual(0, sc.p.wait(timeout=TIMEOUT))
            self.assertEqual([], [m for m in c.until_closed() if m[0] != 2])   # lifecycle.shutdown at most
            self.assertFalse(os.path.exists(path), "the socket is left behind")
            c.close()
        finally:
            sc.close()


if __name__ == "__main__":
    problem = None if os.path.exists(DLL) else f"the demo sidecar is not built ({DLL}): dotnet build Toolkit.sln -c Release"
    sys.exit(run([UnixSocket, StreamedParameters, Exit], problem))
