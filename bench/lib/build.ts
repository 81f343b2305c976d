/**
 * The two artifacts under comparison, built the same way.
 *
 * Ours is the project's own bundle, dist/functions/data-action.js, as `npm run build`
 * (scripts/build.mjs) produces it. The anchor (bench/anchors/data-action-sdk.ts) must be bundled
 * with exactly the same esbuild options, and scripts/build.mjs keeps changing, so instead of a
 * copy of its options the bench runs scripts/build.mjs itself, in a temp working directory (its
 * `dist/` is then the temp one) with its `esbuild` import redirected to a shim
 * (esbuild-capture-*.mjs) that runs every build unchanged and then bundles the anchor with the
 * same options, twice: with the options alone, and with the project's esbuild plugins too. The
 * parts compare with the first by default: the plugins rewrite parts of axios for our function's
 * needs, which an SDK user would not have (`--anchor-plugins` compares with the second). The
 * cold-start part shows both.
 *
 * The temp build of ours also tells whether dist/ is current: when dist/functions/data-action.js
 * is missing or differs from what scripts/build.mjs produces from today's sources, the bench runs
 * `npm run build` (unless --no-build) and says so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = path.resolve(__dirname, '../..');
const ANCHOR_ENTRY = path.join(ROOT, 'bench/anchors/data-action-sdk.ts');

export interface Metafile {
  inputs: Record<string, { bytes: number }>;
  outputs: Record<string, { bytes: number; entryPoint?: string; inputs: Record<string, { bytesInOutput: number }> }>;
}

export interface Artifact {
  file: string;
  map: string;
  bytes: number;
  meta: Metafile;
  /** The metafile's output entry for this bundle. */
  output: Metafile['outputs'][string];
}

export interface Bundles {
  ours: Artifact;
  events: string;
  /** The anchor every part compares with: built with the options alone, or with --anchor-plugins also with the project's plugins. */
  anchor: Artifact;
  /** The other build of the anchor, shown beside it in the cold-start part. */
  otherAnchor: Artifact;
  /** Whether `anchor` got the project's esbuild plugins. */
  anchorPlugins: boolean;
  /** The esbuild options both were built with (plugins by name). */
  options: Record<string, unknown>;
  /** What happened to dist/ before measuring. */
  distNote: string;
  tmp: string;
}

export function prepareBundles(options: { build: boolean; anchorPlugins: boolean; log: (line: string) => void }): Bundles {
  const tmp = mkdtempSync(path.join(tmpdir(), 'genesys-flagger-bench-'));
  const work = path.join(tmp, 'build');
  const out = path.join(tmp, 'out');
  mkdirSync(work, { recursive: true });
  symlinkSync(path.join(ROOT, 'functions'), path.join(work, 'functions'), 'dir');

  const register = pathToFileURL(path.join(__dirname, 'esbuild-capture-register.mjs')).href;
  const run = spawnSync(process.execPath, ['--import', register, path.join(ROOT, 'scripts/build.mjs')], {
    cwd: work,
    env: { ...process.env, BENCH_OUT: out, BENCH_ANCHOR_ENTRY: ANCHOR_ENTRY },
    encoding: 'utf8',
  });
  if (run.status !== 0 || !existsSync(path.join(out, 'options.json'))) {
    throw new Error(`building with scripts/build.mjs failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  }

  const fresh = path.join(work, 'dist/functions/data-action.js');
  const dist = path.join(ROOT, 'dist/functions/data-action.js');
  const same = (): boolean => existsSync(dist) && readFileSync(dist).equals(readFileSync(fresh));
  let distNote = 'dist/functions/data-action.js is what scripts/build.mjs builds from the current sources';
  if (!same()) {
    const why = existsSync(dist) ? 'was stale (it differs from a fresh build of the current sources)' : 'was missing';
    if (!options.build) {
      distNote = `dist/functions/data-action.js ${why}; measured as it is (--no-build)`;
    } else {
      options.log(`dist/functions/data-action.js ${why}: running npm run build ...`);
      const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}\n${built.stderr}`);
      distNote = same()
        ? `dist/functions/data-action.js ${why}: the bench ran npm run build first`
        : `dist/functions/data-action.js ${why}; npm run build did not reproduce the bench's build of it (sources changing during the run?)`;
    }
  }
  if (!existsSync(dist)) throw new Error(`${dist} is missing`);

  const ourMeta = JSON.parse(readFileSync(path.join(out, 'ours.meta.json'), 'utf8')) as Metafile;
  const anchorBuild = (name: string): Artifact =>
    artifact(path.join(out, name, 'data-action-sdk.js'), JSON.parse(readFileSync(path.join(out, `${name}.meta.json`), 'utf8')) as Metafile, 'data-action-sdk.ts', work);
  const plain = anchorBuild('anchor');
  const withPlugins = anchorBuild('anchor-plugins');
  return {
    ours: artifact(dist, ourMeta, 'functions/data-action.ts', work),
    events: path.join(ROOT, 'dist/functions/events.js'),
    anchor: options.anchorPlugins ? withPlugins : plain,
    otherAnchor: options.anchorPlugins ? plain : withPlugins,
    anchorPlugins: options.anchorPlugins,
    options: JSON.parse(readFileSync(path.join(out, 'options.json'), 'utf8')) as Record<string, unknown>,
    distNote,
    tmp,
  };
}

function artifact(file: string, meta: Metafile, entrySuffix: string, workingDir: string): Artifact {
  const found = Object.values(meta.outputs).find((o) => o.entryPoint?.endsWith(entrySuffix));
  if (!found) throw new Error(`no output for ${entrySuffix} in the metafile`);
  // Input paths are relative to the temp working directory: make them relative to the project.
  const inputs = Object.fromEntries(
    Object.entries(found.inputs).map(([input, value]) => [/^[a-z-]+:/.test(input) ? input : path.relative(ROOT, path.resolve(workingDir, input)), value]),
  );
  return { file, map: `${file}.map`, bytes: readFileSync(file).length, meta, output: { ...found, inputs } };
}

/** Bytes in the bundle per package (node_modules/<name>) or project folder, largest first. */
export function bytesByPackage(output: Artifact['output']): { name: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = packageOf(input);
    totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
  }
  return [...totals.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** node_modules/@aws-sdk/core/dist-es/x.js -> @aws-sdk/core; lib/genesys/http.ts -> lib/ */
export function packageOf(input: string): string {
  const normalized = input.replace(/\\/g, '/');
  const match = normalized.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/g);
  if (match) return (match[match.length - 1] as string).replace('node_modules/', '');
  const parts = normalized.replace(/^(\.\.\/)+/, '').split('/');
  return parts.length > 1 ? `${parts[0]}/` : (parts[0] as string);
}

export function cleanup(bundles: Bundles | undefined): void {
  if (bundles) rmSync(bundles.tmp, { recursive: true, force: true });
}
