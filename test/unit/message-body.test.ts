/**
 * What a queue message body may be, by the stack's rules (BodyRules): the event itself, or the
 * EventBridge envelope of an "Identity Verified" event from a source the stack names. The body and
 * everything in it is the sender's: a refusal never echoes it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ANY_BODY, type BodyRules } from '../../lib/config';
import { IDENTITY_VERIFIED, unwrapMessageBody } from '../../lib/queue/message-body';

const event = { conversationId: '4f1c7c36-2d39-4a0e-9a6c-0d1f3c2b9e51', compliance_checked: true };
const envelope = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    version: '0',
    id: 'e-1',
    'detail-type': IDENTITY_VERIFIED,
    source: 'acme.idv',
    detail: event,
    ...fields,
  });
const onlyEnvelopes = (...sources: string[]): BodyRules => ({ plain: false, sources: new Set(sources) });
const NOT_NAMED =
  'the message is an EventBridge event whose detail-type is not "Identity Verified" ' +
  'or whose source this stack does not name (EVENT_SOURCES)';
const NO_PLAIN =
  'the message is not an EventBridge event, ' +
  'and this stack names no sender that may send to the queue directly (QUEUE_ACCEPTS)';

test("IDENTITY_VERIFIED is the detail-type the stack's rule matches", () => {
  const patterns: unknown[] = [];
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'EventPattern') patterns.push(value);
      walk(value);
    }
  };
  walk(parse(readFileSync(path.join(__dirname, '../../infra/aws/queue.yml'), 'utf8')));
  expect(patterns).toEqual([expect.objectContaining({ 'detail-type': [IDENTITY_VERIFIED] })]);
});

describe('what is not a message at all', () => {
  test.each([
    ['undefined', undefined],
    ['a number', 42],
    ['an object (already parsed)', { conversationId: event.conversationId }],
    ['null', null],
    ['a Buffer', Buffer.from(JSON.stringify(event))],
  ])('%s: not a string', (_case, body) => {
    expect(unwrapMessageBody(body, ANY_BODY)).toEqual({ ok: false, error: 'the message body is not a string' });
  });

  test.each([
    ['empty', ''],
    ['not JSON', '{"conversationId": "4f1c'],
    ['an array', JSON.stringify([event])],
    ['null', 'null'],
    ['a string', JSON.stringify(JSON.stringify(event))],
    ['a number', '7'],
  ])('%s: not a JSON object', (_case, body) => {
    expect(unwrapMessageBody(body, ANY_BODY)).toEqual({ ok: false, error: 'the message body is not a JSON object' });
  });
});

describe('without rules (ANY_BODY): any envelope, and plain events', () => {
  test('a plain event is the event', () => {
    expect(unwrapMessageBody(JSON.stringify(event), ANY_BODY)).toEqual({
      ok: true,
      value: { event, envelope: 'plain' },
    });
  });

  test('an envelope gives its detail, whatever its source and detail-type', () => {
    for (const body of [envelope(), envelope({ source: 'anyone' }), envelope({ 'detail-type': 'Other' })])
      expect(unwrapMessageBody(body, ANY_BODY)).toEqual({ ok: true, value: { event, envelope: 'eventbridge' } });
    // A detail that is not an event is handed on as it is: the request parser refuses it with its reason.
    expect(unwrapMessageBody(envelope({ detail: null }), ANY_BODY)).toEqual({
      ok: true,
      value: { event: null, envelope: 'eventbridge' },
    });
  });

  test('an envelope needs both a string detail-type and a detail; otherwise the body is a plain event', () => {
    const noDetail = JSON.stringify({ 'detail-type': IDENTITY_VERIFIED, source: 'acme.idv' });
    const numericType = JSON.stringify({ 'detail-type': 7, detail: event });
    for (const body of [noDetail, numericType])
      expect(unwrapMessageBody(body, ANY_BODY)).toMatchObject({ ok: true, value: { envelope: 'plain' } });
  });
});

describe("with the stack's rules", () => {
  test('an Identity Verified envelope from a named source is taken', () => {
    expect(unwrapMessageBody(envelope(), onlyEnvelopes('acme.idv', 'acme.kyc'))).toEqual({
      ok: true,
      value: { event, envelope: 'eventbridge' },
    });
  });

  test.each([
    ['a source not named', { source: 'anyone.else' }],
    ['a source named in another case', { source: 'ACME.IDV' }],
    ['a source with a trailing space', { source: 'acme.idv ' }],
    ['no source', { source: undefined }],
    ['a source that is not a string', { source: ['acme.idv'] }],
    ['another detail-type', { 'detail-type': 'Identity Unverified' }],
    ['the detail-type in another case', { 'detail-type': 'identity verified' }],
  ])('%s is refused, and the refusal echoes none of it', (_case, fields) => {
    const result = unwrapMessageBody(envelope(fields), onlyEnvelopes('acme.idv'));
    expect(result).toEqual({ ok: false, error: NOT_NAMED });
  });

  test('with no source named, no envelope is taken', () => {
    expect(unwrapMessageBody(envelope(), onlyEnvelopes())).toEqual({ ok: false, error: NOT_NAMED });
  });

  test('a hostile source never reaches the reason', () => {
    const hostile = `<script>${'x'.repeat(10_000)}`;
    const result = unwrapMessageBody(envelope({ source: hostile }), onlyEnvelopes('acme.idv'));
    expect(JSON.stringify(result)).not.toContain('<script>');
    expect(JSON.stringify(result).length).toBeLessThan(300);
  });

  test('a plain event is taken only where the stack names direct senders', () => {
    expect(unwrapMessageBody(JSON.stringify(event), onlyEnvelopes('acme.idv'))).toEqual({ ok: false, error: NO_PLAIN });
    expect(unwrapMessageBody(JSON.stringify(event), { plain: true, sources: new Set() })).toEqual({
      ok: true,
      value: { event, envelope: 'plain' },
    });
  });

  test('an envelope smuggled in through "__proto__" is no envelope', () => {
    const body = JSON.stringify({ 'detail-type': IDENTITY_VERIFIED }).replace(
      '}',
      `, "__proto__": {"detail": ${JSON.stringify(event)}, "source": "acme.idv"}}`,
    );
    expect(unwrapMessageBody(body, onlyEnvelopes('acme.idv'))).toEqual({ ok: false, error: NO_PLAIN });
  });
});
