/**
 * The queue door's core: a mixed batch flagged concurrently against the emulators, and exactly the
 * records that did not end UPDATED reported back for redelivery.
 */
import { randomUUID } from 'node:crypto';
import { flagBatch, mapWithConcurrency } from '../../lib/queue/batch';
import { invocation, newConversation, startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const envelope = (detail: unknown) =>
  JSON.stringify({ version: '0', id: randomUUID(), 'detail-type': 'Identity Verified', source: 'idv.service', account: '123456789012', time: new Date().toISOString(), region: 'us-east-1', resources: [], detail });

test('a mixed batch reports exactly the records that were not flagged', async () => {
  const ok = newConversation(h.genesys);
  const late = newConversation(h.genesys, { resolveAfterMs: 300 });
  const never = newConversation(h.genesys, { resolveAfterMs: 60_000 });
  const viaBus = newConversation(h.genesys);
  const records = [
    { id: 'm-ok', body: JSON.stringify({ ...ok, compliance_checked: true }) },
    { id: 'm-late', body: JSON.stringify({ ...late, attributes: { compliance_checked: 'true' } }) },
    { id: 'm-never', body: JSON.stringify({ ...never, compliance_checked: true }) },
    { id: 'm-malformed', body: '{"conversationId": "4f1c7c36-' },
    { id: 'm-invalid', body: JSON.stringify({ conversationId: 'not-a-uuid', compliance_checked: true }) },
    { id: 'm-bus', body: envelope({ ...viaBus, compliance_checked: true }) },
  ];
  const end = Date.now() + 2000; // a short Lambda budget: 1.5 s per record after the safety margin
  const outcome = await flagBatch(records, h.flagger(), { requestId: invocation().requestId, remainingMs: () => end - Date.now(), concurrency: 5 });

  expect(outcome.failedIds.sort()).toEqual(['m-invalid', 'm-malformed', 'm-never']);
  expect(outcome.counts).toMatchObject({ UPDATED: 3, PARTICIPANT_NOT_FOUND: 1, INVALID_INPUT: 2 });
  expect(h.genesys.attributesOf(viaBus.conversationId, viaBus.participantId)).toEqual({ compliance_checked: 'true' });
  expect(h.genesys.attributesOf(late.conversationId, late.participantId)).toEqual({ compliance_checked: 'true' });
  expect(Date.now()).toBeLessThan(end);

  // One line per record with its message id, one per batch with counts by status.
  const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const id of records.map((r) => r.id)) expect(lines.filter((l) => l.messageId === id && l.status)).toHaveLength(1);
  expect(lines.find((l) => l.message === 'batch done')).toMatchObject({ records: 6, failed: 3, counts: { UPDATED: 3, INVALID_INPUT: 2, PARTICIPANT_NOT_FOUND: 1 } });
  expect(lines.find((l) => l.messageId === 'm-bus')).toMatchObject({ envelope: 'eventbridge', status: 'UPDATED' });
});

test('a record that starts with no Lambda time left fails at once and is redelivered', async () => {
  const c = newConversation(h.genesys);
  const outcome = await flagBatch([{ id: 'm1', body: JSON.stringify({ ...c, risk_level: 'x' }) }], h.flagger(), {
    requestId: 'r',
    remainingMs: () => 100, // inside the 500 ms safety margin
    concurrency: 5,
  });
  expect(outcome.failedIds).toEqual(['m1']);
  expect(outcome.counts.TIMEOUT).toBe(1);
  expect(h.genesys.count('patch-attributes', c.conversationId)).toBe(0);
});

test('an empty batch reports nothing', async () => {
  expect((await flagBatch([], h.flagger(), { requestId: 'r', concurrency: 5 })).failedIds).toEqual([]);
});

test('mapWithConcurrency keeps order and never runs more than the limit at once', async () => {
  let inFlight = 0;
  let peak = 0;
  const results = await mapWithConcurrency([50, 10, 30, 20, 40, 0, 5], 3, async (ms) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, ms));
    inFlight -= 1;
    return ms * 2;
  });
  expect(results).toEqual([100, 20, 60, 40, 80, 0, 10]);
  expect(peak).toBe(3);
});
