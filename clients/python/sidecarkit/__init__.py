"""SidecarKit for Python: typed calls between a parent process and sidecar processes (docs/protocol.md).

* The parent side: ``client = await sidecarkit.start([...])`` starts and supervises a sidecar and calls it.
* The sidecar side: ``sidecarkit.run(contract, implementation)`` serves a contract to a SidecarKit parent.
"""
import logging

from .client import UNSET, Client, Stream, Unset, as_bytes, start
from .errors import (CallTimeout, ConnectionLost, FingerprintMismatch, RemoteError, SidecarError, StartError)
from .rpc import CallContext
from .server import Contract, Method, log, method, run, serve, set_log_level
from .wiretypes import TypeSet

# A library logs only where its application asks: no "last resort" lines on stderr by default.
logging.getLogger("sidecarkit").addHandler(logging.NullHandler())

__version__ = "0.1.0"
__all__ = ["start", "Client", "Stream", "Unset", "UNSET", "as_bytes", "CallTimeout", "ConnectionLost", "FingerprintMismatch",
           "RemoteError", "SidecarError", "StartError", "CallContext", "Contract", "Method", "TypeSet", "log",
           "method", "run", "serve", "set_log_level"]
