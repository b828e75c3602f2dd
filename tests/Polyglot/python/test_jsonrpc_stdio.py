#!/usr/bin/python3
"""The demo sidecar over JSON-RPC with Content-Length headers on stdio (--transport jsonrpc), driven by a client written
from docs/protocol.md appendix C alone, with the standard library only: an implementation independent of SidecarKit's.

Prints "python: N passed, N failed" last; exits non-zero on any failure.
"""
import json, os, select, subprocess, sys, unittest

from suite_runner import DEMO_SIDECAR_DLL as DLL, run

MAX_MESSAGE_SIZE = 16 * 1024 * 1024  # JsonLinesOptions.MaxMessageSize's default
TIMEOUT = 60.0   # seconds any one read may wait (the oversize test writes 16 MiB first): no test can hang


class Sidecar:
    def __init__(self):
        self.p = subprocess.Popen(["dotnet", DLL, "--transport", "jsonrpc"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.buf = b""

    def write(self, data: bytes):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def send(self, obj, headers=None):
        body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        head = headers if headers is not None else "Content-Length: %d\r\n" % len(body)
        self.write(head.encode("ascii") + b"\r\n" + body)

    def _fill(self):
        if not select.select([self.p.stdout], [], [], TIMEOUT)[0]:
            raise TimeoutError(f"nothing from the sidecar within {TIMEOUT} s")
        data = os.read(self.p.stdout.fileno(), 65536)   # not read(n): it would wait for n bytes
        if not data:
            raise EOFError("the sidecar closed stdout")
        self.buf += data

    def next_frame(self):
        """Returns (header lines, body bytes) of the next message, checking the framing the sidecar writes."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("ascii").split("\r\n")
        assert len(lines) == 1 and lines[0].startswith("Content-Length: "), lines   # SidecarKit writes only this header
        n = int(lines[0][len("Content-Length: "):])
        assert str(n) == lines[0][len("Content-Length: "):], "no leading zeros or spaces"
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return lines, body

    def next(self):
        return json.loads(self.next_frame()[1].decode("utf-8"))

    def response(self, msgid):
        return self.responses([msgid])[msgid]

    def responses(self, msgids):
        """The responses to these ids, in whatever order they come (requests run concurrently)."""
        found = {}
        while len(found) < len(msgids):
            m = self.next()
            if "method" not in m and m.get("id") in msgids:
                found[m["id"]] = m
        return found

    def call(self, msgid, method, params):
        self.send({"jsonrpc": "2.0", "id": msgid, "method": method, "params": params})
        return self.response(msgid)

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            try:
                self.p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.p.kill()
        self.p.wait()


class JsonRpcStdio(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Sidecar()
        ready = cls.s.next()
        assert ready["method"] == "lifecycle.ready" and ready["params"]["transport"] == "jsonrpc", ready

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_add(self):
        self.assertEqual(self.s.call(1, "demo.add", {"a": 2, "b": 3}), {"jsonrpc": "2.0", "id": 1, "result": 5})
        self.assertEqual(self.s.call(2, "demo.add", [40, 2])["result"], 42)

    def test_echo_keeps_non_ascii_bytes_counted_right(self):
        person = {"name": "Zoë 🚀", "age": 36, "tags": ["math", "ünïcode"], "address": None, "born": None}
        self.assertEqual(self.s.call(3, "demo.echo", {"person": person})["result"], person)

    def test_application_error_and_unknown_method(self):
        error = self.s.call(4, "demo.divide", {"dividend": 1, "divisor": 0})["error"]
        self.assertEqual((error["code"], error["message"]), (-32010, "division by zero"))
        self.assertEqual(self.s.call(5, "demo.nope", {})["error"]["code"], -32601)

    def test_other_headers_and_any_case_are_accepted(self):
        body = b'{"jsonrpc":"2.0","id":6,"method":"demo.add","params":{"a":1,"b":1}}'
        self.s.write(b"content-length:%d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\nX-Other: 1\r\n\r\n" % len(body) + body)
        self.assertEqual(self.s.response(6)["result"], 2)

    def test_messages_in_pieces_and_back_to_back(self):
        one = b'{"jsonrpc":"2.0","id":7,"method":"demo.add","params":{"a":1,"b":2}}'
        two = b'{"jsonrpc":"2.0","id":8,"method":"demo.add","params":{"a":3,"b":4}}'
        data = b"Content-Length: %d\r\n\r\n%sContent-Length: %d\r\n\r\n%s" % (len(one), one, len(two), two)
        for i in range(0, len(data), 7):
            self.s.write(data[i:i + 7])
        answers = self.s.responses([7, 8])
        self.assertEqual((answers[7]["result"], answers[8]["result"]), (3, 7))

    def test_a_body_that_is_not_json_is_a_parse_error_and_the_stream_goes_on(self):
        self.s.write(b"Content-Length: 1\r\n\r\n{")
        self.assertEqual(self.s.response(None)["error"]["code"], -32700)
        self.assertEqual(self.s.call(9, "demo.add", {"a": 0, "b": 0})["result"], 0)

    def test_an_oversize_message_is_refused_from_its_header_and_skipped(self):
        n = MAX_MESSAGE_SIZE + 1
        self.s.write(b"Content-Length: %d\r\n\r\n" % n)
        refused = self.s.response(None)   # before the body is sent: it is never buffered
        self.assertEqual(refused["error"]["code"], -32001)
        self.assertIn("Content-Length: %d" % n, refused["error"]["message"])
        chunk = b"x" * (1 << 20)
        left = n
        while left:
            self.s.write(chunk[:min(left, len(chunk))])
            left -= min(left, len(chunk))
        self.assertEqual(self.s.call(10, "demo.add", {"a": 5, "b": 5})["result"], 10)

    def test_a_stream_arrives_as_framed_notifications(self):
        self.s.send({"jsonrpc": "2.0", "id": 11, "method": "demo.count", "params": {"to": 3}})
        items = []
        while True:
            m = self.s.next()
            if m.get("method") == "$/stream.item" and m["params"]["id"] == 11:
                items.append(m["params"]["item"])
            elif m.get("id") == 11:
                break
        self.assertEqual(items, [1, 2, 3])


    def notify(self, method, params):
        self.s.send({"jsonrpc": "2.0", "method": method, "params": params})

    def test_a_streamed_parameter_within_its_credit(self):
        # demo.sum of 100 items: 64, then one more each time the callee has granted $/input.credit.
        self.s.send({"jsonrpc": "2.0", "id": 12, "method": "demo.sum", "params": {}})
        sent = credit = 0
        while sent < 100:
            if sent < 64 + credit:
                self.notify("$/input.item", {"id": 12, "item": sent + 1})
                sent += 1
                continue
            m = self.s.next()
            self.assertNotEqual(12, m.get("id"), f"the call ended early: {m}")
            if m.get("method") == "$/input.credit" and m["params"]["id"] == 12:
                credit += m["params"]["credit"]
        self.notify("$/input.end", {"id": 12, "error": None})
        while True:
            m = self.s.next()
            if m.get("method") == "$/input.credit":
                credit += m["params"]["credit"]
            elif m.get("id") == 12:
                break
        self.assertEqual({"jsonrpc": "2.0", "id": 12, "result": 5050}, m)
        self.assertGreaterEqual(credit, 100 - 64)

    def test_chat_interleaved_and_a_shape(self):
        self.s.send({"jsonrpc": "2.0", "id": 13, "method": "demo.chat", "params": {"prefix": "re: "}})
        for line in ("hello", "ünïcødé"):
            self.notify("$/input.item", {"id": 13, "item": line})
            m = self.s.next()
            self.assertEqual({"jsonrpc": "2.0", "method": "$/stream.item", "params": {"id": 13, "item": "re: " + line}}, m)
        self.notify("$/input.end", {"id": 13, "error": None})
        self.assertEqual(2, self.s.response(13)["result"])
        self.assertEqual(6, self.s.call(14, "demo.area", {"shape": {"$type": "rectangle", "name": "r", "width": 2, "height": 3}})["result"])
        self.assertEqual(-32602, self.s.call(15, "demo.area", {"shape": {"$type": "hexagon", "name": "h"}})["error"]["code"])

    def test_progress_reports_come_framed_before_the_answer(self):
        self.s.send({"jsonrpc": "2.0", "id": 16, "method": "demo.steps", "params": {"steps": 4}})
        reports = []
        while True:
            m = self.s.next()
            if m.get("method") == "$/progress":
                reports.append(m["params"])
            elif m.get("id") == 16:
                break
        self.assertEqual([{"id": 16, "item": i} for i in (1, 2, 3, 4)], reports)
        self.assertEqual({"jsonrpc": "2.0", "id": 16, "result": 4}, m)

    def test_upload_within_its_credit_and_download_granting_credit(self):
        import base64, hashlib, random
        data = random.Random(3).randbytes(1024 * 1024 + 11)
        chunks = [base64.b64encode(data[i:i + 8192]).decode("ascii") for i in range(0, len(data), 8192)]   # 129 items
        self.s.send({"jsonrpc": "2.0", "id": 17, "method": "demo.upload", "params": {}})
        sent = credit = 0
        while sent < len(chunks):
            if sent < 64 + credit:
                self.notify("$/input.item", {"id": 17, "item": chunks[sent]})
                sent += 1
                continue
            m = self.s.next()
            self.assertNotEqual(17, m.get("id"), f"the call ended early: {m}")
            if m.get("method") == "$/input.credit" and m["params"]["id"] == 17:
                credit += m["params"]["credit"]
        self.notify("$/input.end", {"id": 17, "error": None})
        self.assertEqual(f"{len(data)}:{hashlib.sha256(data).hexdigest()}", self.s.response(17).get("result"))

        size = 4 * 1024 * 1024 + 3
        self.s.send({"jsonrpc": "2.0", "id": 18, "method": "demo.download", "params": {"size": size}})
        received = []
        while True:
            m = self.s.next()
            if m.get("method") == "$/stream.item" and m["params"]["id"] == 18:
                received.append(base64.b64decode(m["params"]["item"], validate=True))
                if len(received) % 32 == 0:
                    self.notify("$/stream.credit", {"id": 18, "credit": 32})
            elif m.get("id") == 18:
                break
        self.assertEqual(len(received), m.get("result"), m)
        self.assertEqual((bytes(range(256)) * (size // 256 + 1))[:size], b"".join(received))



class BrokenHeader(unittest.TestCase):
    def test_a_json_line_without_headers_ends_the_sidecar_with_protocol_error(self):
        s = Sidecar()
        try:
            s.next()   # lifecycle.ready
            s.write(b'{"jsonrpc":"2.0","id":1,"method":"demo.add","params":{"a":1,"b":2}}\r\n\r\n')
            shutdown = s.next()
            self.assertEqual((shutdown["method"], shutdown["params"]["reason"]), ("lifecycle.shutdown", "protocol-error"))
            self.assertEqual(s.p.wait(timeout=60), 1)
        finally:
            s.close()


if __name__ == "__main__":
    sys.exit(run([JsonRpcStdio, BrokenHeader]))
