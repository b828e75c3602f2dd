"""grpcio against an ASP.NET Core app that maps the demo contract beside a protoc-generated service (AspNetCoreAppTests).
Arguments: address, the demo's exported .proto, greeter.proto, a scratch folder. Prints one line per result."""
import subprocess
import sys

import grpc

address, demo_proto, greeter_proto, out = sys.argv[1:5]
for proto in (demo_proto, greeter_proto):
    folder, name = proto.rsplit("/", 1)
    subprocess.run(["protoc", f"--proto_path={folder}", "--proto_path=/usr/include", f"--python_out={out}", name], check=True)
sys.path.insert(0, out)
import demo_pb2  # noqa: E402
import greeter_pb2  # noqa: E402

channel = grpc.insecure_channel(address)


def unary(path, request, response):
    return channel.unary_unary(path, request_serializer=request.SerializeToString, response_deserializer=response.FromString)


hello = unary("/test.greet.Greeter/SayHello", greeter_pb2.HelloRequest, greeter_pb2.HelloReply)
print("greeter", hello(greeter_pb2.HelloRequest(name="Ada"), timeout=10).message)
add = unary("/sidecarkit.demo.Demo/Add", demo_pb2.AddRequest, demo_pb2.AddResponse)
print("add", add(demo_pb2.AddRequest(a=2, b=3), timeout=10).result)
echo = unary("/sidecarkit.demo.Demo/Echo", demo_pb2.EchoRequest, demo_pb2.EchoResponse)
person = demo_pb2.Person(name="Grace", age=85, tags=["navy", "cobol"])
print("echo", echo(demo_pb2.EchoRequest(person=person), timeout=10).result == person)
count = channel.unary_stream("/sidecarkit.demo.Demo/Count", request_serializer=demo_pb2.CountRequest.SerializeToString,
                             response_deserializer=demo_pb2.CountResponse.FromString)
print("count", [r.item for r in count(demo_pb2.CountRequest(to=3), timeout=10)])
divide = unary("/sidecarkit.demo.Demo/Divide", demo_pb2.DivideRequest, demo_pb2.DivideResponse)
try:
    divide(demo_pb2.DivideRequest(dividend=1, divisor=0), timeout=10)
    print("divide no error")
except grpc.RpcError as e:
    code = dict(e.trailing_metadata() or ()).get("sidecar-error-code")
    print("divide", e.code().name, e.details(), code)
try:
    channel.unary_unary("/sidecarkit.demo.Demo/Add")(b"\x0a\x01\x41", timeout=10)   # a as a string
    print("bad args no error")
except grpc.RpcError as e:
    print("bad args", e.code().name)
