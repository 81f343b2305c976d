/**
 * An HTTP server on 127.0.0.1 that can be closed at once, open keep-alive connections included
 * (a test must not wait for clients' idle sockets, and hung requests must end with the emulator).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export class LoopbackServer {
  private readonly sockets = new Set<Socket>();
  /** Connections clients have opened to it since it started. */
  connectionsOpened = 0;

  private constructor(
    private readonly server: http.Server,
    private readonly secure = false,
  ) {
    server.on('connection', (socket) => {
      this.connectionsOpened += 1;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** `tls`: serve HTTPS with this key and certificate (for `localhost`); plain HTTP otherwise. */
  static async listen(
    handler: http.RequestListener,
    port = 0,
    tls?: { key: string; cert: string },
  ): Promise<LoopbackServer> {
    const loopback = new LoopbackServer(
      tls ? https.createServer(tls, handler) : http.createServer(handler),
      tls !== undefined,
    );
    await new Promise<void>((resolve) => loopback.server.listen(port, '127.0.0.1', resolve));
    return loopback;
  }

  /** Connections clients have open to it now (kept alive, or waiting on an answer). */
  get openConnections(): number {
    return this.sockets.size;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return this.secure ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The whole request body as text. */
export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}
