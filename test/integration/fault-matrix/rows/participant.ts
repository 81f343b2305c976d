/** Fault matrix rows: Participant. */
import { invocation } from '../../../support/harness';
import { LAG_MS, NEVER, flagParticipant, mostAttemptsWithin, patchStatuses, untilDeadline, type Row } from '../matrix';

export const ROWS: Row[] = [
  // ----- the participant
  {
    group: 'Participant',
    case: 'participant resolves inside the deadline',
    start: 'warm',
    fault: 'PATCH 404 until 300 ms after the call connects',
    status: 'UPDATED',
    token: 0,
    api: { min: 2, max: mostAttemptsWithin(300) + 1 },
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm(), [], { resolveAfterMs: 300 }),
    check: (o) => {
      const statuses = patchStatuses(o);
      expect(statuses.slice(0, -1).every((s) => s === 'PATCH 404')).toBe(true);
      expect(statuses.at(-1)).toBe('PATCH 202');
    },
  },
  {
    group: 'Participant',
    case: 'participant resolves only after the deadline',
    start: 'warm',
    fault: 'PATCH 404 until 1.5 s; deadline 700 ms',
    status: 'PARTICIPANT_NOT_FOUND',
    token: 0,
    api: untilDeadline(700),
    secretReads: 0,
    run: async (ctx) => flagParticipant(ctx, await ctx.warm({ FLAG_DEADLINE_MS: '700' }), [], { resolveAfterMs: 1500 }),
    check: (o) => {
      expect(patchStatuses(o).every((s) => s === 'PATCH 404')).toBe(true);
      expect(o.result).toMatchObject({ httpStatus: 404, participantId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(o.result.elapsedMs).toBeLessThanOrEqual(700 + LAG_MS);
    },
  },
  {
    group: 'Participant',
    case: 'lookup: the customer appears inside the deadline',
    start: 'warm',
    fault: 'no participantId; GET shows no customer until 300 ms',
    status: 'UPDATED',
    token: 0,
    api: { min: 3, max: mostAttemptsWithin(300) + 2 },
    secretReads: 0,
    run: async (ctx) => {
      const flagger = await ctx.warm();
      const c = ctx.conversation({ resolveAfterMs: 300 });
      const result = await flagger.flag(
        { conversationId: c.conversationId, participantId: '', compliance_checked: true },
        invocation(),
      );
      expect(result.participantId).toBe(c.participantId);
      return result;
    },
    check: (o) => {
      const statuses = patchStatuses(o);
      expect(statuses.slice(0, -1).every((s) => s === 'GET 200')).toBe(true);
      expect(statuses.at(-1)).toBe('PATCH 202');
    },
  },
  {
    group: 'Participant',
    case: 'lookup: the customer never appears',
    start: 'warm',
    fault: 'no participantId; GET never shows a customer; deadline 700 ms',
    status: 'PARTICIPANT_NOT_FOUND',
    token: 0,
    api: untilDeadline(700),
    secretReads: 0,
    run: async (ctx) => {
      const flagger = await ctx.warm({ FLAG_DEADLINE_MS: '700' });
      const c = ctx.conversation({ resolveAfterMs: NEVER });
      return flagger.flag({ conversationId: c.conversationId, compliance_checked: true }, invocation());
    },
    check: (o) => {
      expect(patchStatuses(o).every((s) => s === 'GET 200')).toBe(true);
      expect(o.result).toMatchObject({ participantId: '', httpStatus: 200 });
    },
  },
];
