#!/usr/bin/env bash
# The main job: build everything and run samples/Quickstart against the demo sidecar.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_dotnet
cd "$ROOT"
dotnet build Toolkit.sln -c "$CONFIGURATION" -v quiet -nologo -clp:NoSummary
dotnet run --project samples/Quickstart -c "$CONFIGURATION" --no-build
