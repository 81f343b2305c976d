// Stands in for esbuild inside scripts/build.mjs (run by bench/lib/build.ts with its working
// directory in a temp folder, so the script's `dist/` is that folder's, never the project's).
// Every build() call goes to the real esbuild unchanged (plus metafile, which does not change the
// output); after it, the anchor entry (BENCH_ANCHOR_ENTRY) is bundled with the same options into
// BENCH_OUT/anchor, and the options and both metafiles are written to BENCH_OUT for the bench.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import esbuild from 'esbuild';

const out = process.env.BENCH_OUT;
const anchorEntry = process.env.BENCH_ANCHOR_ENTRY;

export async function build(options) {
  const result = await esbuild.build({ ...options, metafile: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'ours.meta.json'), JSON.stringify(result.metafile));
  const { entryPoints: _e, outdir: _o, outfile: _f, plugins = [], ...shared } = options;
  // The anchor twice: with the options alone (what an SDK user gets from the same esbuild
  // settings), and with the project's plugins too.
  for (const [name, withPlugins] of [['anchor', false], ['anchor-plugins', true]]) {
    const anchor = await esbuild.build({
      ...shared,
      entryPoints: [anchorEntry],
      outdir: path.join(out, name),
      metafile: true,
      plugins: withPlugins ? plugins : [],
    });
    writeFileSync(path.join(out, `${name}.meta.json`), JSON.stringify(anchor.metafile));
  }
  writeFileSync(path.join(out, 'options.json'), JSON.stringify({ ...shared, plugins: plugins.map((p) => p.name) }, null, 2));
  return result;
}

export const context = esbuild.context;
export const transform = esbuild.transform;
export const version = esbuild.version;
export default { ...esbuild, build };
