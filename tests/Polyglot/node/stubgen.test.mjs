// sidecarkit-stubgen (clients/node/stubgen.mjs): TypeScript stubs from the OpenRPC goldens (tests/Polyglot/openrpc),
// checked by tsc --strict (a usage file compiles; a changed contract makes it fail), and run: the generated client,
// transpiled by TypeScript, calls the C# demo sidecar and refuses one that announces another fingerprint.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import ts from "typescript";
import { DLL, NODE_SIDECAR, each, opts } from "./demo-suite.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const STUBGEN = path.resolve(HERE, "../../../clients/node/stubgen.mjs");
const GOLDEN = path.resolve(HERE, "../openrpc");
const TSC = path.join(HERE, "node_modules/typescript/bin/tsc");
const run = promisify(execFile);

/** Runs a command; resolves to {code, out} whatever its exit code. */
async function exec(file, args) {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: HERE, timeout: 60_000, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    return { code: e.code ?? 1, out: `${e.stdout ?? ""}${e.stderr ?? ""}${e.killed ? " (killed: timeout)" : ""}` };
  }
}

const tsc = (dir, file) => exec(process.execPath, [TSC, "--noEmit", "--strict", "--target", "es2022", "--module", "nodenext",
  "--moduleResolution", "nodenext", "--allowImportingTsExtensions", "--types", "node", path.join(dir, file)]);

const stubgen = (args) => exec(process.execPath, [STUBGEN, ...args]);

// A parent using every kind of method with its types: it must compile against the stubs of the golden demo document.
const USAGE = `import { DemoClient, FINGERPRINT, type DemoEventsCallbacks, type DemoImplementation, type Person, type Shape } from "./demo.ts";
const events: DemoEventsCallbacks = {
  progress(task: string, percent: number) { void task; void percent; },
  confirm: async (question: string) => question === "commit?",
};
export async function main(dll: string): Promise<string> {
  const demo = await DemoClient.start("dotnet", [dll], { transport: "msgpack", callbacks: { demoEvents: events } });
  const sum: number = await demo.add(2, 3);
  const person: Person = await demo.echo({ name: "Ada", age: 36, tags: ["math"], address: { street: "s", city: "c" }, born: null });
  const quotient: number = await demo.divide(1, 3, { timeoutMs: 1000 });
  const items: number[] = [];
  for await (const i of demo.count(3)) items.push(i);
  const slept: string = await demo.sleep(1, { signal: AbortSignal.timeout(5000) });
  const blob: Uint8Array = await demo.blob(4);
  demo.log("hello");
  const worked: number = await demo.work(2);
  const total: number | bigint = await demo.sum([1, 2, 3]);
  const lines: string[] = [];
  for await (const line of demo.chat("re: ", (async function* () { yield "a"; })())) lines.push(line);
  const shape: Shape = { $type: "rectangle", name: "r", width: 2, height: 3 };
  const area: number = await demo.area(shape);
  const reports: number[] = [];
  const steps: number = await demo.steps(3, { onProgress: (n: number) => reports.push(n) });
  const uploaded: string = await demo.upload([new Uint8Array([1, 2, 3])]);
  const chunks: Uint8Array[] = [];
  for await (const chunk of demo.download(10n)) chunks.push(chunk);
  await demo.$stop();
  return JSON.stringify([FINGERPRINT, sum, person.name, quotient, items, slept, blob.length, worked, String(total), lines, area, steps, reports, uploaded, chunks.length]);
}
export const implementation: DemoImplementation = {
  add: (a, b) => a + b, echo: (p) => p, divide: (a, b) => a / b,
  async *count(to) { for (let i = 1; i <= to; i++) yield i; },
  sleep: async () => "slept", blob: (size) => new Uint8Array(size), log: () => {}, exit: () => null,
  work: async (steps, context) => ((await context.call<boolean>("demoEvents.confirm", { question: "commit?" })) ? steps : 0),
  sum: async (values) => { let s = 0; for await (const v of values) s += v; return s; },
  async *chat(prefix, lines) { for await (const l of lines) yield prefix + l; },
  area: (shape) => (shape.$type === "circle" ? Math.PI * shape.radius ** 2 : shape.width * shape.height),
  steps: (steps, context) => { for (let i = 1; i <= steps; i++) context.progress(i); return steps; },
  upload: async (data) => { let n = 0; for await (const c of data) n += c.length; return String(n); },
  *download(size) { yield new Uint8Array(Number(size)); },
  sample: (s) => s,
};
`;

