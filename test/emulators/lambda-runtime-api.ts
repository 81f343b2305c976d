/**
 * A loopback implementation of the Lambda Runtime API (the interface AWS's runtime client talks to
 * inside a Lambda environment), enough to run a bundle under `aws-lambda-ric` as Lambda does:
 *
 * - `GET  /2018-06-01/runtime/invocation/next`: long-polls until an event is queued, then answers it
 *   with the request id, deadline, function ARN and trace headers;
 * - `POST /2018-06-01/runtime/invocation/{id}/response` and `/error`: the invocation's outcome;
 * - `POST /2018-06-01/runtime/init/error`: the environment failed to initialise.
 *
 * It records when the runtime first asked for an event: in Lambda, that is when init has ended and
 * the environment may be frozen. It imports nothing from lib/.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { LoopbackServer, readBody } from './loopback';

export type InvocationOutcome =
  | { kind: 'response'; body: unknown; at: number }
  | { kind: 'error'; body: unknown; errorType: string | undefined; at: number };

interface Pending {
  id: string;
  event: unknown;
  deadlineMs: number;
  settle: (outcome: InvocationOutcome) => void;
}

const PREFIX = '/2018-06-01/runtime';

export class LambdaRuntimeApi {
  /** Epoch ms of the runtime's first `next`: the end of its init. */
  firstNextAt: number | undefined;
  readonly initErrors: { body: unknown; errorType: string | undefined }[] = [];
  private readonly queue: Pending[] = [];
  private readonly inFlight = new Map<string, Pending>();
  private waiting: http.ServerResponse | undefined;
  private server!: LoopbackServer;
  private readonly onInitError: (() => void)[] = [];

  constructor(
    readonly functionArn = 'arn:aws:lambda:us-east-1:123456789012:function:genesys-participant-flagger-test',
  ) {}

  static async start(functionArn?: string): Promise<LambdaRuntimeApi> {
    const api = new LambdaRuntimeApi(functionArn);
    api.server = await LoopbackServer.listen((req, res) => void api.handle(req, res));
    return api;
  }

  /** What AWS_LAMBDA_RUNTIME_API is set to: host:port, no scheme. */
  get address(): string {
    return this.server.url.replace('http://', '');
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** Queues an event with `remainingMs` of Lambda time; resolves with what the runtime answered. */
  invoke(event: unknown, remainingMs = 10_000): Promise<InvocationOutcome> {
    return new Promise((settle) => {
      this.queue.push({ id: randomUUID(), event, deadlineMs: Date.now() + remainingMs, settle });
      this.deliver();
    });
  }

  /** Resolves when the runtime reports an init error. */
  initError(): Promise<void> {
    return this.initErrors.length > 0 ? Promise.resolve() : new Promise((resolve) => this.onInitError.push(resolve));
  }

  private deliver(): void {
    const res = this.waiting;
    const next = this.queue[0];
    if (!res || !next) return;
    this.queue.shift();
    this.waiting = undefined;
    this.inFlight.set(next.id, next);
    res.writeHead(200, {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': next.id,
      'lambda-runtime-deadline-ms': String(next.deadlineMs),
      'lambda-runtime-invoked-function-arn': this.functionArn,
      'lambda-runtime-trace-id':
        `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-` +
        `${randomUUID().replace(/-/g, '').slice(0, 24)};Sampled=0`,
    });
    res.end(JSON.stringify(next.event));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = req.url ?? '';
    const parsed = (): unknown => {
      try {
        return JSON.parse(body) as unknown;
      } catch {
        return body;
      }
    };
    const accepted = (): void => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"status":"OK"}');
    };
    if (req.method === 'GET' && path === `${PREFIX}/invocation/next`) {
      this.firstNextAt ??= Date.now();
      this.waiting = res;
      this.deliver();
      return;
    }
    const outcome = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
    if (req.method === 'POST' && outcome) {
      const pending = this.inFlight.get(decodeURIComponent(outcome[1] ?? ''));
      if (!pending) {
        res.writeHead(404).end();
        return;
      }
      this.inFlight.delete(pending.id);
      accepted();
      const errorType = req.headers['lambda-runtime-function-error-type'];
      pending.settle(
        outcome[2] === 'response'
          ? { kind: 'response', body: parsed(), at: Date.now() }
          : {
              kind: 'error',
              body: parsed(),
              errorType: typeof errorType === 'string' ? errorType : undefined,
              at: Date.now(),
            },
      );
      return;
    }
    if (req.method === 'POST' && path === `${PREFIX}/init/error`) {
      const errorType = req.headers['lambda-runtime-function-error-type'];
      this.initErrors.push({ body: parsed(), errorType: typeof errorType === 'string' ? errorType : undefined });
      accepted();
      for (const resolve of this.onInitError.splice(0)) resolve();
      return;
    }
    res.writeHead(404).end();
  }
}
