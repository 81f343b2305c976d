/**
 * The queue door's core: a mixed batch flagged concurrently against the emulators, and exactly the
 * records that did not end UPDATED reported back for redelivery.
 */
import { randomUUID } from 'node:crypto';
import { flagBatch, mapWithConcurrency } from '../../lib/queue/batch';
import { ANY_BODY, bodyRulesFrom } from '../../lib/config';
import { createLogger } from '../../lib/log';
import { invocation, newConversation, startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const envelope = (detail: unknown, source = 'idv.service', detailType = 'Identity Verified') =>
  JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source,
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  });

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
  const outcome = await flagBatch(records, h.flagger(), {
    requestId: invocation().requestId,
    logger: createLogger({ sink: (line) => h.logs.push(line) }),
    remainingMs: () => end - Date.now(),
    concurrency: 5,
    bodyRules: ANY_BODY,
  });

  expect(outcome.failedIds.sort()).toEqual(['m-invalid', 'm-malformed', 'm-never']);
  expect(outcome.counts).toMatchObject({ UPDATED: 3, PARTICIPANT_NOT_FOUND: 1, INVALID_INPUT: 2 });
  expect(h.genesys.attributesOf(viaBus.conversationId, viaBus.participantId)).toEqual({ compliance_checked: 'true' });
  expect(h.genesys.attributesOf(late.conversationId, late.participantId)).toEqual({ compliance_checked: 'true' });
  expect(Date.now()).toBeLessThan(end);

  // One line per record with its message id, one per batch with counts by status.
  const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const id of records.map((r) => r.id))
    expect(lines.filter((l) => l.messageId === id && l.status)).toHaveLength(1);
  expect(lines.find((l) => l.message === 'batch done')).toMatchObject({
    records: 6,
    failed: 3,
    counts: { UPDATED: 3, INVALID_INPUT: 2, PARTICIPANT_NOT_FOUND: 1 },
  });
  expect(lines.find((l) => l.messageId === 'm-bus')).toMatchObject({ envelope: 'eventbridge', status: 'UPDATED' });
});

test('a record that starts with no Lambda time left fails at once and is redelivered', async () => {
  const c = newConversation(h.genesys);
  const outcome = await flagBatch([{ id: 'm1', body: JSON.stringify({ ...c, risk_level: 'x' }) }], h.flagger(), {
    requestId: 'r',
    remainingMs: () => 100, // inside the 500 ms safety margin
    concurrency: 5,
    bodyRules: ANY_BODY,
  });
  expect(outcome.failedIds).toEqual(['m1']);
  expect(outcome.counts.TIMEOUT).toBe(1);
  expect(h.genesys.count('patch-attributes', c.conversationId)).toBe(0);
});

