#!/usr/bin/python3
"""The demo sidecar over gRPC (--transport grpc and grpc-unix), driven by Debian's python3-grpcio and python3-protobuf
(independent implementations of HTTP/2, gRPC and Protocol Buffers).

At setup the suite asks the built sidecar for its contract as a proto3 file (--describe proto), writes it, a
hand-written grpc.health.v1 health.proto and the golden callback protos (demo_events.proto, sidecarkit_callbacks.proto
from tests/Transports.Grpc.Tests/Golden) to a temporary folder and compiles them with Debian's protoc. Debian has no
grpc_tools, so the stubs are made by hand from channel.unary_unary / unary_stream / stream_unary / stream_stream
and the generated message classes (Sum and Upload are client streaming, Chat bidirectional, Download server streaming,
Area takes the oneof Shape, Steps is unary: its progress reports do not cross gRPC).

Every sidecar is started with stdin a pipe kept open (it exits on end of stdin) and without SIDECAR_TOKEN unless a test
sets it. It names where it listens in the "listenInfo" of the __SIDECAR_READY__ line on stderr.

Prints "python: N passed, N failed" last; exits non-zero on any failure. Without grpc or google.protobuf it says so
loudly and counts as one failure (scripts/test.sh installs python3-grpcio and python3-protobuf).
"""
import atexit, datetime, importlib, json, os, secrets, shutil, socket, stat, struct, subprocess, sys, tempfile, threading, time, unittest

from suite_runner import DEMO_SIDECAR_DLL as DLL, REPO_ROOT, SidecarProcess, import_grpc, run

grpc, _protobuf = import_grpc()
from google.protobuf import empty_pb2, timestamp_pb2  # noqa: E402  (after the loud import check)

TIMEOUT = 10.0          # seconds for the ready line, a log line, an exit, or any one call that should be quick
SERVICE = "sidecarkit.demo.Demo"
HEALTH = "grpc.health.v1.Health"
CALLBACKS = "sidecarkit.callbacks.Callbacks"
GOLDEN = os.path.join(REPO_ROOT, "tests/Transports.Grpc.Tests/Golden")
CALLBACK_PROTOS = ("demo_events.proto", "sidecarkit_callbacks.proto")
MiB = 1024 * 1024

# grpc.health.v1 as the gRPC health checking protocol defines it (the two messages the server's health service uses):
# the one the sample grpcio server compiles too.
sys.path.insert(0, os.path.join(REPO_ROOT, "samples", "Polyglot", "python"))
from grpc_demo_server import HEALTH_PROTO  # noqa: E402

# grpc.reflection.v1 as gRPC's server reflection protocol defines it (v1alpha has the same messages).
REFLECTION = "grpc.reflection.v1.ServerReflection"
REFLECTION_PROTO = """syntax = "proto3";
package grpc.reflection.v1;
message ServerReflectionRequest {
  string host = 1;
  oneof message_request {
    string file_by_filename = 3;
    string file_containing_symbol = 4;
    ExtensionRequest file_containing_extension = 5;
    string all_extension_numbers_of_type = 6;
    string list_services = 7;
  }
}
message ExtensionRequest { string containing_type = 1; int32 extension_number = 2; }
message ServerReflectionResponse {
  string valid_host = 1;
  ServerReflectionRequest original_request = 2;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ExtensionNumberResponse all_extension_numbers_response = 5;
    ListServiceResponse list_services_response = 6;
    ErrorResponse error_response = 7;
  }
}
message FileDescriptorResponse { repeated bytes file_descriptor_proto = 1; }
message ExtensionNumberResponse { string base_type_name = 1; repeated int32 extension_number = 2; }
message ListServiceResponse { repeated ServiceResponse service = 1; }
message ServiceResponse { string name = 1; }
message ErrorResponse { int32 error_code = 1; string error_message = 2; }
"""

pb = None        # demo_pb2, compiled from the sidecar's own --describe proto
health_pb = None  # health_pb2
events_pb = None  # demo_events_pb2: the callback contract's messages (golden file)
cb_pb = None      # sidecarkit_callbacks_pb2: CallbackCall and CallbackReply (golden file)
refl_pb = None    # reflection_pb2


