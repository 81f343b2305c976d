#!/usr/bin/env node
/**
 * `npm run fuzz`: the property suites (test/property, and the security property) with many more
 * runs and a new random seed each time, printed first and last so that a failure can be replayed.
 *
 *   npm run fuzz                          # random seed, every property x10
 *   npm run fuzz -- --scale 50            # longer
 *   npm run fuzz -- --runs 20000          # exactly this many runs per property
 *   npm run fuzz -- --seed 1234567        # replay a seed (same scale or runs as the failed run)
 *
 * FUZZ_SEED, FUZZ_SCALE and FUZZ_RUNS work too; test/property/support.ts reads them.
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

const seed = option('seed') ?? process.env.FUZZ_SEED ?? String(randomInt(1, 2 ** 31 - 1));
const runs = option('runs') ?? process.env.FUZZ_RUNS;
const scale = option('scale') ?? process.env.FUZZ_SCALE ?? '10';
for (const [name, value] of [['seed', seed], ['runs', runs], ['scale', scale]]) {
  if (value !== undefined && !/^\d+$/.test(value)) {
    console.error(`fuzz: --${name} must be a whole number, got ${JSON.stringify(value)}`);
    process.exit(2);
  }
}

const how = runs ? `${runs} runs per property` : `every property x${scale}`;
const replay = `FUZZ_SEED=${seed} ${runs ? `FUZZ_RUNS=${runs}` : `FUZZ_SCALE=${scale}`} npm run fuzz`;
console.log(`fuzz: seed ${seed}, ${how}`);
console.log(`fuzz: replay with ${replay}\n`);

const started = Date.now();
const jest = require.resolve('jest/bin/jest');
// In band: the timing properties measure deadlines on real sockets, and a CPU-bound neighbour
// worker on a 2-core machine would starve them (npm test keeps their run counts small instead).
const result = spawnSync(process.execPath, [jest, 'test/property', 'test/integration/security.test.ts', '--runInBand', '--testTimeout=3600000'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    FUZZ_SEED: seed,
    FUZZ_SCALE: scale,
    ...(runs ? { FUZZ_RUNS: runs } : {}),
  },
});

const seconds = Math.round((Date.now() - started) / 1000);
const ok = result.status === 0;
console.log(`\nfuzz: seed ${seed}, ${how}: ${ok ? 'passed' : 'FAILED'} in ${seconds} s`);
if (!ok) console.log(`fuzz: replay with ${replay}`);
process.exitCode = result.status ?? 1;
