"""demo.sum (client streaming), demo.chat (bidirectional) and demo.area (a polymorphic parameter) over MessagePack-RPC:
a mixin shared by the stdio and the Unix-socket suites (test_msgpack_stdio.py, test_msgpack_unix.py), driven by
Debian's python3-msgpack.

The streamed parameter is not among the positional params: its items come as [2, "$/input.item", [msgid, item]], at most
64 before the callee grants more with [2, "$/input.credit", [msgid, n]], and [2, "$/input.end", [msgid, nil]] ends it
([msgid, {"code", "message"}] when the caller's stream failed). A polymorphic value is a map with "$type" first.
"""
import itertools, math

INPUT_WINDOW = 64
INVALID_REQUEST, INVALID_PARAMS = -32600, -32602
_ids = itertools.count(7000)   # msgids of their own, apart from the suites' hand-numbered ones


class InputCall:
    """One call with a streamed parameter, as its caller: sends the request, then items within the credit granted
    (reading on while it waits), then the end; files the callee's credit, stream items and the response."""

    def __init__(self, peer, method, params):
        self.peer, self.id = peer, next(_ids)
        self.credit = self.sent = 0
        self.items, self.response, self.other = [], None, []
        peer.send([0, self.id, method, params])

    def read(self):
        m = self.peer.next()
        if m[0] == 2 and m[1] == "$/input.credit" and m[2][0] == self.id:
            self.credit += m[2][1]
        elif m[0] == 2 and m[1] == "$/stream.item" and m[2][0] == self.id:
            self.items.append(m[2][1])
        elif m[0] == 1 and m[1] == self.id:
            self.response = m
        else:
            self.other.append(m)

    def send(self, items):
        for item in items:
            while self.sent >= INPUT_WINDOW + self.credit:
                if self.response is not None:
                    raise AssertionError(f"the call ended while its input was being sent: {self.response}")
                self.read()
            self.peer.send([2, "$/input.item", [self.id, item]])
            self.sent += 1
        return self

    def end(self, error=None):
        self.peer.send([2, "$/input.end", [self.id, error]])
        return self

    def result(self):
        while self.response is None:
            self.read()
        return self.response


