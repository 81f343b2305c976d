// Bundles every Lambda entry point in functions/ into dist/functions/<name>.mjs (an ES module
// exporting `handler`). serverless.yml packages exactly these files: there is no second build path.
// The options are exported so that the benchmark bundles its anchor exactly the same way; the
// build itself runs only when this file is the program (`node scripts/build.mjs`).
import { build } from 'esbuild';
import { readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * Three parts of axios the function never uses cost cold start, so they are left out (measured
 * with --cpu-prof: Node's undici alone took about 30 ms of every cold start):
 * - its fetch adapter probes fetch/Request/ReadableStream when imported, which loads undici; the
 *   function pins the http adapter;
 * - utils.js reads globalThis.FormData at import, which loads undici too; bodies here are JSON
 *   strings, never FormData;
 * - its multipart support pulls form-data, mime-types and mime-db (~150 KB).
 * The rewrite fails the build if axios changes shape, so an upgrade cannot silently undo it, and
 * `npm test` runs the resulting bundles end to end.
 */
const AXIOS_FORMDATA_PROBE = "const FormDataCtor = typeof G.FormData !== 'undefined' ? G.FormData : undefined;";
export const leanAxios = {
  name: 'lean-axios',
  setup(b) {
    b.onResolve({ filter: /^form-data$/ }, () => ({ path: 'form-data', namespace: 'lean-stub' }));
    b.onResolve({ filter: /^\.\/fetch\.js$/ }, (args) =>
      /axios[\\/]lib[\\/]adapters[\\/]adapters\.js$/.test(args.importer)
        ? { path: 'axios-fetch-adapter', namespace: 'lean-stub' }
        : undefined,
    );
    b.onLoad({ filter: /axios[\\/]lib[\\/]utils\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(AXIOS_FORMDATA_PROBE))
        throw new Error(`axios changed: "${AXIOS_FORMDATA_PROBE}" not found in ${args.path}`);
      return { loader: 'js', contents: source.replace(AXIOS_FORMDATA_PROBE, 'const FormDataCtor = undefined;') };
    });
    b.onLoad({ filter: /.*/, namespace: 'lean-stub' }, (args) => ({
      loader: 'js',
      contents:
        args.path === 'form-data'
          ? 'module.exports = class FormData { ' +
            'constructor() { throw new Error("multipart bodies are not bundled"); } };'
          : 'export const getFetch = () => false; export default false;',
    }));
  },
};

/**
 * Node's built-in modules, required where their importer runs instead of imported up front. In an
 * ES module bundle esbuild hoists every `import ... from 'node:x'` to the top, so code that only
 * runs on demand (the AWS SDK's credential providers, reached through dynamic imports) would load
 * child_process, dgram and more at every cold start; as CommonJS stubs they load when first used,
 * as they did in a CommonJS bundle.
 */
export const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const builtins = new Set(builtinModules);
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (args.namespace === 'lazy-builtin' || !builtins.has(name)) return undefined;
      return { path: name, namespace: 'lazy-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      loader: 'js',
      contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)});`,
    }));
  },
};

export const buildOptions = {
  bundle: true,
  platform: 'node',
  // Local Node is 20, Lambda runs nodejs22.x: one bundle for both.
  target: 'node20',
  // ES modules: Lambda's Node runtime waits for an ES module handler's top-level await before it
  // asks for the first event, which is how a door prefetches during init.
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  // An ES module has no `require`, and bundled CommonJS dependencies call it for Node's built-ins.
  banner: {
    js:
      "import { createRequire as __createRequire } from 'node:module'; " +
      'const require = __createRequire(import.meta.url);',
  },
  // ESM builds of the AWS SDK and axios tree-shake far better than their CJS builds.
  mainFields: ['module', 'main'],
  // Smaller to read and parse on every cold start. Stack traces map back to the sources with the
  // .map files beside the bundles (NODE_OPTIONS=--enable-source-maps when debugging).
  minify: true,
  keepNames: false,
  sourcemap: 'external',
  legalComments: 'none',
  metafile: true,
  plugins: [leanAxios, lazyBuiltins],
  logLevel: 'warning',
};

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const entries = readdirSync('functions')
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join('functions', f));
  rmSync('dist', { recursive: true, force: true });
  const result = await build({ ...buildOptions, entryPoints: entries, outdir: 'dist/functions' });
  writeFileSync('dist/meta.json', JSON.stringify(result.metafile));
  for (const entry of entries) {
    const out = path.join('dist/functions', `${path.basename(entry, '.ts')}.mjs`);
    console.log(`${out}  ${(statSync(out).size / 1024).toFixed(0)} KiB`);
  }
}
