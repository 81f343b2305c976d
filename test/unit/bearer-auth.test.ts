/**
 * The bearer check behind the webhook and its authorizer, over the real secret cache on a virtual
 * clock with a scripted secret source: which headers count as a bearer token, the shortest token
 * that is configuration and not a mistake, and how often wrong tokens may make it read the secret.
 */
import { CachedSecret } from '../../lib/aws/secret-cache';
import type { SecretFetch } from '../../lib/aws/secret-source';
import { AbortedError } from '../../lib/deadline';
import { BearerCheck, MIN_TOKEN_LENGTH, sameSecret, TOKEN_REFRESH_INTERVAL_MS } from '../../lib/http/bearer-auth';
import { fakeSecrets, virtualClock } from './fakes';
import { sensitive } from '../../lib/sensitive';

const TOKEN = 'bearer-token-sentinel-4c1d9e';
const SECRET_ID = 'webhook/token';

/** `null`: no such secret. */
function check(value: string | null = TOKEN) {
  const clock = virtualClock();
  const secrets = fakeSecrets(value === null ? {} : { [SECRET_ID]: value });
  const cache = new CachedSecret(secrets.secretSource, SECRET_ID, {
    maxAgeMs: 300_000,
    minRefreshIntervalMs: TOKEN_REFRESH_INTERVAL_MS,
    now: clock.now,
  });
  return { bearer: new BearerCheck(cache), secrets, clock, reads: () => secrets.readsOf(SECRET_ID) };
}

describe('what counts as a bearer token', () => {
  test.each([`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER ${TOKEN}`, `Bearer   ${TOKEN}`, `Bearer ${TOKEN}  `])(
    '%p is the token',
    async (header) => {
      expect(await check().bearer.verify(header)).toBe('ok');
    },
  );

  test.each([
    ['no header', undefined],
    ['empty', ''],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['the token without a scheme', TOKEN],
    ['another scheme', `Basic ${TOKEN}`],
    ['a tab for the space', `Bearer\t${TOKEN}`],
    ['a second word', `Bearer ${TOKEN} ${TOKEN}`],
    ['a leading space', ` Bearer ${TOKEN}`],
    ['the token with a suffix', `Bearer ${TOKEN}x`],
    ['the token cut short', `Bearer ${TOKEN.slice(0, -1)}`],
  ])('%s is denied', async (_case, header) => {
    expect(await check().bearer.verify(header)).toBe('denied');
  });

  test('a header that is no bearer token costs no secret read', async () => {
    const c = check();
    for (const header of [undefined, '', TOKEN, 'Bearer', `Basic ${TOKEN}`]) await c.bearer.verify(header);
    expect(c.reads()).toBe(0);
  });
});

describe('the configured token', () => {
  test(`${MIN_TOKEN_LENGTH} characters is a token; one fewer is a misconfiguration, never matched`, async () => {
    const atLimit = 'k'.repeat(MIN_TOKEN_LENGTH);
    expect(await check(atLimit).bearer.verify(`Bearer ${atLimit}`)).toBe('ok');
    const short = 'k'.repeat(MIN_TOKEN_LENGTH - 1);
    expect(await check(short).bearer.verify(`Bearer ${short}`)).toBe('unavailable');
  });

  test('whitespace around the stored token is not part of it, and does not count toward its length', async () => {
    expect(await check(`  ${TOKEN}\n`).bearer.verify(`Bearer ${TOKEN}`)).toBe('ok');
    const short = 'k'.repeat(MIN_TOKEN_LENGTH - 1);
    expect(await check(`${short}   `).bearer.verify(`Bearer ${short}`)).toBe('unavailable');
    expect(await check(' '.repeat(40)).bearer.verify(`Bearer ${TOKEN}`)).toBe('unavailable');
  });

  test('a secret that cannot be read is unavailable, never "no token needed"', async () => {
    expect(await check(null).bearer.verify(`Bearer ${TOKEN}`)).toBe('unavailable');
  });
});

