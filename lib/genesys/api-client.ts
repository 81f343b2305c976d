/**
 * The one HTTP client of the function (axios, created once per container with keep-alive agents)
 * and the translation of whatever comes back, a response or a socket fault, into a typed
 * `ApiOutcome`. Nothing above this module sees axios or its errors.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios, { AxiosError, type AxiosInstance } from 'axios';
import { parseJsonObject } from '../json';
import type { Sensitive } from '../sensitive';
import { isGenesysHost } from './environments';
import { ProxyRefusedError, TUNNEL_SIGNAL, tunnelAgent, type TunnelOptions } from './proxy-tunnel';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH';
  url: string;
  headers: Record<string, string>;
  /** The Authorization header's value (Basic or Bearer), revealed only as the request is sent. */
  authorization?: Sensitive;
  body?: string;
  /** Budget of this one attempt; the attempt is abandoned when it runs out. */
  timeoutMs: number;
  /** The invocation's deadline; aborting it abandons the attempt too. */
  signal?: AbortSignal | undefined;
  /**
   * Read at most this much of the response body (default `DEFAULT_MAX_BODY_BYTES`); the rest is
   * not read, and `truncated` says so. The status and headers are an answer whatever the body's size.
   */
  maxBodyBytes?: number;
  /**
   * `false` when a 2xx answer needs no body (the attributes PATCH): the reply is returned as soon as
   * the status arrives, and a body that is slow, endless or cut off cannot turn an accepted request
   * into a fault. Default `true`.
   */
  readSuccessBody?: boolean;
}

export type HttpReply =
  | { kind: 'response'; status: number; headers: Record<string, string | undefined>; body: string; truncated: boolean }
  /** `timeout`: this attempt's own timeout fired. `aborted`: the caller's signal (deadline) fired. */
  | { kind: 'network'; reason: 'timeout' | 'aborted' | 'reset' | 'refused' | 'dns' | 'other'; code: string }
  /** The egress proxy answered CONNECT with `proxyStatus` (validated: 100-599, else 0): no request reached Genesys. */
  | { kind: 'proxy-refused'; proxyStatus: number };

/**
 * What a flow and the log are told when the egress proxy refuses a tunnel: its status and nothing
 * else of its answer.
 */
export function proxyRefusal(proxyStatus: number): string {
  const answer = proxyStatus === 0 ? 'a status that is not one' : String(proxyStatus);
  return `the egress proxy (GENESYS_HTTPS_PROXY) refused the tunnel to Genesys: it answered CONNECT with ${answer}`;
}

export type HttpClient = (request: HttpRequest) => Promise<HttpReply>;

/** Enough for any Genesys error body, token reply or attributes echo; a conversation may ask for more. */
const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export function axiosHttpClient(instance: AxiosInstance = createAxios()): HttpClient {
  return async (request) => {
    const attempt = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort();
    }, request.timeoutMs);
    const onCallerAbort = (): void => attempt.abort();
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    if (request.signal?.aborted) attempt.abort();
    try {
      const response = await instance.request<Readable>({
        method: request.method,
        url: request.url,
        headers: request.authorization
          ? { ...request.headers, authorization: request.authorization.reveal() }
          : request.headers,
        data: request.body,
        signal: attempt.signal,
        // Node's own transport, with the attempt's signal handed on to the agent: a tunnel still
        // being opened through the egress proxy ends with its attempt (proxy-tunnel.ts).
        transport: {
          request: (options: http.RequestOptions, callback: (res: http.IncomingMessage) => void) =>
            transportOf(options).request(withSignal(options, attempt.signal), callback),
        },
      });
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        headers[name.toLowerCase()] = Array.isArray(value)
          ? value.join(', ')
          : value == null
            ? undefined
            : String(value);
      }
      if (request.readSuccessBody === false && response.status >= 200 && response.status < 300) {
        release(response.data, (response.request as { res?: http.IncomingMessage } | undefined)?.res);
        return { kind: 'response', status: response.status, headers, body: '', truncated: false };
      }
      const { body, truncated } = await readCapped(
        response.data,
        request.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
        attempt.signal,
      );
      return { kind: 'response', status: response.status, headers, body, truncated };
    } catch (error) {
      if (timedOut) return { kind: 'network', reason: 'timeout', code: 'ATTEMPT_TIMEOUT' };
      if (request.signal?.aborted) return { kind: 'network', reason: 'aborted', code: 'DEADLINE' };
      // What axios or a socket reports (an AxiosError, or an error with a code such as ECONNRESET)
      // is a network fault; anything else is a bug, which the caller's error path logs.
      if (
        !(error instanceof AxiosError) &&
        !(error instanceof Error && typeof (error as { code?: unknown }).code === 'string')
      )
        throw error;
      const refused = error instanceof ProxyRefusedError ? error : (error as { cause?: unknown }).cause;
      if (refused instanceof ProxyRefusedError) return { kind: 'proxy-refused', proxyStatus: refused.proxyStatus };
      return networkReply(error);
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCallerAbort);
    }
  };
}

