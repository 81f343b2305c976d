/**
 * The per-container secret cache on a virtual clock: how often it reads, what it answers while a
 * read fails, and when it reads again. The source is a scripted SecretSource (the cache's own
 * interface); the real AWS client behind it is proven against the Secrets Manager emulator in the
 * integration suites.
 */
import { CachedSecret } from '../../lib/aws/secret-cache';
import type { SecretFetch, SecretSource } from '../../lib/aws/secret-source';
import { sensitive } from '../../lib/sensitive';

const MAX_AGE_MS = 300_000;
const MIN_REFRESH_MS = 10_000;

/** A source that answers each read with the next scripted answer, and counts the reads. */
function scriptedSource(
  answers: SecretFetch[],
): SecretSource & { reads: number; signals: (AbortSignal | undefined)[] } {
  const source = {
    reads: 0,
    signals: [] as (AbortSignal | undefined)[],
    fetch: async (_secretId: string, signal?: AbortSignal): Promise<SecretFetch> => {
      source.reads += 1;
      source.signals.push(signal);
      const answer = answers.shift();
      if (!answer) throw new Error('no answer scripted');
      return answer;
    },
  };
  return source;
}

const value = (v: string): SecretFetch => ({ ok: true, value: sensitive(v) });
const throttled: SecretFetch = {
  ok: false,
  error: { kind: 'unavailable', reason: 'Secrets Manager GetSecretValue failed: ThrottlingException' },
};
const missing: SecretFetch = {
  ok: false,
  error: { kind: 'config', reason: 'Secrets Manager GetSecretValue failed: ResourceNotFoundException' },
};

function cacheOver(source: SecretSource) {
  let now = 1_000_000;
  const cache = new CachedSecret(source, 'the-secret', {
    maxAgeMs: MAX_AGE_MS,
    minRefreshIntervalMs: MIN_REFRESH_MS,
    now: () => now,
  });
  return { cache, advance: (ms: number) => (now += ms) };
}

test('a failed read is remembered for the minimum refresh interval, then read again', async () => {
  const source = scriptedSource([throttled, value('v1')]);
  const { cache, advance } = cacheOver(source);

  expect(await cache.get()).toMatchObject({ ok: false, error: { kind: 'unavailable', retryAfterMs: MIN_REFRESH_MS } });
  advance(MIN_REFRESH_MS - 1);
  expect(await cache.get()).toMatchObject({ ok: false, error: { retryAfterMs: 1 } });
  expect(await cache.get(undefined, { refresh: true })).toMatchObject({ ok: false });
  expect(source.reads).toBe(1);

  advance(1);
  expect(await cache.get()).toEqual(value('v1'));
  expect(source.reads).toBe(2);
});

test(
  'while Secrets Manager is unavailable, ' + 'the value read earlier is served and the failure rate-limits reads',
  async () => {
    const source = scriptedSource([value('v1'), throttled, value('v2')]);
    const { cache, advance } = cacheOver(source);
    expect(await cache.get()).toEqual(value('v1'));

    advance(MAX_AGE_MS);
    expect(await cache.get()).toEqual(value('v1')); // the read failed: the old value, not an error
    advance(MIN_REFRESH_MS - 1);
    expect(await cache.get()).toEqual(value('v1'));
    expect(source.reads).toBe(2);

    advance(1);
    expect(await cache.get()).toEqual(value('v2'));
    expect(source.reads).toBe(3);
  },
);

test('a value known to be refused is not served again when the read that should replace it fails', async () => {
  const source = scriptedSource([value('v1'), throttled]);
  const { cache } = cacheOver(source);
  expect(await cache.get()).toEqual(value('v1'));
  expect(await cache.get(undefined, { replacing: sensitive('v1') })).toMatchObject({
    ok: false,
    error: { kind: 'unavailable', retryAfterMs: MIN_REFRESH_MS },
  });
  expect(await cache.get(undefined, { replacing: sensitive('v1') })).toMatchObject({ ok: false });
  expect(source.reads).toBe(2);
});

test('a secret that is gone or denied is not papered over with the old value', async () => {
  const source = scriptedSource([value('v1'), missing]);
  const { cache, advance } = cacheOver(source);
  expect(await cache.get()).toEqual(value('v1'));
  advance(MAX_AGE_MS);
  expect(await cache.get()).toMatchObject({ ok: false, error: { kind: 'config' } });
  expect(await cache.get()).toMatchObject({ ok: false, error: { kind: 'config' } });
  expect(source.reads).toBe(2);
});

test('concurrent callers share one read', async () => {
  const source = scriptedSource([value('v1')]);
  const { cache } = cacheOver(source);
  const results = await Promise.all([cache.get(), cache.get(), cache.get(undefined, { refresh: true })]);
  expect(results).toEqual([value('v1'), value('v1'), value('v1')]);
  expect(source.reads).toBe(1);
});

test('a prefetch does not remember a failure', async () => {
  const source = scriptedSource([throttled, value('v1')]);
  const { cache } = cacheOver(source);
  expect(await cache.get(new AbortController().signal, { prefetch: true })).toMatchObject({ ok: false });
  expect(await cache.get()).toEqual(value('v1')); // read at once: the prefetch's failure was not kept
  expect(source.reads).toBe(2);
});

/** A source whose reads never answer until their signal aborts, when they answer as the SDK would. */
function hangingSource(): SecretSource & { signals: AbortSignal[] } {
  const source = {
    signals: [] as AbortSignal[],
    fetch: (_secretId: string, signal?: AbortSignal): Promise<SecretFetch> => {
      if (signal) source.signals.push(signal);
      return new Promise((resolve) =>
        signal?.addEventListener('abort', () =>
          resolve({
            ok: false,
            error: { kind: 'unavailable', reason: 'Secrets Manager GetSecretValue failed: AbortError' },
          }),
        ),
      );
    },
  };
  return source;
}

test(
  'the shared read is abandoned once every caller waiting on it has stopped, not before; ' +
    'the next caller reads afresh',
  async () => {
    const source = hangingSource();
    const { cache } = cacheOver(source);
    const first = new AbortController();
    const second = new AbortController();
    const waits = [cache.get(first.signal), cache.get(second.signal)];
    expect(source.signals).toHaveLength(1); // one read for both
    first.abort();
    await expect(waits[0]).rejects.toThrow('aborted');
    expect(source.signals[0]?.aborted).toBe(false); // the second still waits on it
    second.abort();
    await expect(waits[1]).rejects.toThrow('aborted');
    expect(source.signals[0]?.aborted).toBe(true);
    // Nobody waited for its answer: its failure is not remembered, and a new caller reads again.
    const third = new AbortController();
    const next = cache.get(third.signal);
    expect(source.signals).toHaveLength(2);
    third.abort();
    await expect(next).rejects.toThrow('aborted');
  },
);
