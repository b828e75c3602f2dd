#!/usr/bin/env bash
# The packages as a user gets them. Packs the solution (dotnet pack Toolkit.sln -c Release, as the README says) with a
# version no feed has ever seen (0.0.0-ci.<timestamp>, so no cached or published SidecarKit can stand in for it), then
# in a temporary folder outside the repository builds tests/Consumer/project against those packages only (a local
# folder feed plus the machine's usual NuGet sources):
#   Contract/  a [SidecarContract] library that references the SidecarKit package alone (the generator must come with it)
#   App/       one console that is both the parent and the sidecar, adding SidecarKit.MessagePack, SidecarKit.Grpc and
#              SidecarKit.Extensions.Hosting; it spawns itself and calls calc.add over jsonl, msgpack (stdio) and grpc
#   Sidecar/   a sidecar of its own (PublishAot in its project file), bundled into App by a <SidecarProject> item: App
#              starts it with UseBundledSidecar("calc"), built (framework-dependent) and published (NativeAOT)
#   Broken/    a contract that is not partial: its build must fail with SK0001
# A package without the generator in its analyzers folder fails it (the App does not compile: CS0311; Broken builds).
# SIDECARKIT_PACKAGES=<folder of .nupkg> skips the pack and tests those packages instead.
# Prints "consumer: N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
work="$(mktemp -d "${TMPDIR:-/tmp}/sidecarkit-consumer.XXXXXX")"
passed=0; failed=0
check() { if eval "$2"; then passed=$((passed+1)); echo "  ok   $1"; else failed=$((failed+1)); echo "  FAIL $1"; fi; }
version=""
# The NuGet cache never holds a SidecarKit package of the version under test: cleared before the restore (a package
# rebuilt under the same version must not be masked by the cached copy) and at the end (each run leaves nothing).
clear_cache() {
  local cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
  [ -n "$version" ] || return 0
  for id in sidecarkit sidecarkit.runtime sidecarkit.messagepack sidecarkit.grpc sidecarkit.extensions.hosting; do
    rm -rf "${cache:?}/$id/$version"
  done
}
cleanup() { clear_cache; rm -rf "$work"; }
trap cleanup EXIT

if [ -n "${SIDECARKIT_PACKAGES:-}" ]; then
  feed="$(cd "$SIDECARKIT_PACKAGES" && pwd)"
  version=$(ls "$feed" | sed -nE 's/^SidecarKit\.Runtime\.(.*)\.nupkg$/\1/p' | head -n 1)
  echo "  packages from $feed (version $version)"
else
  version="0.0.0-ci.$(date -u +%Y%m%d%H%M%S).$$"
  feed="$work/feed"
  # Packed from a copy of the sources, so the repository's own bin/ and obj/ keep the build the other suites use.
  mkdir -p "$work/repo"
  tar -C "$ROOT" --exclude=./.git --exclude=bin --exclude=obj --exclude=node_modules --exclude=TestResults \
    --exclude=BenchmarkDotNet.Artifacts --exclude=./.ci/out -cf - . | tar -C "$work/repo" -xf -
  (cd "$work/repo" && dotnet pack Toolkit.sln -c Release -o "$feed" -p:Version="$version" -nologo -v quiet -clp:NoSummary) \
    > "$work/pack.log" 2>&1
  status=$?
  check "dotnet pack Toolkit.sln -c Release succeeds" '[ $status -eq 0 ] || { tail -30 "$work/pack.log"; false; }'
fi

expected="SidecarKit SidecarKit.Runtime SidecarKit.MessagePack SidecarKit.Grpc SidecarKit.Extensions.Hosting"
check "the packages are SidecarKit, .Runtime, .MessagePack, .Grpc, .Extensions.Hosting, each with symbols, and no other" '
  ok=true
  for id in $expected; do
    [ -f "$feed/$id.$version.nupkg" ] || { echo "    missing $id.$version.nupkg"; ok=false; }
    [ -f "$feed/$id.$version.snupkg" ] || [ -n "${SIDECARKIT_PACKAGES:-}" ] || { echo "    missing $id.$version.snupkg"; ok=false; }
  done
  [ "$(ls "$feed" | grep -c "\.nupkg$")" -eq 5 ] || { ls "$feed"; ok=false; }
  $ok'
# The listing saved first: with pipefail, grep -q ending early would fail unzip's pipe (SIGPIPE) and the check with it.
unzip -l "$feed/SidecarKit.Runtime.$version.nupkg" > "$work/runtime-files.txt" 2>&1
check "SidecarKit.Runtime carries the generator under analyzers/dotnet/roslyn4.14/cs" \
  'grep -q "analyzers/dotnet/roslyn4.14/cs/SidecarKit.Contracts.Generator.dll" "$work/runtime-files.txt"'
