#!/usr/bin/env bash
# Publishes the demo sidecar trimmed and self-contained, then NativeAOT-compiled; fails on any trim/AOT warning
# (IL2xxx/IL3xxx) in either, and makes real calls to both binaries (JSON lines, MessagePack on stdio, gRPC): proof that
# generated proxies, dispatchers and codecs, the transports and the libraries under them need no reflection. Then the
# parent side: the Quickstart published with NativeAOT, with its bundled demo sidecar, run to its end.
# Prints "trim: N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "  ok   $1"; else failed=$((failed+1)); echo "  FAIL $1"; fi; }

dotnet publish "$ROOT/samples/Demo/Sidecar" -c Release -r linux-x64 --self-contained -p:Trim=true -o "$out/app" -nologo > "$out/publish.log" 2>&1
status=$?
check "trimmed publish succeeds" '[ $status -eq 0 ] || { tail -20 "$out/publish.log"; false; }'
check "no trim or AOT warnings" '! grep -E "warning IL[23][0-9]{3}" "$out/publish.log"'
reply=$(printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"demo.add","params":{"a":2,"b":3}}' \
  '{"jsonrpc":"2.0","id":2,"method":"demo.echo","params":{"person":{"name":"Ada","age":36,"tags":["math"],"address":null,"born":"1815-12-10T00:00:00+00:00"}}}' \
  | timeout 30 "$out/app/SidecarKit.Samples.Demo.Sidecar" 2>/dev/null)
check "trimmed sidecar answers demo.add" 'grep -qF "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":5}" <<< "$reply"'
check "trimmed sidecar round-trips a DTO" 'grep -qF "\"id\":2,\"result\":{\"name\":\"Ada\",\"age\":36,\"tags\":[\"math\"],\"address\":null,\"born\":\"1815-12-10T00:00:00+00:00\"}" <<< "$reply"'
# The gRPC transport trimmed too (Kestrel, the protobuf codecs): demo.add over h2c, called with grpcio on raw bytes.
grpc_add() {
  local app="$1" log="$out/grpc.log"
  sleep 30 | "$app" --transport grpc 2> "$log" &
  local pid=$!
  local port=""
  for _ in $(seq 1 100); do
    port=$(grep -ao '"listenInfo":"127.0.0.1:[0-9]*"' "$log" | grep -o '[0-9]*"$' | tr -d '"')
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$log"; kill "$pid" 2>/dev/null; return 1; }
  /usr/bin/python3 - "$port" <<'PY'
import sys, grpc
channel = grpc.insecure_channel("127.0.0.1:" + sys.argv[1])
add = channel.unary_unary("/sidecarkit.demo.Demo/Add")            # no serializers: raw protobuf bytes
reply = add(b"\x08\x02\x10\x03", timeout=10)                       # AddRequest { a: 2, b: 3 }
sys.exit(0 if reply == b"\x08\x05" else f"unexpected reply {reply!r}")  # AddResponse { result: 5 }
PY
  local rc=$?
  kill "$pid" 2>/dev/null
  return $rc
}
check "trimmed sidecar answers demo.add over gRPC (grpcio)" 'grpc_add "$out/app/SidecarKit.Samples.Demo.Sidecar"'

