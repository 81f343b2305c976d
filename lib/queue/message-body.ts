/**
 * What a queue message carries: the identity-verified event itself, or the Amazon EventBridge
 * envelope around it (an EventBridge rule targeting SQS delivers the whole event as the body,
 * with ours in `detail`).
 */
import { parseJsonObject } from '../json';

export type Unwrapped = { ok: true; event: unknown; envelope: 'plain' | 'eventbridge' } | { ok: false; reason: string };

export function unwrapMessageBody(body: unknown): Unwrapped {
  if (typeof body !== 'string') return { ok: false, reason: 'the message body is not a string' };
  const message = parseJsonObject(body);
  if (!message) return { ok: false, reason: 'the message body is not a JSON object' };
  if (typeof message['detail-type'] === 'string' && 'detail' in message) {
    return { ok: true, event: message.detail, envelope: 'eventbridge' };
  }
  return { ok: true, event: message, envelope: 'plain' };
}
