#!/usr/bin/python3
"""sidecarkit's gRPC client (clients/python/sidecarkit/grpc_client.py) against the C# demo sidecar on --transport grpc
and grpc-unix: the same demo cases as the other transports (every method, callbacks over
sidecarkit.callbacks.Callbacks, cancellation, timeouts, a crash mid-call, stop), with the message types taken from
server reflection alone (no .proto, no protoc).

    /usr/bin/python3 tests/Polyglot/python/test_sidecarkit_grpc.py
"""
from __future__ import annotations

import os
import sys
from typing import Any

from sidecarkit_cases import DemoClientCases, DemoCrashCases, LoopTestCase
from suite_runner import DEMO_SIDECAR_DLL, import_grpc, run

import_grpc()               # loud, and one failure, when python3-grpcio or python3-protobuf is missing

import sidecarkit  # noqa: E402
from sidecarkit import grpc_client  # noqa: E402


def demo(transport: str) -> list[str]:
    return ["dotnet", DEMO_SIDECAR_DLL, "--transport", transport]


class GrpcCases(DemoClientCases):
    starter: Any = staticmethod(grpc_client.start)

    def test_steps_reports_progress_before_the_answer(self) -> None:
        # gRPC has no messages before a unary answer: a call with progress is refused before it is sent.
        with self.assertRaises(NotImplementedError):
            self.call("demo.steps", {"steps": 3}, progress=print)
        self.assertEqual(self.call("demo.steps", {"steps": 3}), 3)

    def test_float32_values_come_back_in_their_shortest_form(self) -> None:
        back = self.call("demo.sample", {"sample": {"day": "2026-12-07", "at": "10:00:00", "big": "1", "unsigned": "2",
                                                    "ratio": 0.333, "link": "x", "release": "1.0", "tags": [],
                                                    "scores": [], "counts": {}, "byId": {}, "byGuid": {}, "note": ""}})
        self.assertEqual(back["ratio"], 0.333)

    def test_the_services_were_reflected(self) -> None:
        client = self.client
        assert isinstance(client, grpc_client.GrpcClient)
        self.assertIn("demo.chat", client._rpcs)
        self.assertEqual(client._rpcs["demo.chat"].kind, "duplexStream")


class R1_Grpc(GrpcCases):
    transport = "grpc"

    @classmethod
    def command(cls) -> list[str]:
        return demo("grpc")


class R2_GrpcUnix(GrpcCases):
    transport = "grpc-unix"

    @classmethod
    def command(cls) -> list[str]:
        return demo("grpc-unix")


class R3_GrpcCrash(DemoCrashCases):
    transport = "grpc"
    starter: Any = staticmethod(grpc_client.start)
    test_restart_on_crash = None        # the gRPC client does not restart (say so in its start(): no restart option)

    @classmethod
    def command(cls) -> list[str]:
        return demo("grpc")


class R4_GrpcStart(LoopTestCase):
    def test_a_sidecar_on_another_transport_is_refused_clearly(self) -> None:
        with self.assertRaises(sidecarkit.StartError) as caught:
            self.run_async(grpc_client.start(demo("jsonl"), ready_timeout=15))
        self.assertIn("not gRPC", str(caught.exception))

    def test_sidecarkit_start_takes_the_grpc_transports_too(self) -> None:
        async def go() -> None:
            client = await sidecarkit.start(demo("grpc"), transport="grpc")
            try:
                self.assertIsInstance(client, grpc_client.GrpcClient)
                self.assertEqual(await client.call("demo.add", {"a": 20, "b": 22}), 42)
            finally:
                await client.stop()
        self.run_async(go())
        with self.assertRaises(ValueError):
            self.run_async(sidecarkit.start(demo("grpc"), transport="grpc", restart=True))

    def test_exit_before_ready(self) -> None:
        with self.assertRaises(sidecarkit.StartError) as caught:
            self.run_async(grpc_client.start([*demo("grpc"), "--bogus"], ready_timeout=15))
        self.assertIn("exited with code 2", str(caught.exception))


if __name__ == "__main__":
    if not os.path.exists(DEMO_SIDECAR_DLL):
        sys.exit(run([], f"the demo sidecar is not built: {DEMO_SIDECAR_DLL}"))
    sys.exit(run([R1_Grpc, R2_GrpcUnix, R3_GrpcCrash, R4_GrpcStart]))
