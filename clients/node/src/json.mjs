// JSON with exact 64-bit integers: JSON.parse would round integers beyond 2^53 (docs/protocol.md section 6 asks for a
// big-integer reader), so such literals are read as BigInt; every other integer stays a number. Writing accepts
// BigInt, Uint8Array (base64, the `bytes` convention), Date (ISO 8601), Map and Set, and writes NaN and the
// infinities as the strings "NaN", "Infinity", "-Infinity" as SidecarKit does for floats.

const BIG_LITERAL = /\d{16}/; // any integer beyond 2^53 has 16 digits or more; a false hit only costs the slow path

export function parseJson(text) {
  if (!BIG_LITERAL.test(text)) return JSON.parse(text);
  return new BigParser(text).parseAll();
}

class BigParser {
  constructor(text) {
    this.s = text;
    this.i = 0;
  }

  fail(what) {
    throw new SyntaxError(`${what} at position ${this.i}`);
  }

  ws() {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }

  parseAll() {
    const v = this.value(0);
    this.ws();
    if (this.i !== this.s.length) this.fail("Unexpected content after the JSON value");
    return v;
  }

  value(depth) {
    if (depth > 512) this.fail("JSON nested too deeply");
    this.ws();
    const c = this.s[this.i];
    if (c === "{") return this.object(depth);
    if (c === "[") return this.array(depth);
    if (c === '"') return this.string();
    if (c === "t" && this.s.startsWith("true", this.i)) { this.i += 4; return true; }
    if (c === "f" && this.s.startsWith("false", this.i)) { this.i += 5; return false; }
    if (c === "n" && this.s.startsWith("null", this.i)) { this.i += 4; return null; }
    return this.number();
  }

  object(depth) {
    const o = {};
    this.i++;
    this.ws();
    if (this.s[this.i] === "}") { this.i++; return o; }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail("Expected a member name");
      const k = this.string();
      this.ws();
      if (this.s[this.i] !== ":") this.fail("Expected ':'");
      this.i++;
      const v = this.value(depth + 1);
      // An own "__proto__" member, as JSON.parse makes it, not the prototype.
      Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
      this.ws();
      const c = this.s[this.i++];
      if (c === "}") return o;
      if (c !== ",") this.fail("Expected ',' or '}'");
    }
  }

  array(depth) {
    const a = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === "]") { this.i++; return a; }
    for (;;) {
      a.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.i++];
      if (c === "]") return a;
      if (c !== ",") this.fail("Expected ',' or ']'");
    }
  }

  string() {
    const s = this.s, start = this.i;
    let j = start + 1, escaped = false;
    for (; j < s.length; j++) {
      const c = s.charCodeAt(j);
      if (c === 0x5c) { escaped = true; j++; continue; }
      if (c === 0x22) break;
    }
    if (j >= s.length) this.fail("Unterminated string");
    this.i = j + 1;
    return escaped || /[\u0000-\u001f]/.test(s.slice(start + 1, j)) ? JSON.parse(s.slice(start, j + 1)) : s.slice(start + 1, j);
  }

  number() {
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 400));
    if (!m) this.fail("Unexpected token");
    this.i += m[0].length;
    if (!m[1] && !m[2]) {
      const n = Number(m[0]);
      return Number.isSafeInteger(n) ? n : BigInt(m[0]);
    }
    return Number(m[0]);
  }
}

export function stringifyJson(value) {
  const out = [];
  write(value, out, 0);
  return out.join("");
}

function write(v, out, depth) {
  if (depth > 1000) throw new RangeError("a value nested deeper than 1000 levels cannot be written");
  switch (typeof v) {
    case "string": out.push(JSON.stringify(v)); return;
    case "number":
      if (Number.isFinite(v)) out.push(JSON.stringify(v));
      else out.push(Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"');
      return;
    case "bigint": out.push(v.toString()); return;
    case "boolean": out.push(v ? "true" : "false"); return;
    case "undefined": case "function": case "symbol": out.push("null"); return;
    default: break;
  }
  if (v === null) { out.push("null"); return; }
  if (v instanceof Uint8Array) { out.push('"', Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64"), '"'); return; }
  if (v instanceof ArrayBuffer) { out.push('"', Buffer.from(v).toString("base64"), '"'); return; }
  if (v instanceof Date) { out.push(JSON.stringify(v.toISOString())); return; }
  if (Array.isArray(v) || v instanceof Set) {
    out.push("[");
    let first = true;
    for (const item of v) {
      if (!first) out.push(",");
      first = false;
      write(item, out, depth + 1);
    }
    out.push("]");
    return;
  }
  if (typeof v.toJSON === "function") { write(v.toJSON(), out, depth + 1); return; }
  const entries = v instanceof Map ? v.entries() : Object.entries(v);
  out.push("{");
  let first = true;
  for (const [k, item] of entries) {
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    if (!first) out.push(",");
    first = false;
    out.push(JSON.stringify(String(k)), ":");
    write(item, out, depth + 1);
  }
  out.push("}");
}
