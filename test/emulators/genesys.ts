/**
 * A Genesys Cloud emulator on loopback: the OAuth client-credentials grant, GET conversation and
 * the participant attributes PATCH, `GET /api/v2/tokens/me`, and the data actions list and one
 * action with its contract (what `npm run doctor` reads), speaking the wire format of the public
 * Genesys Cloud API (ErrorBody with contextId, ININ-Correlation-Id, 202 without body). Faults are
 * scripted per route and, optionally, per conversation: errors, Retry-After, resets, hangs, slow
 * bodies, revoked tokens.
 *
 * Like Genesys, it checks the permission each endpoint publishes against the role given to the
 * OAuth client (`ENDPOINT_PERMISSIONS`, `setPermissions`), and answers a missing one with 403
 * `missing.any.permissions` naming it.
 *
 * It imports nothing from lib/: an emulator that shared the code under test would share its bugs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type http from 'node:http';
import { LoopbackServer, readBody } from './loopback';

export type Route = 'token' | 'get-conversation' | 'patch-attributes' | 'tokens-me' | 'list-actions' | 'get-action';

/**
 * The permissions Genesys's API reference publishes per endpoint ("Requires ANY permissions"): a
 * token whose OAuth client's role holds none of them gets 403 `missing.any.permissions`.
 * - `GET /api/v2/conversations/{conversationId}`: conversation:communication:view (the platform
 *   API reference and the generated SDKs' docs, e.g. purecloud-platform-client-v2's
 *   ConversationsApi.getConversation; some older generated docs list none).
 * - `PATCH .../participants/{participantId}/attributes`: none listed
 *   (ConversationsApi.patchConversationParticipantAttributes); the client still needs a role.
 * - `GET /api/v2/tokens/me`: none listed (TokensApi.getTokensMe).
 * - `GET /api/v2/integrations/actions` and `GET /api/v2/integrations/actions/{actionId}`:
 *   integrations:action:view or bridge:actions:view (IntegrationsApi.getIntegrationsActions and
 *   getIntegrationsAction in the SDKs' docs).
 */
export const ENDPOINT_PERMISSIONS: Readonly<Record<Exclude<Route, 'token'>, readonly string[]>> = {
  'get-conversation': ['conversation:communication:view'],
  'patch-attributes': [],
  'tokens-me': [],
  'list-actions': ['integrations:action:view', 'bridge:actions:view'],
  'get-action': ['integrations:action:view', 'bridge:actions:view'],
};

/** The role a client gets unless a test says otherwise: what the deploy guide tells a team to grant. */
export const DOCUMENTED_ROLE: readonly string[] = ['conversation:communication:view'];

export type Fault =
  /**
   * Answer with this status: an ErrorBody (with `code`) unless `body` gives the raw body. `headers`
   * are added as given (and win over the emulator's own, ININ-Correlation-Id included).
   */
  | { status: number; code?: string; retryAfter?: string; body?: string; headers?: Record<string, string> }
  /** Token route: a real grant (the token works), with these fields of the reply replaced or added. */
  | { grant: Record<string, unknown> }
  /** Answer with this status and a body that never ends: 64 KiB chunks until the client hangs up. */
  | { endlessBody: number }
  /**
   * Answer with this status and a chunked body that never sends a byte: the connection stays open
   * until the client closes it.
   */
  | { silentBody: number }
  /** Destroy the socket without an answer. */
  | { reset: true }
  /** Never answer; the client has to give up. */
  | { hang: true }
  /** Wait, then handle the request normally. */
  | { delayMs: number }
  /** Send the status line and headers at once, then the body only after `slowBodyMs`. */
  | { slowBodyMs: number };

export interface EmulatedParticipant {
  id: string;
  purpose: string;
  /** The participant is unknown to the API (404, absent from GET) until this long after creation. */
  resolveAfterMs?: number;
  endTime?: string;
  startTime?: string;
}

/** A data action as an integration holds it; `contract` is what `expand=contract` returns. */
export interface EmulatedAction {
  name: string;
  category?: string;
  integrationId?: string;
  contract?: { input: { inputSchema: unknown }; output: { successSchema: unknown } };
}

