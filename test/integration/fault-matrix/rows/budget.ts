/** Fault matrix rows: The Lambda's own budget. */
import { LAG_MS, NEVER, flagParticipant, many, type Row } from '../matrix';

export const ROWS: Row[] = [
  {
    group: 'Lambda budget',
    case: 'after an on-demand init, the first flag counts the time the init spent',
    start: 'cold',
    fault:
      '`AWS_LAMBDA_INITIALIZATION_TYPE=on-demand`; POST /oauth/token never answered; prefetch 1 s, then the first flag',
    status: 'UPSTREAM_ERROR',
    // The prefetch's request, then the flag's: at 0 and after the first one's 1 s timeout.
    token: { min: 2, max: 3 },
    api: 0,
    secretReads: 1,
    run: async (ctx) => {
      ctx.script('token', many(20, { hang: true }));
      const initStartedAt = Date.now();
      const flagger = ctx.cold({ AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' }, { initStartedAt });
      await flagger.prefetch();
      const result = await flagParticipant(ctx, flagger);
      ctx.notes.initToAnswerMs = Date.now() - initStartedAt;
      return result;
    },
    // From the start of the init to the answer: the 3 s deadline, not the 1 s prefetch plus 3 s.
    check: (o) => expect(o.notes.initToAnswerMs).toBeLessThanOrEqual(3000 + LAG_MS),
  },
  // ----- the Lambda's own budget (warm flaggers, default 500 ms safety margin)
  {
    group: 'Lambda budget',
    case: 'budget inside the safety margin',
    start: 'warm',
    fault: '300 ms of Lambda time left',
    status: 'TIMEOUT',
    token: 0,
    api: 0,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [], {}, 300),
  },
  {
    group: 'Lambda budget',
    case: 'budget shorter than one attempt',
    start: 'warm',
    fault: '650 ms left (150 ms budget); PATCH never answered',
    status: 'TIMEOUT',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [{ hang: true }], {}, 650),
    check: (o) => {
      expect(o.result.elapsedMs).toBeLessThanOrEqual(150 + LAG_MS);
      expect(o.wallMs).toBeLessThan(650 + LAG_MS);
    },
  },
  {
    group: 'Lambda budget',
    case: 'budget shorter than the minimum attempt window',
    start: 'warm',
    fault: '650 ms left (150 ms budget), `FLAG_MIN_ATTEMPT_MS` 200; PATCH 404',
    status: 'PARTICIPANT_NOT_FOUND',
    token: 0,
    api: 1,
    secretReads: 0,
    run: async (ctx) =>
      flagParticipant(ctx, await ctx.warm({ FLAG_MIN_ATTEMPT_MS: '200' }), [], { resolveAfterMs: NEVER }, 650),
  },
];