# MessagePack-RPC on stdio, spoken by Debian's python3-msgpack: demo.add, and a DTO with a timestamp through demo.echo.
msgpack_calls() {
  timeout 30 "$1" --transport msgpack 2>/dev/null < <(/usr/bin/python3 -c '
import sys, datetime, msgpack
born = msgpack.Timestamp.from_datetime(datetime.datetime(1815, 12, 10, tzinfo=datetime.timezone.utc))
sys.stdout.buffer.write(msgpack.packb([0, 1, "demo.add", [2, 3]]))
sys.stdout.buffer.write(msgpack.packb([0, 2, "demo.echo", [{"name": "Ada", "age": 36, "tags": ["math"], "address": None, "born": born}]]))
') | /usr/bin/python3 -c '
import sys, datetime, msgpack
born = msgpack.Timestamp.from_datetime(datetime.datetime(1815, 12, 10, tzinfo=datetime.timezone.utc))
answers = sorted((m for m in msgpack.Unpacker(sys.stdin.buffer, raw=False) if m[0] == 1), key=lambda m: m[1])  # answers come as they finish
expected = [[1, 1, None, 5], [1, 2, None, {"name": "Ada", "age": 36, "tags": ["math"], "address": None, "born": born}]]
sys.exit(0 if answers == expected else f"unexpected answers {answers!r}")
'
}
check "trimmed sidecar answers demo.add and round-trips a DTO over MessagePack (stdio)" 'msgpack_calls "$out/app/SidecarKit.Samples.Demo.Sidecar"'

# NativeAOT, published the way a user types it: a global -p:PublishAot=true. It reaches every referenced project; the
# netstandard2.0 generator keeps its own value (NETSDK1207 otherwise; see src/Contracts.Generator and
# Directory.Build.targets).
dotnet publish "$ROOT/samples/Demo/Sidecar" -c Release -r linux-x64 -p:PublishAot=true -o "$out/aot" -nologo > "$out/aot.log" 2>&1
aot_status=$?
native="$out/aot/SidecarKit.Samples.Demo.Sidecar"
check "NativeAOT publish succeeds (a native executable, no managed assembly beside it)" \
  '[ $aot_status -eq 0 ] && head -c 4 "$native" | grep -q "ELF" && [ ! -e "$native.dll" ] || { tail -20 "$out/aot.log"; false; }'
check "no trim or AOT warnings in the NativeAOT publish (every transport, gRPC included)" '! grep -E "warning IL[23][0-9]{3}" "$out/aot.log"'
reply=$(printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"demo.add","params":{"a":2,"b":3}}' | timeout 30 "$native" 2>/dev/null)
check "native sidecar answers demo.add over JSON lines" 'grep -qF "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":5}" <<< "$reply"'
check "native sidecar answers demo.add and round-trips a DTO over MessagePack (stdio)" 'msgpack_calls "$native"'
check "native sidecar answers demo.add over gRPC (grpcio)" 'grpc_add "$native"'
# The parent side NativeAOT too: the Quickstart (supervision, every transport, callbacks, a crash and a restart) published
# with PublishAot has no trim or AOT warning and runs to its end. Its <SidecarProject> item publishes the demo sidecar
# into publish/sidecars/demo/ the way the sidecar's own project file asks (framework-dependent here: the app's global
# PublishAot must not reach it), and UseBundledSidecar("demo") starts it from there.
dotnet publish "$ROOT/samples/Quickstart" -c Release -r linux-x64 -p:PublishAot=true -o "$out/qs" -nologo > "$out/qs.log" 2>&1
qs_status=$?
check "NativeAOT Quickstart (the parent side) publishes with no trim or AOT warnings" \
  '[ $qs_status -eq 0 ] && ! grep -E "warning IL[23][0-9]{3}" "$out/qs.log" || { tail -20 "$out/qs.log"; false; }'
check "the Quickstart's publish bundles the demo sidecar, framework-dependent, in sidecars/demo/" \
  'grep -q "\"entry\": \"SidecarKit.Samples.Demo.Sidecar\"" "$out/qs/sidecars/demo/sidecar.json" \
     && [ -f "$out/qs/sidecars/demo/SidecarKit.Samples.Demo.Sidecar.dll" ] && [ -f "$out/qs/sidecars/demo/SidecarKit.Samples.Demo.Sidecar.runtimeconfig.json" ]'
check "NativeAOT Quickstart runs to its end with its bundled sidecar" \
  '(cd "$out" && timeout 300 "$out/qs/SidecarKit.Samples.Quickstart" > "$out/qs-run.log" 2>&1) \
     && grep -q "on the restarted sidecar, now at 127.0.0.1" "$out/qs-run.log" \
     && grep -q "^Starting the demo sidecar: dotnet SidecarKit.Samples.Demo.Sidecar.dll" "$out/qs-run.log" || { tail -20 "$out/qs-run.log"; false; }'
echo "trim: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