export interface RecordedRequest {
  route: Route | 'other';
  method: string;
  path: string;
  status: number;
  at: number;
  conversationId?: string;
  participantId?: string;
  /** Parsed JSON body of a PATCH, for byte-level assertions. */
  body?: unknown;
  rawBody?: string;
  contentType?: string;
  /** For a hung request or a body that never comes: when the client gave up on it and closed the connection. */
  abandonedAt?: number;
}

export interface GenesysEmulatorOptions {
  /** clientId -> clientSecret accepted by /oauth/token. */
  clients?: Record<string, string>;
  /** clientId -> the permissions of the role the client was given (default: DOCUMENTED_ROLE). */
  permissions?: Record<string, readonly string[]>;
  tokenLifetimeSeconds?: number;
  /** Added to every answer (for realistic round trips in benchmarks). */
  latencyMs?: number;
  now?: () => number;
  /** Serve HTTPS (https://localhost:port) with this key and certificate, as Genesys does. */
  tls?: { key: string; cert: string };
  /**
   * Genesys's limit per client-credentials token: at most this many API requests in any 60 s
   * (`client.credentials.token.rate.per.minute`, 300 on Genesys's Limits page). Past it, 429
   * `too.many.requests` with `Retry-After` in whole seconds until a slot frees. Off unless set.
   */
  tokenRatePerMinute?: number;
}

interface Conversation {
  id: string;
  createdAt: number;
  visibleAfterMs: number;
  participants: (EmulatedParticipant & { attributes: Record<string, string> })[];
}

interface IssuedToken {
  clientId: string;
  expiresAt: number;
  revoked: boolean;
}

interface ScriptedFault {
  route: Route;
  conversationId?: string;
  fault: Fault;
}

const CONVERSATION_PATH = /^\/api\/v2\/conversations\/([^/]+)$/;
const ACTION_PATH = /^\/api\/v2\/integrations\/actions\/([^/]+)$/;
const ATTRIBUTES_PATH = /^\/api\/v2\/conversations\/([^/]+)\/participants\/([^/]+)\/attributes$/;

export class GenesysEmulator {
  readonly requests: RecordedRequest[] = [];
  /**
   * Every request as it arrives, before a scripted delay, hang or slow body is played (`requests`
   * only gets it once answered). Counting these is exact even while a slow answer is still going.
   */
  readonly arrivals: RecordedRequest[] = [];
  /** Called for every answered request (npm start prints them). */
  onRequest: ((request: RecordedRequest) => void) | undefined;

  private readonly clients: Map<string, string>;
  private readonly permissions: Map<string, readonly string[]>;
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly conversations = new Map<string, Conversation>();
  private readonly actions = new Map<string, EmulatedAction & { id: string }>();
  private faults: ScriptedFault[] = [];
  private readonly now: () => number;
  tokenLifetimeSeconds: number;
  latencyMs: number;
  tokenRatePerMinute: number | undefined;
  /** Bearer token -> when its accepted API requests arrived, within the last minute. */
  private readonly tokenUse = new Map<string, number[]>();

  private server!: LoopbackServer;

  private constructor(options: GenesysEmulatorOptions) {
    this.clients = new Map(Object.entries(options.clients ?? { 'emulator-client': 'emulator-secret' }));
    this.permissions = new Map(Object.entries(options.permissions ?? {}));
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 86_400;
    this.latencyMs = options.latencyMs ?? 0;
    this.tokenRatePerMinute = options.tokenRatePerMinute;
    this.now = options.now ?? Date.now;
  }

  static async start(options: GenesysEmulatorOptions = {}, port = 0): Promise<GenesysEmulator> {
    const emulator = new GenesysEmulator(options);
    emulator.server = await LoopbackServer.listen((req, res) => void emulator.handle(req, res), port, options.tls);
    return emulator;
  }

