// Bundles every Lambda entry point in functions/ into dist/functions/<name>.js (CommonJS,
// exporting `handler`). serverless.yml packages exactly these files: there is no second build path.
import { build } from 'esbuild';
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const entries = readdirSync('functions').filter((f) => f.endsWith('.ts')).map((f) => path.join('functions', f));
rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: entries,
  outdir: 'dist/functions',
  bundle: true,
  platform: 'node',
  // Local Node is 20, Lambda runs nodejs22.x: one bundle for both.
  target: 'node20',
  format: 'cjs',
  // ESM builds of the AWS SDK and axios tree-shake far better than their CJS builds.
  mainFields: ['module', 'main'],
  // Smaller to load, still readable stack traces in CloudWatch.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'external',
  legalComments: 'none',
  logLevel: 'warning',
});
for (const entry of entries) {
  const out = path.join('dist/functions', `${path.basename(entry, '.ts')}.js`);
  console.log(`${out}  ${(statSync(out).size / 1024).toFixed(0)} KiB`);
}
