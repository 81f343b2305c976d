import { pickParticipant } from '../../lib/genesys/participants';

const conversation = (participants: unknown[]) => JSON.stringify({ id: 'c', participants });

test('picks the participant with the wanted purpose', () => {
  const body = conversation([
    { id: 'ivr-1', purpose: 'ivr' },
    { id: 'cust-1', purpose: 'customer', startTime: '2026-11-24T10:00:00Z' },
  ]);
  expect(pickParticipant(body, 'customer')).toBe('cust-1');
  expect(pickParticipant(body, 'CUSTOMER')).toBe('cust-1');
});

test('skips ended participants and takes the most recent active one', () => {
  const body = conversation([
    { id: 'old', purpose: 'customer', startTime: '2026-11-24T10:00:00Z', endTime: '2026-11-24T10:01:00Z' },
    { id: 'earlier', purpose: 'customer', startTime: '2026-11-24T10:02:00Z' },
    { id: 'latest', purpose: 'customer', startTime: '2026-11-24T10:03:00Z' },
    { id: 'agent', purpose: 'agent', startTime: '2026-11-24T10:04:00Z' },
  ]);
  expect(pickParticipant(body, 'customer')).toBe('latest');
});

test('without start times the later entry wins', () => {
  expect(pickParticipant(conversation([{ id: 'a', purpose: 'customer' }, { id: 'b', purpose: 'customer' }]), 'customer')).toBe('b');
});

test.each([
  ['no such purpose', conversation([{ id: 'ivr', purpose: 'ivr' }])],
  ['only ended', conversation([{ id: 'x', purpose: 'customer', endTime: '2026-11-24T10:01:00Z' }])],
  ['not JSON', '<html>'],
  ['no participants', JSON.stringify({ id: 'c' })],
  ['junk entries', conversation([null, 3, { purpose: 'customer' }, { id: 5, purpose: 'customer' }])],
])('nothing to pick (%s) is "not resolved yet"', (_name, body) => {
  expect(pickParticipant(body, 'customer')).toBeUndefined();
});
