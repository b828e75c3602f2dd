#!/usr/bin/env bash
# The main job: build everything and run samples/Quickstart against the demo sidecar.
#   scripts/quickstart.sh                    the C# demo sidecar, on every transport
#   scripts/quickstart.sh --sidecar python   the demo sidecar written on the Python library (samples/Polyglot/python)
#   scripts/quickstart.sh --sidecar node     the demo sidecar written on the Node library (samples/Polyglot/node)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_dotnet
cd "$ROOT"
case "${2:-}" in
  python) apt_install python3 python3-msgpack ;;   # MessagePack-RPC needs Debian's msgpack module
  node)
    command -v npm >/dev/null || { echo "--sidecar node needs Node.js and npm (apt-get install nodejs npm)." >&2; exit 1; }
    (cd samples/Polyglot/node && npm install --no-package-lock --no-audit --no-fund --silent) ;;
esac
dotnet build Toolkit.sln -c "$CONFIGURATION" -v quiet -nologo -clp:NoSummary
dotnet run --project samples/Quickstart -c "$CONFIGURATION" --no-build -- "$@"