def generate():
    """Compiles the sidecar's demo.proto, health.proto and the golden callback protos with protoc and imports them;
    returns a problem or None."""
    global pb, health_pb, events_pb, cb_pb, refl_pb
    if not os.path.exists(DLL):
        return f"the demo sidecar is not built ({DLL}): dotnet build Toolkit.sln -c Release"
    if shutil.which("protoc") is None:
        return "protoc is missing: apt-get install protobuf-compiler (scripts/test.sh does this)"
    out = tempfile.mkdtemp(prefix="sidecar-grpc-test-")
    atexit.register(shutil.rmtree, out, True)
    described = subprocess.run(["dotnet", DLL, "--describe", "proto"], stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    if described.returncode != 0 or b"service Demo" not in described.stdout:
        return f"`dotnet {DLL} --describe proto` failed ({described.returncode}):\n{described.stderr.decode(errors='replace')}"
    with open(os.path.join(out, "demo.proto"), "wb") as f:
        f.write(described.stdout)
    with open(os.path.join(out, "health.proto"), "w") as f:
        f.write(HEALTH_PROTO)
    with open(os.path.join(out, "reflection.proto"), "w") as f:
        f.write(REFLECTION_PROTO)
    for name in CALLBACK_PROTOS:
        if not os.path.exists(os.path.join(GOLDEN, name)):
            return f"the golden callback proto {os.path.join(GOLDEN, name)} is missing"
        shutil.copy(os.path.join(GOLDEN, name), out)
    compiled = subprocess.run(["protoc", f"--python_out={out}", f"-I{out}", "-I/usr/include", "demo.proto", "health.proto",
                               "reflection.proto", *CALLBACK_PROTOS], capture_output=True, timeout=60)
    if compiled.returncode != 0:
        return f"protoc rejected the sidecar's demo.proto or the golden callback protos:\n{compiled.stderr.decode(errors='replace')}"
    sys.path.insert(0, out)
    pb = importlib.import_module("demo_pb2")
    health_pb = importlib.import_module("health_pb2")
    events_pb = importlib.import_module("demo_events_pb2")
    cb_pb = importlib.import_module("sidecarkit_callbacks_pb2")
    refl_pb = importlib.import_module("reflection_pb2")
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metadata_dict(md):
    return {k: v for k, v in (md or ())}


class Demo:
    """A hand-written stub for sidecarkit.demo.Demo (no grpc_tools in Debian)."""

    def __init__(self, channel):
        unary = {"Add": (pb.AddRequest, pb.AddResponse), "Echo": (pb.EchoRequest, pb.EchoResponse),
                 "Divide": (pb.DivideRequest, pb.DivideResponse), "Sleep": (pb.SleepRequest, pb.SleepResponse),
                 "Blob": (pb.BlobRequest, pb.BlobResponse), "Log": (pb.LogRequest, empty_pb2.Empty),
                 "Exit": (pb.ExitRequest, empty_pb2.Empty), "Work": (pb.WorkRequest, pb.WorkResponse),
                 "Steps": (pb.StepsRequest, pb.StepsResponse),   # IProgress<int>: gRPC has no reports, a plain unary rpc
                 "Sample": (pb.SampleRequest, pb.SampleResponse)}
        for name, (request, response) in unary.items():
            setattr(self, name, channel.unary_unary(f"/{SERVICE}/{name}", request_serializer=request.SerializeToString,
                                                    response_deserializer=response.FromString))
        self.Count = channel.unary_stream(f"/{SERVICE}/Count", request_serializer=pb.CountRequest.SerializeToString,
                                          response_deserializer=pb.CountResponse.FromString)
        self.Area = channel.unary_unary(f"/{SERVICE}/Area", request_serializer=pb.AreaRequest.SerializeToString,
                                        response_deserializer=pb.AreaResponse.FromString)
        # Client streaming and bidirectional: an iterator of requests; the first carries the params (and may carry an
        # item), every message with the item field set is one item.
        self.Sum = channel.stream_unary(f"/{SERVICE}/Sum", request_serializer=pb.SumRequest.SerializeToString,
                                        response_deserializer=pb.SumResponse.FromString)
        self.Chat = channel.stream_stream(f"/{SERVICE}/Chat", request_serializer=pb.ChatRequest.SerializeToString,
                                          response_deserializer=pb.ChatResponse.FromString)
        # A Stream parameter: client streaming of bytes chunks (optional bytes data); a Stream result: server streaming.
        self.Upload = channel.stream_unary(f"/{SERVICE}/Upload", request_serializer=pb.UploadRequest.SerializeToString,
                                           response_deserializer=pb.UploadResponse.FromString)
        self.Download = channel.unary_stream(f"/{SERVICE}/Download", request_serializer=pb.DownloadRequest.SerializeToString,
                                             response_deserializer=pb.DownloadResponse.FromString)


class Health:
    def __init__(self, channel):
        self.Check = channel.unary_unary(f"/{HEALTH}/Check", request_serializer=health_pb.HealthCheckRequest.SerializeToString,
                                         response_deserializer=health_pb.HealthCheckResponse.FromString)
        self.Watch = channel.unary_stream(f"/{HEALTH}/Watch", request_serializer=health_pb.HealthCheckRequest.SerializeToString,
                                          response_deserializer=health_pb.HealthCheckResponse.FromString)


def reflection_info(channel, service=REFLECTION):
    """A hand-written stub for ServerReflectionInfo (bidirectional) of grpc.reflection.v1 or v1alpha."""
    return channel.stream_stream(f"/{service}/ServerReflectionInfo",
                                 request_serializer=refl_pb.ServerReflectionRequest.SerializeToString,
                                 response_deserializer=refl_pb.ServerReflectionResponse.FromString)


class Callbacks:
    """A hand-written stub for sidecarkit.callbacks.Callbacks: the service a parent takes the sidecar's calls on."""

    def __init__(self, channel):
        self.Subscribe = channel.unary_stream(f"/{CALLBACKS}/Subscribe", request_serializer=empty_pb2.Empty.SerializeToString,
                                              response_deserializer=cb_pb.CallbackCall.FromString)
        self.Reply = channel.unary_unary(f"/{CALLBACKS}/Reply", request_serializer=cb_pb.CallbackReply.SerializeToString,
                                         response_deserializer=empty_pb2.Empty.FromString)


class Parent:
    """A parent over grpcio: holds one Subscribe open, reads it on a thread, decodes each CallbackCall by its method and
    serves demoEvents.progress (recorded) and demoEvents.confirm (recorded, then answered with Reply on a thread of its
    own: `confirm`, or the error `error` = (code, message, data_json) when that is set).

    start() returns once the sidecar holds the subscription (it sends the headers then) and raises the RpcError of a
    refused one (ALREADY_EXISTS). Anything unexpected (an unknown method, a notification with an id, a failed Reply)
    lands in `problems`, which the tests check is empty."""

    def __init__(self, channel, confirm=True, error=None):
        self.stub = Callbacks(channel)
        self.confirm, self.error = confirm, error
        self.progress, self.questions, self.calls, self.problems = [], [], [], []
        self.ended = None   # the RpcError the subscription ended with
        self.cond = threading.Condition()
        self.call = self.thread = None

    def start(self):
        self.call = self.stub.Subscribe(empty_pb2.Empty())   # no deadline: it stays open until cancelled
        self.call.initial_metadata()   # headers or a trailers-only refusal
        if self.call.done():
            raise self.call   # the refused subscription's RpcError (its code is ALREADY_EXISTS when one is open)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    def _serve(self):
        try:
            for call in self.call:
                with self.cond:
                    self.calls.append(call)
                if call.method == "demoEvents.progress":
                    request = events_pb.ProgressRequest.FromString(call.request)
                    with self.cond:
                        self.progress.append((request.task, request.percent))
                        if call.id != 0 or call.path != "/sidecarkit.demo_events.DemoEvents/Progress":
                            self.problems.append(f"progress came as id {call.id}, path {call.path!r}")
                        self.cond.notify_all()
                elif call.method == "demoEvents.confirm":
                    request = events_pb.ConfirmRequest.FromString(call.request)
                    with self.cond:
                        self.questions.append(request.question)
                        if call.id == 0 or call.path != "/sidecarkit.demo_events.DemoEvents/Confirm":
                            self.problems.append(f"confirm came as id {call.id}, path {call.path!r}")
                        self.cond.notify_all()
                    threading.Thread(target=self._answer_confirm, args=(call.id,), daemon=True).start()
                else:
                    with self.cond:
                        self.problems.append(f"unexpected callback {call.method!r} (id {call.id}, path {call.path!r})")
        except grpc.RpcError as e:
            with self.cond:
                self.ended = e
                self.cond.notify_all()

    def _answer_confirm(self, call_id):
        if self.error:
            code, message, data = self.error
            reply = cb_pb.CallbackReply(id=call_id, error_code=code, error_message=message, error_data_json=data)
        else:
            reply = cb_pb.CallbackReply(id=call_id, response=events_pb.ConfirmResponse(result=self.confirm).SerializeToString())
        try:
            self.stub.Reply(reply, timeout=TIMEOUT)
        except grpc.RpcError as e:
            with self.cond:
                self.problems.append(f"Reply to {call_id} failed: {e.code()} {e.details()}")

    def close(self):
        """Cancels the subscription and waits for its thread (the sidecar frees the slot once it sees the cancel)."""
        if self.call is not None:
            self.call.cancel()
        if self.thread is not None:
            self.thread.join(TIMEOUT)


class Sidecar(SidecarProcess):
    """One `dotnet <dll> --transport grpc|grpc-unix` process, and the grpcio channels opened to it."""

    def __init__(self, transport="grpc", *extra, env=None, wait_ready=True):
        self.transport = transport
        e = {k: v for k, v in os.environ.items() if k not in ("SIDECAR_TOKEN", "DEMO_READY_DELAY_MS", "DEMO_GRPC_COMPRESS")}
        e.update(env or {})
        self.channels = []
        super().__init__(["--transport", transport, *extra], e)
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout=30):
        super().wait_ready(timeout)
        self.listen = self.ready["listenInfo"]
        self.target = ("unix:" + self.listen) if self.transport == "grpc-unix" else self.listen
        return self.ready

    def channel(self, target=None, **options):
        opts = [("grpc.enable_http_proxy", 0), ("grpc.use_local_subchannel_pool", 1), *options.items()]
        ch = grpc.insecure_channel(target or self.target, options=opts)
        self.channels.append(ch)
        return ch

    def close(self):
        """Closes its channels, then stops the sidecar."""
        for ch in self.channels:
            ch.close()
        self.channels = []
        self.stop()


def person_full():
    born = timestamp_pb2.Timestamp()
    born.FromDatetime(datetime.datetime(1815, 12, 10, 8, 30, 15))   # before 1970: negative seconds, positive nanos
    born.nanos = 123456700   # .NET keeps 100 ns ticks: a whole number of them comes back unchanged
    return pb.Person(name="Ada Lovelace ✓ — 数学 🧮", age=36, tags=["math", "", "poetical science"],
                     address=pb.Address(street="12 St James's Square", city="London"), born=born)


class ServesDemo:
    """Add, Echo and Count: shared by the TCP and the Unix-socket classes (self.demo is a Demo stub)."""

    def test_add(self):
        self.assertEqual(5, self.demo.Add(pb.AddRequest(a=2, b=3), timeout=TIMEOUT).result)
        self.assertEqual(-2147483648, self.demo.Add(pb.AddRequest(a=-2147483647, b=-1), timeout=TIMEOUT).result)

    def test_add_overflow_is_invalid_argument(self):
        with self.assertRaises(grpc.RpcError) as cm:
            self.demo.Add(pb.AddRequest(a=2147483647, b=1), timeout=TIMEOUT)
        e = cm.exception
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, e.code(), e.details())
        self.assertEqual("-32602", metadata_dict(e.trailing_metadata()).get("sidecar-error-code"), e.trailing_metadata())
        self.assertIn("overflow", e.details())

    def test_echo_every_field(self):
        person = person_full()
        back = self.demo.Echo(pb.EchoRequest(person=person), timeout=TIMEOUT).result
        self.assertEqual(person, back)
        self.assertEqual("Ada Lovelace ✓ — 数学 🧮", back.name)
        self.assertEqual((person.born.seconds, 123456700), (back.born.seconds, back.born.nanos))
        self.assertEqual(["math", "", "poetical science"], list(back.tags))

    def test_echo_empty_person_keeps_unset_fields_unset(self):
        response = self.demo.Echo(pb.EchoRequest(person=pb.Person()), timeout=TIMEOUT)
        back = response.result
        self.assertEqual(pb.Person(), back)
        self.assertFalse(back.HasField("address"), back)
        self.assertFalse(back.HasField("born"), back)
        self.assertEqual(("", 0, []), (back.name, back.age, list(back.tags)))

    def test_count(self):
        self.assertEqual([1, 2, 3, 4, 5], [r.item for r in self.demo.Count(pb.CountRequest(to=5), timeout=TIMEOUT)])
        self.assertEqual([], [r.item for r in self.demo.Count(pb.CountRequest(to=0), timeout=TIMEOUT)])
        self.assertEqual([], [r.item for r in self.demo.Count(pb.CountRequest(to=-3), timeout=TIMEOUT)])


class Requests:
    """A request iterator fed from the test, one message at a time (for a bidirectional call that interleaves)."""

    END = object()

    def __init__(self):
        import queue
        self.q = queue.Queue()

    def put(self, message):
        self.q.put(message)

    def end(self):
        self.q.put(self.END)

    def __iter__(self):
        while True:
            m = self.q.get(timeout=TIMEOUT)
            if m is self.END:
                return
            yield m


