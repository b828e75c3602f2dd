// What a side serves, as the connection asks for it: a method's kind and shape, how its params and input items are
// read, and the function that runs it.
import { readItem, readParams } from "./contract.mjs";

/** A served method from its described shape (or none: then params pass as they came) and its function. */
export function servedMethod(shape, types, fn) {
  if (!shape || shape.shapeless) {
    return {
      kind: "request", params: [], input: null,
      readArgs: (params) => [params],
      readItem: (v) => v,
      handler: (args, ctx) => fn(...args, ctx),
    };
  }
  return {
    kind: shape.kind,
    params: shape.params,
    input: shape.input,
    readArgs: (params) => readParams(shape, params, types),
    readItem: (v) => readItem(shape, v, types),
    handler: (args, ctx) => fn(...args, ctx),
  };
}

/**
 * Handlers given as {"demoEvents.confirm": fn} or {demoEvents: {confirm: fn}} (or an instance whose methods are on
 * its prototype), as a Map of wire name to function.
 */
export function flattenHandlers(handlers) {
  const out = new Map();
  if (!handlers) return out;
  for (const [key, value] of Object.entries(handlers)) {
    if (typeof value === "function") out.set(key, value);
    else if (value && typeof value === "object") for (const name of methodNames(value)) out.set(`${key}.${name}`, value[name].bind(value));
  }
  return out;
}

export function methodNames(obj) {
  const names = new Set();
  for (let o = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) if (name !== "constructor" && typeof obj[name] === "function") names.add(name);
  }
  return [...names];
}
