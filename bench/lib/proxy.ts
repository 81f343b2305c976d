/**
 * A loopback forwarding proxy the bench puts in front of an emulator, for behaviour the emulators
 * do not have (they stay as the tests use them):
 *
 *   - `delayMs`: every request waits this long before it is forwarded (round-trip time for the
 *     Secrets Manager emulator; the Genesys emulator has its own `latencyMs`), and
 *     `rejectDelayMs` before a 429 the proxy answers itself;
 *   - `limit`: a per-token rate limit like Genesys's. Requests carrying `Authorization: Bearer <t>`
 *     are counted per token in a sliding window; over the limit the proxy answers itself with
 *     429, a Genesys ErrorBody (`too.many.requests`) and `Retry-After` in whole seconds (the time
 *     until the oldest counted request leaves the window, rounded up, at least 1). Refused requests
 *     do not count. Requests without a bearer token (the OAuth grant) are forwarded unlimited.
 *
 * Everything else is forwarded unchanged (method, path, headers, body) and the answer is copied
 * back, so the clients under test see the emulator's exact wire format.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { LoopbackServer, readBody } from '../../test/emulators/loopback';

export interface RateLimit {
  /** Requests allowed per token within any window of `windowMs`. */
  perWindow: number;
  windowMs: number;
}

export interface ProxyOptions {
  /** Wait before forwarding each request. */
  delayMs?: number;
  /** Wait before answering a request with 429 (the round trip a refused request still costs). */
  rejectDelayMs?: number;
  limit?: RateLimit;
}

export interface TokenStats {
  forwarded: number;
  throttled: number;
}

export class ForwardingProxy {
  forwarded = 0;
  throttled = 0;
  readonly byToken = new Map<string, TokenStats>();
  private readonly windows = new Map<string, number[]>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private server!: LoopbackServer;

  private constructor(
    private readonly target: URL,
    private readonly options: ProxyOptions,
  ) {}

  static async start(target: string, options: ProxyOptions = {}): Promise<ForwardingProxy> {
    const proxy = new ForwardingProxy(new URL(target), options);
    proxy.server = await LoopbackServer.listen((req, res) => void proxy.handle(req, res));
    return proxy;
  }

  get url(): string {
    return this.server.url;
  }

  resetCounts(): void {
    this.forwarded = 0;
    this.throttled = 0;
    this.byToken.clear();
  }

  async close(): Promise<void> {
    this.agent.destroy();
    await this.server.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
    if (token !== undefined && this.options.limit) {
      const stats = this.byToken.get(token) ?? { forwarded: 0, throttled: 0 };
      this.byToken.set(token, stats);
      const retryAfterMs = this.admit(token, this.options.limit, Date.now());
      if (retryAfterMs !== undefined) {
        stats.throttled += 1;
        this.throttled += 1;
        if (this.options.rejectDelayMs) await delay(this.options.rejectDelayMs);
        const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
        const message = `Rate limit exceeded the maximum. Retry the request in [${seconds}] seconds`;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(seconds), 'inin-correlation-id': randomUUID() });
        res.end(JSON.stringify({ message, code: 'too.many.requests', status: 429, messageWithParams: message, messageParams: {}, contextId: randomUUID(), details: [], errors: [] }));
        return;
      }
      stats.forwarded += 1;
    }
    this.forwarded += 1;
    if (this.options.delayMs) await delay(this.options.delayMs);
    const upstream = http.request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.target.host },
        agent: this.agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    upstream.end(body);
  }

  /** Sliding window per token: undefined when admitted (and counted), else ms until a slot frees. */
  private admit(token: string, limit: RateLimit, now: number): number | undefined {
    const log = this.windows.get(token) ?? [];
    this.windows.set(token, log);
    while (log.length > 0 && (log[0] as number) <= now - limit.windowMs) log.shift();
    if (log.length < limit.perWindow) {
      log.push(now);
      return undefined;
    }
    return (log[0] as number) + limit.windowMs - now;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
