"""Runs a polyglot test suite and ends with the line ``python: N passed, N failed`` that scripts/test.sh sums.

Shared by every suite in this folder, so they all count the same way: a test passes only if it ran and passed (a
failed subtest fails its test), and a class whose setUpClass failed counts as failed, never as negative passes.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import unittest
from typing import Any

# The demo sidecar the suites drive: DEMO_SIDECAR_DLL (scripts/test.sh sets it), else the Release build.
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DEMO_SIDECAR_DLL = os.environ.get("DEMO_SIDECAR_DLL") or os.path.join(
    REPO_ROOT, "samples/Demo/Sidecar/bin/Release/net10.0/SidecarKit.Samples.Demo.Sidecar.dll")


READY_PREFIX = "__SIDECAR_READY__:"


class SidecarProcess:
    """The demo sidecar as a child process, for the suites that reach it over a socket: stdin a pipe held open (its
    end stops the sidecar), stdout ignored, stderr read line by line on a thread, the ready line parsed."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.started = time.monotonic()
        self.p = subprocess.Popen(["dotnet", DEMO_SIDECAR_DLL, *args], env=env,
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.lines: list[str] = []
        self.ready: Any = None
        self.ready_at: float | None = None
        self.eof = False
        self.cond = threading.Condition()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def wait_ready(self, timeout: float = 30) -> Any:
        """The ready payload; stops the sidecar and fails when it does not come within ``timeout``."""
        if not self.wait_for(lambda: self.ready is not None, timeout):
            self.stop()
            raise AssertionError("no __SIDECAR_READY__ line; stderr:\n" + "\n".join(self.lines[-20:]))
        return self.ready

    def _read_stderr(self) -> None:
        for raw in iter(self.p.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.cond:
                self.lines.append(line)
                if line.startswith(READY_PREFIX) and self.ready is None:
                    self.ready = json.loads(line[len(READY_PREFIX):])
                    self.ready_at = time.monotonic()
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> bool:
        """Waits until predicate() holds (True) or stderr ends or the timeout passes (False)."""
        with self.cond:
            self.cond.wait_for(lambda: predicate() or self.eof, timeout)
            return bool(predicate())

    def logged(self, text: str) -> bool:
        with self.cond:
            return any(text in line for line in self.lines)

    def stop(self) -> None:
        """Ends stdin (the sidecar then stops and removes its socket), and kills it if it has not exited in 5 s."""
        try:
            self.p.stdin.close()
            self.p.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


def import_msgpack() -> Any:
    """Debian's python3-msgpack, or a loud line and one failure (scripts/test.sh installs it)."""
    try:
        import msgpack
        return msgpack
    except ImportError:
        print("!!!!!!!! python3-msgpack is missing: apt-get install python3-msgpack (scripts/test.sh does this)", file=sys.stderr)
        print("python: 0 passed, 1 failed")
        sys.exit(1)


def import_grpc() -> tuple[Any, Any]:
    """Debian's python3-grpcio and python3-protobuf as (grpc, google.protobuf), or a loud line naming what is missing and
    one failure (scripts/test.sh installs both)."""
    missing = []
    grpc = protobuf = None
    try:
        import grpc
    except ImportError as e:
        missing.append(f"python3-grpcio ({e})")
    try:
        import google.protobuf as protobuf
        from google.protobuf import empty_pb2, timestamp_pb2  # noqa: F401  (the well-known types the generated code imports)
    except ImportError as e:
        missing.append(f"python3-protobuf ({e})")
    if missing:
        print(f"!!!!!!!! missing: {', '.join(missing)}: apt-get install python3-grpcio python3-protobuf "
              "(scripts/test.sh does this)", file=sys.stderr)
        print("python: 0 passed, 1 failed")
        sys.exit(1)
    return grpc, protobuf


class CountingResult(unittest.TextTestResult):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.passed = 0
        self._subtest_failed: set[str] = set()

    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)
        if test.id() not in self._subtest_failed:
            self.passed += 1

    def addSubTest(self, test: unittest.TestCase, subtest: unittest.TestCase, err: Any) -> None:
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._subtest_failed.add(test.id())


def run(cases: list[type[unittest.TestCase]], problem: str | None = None) -> int:
    """Runs the test classes in order and prints ``python: N passed, N failed`` last. A ``problem`` (something missing
    to run at all) is printed loudly and counts as one failure."""
    if problem:
        bar = "!" * 78
        print(f"{bar}\n{problem}\n{bar}", file=sys.stderr)
        print("python: 0 passed, 1 failed")
        return 1
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for case in cases:
        suite.addTests(loader.loadTestsFromTestCase(case))
    runner = unittest.TextTestRunner(verbosity=2, resultclass=CountingResult, stream=sys.stdout)
    result: CountingResult = runner.run(suite)  # type: ignore[assignment]
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses) + len(result.skipped)
    sys.stdout.flush()
    print(f"python: {result.passed} passed, {failed} failed")
    return 0 if failed == 0 and result.passed > 0 and result.wasSuccessful() else 1
