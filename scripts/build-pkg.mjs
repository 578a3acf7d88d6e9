#!/usr/bin/env node
// Builds the npm package in pkg/ (`make pkg`): wasm-pack for each [[build]] of wasm-pack.toml,
// npm binaryen's wasm-opt, then the entry shims and package.json from pkg-template/.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { parse } from 'smol-toml';
import { mergeImportSignatures, padGlue } from './import-signatures.mjs';
import { readResults, singleResults } from './single-results.mjs';

const root = resolve(import.meta.dirname, '..');
const config = parse(readFileSync(join(root, 'wasm-pack.toml'), 'utf8'));
const cargo = parse(readFileSync(join(root, 'Cargo.toml'), 'utf8'));
const { npm_name: npmName, out_dir: pkgDir, out_name: outName } = config.package;
const wasmOpt = join(root, 'node_modules', '.bin', 'wasm-opt');

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  return execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
}

function checkWasmOpt() {
  if (!existsSync(wasmOpt)) throw new Error(`${wasmOpt} missing: run scripts/bootstrap.sh`);
  const out = execFileSync(wasmOpt, ['--version'], { encoding: 'utf8' });
  const version = Number(/version (\d+)/.exec(out)?.[1]);
  if (!(version >= config.wasm_opt.min_version)) {
    throw new Error(`wasm-opt ${version} is older than ${config.wasm_opt.min_version}: ${out.trim()}`);
  }
}

// wasm-bindgen types the raw wasm exports in `interface InitOutput` with `any`; they are not
// part of the API (the entries initialise the module), and `unknown` states the same without
// opening a hole in users' type checks. Each member but `memory` is typed `unknown` as a whole: the
// signatures wasm-bindgen wrote no longer hold once single-results.mjs has rewritten the exports.
function typeInternals(dts) {
  const text = readFileSync(dts, 'utf8');
  const typed = text.replace(/(export interface InitOutput \{[\s\S]*?\n\})/, (block) =>
    block.replace(/^(\s*readonly (?!memory\b)[\w$]+): .*;$/gm, '$1: unknown;').replace(/\bany\b/g, 'unknown'));
  writeFileSync(dts, typed);
}

