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
// are) is re-declared with the longer signature, and each of its calls passes zeros (null for
// externref) for the rest; its JS function, in the glue, declares the extra parameters too (V8
// compiles another wrapper at instantiation for a function whose arity differs). A call costs the
// extra arguments' conversion (nanoseconds). (A wasm adapter per import instead of rewriting the
// calls cost ~0.3 ms of the first construction: each adapter is one more function V8 compiles
// on its first call.)
import binaryen from 'binaryen';

export const FEATURES = ['MutableGlobals', 'SignExt', 'BulkMemory', 'BulkMemoryOpt', 'CallIndirectOverlong', 'NontrappingFPToInt', 'ReferenceTypes', 'Multivalue']
  .reduce((all, name) => all | binaryen.Features[name], 0);

const sigKey = ({ params, results }) => `${params.join(',')}->${results}`;
const isPrefixOf = (a, b) => a.results === b.results && a.params.length < b.params.length && a.params.every((t, i) => b.params[i] === t);

// The operands of each kind of expression a wasm-bindgen module holds (MVP, sign extension,
// bulk memory, reference types, multi-value). The kinds binaryen.js cannot describe (table.fill,
// which wasm-bindgen's externref table uses, and whatever a new toolchain brings) are not
// walked: a call under one of them is left naming the removed import, and validate() fails the
// build rather than shipping it.
const CHILDREN = new Map(Object.entries({
  Block: ['children'], If: ['condition', 'ifTrue', 'ifFalse'], Loop: ['body'], Break: ['condition', 'value'],
  Switch: ['condition', 'value'], Call: ['operands'], CallIndirect: ['target', 'operands'], LocalGet: [],
  LocalSet: ['value'], GlobalGet: [], GlobalSet: ['value'], Load: ['ptr'], Store: ['ptr', 'value'], Const: [],
  Unary: ['value'], Binary: ['left', 'right'], Select: ['ifTrue', 'ifFalse', 'condition'], Drop: ['value'],
  Return: ['value'], MemorySize: [], MemoryGrow: ['delta'], Nop: [], Unreachable: [],
  MemoryCopy: ['dest', 'source', 'size'], MemoryFill: ['dest', 'value', 'size'], MemoryInit: ['dest', 'offset', 'size'],
  DataDrop: [], RefNull: [], RefIsNull: ['value'], RefFunc: [], RefEq: ['left', 'right'], RefAs: ['value'],
  TableGet: ['index'], TableSet: ['index', 'value'], TableSize: [], TableGrow: ['value', 'delta'],
  TupleMake: ['operands'], TupleExtract: ['tuple'],
}).map(([kind, fields]) => [binaryen[`${kind}Id`], fields]));

/** Calls `onCall(expr, info)` for every call (to a function by name) in the tree of `root`. */
function walkCalls(root, onCall) {
  const stack = [root];
  while (stack.length) {
    const expr = stack.pop();
    if (!expr) continue;
    const id = binaryen.getExpressionId(expr);
    const fields = CHILDREN.get(id);
    // (getExpressionInfo of binaryen.js 132 fails on Unreachable and RefNull: leaves are skipped.)
    if (fields === undefined || fields.length === 0) continue;
    const info = binaryen.getExpressionInfo(expr);
    if (id === binaryen.CallId) onCall(expr, info);
    for (const field of fields) {
      const child = info[field];
      if (Array.isArray(child)) stack.push(...child);
      else stack.push(child);
    }
  }
}

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
  // Imports that are also exported keep theirs too (none today).
  for (let i = 0; i < mod.getNumExports(); i++) {
    const exp = binaryen.getExportInfo(mod.getExportByIndex(i));
    if (exp.kind === binaryen.ExternalFunction) inTables.add(exp.value);
  }
  const padded = new Map();
  const plan = new Map();
  for (const imp of imports) {
    if (imp.module !== glueModule || fixed.has(sigKey(imp)) || inTables.has(imp.name)) continue;
    const target = maximal.filter((t) => isPrefixOf(imp, t)).sort((a, b) => a.params.length - b.params.length)[0];
    if (target === undefined) continue;
    const name = `${imp.name}$padded`;
    mod.addFunctionImport(name, imp.module, imp.base, binaryen.createType(target.params), target.results);
    plan.set(imp.name, { name, extra: target.params.slice(imp.params.length) });
    padded.set(imp.base, target.params.length);
  }
  const zero = (type) => {
    if (type === binaryen.i32) return mod.i32.const(0);
    if (type === binaryen.f64) return mod.f64.const(0);
    if (type === binaryen.externref) return mod.ref.null(binaryen.externref);
    throw new Error(`import-signatures: no zero for type ${type}`);
  };
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const fn = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (fn.module) continue;
    walkCalls(fn.body, (expr, info) => {
      if (!plan.has(info.target)) return;
      const { name, extra } = plan.get(info.target);
      binaryen.Call.setTarget(expr, name);
      for (const type of extra) binaryen.Call.appendOperand(expr, zero(type));
    });
  }
  // A call left unrewritten would name a removed function: validate() below says so.
  for (const name of plan.keys()) mod.removeFunction(name);
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