class MessagePackInputStreamTests:
    """Needs self.peer(): an object with send(obj) and next() (the next message, failing after a timeout)."""

    def peer(self):
        raise NotImplementedError

    def call(self, method, params, items=(), error=None):
        return InputCall(self.peer(), method, params).send(items).end(error)

    def assertError(self, response, code):
        self.assertEqual((1, code), (response[0], (response[2] or {}).get("code")), response)
        self.assertIsNone(response[3], response)
        return response[2]

    def test_sum_of_several_items(self):
        c = self.call("demo.sum", [], [1, 2, 3, 4, -5])
        self.assertEqual([1, c.id, None, 5], c.result())

    def test_sum_of_no_items_is_zero(self):
        c = self.call("demo.sum", [])
        self.assertEqual([1, c.id, None, 0], c.result())

    def test_sum_is_an_int64(self):
        c = self.call("demo.sum", [], [2147483647, 2147483647, 2147483647])
        self.assertEqual([1, c.id, None, 3 * 2147483647], c.result())

    def test_sum_of_many_items_within_the_credit_granted(self):
        c = self.call("demo.sum", [], range(1, 1001))   # waits for $/input.credit after every 64 items not yet granted
        self.assertEqual([1, c.id, None, 500500], c.result())
        self.assertGreaterEqual(c.credit, 1000 - INPUT_WINDOW, "the items sent exceed the credit granted")

    def test_sum_ends_with_the_callers_error(self):
        c = self.call("demo.sum", [], [1], {"code": -32603, "message": "the producer failed"})
        self.assertEqual("the producer failed", self.assertError(c.result(), -32603)["message"])

    def test_sum_item_of_the_wrong_type_is_invalid_request(self):
        self.assertError(self.call("demo.sum", [], [1, "two"]).result(), INVALID_REQUEST)

    def test_chat_round_trip_interleaved(self):
        c = InputCall(self.peer(), "demo.chat", ["re: "])
        lines = ["hello", "", "ünï ✓ 🚀", "bye"]
        for i, line in enumerate(lines):
            c.send([line])
            while len(c.items) <= i and c.response is None:   # each echo comes before the next line is sent
                c.read()
            self.assertEqual(["re: " + line], c.items[i:], f"no echo of line {i}")
        self.assertEqual([1, c.id, None, 4], c.end().result())
        self.assertEqual(["re: " + line for line in lines], c.items)

    def test_chat_with_no_lines(self):
        c = self.call("demo.chat", ["x"])
        self.assertEqual([1, c.id, None, 0], c.result())
        self.assertEqual([], c.items)

    def test_chat_many_lines_with_stream_credit(self):
        # 300 lines, input within the callee's credit, and $/stream.credit granted for the echoes read, 32 at a time.
        c = InputCall(self.peer(), "demo.chat", ["> "])
        granted = 0
        lines = [f"line {i}" for i in range(300)]
        while c.response is None:
            if len(c.items) - granted >= 32:
                self.peer().send([2, "$/stream.credit", [c.id, len(c.items) - granted]])
                granted = len(c.items)
            if c.sent < len(lines) and c.sent < INPUT_WINDOW + c.credit:
                c.send([lines[c.sent]])
                if c.sent == len(lines):
                    c.end()
                continue
            self.assertLessEqual(len(c.items), INPUT_WINDOW + granted)
            c.read()
        self.assertEqual([1, c.id, None, 300], c.response)
        self.assertEqual(["> " + line for line in lines], c.items)

    def test_chat_over_its_credit_fails_the_call(self):
        # A caller that reads nothing (neither credit) and sends 200 lines: the callee, unable to send more than 64
        # echoes, cannot have granted credit for all of them; the call ends with -32600 pointing at $/input.credit.
        peer = self.peer()
        c = InputCall(peer, "demo.chat", ["> "])
        for i in range(200):
            peer.send([2, "$/input.item", [c.id, f"line {i}"]])
        c.end()
        self.assertIn("$/input.credit", self.assertError(c.result(), INVALID_REQUEST)["message"])
        self.assertLessEqual(len(c.items), INPUT_WINDOW)
        self.assertEqual(3, self.call("demo.sum", [], [1, 2]).result()[3])   # the connection goes on

    def area(self, shape):
        c = InputCall(self.peer(), "demo.area", [shape])
        return c.result()

    def test_area_of_a_circle_and_a_rectangle(self):
        r = self.area({"$type": "circle", "name": "c", "radius": 2.0})
        self.assertIsInstance(r[3], float, r)
        self.assertAlmostEqual(4 * math.pi, r[3], places=9)
        r = self.area({"$type": "rectangle", "name": "r", "width": 2.5, "height": 4.0})
        self.assertEqual([1, r[1], None, 10.0], r)

    def test_area_of_an_unknown_or_missing_type_is_invalid_params(self):
        for shape in ({"$type": "triangle", "name": "t", "base": 1.0, "height": 2.0}, {"name": "c", "radius": 1.0},
                      None):
            with self.subTest(shape=shape):
                self.assertError(self.area(shape), INVALID_PARAMS)


STREAM_WINDOW = 64      # stream items a callee may send before the caller grants $/stream.credit


