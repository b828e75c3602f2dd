#!/usr/bin/env bash
# Runs the stdlib-only Python client tests against the C# demo sidecar (build it first: dotnet build Toolkit.sln -c Release).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
exec /usr/bin/python3 tests/Polyglot/python/test_demo_stdio.py "$@"
