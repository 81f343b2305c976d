/**
 * An HTTP CONNECT proxy on loopback, as a deployer's egress proxy (GENESYS_HTTPS_PROXY) would be,
 * with scriptable answers: open the tunnel and relay bytes both ways, refuse with a status (407,
 * 403, a redirect ...), or read the CONNECT and never answer it. It records each CONNECT (its
 * request line, when it came, when the client closed its connection) and every byte it relays, so a
 * test can say how many tunnels were asked for, that none was left open, and that only ciphertext
 * went through.
 *
 * It imports nothing from lib/.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import net from 'node:net';

/** How the proxy answers a CONNECT. */
export type ConnectAnswer =
  /** 200, then the bytes relayed to and from the target. */
  | 'tunnel'
  /** Read the CONNECT, never answer it: the client has to give up. */
  | 'silent'
  /** Refuse with this status (a reason phrase, headers and a body can make it hostile). */
  | { status: number; reason?: string; headers?: Record<string, string>; body?: string };

export interface ConnectRecord {
  /** `CONNECT host:port HTTP/1.1`, as received. */
  line: string;
  /** `host:port`. */
  target: string;
  at: number;
  /** When the client closed its connection to the proxy (undefined while it is open). */
  closedAt?: number;
}

export class ConnectProxy {
  readonly connects: ConnectRecord[] = [];
  /** Every byte relayed through an open tunnel, both ways. */
  relayed = Buffer.alloc(0);
  /** How CONNECTs are answered once the script is used up. */
  answer: ConnectAnswer = 'tunnel';
  private readonly scripted: ConnectAnswer[] = [];
  /** Client connections. */
  private readonly sockets = new Set<Socket>();
  /** Connections to targets, closed with the proxy. */
  private readonly upstreams = new Set<Socket>();

  private constructor(private readonly server: http.Server) {}

  static async start(answer: ConnectAnswer = 'tunnel'): Promise<ConnectProxy> {
    const proxy = new ConnectProxy(http.createServer((_req, res) => res.writeHead(405).end()));
    proxy.answer = answer;
    proxy.server.on('connect', (req: http.IncomingMessage, client: Socket) => proxy.connect(req, client));
    proxy.server.on('connection', (socket: Socket) => {
      proxy.sockets.add(socket);
      socket.on('close', () => proxy.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next CONNECTs get these answers, in order; afterwards `answer`. */
  script(answers: ConnectAnswer[]): void {
    this.scripted.push(...answers);
  }

  /** Client connections open now (tunnels, and CONNECTs waiting for an answer). */
  get open(): number {
    return this.sockets.size;
  }

  /** Resolves with the connections still open once all are closed, or after `withinMs`. */
  async drained(withinMs: number): Promise<number> {
    const end = Date.now() + withinMs;
    while (this.open > 0 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.open;
  }

  async close(): Promise<void> {
    for (const socket of [...this.sockets, ...this.upstreams]) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private connect(req: http.IncomingMessage, client: Socket): void {
    const target = req.url ?? '';
    const record: ConnectRecord = { line: `CONNECT ${target} HTTP/${req.httpVersion}`, target, at: Date.now() };
    this.connects.push(record);
    client.on('close', () => (record.closedAt = Date.now()));
    client.on('error', () => undefined);
    const answer = this.scripted.shift() ?? this.answer;
    // Node hands over a CONNECT's socket paused and half-open: reading it (dropping what comes) is
    // how the proxy notices the client closing it, and it then closes its side too.
    if (answer === 'silent') {
      client.on('end', () => client.destroy());
      client.resume();
      return;
    }
    if (answer !== 'tunnel') {
      const headers = Object.entries(answer.headers ?? {})
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      const body = answer.body ?? '';
      client.end(
        `HTTP/1.1 ${answer.status} ${answer.reason ?? 'Refused'}\r\n` +
          `${headers}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    const [host, port] = target.split(':');
    const upstream = net.connect(Number(port), host === 'localhost' ? '127.0.0.1' : (host ?? ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      const record = (chunk: Buffer) => (this.relayed = Buffer.concat([this.relayed, chunk]));
      client.on('data', record);
      upstream.on('data', record);
      client.pipe(upstream).pipe(client);
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    this.upstreams.add(upstream);
    upstream.on('close', () => this.upstreams.delete(upstream));
  }
}