class StreamsAndShapes:
    """Sum (client streaming), Chat (bidirectional) and Area (a oneof Shape): shared by the TCP and Unix classes."""

    def test_sum_of_several_values(self):
        self.assertEqual(5, self.demo.Sum(iter([pb.SumRequest(values=v) for v in (1, 2, 3, 4, -5)]), timeout=TIMEOUT).result)

    def test_sum_of_no_values_is_zero(self):
        self.assertEqual(0, self.demo.Sum(iter([]), timeout=TIMEOUT).result)
        self.assertEqual(0, self.demo.Sum(iter([pb.SumRequest()]), timeout=TIMEOUT).result)   # params only: no item

    def test_sum_counts_only_messages_with_the_item_field(self):
        # values = 0 set explicitly is an item (proto3 optional: present though zero); an empty message is not.
        requests = [pb.SumRequest(), pb.SumRequest(values=0), pb.SumRequest(values=7), pb.SumRequest()]
        self.assertEqual(7, self.demo.Sum(iter(requests), timeout=TIMEOUT).result)

    def test_sum_of_many_values_is_an_int64(self):
        requests = (pb.SumRequest(values=2147483647) for _ in range(5000))
        self.assertEqual(5000 * 2147483647, self.demo.Sum(requests, timeout=60).result)

    def test_sum_whose_requests_fail_midway(self):
        def requests():
            yield pb.SumRequest(values=1)
            raise RuntimeError("the producer failed")
        with self.assertRaises(grpc.RpcError) as cm:
            self.demo.Sum(requests(), timeout=TIMEOUT)
        self.assertIn(cm.exception.code(), (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN), cm.exception.details())
        self.assertEqual(3, self.demo.Sum(iter([pb.SumRequest(values=1), pb.SumRequest(values=2)]), timeout=TIMEOUT).result)

    def test_chat_round_trip_interleaved(self):
        requests = Requests()
        call = self.demo.Chat(iter(requests), timeout=TIMEOUT)
        requests.put(pb.ChatRequest(prefix="re: "))   # the params alone
        lines = ["hello", "", "ünï ✓ 🚀", "bye"]
        for line in lines:
            requests.put(pb.ChatRequest(lines=line))
            self.assertEqual("re: " + line, next(call).item)   # its echo before the next line is sent
        requests.end()
        self.assertEqual([], [r.item for r in call])
        self.assertEqual(grpc.StatusCode.OK, call.code())

    def test_chat_first_message_with_an_item_and_many_lines(self):
        lines = [f"line {i}" for i in range(2000)]
        requests = [pb.ChatRequest(prefix="> ", lines=lines[0])] + [pb.ChatRequest(lines=line) for line in lines[1:]]
        self.assertEqual(["> " + line for line in lines], [r.item for r in self.demo.Chat(iter(requests), timeout=60)])

    def test_chat_with_no_lines(self):
        self.assertEqual([], [r.item for r in self.demo.Chat(iter([pb.ChatRequest(prefix="x")]), timeout=TIMEOUT)])

    def test_area_of_a_circle_and_a_rectangle(self):
        circle = pb.Shape(circle=pb.Circle(name="c", radius=2.0))
        self.assertAlmostEqual(4 * 3.141592653589793, self.demo.Area(pb.AreaRequest(shape=circle), timeout=TIMEOUT).result, places=9)
        rectangle = pb.Shape(rectangle=pb.Rectangle(name="r", width=2.5, height=4.0))
        self.assertEqual(10.0, self.demo.Area(pb.AreaRequest(shape=rectangle), timeout=TIMEOUT).result)
        self.assertEqual("circle", circle.WhichOneof("variant"))

    def test_area_of_a_shape_without_a_case_is_invalid_argument(self):
        # No case of the oneof (the protobuf form of a missing "$type"), a case this side does not know (field 103,
        # the form of an unknown "$type"), and no shape at all.
        unknown = pb.AreaRequest.FromString(b"\x0a\x06" + b"\xba\x06\x03abc")   # shape { 103: "abc" }
        for request in (pb.AreaRequest(shape=pb.Shape()), unknown, pb.AreaRequest()):
            with self.subTest(request=request.SerializeToString()):
                with self.assertRaises(grpc.RpcError) as cm:
                    self.demo.Area(request, timeout=TIMEOUT)
                e = cm.exception
                self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, e.code(), e.details())
                self.assertEqual("-32602", metadata_dict(e.trailing_metadata()).get("sidecar-error-code"), e.trailing_metadata())


