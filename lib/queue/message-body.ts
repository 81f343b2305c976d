/**
 * What a queue message carries: the identity-verified event itself, or the Amazon EventBridge
 * envelope around it (an EventBridge rule targeting SQS delivers the whole event as the body,
 * with ours in `detail`).
 *
 * Which of the two the door takes is the stack's to say (BodyRules, from the environment the stack
 * sets): the queue policy already decides who may send, and these rules repeat that decision inside
 * the function, so a body that could only have come from a sender the stack does not name is
 * refused even if the policy were loosened by hand.
 */
import type { Env } from '../config';
import { parseJsonObject } from '../json';

export type Unwrapped = { ok: true; event: unknown; envelope: 'plain' | 'eventbridge' } | { ok: false; reason: string };

/** The detail-type the stack's rule matches. */
export const IDENTITY_VERIFIED = 'Identity Verified';

export interface BodyRules {
  /** Whether a body that is the event itself (sent straight to the queue, not by the rule) is taken. */
  plain: boolean;
  /**
   * The EventBridge sources whose envelopes are taken (with detail-type "Identity Verified"), or
   * 'any' for every envelope: what a run without the stack's environment (npm start, tests) gets.
   */
  sources: ReadonlySet<string> | 'any';
}

/** No rule beyond the shape: the door as it is outside a stack that names its producers. */
export const ANY_BODY: BodyRules = { plain: true, sources: 'any' };

/**
 * The rules the stack sets: QUEUE_ACCEPTS, `eventbridge` or `eventbridge,plain` (plain only where
 * the stack names direct senders), and EVENT_SOURCES, the comma-separated sources its rule
 * matches (absent: none). Without QUEUE_ACCEPTS, ANY_BODY. A word QUEUE_ACCEPTS does not know
 * takes nothing: a typo must not open the door.
 */
export function bodyRulesFrom(env: Env): BodyRules {
  const accepts = env.QUEUE_ACCEPTS?.trim();
  if (accepts === undefined || accepts === '') return ANY_BODY;
  const words = accepts.split(',').map((w) => w.trim());
  if (words.some((w) => w !== 'eventbridge' && w !== 'plain')) return { plain: false, sources: new Set() };
  const sources = words.includes('eventbridge')
    ? (env.EVENT_SOURCES ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
    : [];
  return { plain: words.includes('plain'), sources: new Set(sources) };
}

export function unwrapMessageBody(body: unknown, rules: BodyRules): Unwrapped {
  if (typeof body !== 'string') return { ok: false, reason: 'the message body is not a string' };
  const message = parseJsonObject(body);
  if (!message) return { ok: false, reason: 'the message body is not a JSON object' };
  if (typeof message['detail-type'] === 'string' && 'detail' in message) {
    if (rules.sources !== 'any') {
      // The source is the sender's to choose: checked, never echoed.
      if (
        message['detail-type'] !== IDENTITY_VERIFIED ||
        typeof message.source !== 'string' ||
        !rules.sources.has(message.source)
      ) {
        return {
          ok: false,
          reason: `the message is an EventBridge event whose detail-type is not "${IDENTITY_VERIFIED}" or whose source this stack does not name (EVENT_SOURCES)`,
        };
      }
    }
    return { ok: true, event: message.detail, envelope: 'eventbridge' };
  }
  if (!rules.plain)
    return {
      ok: false,
      reason:
        'the message is not an EventBridge event, and this stack names no sender that may send to the queue directly (QUEUE_ACCEPTS)',
    };
  return { ok: true, event: message, envelope: 'plain' };
}