  get url(): string {
    return this.server.url;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** Connections clients have open to it now (kept alive, or waiting on an answer). */
  get openConnections(): number {
    return this.server.openConnections;
  }

  /** Connections clients have opened to it since it started. */
  get connectionsOpened(): number {
    return this.server.connectionsOpened;
  }

  setClient(clientId: string, clientSecret: string): void {
    this.clients.set(clientId, clientSecret);
  }

  removeClient(clientId: string): void {
    this.clients.delete(clientId);
  }

  /** The permissions of the role given to `clientId`; they apply to its tokens at once. */
  setPermissions(clientId: string, permissions: readonly string[]): void {
    this.permissions.set(clientId, permissions);
  }

  addConversation(id: string, participants: EmulatedParticipant[], options: { visibleAfterMs?: number } = {}): void {
    this.conversations.set(id, {
      id,
      createdAt: this.now(),
      visibleAfterMs: options.visibleAfterMs ?? 0,
      participants: participants.map((p) => ({ ...p, attributes: {} })),
    });
  }

  /** Adds a data action to the org (as an import or Terraform would); returns its id. */
  addAction(action: EmulatedAction): string {
    const id = randomUUID();
    this.actions.set(id, { ...action, id });
    return id;
  }

  /** Faults are consumed in order by matching requests; afterwards the route behaves normally. */
  script(route: Route, faults: Fault[], conversationId?: string): void {
    for (const fault of faults) this.faults.push({ route, fault, ...(conversationId ? { conversationId } : {}) });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /**
   * A token for `clientId` as the login host would grant it (what a token rotation stores), without
   * a request; `lifetimeSeconds` defaults to the emulator's.
   */
  issueToken(
    clientId: string,
    lifetimeSeconds = this.tokenLifetimeSeconds,
  ): { accessToken: string; expiresAt: number } {
    const accessToken = randomBytes(24).toString('base64url');
    const expiresAt = this.now() + lifetimeSeconds * 1000;
    this.tokens.set(accessToken, { clientId, expiresAt, revoked: false });
    return { accessToken, expiresAt };
  }

  /** Every issued token stops working (as when an admin revokes the client's tokens). */
  revokeTokens(): void {
    for (const token of this.tokens.values()) token.revoked = true;
  }

  attributesOf(conversationId: string, participantId: string): Record<string, string> | undefined {
    return this.conversations.get(conversationId)?.participants.find((p) => p.id === participantId)?.attributes;
  }

  /** Like `count`, over `arrivals`: requests received so far, answered or not. */
  received(route: Route, conversationId?: string): number {
    return this.arrivals.filter(
      (r) => r.route === route && (conversationId === undefined || r.conversationId === conversationId),
    ).length;
  }

  /** Forgets a conversation (long soak runs keep the emulator's memory flat). */
  removeConversation(id: string): void {
    this.conversations.delete(id);
  }

  count(route: Route, conversationId?: string): number {
    return this.requests.filter(
      (r) => r.route === route && (conversationId === undefined || r.conversationId === conversationId),
    ).length;
  }

  /** Lower-level view for leak tests: every token the emulator handed out. */
  issuedTokens(): string[] {
    return [...this.tokens.keys()];
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const record: RecordedRequest = { route: 'other', method, path, status: 0, at: this.now(), rawBody };
    const contentType = req.headers['content-type'];
    if (contentType) record.contentType = contentType;

    const conversation = method === 'GET' ? path.match(CONVERSATION_PATH) : null;
    const attributes = method === 'PATCH' ? path.match(ATTRIBUTES_PATH) : null;
    if (method === 'POST' && path === '/oauth/token') record.route = 'token';
    else if (method === 'GET' && path === '/api/v2/tokens/me') record.route = 'tokens-me';
    else if (method === 'GET' && path === '/api/v2/integrations/actions') record.route = 'list-actions';
    else if (method === 'GET' && ACTION_PATH.test(path)) record.route = 'get-action';
    else if (conversation) {
      record.route = 'get-conversation';
      record.conversationId = decodeURIComponent(conversation[1] ?? '');
    } else if (attributes) {
      record.route = 'patch-attributes';
      record.conversationId = decodeURIComponent(attributes[1] ?? '');
      record.participantId = decodeURIComponent(attributes[2] ?? '');
    }

    this.arrivals.push(record);
    if (this.latencyMs > 0) await delay(this.latencyMs);

    if (record.route !== 'other') {
      const index = this.faults.findIndex(
        (f) =>
          f.route === record.route && (f.conversationId === undefined || f.conversationId === record.conversationId),
      );
      if (index >= 0) {
        const [{ fault }] = this.faults.splice(index, 1) as [ScriptedFault];
        if ('reset' in fault) {
          record.status = 0;
          this.finish(record);
          req.socket.destroy();
          return;
        }
        if ('hang' in fault) {
          record.status = 0;
          this.finish(record);
          res.on('close', () => (record.abandonedAt = this.now()));
          return; // the socket is destroyed by close() or by the client giving up
        }
        if ('grant' in fault) {
          const answer = this.route(record, req, rawBody);
          const reply = JSON.parse(answer.body) as Record<string, unknown>;
          this.send(res, record, { ...answer, body: JSON.stringify({ ...reply, ...fault.grant }) });
          return;
        }
        if ('silentBody' in fault) {
          record.status = fault.silentBody;
          this.finish(record);
          res.on('close', () => (record.abandonedAt = this.now()));
          res.writeHead(fault.silentBody, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
          res.flushHeaders();
          return; // nothing more is ever written: the socket is closed by the client, or by close()
        }
        if ('endlessBody' in fault) {
          record.status = fault.endlessBody;
          this.finish(record);
          res.writeHead(fault.endlessBody, { 'content-type': 'application/json' });
          const chunk = Buffer.alloc(64 * 1024, 'x');
          const pump = (): void => {
            while (!res.destroyed && res.write(chunk));
            if (!res.destroyed) res.once('drain', pump);
          };
          pump();
          return;
        }
        if ('delayMs' in fault) await delay(fault.delayMs);
        else if ('slowBodyMs' in fault) {
          const answer = this.route(record, req, rawBody);
          res.writeHead(answer.status, answer.headers);
          res.write(answer.body.slice(0, 1));
          await delay(fault.slowBodyMs);
          if (!res.destroyed) res.end(answer.body.slice(1));
          record.status = answer.status;
          this.finish(record);
          return;
        } else {
          const headers: Record<string, string> = {
            ...(fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {}),
            ...fault.headers,
          };
          const answer =
            fault.body !== undefined
              ? { status: fault.status, headers: { 'content-type': 'application/json', ...headers }, body: fault.body }
              : errorBody(fault.status, fault.code ?? defaultCode(fault.status), headers);
          this.send(res, record, answer);
          return;
        }
      }
    }
    this.send(res, record, this.overLimit(record, req) ?? this.route(record, req, rawBody));
  }

  /** The 429 for a token past its requests per minute; undefined while it has room (then the request counts). */
  private overLimit(record: RecordedRequest, req: http.IncomingMessage): Answer | undefined {
    const limit = this.tokenRatePerMinute;
    const token = (req.headers.authorization ?? '').match(/^Bearer (.+)$/)?.[1];
    if (limit === undefined || record.route === 'token' || record.route === 'other' || !token) return undefined;
    const now = this.now();
    const recent = (this.tokenUse.get(token) ?? []).filter((at) => at > now - 60_000);
    this.tokenUse.set(token, recent);
    if (recent.length >= limit) {
      const seconds = Math.max(1, Math.ceil(((recent[0] ?? now) + 60_000 - now) / 1000));
      return errorBody(429, 'too.many.requests', { 'retry-after': String(seconds) });
    }
    recent.push(now);
    return undefined;
  }

  private route(record: RecordedRequest, req: http.IncomingMessage, rawBody: string): Answer {
    switch (record.route) {
      case 'token':
        return this.token(req, rawBody);
      case 'tokens-me':
        // The cheap authenticated call a token check makes (token rotation's testSecret).
        return (
          this.authorized(req, record.route) ??
          json(200, {
            organization: { id: 'emulated-org', name: 'Emulated org' },
            OAuthClient: { id: 'emulated-client' },
          })
        );
      case 'get-conversation':
        return this.authorized(req, record.route) ?? this.getConversation(record.conversationId ?? '');
      case 'patch-attributes':
        return this.authorized(req, record.route) ?? this.patchAttributes(record, req, rawBody);
      case 'list-actions':
        return (
          this.authorized(req, record.route) ??
          this.listActions(new URL(req.url ?? '/', 'http://emulator').searchParams)
        );
      case 'get-action':
        return (
          this.authorized(req, record.route) ??
          this.getAction(record.path, new URL(req.url ?? '/', 'http://emulator').searchParams)
        );
      default:
        return errorBody(404, 'not.found');
    }
  }

  private token(req: http.IncomingMessage, rawBody: string): Answer {
    const auth = req.headers.authorization ?? '';
    const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const clientId = colon >= 0 ? decoded.slice(0, colon) : '';
    const secret = colon >= 0 ? decoded.slice(colon + 1) : '';
    if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') {
      return json(400, { error: 'invalid_request', description: 'form body expected' });
    }
    if (new URLSearchParams(rawBody).get('grant_type') !== 'client_credentials') {
      return json(400, { error: 'unsupported_grant_type', description: 'grant type not supported' });
    }
    if (!this.clients.has(clientId) || this.clients.get(clientId) !== secret) {
      return json(401, { error: 'invalid_client', description: 'client not found or bad secret' });
    }
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { clientId, expiresAt: this.now() + this.tokenLifetimeSeconds * 1000, revoked: false });
    return json(200, { access_token: token, token_type: 'bearer', expires_in: this.tokenLifetimeSeconds });
  }

  /** undefined when the bearer token is good and its client's role may call `route`, else the 401 or 403 answer. */
  private authorized(req: http.IncomingMessage, route: keyof typeof ENDPOINT_PERMISSIONS): Answer | undefined {
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ')) return errorBody(401, 'authentication.required');
    const token = this.tokens.get(auth.slice(7));
    if (!token || token.revoked || token.expiresAt <= this.now()) return errorBody(401, 'bad.credentials');
    const needed = ENDPOINT_PERMISSIONS[route];
    const held = this.permissions.get(token.clientId) ?? DOCUMENTED_ROLE;
    if (needed.length > 0 && !needed.some((permission) => held.includes(permission))) return missingPermissions(needed);
    return undefined;
  }

  private getConversation(conversationId: string): Answer {
    const conversation = this.conversations.get(conversationId);
    const age = conversation ? this.now() - conversation.createdAt : 0;
    if (!conversation || age < conversation.visibleAfterMs) return errorBody(404, 'not.found');
    const startTime = new Date(conversation.createdAt).toISOString();
    return json(200, {
      id: conversation.id,
      startTime,
      participants: conversation.participants
        .filter((p) => age >= (p.resolveAfterMs ?? 0))
        .map((p) => ({
          id: p.id,
          purpose: p.purpose,
          startTime: p.startTime ?? startTime,
          ...(p.endTime ? { endTime: p.endTime } : {}),
          attributes: p.attributes,
        })),
    });
  }

  private patchAttributes(record: RecordedRequest, req: http.IncomingMessage, rawBody: string): Answer {
    if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
      return errorBody(415, 'unsupported.media.type');
    let body: unknown;
    try {
      body = JSON.parse(rawBody);
    } catch {
      return errorBody(400, 'bad.request');
    }
    record.body = body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return errorBody(400, 'bad.request');
    const unknownFields = Object.keys(body).filter((k) => k !== 'attributes');
    if (unknownFields.length > 0) return errorBody(400, 'bad.request');
    const attributes = (body as { attributes?: unknown }).attributes;
    if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes))
      return errorBody(400, 'invalid.value');
    if (!Object.values(attributes).every((v) => typeof v === 'string')) return errorBody(400, 'invalid.value');