def demo_bytes(size):
    """What Download sends: byte i = i % 256."""
    return (bytes(range(256)) * (size // 256 + 1))[:size]


class StepsUploadDownload:
    """Steps (IProgress<int> on the C# side: a plain unary rpc here, the reports dropped), Upload (a Stream parameter:
    client streaming of UploadRequest chunks) and Download (a Stream result: server streaming of 64 KiB chunks): shared
    by the TCP and Unix classes."""

    def test_steps_answers_steps(self):
        for steps in (0, 1, 7, 1000):
            with self.subTest(steps=steps):
                self.assertEqual(steps, self.demo.Steps(pb.StepsRequest(steps=steps), timeout=TIMEOUT).result)

    def test_upload_of_a_few_megabytes_in_chunks(self):
        import hashlib, random
        data = random.Random(5).randbytes(3 * MiB + 99)
        sent = []

        def requests():   # a generator: grpcio pulls it as HTTP/2 flow control lets it send
            for i in range(0, len(data), 64 * 1024):
                sent.append(i)
                yield pb.UploadRequest(data=data[i:i + 64 * 1024])
        answer = self.demo.Upload(requests(), timeout=60).result
        self.assertEqual(f"{len(data)}:{hashlib.sha256(data).hexdigest()}", answer)
        self.assertEqual(49, len(sent))

    def test_upload_of_chunks_of_any_size_and_of_nothing(self):
        import hashlib
        data = bytes(range(256)) * 1000
        cuts = [0, 0, 1, 2, 65536, 65538, 131081, len(data)]   # an empty chunk (present: an item), 1 byte, 64 KiB …
        requests = [pb.UploadRequest()] + [pb.UploadRequest(data=data[a:b]) for a, b in zip(cuts, cuts[1:])]
        self.assertEqual(f"{len(data)}:{hashlib.sha256(data).hexdigest()}", self.demo.Upload(iter(requests), timeout=TIMEOUT).result)
        self.assertEqual("0:" + hashlib.sha256(b"").hexdigest(), self.demo.Upload(iter([]), timeout=TIMEOUT).result)

    def test_upload_whose_requests_fail_midway(self):
        def requests():
            yield pb.UploadRequest(data=b"abc")
            raise RuntimeError("the producer failed")
        with self.assertRaises(grpc.RpcError) as cm:
            self.demo.Upload(requests(), timeout=TIMEOUT)
        self.assertIn(cm.exception.code(), (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN), cm.exception.details())
        self.assertEqual("3:" + __import__("hashlib").sha256(b"xyz").hexdigest(),
                         self.demo.Upload(iter([pb.UploadRequest(data=b"xyz")]), timeout=TIMEOUT).result)

    def test_download_of_a_few_megabytes(self):
        size = 5 * MiB + 7   # more than the 4 MiB a grpcio message may be: chunks of 64 KiB, each its own message
        chunks = [r.item for r in self.demo.Download(pb.DownloadRequest(size=size), timeout=60)]
        sizes = [len(c) for c in chunks]   # one size (64 KiB as SidecarKit sends them; any is taken) but the last
        self.assertTrue(len(sizes) > 1 and len(set(sizes[:-1])) == 1 and 0 < sizes[-1] <= sizes[0] < 4 * MiB, sizes)
        self.assertEqual(demo_bytes(size), b"".join(chunks))

    def test_download_of_nothing_and_of_a_few_bytes(self):
        self.assertEqual([], [r.item for r in self.demo.Download(pb.DownloadRequest(size=0), timeout=TIMEOUT)])
        self.assertEqual([demo_bytes(300)], [r.item for r in self.demo.Download(pb.DownloadRequest(size=300), timeout=TIMEOUT)])

    def test_download_read_slowly_then_cancelled(self):
        call = self.demo.Download(pb.DownloadRequest(size=1 << 40), timeout=60)   # a terabyte: read 20 chunks, stop
        chunks = [next(call).item for _ in range(20)]
        self.assertEqual(1, len({len(c) for c in chunks}), [len(c) for c in chunks])
        self.assertEqual(demo_bytes(20 * len(chunks[0])), b"".join(chunks))
        call.cancel()
        self.assertEqual(grpc.StatusCode.CANCELLED, call.code())
        self.assertEqual(5, self.demo.Add(pb.AddRequest(a=2, b=3), timeout=TIMEOUT).result)

    def test_download_of_a_negative_size_is_invalid_argument(self):
        with self.assertRaises(grpc.RpcError) as cm:
            list(self.demo.Download(pb.DownloadRequest(size=-1), timeout=TIMEOUT))
        e = cm.exception
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, e.code(), e.details())
        self.assertEqual("-32602", metadata_dict(e.trailing_metadata()).get("sidecar-error-code"), e.trailing_metadata())
        self.assertIn("size must not be negative", e.details())


INT128_MIN, INT128_MAX, UINT128_MAX = -2**127, 2**127 - 1, 2**128 - 1


def half(value):
    """value rounded to an IEEE half, as Half compares."""
    return struct.unpack("<e", struct.pack("<e", value))[0]


class Samples:
    """Sample (the newer wire types) in protobuf: dates, times, Int128/UInt128, Uri and Version as strings, Half as a
    float, the set and the immutable array as repeated fields, the maps as map fields (int32 keys for Dictionary<int,_>,
    the Guid keys as strings). Shared by the TCP and Unix classes."""

    def new_sample(self, **changes):
        values = dict(day="2026-12-07", at="23:59:58.123456", big=str(INT128_MAX - 5), unsigned=str(UINT128_MAX // 3),
                      ratio=0.333, link="https://example.com/a?b=c#d", release="1.2.3.4", tags=["x", "y"],
                      scores=[3, 1, 2], counts={"a": 1, "b": -2}, by_id={-1: "minus one", 7: "seven"},
                      by_guid={"0f8fad5b-d9cb-469f-a165-70867728950e": 42}, note="required")
        values.update(changes)
        return values

    def echo(self, values):
        sample = pb.Sample(**values)
        return self.demo.Sample(pb.SampleRequest(sample=sample), timeout=TIMEOUT).result

    def assertSampleEqual(self, values, back):
        for name, value in values.items():
            actual = getattr(back, name)
            if name == "tags":
                self.assertEqual(sorted(set(value)), sorted(actual), name)
            elif name == "ratio":
                self.assertEqual(half(value), half(actual), name)
            elif isinstance(value, dict):
                self.assertEqual(value, dict(actual), name)
            elif isinstance(value, list):
                self.assertEqual(value, list(actual), name)
            else:
                self.assertEqual(value, actual, name)

    def test_sample_round_trips(self):
        values = self.new_sample()
        self.assertSampleEqual(values, self.echo(values))

    def test_sample_edge_values_round_trip(self):
        values = self.new_sample(day="0001-01-01", at="00:00:00", big=str(INT128_MIN), unsigned=str(UINT128_MAX),
                                 ratio=65504.0, tags=[], scores=[], counts={}, by_id={}, by_guid={}, note="")
        self.assertSampleEqual(values, self.echo(values))

    def test_sample_malformed_values_are_invalid_argument(self):
        cases = {"day": "2026-13-01", "at": "24:00:00", "big": str(INT128_MAX + 1), "unsigned": "-1",
                 "release": "1.2.x", "by_guid": {"nope": 1}}
        for name, value in cases.items():
            with self.subTest(name):
                with self.assertRaises(grpc.RpcError) as cm:
                    self.echo(self.new_sample(**{name: value}))
                e = cm.exception
                self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, e.code(), e.details())
                self.assertEqual("-32602", metadata_dict(e.trailing_metadata()).get("sidecar-error-code"),
                                 e.trailing_metadata())


class Tcp(ServesDemo, StreamsAndShapes, StepsUploadDownload, Samples, unittest.TestCase):
    """--transport grpc with the default listen address: one sidecar for the class."""

    @classmethod
    def setUpClass(cls):
        cls.sc = Sidecar("grpc")
        cls.ch = cls.sc.channel()
        cls.demo = Demo(cls.ch)
        cls.health = Health(cls.ch)

    @classmethod
    def tearDownClass(cls):
        cls.sc.close()

    def test_ready_line(self):
        r = self.sc.ready
        self.assertEqual("grpc", r["transport"])
        self.assertEqual(self.sc.p.pid, r["pid"])
        self.assertRegex(r["listenInfo"], r"^127\.0\.0\.1:\d+$")
        self.assertEqual(["demo"], [c["name"] for c in r["contracts"]])

    def test_echo_present_but_empty_messages_stay_present(self):
        person = pb.Person(name="n", age=-1, address=pb.Address(), born=timestamp_pb2.Timestamp(seconds=0, nanos=0))
        back = self.demo.Echo(pb.EchoRequest(person=person), timeout=TIMEOUT).result
        self.assertTrue(back.HasField("address"), "an empty Address came back unset")
        self.assertTrue(back.HasField("born"), "born = 1970-01-01T00:00:00Z came back unset")
        self.assertEqual(person, back)

    def test_unknown_fields_are_skipped(self):
        add = self.ch.unary_unary(f"/{SERVICE}/Add", response_deserializer=pb.AddResponse.FromString)
        extra = b"\xf8\x06\x07" + b"\x82\x07\x03abc"   # field 111 varint 7, field 112 "abc"
        self.assertEqual(5, add(pb.AddRequest(a=2, b=3).SerializeToString() + extra, timeout=TIMEOUT).result)
        self.assertEqual(0, add(b"", timeout=TIMEOUT).result)   # no fields: proto3 defaults, 0 + 0

    def test_malformed_request_is_invalid_argument(self):
        add = self.ch.unary_unary(f"/{SERVICE}/Add")
        with self.assertRaises(grpc.RpcError) as cm:
            add(b"\x08", timeout=TIMEOUT)   # field 1, its varint missing
        e = cm.exception
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, e.code(), e.details())
        self.assertEqual("-32602", metadata_dict(e.trailing_metadata()).get("sidecar-error-code"))
        self.assertEqual(5, self.demo.Add(pb.AddRequest(a=2, b=3), timeout=TIMEOUT).result)

    def test_divide(self):
        self.assertEqual(2.5, self.demo.Divide(pb.DivideRequest(dividend=5, divisor=2), timeout=TIMEOUT).result)
        nan = self.demo.Divide(pb.DivideRequest(dividend=float("nan"), divisor=1), timeout=TIMEOUT).result
        self.assertNotEqual(nan, nan)

    def test_divide_by_zero(self):
        with self.assertRaises(grpc.RpcError) as cm:
            self.demo.Divide(pb.DivideRequest(dividend=1, divisor=0), timeout=TIMEOUT)
        e = cm.exception
        self.assertEqual(grpc.StatusCode.UNKNOWN, e.code(), e.details())
        self.assertEqual("division by zero", e.details())
        self.assertEqual("-32010", metadata_dict(e.trailing_metadata()).get("sidecar-error-code"), e.trailing_metadata())

    def test_count_many_in_order(self):
        self.assertEqual(list(range(1, 20001)), [r.item for r in self.demo.Count(pb.CountRequest(to=20000), timeout=60)])

    def test_count_cancelled_midway_then_more_calls(self):
        call = self.demo.Count(pb.CountRequest(to=50_000_000), timeout=60)
        self.assertEqual([1, 2, 3], [next(call).item for _ in range(3)])
        call.cancel()
        with self.assertRaises(grpc.RpcError) as cm:
            for _ in call:
                pass
        self.assertEqual(grpc.StatusCode.CANCELLED, cm.exception.code())
        self.assertEqual([1, 2, 3], [r.item for r in self.demo.Count(pb.CountRequest(to=3), timeout=TIMEOUT)])
        self.assertEqual(7, self.demo.Add(pb.AddRequest(a=3, b=4), timeout=TIMEOUT).result)

    def test_sleep(self):
        self.assertEqual("slept", self.demo.Sleep(pb.SleepRequest(milliseconds=1), timeout=TIMEOUT).result)

    def test_sleep_past_the_deadline(self):
        started = time.monotonic()
        with self.assertRaises(grpc.RpcError) as cm:
            self.demo.Sleep(pb.SleepRequest(milliseconds=60000), timeout=0.2)
        self.assertEqual(grpc.StatusCode.DEADLINE_EXCEEDED, cm.exception.code())
        self.assertLess(time.monotonic() - started, 30, "the deadline did not end the call")
        self.assertEqual(2, self.demo.Add(pb.AddRequest(a=1, b=1), timeout=TIMEOUT).result)

    def test_calls_run_at_once_on_one_connection(self):
        # Order, not time: the sleep is still running when the others have answered.
        sleeping = self.demo.Sleep.future(pb.SleepRequest(milliseconds=60000), timeout=TIMEOUT)
        self.assertEqual(9, self.demo.Add(pb.AddRequest(a=4, b=5), timeout=TIMEOUT).result)
        self.assertEqual(b"\x00\x01\x02", self.demo.Blob(pb.BlobRequest(size=3), timeout=TIMEOUT).result)
        self.assertFalse(sleeping.done(), "the other calls waited for the sleep")
        sleeping.cancel()
        self.assertTrue(sleeping.cancelled())

    def test_more_calls_at_once_than_streams_allowed(self):
        # 300 calls on one connection, over the server's 256 concurrent streams: the client queues the rest.
        sleeps = [self.demo.Sleep.future(pb.SleepRequest(milliseconds=300), timeout=30) for _ in range(300)]
        adds = [self.demo.Add.future(pb.AddRequest(a=i, b=i), timeout=30) for i in range(300)]
        self.assertEqual(["slept"] * 300, [f.result().result for f in sleeps])
        self.assertEqual([2 * i for i in range(300)], [f.result().result for f in adds])

    def test_blob_one_mib(self):
        data = self.demo.Blob(pb.BlobRequest(size=MiB), timeout=TIMEOUT).result
        self.assertEqual(MiB, len(data))
        self.assertEqual(bytes(i % 256 for i in range(MiB)), data)
        self.assertEqual(b"", self.demo.Blob(pb.BlobRequest(size=0), timeout=TIMEOUT).result)

    def test_blob_over_the_clients_limit(self):
        with self.assertRaises(grpc.RpcError) as cm:
            self.demo.Blob(pb.BlobRequest(size=5 * MiB), timeout=TIMEOUT)
        self.assertEqual(grpc.StatusCode.RESOURCE_EXHAUSTED, cm.exception.code(), cm.exception.details())
        self.assertIn("larger than max", cm.exception.details())   # grpcio's own message: the client refused it
        self.assertEqual(3, self.demo.Add(pb.AddRequest(a=1, b=2), timeout=TIMEOUT).result)

    def test_blob_five_mib_to_a_client_that_takes_it(self):
        big = Demo(self.sc.channel(**{"grpc.max_receive_message_length": 8 * MiB}))
        data = big.Blob(pb.BlobRequest(size=5 * MiB), timeout=30).result
        self.assertEqual(5 * MiB, len(data))
        self.assertEqual(bytes(i % 256 for i in range(256)) * (5 * MiB // 256), data)

    def test_negative_blob_is_invalid_argument(self):
        with self.assertRaises(grpc.RpcError) as cm:
            self.demo.Blob(pb.BlobRequest(size=-1), timeout=TIMEOUT)
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, cm.exception.code(), cm.exception.details())
        self.assertEqual("-32602", metadata_dict(cm.exception.trailing_metadata()).get("sidecar-error-code"))

    def test_log_returns_empty(self):
        marker = "grpc-log-" + secrets.token_hex(4)
        result = self.demo.Log(pb.LogRequest(message=marker), timeout=TIMEOUT)
        self.assertIsInstance(result, empty_pb2.Empty)
        self.assertEqual(b"", result.SerializeToString())
        self.assertTrue(self.sc.wait_for(lambda: self.sc.logged("demo.log: " + marker)), "the log line never appeared")

    def test_request_over_the_servers_limit(self):
        with self.assertRaises(grpc.RpcError) as cm:
            self.demo.Log(pb.LogRequest(message="a" * (5 * MiB)), timeout=30)
        self.assertEqual(grpc.StatusCode.RESOURCE_EXHAUSTED, cm.exception.code(), cm.exception.details())
        self.assertEqual(3, self.demo.Add(pb.AddRequest(a=1, b=2), timeout=TIMEOUT).result)

    def test_gzip(self):
        gz = grpc.Compression.Gzip
        self.assertEqual(5, self.demo.Add(pb.AddRequest(a=2, b=3), timeout=TIMEOUT, compression=gz).result)
        person = person_full()
        self.assertEqual(person, self.demo.Echo(pb.EchoRequest(person=person), timeout=TIMEOUT, compression=gz).result)
        self.assertEqual([1, 2, 3], [r.item for r in self.demo.Count(pb.CountRequest(to=3), timeout=TIMEOUT, compression=gz)])
        marker = "gzip-" + secrets.token_hex(4)
        self.assertIsInstance(self.demo.Log(pb.LogRequest(message=marker + "x" * (3 * MiB)), timeout=30, compression=gz), empty_pb2.Empty)
        self.assertTrue(self.sc.wait_for(lambda: self.sc.logged("demo.log: " + marker + "xxxx")), "the 3 MiB gzip log never appeared")

    def test_gzip_channel(self):
        gz = Demo(self.sc.channel(compression=grpc.Compression.Gzip))
        self.assertEqual(42, gz.Add(pb.AddRequest(a=40, b=2), timeout=TIMEOUT).result)
        self.assertEqual(bytes(range(256)) * 4, gz.Blob(pb.BlobRequest(size=1024), timeout=TIMEOUT).result)

    def test_gzip_limit_applies_after_decompression(self):
        with self.assertRaises(grpc.RpcError) as cm:   # a few KiB on the wire, 5 MiB once inflated
            self.demo.Log(pb.LogRequest(message="a" * (5 * MiB)), timeout=30, compression=grpc.Compression.Gzip)
        self.assertEqual(grpc.StatusCode.RESOURCE_EXHAUSTED, cm.exception.code(), cm.exception.details())
        self.assertEqual(3, self.demo.Add(pb.AddRequest(a=1, b=2), timeout=TIMEOUT).result)

    def test_deflate_is_refused_as_unimplemented(self):
        # The server takes identity and gzip; grpcio can also send deflate, which must be refused, not misread.
        with self.assertRaises(grpc.RpcError) as cm:
            self.demo.Add(pb.AddRequest(a=2, b=3), timeout=TIMEOUT, compression=grpc.Compression.Deflate)
        self.assertEqual(grpc.StatusCode.UNIMPLEMENTED, cm.exception.code(), cm.exception.details())
        self.assertIn("deflate", cm.exception.details())
        self.assertEqual(5, self.demo.Add(pb.AddRequest(a=2, b=3), timeout=TIMEOUT).result)

    def test_unknown_methods_are_unimplemented(self):
        for path in (f"/{SERVICE}/Nope", "/no.Such/Service", f"/{SERVICE}/add", "/sidecarkit.demo.demo/Add"):
            with self.subTest(path=path):
                with self.assertRaises(grpc.RpcError) as cm:
                    self.ch.unary_unary(path)(b"", timeout=TIMEOUT)
                self.assertEqual(grpc.StatusCode.UNIMPLEMENTED, cm.exception.code(), cm.exception.details())
        with self.assertRaises(grpc.RpcError) as cm:
            list(self.ch.unary_stream(f"/{SERVICE}/Nope")(b"", timeout=TIMEOUT))
        self.assertEqual(grpc.StatusCode.UNIMPLEMENTED, cm.exception.code())
        self.assertEqual(5, self.demo.Add(pb.AddRequest(a=2, b=3), timeout=TIMEOUT).result)
        self.assertEqual([1, 2], [r.item for r in self.demo.Count(pb.CountRequest(to=2), timeout=TIMEOUT)])

    def test_health_check(self):
        SERVING = health_pb.HealthCheckResponse.SERVING
        for service in ("", SERVICE):
            with self.subTest(service=service):
                self.assertEqual(SERVING, self.health.Check(health_pb.HealthCheckRequest(service=service), timeout=TIMEOUT).status)
        with self.assertRaises(grpc.RpcError) as cm:
            self.health.Check(health_pb.HealthCheckRequest(service="no.Such"), timeout=TIMEOUT)
        self.assertEqual(grpc.StatusCode.NOT_FOUND, cm.exception.code(), cm.exception.details())

    def test_health_watch_on_a_ready_sidecar(self):
        H = health_pb.HealthCheckResponse
        for service, first in (("", H.SERVING), (SERVICE, H.SERVING), ("no.Such", H.SERVICE_UNKNOWN)):
            with self.subTest(service=service):
                call = self.health.Watch(health_pb.HealthCheckRequest(service=service), timeout=TIMEOUT)
                try:
                    self.assertEqual(first, next(call).status)
                finally:
                    call.cancel()


class Reflection(unittest.TestCase):
    """grpc.reflection.v1 (and v1alpha), what grpcurl and Postman use: the services are listed, and the demo is called
    with message classes built from nothing but the descriptors the sidecar sends, in an empty descriptor pool."""

    @classmethod
    def setUpClass(cls):
        cls.sc = Sidecar("grpc")
        cls.ch = cls.sc.channel()

    @classmethod
    def tearDownClass(cls):
        cls.sc.close()

    def ask(self, *requests, service=REFLECTION, metadata=None):
        return list(reflection_info(self.ch, service)(iter(requests), timeout=TIMEOUT, metadata=metadata))

    def pool_of(self, symbol):
        """The file declaring `symbol` and everything it imports, as the server sends them, in a fresh pool."""
        from google.protobuf import descriptor_pb2, descriptor_pool
        [answer] = self.ask(refl_pb.ServerReflectionRequest(file_containing_symbol=symbol))
        self.assertEqual("file_descriptor_response", answer.WhichOneof("message_response"), answer)
        files = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in answer.file_descriptor_response.file_descriptor_proto]
        pool, added = descriptor_pool.DescriptorPool(), set()
        while len(added) < len(files):   # each file after what it imports
            progress = False
            for f in files:
                if f.name not in added and all(d in added for d in f.dependency):
                    pool.Add(f)
                    added.add(f.name)
                    progress = True
            self.assertTrue(progress, f"imports not sent: {[(f.name, list(f.dependency)) for f in files]}")
        return pool, files

    @staticmethod
    def message_class(pool, name):
        from google.protobuf import message_factory
        descriptor = pool.FindMessageTypeByName(name)
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(descriptor)
        return message_factory.MessageFactory(pool).GetPrototype(descriptor)

    def test_list_services(self):
        for service in (REFLECTION, "grpc.reflection.v1alpha.ServerReflection"):
            [answer] = self.ask(refl_pb.ServerReflectionRequest(list_services="*", host="h"), service=service)
            # the sidecar's own system.* methods (ping, shutdown) are a service too
            self.assertEqual({SERVICE, HEALTH, "sidecarkit.system.System"}, {s.name for s in answer.list_services_response.service})
            self.assertEqual("h", answer.valid_host)
            self.assertEqual("*", answer.original_request.list_services)

    def test_calls_from_reflected_descriptors(self):
        pool, files = self.pool_of(SERVICE)
        self.assertEqual("demo.proto", files[0].name)
        self.assertEqual({"demo.proto", "google/protobuf/empty.proto", "google/protobuf/timestamp.proto"}, {f.name for f in files})
        service = pool.FindServiceByName(SERVICE)
        self.assertEqual(["Add", "Echo", "Divide", "Count", "Sleep", "Blob", "Log", "Exit", "Work", "Sum", "Chat", "Area",
                          "Steps", "Upload", "Download", "Sample"], [m.name for m in service.methods])
        self.assertEqual(["Count", "Chat", "Download"], [m.name for m in files[0].service[0].method if m.server_streaming])
        self.assertEqual(["Sum", "Chat", "Upload"], [m.name for m in files[0].service[0].method if m.client_streaming])
        # The polymorphic Shape: a oneof of its cases, tagged 101 and 102.
        shape = pool.FindMessageTypeByName("sidecarkit.demo.Shape")
        self.assertEqual([("circle", 101, "variant"), ("rectangle", 102, "variant")],
                         [(f.name, f.number, f.containing_oneof.name) for f in shape.fields])

        def unary(method):
            m = service.FindMethodByName(method)
            request, response = self.message_class(pool, m.input_type.full_name), self.message_class(pool, m.output_type.full_name)
            return request, self.ch.unary_unary(f"/{SERVICE}/{method}", request_serializer=request.SerializeToString,
                                                response_deserializer=response.FromString)

        AddRequest, add = unary("Add")
        self.assertEqual(5, add(AddRequest(a=2, b=3), timeout=TIMEOUT).result)
        EchoRequest, echo = unary("Echo")
        request = EchoRequest()
        request.person.name, request.person.age = "Ada", 36
        request.person.tags.extend(["math"])
        request.person.address.city = "London"
        request.person.born.seconds, request.person.born.nanos = -4_728_000_000, 500
        back = echo(request, timeout=TIMEOUT).result
        self.assertEqual(request.person.SerializeToString(deterministic=True), back.SerializeToString(deterministic=True))
        # the optional member of Address (none here) and the streaming method, as declared
        CountRequest = self.message_class(pool, "sidecarkit.demo.CountRequest")
        CountResponse = self.message_class(pool, "sidecarkit.demo.CountResponse")
        count = self.ch.unary_stream(f"/{SERVICE}/Count", request_serializer=CountRequest.SerializeToString,
                                     response_deserializer=CountResponse.FromString)
        self.assertEqual([1, 2, 3], [r.item for r in count(CountRequest(to=3), timeout=TIMEOUT)])

    def test_health_is_described(self):
        pool, files = self.pool_of(HEALTH)
        self.assertEqual(["grpc/health/v1/health.proto"], [f.name for f in files])
        status = pool.FindMessageTypeByName("grpc.health.v1.HealthCheckResponse").enum_types_by_name["ServingStatus"]
        self.assertEqual({"UNKNOWN": 0, "SERVING": 1, "NOT_SERVING": 2, "SERVICE_UNKNOWN": 3},
                         {v.name: v.number for v in status.values})

    def test_several_requests_on_one_stream_and_errors(self):
        R = refl_pb.ServerReflectionRequest
        answers = self.ask(R(file_by_filename="google/protobuf/timestamp.proto"), R(file_containing_symbol="no.Such"),
                           R(file_containing_symbol="sidecarkit.demo.Demo.Add"), R(all_extension_numbers_of_type="sidecarkit.demo.Person"),
                           R(file_by_filename="nope.proto"), R(file_containing_extension=refl_pb.ExtensionRequest(containing_type="x")),
                           R(host="only"))
        kinds = [a.WhichOneof("message_response") for a in answers]
        self.assertEqual(["file_descriptor_response", "error_response", "file_descriptor_response",
                          "all_extension_numbers_response", "error_response", "error_response", "error_response"], kinds)
        self.assertEqual(5, answers[1].error_response.error_code)                  # NOT_FOUND
        self.assertIn("no.Such", answers[1].error_response.error_message)
        self.assertEqual("sidecarkit.demo.Person", answers[3].all_extension_numbers_response.base_type_name)
        self.assertEqual(3, answers[6].error_response.error_code)                  # INVALID_ARGUMENT: nothing asked
        self.assertEqual("no.Such", answers[1].original_request.file_containing_symbol)

    def test_garbage_is_invalid_argument_and_the_server_goes_on(self):
        info = self.ch.stream_stream(f"/{REFLECTION}/ServerReflectionInfo", request_serializer=lambda b: b,
                                     response_deserializer=lambda b: b)
        with self.assertRaises(grpc.RpcError) as cm:
            list(info(iter([b"\xff\xff\xff"]), timeout=TIMEOUT))
        self.assertEqual(grpc.StatusCode.INVALID_ARGUMENT, cm.exception.code())
        self.assertEqual(1, len(self.ask(refl_pb.ServerReflectionRequest(list_services=""))))


