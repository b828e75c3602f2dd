#!/usr/bin/env python3
"""The demo sidecar's gRPC transport with TLS and mTLS, called by grpcio (Debian's python3-grpcio), an independent
gRPC and TLS implementation: `ssl_channel_credentials` with the test's CA, a client certificate for a sidecar that
requires one (--tls-client-ca), and the refusals (no client certificate, another CA's, a plaintext channel).

The certificates are made at setup with openssl (a CA, a server certificate for 127.0.0.1 and localhost, a client
certificate, and a client certificate of another CA). Demo.Add's messages are two varints, written and read here by
hand, so nothing needs compiling. Prints "python: N passed, N failed" last.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unittest

from suite_runner import DEMO_SIDECAR_DLL, SidecarProcess, import_grpc, run

grpc, _ = import_grpc()

ADD = "/sidecarkit.demo.Demo/Add"


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def add_request(a: int, b: int) -> bytes:
    return b"\x08" + varint(a) + b"\x10" + varint(b)   # AddRequest { int32 a = 1; int32 b = 2; }


def add_result(data: bytes) -> int:
    # AddResponse { int32 result = 1; }: an absent field is 0.
    if not data:
        return 0
    assert data[0] == 0x08, data
    value, shift = 0, 0
    for byte in data[1:]:
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return value


class Pki:
    """A CA, a server certificate it issued (127.0.0.1, localhost), a client certificate it issued, and a stranger's."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="skt-tls-py-")
        self._ca("ca", "SidecarKit Test CA")
        self._ca("other", "Someone Else's CA")
        self._issue("server", "demo-sidecar", "ca", "serverAuth", "subjectAltName=IP:127.0.0.1,DNS:localhost")
        self._issue("client", "demo-parent", "ca", "clientAuth", None)
        self._issue("stranger", "stranger", "other", "clientAuth", None)

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    def read(self, name: str) -> bytes:
        with open(self.path(name), "rb") as f:
            return f.read()

    def _openssl(self, *args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60, cwd=self.dir)

    def _ca(self, name: str, cn: str) -> None:
        self._openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem",
                      "-days", "30", "-subj", f"/CN={cn}", "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def _issue(self, name: str, cn: str, ca: str, usage: str, san: str | None) -> None:
        self._openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}")
        with open(self.path(f"{name}.ext"), "w") as f:
            f.write(f"basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage={usage}\n")
            if san:
                f.write(san + "\n")
        self._openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key", "-CAcreateserial",
                      "-out", f"{name}.pem", "-days", "30", "-extfile", f"{name}.ext")

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


PKI: Pki | None = None


def start(*tls: str) -> SidecarProcess:
    env = {k: v for k, v in os.environ.items() if k != "SIDECAR_TOKEN"}
    sidecar = SidecarProcess(["--transport", "grpc", *tls], env)
    ready = sidecar.wait_ready(60)
    sidecar.address = ready["listenInfo"]   # type: ignore[attr-defined]
    return sidecar


def call_add(channel: "grpc.Channel", a: int, b: int) -> int:
    add = channel.unary_unary(ADD, request_serializer=None, response_deserializer=None)
    return add_result(add(add_request(a, b), timeout=20))


def secure(address: str, client: str | None = None, ca: str = "ca.pem") -> "grpc.Channel":
    assert PKI is not None
    credentials = grpc.ssl_channel_credentials(
        root_certificates=PKI.read(ca),
        private_key=PKI.read(f"{client}.key") if client else None,
        certificate_chain=PKI.read(f"{client}.pem") if client else None)
    return grpc.secure_channel(address, credentials)


class T1_Tls(unittest.TestCase):
    sidecar: SidecarProcess

    @classmethod
    def setUpClass(cls) -> None:
        assert PKI is not None
        cls.sidecar = start("--tls-cert", PKI.path("server.pem"), "--tls-key", PKI.path("server.key"))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.sidecar.stop()

    def test_grpcio_calls_over_tls_trusting_the_ca(self) -> None:
        with secure(self.sidecar.address) as channel:   # type: ignore[attr-defined]
            self.assertEqual(call_add(channel, 2, 3), 5)
            self.assertEqual(call_add(channel, 40, 2), 42)

    def test_a_channel_trusting_another_ca_is_refused(self) -> None:
        with secure(self.sidecar.address, ca="other.pem") as channel:   # type: ignore[attr-defined]
            with self.assertRaises(grpc.RpcError) as raised:
                call_add(channel, 1, 1)
            self.assertEqual(raised.exception.code(), grpc.StatusCode.UNAVAILABLE)

    def test_a_plaintext_channel_is_refused(self) -> None:
        with grpc.insecure_channel(self.sidecar.address) as channel:   # type: ignore[attr-defined]
            with self.assertRaises(grpc.RpcError) as raised:
                call_add(channel, 1, 1)
            self.assertEqual(raised.exception.code(), grpc.StatusCode.UNAVAILABLE)


class T2_MutualTls(unittest.TestCase):
    sidecar: SidecarProcess

    @classmethod
    def setUpClass(cls) -> None:
        assert PKI is not None
        cls.sidecar = start("--tls-cert", PKI.path("server.pem"), "--tls-key", PKI.path("server.key"),
                            "--tls-client-ca", PKI.path("ca.pem"))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.sidecar.stop()

    def test_a_client_certificate_of_the_ca_is_accepted(self) -> None:
        with secure(self.sidecar.address, client="client") as channel:   # type: ignore[attr-defined]
            self.assertEqual(call_add(channel, 2, 3), 5)

    def test_no_client_certificate_is_refused_and_logged(self) -> None:
        with secure(self.sidecar.address) as channel:   # type: ignore[attr-defined]
            with self.assertRaises(grpc.RpcError) as raised:
                call_add(channel, 1, 1)
            self.assertEqual(raised.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertTrue(self.sidecar.wait_for(lambda: self.sidecar.logged("presented no client certificate"), 20),
                        "\n".join(self.sidecar.lines[-10:]))

    def test_a_strangers_client_certificate_is_refused_and_logged(self) -> None:
        with secure(self.sidecar.address, client="stranger") as channel:   # type: ignore[attr-defined]
            with self.assertRaises(grpc.RpcError) as raised:
                call_add(channel, 1, 1)
            self.assertEqual(raised.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertTrue(self.sidecar.wait_for(lambda: self.sidecar.logged("CN=stranger"), 20),
                        "\n".join(self.sidecar.lines[-10:]))


def main() -> int:
    global PKI
    if not os.path.exists(DEMO_SIDECAR_DLL):
        return run([], f"the demo sidecar is not built ({DEMO_SIDECAR_DLL}): dotnet build Toolkit.sln -c Release")
    if shutil.which("openssl") is None:
        return run([], "openssl is missing: apt-get install openssl (scripts/test.sh does this)")
    PKI = Pki()
    try:
        return run([T1_Tls, T2_MutualTls])
    finally:
        PKI.remove()


if __name__ == "__main__":
    raise SystemExit(main())
