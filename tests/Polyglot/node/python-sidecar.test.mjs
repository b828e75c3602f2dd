// The Node library as the parent of the Python demo sidecar (samples/Polyglot/python/demo_sidecar.py, on the Python
// library): the two libraries against each other, every demo method on JSON lines and MessagePack-RPC. That sidecar
// announces the fingerprint its library computes (the C# contract's) and its callback contract by method names only,
// so the parent hands the library the callback contract's shapes (as generated stubs do) for its handlers to get their
// params in order.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { demoSuite } from "./demo-suite.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const PYTHON_SIDECAR = path.join(ROOT, "samples/Polyglot/python/demo_sidecar.py");
const described = JSON.parse(readFileSync(path.join(ROOT, "samples/Polyglot/node/demo-contract.json"), "utf8"));

for (const transport of ["jsonl", "msgpack"]) {
  demoSuite("the Python demo sidecar", "/usr/bin/python3", [PYTHON_SIDECAR], transport, { startOptions: { contracts: described.callbacks } });
}
