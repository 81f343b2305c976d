/**
 * The two Genesys calls the function makes:
 * - `PATCH /api/v2/conversations/{conversationId}/participants/{participantId}/attributes` with
 *   `{"attributes": {...}}` (string values only; there is no PUT and no `custom_attributes`);
 * - `GET /api/v2/conversations/{conversationId}` to find the participant when the flow only knows
 *   the conversation.
 */
import { parseJsonObject } from '../json';
import { bearerAuthorization, type AccessToken } from './oauth-tokens';
import { classify, type ApiOutcome, type HttpClient } from './api-client';
import { parseGenesysId, type GenesysId } from './ids';

export interface CallOptions {
  http: HttpClient;
  token: AccessToken;
  timeoutMs: number;
  signal?: AbortSignal;
  now: () => number;
}

/**
 * What the OAuth client's role needs for each of the two calls, as Genesys's API reference
 * publishes it ("Requires ANY permissions"). The lookup needs conversation:communication:view
 * (getConversation in the platform API reference and the SDKs' docs); the attributes PATCH lists
 * none (patchConversationParticipantAttributes), though the client still needs a role in the org.
 */
export const REQUIRED_PERMISSIONS = {
  lookup: ['conversation:communication:view'],
  patch: [],
} as const satisfies Record<'lookup' | 'patch', readonly string[]>;

/** A conversation with hundreds of participants is far below this; the rest would not be read. */
export const MAX_CONVERSATION_BYTES = 1024 * 1024;

export async function patchAttributes(
  conversationId: GenesysId,
  participantId: GenesysId,
  attributes: Record<string, string>,
  options: CallOptions,
): Promise<ApiOutcome> {
  const conversation = encodeURIComponent(conversationId);
  const path = `/api/v2/conversations/${conversation}/participants/${encodeURIComponent(participantId)}/attributes`;
  const reply = await options.http({
    method: 'PATCH',
    url: options.token.apiBaseUrl + path,
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    authorization: bearerAuthorization(options.token.value),
    body: JSON.stringify({ attributes }),
    timeoutMs: options.timeoutMs,
    // Genesys answers 202 with no body on this path; nothing in a 2xx body changes the outcome.
    readSuccessBody: false,
    signal: options.signal,
  });
  return classify(reply, options.now());
}

export async function getConversation(conversationId: GenesysId, options: CallOptions): Promise<ApiOutcome> {
  const reply = await options.http({
    method: 'GET',
    url: `${options.token.apiBaseUrl}/api/v2/conversations/${encodeURIComponent(conversationId)}`,
    headers: { accept: 'application/json' },
    authorization: bearerAuthorization(options.token.value),
    timeoutMs: options.timeoutMs,
    maxBodyBytes: MAX_CONVERSATION_BYTES,
    signal: options.signal,
  });
  return classify(reply, options.now());
}

export type ParticipantPick =
  | { kind: 'found'; participantId: GenesysId }
  /** No active participant with that purpose (yet): the caller treats it like a 404. */
  | { kind: 'absent' }
  /** The reply is not a conversation, or names the participant with an id that is not a UUID. */
  | { kind: 'malformed'; reason: string };

/**
 * The participant to flag in a `Conversation` body: purpose matches (case-insensitively), not
 * ended, and the most recent by `startTime` (a caller transferred back to the IVR can appear twice).
 * The reply is untrusted: the chosen participant's id must be a UUID, or nothing is chosen (it
 * would go into the PATCH's path). It is never echoed: a malformed id may be huge or hostile.
 */
export function pickParticipant(conversationBody: string, purpose: string): ParticipantPick {
  const participants = parseJsonObject(conversationBody)?.participants;
  if (!Array.isArray(participants))
    return { kind: 'malformed', reason: 'the conversation reply has no participants list' };

  const wanted = purpose.toLowerCase();
  let best: { id: unknown; start: number; index: number } | undefined;
  participants.forEach((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null) return;
    const p = entry as Record<string, unknown>;
    if (typeof p.purpose !== 'string' || p.purpose.toLowerCase() !== wanted) return;
    if (p.endTime !== undefined && p.endTime !== null && p.endTime !== '') return;
    const parsedStart = typeof p.startTime === 'string' ? Date.parse(p.startTime) : Number.NaN;
    const start = Number.isNaN(parsedStart) ? Number.NEGATIVE_INFINITY : parsedStart;
    // Later in the list wins a tie: Genesys appends participants as they join.
    if (!best || start > best.start || (start === best.start && index > best.index)) best = { id: p.id, start, index };
  });
  if (!best) return { kind: 'absent' };
  const participantId = parseGenesysId(best.id);
  return participantId
    ? { kind: 'found', participantId }
    : { kind: 'malformed', reason: 'Genesys listed the participant with an id that is not a UUID' };
}