check "SidecarKit.Runtime carries the code fixes next to the generator" \
  'grep -q "analyzers/dotnet/roslyn4.14/cs/SidecarKit.Contracts.CodeFixes.dll" "$work/runtime-files.txt"'
check "SidecarKit.Runtime carries the SidecarProject targets under buildTransitive/" \
  'grep -q "buildTransitive/SidecarKit.Runtime.targets" "$work/runtime-files.txt"'

clear_cache

# The consumer: outside the repository (no Directory.Build.props, Directory.Packages.props or nuget.config of ours
# applies), its own nuget.config with the local feed added to the machine's sources.
app="$work/consumer"
cp -r "$ROOT/tests/Consumer/project" "$app"
cat > "$app/Directory.Build.props" <<XML
<Project>
  <PropertyGroup><SidecarKitVersion>$version</SidecarKitVersion></PropertyGroup>
</Project>
XML
cat > "$app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="sidecarkit-local" value="$feed" />
  </packageSources>
</configuration>
XML

(cd "$app" && dotnet build App/Consumer.App.csproj -c Debug -nologo -v quiet -clp:NoSummary) > "$work/app.log" 2>&1
status=$?
check "a contract library, a sidecar and a parent build against the packages alone" \
  '[ $status -eq 0 ] || { grep -E "error|warning" "$work/app.log" | sort -u | head -20; false; }'

if [ $status -eq 0 ]; then
  timeout 120 dotnet "$app/App/bin/Debug/net10.0/Consumer.App.dll" > "$work/run.log" 2>&1
  run_status=$?
  cat "$work/run.log" | sed 's/^/  /' | grep -v -E "^  +(ok|FAIL) " || true
else
  run_status=1; : > "$work/run.log"
fi
check "the hosting package registers the contract" 'grep -q "ok   SidecarKit.Extensions.Hosting" "$work/run.log"'
for t in jsonl msgpack grpc; do
  check "the parent spawns the sidecar and calls calc.add over $t" 'grep -q "ok   calc.add(2, 3) = 5 over $t\$" "$work/run.log" || { grep "FAIL.*$t" "$work/run.log"; false; }'
done
check "the parent exits 0" '[ $run_status -eq 0 ]'
check "a <SidecarProject> builds the sidecar into the app's output and UseBundledSidecar starts it" \
  'grep -q "ok   calc.add(2, 3) = 5 from the bundled sidecar (framework-dependent)\$" "$work/run.log" && [ -f "$app/App/bin/Debug/net10.0/sidecars/calc/sidecar.json" ]'

# Publish: the app framework-dependent for linux-x64; its bundled sidecar the way its own project file asks (PublishAot).
(cd "$app" && dotnet publish App/Consumer.App.csproj -c Release -r linux-x64 -o "$work/publish" -nologo -v quiet -clp:NoSummary) \
  > "$work/publish.log" 2>&1
status=$?
check "publishing the app publishes its bundled sidecar with NativeAOT into sidecars/calc/, with no trim or AOT warning" \
  '[ $status -eq 0 ] && head -c 4 "$work/publish/sidecars/calc/Consumer.Sidecar" | grep -q ELF && [ ! -e "$work/publish/sidecars/calc/Consumer.Sidecar.dll" ] \
     && ! grep -qE "warning IL[23][0-9]{3}" "$work/publish.log" || { tail -20 "$work/publish.log"; ls "$work/publish/sidecars/calc" 2>&1 | head; false; }'
check "the published app starts its native bundled sidecar and calls it" \
  'timeout 120 dotnet "$work/publish/Consumer.App.dll" bundled-only > "$work/publish-run.log" 2>&1 \
     && grep -q "ok   calc.add(2, 3) = 5 from the bundled sidecar (native)\$" "$work/publish-run.log" || { cat "$work/publish-run.log"; false; }'

(cd "$app" && dotnet build Broken/Consumer.Broken.csproj -c Debug -nologo -v quiet -clp:NoSummary) > "$work/broken.log" 2>&1
status=$?
check "a contract that is not partial fails the build with SK0001" \
  '[ $status -ne 0 ] && grep -q "error SK0001" "$work/broken.log" || { tail -5 "$work/broken.log"; false; }'
check "SK0001 is reported at the interface in IBroken.cs" 'grep -qE "IBroken\.cs\([0-9]+,[0-9]+\): error SK0001: .*IBroken" "$work/broken.log"'

echo "consumer: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