// ---- cold start: imports whose JS function has the wasm signature's arity (issue 15 item 6) ----
// V8 compiles one wasm-to-JS wrapper per import signature when it compiles the module, assuming
// that each imported function declares as many parameters as the signature has. The glue's
// imports that catch JS exceptions (`catch` in Rust) are `function() { return handleError(inner,
// arguments); }`: zero declared parameters, so instantiation compiled a second, "arity
// mismatch" wrapper for each of their signatures (8 in wasm-auth/verify, ~0.1 ms each on the
// first load). Declaring the inner function's parameters on the outer one as well changes
// nothing else: `arguments` still holds what wasm passed.
function matchImportArity(glue) {
  let count = 0;
  const text = glue.replace(/function\(\) \{ return handleError\(function \(([\w, ]*)\) \{/g, (_, params) => {
    count++;
    return `function(${params}) { return handleError(function (${params}) {`;
  });
  // The pattern is wasm-bindgen's text: if a new version writes it otherwise, say so rather
  // than silently losing the fix.
  if (count === 0 && glue.includes('handleError(function')) {
    throw new Error('build-pkg.mjs matchImportArity: the glue\'s handleError imports no longer match the pattern');
  }
  return text;
}

checkWasmOpt();
const pkg = join(root, pkgDir);
rmSync(pkg, { recursive: true, force: true });
mkdirSync(pkg, { recursive: true });

// The .wasm of a build: `<out_name>_bg.wasm`, the build's own out_name or the package's.
const wasmName = (build) => `${build.out_name ?? outName}_bg.wasm`;

for (const build of config.build) {
  const outDir = join(root, build.out_dir);
  const buildName = build.out_name ?? outName;
  rmSync(outDir, { recursive: true, force: true });
  // wasm-pack's own wasm-opt is disabled in Cargo.toml; npm binaryen's bin dir still goes first
  // on PATH so that nothing it runs can pick up Debian's binaryen 108.
  const env = { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH}` };
  run('wasm-pack', ['build', '--release', '--no-pack', '--target', build.target,
    '--out-dir', outDir, '--out-name', buildName, '--', ...(build.cargo_args ?? [])], { env });
  const wasm = join(outDir, wasmName(build));
  run(wasmOpt, [...config.wasm_opt.flags, wasm, '-o', wasm]);
  // Cold start: fewer import signatures for V8 to compile wrappers for (import-signatures.mjs).
  const merged = mergeImportSignatures(readFileSync(wasm), `./${buildName}_bg.js`);
  // ... and no multi-value exports, whose wrappers V8 compiles too (single-results.mjs).
  const single = singleResults(merged.wasm);
  writeFileSync(wasm, single.wasm);
  console.log(`${wasmName(build)}: ${merged.before} import signatures -> ${merged.after}; ${single.results.size} multi-value exports -> 0`);
  typeInternals(join(outDir, `${buildName}.d.ts`));
  const dest = join(pkg, build.pkg_subdir);
  mkdirSync(dest, { recursive: true });
  // The glue and its types keep the package's name in every folder (the entries import
  // './wasm_auth.js'); only the .wasm carries the build's name.
  writeFileSync(join(dest, `${outName}.js`), readResults(padGlue(matchImportArity(readFileSync(join(outDir, `${buildName}.js`), 'utf8')), merged.padded), single.results));
  cpSync(join(outDir, `${buildName}.d.ts`), join(dest, `${outName}.d.ts`));
  cpSync(wasm, join(dest, wasmName(build)));
  // wasm-bindgen's inline_js helpers, imported by the glue.
  if (existsSync(join(outDir, 'snippets'))) cpSync(join(outDir, 'snippets'), join(dest, 'snippets'), { recursive: true });
}

// The entry shims and types, into the package root and into every other build's folder (they
// only name files of their own folder). The framework subpaths (`rootOnly`: wasm-auth/react,
// wasm-auth/hono) go to the root only: they import the package by its name, so the runtime's export conditions
// pick the entry.
// The templates name the package root's files (wasm_auth_bg.wasm, 'wasm-auth'); a build with
// another out_name gets them rewritten to its own .wasm and subpath.
const template = join(root, 'pkg-template');
const rootOnly = new Set(['react', 'hono']);
for (const build of config.build) {
  const atRoot = resolve(pkg, build.pkg_subdir) === resolve(pkg);
  for (const entry of readdirSync(template)) {
    if (entry === 'package.json' || (rootOnly.has(entry) && !atRoot)) continue;
    const dest = join(pkg, build.pkg_subdir, entry);
    if (!entry.endsWith('.js')) {
      cpSync(join(template, entry), dest, { recursive: true });
      continue;
    }
    const subpath = build.pkg_subdir === '.' ? npmName : `${npmName}/${build.pkg_subdir}`;
    const text = readFileSync(join(template, entry), 'utf8')
      .replaceAll(`${outName}_bg.wasm`, wasmName(build))
      .replace(/^const PACKAGE_SUBPATH = '[^']*';$/m, `const PACKAGE_SUBPATH = '${subpath}';`);
    writeFileSync(dest, text);
  }
}

// ---- browser.js's export list (issue 18: no top-level await) ----
// browser.js wraps every class and function of the glue (lazyClass, lazyFunction) so that they
// wait for the module; the names and which members return a promise or nothing are read from
// the glue's .d.ts here, so a new method needs no second list by hand.
function lazyExports(dir) {
  const dts = readFileSync(join(dir, `${outName}.d.ts`), 'utf8');
  const glueJs = readFileSync(join(dir, `${outName}.js`), 'utf8');
  // Only what the glue defines needs the module; what it re-exports from shim.js
  // (WasmAuthError, isWasmAuthError) is plain JS and works before the module is loaded.
  const defined = new Set([...glueJs.matchAll(/^export (?:class|function) (\w+)/gm)].map(([, name]) => name));
  const lines = ['', '// ---- generated by scripts/build-pkg.mjs from wasm_auth.d.ts ----'];
  for (const [, name, body] of dts.matchAll(/^export class (\w+) \{\n([\s\S]*?)^\}/gm)) {
    if (!defined.has(name)) continue;
    const members = { async: [], void: [], statics: [] };
    for (const [, isStatic, member, returns] of body.matchAll(/^ +(static )?(\w+)\(.*\): (.+);$/gm)) {
      if (returns.startsWith('Promise<')) members[isStatic ? 'statics' : 'async'].push(member);
      else if (returns === 'void' && !isStatic) members.void.push(member);
    }
    lines.push(`export const ${name} = lazyClass(glue.${name}, ${JSON.stringify(members)});`);
  }
  for (const [, name, returns] of dts.matchAll(/^export function (\w+)\(.*\): (.+);$/gm)) {
    if (name === 'initSync' || !defined.has(name)) continue;
    lines.push(`export const ${name} = lazyFunction(glue.${name}, ${returns.startsWith('Promise<')});`);
  }
  // A glue export the .d.ts patterns missed would reach browsers unwrapped (and crash before
  // the module is loaded): fail the build instead.
  for (const name of defined) {
    if (name !== 'initSync' && !lines.some((line) => line.startsWith(`export const ${name} =`))) {
      throw new Error(`browser.js: ${name} of ${dir}/${outName}.js has no lazy wrapper (its .d.ts line was not recognised)`);
    }
  }
  writeFileSync(join(dir, 'browser.js'), readFileSync(join(dir, 'browser.js'), 'utf8') + lines.join('\n') + '\n');
}
for (const subdir of new Set(config.build.map((build) => build.pkg_subdir))) lazyExports(join(pkg, subdir));
// ---- end of browser.js's export list ----
// ---- cold start: one bundled file per entry (issue 15 item 6) ----
// Each ES module Node loads costs resolution, a read and a compile (~1.5 ms of CPU each on the
// 2-core build machine, measured with process.cpuUsage); the entries imported the glue, which
// imported shim.js. esbuild puts each entry, the glue and the snippet into the entry's file
// itself, so an import of the package loads one JS file. The .wasm stays a file of its own
// (workerd.js imports it as a module). wasm_auth.js and snippets/ still ship unchanged: their
// .d.ts types every entry, and the package's file list stays as it was.
// keepNames: bundling turns `export class X` into `var X = class _X` where the class names
// itself, and `X.name` (what consoles print) must stay "X".
// duplicate-object-key: the glue's import object names the snippet once per Rust file that
// imports it, all the same module, which is harmless.
function bundleEntries(dir) {
  for (const entry of ['node.js', 'browser.js', 'workerd.js']) {
    const file = join(dir, entry);
    buildSync({
      entryPoints: [file], outfile: file, allowOverwrite: true, bundle: true, format: 'esm',
      platform: 'neutral', keepNames: true, external: ['*.wasm'],
      logLevel: 'warning', logOverride: { 'duplicate-object-key': 'silent' },
    });
  }
}
for (const subdir of new Set(config.build.map((build) => build.pkg_subdir))) bundleEntries(join(pkg, subdir));
// ---- end of cold start ----

// One README for the repository and the npm page; the changelog, the security policy and both
// license texts (Apache-2.0 requires shipping its text) go along.
for (const file of ['README.md', 'CHANGELOG.md', 'SECURITY.md', 'LICENSE-MIT', 'LICENSE-APACHE']) {
  cpSync(join(root, file), join(pkg, file));
}
const manifest = JSON.parse(readFileSync(join(template, 'package.json'), 'utf8'));
const crate = cargo.package;
const license = crate.license?.workspace ? cargo.workspace.package.license : crate.license;
writeFileSync(join(pkg, 'package.json'), JSON.stringify({
  name: npmName, version: crate.version, description: crate.description, license, ...manifest,
}, null, 2) + '\n');

console.log(`built ${pkgDir}/ (${npmName} ${crate.version}); \`make size\` prints the wasm's size`);
