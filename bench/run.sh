#!/usr/bin/env bash
# Builds the benchmark suite (Release) and runs it: the raw floors, typed calls to the demo sidecar, the peers
# (StreamJsonRpc, plain grpc-dotnet) on the same carriers, and spawn times of the JIT and NativeAOT demo sidecar.
#   bash bench/run.sh                         # the whole suite (28 rows), about 7 minutes on 2 cores
#   bash bench/run.sh --filter '*Typed*'      # any BenchmarkDotNet arguments
#   bash bench/run.sh --warmupCount 1 --iterationCount 3   # smoke: every row starts and answers (~2 min; numbers mean nothing)
#   bash bench/run.sh --filter '*Spawn*'      # spawn to ready / first answer, NativeAOT vs JIT, then size and VmRSS
#   bash bench/run.sh --bulk-loop GrpcUnixUpload_64MiB 30   # one bulk row in a loop, printing both pids for dotnet-trace
#   bash bench/run.sh --bulk-loop GrpcPlainToOurs_64 30     # gRPC demo.add, 64 outstanding (or _1), in a loop (also
#                                                           # GrpcAdd, GrpcDotnetAdd and the crossed GrpcProxyToPlain)
#   bash bench/run.sh --bulk-loop SjrJsonStdioAdd_64 20     # a demo.add row of the stdio or Unix socket classes, ours
#                                                           # or StreamJsonRpc's (TypedAdd, MsgpackUnixAdd, Sjr…), _1 or _64
# Prints BenchmarkDotNet's summary table, the ratios to the peers, the verdict on each target (docs/performance.md) and,
# after spawn rows, the demo sidecar's size and VmRSS;
# the reports (GitHub markdown, CSV, HTML) are left in BenchmarkDotNet.Artifacts/results/ at the repository root
# (git-ignored).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

project=bench/SidecarKit.Benchmarks/SidecarKit.Benchmarks.csproj

# Another build of the same projects (tests, a second developer) may hold the output files for a moment: retry then.
for attempt in 1 2 3; do
  if log=$(dotnet build "$project" -c Release --nologo -v quiet -clp:ErrorsOnly 2>&1); then
    break
  fi
  if [[ $attempt -lt 3 ]] && grep -qiE 'being used by another process|lock' <<<"$log"; then
    echo "build: output files are locked by another build; retrying in 30 s" >&2
    sleep 30
    continue
  fi
  echo "$log" >&2
  exit 1
done

# The NativeAOT build of the demo sidecar for SpawnBenchmarks (bench/SidecarKit.Benchmarks/DemoSidecarBuild.cs finds it
# here). Published again only when a source it is built from is newer than it: a NativeAOT publish takes a minute or more.
# A failed publish does not stop the other rows; the spawn rows then fail, saying what is missing.
aot_dir=BenchmarkDotNet.Artifacts/aot-demo-sidecar
aot_exe=$aot_dir/SidecarKit.Samples.Demo.Sidecar
if [[ ! -x $aot_exe ]] || [[ -n $(find samples/Demo src build Directory.Build.props Directory.Build.targets Directory.Packages.props global.json \
       \( -name bin -o -name obj \) -prune -o -type f -newer "$aot_exe" -print -quit) ]]; then
  echo "publishing the demo sidecar with NativeAOT to $aot_dir" >&2
  if log=$(dotnet publish samples/Demo/Sidecar -c Release -r linux-x64 -p:PublishAot=true -o "$aot_dir" -nologo 2>&1); then
    touch "$aot_exe" # an unchanged build keeps the executable's old time: mark it up to date
  else
    echo "$log" | tail -20 >&2
    echo "NativeAOT publish failed; the spawn rows will fail" >&2
    rm -f "$aot_exe"
  fi
fi
export SIDECARKIT_AOT_DEMO_SIDECAR="$PWD/$aot_exe"

dotnet bench/SidecarKit.Benchmarks/bin/Release/net10.0/SidecarKit.Benchmarks.dll "$@"

echo
echo "Reports: $(pwd)/BenchmarkDotNet.Artifacts/results/"
