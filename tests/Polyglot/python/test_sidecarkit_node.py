#!/usr/bin/python3
"""sidecarkit's Python client against the Node.js demo sidecar (samples/Polyglot/node/demo-sidecar.mjs, on the Node
sidecarkit library): every demo method, callbacks, cancellation and timeouts on JSON lines and MessagePack-RPC, a
crash mid-call, stop, and the typed stubs, whose fingerprint check passes since the Node sidecar announces the C#
contract's fingerprint.

    /usr/bin/python3 tests/Polyglot/python/test_sidecarkit_node.py
"""
from __future__ import annotations

import json
import shutil
import sys

from sidecarkit_cases import REPO_ROOT, DemoClientCases, DemoCrashCases
from suite_runner import import_msgpack, run

import_msgpack()

NODE = shutil.which("node") or "/usr/bin/node"
NODE_SIDECAR = str(REPO_ROOT / "samples/Polyglot/node/demo-sidecar.mjs")
GOLDEN = REPO_ROOT / "tests/Polyglot/openrpc/demo.openrpc.json"


class N1_NodeJsonLines(DemoClientCases):
    transport = "jsonl"

    @classmethod
    def command(cls) -> list[str]:
        return [NODE, NODE_SIDECAR]

    def test_announces_the_csharp_fingerprint(self) -> None:
        with open(GOLDEN, encoding="utf-8") as f:
            expected = json.load(f)["x-sidecarkit-contracts"][0]["fingerprint"]
        self.assertEqual(self.client.contract_fingerprint("demo"), expected)
        self.client.check_fingerprint("demo", expected)


class N2_NodeMessagePack(DemoClientCases):
    transport = "msgpack"

    @classmethod
    def command(cls) -> list[str]:
        return [NODE, NODE_SIDECAR, "--transport", "msgpack"]


class N3_NodeCrash(DemoCrashCases):
    transport = "jsonl"

    @classmethod
    def command(cls) -> list[str]:
        return [NODE, NODE_SIDECAR]


if __name__ == "__main__":
    import os
    if not os.path.exists(NODE_SIDECAR) or not shutil.which("node"):
        sys.exit(run([], f"node or {NODE_SIDECAR} is missing"))
    sys.exit(run([N1_NodeJsonLines, N2_NodeMessagePack, N3_NodeCrash]))