function transportOf(options: http.RequestOptions): { request: typeof http.request } {
  return options.protocol === 'https:' ? https : http;
}

function withSignal(options: http.RequestOptions, signal: AbortSignal): http.RequestOptions {
  const extended: http.RequestOptions & { [TUNNEL_SIGNAL]?: AbortSignal } = { ...options, [TUNNEL_SIGNAL]: signal };
  return extended;
}

/**
 * Lets go of a body nobody reads, as soon as the status is known. A body that has already arrived
 * whole (Genesys's small 202) is let through, so its connection goes back to the keep-alive pool;
 * any other is dropped with its connection at once: waiting for it to end (or to start: a chunked
 * body may never send a byte) would hold a socket for as long as the server likes. `message` is
 * the response as Node parsed it, which knows whether the body is complete (`stream` may be a
 * decompressing pipeline in front of it). A later socket error has nobody left to tell.
 */
function release(stream: Readable, message: http.IncomingMessage | undefined): void {
  stream.on('error', () => undefined);
  if (message?.complete === true) stream.resume();
  else stream.destroy();
}

/**
 * Reads a response body up to `maxBytes`. Past that the stream is destroyed (the connection is
 * dropped rather than drained: draining would read what we refuse to read). Aborting `signal`
 * (attempt timeout, deadline) ends the read with an error, so a slow body cannot outlive its attempt.
 */
function readCapped(
  stream: Readable,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ body: string; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onAbort = (): void => {
      stream.destroy();
      reject(new Error('aborted'));
    };
    const done = (truncated: boolean): void => {
      signal.removeEventListener('abort', onAbort);
      resolve({ body: Buffer.concat(chunks).toString('utf8'), truncated });
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => {
      const room = maxBytes - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        size = maxBytes;
        stream.destroy();
        done(true);
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    stream.on('end', () => done(false));
    stream.on('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(error);
    });
  });
}

export interface AxiosOptions {
  /** Tunnel every connection through this proxy (see proxy-tunnel.ts), only to `allowed` hosts. */
  proxy?: { url: string; allowed: (host: string) => boolean; tunnelTimeoutMs: number };
}

export function createAxios(options: AxiosOptions = {}): AxiosInstance {
  const { proxy } = options;
  return axios.create({
    // Node's http stack only: the fetch and xhr adapters are left out of the bundle (scripts/build.mjs).
    adapter: 'http',
    // Every status is an answer to classify, not an exception.
    validateStatus: () => true,
    // Never follow a redirect: it would carry the bearer token to another host.
    maxRedirects: 0,
    // Environment proxy variables are never followed: they could send Genesys traffic (and tokens)
    // elsewhere. The deployer's explicit GENESYS_HTTPS_PROXY is the agent above.
    proxy: false,
    // The body is read here, capped per request (readCapped): a 2xx is an answer however large
    // its body, so axios must not turn an oversized body into an error.
    responseType: 'stream',
    maxContentLength: -1,
    // Keep-alive: a warm container reuses its TLS connection to Genesys instead of a new handshake per flag.
    httpAgent: proxy ? tunnelAgent(tunnel(proxy, false)) : new http.Agent({ keepAlive: true }),
    httpsAgent: proxy ? tunnelAgent(tunnel(proxy, true)) : new https.Agent({ keepAlive: true }),
  });
}