class CompressedResponses(unittest.TestCase):
    """DEMO_GRPC_COMPRESS=1 (GrpcServerOptions.CompressResponses): the sidecar gzips responses of 1 KiB and more for
    clients that take gzip, as grpcio does; grpcio inflates them and applies its size limit to the inflated size."""

    @classmethod
    def setUpClass(cls):
        cls.sc = Sidecar("grpc", env={"DEMO_GRPC_COMPRESS": "1"})
        cls.demo = Demo(cls.sc.channel())

    @classmethod
    def tearDownClass(cls):
        cls.sc.close()

    def test_large_and_small_answers(self):
        data = self.demo.Blob(pb.BlobRequest(size=MiB), timeout=TIMEOUT).result
        self.assertEqual(bytes(i % 256 for i in range(MiB)), data)
        person = pb.Person(name="ü" * 100_000, age=3, tags=["a", "b"])
        self.assertEqual(person, self.demo.Echo(pb.EchoRequest(person=person), timeout=TIMEOUT).result)
        self.assertEqual(7, self.demo.Add(pb.AddRequest(a=3, b=4), timeout=TIMEOUT).result)
        self.assertEqual([1, 2, 3], [r.item for r in self.demo.Count(pb.CountRequest(to=3), timeout=TIMEOUT)])

    def test_the_limit_applies_to_the_inflated_size(self):
        # 5 MiB of i % 256 compresses to a few tens of KiB; grpcio still refuses it by its 4 MiB limit.
        with self.assertRaises(grpc.RpcError) as cm:
            self.demo.Blob(pb.BlobRequest(size=5 * MiB), timeout=TIMEOUT)
        self.assertEqual(grpc.StatusCode.RESOURCE_EXHAUSTED, cm.exception.code(), cm.exception.details())
        self.assertEqual(3, self.demo.Add(pb.AddRequest(a=1, b=2), timeout=TIMEOUT).result)


