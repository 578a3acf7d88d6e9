// Fewer import signatures in a wasm-bindgen module, for a faster cold start (issue 15 item 6).
//
// When V8 (Node 20's V8 11.3) compiles a module, it compiles one wasm-to-JS wrapper per distinct
// signature among the module's imported functions, with TurboFan, before the module is usable:
// ~0.09 ms each on the 2-core build machine, measured with a module of imports only (38
// signatures: 4.2 ms; 38 imports of one signature: 0.7 ms). wasm-auth/verify imports 92
// functions of 38 signatures, so that was about half of `new WebAssembly.Module`.
//
// Many of them are a prefix of another of the same result: `(externref) -> externref` and
// `(externref externref externref) -> externref`. A JS function ignores arguments it does not
// declare, so an import of the glue (never one of shim.js, whose functions are passed as they
// are) is re-declared with the longer signature and called through a small wasm function of
// its old signature that passes zeros (null for externref) for the rest; its JS function, in the
// glue, declares the extra parameters too (V8 compiles another wrapper at instantiation for a
// function whose arity differs). A call costs one more wasm-to-wasm call and the extra
// arguments' conversion (nanoseconds).
import binaryen from 'binaryen';

export const FEATURES = ['MutableGlobals', 'SignExt', 'BulkMemory', 'BulkMemoryOpt', 'CallIndirectOverlong', 'NontrappingFPToInt', 'ReferenceTypes', 'Multivalue']
  .reduce((all, name) => all | binaryen.Features[name], 0);

const sigKey = ({ params, results }) => `${params.join(',')}->${results}`;
const isPrefixOf = (a, b) => a.results === b.results && a.params.length < b.params.length && a.params.every((t, i) => b.params[i] === t);

/**
 * Rewrites `wasm` (bytes) so that its imports from `glueModule` use fewer signatures.
 * Returns { wasm: the new bytes, padded: Map(import name -> parameter count it now has),
 * before, after: the number of distinct import signatures }.
 */
export function mergeImportSignatures(wasm, glueModule) {
  const mod = binaryen.readBinary(wasm);
  mod.setFeatures(FEATURES);
  const imports = [];
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (!info.module) continue;
    imports.push({ ...info, params: binaryen.expandType(info.params), results: info.results });
  }
  const sigs = new Map(imports.map((imp) => [sigKey(imp), imp]));
  // A signature of a shim.js import stays as it is (its function is not the glue's to pad).
  const fixed = new Set(imports.filter((imp) => imp.module !== glueModule).map(sigKey));
  // The signatures no other one extends: each import is padded to the shortest of them that
  // extends its own (the fewest zeros per call).
  const maximal = [...sigs.values()].filter((s) => ![...sigs.values()].some((t) => isPrefixOf(s, t)));
  // Imports that are also table entries (ref.func) keep their signature: their references
  // are typed with the import's own function type.
  const inTables = new Set();
  for (let i = 0; i < mod.getNumElementSegments(); i++) {
    for (const name of binaryen.getElementSegmentInfo(mod.getElementSegmentByIndex(i)).data) inTables.add(name);
  }
  const padded = new Map();
  for (const imp of imports) {
    if (imp.module !== glueModule || fixed.has(sigKey(imp)) || inTables.has(imp.name)) continue;
    const target = maximal.filter((t) => isPrefixOf(imp, t)).sort((a, b) => a.params.length - b.params.length)[0];
    if (target === undefined) continue;
    const adapted = `${imp.name}$padded`;
    mod.removeFunction(imp.name);
    mod.addFunctionImport(adapted, imp.module, imp.base, binaryen.createType(target.params), target.results);
    const args = imp.params.map((type, i) => mod.local.get(i, type));
    for (const type of target.params.slice(imp.params.length)) {
      if (type === binaryen.i32) args.push(mod.i32.const(0));
      else if (type === binaryen.f64) args.push(mod.f64.const(0));
      else if (type === binaryen.externref) args.push(mod.ref.null(binaryen.externref));
      else throw new Error(`import-signatures: no zero for type ${type} (${imp.base})`);
    }
    mod.addFunction(imp.name, binaryen.createType(imp.params), imp.results, [], mod.call(adapted, args, imp.results));
    padded.set(imp.base, target.params.length);
  }
  if (!mod.validate()) throw new Error('import-signatures: the rewritten module does not validate');
  const after = new Set();
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (info.module) after.add(sigKey({ params: binaryen.expandType(info.params), results: info.results }));
  }
  const out = mod.emitBinary();
  mod.dispose();
  return { wasm: out, padded, before: sigs.size, after: after.size };
}

/**
 * The glue's import functions named in `padded` get parameters up to the count there (`_pad<i>`,
 * unused), so that their arity matches the signature they are now imported with.
 */
export function padGlue(glue, padded) {
  let text = glue;
  for (const [name, count] of padded) {
    const header = new RegExp(`^(\\s+${name}: function\\()([\\w, ]*)(\\) \\{)`, 'm');
    const match = header.exec(text);
    if (match === null) throw new Error(`import-signatures: ${name} not found in the glue's imports`);
    const params = match[2].split(',').map((p) => p.trim()).filter(Boolean);
    while (params.length < count) params.push(`_pad${params.length}`);
    text = text.replace(header, `$1${params.join(', ')}$3`);
  }
  return text;
}