def demo_bytes(size):
    """What demo.download sends: byte i = i % 256."""
    return (bytes(range(256)) * (size // 256 + 1))[:size]


class StreamCall:
    """One call with a streamed result or progress reports, as its caller: files the items ($/stream.item), the reports
    ($/progress) and the response for its msgid, and whatever else arrives in `other`."""

    def __init__(self, peer, method, params):
        self.peer, self.id = peer, next(_ids)
        self.items, self.progress, self.response, self.other = [], [], None, []
        peer.send([0, self.id, method, params])

    def read(self):
        m = self.peer.next()
        if m[0] == 2 and m[1] == "$/stream.item" and m[2][0] == self.id:
            self.items.append(m[2][1])
        elif m[0] == 2 and m[1] == "$/progress" and m[2][0] == self.id:
            self.progress.append(m[2][1])
        elif m[0] == 1 and m[1] == self.id:
            self.response = m
        else:
            self.other.append(m)

    def credit(self, n):
        self.peer.send([2, "$/stream.credit", [self.id, n]])

    def result(self, grant=True):
        """Reads to the response; with `grant`, grants $/stream.credit for the items read, 32 at a time."""
        granted = 0
        while self.response is None:
            if grant and len(self.items) - granted >= 32:
                self.credit(len(self.items) - granted)
                granted = len(self.items)
            self.read()
        return self.response


class MessagePackProgressAndBytesTests:
    """demo.steps ([2, "$/progress", [msgid, n]] before the answer), demo.upload (a Stream parameter: bin chunks as
    $/input.item within $/input.credit, answered "<length>:<sha256>") and demo.download (a Stream result: bin
    $/stream.item chunks within $/stream.credit). Needs self.peer() as MessagePackInputStreamTests does."""

    def peer(self):
        raise NotImplementedError

    def assertError(self, response, code):
        self.assertEqual((1, code), (response[0], (response[2] or {}).get("code")), response)
        self.assertIsNone(response[3], response)
        return response[2]

    def test_steps_reports_progress_in_order_before_its_answer(self):
        for steps in (1, 5, 300):
            with self.subTest(steps=steps):
                c = StreamCall(self.peer(), "demo.steps", [steps])
                self.assertEqual([1, c.id, None, steps], c.result())
                self.assertEqual(list(range(1, steps + 1)), c.progress)   # every one, in order, before the response
                self.assertEqual([], c.items)
                after = StreamCall(self.peer(), "demo.add", [1, 2]).result()   # a round trip later: none after it
                self.assertEqual(3, after[3])
                self.assertEqual([], [m for m in c.other if m[0] == 2 and m[1] == "$/progress"])

    def test_steps_zero_reports_nothing(self):
        c = StreamCall(self.peer(), "demo.steps", [0])
        self.assertEqual([1, c.id, None, 0], c.result())
        self.assertEqual([], c.progress)
        self.assertEqual(INVALID_PARAMS, StreamCall(self.peer(), "demo.steps", ["x"]).result()[2]["code"])

    def test_upload_of_a_few_megabytes_in_chunks_within_the_credit(self):
        import hashlib, random
        data = random.Random(11).randbytes(3 * 1024 * 1024 + 321)
        chunks = [data[i:i + 16384] for i in range(0, len(data), 16384)]   # 193 items: beyond the window
        c = InputCall(self.peer(), "demo.upload", []).send(chunks).end()
        self.assertEqual([1, c.id, None, f"{len(data)}:{hashlib.sha256(data).hexdigest()}"], c.result())
        self.assertGreaterEqual(c.credit, len(chunks) - INPUT_WINDOW, "the chunks sent exceed the credit granted")

    def test_upload_of_chunks_of_any_size(self):
        import hashlib
        data = bytes(range(256)) * 1000
        cuts = [0, 0, 1, 2, 65536, 65538, 131072 + 9, len(data)]   # an empty chunk, 1 byte, 64 KiB, 64 KiB + 7 …
        c = self.call_upload([data[a:b] for a, b in zip(cuts, cuts[1:])])
        self.assertEqual([1, c.id, None, f"{len(data)}:{hashlib.sha256(data).hexdigest()}"], c.result())
        c = self.call_upload([])
        self.assertEqual([1, c.id, None, "0:" + hashlib.sha256(b"").hexdigest()], c.result())

    def call_upload(self, chunks, error=None):
        return InputCall(self.peer(), "demo.upload", []).send(chunks).end(error)

    def test_upload_of_a_str_chunk_is_invalid_request_and_a_failed_one_ends_with_its_error(self):
        self.assertError(self.call_upload([b"fine", "a str, not bin"]).result(), INVALID_REQUEST)
        error = self.assertError(self.call_upload([b"abc"], {"code": -32603, "message": "the stream broke"}).result(), -32603)
        self.assertEqual("the stream broke", error["message"])

    def assertChunks(self, chunks, size):
        """A Stream result of `size` bytes: bin chunks of one size (64 KiB as SidecarKit sends them; the test takes any)
        but the last, which may be shorter, none empty, byte i = i % 256."""
        self.assertTrue(all(type(chunk) is bytes for chunk in chunks))
        sizes = [len(chunk) for chunk in chunks]
        self.assertTrue(all(sizes) and len(set(sizes[:-1])) <= 1 and sizes[-1:] <= sizes[:1], sizes)
        self.assertEqual(size, sum(sizes))
        self.assertEqual(demo_bytes(size), b"".join(chunks))

    def test_download_needs_credit_past_the_window(self):
        # A terabyte: 64 chunks come, then nothing until $/stream.credit; 17 more for a credit of 17; then cancelled.
        c = StreamCall(self.peer(), "demo.download", [1 << 40])
        for expected in (STREAM_WINDOW, STREAM_WINDOW + 17):
            while len(c.items) < expected and c.response is None:
                c.read()
            # A 300 ms sleep later, still no further chunk and no answer.
            sleep = StreamCall(self.peer(), "demo.sleep", [300])
            while sleep.response is None:
                m = self.peer().next()
                if m[0] == 1 and m[1] == sleep.id:
                    sleep.response = m
                elif m[0] == 2 and m[1] == "$/stream.item" and m[2][0] == c.id:
                    c.items.append(m[2][1])
                elif m[0] == 1 and m[1] == c.id:
                    c.response = m
            self.assertEqual((expected, None), (len(c.items), c.response), "not exactly the window and the credit")
            if expected == STREAM_WINDOW:
                c.credit(17)
        self.peer().send([2, "$/cancelRequest", [c.id]])
        self.assertEqual(-32800, self.assertError(c.result(grant=False), -32800)["code"])
        self.assertEqual(STREAM_WINDOW + 17, len(c.items))
        self.assertChunks(c.items, sum(len(item) for item in c.items))
        self.assertEqual(len(c.items[0]), len(c.items[-1]))

    def test_download_of_a_few_megabytes_with_credit_granted_as_read_nothing_and_a_few_bytes(self):
        for size in (5 * 1024 * 1024 + 7, 3 * 1024 * 1024 + 5):
            c = StreamCall(self.peer(), "demo.download", [size])
            response = c.result()
            self.assertEqual([1, c.id, None, len(c.items)], response)
            self.assertChunks(c.items, size)
        c = StreamCall(self.peer(), "demo.download", [0])
        self.assertEqual(([1, c.id, None, 0], []), (c.result(), c.items))
        c = StreamCall(self.peer(), "demo.download", [300])
        self.assertEqual(([1, c.id, None, 1], [demo_bytes(300)]), (c.result(), c.items))

    def test_download_of_a_negative_size_is_invalid_params(self):
        c = StreamCall(self.peer(), "demo.download", [-1])
        self.assertEqual("size must not be negative", self.assertError(c.result(), INVALID_PARAMS)["message"])
        self.assertEqual([], c.items)


# demo.sample over MessagePack-RPC (docs/protocol.md appendix A, "Values"): dates, times, Int128/UInt128, Uri and Version
# as strings (an integer is read for the big integers), Half as a float32, sets and immutable arrays as arrays, int keys
# as MessagePack integers and Guid keys as str. The values of tests/EndToEnd.Tests/DemoStreamingTests.cs NewSample().
INT128_MIN, INT128_MAX, UINT128_MAX = -2**127, 2**127 - 1, 2**128 - 1
SAMPLE = {
    "day": "2026-12-07", "at": "23:59:58.123456", "big": str(INT128_MAX - 5), "unsigned": str(UINT128_MAX // 3),
    "ratio": 0.333, "link": "https://example.com/a?b=c#d", "release": "1.2.3.4", "tags": ["x", "y"],
    "scores": [3, 1, 2], "counts": {"a": 1, "b": -2}, "byId": {-1: "minus one", 7: "seven"},
    "byGuid": {"0f8fad5b-d9cb-469f-a165-70867728950e": 42}, "note": "required",
}
SAMPLE_EDGES = SAMPLE | {
    "day": "0001-01-01", "at": "00:00:00", "big": str(INT128_MIN), "unsigned": str(UINT128_MAX), "ratio": 65504.0,
    "tags": [], "scores": [], "counts": {}, "byId": {}, "byGuid": {}, "note": "",
}


def half(value):
    """value rounded to an IEEE half, as Half compares."""
    import struct
    return struct.unpack("<e", struct.pack("<e", value))[0]


class MessagePackSampleTests:
    """demo.sample: the Sample back equal in Python terms (the set's order aside, the half compared as a half), malformed
    values -32602. Needs self.peer() as MessagePackInputStreamTests does (the peer's unpacker takes int map keys)."""

    def sample(self, value):
        msgid = next(_ids)
        peer = self.peer()
        peer.send([0, msgid, "demo.sample", [value]])
        while True:
            m = peer.next()
            if m[0] == 1 and m[1] == msgid:
                return m

    def assertSampleEqual(self, expected, response):
        self.assertIsNone(response[2], response)
        actual = response[3]
        self.assertEqual(set(expected), set(actual))
        for name, value in expected.items():
            if name == "tags":
                self.assertEqual(sorted(set(value)), sorted(actual[name]), name)
            elif name == "ratio":
                self.assertIsInstance(actual[name], float)
                self.assertEqual(half(value), half(actual[name]), name)
            else:
                self.assertEqual(value, actual[name], name)
                self.assertEqual(type(value), type(actual[name]), name)

    def test_sample_round_trips(self):
        self.assertSampleEqual(SAMPLE, self.sample(SAMPLE))

    def test_sample_edge_values_round_trip(self):
        self.assertSampleEqual(SAMPLE_EDGES, self.sample(SAMPLE_EDGES))

    def test_sample_big_integers_and_keys_in_their_other_forms(self):
        # Integers for the big integers (within long's and ulong's range), int keys as digits in a str.
        response = self.sample(SAMPLE | {"big": -2**63, "unsigned": 2**64 - 1, "byId": {"5": "five", -2**31: "min"}})
        self.assertSampleEqual(SAMPLE | {"big": str(-2**63), "unsigned": str(2**64 - 1),
                                         "byId": {5: "five", -2**31: "min"}}, response)

    def test_sample_malformed_values_are_invalid_params(self):
        cases = {
            "day": ("2026-13-01", "'2026-13-01' is not a date (yyyy-MM-dd)."),
            "at": ("24:00:00", "is not a time of day (HH:mm:ss[.fffffff])."),
            "big": (str(INT128_MAX + 1), f"'{INT128_MAX + 1}' is not an integer within Int128's range."),
            "unsigned": ("-1", "'-1' is not a non-negative integer within UInt128's range."),
            "byGuid": ({"nope": 1}, "the key 'nope' is not a GUID (D format)."),
        }
        for name, (value, message) in cases.items():
            with self.subTest(name):
                error = self.assertError(self.sample(SAMPLE | {name: value}), INVALID_PARAMS)
                self.assertTrue(error["message"].endswith(message), error)
        error = self.assertError(self.sample({k: v for k, v in SAMPLE.items() if k != "note"}), INVALID_PARAMS)
        self.assertIn("required member 'note' is missing", error["message"])
