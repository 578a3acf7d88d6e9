// Exports of one result instead of several, for a faster cold start (issue 15 item 6).
//
// wasm-bindgen returns `Result`s and strings from exports as several values (the multi-value
// ABI: `[ptr, len, error]`). Node 20's V8 11.3 calls exports of one result (or none) through
// one generic JS-to-wasm wrapper, but compiles one wrapper with TurboFan per multi-value
// signature when it compiles the module: ~1 ms for wasm-auth/verify's 6 (measured with a module
// of only those signatures beside its imports: 4.7 ms against 3.7 ms), more for the full module.
//
// So each multi-value export is re-exported as a function of the same name that calls the
// original, returns its first value and leaves the others (all i32) in exported mutable globals,
// `__wbg_result1`, `__wbg_result2`, ... The glue's call sites, `const ret = wasm.NAME(...);`,
// read them back at once into the array the glue expects: nothing runs in between, so the
// globals cannot be overwritten by another call first.
import binaryen from 'binaryen';
import { FEATURES } from './import-signatures.mjs';

const global = (i) => `__wbg_result${i}`;

/**
 * Rewrites `wasm` (bytes). Returns { wasm: the new bytes, results: Map(export name -> number of
 * results it had) }.
 */
export function singleResults(wasm) {
  const mod = binaryen.readBinary(wasm);
  mod.setFeatures(FEATURES);
  const multi = [];
  for (let i = 0; i < mod.getNumExports(); i++) {
    const exp = binaryen.getExportInfo(mod.getExportByIndex(i));
    if (exp.kind !== binaryen.ExternalFunction) continue;
    const fn = binaryen.getFunctionInfo(mod.getFunction(exp.value));
    const results = binaryen.expandType(fn.results);
    if (results.length < 2) continue;
    if (!results.every((type) => type === binaryen.i32)) throw new Error(`single-results: ${exp.name} returns more than i32s`);
    multi.push({ exp, fn, params: binaryen.expandType(fn.params), results });
  }
  const extra = Math.max(0, ...multi.map(({ results }) => results.length - 1));
  for (let i = 1; i <= extra; i++) {
    mod.addGlobal(global(i), binaryen.i32, true, mod.i32.const(0));
    mod.addGlobalExport(global(i), global(i));
  }
  const counts = new Map();
  for (const { exp, fn, params, results } of multi) {
    const all = params.length;
    const tuple = () => mod.local.get(all, fn.results);
    const body = mod.block(null, [
      mod.local.set(all, mod.call(fn.name, params.map((type, i) => mod.local.get(i, type)), fn.results)),
      ...results.slice(1).map((_, i) => mod.global.set(global(i + 1), mod.tuple.extract(tuple(), i + 1))),
      mod.tuple.extract(tuple(), 0),
    ], binaryen.i32);
    const single = `${fn.name}$single`;
    mod.addFunction(single, fn.params, binaryen.i32, [fn.results], body);
    mod.removeExport(exp.name);
    mod.addFunctionExport(single, exp.name);
    counts.set(exp.name, results.length);
  }
  if (!mod.validate()) throw new Error('single-results: the rewritten module does not validate');
  const out = mod.emitBinary();
  mod.dispose();
  return { wasm: out, results: counts };
}

/** The glue's calls of the exports in `results` read the other values back into `ret`. */
export function readResults(glue, results) {
  let text = glue;
  for (const [name, count] of results) {
    const call = new RegExp(`const ret = (wasm\\.${name}\\([^;]*\\));`, 'g');
    const calls = text.match(new RegExp(`wasm\\.${name}\\(`, 'g'))?.length ?? 0;
    let found = 0;
    text = text.replace(call, (_, expr) => {
      found++;
      const rest = Array.from({ length: count - 1 }, (__, i) => `wasm.${global(i + 1)}.value`);
      return `const ret = [${expr}, ${rest.join(', ')}];`;
    });
    if (found === 0 || found !== calls) throw new Error(`single-results: ${name}: ${found} of its ${calls} calls in the glue rewritten`);
  }
  return text;
}