class Token(unittest.TestCase):
    """A sidecar started with SIDECAR_TOKEN: contract calls need `authorization: Bearer <token>`, health does not."""

    @classmethod
    def setUpClass(cls):
        cls.token = secrets.token_hex(16)
        cls.sc = Sidecar("grpc", env={"SIDECAR_TOKEN": cls.token})
        cls.ch = cls.sc.channel()
        cls.demo = Demo(cls.ch)
        cls.health = Health(cls.ch)

    @classmethod
    def tearDownClass(cls):
        cls.sc.close()

    def auth(self, token=None):
        return (("authorization", "Bearer " + (token or self.token)),)

    def assertUnauthenticated(self, metadata):
        with self.assertRaises(grpc.RpcError) as cm:
            self.demo.Add(pb.AddRequest(a=2, b=3), timeout=TIMEOUT, metadata=metadata)
        self.assertEqual(grpc.StatusCode.UNAUTHENTICATED, cm.exception.code(), cm.exception.details())
        with self.assertRaises(grpc.RpcError) as cm:
            list(self.demo.Count(pb.CountRequest(to=3), timeout=TIMEOUT, metadata=metadata))
        self.assertEqual(grpc.StatusCode.UNAUTHENTICATED, cm.exception.code(), cm.exception.details())

    def test_no_token(self):
        self.assertUnauthenticated(None)

    def test_wrong_tokens(self):
        for metadata in (self.auth(secrets.token_hex(16)), self.auth(self.token[:-1]), self.auth(self.token + "0"),
                         (("authorization", self.token),), (("authorization", "Basic " + self.token),),
                         (("x-token", self.token),)):
            with self.subTest(metadata=metadata):
                self.assertUnauthenticated(metadata)

    def test_log_without_token_does_not_run(self):
        marker = "unauth-log-" + secrets.token_hex(4)
        with self.assertRaises(grpc.RpcError) as cm:
            self.demo.Log(pb.LogRequest(message=marker), timeout=TIMEOUT)
        self.assertEqual(grpc.StatusCode.UNAUTHENTICATED, cm.exception.code())
        self.assertEqual(5, self.demo.Add(pb.AddRequest(a=2, b=3), timeout=TIMEOUT, metadata=self.auth()).result)
        time.sleep(0.2)
        self.assertFalse(self.sc.logged(marker), "demo.log ran without the token")

    def test_right_token(self):
        self.assertEqual(5, self.demo.Add(pb.AddRequest(a=2, b=3), timeout=TIMEOUT, metadata=self.auth()).result)
        self.assertEqual([1, 2, 3], [r.item for r in self.demo.Count(pb.CountRequest(to=3), timeout=TIMEOUT, metadata=self.auth())])

    def test_reflection_needs_the_token(self):
        info = reflection_info(self.ch)
        ask = lambda metadata: list(info(iter([refl_pb.ServerReflectionRequest(list_services="")]), timeout=TIMEOUT, metadata=metadata))
        with self.assertRaises(grpc.RpcError) as cm:
            ask(None)
        self.assertEqual(grpc.StatusCode.UNAUTHENTICATED, cm.exception.code())
        self.assertEqual(3, len(ask(self.auth())[0].list_services_response.service))

    def test_health_without_token(self):
        self.assertEqual(health_pb.HealthCheckResponse.SERVING,
                         self.health.Check(health_pb.HealthCheckRequest(service=""), timeout=TIMEOUT).status)
        self.assertEqual(health_pb.HealthCheckResponse.SERVING,
                         self.health.Check(health_pb.HealthCheckRequest(service=SERVICE), timeout=TIMEOUT).status)


