/**
 * Shared settings of the property suites. `npm test` runs them with a fixed seed and modest run
 * counts; `npm run fuzz` (scripts/fuzz.mjs) sets FUZZ_SEED and FUZZ_SCALE (or FUZZ_RUNS) to run
 * the same properties much longer with a new seed, printed so that a failure can be replayed.
 */
import type { Parameters } from 'fast-check';

/** The seed of `npm test`: fixed, so that a red build is reproducible as it is. */
const DEFAULT_SEED = 20240611;

function envNumber(name: string): number | undefined {
  const raw = process.env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number, got ${JSON.stringify(raw)}`);
  return value;
}

export const SEED = Math.trunc(envNumber('FUZZ_SEED') ?? DEFAULT_SEED);
/** Multiplies every property's default run count (the fuzz script uses 20 or more). */
export const SCALE = Math.max(1, envNumber('FUZZ_SCALE') ?? 1);
/** When set, every property runs exactly this many times (overrides SCALE). */
const FIXED_RUNS = envNumber('FUZZ_RUNS');

export function runs(defaultRuns: number): number {
  return FIXED_RUNS === undefined ? Math.round(defaultRuns * SCALE) : Math.max(1, Math.trunc(FIXED_RUNS));
}

/** fast-check parameters for a property that runs `defaultRuns` times under `npm test`. */
export function params<T>(defaultRuns: number, extra: Parameters<T> = {}): Parameters<T> {
  return { seed: SEED, numRuns: runs(defaultRuns), endOnFailure: false, ...extra };
}

/** A jest timeout that grows with the run count (fuzz runs are longer by design). */
export function timeout(defaultMs: number, defaultRuns = 1): number {
  const factor = runs(defaultRuns) / Math.max(1, defaultRuns);
  return Math.round(defaultMs * Math.max(1, factor));
}

// ---------------------------------------------------------------------------------------------
// The result contract, written out here rather than imported from lib/core/flag-result.ts, so that a
// change there that breaks the flow's contract fails these tests.

export const STATUSES = [
  'UPDATED',
  'INVALID_INPUT',
  'PARTICIPANT_NOT_FOUND',
  'REJECTED',
  'AUTH_FAILED',
  'RATE_LIMITED',
  'UPSTREAM_ERROR',
  'TIMEOUT',
  'CONFIG_ERROR',
] as const;

const RESULT_TYPES: Record<string, 'string' | 'boolean' | 'integer'> = {
  status: 'string',
  updated: 'boolean',
  attempts: 'integer',
  httpStatus: 'integer',
  elapsedMs: 'integer',
  message: 'string',
  correlationId: 'string',
  participantId: 'string',
};

/** Every way `value` is not a well-formed flat status; empty when it is one. */
export function resultProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`not an object: ${typeof value}`];
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  const keys = Object.keys(record).sort();
  const expected = Object.keys(RESULT_TYPES).sort();
  if (keys.join(',') !== expected.join(',')) problems.push(`keys ${keys.join(',')} instead of ${expected.join(',')}`);
  for (const [key, type] of Object.entries(RESULT_TYPES)) {
    const v = record[key];
    const ok = type === 'integer' ? typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 : typeof v === type;
    if (!ok)
      problems.push(`${key} is not a ${type === 'integer' ? 'non-negative integer' : type}: ${JSON.stringify(v)}`);
  }
  if (!(STATUSES as readonly unknown[]).includes(record.status))
    problems.push(`unknown status ${JSON.stringify(record.status)}`);
  if (record.updated !== (record.status === 'UPDATED')) problems.push('updated does not match status');
  if (typeof record.message === 'string' && record.message === '') problems.push('empty message');
  if (typeof record.correlationId === 'string' && record.correlationId === '') problems.push('empty correlationId');
  return problems;
}
