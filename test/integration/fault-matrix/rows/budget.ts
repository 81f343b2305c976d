/** Fault matrix rows: The Lambda's own budget. */
import { LAG_MS, NEVER, flagParticipant, type Row } from '../matrix';

export const ROWS: Row[] = [
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
      expect(o.wallMs).toBeLessThan(650);
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
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_MIN_ATTEMPT_MS: '200' }), [], { resolveAfterMs: NEVER }, 650),
  },
];
