import { pickParticipant } from '../../lib/genesys/participants';

const conversation = (participants: unknown[]) => JSON.stringify({ id: 'c', participants });
const IVR = '0b5e9a4c-1d2f-4e3a-8b7c-6d5e4f3a2b1c';
const CUSTOMER = 'b7d2e0a4-61f3-4c8e-8f0d-2a9c5e7b1d36';
const EARLIER = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const LATEST = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';

test('picks the participant with the wanted purpose, its id in lower case', () => {
  const body = conversation([
    { id: IVR, purpose: 'ivr' },
    { id: CUSTOMER.toUpperCase(), purpose: 'customer', startTime: '2026-11-24T10:00:00Z' },
  ]);
  expect(pickParticipant(body, 'customer')).toEqual({ kind: 'found', participantId: CUSTOMER });
  expect(pickParticipant(body, 'CUSTOMER')).toEqual({ kind: 'found', participantId: CUSTOMER });
});

test('skips ended participants and takes the most recent active one', () => {
  const body = conversation([
    { id: IVR, purpose: 'customer', startTime: '2026-11-24T10:00:00Z', endTime: '2026-11-24T10:01:00Z' },
    { id: EARLIER, purpose: 'customer', startTime: '2026-11-24T10:02:00Z' },
    { id: LATEST, purpose: 'customer', startTime: '2026-11-24T10:03:00Z' },
    { id: CUSTOMER, purpose: 'agent', startTime: '2026-11-24T10:04:00Z' },
  ]);
  expect(pickParticipant(body, 'customer')).toEqual({ kind: 'found', participantId: LATEST });
});

test('without start times the later entry wins', () => {
  expect(
    pickParticipant(
      conversation([
        { id: EARLIER, purpose: 'customer' },
        { id: LATEST, purpose: 'customer' },
      ]),
      'customer',
    ),
  ).toEqual({
    kind: 'found',
    participantId: LATEST,
  });
});

test.each([
  ['no such purpose', conversation([{ id: IVR, purpose: 'ivr' }])],
  ['only ended', conversation([{ id: CUSTOMER, purpose: 'customer', endTime: '2026-11-24T10:01:00Z' }])],
  ['junk entries', conversation([null, 3, 'customer', { id: CUSTOMER }])],
])('nothing to pick (%s) is "not resolved yet"', (_name, body) => {
  expect(pickParticipant(body, 'customer')).toEqual({ kind: 'absent' });
});

test.each([
  ['not JSON', '<html>'],
  ['no participants list', JSON.stringify({ id: 'c' })],
  ['participants not a list', JSON.stringify({ id: 'c', participants: { id: CUSTOMER } })],
])('a reply that is not a conversation (%s) is an upstream fault', (_name, body) => {
  expect(pickParticipant(body, 'customer')).toMatchObject({ kind: 'malformed' });
});

test.each([
  ['..', '..'],
  ['.', '.'],
  ['a path', `${CUSTOMER}/../../x`],
  ['5,000 characters', 'a'.repeat(5000)],
  ['a number', 5],
  ['absent', undefined],
  ['a UUID with a newline', `${CUSTOMER}\n`],
])(
  'the chosen participant with an id that is not a UUID (%s) is an upstream fault, and the id is not echoed',
  (_name, id) => {
    const picked = pickParticipant(
      conversation([
        { id: EARLIER, purpose: 'customer', startTime: '2026-11-24T10:00:00Z' },
        { id, purpose: 'customer', startTime: '2026-11-24T10:05:00Z' },
      ]),
      'customer',
    );
    expect(picked).toEqual({
      kind: 'malformed',
      reason: 'Genesys listed the participant with an id that is not a UUID',
    });
  },
);