function tunnel(proxy: NonNullable<AxiosOptions['proxy']>, secure: boolean): TunnelOptions {
  return {
    proxy: new URL(proxy.url),
    allowed: proxy.allowed,
    secure,
    timeoutMs: proxy.tunnelTimeoutMs,
  };
}

/**
 * The axios instance for Genesys: through the deployer's egress proxy when one is set, to Genesys
 * hosts only; opening a tunnel may take as long as one attempt (`attemptTimeoutMs`).
 */
export function createGenesysAxios(
  proxyUrl: string | undefined,
  overrides: { apiBaseUrl?: string; loginBaseUrl?: string },
  attemptTimeoutMs: number,
): AxiosInstance {
  if (!proxyUrl) return createAxios();
  return createAxios({
    proxy: {
      url: proxyUrl,
      allowed: (host) => isGenesysHost(host, overrides),
      tunnelTimeoutMs: attemptTimeoutMs,
    },
  });
}

function networkReply(error: unknown): HttpReply {
  const raw = error instanceof AxiosError || error instanceof Error ? (error as { code?: unknown }).code : undefined;
  const code = upstreamToken(raw) ?? 'UNKNOWN';
  switch (code) {
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ERR_BAD_RESPONSE':
      return { kind: 'network', reason: 'reset', code };
    case 'ECONNREFUSED':
      return { kind: 'network', reason: 'refused', code };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { kind: 'network', reason: 'dns', code };
    case 'ETIMEDOUT':
    case 'ECONNABORTED':
      return { kind: 'network', reason: 'timeout', code };
    default:
      return { kind: 'network', reason: 'other', code };
  }
}

/** What the function needs to know of a Genesys API reply. */
export type ApiOutcome =
  /** `truncated`: the body was longer than the request's `maxBodyBytes` and was cut there. */
  | { kind: 'ok'; status: number; body: string; truncated: boolean; contextId?: string }
  | { kind: 'not-found'; status: number; code?: string; contextId?: string }
  | { kind: 'unauthorized'; status: number; code?: string; contextId?: string }
  /** `permissions`: what Genesys's error said was missing, validated (see parseErrorBody); may be absent. */
  | { kind: 'forbidden'; status: number; code?: string; contextId?: string; permissions?: string[] }
  | { kind: 'throttled'; status: number; code?: string; contextId?: string; retryAfterMs?: number | undefined }
  | { kind: 'server-error'; status: number; code?: string; contextId?: string }
  | { kind: 'rejected'; status: number; code?: string; contextId?: string }
  | { kind: 'network'; status: 0; reason: 'timeout' | 'reset' | 'refused' | 'dns' | 'other'; code: string }
  /** The egress proxy refused the tunnel: the deployer's configuration, not a passing fault. */
  | { kind: 'proxy-refused'; status: 0; proxyStatus: number }
  | { kind: 'deadline'; status: 0 };

/**
 * Classifies a reply by Genesys's documented error codes: 404 may mean "not resolved yet", 429 may
 * carry Retry-After, 5xx (but 501) and 408 are transient, every other 4xx is final.
 */
export function classify(reply: HttpReply, nowMs: number): ApiOutcome {
  if (reply.kind === 'network') {
    if (reply.reason === 'aborted') return { kind: 'deadline', status: 0 };
    return { kind: 'network', status: 0, reason: reply.reason, code: reply.code };
  }
  if (reply.kind === 'proxy-refused') return { kind: 'proxy-refused', status: 0, proxyStatus: reply.proxyStatus };
  const { status } = reply;
  const error = status >= 300 ? parseErrorBody(reply.body) : {};
  // ErrorBody.contextId, else the ININ-Correlation-Id header Genesys sets on every response.
  const contextId = error.contextId ?? upstreamToken(reply.headers['inin-correlation-id']);
  const facts = { status, ...(error.code ? { code: error.code } : {}), ...(contextId ? { contextId } : {}) };
  // Any 2xx is success, whatever its body: the attributes are set.
  if (status >= 200 && status < 300)
    return { kind: 'ok', status, body: reply.body, truncated: reply.truncated, ...(contextId ? { contextId } : {}) };
  if (status === 404) return { kind: 'not-found', ...facts };
  if (status === 401) return { kind: 'unauthorized', ...facts };
  if (status === 403)
    return { kind: 'forbidden', ...facts, ...(error.permissions ? { permissions: error.permissions } : {}) };
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(reply.headers['retry-after'], nowMs);
    return { kind: 'throttled', ...facts, retryAfterMs };
  }
  if (status === 408 || (status >= 500 && status !== 501)) return { kind: 'server-error', ...facts };
  return { kind: 'rejected', ...facts };
}

