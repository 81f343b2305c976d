/**
 * Properties of the event contract, checked against an independent oracle (./oracle.ts):
 * - any JSON value, and thousands of valid, near-valid and hostile events, each under an attribute
 *   contract that mostly fits it (and now and then lacks a key or types one otherwise): `flag`
 *   resolves (never throws) with a well-formed flat status; INVALID_INPUT exactly when the README's
 *   rules or the contract are broken, and then nothing reaches Genesys or Secrets Manager;
 * - any attribute map that passes validation is sent byte for byte as {"attributes": {...}} with
 *   string values.
 * The bulk runs against `parseFlagRequest` (pure and fast); a few hundred events of each kind go
 * through the real flagger, the real axios and AWS SDK clients and the loopback emulators.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Flagger } from '../../lib/flagger';
import { createLogger } from '../../lib/log';
import { parseFlagRequest } from '../../lib/core/flag-request';
import { invocation, startHarness, type Harness } from '../support/harness';
import { nearValidEvent, SENTINEL, smallLimits, validAttributes, withContract } from './arbitraries';
import { DEFAULT_LIMITS, fittingContract, judge, type ContractType, type Limits, type Verdict } from './oracle';
import { params, resultProblems, runs, timeout } from './support';

let h: Harness;
/** Only ever gets events the oracle refuses (and never a valid one): it must stay cold. */
let cold: Flagger;
/** Gets everything; valid events are flagged for real against a registered conversation. */
let warm: Flagger;

const quiet = createLogger({ level: 'error', sink: () => undefined });
/** The contract both flaggers enforce: refilled with each event's before it is flagged. */
const current = new Map<string, ContractType>();

beforeAll(async () => {
  h = await startHarness();
  cold = h.flagger({}, { logger: quiet, attributes: current });
  warm = h.flagger({}, { logger: quiet, attributes: current });
});
afterAll(async () => {
  await h.close();
});

/** What the oracle and the parser must agree on, for one event under some limits and a contract. */
function agree(event: unknown, limits: Limits, contract: Map<string, ContractType>): void {
  const verdict = judge(event, limits, 'customer', contract);
  const parsed = parseFlagRequest(event, limits, 'customer', contract);
  if (!verdict.valid) {
    if (parsed.ok)
      throw new Error(`accepted an event the contract refuses (${verdict.why}): ${JSON.stringify(parsed.value)}`);
    expect(parsed.error).not.toContain(SENTINEL);
    return;
  }
  if (!parsed.ok) throw new Error(`refused a valid event: ${parsed.error}`);
  expect(parsed.value.conversationId).toBe(verdict.conversationId);
  expect(parsed.value.participantId).toBe(verdict.participantId);
  expect(parsed.value.participantPurpose).toBe(verdict.purpose);
  // Same values and same order: the order is what goes over the wire.
  expect(JSON.stringify(parsed.value.attributes)).toBe(JSON.stringify(verdict.attributes));
}

let validSeen = 0;
let invalidSeen = 0;

/**
 * One event through a real flagger. A valid event gets its conversation registered first, so it
 * must end UPDATED after exactly one PATCH (plus the lookup when no participant is given), with
 * the body the oracle expects. An invalid one must be INVALID_INPUT and send nothing anywhere.
 */
async function flagOne(flagger: Flagger, event: unknown, contract = fittingContract(event)): Promise<Verdict> {
  current.clear();
  for (const [key, type] of contract) current.set(key, type);
  const verdict = judge(event, DEFAULT_LIMITS, 'customer', contract);
  const genesysBefore = h.genesys.requests.length;
  const arrivalsBefore = h.genesys.arrivals.length;
  const secretsBefore = h.secrets.requests.length;
  let participantId: string | undefined;
  if (verdict.valid) {
    participantId = verdict.participantId ?? randomUUID();
    h.genesys.addConversation(verdict.conversationId, [
      { id: randomUUID(), purpose: 'ivr' },
      { id: participantId, purpose: verdict.purpose },
    ]);
  }

  const result = await flagger.flag(event, invocation()); // a rejection fails the property as it is
  expect(resultProblems(result)).toEqual([]);
  const sent = h.genesys.requests.slice(genesysBefore);

  if (!verdict.valid) {
    invalidSeen += 1;
    expect({
      status: result.status,
      attempts: result.attempts,
      httpStatus: result.httpStatus,
      participantId: result.participantId,
    }).toEqual({
      status: 'INVALID_INPUT',
      attempts: 0,
      httpStatus: 0,
      participantId: '',
    });
    expect(result.message).not.toContain(SENTINEL); // reasons name fields, never values
    expect(sent).toEqual([]);
    expect(h.genesys.arrivals.length).toBe(arrivalsBefore);
    expect(h.secrets.requests.length).toBe(secretsBefore);
    return verdict;
  }

  validSeen += 1;
  expect({ status: result.status, message: result.message }).toEqual({ status: 'UPDATED', message: 'attributes set' });
  expect(result.participantId).toBe(participantId);
  const api = sent.filter((r) => r.route !== 'token');
  expect(api.map((r) => `${r.method} ${r.status}`)).toEqual(
    verdict.participantId ? ['PATCH 202'] : ['GET 200', 'PATCH 202'],
  );
  expect(result.attempts).toBe(api.length);
  const patch = api.at(-1);
  expect(patch?.path).toBe(`/api/v2/conversations/${verdict.conversationId}/participants/${participantId}/attributes`);
  expect(patch?.rawBody).toBe(JSON.stringify({ attributes: verdict.attributes }));
  return verdict;
}