test('an empty batch reports nothing', async () => {
  expect((await flagBatch([], h.flagger(), { requestId: 'r', concurrency: 5, bodyRules: ANY_BODY })).failedIds).toEqual(
    [],
  );
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

test("a paced batch asks for each record's turn before it reaches Genesys, and every record still lands", async () => {
  const conversations = [1, 2, 3, 4].map(() => newConversation(h.genesys));
  const records = conversations.map((c, i) => ({
    id: `m-${i}`,
    body: JSON.stringify({ ...c, compliance_checked: true }),
  }));
  const log: string[] = [];
  let turns = 0;
  const pace = async () => {
    turns += 1;
    // What Genesys had seen of this batch when the next record asked for its turn.
    const patched = conversations.filter((c) => h.genesys.received('patch-attributes', c.conversationId) > 0).length;
    log.push(`turn ${turns} after ${patched} PATCHes`);
  };
  const outcome = await flagBatch(records, h.flagger(), {
    requestId: invocation().requestId,
    concurrency: 1,
    pace,
    bodyRules: bodyRulesFrom({}),
  });
  expect(outcome.failedIds).toEqual([]);
  expect(log).toEqual([
    'turn 1 after 0 PATCHes',
    'turn 2 after 1 PATCHes',
    'turn 3 after 2 PATCHes',
    'turn 4 after 3 PATCHes',
  ]);
});

describe("the stack's rules on who may have sent a body (QUEUE_ACCEPTS, EVENT_SOURCES)", () => {
  const flagOnly = async (bodies: Record<string, string>, env: Record<string, string>) => {
    const records = Object.entries(bodies).map(([id, body]) => ({ id, body }));
    return flagBatch(records, h.flagger(), { requestId: 'r', concurrency: 5, bodyRules: bodyRulesFrom(env) });
  };

  test(
    'with no direct sender named, ' + 'only envelopes of a named source are flagged; nothing else reaches Genesys',
    async () => {
      const named = newConversation(h.genesys);
      const [plain, otherSource, otherType] = [
        newConversation(h.genesys),
        newConversation(h.genesys),
        newConversation(h.genesys),
      ];
      const outcome = await flagOnly(
        {
          named: envelope({ ...named, compliance_checked: true }, 'acme.idv'),
          plain: JSON.stringify({ ...plain, compliance_checked: true }),
          'other-source': envelope({ ...otherSource, compliance_checked: true }, 'anyone.else'),
          'other-type': envelope({ ...otherType, compliance_checked: true }, 'acme.idv', 'Something Else'),
        },
        { QUEUE_ACCEPTS: 'eventbridge', EVENT_SOURCES: 'acme.idv, acme.kyc' },
      );
      expect(outcome.failedIds.sort()).toEqual(['other-source', 'other-type', 'plain']);
      expect(outcome.counts).toMatchObject({ UPDATED: 1, INVALID_INPUT: 3 });
      for (const c of [plain, otherSource, otherType])
        expect(h.genesys.count('patch-attributes', c.conversationId)).toBe(0);
      const reasons = h.logs
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.status === 'INVALID_INPUT')
        .map((l) => String(l.reason));
      expect(reasons).toContain(
        'the message is not an EventBridge event, ' +
          'and this stack names no sender that may send to the queue directly (QUEUE_ACCEPTS)',
      );
      expect(reasons.join('\n')).not.toContain('anyone.else');
    },
  );

  test('with direct senders named, plain bodies are flagged too', async () => {
    const plain = newConversation(h.genesys);
    const outcome = await flagOnly(
      { plain: JSON.stringify({ ...plain, compliance_checked: true }) },
      { QUEUE_ACCEPTS: 'eventbridge,plain', EVENT_SOURCES: 'acme.idv' },
    );
    expect(outcome.failedIds).toEqual([]);
    expect(h.genesys.attributesOf(plain.conversationId, plain.participantId)).toEqual({ compliance_checked: 'true' });
  });

  test.each<[string, Record<string, string>, { plain: boolean; sources: string[] | 'any' }]>([
    ['no QUEUE_ACCEPTS (npm start, tests): no rule beyond the shape', {}, { plain: true, sources: 'any' }],
    ['eventbridge, no source named: no envelope', { QUEUE_ACCEPTS: 'eventbridge' }, { plain: false, sources: [] }],
    [
      'eventbridge with sources',
      { QUEUE_ACCEPTS: 'eventbridge', EVENT_SOURCES: 'a.b,,c.d ' },
      { plain: false, sources: ['a.b', 'c.d'] },
    ],
    ['plain only', { QUEUE_ACCEPTS: 'plain', EVENT_SOURCES: 'a.b' }, { plain: true, sources: [] }],
    [
      'a word it does not know takes nothing',
      { QUEUE_ACCEPTS: 'eventbridge,plian', EVENT_SOURCES: 'a.b' },
      { plain: false, sources: [] },
    ],
  ])('%s', (_name, env, expected) => {
    const rules = bodyRulesFrom(env);
    expect({ plain: rules.plain, sources: rules.sources === 'any' ? 'any' : [...rules.sources] }).toEqual(expected);
  });
});