    const conversation = this.conversations.get(record.conversationId ?? '');
    const age = conversation ? this.now() - conversation.createdAt : 0;
    const participant = conversation?.participants.find((p) => p.id === record.participantId);
    if (!conversation || !participant || age < conversation.visibleAfterMs || age < (participant.resolveAfterMs ?? 0)) {
      return errorBody(404, 'not.found');
    }
    Object.assign(participant.attributes, attributes as Record<string, string>);
    return { status: 202, headers: {}, body: '' };
  }

  /**
   * `ActionEntityListing`: `name` filters by part of the name (case-insensitively here; Genesys
   * documents "partial or complete action name"), paged by `pageSize` (default 25) and
   * `pageNumber`. Entities carry no contract: that takes `GET .../actions/{id}?expand=contract`.
   */
  private listActions(query: URLSearchParams): Answer {
    const name = (query.get('name') ?? '').toLowerCase();
    const pageSize = Math.min(Math.max(Number(query.get('pageSize') ?? 25) || 25, 1), 500);
    const pageNumber = Math.max(Number(query.get('pageNumber') ?? 1) || 1, 1);
    const matching = [...this.actions.values()].filter((a) => a.name.toLowerCase().includes(name));
    const entities = matching
      .slice((pageNumber - 1) * pageSize, pageNumber * pageSize)
      .map((a) => this.actionEntity(a, false));
    return json(200, {
      entities,
      pageSize,
      pageNumber,
      total: matching.length,
      pageCount: Math.ceil(matching.length / pageSize),
    });
  }

  private getAction(path: string, query: URLSearchParams): Answer {
    const id = decodeURIComponent(path.match(ACTION_PATH)?.[1] ?? '');
    const action = this.actions.get(id);
    if (!action) return errorBody(404, 'not.found');
    return json(200, this.actionEntity(action, query.get('expand') === 'contract'));
  }

  private actionEntity(action: EmulatedAction & { id: string }, withContract: boolean): Record<string, unknown> {
    return {
      id: action.id,
      name: action.name,
      category: action.category ?? 'Participant flagger - Lambda',
      integrationId: action.integrationId ?? '5f0c2b1e-7a3d-4c1b-9e8f-0a1b2c3d4e5f',
      version: 1,
      secure: false,
      ...(withContract && action.contract ? { contract: action.contract } : {}),
      selfUri: `/api/v2/integrations/actions/${action.id}`,
    };
  }

  private send(res: http.ServerResponse, record: RecordedRequest, answer: Answer): void {
    record.status = answer.status;
    if (res.destroyed) {
      this.finish(record);
      return;
    }
    res.writeHead(answer.status, { 'inin-correlation-id': randomUUID(), ...answer.headers });
    res.end(answer.body);
    this.finish(record);
  }

  private finish(record: RecordedRequest): void {
    this.requests.push(record);
    this.onRequest?.(record);
  }
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

