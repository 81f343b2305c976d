/**
 * Fault matrix rows: settings that cannot hurt. A refused setting is CONFIG_ERROR before anything
 * is sent; an accepted override is said at init.
 */
import { flagParticipant, type Row } from '../matrix';

const INVALID = 'configuration invalid';

export const ROWS: Row[] = [
  {
    group: 'Configuration',
    case: 'an attempt timeout longer than the deadline',
    start: 'cold',
    fault: '`FLAG_DEADLINE_MS=1000`, `FLAG_ATTEMPT_TIMEOUT_MS=20000`',
    status: 'CONFIG_ERROR',
    token: 0,
    api: 0,
    secretReads: 0,
    errorLog: INVALID,
    run: async (ctx) =>
      flagParticipant(
        ctx,
        ctx.cold({ FLAG_DEADLINE_MS: '1000', FLAG_ATTEMPT_TIMEOUT_MS: '20000', FLAG_INIT_PREFETCH_MS: '0' }),
      ),
    check: (o) =>
      expect(o.result.message).toContain('FLAG_ATTEMPT_TIMEOUT_MS (20000) must not be above FLAG_DEADLINE_MS (1000)'),
  },
  {
    group: 'Configuration',
    case: 'a prefetch that leaves the first caller no attempt',
    start: 'cold',
    fault: '`FLAG_INIT_PREFETCH_MS=9000` with the deadline (8 s) and attempt timeout (3 s) of the defaults',
    status: 'CONFIG_ERROR',
    token: 0,
    api: 0,
    secretReads: 0,
    errorLog: INVALID,
    run: async (ctx) =>
      flagParticipant(
        ctx,
        ctx.cold({ FLAG_DEADLINE_MS: '8000', FLAG_ATTEMPT_TIMEOUT_MS: '3000', FLAG_INIT_PREFETCH_MS: '9000' }),
      ),
    check: (o) =>
      expect(o.result.message).toContain(
        'FLAG_INIT_PREFETCH_MS (9000) plus FLAG_ATTEMPT_TIMEOUT_MS (3000) must fit in FLAG_DEADLINE_MS (8000)',
      ),
  },
  {
    group: 'Configuration',
    case: 'a base URL override with a password',
    start: 'cold',
    fault: '`GENESYS_API_BASE_URL=http://:<password>@<emulator>`',
    status: 'CONFIG_ERROR',
    token: 0,
    api: 0,
    secretReads: 0,
    errorLog: INVALID,
    run: async (ctx) =>
      flagParticipant(ctx, ctx.cold({ GENESYS_API_BASE_URL: ctx.genesys.url.replace('//', '//:sentinel-pw-0719@') })),
    check: (o) => {
      expect(o.result.message).toContain(
        'GENESYS_API_BASE_URL must be an http(s) URL without user info (a user name or password)',
      );
      expect([o.result.message, ...o.logs, ...o.errors].join('\n')).not.toContain('sentinel-pw-0719');
    },
  },
  {
    group: 'Configuration',
    case: 'a login URL override with a user name',
    start: 'cold',
    fault: '`GENESYS_LOGIN_BASE_URL=http://<user>@<emulator>`',
    status: 'CONFIG_ERROR',
    token: 0,
    api: 0,
    secretReads: 0,
    errorLog: INVALID,
    run: async (ctx) =>
      flagParticipant(
        ctx,
        ctx.cold({ GENESYS_LOGIN_BASE_URL: ctx.genesys.url.replace('//', '//sentinel-user-0719@') }),
      ),
    check: (o) => {
      expect(o.result.message).toContain(
        'GENESYS_LOGIN_BASE_URL must be an http(s) URL without user info (a user name or password)',
      );
      expect([o.result.message, ...o.logs, ...o.errors].join('\n')).not.toContain('sentinel-user-0719');
    },
  },
  {
    group: 'Configuration',
    case: 'host overrides in force are said at init',
    start: 'cold',
    fault: '`GENESYS_API_BASE_URL` and `GENESYS_LOGIN_BASE_URL` set (the emulator); a warning names their hosts',
    status: 'UPDATED',
    token: 1,
    api: 1,
    secretReads: 1,
    run: async (ctx) => flagParticipant(ctx, ctx.cold()),
    check: (o) => {
      const warnings = o.logs
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((l) => l.level === 'warn');
      expect(warnings).toEqual([expect.objectContaining({ message: 'Genesys host override in force' })]);
      const [warning] = warnings;
      expect(
        Object.keys(warning ?? {})
          .filter((k) => k.startsWith('GENESYS_'))
          .sort(),
      ).toEqual(['GENESYS_API_BASE_URL', 'GENESYS_LOGIN_BASE_URL']);
      // Hosts only: the emulator's 127.0.0.1:<port>, no scheme, path or anything else of the URL.
      expect([warning?.GENESYS_API_BASE_URL, warning?.GENESYS_LOGIN_BASE_URL]).toEqual([
        expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      ]);
    },
  },
];
