#!/usr/bin/env bash
# Installs what the tests need, builds, runs every test suite (.NET and polyglot), and ends with the line
# "N passed, N failed" summed over all of them. Exit code 0 only when nothing failed.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_dotnet
cd "$ROOT"

# Polyglot prerequisites: Debian's Python with its msgpack module (an independent MessagePack implementation) and its
# grpcio and protobuf modules (independent gRPC and Protocol Buffers implementations), and protoc for the .proto files;
# unzip for the consumer test (it looks inside the packages); mypy for the Python library and its generated stubs
# (mypy --strict); openssl for the TLS certificates of the grpcio TLS suite.
apt_install python3 python3-msgpack python3-grpcio python3-protobuf protobuf-compiler unzip mypy openssl || true

# Third-party corpora the .NET tests read (msgpack-test-suite), pinned in tests/Conformance/package.json.
if command -v npm >/dev/null; then
  (cd tests/Conformance && npm install --no-package-lock --no-audit --no-fund --silent) \
    || echo "!!!!!!!! npm could not install tests/Conformance: the corpus conformance tests will fail."
else
  echo "!!!!!!!! npm is missing: the msgpack-test-suite conformance tests will fail. Install Node.js and npm."
fi
# The Node suites' packages (@msgpack/msgpack, grpc-js, the OpenRPC validator, Ajv, TypeScript, the library in
# clients/node), pinned in tests/Polyglot/node/package.json; the Node demo sidecar's, in samples/Polyglot/node.
if command -v npm >/dev/null; then
  for dir in tests/Polyglot/node samples/Polyglot/node; do
    (cd "$dir" && npm install --no-package-lock --no-audit --no-fund --silent) \
      || echo "!!!!!!!! npm could not install $dir: the Node polyglot tests will fail."
  done
fi

passed=0; failed=0
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "== build ($CONFIGURATION)"
dotnet build Toolkit.sln -c "$CONFIGURATION" -v quiet -nologo -clp:NoSummary

echo "== .NET tests"
projects=$(find tests -name '*.Tests.csproj' | sort)
expected=$(echo "$projects" | wc -l)
set +e
dotnet test Toolkit.sln -c "$CONFIGURATION" --no-build --nologo --blame-hang-timeout 5m 2>&1 | tee "$out/dotnet.log"
set -e
# What failed, repeated at the end (CI keeps only the tail of the output): each failed test's name and error message.
grep -E -A 4 '^ +Failed [A-Za-z_]' "$out/dotnet.log" > "$out/failures.log" || true
# One summary line per test assembly: "Passed!  - Failed: 0, Passed: 24, Skipped: 0, Total: 24, ..."
summaries=$(grep -E '^(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+' "$out/dotnet.log" || true)
seen=$(printf '%s\n' "$summaries" | grep -c . || true)
while read -r line; do
  [ -z "$line" ] && continue
  f=$(echo "$line" | sed -E 's/.*Failed: +([0-9]+),.*/\1/'); p=$(echo "$line" | sed -E 's/.*Passed: +([0-9]+),.*/\1/')
  s=$(echo "$line" | sed -E 's/.*Skipped: +([0-9]+),.*/\1/')
  passed=$((passed + p)); failed=$((failed + f + s)) # a skipped test is not a passed one
done <<< "$summaries"
if [ "$seen" -lt "$expected" ]; then
  echo "!! $((expected - seen)) of $expected test assemblies reported no result (crashed or hung): counted as failed."
  failed=$((failed + expected - seen))
fi

# Runs one suite that ends with the line "<label>: N passed, N failed" and adds its counts; a suite that prints no
# such line (it crashed or hung) counts as one failure.
demo_dll="$ROOT/samples/Demo/Sidecar/bin/$CONFIGURATION/net10.0/SidecarKit.Samples.Demo.Sidecar.dll"
run_counted() {
  local label="$1" name="$2"; shift 2
  set +e
  DEMO_SIDECAR_DLL="$demo_dll" "$@" > "$out/suite.log" 2>&1
  set -e
  tail -n 40 "$out/suite.log"
  # Python's unittest ("FAIL: "/"ERROR: "), node's TAP ("not ok"), the trim and consumer checks ("FAIL ").
  grep -E -A 12 '^(FAIL|ERROR): |^ *not ok |^  FAIL ' "$out/suite.log" | sed "s|^|$name: |" >> "$out/failures.log" || true
  local line
  line=$(grep -E "^$label: [0-9]+ passed, [0-9]+ failed\$" "$out/suite.log" | tail -n 1 || true)
  if [ -n "$line" ]; then
    passed=$((passed + $(echo "$line" | sed -E "s/$label: ([0-9]+) passed.*/\1/")))
    failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')))
  else
    echo "!! $name printed no summary: counted as one failure."; failed=$((failed + 1))
  fi
}

# A polyglot runtime that is missing is said loudly; under CI=true it is a failure, not a skip.
missing() {
  echo "!!!!!!!! $1"
  if [ "${CI:-}" = "true" ]; then failed=$((failed + 1)); fi
}

echo "== trimming (no reflection on the call path)"
run_counted trim "tests/Trimming/check.sh" bash tests/Trimming/check.sh

echo "== packages (tests/Consumer: the packed packages in a fresh project outside the repository, every transport)"
run_counted consumer "tests/Consumer/run.sh" bash tests/Consumer/run.sh

echo "== polyglot tests (Python: the stdlib, and Debian's python3-msgpack, python3-grpcio and python3-protobuf)"
if [ -x /usr/bin/python3 ]; then
  for suite in tests/Polyglot/python/test_*.py; do
    echo "-- $suite"
    run_counted python "$suite" /usr/bin/python3 "$suite"
  done
else
  missing "/usr/bin/python3 is missing: the Python polyglot tests did not run. Install Debian's python3 (apt-get install python3)."
fi

echo "== polyglot tests (Node: @msgpack/msgpack, @grpc/grpc-js)"
if command -v node >/dev/null && command -v npm >/dev/null; then
  run_counted node "tests/Polyglot/node/run.sh" bash tests/Polyglot/node/run.sh
else
  missing "node or npm is missing: the Node polyglot tests did not run. Install Node.js and npm (apt-get install nodejs npm)."
fi

echo
if [ -s "$out/failures.log" ]; then
  echo "== failures (repeated from above)"
  head -c 6000 "$out/failures.log"
  echo
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