describe('re-reads: rotation works, a flood of wrong tokens does not reach Secrets Manager', () => {
  test('wrong tokens re-read the secret at most once per refresh interval', async () => {
    const c = check();
    expect(await c.bearer.verify(`Bearer ${TOKEN}`)).toBe('ok');
    for (let i = 0; i < 20; i += 1) expect(await c.bearer.verify(`Bearer wrong-${i}-0000000000`)).toBe('denied');
    expect(c.reads()).toBe(1);
    c.clock.advance(TOKEN_REFRESH_INTERVAL_MS - 1);
    expect(await c.bearer.verify('Bearer wrong-0000000000')).toBe('denied');
    expect(c.reads()).toBe(1);
    c.clock.advance(1);
    for (let i = 0; i < 20; i += 1) await c.bearer.verify(`Bearer wrong-${i}-0000000000`);
    expect(c.reads()).toBe(2);
  });

  test('a rotated token is accepted on the re-read a mismatch triggers; the old one is then denied', async () => {
    const c = check();
    expect(await c.bearer.verify(`Bearer ${TOKEN}`)).toBe('ok');
    const rotated = 'rotated-token-2f7a9b0c1d';
    c.secrets.values[SECRET_ID] = rotated;
    c.clock.advance(TOKEN_REFRESH_INTERVAL_MS);
    expect(await c.bearer.verify(`Bearer ${rotated}`)).toBe('ok');
    expect(await c.bearer.verify(`Bearer ${TOKEN}`)).toBe('denied');
  });

  test('a re-read that finds a token too short, or fails, denies: never opens the door', async () => {
    const c = check();
    await c.bearer.verify(`Bearer ${TOKEN}`);
    c.clock.advance(TOKEN_REFRESH_INTERVAL_MS);
    c.secrets.values[SECRET_ID] = 'short';
    expect(await c.bearer.verify('Bearer short')).toBe('denied');

    const d = check();
    await d.bearer.verify(`Bearer ${TOKEN}`);
    d.clock.advance(TOKEN_REFRESH_INTERVAL_MS);
    d.secrets.answer = async (): Promise<SecretFetch> => ({
      ok: false,
      error: { kind: 'config', reason: 'Secrets Manager GetSecretValue failed: AccessDeniedException' },
    });
    expect(await d.bearer.verify('Bearer other-token-000000000')).toBe('denied');
    expect(d.reads()).toBe(2);
  });
});

describe('the deadline and failures of the read', () => {
  test('a read that outlasts the signal is unavailable, at the abort', async () => {
    const c = check();
    c.secrets.answer = (_id, signal) =>
      new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new AbortedError())));
    const deadline = new AbortController();
    const verdict = c.bearer.verify(`Bearer ${TOKEN}`, deadline.signal);
    deadline.abort();
    expect(await verdict).toBe('unavailable');
  });

  test('a signal already aborted is unavailable without a read', async () => {
    const c = check();
    expect(await c.bearer.verify(`Bearer ${TOKEN}`, AbortSignal.abort())).toBe('unavailable');
    expect(c.reads()).toBe(0);
  });

  test('anything else thrown is a bug, rethrown for the door to log', async () => {
    const c = check();
    c.secrets.answer = async () => {
      throw new TypeError('a bug in the source');
    };
    await expect(c.bearer.verify(`Bearer ${TOKEN}`)).rejects.toThrow(TypeError);
  });

  test('a failed prefetch is not remembered: the first request reads the secret itself', async () => {
    const c = check();
    const real = c.secrets.answer;
    c.secrets.answer = async (): Promise<SecretFetch> => ({
      ok: false,
      error: { kind: 'unavailable', reason: 'Secrets Manager GetSecretValue failed: ThrottlingException' },
    });
    expect(await c.bearer.prefetch(new AbortController().signal)).toMatchObject({ ok: false });
    c.secrets.answer = real;
    expect(await c.bearer.verify(`Bearer ${TOKEN}`)).toBe('ok');
    expect(c.reads()).toBe(2);
  });
});

describe('sameSecret', () => {
  const same = (a: string, b: string): boolean => sameSecret(sensitive(a), sensitive(b));

  test('equal strings match; any difference does not', () => {
    expect(same(TOKEN, TOKEN)).toBe(true);
    expect(same(TOKEN, `${TOKEN} `)).toBe(false);
    expect(same(TOKEN, TOKEN.toUpperCase())).toBe(false);
    expect(same('', '')).toBe(true);
  });

  test('strings of different lengths compare without throwing (digests have one length)', () => {
    expect(same('a', 'a'.repeat(100_000))).toBe(false);
  });

  test('UTF-8 is compared as bytes: composed and decomposed forms differ', () => {
    expect(same('caf\u00e9-token-000000', 'cafe\u0301-token-000000')).toBe(false);
    expect(same('caf\u00e9-token-000000', 'caf\u00e9-token-000000')).toBe(true);
  });
});
