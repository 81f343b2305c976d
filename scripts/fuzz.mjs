#!/usr/bin/env node
/**
 * `npm run fuzz`: the property suites (test/property, and the security property) with many more
 * runs and a new random seed each time, printed first and last so that a failure can be replayed.
 *
 *   npm run fuzz                          # random seed, every property x10
 *   npm run fuzz -- --scale 50            # longer
 *   npm run fuzz -- --runs 20000          # exactly this many runs per property
 *   npm run fuzz -- --seed 1234567        # replay a seed (same scale or runs as the failed run)
 *   npm run fuzz -- --quick               # CI smoke run: npm test's run counts, fixed seed (~20 s)
 *
 * FUZZ_SEED, FUZZ_SCALE and FUZZ_RUNS work too (--quick ignores them); test/property/support.ts reads them.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function option(name) {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  if (i >= 0 && args[i + 1] !== undefined) return args[i + 1];
  const inline = args.find((a) => a.startsWith(`--${name}=`));
  return inline?.slice(name.length + 3);
}

// Quick: the same run counts as `npm test` (some properties check the share of valid events they
// drew, which needs those counts) with a fixed seed other than npm test's, so that CI gets a
// repeatable run that still differs from the one npm test just did. It ignores the FUZZ_*
// variables (options still apply), so that a stray one in CI's environment cannot change it.
const quick = process.argv.slice(2).includes('--quick');
const env = (name) => (quick ? undefined : process.env[name]);
const seed = option('seed') ?? env('FUZZ_SEED') ?? (quick ? '1' : String(randomInt(1, 2 ** 31 - 1)));
const runs = option('runs') ?? env('FUZZ_RUNS');
const scale = option('scale') ?? env('FUZZ_SCALE') ?? (quick ? '1' : '10');
for (const [name, value] of [
  ['seed', seed],
  ['runs', runs],
  ['scale', scale],
]) {
  if (value !== undefined && !/^\d+$/.test(value)) {
    console.error(`fuzz: --${name} must be a whole number, got ${JSON.stringify(value)}`);
    process.exit(2);
  }
}

const how = `${runs ? `${runs} runs per property` : `every property x${scale}`}${quick ? ' (quick)' : ''}`;
const replay = `FUZZ_SEED=${seed} ${runs ? `FUZZ_RUNS=${runs}` : `FUZZ_SCALE=${scale}`} npm run fuzz`;
console.log(`fuzz: seed ${seed}, ${how}`);
console.log(`fuzz: replay with ${replay}\n`);

const started = Date.now();
const jest = require.resolve('jest/bin/jest');
// In band: the timing properties measure deadlines on real sockets, and a CPU-bound neighbour
// worker on a 2-core machine would starve them (npm test keeps their run counts small instead).
const result = spawnSync(
  process.execPath,
  [jest, 'test/property', 'test/integration/security.test.ts', '--runInBand', '--testTimeout=3600000'],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      // Only the runs chosen above: an inherited FUZZ_RUNS would override the scale (--quick).
      FUZZ_RUNS: undefined,
      FUZZ_SEED: seed,
      FUZZ_SCALE: scale,
      ...(runs ? { FUZZ_RUNS: runs } : {}),
    },
  },
);

const seconds = Math.round((Date.now() - started) / 1000);
const ok = result.status === 0;
console.log(`\nfuzz: seed ${seed}, ${how}: ${ok ? 'passed' : 'FAILED'} in ${seconds} s`);
if (!ok) console.log(`fuzz: replay with ${replay}`);
process.exitCode = result.status ?? 1;
