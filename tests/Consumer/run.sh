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
# and the dotnet new templates of SidecarKit.Templates, installed into a throwaway hive (--debug:custom-hive, so the
# user's template list is untouched): a contract, a sidecar and a parent app instantiated with names of their own, the
# app built (which builds the sidecar into its sidecars/ folder through <SidecarProject>) and run against the sidecar.
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
  for id in sidecarkit sidecarkit.runtime sidecarkit.messagepack sidecarkit.grpc sidecarkit.extensions.configuration sidecarkit.extensions.hosting sidecarkit.extensions.aspnetcore sidecarkit.hosting sidecarkit.templates; do
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

expected="SidecarKit SidecarKit.Runtime SidecarKit.MessagePack SidecarKit.Grpc SidecarKit.Extensions.Configuration SidecarKit.Extensions.Hosting SidecarKit.Extensions.AspNetCore SidecarKit.Hosting"
check "the packages are SidecarKit, .Runtime, .MessagePack, .Grpc, .Extensions.Configuration, .Extensions.Hosting, .Extensions.AspNetCore, .Hosting, each with symbols, .Templates, and no other" '
  ok=true
  for id in $expected; do
    [ -f "$feed/$id.$version.nupkg" ] || { echo "    missing $id.$version.nupkg"; ok=false; }
    [ -f "$feed/$id.$version.snupkg" ] || [ -n "${SIDECARKIT_PACKAGES:-}" ] || { echo "    missing $id.$version.snupkg"; ok=false; }
  done
  [ -f "$feed/SidecarKit.Templates.$version.nupkg" ] || { echo "    missing SidecarKit.Templates.$version.nupkg"; ok=false; }
  [ "$(ls "$feed" | grep -c "\.nupkg$")" -eq 9 ] || { ls "$feed"; ok=false; }
  $ok'
# The listing saved first: with pipefail, grep -q ending early would fail unzip's pipe (SIGPIPE) and the check with it.
unzip -l "$feed/SidecarKit.Runtime.$version.nupkg" > "$work/runtime-files.txt" 2>&1
check "SidecarKit.Runtime carries the generator under analyzers/dotnet/roslyn4.14/cs" \
  'grep -q "analyzers/dotnet/roslyn4.14/cs/SidecarKit.Contracts.Generator.dll" "$work/runtime-files.txt"'
check "SidecarKit.Runtime carries the code fixes next to the generator" \
  'grep -q "analyzers/dotnet/roslyn4.14/cs/SidecarKit.Contracts.CodeFixes.dll" "$work/runtime-files.txt"'
check "SidecarKit.Runtime carries the SidecarProject targets under buildTransitive/" \
  'grep -q "buildTransitive/SidecarKit.Runtime.targets" "$work/runtime-files.txt"'
unzip -l "$feed/SidecarKit.Templates.$version.nupkg" > "$work/templates-files.txt" 2>&1
unzip -p "$feed/SidecarKit.Templates.$version.nupkg" SidecarKit.Templates.nuspec > "$work/templates-nuspec.xml" 2>&1
check "SidecarKit.Templates is a template package of three templates and no assembly" '
  grep -q "<packageType name=\"Template\"" "$work/templates-nuspec.xml" &&
    [ "$(grep -c "content/[A-Za-z]*/\.template\.config/template\.json$" "$work/templates-files.txt")" -eq 3 ] &&
    ! grep -E "\.dll$|/(bin|obj)/" "$work/templates-files.txt"'

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

# The templates, as the README's Install section uses them, in a folder of their own with the same nuget.config.
hive="$work/template-hive"
tpl="$work/from-templates"
mkdir -p "$tpl"
cp "$app/nuget.config" "$tpl/nuget.config"
dotnet_new() { dotnet new "$@" --debug:custom-hive "$hive"; }
dotnet_new install "$feed/SidecarKit.Templates.$version.nupkg" > "$work/templates-install.log" 2>&1
status=$?
check "dotnet new install SidecarKit.Templates (a throwaway hive) installs sidecarkit-contract, -sidecar and -app" \
  '[ $status -eq 0 ] && grep -q " sidecarkit-contract " "$work/templates-install.log" && grep -q " sidecarkit-sidecar " "$work/templates-install.log" &&
    grep -q " sidecarkit-app " "$work/templates-install.log" || { tail -20 "$work/templates-install.log"; false; }'

(cd "$tpl" &&
  dotnet_new sidecarkit-contract -n Acme.Greetings --no-update-check &&
  dotnet_new sidecarkit-sidecar -n Acme.Greeter --contract ../Acme.Greetings/Acme.Greetings.csproj --no-update-check &&
  dotnet_new sidecarkit-app -n Acme.Host --contract ../Acme.Greetings/Acme.Greetings.csproj \
    --sidecar ../Acme.Greeter/Acme.Greeter.csproj --no-update-check) > "$work/templates-new.log" 2>&1
status=$?
check "dotnet new sidecarkit-contract, sidecarkit-sidecar and sidecarkit-app create their projects" \
  '[ $status -eq 0 ] && [ -f "$tpl/Acme.Greetings/Acme.Greetings.csproj" ] && [ -f "$tpl/Acme.Greeter/Acme.Greeter.csproj" ] &&
    [ -f "$tpl/Acme.Host/Acme.Host.csproj" ] || { tail -20 "$work/templates-new.log"; false; }'
check "the templates reference the SidecarKit package of their own version" '
  ok=true
  for p in Acme.Greetings Acme.Greeter Acme.Host; do
    grep -q "<PackageReference Include=\"SidecarKit\" Version=\"$version\" />" "$tpl/$p/$p.csproj" || { echo "    not in $p.csproj"; ok=false; }
  done
  $ok'
check "the sidecar and the app use the contract namespace, the app bundles the sidecar under its name" '
  grep -q "^using Acme.Greetings;" "$tpl/Acme.Greeter/Program.cs" && grep -q "^using Acme.Greetings;" "$tpl/Acme.Host/Program.cs" &&
    grep -q "<SidecarProject Include=\"../Acme.Greeter/Acme.Greeter.csproj\" />" "$tpl/Acme.Host/Acme.Host.csproj" &&
    grep -q "UseBundledSidecar(\"Acme.Greeter\")" "$tpl/Acme.Host/Program.cs"'

(cd "$tpl" && dotnet build Acme.Host/Acme.Host.csproj -c Debug -nologo -v quiet -clp:NoSummary) > "$work/templates-build.log" 2>&1
status=$?
check "the app from the templates builds (contract and sidecar with it), with no warning" \
  '[ $status -eq 0 ] && ! grep -q "warning" "$work/templates-build.log" || { grep -E "error|warning" "$work/templates-build.log" | sort -u | head -20; false; }'
host_out="$tpl/Acme.Host/bin/Debug/net10.0"
check "the app build puts the sidecar in sidecars/Acme.Greeter/" '[ -f "$host_out/sidecars/Acme.Greeter/Acme.Greeter.dll" ]'
if [ $status -eq 0 ]; then
  (cd "$work" && timeout 120 dotnet "$host_out/Acme.Host.dll" SidecarKit) > "$work/templates-run.log" 2>&1
  run_status=$?
else
  run_status=1; : > "$work/templates-run.log"
fi
check "the app starts the bundled sidecar and gets its answer" \
  'grep -qx "Hello, SidecarKit!" "$work/templates-run.log" || { tail -20 "$work/templates-run.log"; false; }'
check "the app exits 0 (the sidecar stopped cleanly)" '[ $run_status -eq 0 ]'

echo "consumer: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