describe('the parser agrees with the contract', () => {
  test(
    'any JSON value',
    () => {
      fc.assert(
        fc.property(withContract(fc.jsonValue()), ([event, contract]) => agree(event, DEFAULT_LIMITS, contract)),
        params(2000),
      );
    },
    timeout(15_000, 2000),
  );

  test(
    'valid, near-valid and hostile events, default limits',
    () => {
      let valid = 0;
      let outsideContract = 0;
      fc.assert(
        fc.property(withContract(nearValidEvent), ([event, contract]) => {
          const verdict = judge(event, DEFAULT_LIMITS, 'customer', contract);
          if (verdict.valid) valid += 1;
          else if (judge(event).valid) outsideContract += 1;
          agree(event, DEFAULT_LIMITS, contract);
        }),
        params(3000),
      );
      // The arbitrary must exercise both sides of the rules, not just one, and the attribute
      // contract must refuse events nothing else would.
      expect(valid).toBeGreaterThan(0.2 * runs(3000));
      expect(outsideContract).toBeGreaterThan(0.03 * runs(3000));
    },
    timeout(15_000, 3000),
  );

  test(
    'the same with small limits, so every limit is crossed by small events',
    () => {
      fc.assert(
        fc.property(withContract(nearValidEvent), smallLimits, ([event, contract], limits) =>
          agree(event, limits, contract),
        ),
        params(2000),
      );
    },
    timeout(15_000, 2000),
  );

  test(
    'events as they arrive from JSON text (what a Lambda event, an SQS body or a webhook body really is)',
    () => {
      fc.assert(
        fc.property(withContract(nearValidEvent), ([event, contract]) =>
          agree(JSON.parse(JSON.stringify(event)), DEFAULT_LIMITS, contract),
        ),
        params(1000),
      );
    },
    timeout(15_000, 1000),
  );
});

describe('the real flagger, over real sockets', () => {
  test(
    'any JSON value: a flat INVALID_INPUT, and nothing sent to Genesys or Secrets Manager',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          withContract(fc.jsonValue()),
          async ([event, contract]) => void (await flagOne(cold, event, contract)),
        ),
        params(300),
      );
      // Not one valid event among them, so the cold flagger never even read its secret.
      expect(h.secrets.requests.filter((r) => r.operation === 'GetSecretValue')).toHaveLength(0);
    },
    timeout(15_000, 300),
  );

  test(
    'valid, near-valid and hostile events: UPDATED with the exact body, or INVALID_INPUT with nothing sent',
    async () => {
      validSeen = 0;
      invalidSeen = 0;
      await fc.assert(
        fc.asyncProperty(
          withContract(nearValidEvent),
          async ([event, contract]) => void (await flagOne(warm, event, contract)),
        ),
        params(300),
      );
      // Both sides of the contract went through the real flagger (about a third of the events each).
      expect(validSeen).toBeGreaterThan(0.13 * runs(300));
      expect(invalidSeen).toBeGreaterThan(0.13 * runs(300));
    },
    timeout(15_000, 300),
  );

  test(
    'any attribute map that passes validation is sent byte for byte as {"attributes": {...}} of strings',
    async () => {
      const event = fc
        .record({ conversationId: fc.uuid(), participantId: fc.uuid(), entries: validAttributes, nested: fc.boolean() })
        .map(({ conversationId, participantId, entries, nested }) =>
          nested
            ? { conversationId, participantId, attributes: Object.fromEntries(entries) }
            : Object.fromEntries([['conversationId', conversationId], ['participantId', participantId], ...entries]),
        );
      await fc.assert(
        fc.asyncProperty(event, async (e) => {
          fc.pre(judge(e).valid); // an all-null map, or one over the body limit, is another property's business
          const verdict = await flagOne(warm, e);
          if (!verdict.valid) return;
          const stored = h.genesys.attributesOf(verdict.conversationId, verdict.participantId ?? '');
          expect(stored).toEqual(verdict.attributes);
          for (const v of Object.values(stored ?? {})) expect(typeof v).toBe('string');
        }),
        params(250),
      );
    },
    timeout(15_000, 250),
  );
});