class Unix(ServesDemo, StreamsAndShapes, StepsUploadDownload, Samples, unittest.TestCase):
    """--transport grpc-unix on its private default path, reached as target unix:<path>."""

    @classmethod
    def setUpClass(cls):
        cls.sc = Sidecar("grpc-unix")
        cls.demo = Demo(cls.sc.channel())

    @classmethod
    def tearDownClass(cls):
        cls.sc.close()

    def test_ready_line_and_private_socket(self):
        r = self.sc.ready
        self.assertEqual("grpc-unix", r["transport"])
        self.assertTrue(os.path.isabs(r["listenInfo"]), r["listenInfo"])
        st = os.stat(r["listenInfo"])
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(0o600, stat.S_IMODE(st.st_mode))


class DelayedReady(unittest.TestCase):
    """DEMO_READY_DELAY_MS=3000 and a fixed --listen 127.0.0.1:<port>: health says NOT_SERVING until ready."""

    def setUp(self):
        self.port = free_port()
        self.sc = Sidecar("grpc", "--listen", f"127.0.0.1:{self.port}", env={"DEMO_READY_DELAY_MS": "3000"}, wait_ready=False)

    def tearDown(self):
        self.sc.close()

    def wait_listening(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.sc.p.poll() is not None:
                self.fail("the sidecar exited before listening:\n" + "\n".join(self.sc.lines[-20:]))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.02)
        self.fail(f"nothing listens on 127.0.0.1:{self.port}")

    def test_not_serving_then_serving(self):
        H = health_pb.HealthCheckResponse
        self.wait_listening()
        health = Health(self.sc.channel(f"127.0.0.1:{self.port}", **{"grpc.initial_reconnect_backoff_ms": 50,
                                                                       "grpc.max_reconnect_backoff_ms": 100}))
        answers = []   # (status, seconds since start, ready line seen by then)
        watched, watch_errors = [], []

        def watch():
            call = health.Watch(health_pb.HealthCheckRequest(service=SERVICE), timeout=20)
            try:
                for r in call:
                    watched.append(r.status)
                    if r.status == H.SERVING:
                        call.cancel()
                        break
            except grpc.RpcError as e:
                watch_errors.append(e)

        watcher = None
        early = None   # a contract call while NOT_SERVING: refused, not served before the startup tasks are done
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                status = health.Check(health_pb.HealthCheckRequest(service=""), timeout=1).status
            except grpc.RpcError as e:
                if e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED) and not answers:
                    time.sleep(0.02)
                    continue
                raise
            answers.append((status, time.monotonic() - self.sc.started, self.sc.ready is not None))
            if status == H.NOT_SERVING and early is None:
                try:
                    Demo(self.sc.channel(f"127.0.0.1:{self.port}")).Add(pb.AddRequest(a=2, b=3), timeout=TIMEOUT)
                    early = "served"
                except grpc.RpcError as e:
                    early = (e.code(), e.details())
            if watcher is None:
                watcher = threading.Thread(target=watch, daemon=True)
                watcher.start()
            if status == H.SERVING:
                break
            time.sleep(0.05)
        self.assertTrue(answers, "health never answered")
        self.assertEqual(H.NOT_SERVING, answers[0][0], answers)
        self.assertFalse(answers[0][2], "the first answer came after the ready line: nothing was checked before ready")
        self.assertEqual(H.SERVING, answers[-1][0], answers)
        self.assertEqual({H.NOT_SERVING}, {a[0] for a in answers[:-1]}, answers)
        self.assertGreaterEqual(answers[-1][1], 3.0, "SERVING before the 3 s startup task can have finished")
        self.assertFalse(any(a[2] for a in answers if a[0] == H.NOT_SERVING), f"NOT_SERVING after the ready line: {answers}")
        self.assertTrue(self.sc.wait_for(lambda: self.sc.ready is not None), "no ready line after SERVING")
        self.assertEqual(f"127.0.0.1:{self.port}", self.sc.ready["listenInfo"])
        watcher.join(TIMEOUT)
        self.assertFalse(watcher.is_alive(), "Watch never reported SERVING")
        self.assertEqual([], watch_errors)
        self.assertEqual([H.NOT_SERVING, H.SERVING], watched)
        self.assertIsNotNone(early, "no contract call was tried while NOT_SERVING")
        self.assertEqual(grpc.StatusCode.UNAVAILABLE, early[0], early)
        self.assertIn("still starting", early[1])
        demo = Demo(self.sc.channel(f"127.0.0.1:{self.port}"))
        self.assertEqual(5, demo.Add(pb.AddRequest(a=2, b=3), timeout=TIMEOUT).result)


