/**
 * Fault matrix rows: a bug in the function (a dependency that throws) is logged and reported, never
 * taken for a deadline.
 */
import { awsSecretSource } from '../../../../lib/aws/secret-source';
import { axiosHttpClient, createAxios, type HttpClient } from '../../../../lib/genesys/api-client';
import { flagParticipant, type Row } from '../matrix';

const BUG = 'unexpected error';

export const ROWS: Row[] = [
  {
    group: 'A bug in the function',
    case: 'the HTTP client throws',
    start: 'cold',
    fault: 'the HTTP client sends the token request, then throws a plain `Error`',
    status: 'UPSTREAM_ERROR',
    token: 1,
    api: 0,
    secretReads: 1,
    errorLog: BUG,
    run: async (ctx) => {
      const real = axiosHttpClient(createAxios());
      const http: HttpClient = async (request) => {
        await real(request);
        throw new Error('a bug in the HTTP client');
      };
      return flagParticipant(ctx, ctx.cold({}, { http }));
    },
    check: (o) =>
      expect(o.result.message).toBe('unexpected internal error; see the function log for this correlationId'),
  },
  {
    group: 'A bug in the function',
    case: 'the secret source throws',
    start: 'cold',
    fault: 'the secret source reads the secret, then throws a plain `Error`',
    status: 'UPSTREAM_ERROR',
    token: 0,
    api: 0,
    secretReads: 1,
    errorLog: BUG,
    run: async (ctx) => {
      const real = awsSecretSource({ requestTimeoutMs: 1000 });
      const secretSource = {
        fetch: async (secretId: string, signal?: AbortSignal) => {
          await real.fetch(secretId, signal);
          throw new Error('a bug in the secret source');
        },
      };
      return flagParticipant(ctx, ctx.cold({}, { secretSource }));
    },
    check: (o) =>
      expect(o.result.message).toBe('unexpected internal error; see the function log for this correlationId'),
  },
];
