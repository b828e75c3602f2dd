using SidecarKit.Benchmarks.Peers;

// The peers' servers for the side-by-side benchmarks (docs/performance.md, "Peers"), no SidecarKit in them:
//   PeerChild streamjsonrpc <json|msgpack>                 StreamJsonRpc on stdin/stdout (opened like the sidecar host does)
//   PeerChild streamjsonrpc <json|msgpack> --unix <path>   StreamJsonRpc on a Unix socket: listens, writes "listening" on
//                                                          stderr, serves one connection
//   PeerChild grpc                                         a plain grpc-dotnet service (Grpc.AspNetCore, protoc-generated
//                                                          messages) on h2c, loopback TCP, a free port; writes
//                                                          "listening <host:port>" on stderr
//   PeerChild http2 --unix <path>                          plain Kestrel h2c on a Unix socket, no gRPC: the HTTP/2 floor
//                                                          of the gRPC bulk rows (GET /down/N, POST /up); writes
//                                                          "listening" on stderr
// Each serves demo.add (http2: bulk bytes) and exits at the end of its standard input (like every sidecar); the
// StreamJsonRpc servers also when their connection closes.
try
{
    switch (args)
    {
        case ["streamjsonrpc", string format]:
            await StreamJsonRpcServer.ServeStdioAsync(StreamJsonRpcWire.ParseFormat(format));
            return 0;
        case ["streamjsonrpc", string format, "--unix", string path]:
            await StreamJsonRpcServer.ServeUnixSocketAsync(StreamJsonRpcWire.ParseFormat(format), path);
            return 0;
        case ["grpc"]:
            await PlainGrpcServer.ServeAsync();
            return 0;
        case ["http2", "--unix", string path]:
            await PlainHttp2BulkServer.ServeAsync(path);
            return 0;
        default:
            Console.Error.WriteLine("usage: PeerChild streamjsonrpc <json|msgpack> [--unix <path>] | PeerChild grpc | PeerChild http2 --unix <path>");
            return 2;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
