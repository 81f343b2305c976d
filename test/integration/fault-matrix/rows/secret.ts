/** Fault matrix rows: The secret. */
import type { SecretsFault } from '../../../emulators/secrets-manager';
import { CLIENT_ID, credentialsSecret } from '../../../support/emulator-env';
import { flagParticipant, many, untilDeadline, type Row } from '../matrix';

export const ROWS: Row[] = [
  // ----- the secret (cold flaggers)
  {
    group: 'The secret',
    case: 'secret missing',
    start: 'cold',
    ownSecret: true,
    fault: 'no such secret (`ResourceNotFoundException`)',
    status: 'CONFIG_ERROR',
    token: 0,
    api: 0,
    secretReads: 1,
    run: async (ctx) => flagParticipant(ctx, ctx.cold()), // the secret is never put
    check: (o) => expect(o.result.message).toContain('ResourceNotFoundException'),
  },
  {
    group: 'The secret',
    case: 'secret not JSON',
    start: 'cold',
    ownSecret: true,
    fault: 'secret string `clientId=x`',
    status: 'CONFIG_ERROR',
    token: 0,
    api: 0,
    secretReads: 1,
    run: async (ctx) => {
      ctx.putSecret('clientId=x');
      return flagParticipant(ctx, ctx.cold());
    },
    check: (o) => expect(o.result.message).toContain('not a JSON object'),
  },
  {
    group: 'The secret',
    case: 'secret missing fields',
    start: 'cold',
    ownSecret: true,
    fault: 'secret `{"clientId": …}` only',
    status: 'CONFIG_ERROR',
    token: 0,
    api: 0,
    secretReads: 1,
    run: async (ctx) => {
      ctx.putSecret(JSON.stringify({ clientId: CLIENT_ID }));
      return flagParticipant(ctx, ctx.cold());
    },
    check: (o) => expect(o.result.message).toContain('lacks clientSecret'),
  },
  {
    group: 'The secret',
    case: 'unknown environment',
    start: 'cold',
    ownSecret: true,
    fault: 'secret `environment: "evil.example.com"`, login host not overridden',
    status: 'CONFIG_ERROR',
    token: 0,
    api: 0,
    secretReads: 1,
    run: async (ctx) => {
      ctx.putSecret(credentialsSecret({ environment: 'evil.example.com' }));
      return flagParticipant(ctx, ctx.cold({ GENESYS_LOGIN_BASE_URL: '' }));
    },
    check: (o) => expect(o.result.message).toContain('unknown Genesys environment'),
  },
  {
    group: 'The secret',
    case: 'Secrets Manager throttling once',
    start: 'cold',
    fault: '`ThrottlingException`, then the secret',
    status: 'UPDATED',
    token: 1,
    api: 1,
    secretReads: 2,
    serial: true,
    run: async (ctx) => {
      ctx.secrets.script([{ error: 'ThrottlingException' }]);
      return flagParticipant(ctx, ctx.cold());
    },
  },
  {
    group: 'The secret',
    case: 'Secrets Manager throttling every time',
    start: 'cold',
    fault: '`ThrottlingException` every time; deadline 600 ms',
    status: 'UPSTREAM_ERROR',
    token: 0,
    api: 0,
    secretReads: untilDeadline(600, 2),
    serial: true,
    run: async (ctx) => {
      ctx.secrets.script(many<SecretsFault>(200, { error: 'ThrottlingException' }));
      try {
        return await flagParticipant(ctx, ctx.cold({ FLAG_DEADLINE_MS: '600' }));
      } finally {
        ctx.secrets.clearFaults();
      }
    },
    check: (o) => expect(o.result.message).toContain('ThrottlingException'),
  },
  {
    group: 'The secret',
    case: 'Secrets Manager 5xx once',
    start: 'cold',
    fault: '`InternalServiceError` (500), then the secret',
    status: 'UPDATED',
    token: 1,
    api: 1,
    secretReads: 2,
    serial: true,
    run: async (ctx) => {
      ctx.secrets.script([{ error: 'InternalServiceError' }]);
      return flagParticipant(ctx, ctx.cold());
    },
  },
  {
    group: 'The secret',
    case: 'Secrets Manager access denied',
    start: 'cold',
    fault: '`AccessDeniedException`',
    status: 'CONFIG_ERROR',
    token: 0,
    api: 0,
    secretReads: 1,
    serial: true,
    run: async (ctx) => {
      ctx.secrets.script([{ error: 'AccessDeniedException' }]);
      return flagParticipant(ctx, ctx.cold());
    },
  },
  {
    group: 'The secret',
    case: 'a hung read ends with the last flag waiting on it',
    start: 'cold',
    fault:
      'GetSecretValue never answered, then the secret; attempt timeout 2 s; ' +
      'a flag with 1 s of Lambda time left (500 ms budget), then another',
    status: 'UPDATED',
    token: 1,
    api: 1,
    secretReads: 2,
    serial: true,
    run: async (ctx) => {
      const flagger = ctx.cold({ FLAG_ATTEMPT_TIMEOUT_MS: '2000' });
      ctx.secrets.script([{ hang: true }]);
      const first = await flagParticipant(ctx, flagger, [], {}, 1000);
      ctx.notes.firstTimedOut = first.status === 'TIMEOUT' ? 1 : 0;
      // The read the first flag started was the container's shared read: left running, the second
      // flag would wait on it (until the SDK's 2 s request timeout) instead of reading again.
      return flagParticipant(ctx, flagger, [], {}, 1000);
    },
    check: (o) => expect(o.notes.firstTimedOut).toBe(1),
  },
  {
    group: 'The secret',
    case: 'Secrets Manager hangs',
    start: 'cold',
    fault: 'GetSecretValue never answered; deadline 600 ms',
    status: 'TIMEOUT',
    token: 0,
    api: 0,
    secretReads: 1,
    serial: true,
    run: async (ctx) => {
      ctx.secrets.script([{ hang: true }]);
      return flagParticipant(ctx, ctx.cold({ FLAG_DEADLINE_MS: '600' }));
    },
    check: (o) => expect(o.wallMs).toBeLessThan(1100),
  },
];
