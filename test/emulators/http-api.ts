/**
 * A local stand-in for an API Gateway HTTP API (payload format 2.0): real HTTP in, a
 * `APIGatewayProxyEventV2` to the handler, its structured result back out as HTTP. Used by the
 * webhook tests. It imports nothing from lib/.
 *
 * A route may have a Lambda REQUEST authorizer with simple responses, run as API Gateway documents
 * it (ApiGatewayV2 CreateAuthorizer, IdentitySource and AuthorizerResultTtlInSeconds): a missing or
 * empty identity source is 401 without invoking the authorizer; an answer is cached per identity
 * source value for the TTL; `isAuthorized: false` is 403; an authorizer that fails is 500.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { LoopbackServer } from './loopback';

export type HttpApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export type AuthorizerHandler = (
  event: Record<string, unknown>,
  context: Context,
) => Promise<{ isAuthorized: boolean }>;

export interface RouteAuthorizer {
  handler: AuthorizerHandler;
  /** The identity source, a request header (lower case), as `$request.header.<name>`. */
  identityHeader: string;
  /** AuthorizerResultTtlInSeconds; 0: no cache. */
  resultTtlSeconds: number;
  /** The Lambda timeout the authorizer's context reports. */
  timeoutMs?: number;
}

export interface HttpApiRoute {
  method: string;
  path: string;
  handler: HttpApiHandler;
  /** The Lambda timeout the context reports (getRemainingTimeInMillis). */
  timeoutMs?: number;
  authorizer?: RouteAuthorizer;
}

export interface LocalHttpApiOptions {
  /** API Gateway delivers some bodies base64-encoded (isBase64Encoded); force it to exercise that path. */
  base64Bodies?: boolean;
}

/** API Gateway's own limit on a request body. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** Cached authorizer answers: identity source value -> decision and when it expires. */
type AuthorizerCache = Map<string, { isAuthorized: boolean; until: number }>;

export class LocalHttpApi {
  private constructor(private readonly server: LoopbackServer) {}

  static async start(routes: HttpApiRoute[], options: LocalHttpApiOptions = {}, port = 0): Promise<LocalHttpApi> {
    const caches = new Map<HttpApiRoute, AuthorizerCache>(routes.map((r) => [r, new Map()]));
    const server = await LoopbackServer.listen((req, res) => void serve(routes, caches, options, req, res), port);
    return new LocalHttpApi(server);
  }

  get url(): string {
    return this.server.url;
  }

  close(): Promise<void> {
    return this.server.close();
  }
}

async function serve(
  routes: HttpApiRoute[],
  caches: Map<HttpApiRoute, AuthorizerCache>,
  options: LocalHttpApiOptions,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const method = req.method ?? 'GET';
  const route = routes.find((r) => r.path === url.pathname && r.method === method);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) {
      res.writeHead(413, { 'content-type': 'application/json' }).end('{"message":"Request Entity Too Large"}');
      return;
    }
    chunks.push(chunk as Buffer);
  }
  if (!route) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
    return;
  }
  const body = Buffer.concat(chunks);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const requestId = randomUUID();
  const now = Date.now();
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    isBase64Encoded: Boolean(options.base64Bodies),
    ...(body.length > 0 ? { body: options.base64Bodies ? body.toString('base64') : body.toString('utf8') } : {}),
  };
  if (route.authorizer) {
    const denied = await authorize(route.authorizer, caches.get(route) ?? new Map(), event);
    if (denied) {
      res
        .writeHead(denied.status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: denied.message }));
      return;
    }
  }
  const deadline = now + (route.timeoutMs ?? 10_000);
  const context = {
    awsRequestId: requestId,
    functionName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  } as unknown as Context;
  try {
    const result = await route.handler(event, context);
    const out = result.isBase64Encoded && result.body ? Buffer.from(result.body, 'base64') : (result.body ?? '');
    const resultHeaders = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
    res.writeHead(result.statusCode ?? 200, resultHeaders).end(out);
  } catch {
    // What API Gateway answers when the integration itself fails.
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal Server Error"}');
  }
}

/** What API Gateway answers instead of running the route, or undefined when the request may go on. */
async function authorize(
  authorizer: RouteAuthorizer,
  cache: AuthorizerCache,
  event: APIGatewayProxyEventV2,
): Promise<{ status: number; message: string } | undefined> {
  const identity = event.headers[authorizer.identityHeader];
  if (identity === undefined || identity === '') return { status: 401, message: 'Unauthorized' };
  const now = Date.now();
  const cached = cache.get(identity);
  let isAuthorized: boolean;
  if (cached && cached.until > now) {
    isAuthorized = cached.isAuthorized;
  } else {
    const deadline = now + (authorizer.timeoutMs ?? 5_000);
    const context = {
      awsRequestId: randomUUID(),
      functionName: 'authorizer',
      getRemainingTimeInMillis: () => deadline - Date.now(),
    } as unknown as Context;
    const authorizerEvent = {
      version: '2.0',
      type: 'REQUEST',
      routeArn:
        'arn:aws:execute-api:us-east-1:000000000000:local/$default/' +
        `${event.requestContext.http.method}${event.rawPath}`,
      identitySource: [identity],
      routeKey: event.routeKey,
      rawPath: event.rawPath,
      rawQueryString: event.rawQueryString,
      headers: event.headers,
      requestContext: event.requestContext,
    };
    try {
      ({ isAuthorized } = await authorizer.handler(authorizerEvent, context));
    } catch {
      return { status: 500, message: 'Internal Server Error' };
    }
    if (authorizer.resultTtlSeconds > 0)
      cache.set(identity, { isAuthorized: isAuthorized === true, until: now + authorizer.resultTtlSeconds * 1000 });
  }
  return isAuthorized === true ? undefined : { status: 403, message: 'Forbidden' };
}
