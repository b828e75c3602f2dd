// sidecarkit: typed calls between a Node.js parent and SidecarKit sidecars (and Node.js sidecars for a SidecarKit
// parent). See README.md and docs/protocol.md.
export { start, Sidecar } from "./src/client.mjs";
export { serve, log, setLogLevel } from "./src/sidecar.mjs";
export { RemoteError, SidecarError, SidecarTimeoutError, SidecarExitedError, SidecarStartError, ProtocolError, CallCancelledError, ErrorCodes } from "./src/errors.mjs";
export { readContract, fingerprintOf, describeEntry, announceEntry } from "./src/contract.mjs";
