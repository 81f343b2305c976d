/**
 * `npm run bench -- [options]`. Defaults are the numbers; --quick shrinks every count for
 * a smoke run (its results go to a temp folder unless --out is given).
 */
export const PARTS = ['init', 'warm', 'lag', 'batch', 'fleet'] as const;
export type Part = (typeof PARTS)[number];

export interface Options {
  quick: boolean;
  only: Set<Part>;
  latencyMs: number;
  initRuns: number;
  firstFlagRuns: number;
  profileRuns: number;
  warmFlags: number;
  profileFlags: number;
  prewarm: number;
  delays: number[];
  runs: number;
  jitter: number;
  fixedDelayMs: number;
  naiveIntervalMs: number;
  batches: number;
  fleetWorkers: number;
  fleetFlags: number;
  ratePerMinute: number;
  rateWindowMs: number;
  build: boolean;
  anchorPlugins: boolean;
  /** Folder for results.md and lag.svg; undefined: bench/ (full run) or a temp folder (--quick). */
  out: string | undefined;
}

export const HELP = `npm run bench -- [options]

  --quick                 smoke run (about a minute): fewer runs everywhere; writes to a temp folder
  --only a,b              parts to run: ${PARTS.join(',')} (default: all)
  --latency-ms N          injected round trip per request to the Genesys and Secrets Manager emulators
                          (default 0; e.g. 40). Not applied to the warm path, which the issue wants at loopback speed.
  --init-runs N           cold-start runs per bundle (default 25, --quick 6)
  --first-flag-runs N     fresh-process first flags per bundle (default 10, --quick 2)
  --profile-runs N        --cpu-prof runs per bundle (default 5, --quick 1)
  --warm N                sequential warm flags per side (default 2000, --quick 300)
  --prewarm N             unmeasured warm flags before the measured ones (default 0, --quick 200: so few
                          measured flags would otherwise mostly measure the JIT warming up)
  --profile-flags N       warm flags under the CPU profiler per side (default 1000, --quick 100)
  --delays a,b,...        participant resolve delays in ms (default 0,250,500,1000,2000,4000)
  --runs N                lag runs per delay and approach (default 30, --quick 5)
  --jitter F              resolve delays vary by ±F of their value (default 0.1; 0 = exact)
  --fixed-delay-ms N      the forum's sleep before its one PATCH (default 2000)
  --naive-interval-ms N   the SDK loop's wait between PATCHes (default 1000)
  --batches N             SQS batches of 10 (default 5, --quick 2)
  --fleet-workers N       containers in the fleet (default 8)
  --fleet-flags N         flags per container (default 200, --quick 15)
  --rate-per-min N        per-token rate limit of the fleet's proxy (default 300)
  --rate-window-ms N      its sliding window (default 1000: 5 requests per second at 300/min)
  --no-build              measure dist/ as it is, even if stale or missing
  --anchor-plugins        bundle the anchor with scripts/build.mjs's esbuild plugins too
  --out DIR               where results.md and lag.svg go (default bench/; --quick: a temp folder)
`;

export function parseArgs(argv: string[]): Options | 'help' {
  const quick = argv.includes('--quick');
  const value = (name: string): string | undefined => {
    const index = argv.indexOf(name);
    if (index < 0) return undefined;
    const v = argv[index + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
    return v;
  };
  const num = (name: string, fallback: number, quickFallback = fallback): number => {
    const raw = value(name);
    if (raw === undefined) return quick ? quickFallback : fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
    return n;
  };
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const known = new Set(['--quick', '--no-build', '--anchor-plugins', '--help', '-h']);
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) continue;
    if (known.has(arg)) continue;
    if (!HELP.includes(`${arg} `)) throw new Error(`unknown option ${arg} (see --help)`);
    i += 1;
  }
  const only = value('--only');
  const parts = only ? only.split(',').map((p) => p.trim()) : [...PARTS];
  for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`unknown part ${p}; parts: ${PARTS.join(', ')}`);
  const delays = (value('--delays') ?? '0,250,500,1000,2000,4000').split(',').map((d) => Number(d.trim()));
  if (delays.some((d) => !Number.isFinite(d) || d < 0)) throw new Error('--delays takes milliseconds, e.g. 0,250,500');
  const ratePerMinute = num('--rate-per-min', 300);
  const rateWindowMs = num('--rate-window-ms', 1000);
  if (Math.round((ratePerMinute * rateWindowMs) / 60_000) < 1) throw new Error('--rate-per-min x --rate-window-ms must allow at least one request per window');
  return {
    quick,
    only: new Set(parts as Part[]),
    latencyMs: num('--latency-ms', 0),
    initRuns: Math.max(1, num('--init-runs', 25, 6)),
    firstFlagRuns: Math.max(1, num('--first-flag-runs', 10, 2)),
    profileRuns: Math.max(1, num('--profile-runs', 5, 1)),
    warmFlags: Math.max(1, num('--warm', 2000, 300)),
    profileFlags: Math.max(1, num('--profile-flags', 1000, 100)),
    prewarm: num('--prewarm', 0, 200),
    delays,
    runs: Math.max(1, num('--runs', 30, 5)),
    jitter: num('--jitter', 0.1),
    fixedDelayMs: num('--fixed-delay-ms', 2000),
    naiveIntervalMs: num('--naive-interval-ms', 1000),
    batches: Math.max(1, num('--batches', 5, 2)),
    fleetWorkers: Math.max(1, num('--fleet-workers', 8)),
    fleetFlags: Math.max(1, num('--fleet-flags', 200, 15)),
    ratePerMinute,
    rateWindowMs,
    build: !argv.includes('--no-build'),
    anchorPlugins: argv.includes('--anchor-plugins'),
    out: value('--out'),
  };
}