const MESSAGES: Record<string, string> = {
  'not.found': 'The requested resource was not found.',
  'bad.request': 'The request could not be understood by the server due to malformed syntax.',
  'invalid.value': 'Value [attributes] is not valid for field type [ParticipantAttributes].',
  'authentication.required': 'No authentication bearer token specified in authorization header.',
  'bad.credentials': 'Invalid login credentials.',
  'missing.permissions': 'You are missing the following permission(s): conversation:participant:wrapup',
  'unsupported.media.type':
    'Unsupported Media Type - Unsupported or incorrect media type, ' +
    'such as an incorrect Content-Type value in the header.',
  'too.many.requests': 'Rate limit exceeded the maximum. Retry the request in [1] seconds',
  'internal.server.error':
    'The server encountered an unexpected condition which prevented it from fulfilling the request.',
  'service.unavailable':
    'Service Unavailable - The server is currently unavailable (because it is overloaded or down for maintenance).',
  'request.timeout': 'The request timed out.',
};

function defaultCode(status: number): string {
  const byStatus: Record<number, string> = {
    400: 'bad.request',
    401: 'authentication.required',
    403: 'missing.permissions',
    404: 'not.found',
    409: 'conflict',
    415: 'unsupported.media.type',
    429: 'too.many.requests',
    500: 'internal.server.error',
    502: 'bad.gateway',
    503: 'service.unavailable',
    504: 'request.timeout',
  };
  return byStatus[status] ?? 'error';
}

const MISSING_ANY_PERMISSIONS =
  'Unable to perform the requested action. You must have at least one of the following permissions assigned:';

/**
 * Genesys's answer to a token whose role holds none of the permissions an endpoint accepts. The
 * code and the message's wording are Genesys's; where `messageParams` carries the names is not
 * documented, so the function must not rely on it (it validates whatever it reads from either).
 */
function missingPermissions(needed: readonly string[]): Answer {
  const message = `${MISSING_ANY_PERMISSIONS} ${needed.join(', ')}`;
  return json(403, {
    message,
    code: 'missing.any.permissions',
    status: 403,
    messageWithParams: `${MISSING_ANY_PERMISSIONS} {permissions}`,
    messageParams: { permissions: needed.join(', ') },
    contextId: randomUUID(),
    details: [],
    errors: [],
  });
}

function errorBody(status: number, code: string, headers: Record<string, string> = {}): Answer {
  const message = MESSAGES[code] ?? code;
  return json(
    status,
    {
      message,
      code,
      status,
      messageWithParams: message,
      messageParams: {},
      contextId: randomUUID(),
      details: [],
      errors: [],
    },
    headers,
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
