#!/usr/bin/python3
"""sidecarkit's client (clients/python) against the C# demo sidecar, on JSON lines, MessagePack-RPC on stdio and
MessagePack-RPC on a Unix socket: every demo method, callbacks, cancellation, timeouts, a crash mid-call, restart,
stop leaving no process, and start failures that say why.

    /usr/bin/python3 tests/Polyglot/python/test_sidecarkit_client.py

Prints "python: N passed, N failed" last. Needs the Release build of the demo sidecar (DEMO_SIDECAR_DLL) and, for the
MessagePack classes, python3-msgpack.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import unittest

from sidecarkit_cases import REPO_ROOT, DemoClientCases, DemoCrashCases, LoopTestCase, alive
from suite_runner import DEMO_SIDECAR_DLL, import_msgpack, run

import sidecarkit  # noqa: E402  (sidecarkit_cases put it on sys.path)
from sidecarkit import ConnectionLost  # noqa: E402

import_msgpack()            # loud, and one failure, when python3-msgpack is missing


def demo(transport: str, *extra: str) -> list[str]:
    return ["dotnet", DEMO_SIDECAR_DLL, "--transport", transport, *extra]


class A1_JsonLines(DemoClientCases):
    transport = "jsonl"

    @classmethod
    def command(cls) -> list[str]:
        return demo("jsonl")

    def test_the_csharp_sidecar_announces_its_fingerprint(self) -> None:
        fingerprint = self.client.contract_fingerprint("demo")
        self.assertRegex(fingerprint or "", r"^[0-9a-f]{16}$")
        self.client.check_fingerprint("demo", fingerprint or "")
        with self.assertRaises(sidecarkit.FingerprintMismatch):
            self.client.check_fingerprint("demo", "0000000000000000")


class A2_MessagePack(DemoClientCases):
    transport = "msgpack"

    @classmethod
    def command(cls) -> list[str]:
        return demo("msgpack")


class A3_MessagePackUnix(DemoClientCases):
    transport = "msgpack-unix"

    @classmethod
    def command(cls) -> list[str]:
        return demo("msgpack-unix")

    def test_socket_is_removed_after_stop(self) -> None:
        path = self.client.ready["listenInfo"]
        self.assertTrue(os.path.exists(path))

        async def go() -> None:
            other = await sidecarkit.start(demo("msgpack-unix"), transport="msgpack-unix")
            other_path = other.ready["listenInfo"]
            self.assertNotEqual(other_path, path)
            self.assertEqual(await other.call("demo.add", {"a": 1, "b": 1}), 2)
            await other.stop()
            self.assertFalse(os.path.exists(other_path))
        self.run_async(go())


class B1_CrashJsonLines(DemoCrashCases):
    transport = "jsonl"

    @classmethod
    def command(cls) -> list[str]:
        return demo("jsonl")


    def test_a_crash_is_seen_even_when_a_child_keeps_stdout_open(self) -> None:
        # The background sleep inherits the sidecar's stdout and outlives it: the channel never ends, the exit does.
        command = ["sh", "-c", 'sleep 60 & exec "$0" "$@"', *demo("jsonl")]

        async def go() -> None:
            client = await sidecarkit.start(command)
            try:
                started = time.monotonic()
                with self.assertRaises(ConnectionLost) as caught:
                    await client.call("demo.exit", {"code": 4})
                self.assertEqual(caught.exception.exit_code, 4)
                self.assertLess(time.monotonic() - started, 8)
            finally:
                await client.stop()     # and the sleep with it: the sidecar's process group
        self.run_async(go())


class B2_CrashMessagePack(DemoCrashCases):
    transport = "msgpack"

    @classmethod
    def command(cls) -> list[str]:
        return demo("msgpack")


class B3_CrashMessagePackUnix(DemoCrashCases):
    transport = "msgpack-unix"

    @classmethod
    def command(cls) -> list[str]:
        return demo("msgpack-unix")


class C_StartFailures(LoopTestCase):
    def test_exit_before_ready_names_the_exit_code_and_stderr(self) -> None:
        with self.assertRaises(sidecarkit.StartError) as caught:
            self.run_async(sidecarkit.start(demo("jsonl", "--bogus"), ready_timeout=20))
        text = str(caught.exception)
        self.assertIn("exited with code 2 before it was ready", text)
        self.assertIn("--bogus", text)          # the sidecar's own complaint, from its stderr tail

    def test_ready_timeout_kills_the_process(self) -> None:
        started = time.monotonic()
        with self.assertRaises(sidecarkit.StartError) as caught:
            self.run_async(sidecarkit.start([sys.executable, "-c", "import time; time.sleep(30)"], ready_timeout=0.5))
        self.assertIn("not ready within 0.5 s", str(caught.exception))
        self.assertLess(time.monotonic() - started, 10)

    def test_a_missing_program(self) -> None:
        with self.assertRaises(sidecarkit.StartError):
            self.run_async(sidecarkit.start(["/nonexistent/sidecar"]))

    def test_a_transport_the_sidecar_was_not_started_with(self) -> None:
        # It announces stdio (no listenInfo): the start fails saying so instead of waiting for a socket.
        with self.assertRaises(sidecarkit.StartError):
            self.run_async(sidecarkit.start(demo("jsonl"), transport="msgpack-unix", ready_timeout=10))

    def test_a_sidecar_expecting_another_token_refuses_the_connection(self) -> None:
        # The wrapper gives the sidecar a token of its own, so ours (sent as $/hello) is wrong: it closes the socket.
        command = ["sh", "-c", 'SIDECAR_TOKEN=not-ours exec "$0" "$@"', *demo("msgpack-unix")]
        started = time.monotonic()
        with self.assertRaises(sidecarkit.StartError) as caught:
            self.run_async(sidecarkit.start(command, transport="msgpack-unix", ready_timeout=15))
        self.assertIn("without admitting it: does it expect another SIDECAR_TOKEN?", str(caught.exception))
        self.assertIn("wrong token", str(caught.exception))      # the sidecar's own log line, from its stderr
        self.assertLess(time.monotonic() - started, 10)

    def test_bad_arguments(self) -> None:
        with self.assertRaises(ValueError):
            self.run_async(sidecarkit.start(demo("jsonl"), transport="carrier-pigeon"))
        with self.assertRaises(ValueError):
            self.run_async(sidecarkit.start([]))


class D_SampleClient(unittest.TestCase):
    """samples/Polyglot/python/demo_client.py: every kind of call, exit code 0, on each transport."""

    def test_the_sample_client_on_each_transport(self) -> None:
        sample = str(REPO_ROOT / "samples/Polyglot/python/demo_client.py")
        for transport in ("jsonl", "msgpack", "msgpack-unix"):
            with self.subTest(transport=transport):
                done = subprocess.run([sys.executable, sample, DEMO_SIDECAR_DLL, "--transport", transport],
                                      capture_output=True, text=True, timeout=60)
                self.assertEqual(done.returncode, 0, done.stdout[-2000:] + done.stderr[-2000:])
                self.assertIn("Every call did what the demo contract says.", done.stdout)
                self.assertIn("callback demoEvents.confirm", done.stdout)


ORPHAN_PARENT = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
import sidecarkit

async def main():
    client = await sidecarkit.start(sys.argv[3:], transport=sys.argv[2])
    print(client.pid, flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


class E_NoOrphans(unittest.TestCase):
    """A Python parent killed with SIGKILL (no stop() runs) leaves no sidecar behind: the sidecar sees its stdin end
    and the parent pid it was given disappear."""

    def test_a_killed_parent_leaves_no_sidecar(self) -> None:
        for transport in ("jsonl", "msgpack-unix"):
            with self.subTest(transport=transport):
                parent = subprocess.Popen([sys.executable, "-c", ORPHAN_PARENT, str(REPO_ROOT / "clients/python"),
                                           transport, *demo(transport)], stdout=subprocess.PIPE, text=True)
                try:
                    assert parent.stdout is not None
                    line = parent.stdout.readline()         # the sidecar's pid, once it is ready
                    self.assertRegex(line, r"^[0-9]+\n$")
                    pid = int(line)
                    self.assertTrue(alive(pid))
                finally:
                    parent.kill()
                    parent.wait(10)
                deadline = time.monotonic() + 15
                while alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                self.assertFalse(alive(pid), f"the sidecar {pid} outlived its killed parent")


if __name__ == "__main__":
    if not os.path.exists(DEMO_SIDECAR_DLL):
        sys.exit(run([], f"the demo sidecar is not built: {DEMO_SIDECAR_DLL} (dotnet build -c Release)"))
    sys.exit(run([A1_JsonLines, A2_MessagePack, A3_MessagePackUnix,
                  B1_CrashJsonLines, B2_CrashMessagePack, B3_CrashMessagePackUnix,
                  C_StartFailures, D_SampleClient, E_NoOrphans]))
