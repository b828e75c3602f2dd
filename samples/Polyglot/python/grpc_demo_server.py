#!/usr/bin/python3
"""A gRPC server of the demo contract in Python (grpcio), from the contract's exported .proto: a sidecar that speaks
no SidecarKit protocol of its own, supervised as a plain program and called through the generated C# proxy.

    python3 grpc_demo_server.py --proto <demo.proto> --port <port>

<demo.proto> is what the demo sidecar exports (`dotnet SidecarKit.Samples.Demo.Sidecar.dll --describe proto`; a
prepare command in the samples does it). The script compiles it and grpc.health.v1 with protoc (Debian's
protobuf-compiler) into a temporary folder at start, serves Demo.Add, Demo.Divide and Demo.Echo (the other methods
answer UNIMPLEMENTED, as grpcio does for what a server lacks) and grpc.health.v1.Health/Check: SERVING for the
server ("") and for sidecarkit.demo.Demo once the service is up, which is what the parent's readiness probe
(GrpcHealthProbe.Serving) waits for. It stops on SIGTERM (the default stop of a plain program) and on end of stdin.
Standard library plus Debian's python3-grpcio and python3-protobuf.
"""
import argparse, importlib, os, shutil, signal, subprocess, sys, tempfile, threading

HEALTH_PROTO = """syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
"""
SERVICE = "sidecarkit.demo.Demo"


def compile_protos(proto):
    """demo_pb2 and health_pb2, compiled from the exported contract and the health protocol."""
    if shutil.which("protoc") is None:
        sys.exit("protoc is missing: apt-get install protobuf-compiler")
    out = tempfile.mkdtemp(prefix="grpc-demo-server-")
    shutil.copy(proto, os.path.join(out, "demo.proto"))
    with open(os.path.join(out, "health.proto"), "w") as f:
        f.write(HEALTH_PROTO)
    compiled = subprocess.run(["protoc", f"--python_out={out}", f"-I{out}", "-I/usr/include", "demo.proto", "health.proto"],
                              capture_output=True, text=True)
    if compiled.returncode != 0:
        sys.exit("protoc rejected the contract: " + compiled.stderr)
    sys.path.insert(0, out)
    return importlib.import_module("demo_pb2"), importlib.import_module("health_pb2"), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proto", required=True)
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args()
    try:
        import grpc
    except ImportError:
        sys.exit("python3-grpcio is missing: apt-get install python3-grpcio python3-protobuf")
    demo, health, generated = compile_protos(options.proto)
    Status = health.HealthCheckResponse.ServingStatus
    serving = {"": Status.Value("SERVING")}

    def add(request, context):
        total = request.a + request.b
        if not -2**31 <= total < 2**31:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{request.a} + {request.b} overflows a 32-bit integer")
        return demo.AddResponse(result=total)

    def divide(request, context):
        if request.divisor == 0:
            # An application error the way docs/grpc.md maps it: UNKNOWN, with the code in the sidecar-error-code trailer.
            context.set_trailing_metadata((("sidecar-error-code", "-32010"),))
            context.abort(grpc.StatusCode.UNKNOWN, "division by zero")
        return demo.DivideResponse(result=request.dividend / request.divisor)

    def echo(request, context):
        return demo.EchoResponse(result=request.person)

    def check(request, context):
        if request.service not in serving:
            context.abort(grpc.StatusCode.NOT_FOUND, f"unknown service {request.service!r}")
        return health.HealthCheckResponse(status=serving[request.service])

    def unary(handler, request_type, response_type):
        return grpc.unary_unary_rpc_method_handler(handler, request_deserializer=request_type.FromString,
                                                   response_serializer=response_type.SerializeToString)

    server = grpc.server(__import__("concurrent.futures").futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((
        grpc.method_handlers_generic_handler(SERVICE, {
            "Add": unary(add, demo.AddRequest, demo.AddResponse),
            "Divide": unary(divide, demo.DivideRequest, demo.DivideResponse),
            "Echo": unary(echo, demo.EchoRequest, demo.EchoResponse),
        }),
        grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
            "Check": unary(check, health.HealthCheckRequest, health.HealthCheckResponse),
        }),
    ))
    if server.add_insecure_port(f"127.0.0.1:{options.port}") == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{options.port}")
    server.start()
    serving[SERVICE] = Status.Value("SERVING")
    print(f"grpc demo server listening on 127.0.0.1:{options.port}", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    server.stop(grace=2).wait()
    shutil.rmtree(generated, ignore_errors=True)
    print("grpc demo server stopped", flush=True)


if __name__ == "__main__":
    main()