describe("sidecarkit-stubgen", opts, () => {
  let dir;
  const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN, "demo.openrpc.json"), "utf8"));
  const write = (name, text) => fs.writeFileSync(path.join(dir, name), text);
  async function generateFrom(doc, out) {
    write(`${out}.json`, JSON.stringify(doc));
    const r = await stubgen([path.join(dir, `${out}.json`), "-o", path.join(dir, out)]);
    assert.equal(r.code, 0, r.out);
  }

  // The four tsc runs start together (a run takes seconds), each test awaits its own.
  const checks = {};
  const TYPES_USAGE = `import { FINGERPRINTS, type Label, type Color } from "./types.ts";
const plain: Label = { text: "plain" };
const bold: Label = { $type: "bold", text: "loud", weight: 700 };
export const all = [plain, bold, FINGERPRINTS.types];
// @ts-expect-error: not a member of the enum
export const wrong: Color = "no such colour";
`;

  // Parameters named like the stub's own locals (options, context), and methods with their own timeouts.
  const COLLIDE_USAGE = `import { DemoClient, type DemoImplementation } from "./demo.ts";
export async function main(demo: DemoClient): Promise<number> {
  const sum: number = await demo.add(2, 3, { timeoutMs: 1000 });
  const items: number[] = [];
  for await (const i of demo.count(3, { timeoutMs: 500 })) items.push(i);
  return sum + items.length;
}
export const implementation: Pick<DemoImplementation, "add" | "echo"> = {
  add: (options, context, ctx) => (ctx.signal.aborted ? 0 : options + context),
  echo: (p) => p,
};
`;
  function collidingDoc() {
    const doc = structuredClone(golden);
    const method = (name) => doc.methods.find((m) => m.name === name);
    method("demo.add").params[0].name = "options";
    method("demo.add").params[1].name = "context";
    method("demo.sleep")["x-sidecarkit-timeout-ms"] = 200;
    method("demo.count")["x-sidecarkit-timeout-ms"] = -1;
    return doc;
  }

  // Inside this folder, so that the stubs' `import "sidecarkit"` resolves from its node_modules.
  before(async () => {
    dir = fs.mkdtempSync(path.join(HERE, ".stubgen-"));
    const changedType = structuredClone(golden);
    changedType.methods.find((m) => m.name === "demo.add").params[1].schema = { type: "string" };
    const renamed = structuredClone(golden);
    renamed.methods.find((m) => m.name === "demo.add").name = "demo.plus";
    const types = JSON.parse(fs.readFileSync(path.join(GOLDEN, "types.openrpc.json"), "utf8"));
    for (const [sub, doc, file, usage] of [["ok", golden, "demo.ts", USAGE], ["changed-type", changedType, "demo.ts", USAGE], ["renamed", renamed, "demo.ts", USAGE], ["types", types, "types.ts", TYPES_USAGE], ["collide", collidingDoc(), "demo.ts", COLLIDE_USAGE]]) {
      fs.mkdirSync(path.join(dir, sub));
      await generateFrom(doc, `${sub}/${file}`);
      write(`${sub}/usage.ts`, usage);
      checks[sub] = tsc(dir, `${sub}/usage.ts`);
    }
  });
  after(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

  test("the demo golden: interfaces, unions, a typed client, the callback interface and FINGERPRINT", each, async () => {
    const r = await stubgen([path.join(GOLDEN, "demo.openrpc.json"), "-o", path.join(dir, "demo.ts")]);
    assert.equal(r.code, 0, r.out);
    const text = fs.readFileSync(path.join(dir, "demo.ts"), "utf8");
    assert.match(text, /export const FINGERPRINT = "affde6564d41572f";/);
    assert.match(text, /export interface Person \{\n  name: string;\n  age: number;\n  tags: Array<string>;\n  address\?: Address \| null;\n  born\?: string \| Date \| null;\n\}/);
    assert.match(text, /export type Shape =\n  \| \(Circle & \{ \$type: "circle" \}\)\n  \| \(Rectangle & \{ \$type: "rectangle" \}\);/);
    assert.match(text, /export interface DemoEventsCallbacks \{\n  progress\(task: string, percent: number, context: ServeContext\): void \| Promise<void>;\n  confirm\(question: string, context: ServeContext\): boolean \| Promise<boolean>;/);
    assert.match(text, /count\(to: number, options\?: StreamOptions\): RemoteStream<number>/);
    assert.match(text, /sum\(values: SidecarInput<number>, options\?: RequestOptions\): Promise<number \| bigint>/);
    assert.match(text, /chat\(prefix: string, lines: SidecarInput<string>, options\?: StreamOptions\): RemoteStream<string>/);
    assert.match(text, /steps\(steps: number, options\?: ProgressOptions<number>\): Promise<number>/);
    assert.match(text, /log\(message: string\): void \{/);
    assert.match(text, /exit\(code: number, options\?: RequestOptions\): Promise<void>/);
    assert.match(text, /export const ERRORS = \{"demo\.divide":\[\{"code":-32010,"message":"division by zero"\}\],"demo\.work":\[\{"code":-32011,"message":"declined by parent"\}\]\} as const;/);
    assert.match(text, /\/\*\* Declared errors \(RemoteError codes\): -32010 division by zero\. \*\/\n  divide\(/);
  });

  test("tsc --strict accepts a parent and a sidecar implementation written against the demo stubs", each, async () => {
    const r = await checks.ok;
    assert.equal(r.code, 0, r.out);
  });

  test("tsc --strict fails on the same usage once a parameter's type changed (demo.add's b became a string)", each, async () => {
    const r = await checks["changed-type"];
    assert.notEqual(r.code, 0, "tsc accepted a call with a number where the stub wants a string");
    assert.match(r.out, /usage\.ts\(\d+,\d+\): error TS2345: Argument of type 'number' is not assignable to parameter of type 'string'/);
  });

  test("tsc --strict fails once a method was renamed (demo.add became demo.plus)", each, async () => {
    const r = await checks.renamed;
    assert.notEqual(r.code, 0, "tsc accepted a call of a method that is gone");
    assert.match(r.out, /Property 'add' does not exist on type 'DemoClient'/);
  });

  test("the golden of every type (five contracts, enums, maps, a non-abstract polymorphic base) compiles", each, async () => {
    const text = fs.readFileSync(path.join(dir, "types/types.ts"), "utf8");
    for (const cls of ["TypesClient", "MoreTypesClient", "ShapesClient", "StreamingClient", "ReportingClient"]) assert.match(text, new RegExp(`export class ${cls} \\{`));
    assert.match(text, /export type Color = /);
    assert.match(text, /\| \(LabelBase & \{ \$type\?: never \}\)/);
    const t = await checks.types;
    assert.equal(t.code, 0, t.out);
  });

  test("a parameter named options or context does not collide with the stub's own: tsc --strict compiles a use of both", each, async () => {
    const text = fs.readFileSync(path.join(dir, "collide/demo.ts"), "utf8");
    assert.match(text, /add\(options: number, context: number, options_\?: RequestOptions\): Promise<number> \{\n    return this\.\$sidecar\.call\("demo\.add", \{ options: options, context: context \}, options_\);/);
    assert.match(text, /add\(options: number, context: number, context_: ServeContext\)/);
    const r = await checks.collide;
    assert.equal(r.code, 0, r.out);
  });

  test("x-sidecarkit-timeout-ms is the generated method's default timeout (-1: none); the caller's timeoutMs wins", each, async () => {
    const text = fs.readFileSync(path.join(dir, "collide/demo.ts"), "utf8");
    assert.match(text, /sleep\(milliseconds: number, options\?: RequestOptions\): Promise<string> \{\n    return this\.\$sidecar\.call\("demo\.sleep", \{ milliseconds: milliseconds \}, \{ \.\.\.options, timeoutMs: options\?\.timeoutMs \?\? 200 \}\);/);
    assert.match(text, /count\(to: number, options\?: StreamOptions\): RemoteStream<number> \{\n    return this\.\$sidecar\.stream\("demo\.count", \{ to: to \}, \{ \.\.\.options, timeoutMs: options\?\.timeoutMs \?\? -1 \}\);/);
    assert.match(text, /Timeout: 200 ms unless options\.timeoutMs says otherwise/);
    // Run: the generated client on the Node demo sidecar.
    const out = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    fs.writeFileSync(path.join(dir, "collide/demo.mjs"), out);
    const { DemoClient } = await import(pathToFileURL(path.join(dir, "collide/demo.mjs")).href);
    const demo = await DemoClient.start(process.execPath, [NODE_SIDECAR]);
    try {
      const t0 = performance.now();
      const e = await demo.sleep(10_000).catch((x) => x);
      assert.equal(e?.name, "SidecarTimeoutError", String(e));
      assert.match(e.message, /within 200 ms/);
      assert.ok(performance.now() - t0 < 5000);
      assert.equal(await demo.sleep(400, { timeoutMs: 5000 }), "slept");
      const items = [];
      for await (const i of demo.count(3)) items.push(i);
      assert.deepEqual(items, [1, 2, 3]);
    } finally {
      await demo.$stop();
    }
  });

  test("--from-sidecar runs `<command> --describe openrpc`: the C# and the Node demo sidecars' stubs equal the golden's", each, async () => {
    const r = await stubgen(["-o", path.join(dir, "live.ts"), "--from-sidecar", "dotnet", DLL]);
    assert.equal(r.code, 0, r.out);
    const fromGolden = fs.readFileSync(path.join(dir, "ok/demo.ts"), "utf8").split("\n").slice(1).join("\n");
    assert.equal(fs.readFileSync(path.join(dir, "live.ts"), "utf8").split("\n").slice(1).join("\n"), fromGolden);
    const node = await stubgen(["-o", path.join(dir, "live-node.ts"), "--from-sidecar", process.execPath, NODE_SIDECAR]);
    assert.equal(node.code, 0, node.out);
    assert.equal(fs.readFileSync(path.join(dir, "live-node.ts"), "utf8").split("\n").slice(1).join("\n"), fromGolden, "the Node demo sidecar's stubs differ");
    const bad = await stubgen(["--from-sidecar", process.execPath, "-e", "process.exit(5)", "--"]);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /exit code 5/);
    const none = await stubgen(["/nonexistent/doc.json"]);
    assert.notEqual(none.code, 0);
  });

  test("the generated client runs (transpiled by TypeScript): every kind of call on the C# demo sidecar", each, async () => {
    const js = (name, source) => {
      const out = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      fs.writeFileSync(path.join(dir, name), out.replaceAll('"./demo.ts"', '"./demo.mjs"'));
    };
    js("demo.mjs", fs.readFileSync(path.join(dir, "ok/demo.ts"), "utf8"));
    js("usage.mjs", USAGE);
    const { main } = await import(pathToFileURL(path.join(dir, "usage.mjs")).href);
    const result = JSON.parse(await main(DLL));
    assert.equal(result[0], "affde6564d41572f");
    assert.deepEqual(result.slice(1), [5, "Ada", 1 / 3, [1, 2, 3], "slept", 4, 2, "6", ["re: a"], 6, 3, [1, 2, 3], "3:039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81", 1]);
  });

  test("the generated client refuses a sidecar announcing another fingerprint (SidecarStartError); the Node sidecar passes", each, async () => {
    const other = structuredClone(golden);
    other.info.version = "0000000000000000";
    other["x-sidecarkit-contracts"][0].fingerprint = "0000000000000000";
    fs.mkdirSync(path.join(dir, "other"));
    await generateFrom(other, "other/demo.ts");
    const out = ts.transpileModule(fs.readFileSync(path.join(dir, "other/demo.ts"), "utf8"), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    fs.writeFileSync(path.join(dir, "other/demo.mjs"), out);
    const stale = await import(pathToFileURL(path.join(dir, "other/demo.mjs")).href);
    const e = await stale.DemoClient.start("dotnet", [DLL]).catch((x) => x);
    assert.equal(e?.name, "SidecarStartError", String(e));
    assert.match(e.message, /fingerprint affde6564d41572f, not 0000000000000000/);
    const current = await import(pathToFileURL(path.join(dir, "demo.mjs")).href);
    const demo = await current.DemoClient.start(process.execPath, [NODE_SIDECAR]);
    try {
      assert.equal(await demo.add(20, 22), 42);
    } finally {
      await demo.$stop();
    }
  });
});
