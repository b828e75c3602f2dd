#!/usr/bin/env bash
# Runs the Node.js client tests (node:test) against the C# demo sidecar (MessagePack on @msgpack/msgpack, gRPC on
# @grpc/grpc-js), and the sidecarkit Node.js library (clients/node, installed here from file:../../../clients/node) as a
# client of the C# demo sidecar, as the Node demo sidecar (samples/Polyglot/node) and as a stub generator checked with
# tsc; the last line is "node: N passed, N failed".
# Needs `npm install --no-package-lock --no-audit --no-fund` here first (scripts/test.sh does it) and the demo sidecar
# built (DEMO_SIDECAR_DLL, else the Release build under samples/Demo/Sidecar/bin/).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

missing=()
for package in @msgpack/msgpack @grpc/grpc-js @grpc/proto-loader sidecarkit typescript @types/node @open-rpc/schema-utils-js ajv kubernetes-models yaml; do
  [ -d "node_modules/$package" ] || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "!!!!!!!! not installed: ${missing[*]}: run npm install --no-package-lock --no-audit --no-fund in tests/Polyglot/node"
  echo "node: 0 passed, 1 failed"; exit 1
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# TAP, so that the summary can be read; every test has its own timeout, this one stops a runner that would hang.
files=(client.test.mjs roundtrip.test.mjs grpc.test.mjs openrpc.test.mjs library-client.test.mjs node-sidecar.test.mjs stubgen.test.mjs library-units.test.mjs python-sidecar.test.mjs kubernetes.test.mjs)
timeout 200 node --test --test-reporter=tap "${files[@]}" > "$log" 2>&1
rc=$?
grep -E '^ *(ok|not ok) [0-9]+ - ' "$log"
if grep -qE '^ *not ok ' "$log"; then
  echo "-- failures:"
  # Each failing test's YAML block: from its "not ok" line to the block's closing "...".
  awk '/^ *not ok /{p=1} p{print} p&&/^ *\.\.\.$/{p=0}' "$log" | grep -vE '^ *(duration_ms|location|code|type):' | head -n 200
fi
grep -E '^# (tests|pass|fail|cancelled|skipped|todo) [0-9]+$' "$log"

num() { grep -E "^# $1 [0-9]+$" "$log" | tail -n 1 | sed -E 's/.* ([0-9]+)$/\1/'; }
pass=$(num pass); fail=$(num fail); cancelled=$(num cancelled); skipped=$(num skipped); todo=$(num todo)
if [ -z "$pass" ] || [ -z "$fail" ]; then
  echo "!! node --test printed no summary (exit code $rc): counted as one failure."
  echo "node: ${pass:-0} passed, $(( ${fail:-0} + 1 )) failed"; exit 1
fi
# A cancelled, skipped or todo test is not a passed one.
fail=$((fail + ${cancelled:-0} + ${skipped:-0} + ${todo:-0}))
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
  echo "!! node --test exited with $rc although no test failed: counted as one failure."; fail=1
fi
echo "node: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
