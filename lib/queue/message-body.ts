/**
 * What a queue message carries: the identity-verified event itself, or the Amazon EventBridge
 * envelope around it (an EventBridge rule targeting SQS delivers the whole event as the body,
 * with ours in `detail`).
 *
 * Which of the two the door takes is the stack's to say (BodyRules, read by config.ts from the
 * environment the stack sets): the queue policy already decides who may send, and these rules
 * repeat that decision inside the function, so a body that could only have come from a sender the
 * stack does not name is
 * refused even if the policy were loosened by hand.
 */
import type { BodyRules } from '../config';
import { parseJsonObject } from '../json';
import { err, ok, type Result } from '../result';

export type Unwrapped = Result<{ event: unknown; envelope: 'plain' | 'eventbridge' }, string>;

/** The detail-type the stack's rule matches. */
export const IDENTITY_VERIFIED = 'Identity Verified';

export function unwrapMessageBody(body: unknown, rules: BodyRules): Unwrapped {
  if (typeof body !== 'string') return err('the message body is not a string');
  const message = parseJsonObject(body);
  if (!message) return err('the message body is not a JSON object');
  if (typeof message['detail-type'] === 'string' && 'detail' in message) {
    if (rules.sources !== 'any') {
      // The source is the sender's to choose: checked, never echoed.
      if (
        message['detail-type'] !== IDENTITY_VERIFIED ||
        typeof message.source !== 'string' ||
        !rules.sources.has(message.source)
      ) {
        return err(
          `the message is an EventBridge event whose detail-type is not "${IDENTITY_VERIFIED}" ` +
            'or whose source this stack does not name (EVENT_SOURCES)',
        );
      }
    }
    return ok({ event: message.detail, envelope: 'eventbridge' });
  }
  if (!rules.plain) {
    return err(
      'the message is not an EventBridge event, ' +
        'and this stack names no sender that may send to the queue directly (QUEUE_ACCEPTS)',
    );
  }
  return ok({ event: message, envelope: 'plain' });
}
