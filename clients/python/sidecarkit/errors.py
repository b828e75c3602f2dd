"""The exceptions of sidecarkit, and the JSON-RPC error codes of docs/protocol.md section 8."""
from __future__ import annotations

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
MESSAGE_TOO_LARGE = -32001
SHUTTING_DOWN = -32004
REQUEST_CANCELLED = -32800


class SidecarError(Exception):
    """The base of every error sidecarkit raises on its own."""


class RemoteError(SidecarError):
    """An error response: raised by a call when the other side answered with an error, and raised by an
    implementation (or a callback) to answer with that code, message and data."""

    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data

    def to_error(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error

    @staticmethod
    def from_error(error: Any) -> RemoteError:
        """An error object as received; a malformed one (another implementation's string, say) still becomes one."""
        if isinstance(error, dict):
            code = error.get("code")
            message = error.get("message")
            return RemoteError(code if type(code) is int else INTERNAL_ERROR,
                               message if isinstance(message, str) else str(message), error.get("data"))
        if isinstance(error, (list, tuple)) and len(error) >= 2 and type(error[0]) is int:
            return RemoteError(error[0], str(error[1]))
        return RemoteError(INTERNAL_ERROR, str(error))


class CallTimeout(SidecarError, TimeoutError):
    """A call did not complete within its timeout; the callee was sent $/cancelRequest."""


class ConnectionLost(SidecarError):
    """The connection to the sidecar ended (it exited, crashed, or closed its channel) while a call was pending, or
    a call was made after it ended. ``exit_code`` and ``stderr_tail`` say what is known about the process."""

    def __init__(self, message: str, exit_code: int | None = None, stderr_tail: str = ""):
        text = message
        if exit_code is not None:
            text += f" (exit code {exit_code})"
        if stderr_tail:
            text += "; stderr tail:\n" + stderr_tail
        super().__init__(text)
        self.exit_code = exit_code
        self.stderr_tail = stderr_tail


class StartError(SidecarError):
    """The sidecar did not become ready: it exited first, timed out, or announced something unusable."""


class FingerprintMismatch(StartError):
    """The sidecar announced another fingerprint for a contract than the stubs were generated from."""