class CallbacksToParent(unittest.TestCase):
    """demo.work calls its parent back over sidecarkit.callbacks.Callbacks: this suite is that parent. One sidecar for
    the class; each test subscribes a Parent of its own and cancels it at the end."""

    @classmethod
    def setUpClass(cls):
        cls.sc = Sidecar("grpc")
        cls.ch = cls.sc.channel()
        cls.demo = Demo(cls.ch)

    @classmethod
    def tearDownClass(cls):
        cls.sc.close()

    def setUp(self):
        self.parents = []

    def tearDown(self):
        for parent in self.parents:
            parent.close()

    def subscribe(self, channel=None, **kw):
        """A started Parent; retries ALREADY_EXISTS for a while (the previous test's parent may still hold the slot
        until the server has seen its cancellation)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            parent = Parent(channel or self.ch, **kw)
            self.parents.append(parent)
            try:
                return parent.start()
            except grpc.RpcError as e:
                if e.code() != grpc.StatusCode.ALREADY_EXISTS or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def assertWorkFails(self, steps, code):
        with self.assertRaises(grpc.RpcError) as cm:
            self.demo.Work(pb.WorkRequest(steps=steps), timeout=TIMEOUT)
        e = cm.exception
        self.assertEqual(code, e.code(), e.details())
        return e

    def test_work_confirmed(self):
        parent = self.subscribe(confirm=True)
        self.assertEqual(4, self.demo.Work(pb.WorkRequest(steps=4), timeout=TIMEOUT).result)
        self.assertEqual([("work", 0), ("work", 25), ("work", 50), ("work", 75)], parent.progress)
        self.assertEqual(["commit?"], parent.questions)
        self.assertEqual(["demoEvents.progress"] * 4 + ["demoEvents.confirm"], [c.method for c in parent.calls])
        self.assertEqual([], parent.problems)

    def test_work_declined(self):
        parent = self.subscribe(confirm=False)
        e = self.assertWorkFails(3, grpc.StatusCode.UNKNOWN)
        self.assertEqual("declined by parent", e.details())
        self.assertEqual("-32011", metadata_dict(e.trailing_metadata()).get("sidecar-error-code"), e.trailing_metadata())
        self.assertEqual(["commit?"], parent.questions)
        self.assertEqual([("work", 0), ("work", 33), ("work", 66)], parent.progress)
        self.assertEqual([], parent.problems)

    def test_parent_error_reaches_the_caller(self):
        # The implementation sees the parent's error as a SidecarRemoteException and lets it propagate: an application
        # code, so UNKNOWN with the parent's message, code and data.
        parent = self.subscribe(error=(-32042, "parent says no", '{"reason":"policy","attempt":1}'))
        e = self.assertWorkFails(2, grpc.StatusCode.UNKNOWN)
        self.assertEqual("parent says no", e.details())
        trailers = metadata_dict(e.trailing_metadata())
        self.assertEqual("-32042", trailers.get("sidecar-error-code"), e.trailing_metadata())
        self.assertEqual({"reason": "policy", "attempt": 1}, json.loads(trailers.get("sidecar-error-data-bin", b"null")),
                         e.trailing_metadata())
        self.assertEqual(["commit?"], parent.questions)
        self.assertEqual([], parent.problems)

    def test_no_parent_subscribed(self):
        sc = Sidecar("grpc")   # a sidecar nobody has ever subscribed to
        try:
            demo = Demo(sc.channel())
            for steps in (0, 3):   # Work(3)'s progress notifications are dropped, its confirm fails
                with self.subTest(steps=steps):
                    with self.assertRaises(grpc.RpcError) as cm:
                        demo.Work(pb.WorkRequest(steps=steps), timeout=TIMEOUT)
                    e = cm.exception
                    self.assertEqual(grpc.StatusCode.FAILED_PRECONDITION, e.code(), e.details())
                    self.assertIn("no parent is subscribed", e.details())
                    self.assertIn("demoEvents.confirm", e.details())
            self.assertEqual(5, demo.Add(pb.AddRequest(a=2, b=3), timeout=TIMEOUT).result)
        finally:
            sc.close()

    def test_second_subscription_is_refused_until_the_first_ends(self):
        first = self.subscribe()
        other = Callbacks(self.sc.channel())   # another connection: another would-be parent
        second = other.Subscribe(empty_pb2.Empty(), timeout=TIMEOUT)
        with self.assertRaises(grpc.RpcError) as cm:
            next(second)
        self.assertEqual(grpc.StatusCode.ALREADY_EXISTS, cm.exception.code(), cm.exception.details())
        self.assertIn("already subscribed", cm.exception.details())
        self.assertEqual(1, self.demo.Work(pb.WorkRequest(steps=1), timeout=TIMEOUT).result)   # the first still serves
        self.assertEqual(["commit?"], first.questions)

        first.close()
        self.assertEqual(grpc.StatusCode.CANCELLED, first.ended.code() if first.ended else None)
        deadline, refused = time.monotonic() + TIMEOUT, 0
        while True:   # the server frees the slot once it has seen the cancellation
            third = Parent(self.sc.channel(), confirm=True)
            self.parents.append(third)
            try:
                third.start()
                break
            except grpc.RpcError as e:
                self.assertEqual(grpc.StatusCode.ALREADY_EXISTS, e.code(), e.details())
                refused += 1
                self.assertLess(time.monotonic(), deadline, f"still ALREADY_EXISTS {TIMEOUT} s after the cancel ({refused} tries)")
                time.sleep(0.02)
        self.assertEqual(2, self.demo.Work(pb.WorkRequest(steps=2), timeout=TIMEOUT).result)
        self.assertEqual([("work", 0), ("work", 50)], third.progress)
        self.assertEqual(["commit?"], third.questions)
        self.assertEqual([("work", 0)], first.progress, "the cancelled parent was still called")
        self.assertEqual([], first.problems + third.problems)

    def test_concurrent_work(self):
        parent = self.subscribe(confirm=True)
        steps = list(range(1, 11))
        futures = [self.demo.Work.future(pb.WorkRequest(steps=n), timeout=TIMEOUT) for n in steps]
        self.assertEqual(steps, [f.result().result for f in futures])
        self.assertEqual(["commit?"] * 10, parent.questions)
        confirm_ids = [c.id for c in parent.calls if c.method == "demoEvents.confirm"]
        self.assertEqual(10, len(set(confirm_ids)), confirm_ids)
        expected = sorted(("work", 100 * i // n) for n in steps for i in range(n))
        self.assertEqual(expected, sorted(parent.progress))
        self.assertEqual([], parent.problems)


class Lifecycle(unittest.TestCase):
    """Sidecars of their own: exit codes, end of stdin, --listen for grpc-unix."""

    def test_exit_code(self):
        sc = Sidecar("grpc")
        try:
            demo = Demo(sc.channel())
            self.assertEqual(1, demo.Add(pb.AddRequest(a=0, b=1), timeout=TIMEOUT).result)
            try:
                demo.Exit(pb.ExitRequest(code=3), timeout=TIMEOUT)   # no answer is expected: the process is gone
            except grpc.RpcError as e:
                self.assertNotEqual(grpc.StatusCode.DEADLINE_EXCEEDED, e.code(), "Exit(3) hung")
            self.assertEqual(3, sc.p.wait(timeout=TIMEOUT))
        finally:
            sc.close()

    def test_unix_listen_path_and_end_of_stdin(self):
        d = tempfile.mkdtemp(prefix="sidecar-grpc-unix-test-")
        path = os.path.join(d, "demo.sock")
        sc = None
        try:
            sc = Sidecar("grpc-unix", "--listen", path)
            self.assertEqual(path, sc.ready["listenInfo"])
            demo = Demo(sc.channel("unix:" + path))
            self.assertEqual(5, demo.Add(pb.AddRequest(a=2, b=3), timeout=TIMEOUT).result)
            sc.p.stdin.close()
            self.assertEqual(0, sc.p.wait(timeout=TIMEOUT))
            self.assertFalse(os.path.exists(path), "the socket is left behind")
        finally:
            if sc:
                sc.close()
            shutil.rmtree(d, ignore_errors=True)

    def test_an_open_reflection_stream_does_not_hold_up_the_shutdown(self):
        """A tool that keeps its reflection stream open (as grpcurl does while it works) is not a call the drain waits
        for: end of stdin stops the sidecar at once, and the stream ends UNAVAILABLE."""
        sc = Sidecar("grpc")
        try:
            ch = sc.channel()
            info = reflection_info(ch)
            requests = threading.Event()

            def more():   # one request, then the stream stays open until the test ends
                yield refl_pb.ServerReflectionRequest(list_services="")
                requests.wait(60)

            stream = info(more(), timeout=60)
            self.assertEqual("list_services_response", next(stream).WhichOneof("message_response"))
            started = time.monotonic()
            sc.p.stdin.close()
            self.assertEqual(0, sc.p.wait(timeout=TIMEOUT))
            # The drain would wait up to 10 s (ShutdownTimeout) for a call it counted.
            self.assertLess(time.monotonic() - started, 8.0, "the sidecar waited for the reflection stream")
            with self.assertRaises(grpc.RpcError) as cm:
                next(stream)
            self.assertEqual(grpc.StatusCode.UNAVAILABLE, cm.exception.code())
            requests.set()
        finally:
            sc.close()

    def test_cancelled_calls_do_not_outlive_the_client(self):
        """A cancelled stream and a sleep past its deadline must end on the server too: end of stdin then stops the
        sidecar at once, with no call left to drain."""
        sc = Sidecar("grpc")
        try:
            demo = Demo(sc.channel())
            call = demo.Count(pb.CountRequest(to=50_000_000), timeout=60)
            self.assertEqual(1, next(call).item)
            call.cancel()
            with self.assertRaises(grpc.RpcError):
                demo.Sleep(pb.SleepRequest(milliseconds=60000), timeout=0.2)
            time.sleep(0.3)
            started = time.monotonic()
            sc.p.stdin.close()
            self.assertEqual(0, sc.p.wait(timeout=TIMEOUT))
            # The drain waits up to 10 s (ShutdownTimeout) for calls still running, and then logs them.
            self.assertLess(time.monotonic() - started, 8.0, "the sidecar waited for calls the client had given up")
            sc.wait_for(lambda: sc.eof)
            self.assertFalse(sc.logged("still running at shutdown"), "\n".join(sc.lines[-10:]))
        finally:
            sc.close()


if __name__ == "__main__":
    problem = generate()
    sys.exit(run([Tcp, Reflection, CompressedResponses, Token, Unix, DelayedReady, CallbacksToParent, Lifecycle], problem))
