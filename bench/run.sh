#!/usr/bin/env bash
# Builds the benchmark suite (Release) and runs it: the raw floors, typed calls to the demo sidecar, and the peers
# (StreamJsonRpc, plain grpc-dotnet) on the same carriers.
#   bash bench/run.sh                         # the whole suite (24 rows), about 6 minutes on 2 cores
#   bash bench/run.sh --filter '*Typed*'      # any BenchmarkDotNet arguments
#   bash bench/run.sh --warmupCount 1 --iterationCount 3   # smoke: every row starts and answers (~2 min; numbers mean nothing)
# Prints BenchmarkDotNet's summary table, the ratios to the peers and the verdict on each target (docs/performance.md);
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

dotnet bench/SidecarKit.Benchmarks/bin/Release/net10.0/SidecarKit.Benchmarks.dll "$@"

echo
echo "Reports: $(pwd)/BenchmarkDotNet.Artifacts/results/"