interface ErrorFacts {
  code?: string;
  contextId?: string;
  /** Permission names the error mentions (a 403's "You must have ... assigned: x:y:z"). */
  permissions?: string[];
}

/** A Genesys permission name: `domain:entity:action`, letters (and `*`) only, as Genesys spells them. */
const PERMISSION = /^[a-zA-Z]+(:[a-zA-Z*]+){1,3}$/;
const MAX_PERMISSIONS = 3;

/**
 * Reads a Genesys `ErrorBody` defensively: any field may be missing, the body may not be JSON.
 * Only `code`, `contextId` and permission names are kept: `message` can quote the request, and
 * with it attribute values that must not reach logs or the flow. Of the message (and the string
 * values of `messageParams`) only words shaped exactly like a permission name survive, at most three.
 */
export function parseErrorBody(body: string): ErrorFacts {
  const record = parseJsonObject(body);
  if (!record) return {};
  const facts: ErrorFacts = {};
  const code = upstreamToken(record.code);
  const contextId = upstreamToken(record.contextId);
  if (code) facts.code = code;
  if (contextId) facts.contextId = contextId;
  const permissions = permissionNames(record.message, record.messageParams);
  if (permissions.length > 0) facts.permissions = permissions;
  return facts;
}

function permissionNames(message: unknown, params: unknown): string[] {
  const texts: string[] = [];
  if (typeof message === 'string') texts.push(message);
  if (typeof params === 'object' && params !== null && !Array.isArray(params)) {
    for (const value of Object.values(params)) if (typeof value === 'string') texts.push(value);
  }
  const found = new Set<string>();
  for (const text of texts) {
    // An error body is read to 64 KiB at most; the words looked at are capped too.
    for (const word of text.slice(0, 4096).split(/[\s,;]+/)) {
      const name = word.replace(/[.)\]]+$/, '');
      if (name.length <= 100 && PERMISSION.test(name)) found.add(name);
      if (found.size === MAX_PERMISSIONS) return [...found];
    }
  }
  return [...found];
}

/**
 * A Genesys error code (`not.found`) or context id (a UUID) is a short token of letters, digits,
 * `.`, `_` and `-`. What upstream sends there reaches the flow's `message` and `correlationId` and
 * the logs, so anything else (longer, markup, control characters, another type) is dropped.
 */
export function upstreamToken(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(value) ? value : undefined;
}

/** Longest accepted Retry-After: a server that asks for more than a day is not asking for a wait. */
const MAX_RETRY_AFTER_MS = 86_400_000;

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
/** The three HTTP-date forms of RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime. */
const IMF_FIXDATE = `${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT`;
const RFC_850 = `(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT`;
const ASCTIME = `${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4}`;
const HTTP_DATE = new RegExp(`^(?:${IMF_FIXDATE}|${RFC_850}|${ASCTIME})$`);

/**
 * Parses an HTTP `Retry-After` header (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date.
 * Returns milliseconds to wait from `nowMs`, or undefined when the header is absent or unusable.
 * The answer is untrusted: the retry loop only ever lets it lengthen a wait, so a malformed, zero
 * or past value falls back to its schedule and a huge one ends the flag at its deadline.
 */
export function parseRetryAfter(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '' || value.length > 64) return undefined;
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  if (!HTTP_DATE.test(value)) return undefined; // not "1.5", "-1", nor whatever else Date.parse would guess at
  // asctime carries no zone; HTTP dates are always UTC.
  const at = Date.parse(value.endsWith('GMT') ? value : `${value} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - nowMs), MAX_RETRY_AFTER_MS);
}
