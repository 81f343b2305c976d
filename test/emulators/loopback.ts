/**
 * An HTTP server on 127.0.0.1 that can be closed at once, open keep-alive connections included
 * (a test must not wait for clients' idle sockets, and hung requests must end with the emulator).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export class LoopbackServer {
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: http.Server) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async listen(handler: http.RequestListener, port = 0): Promise<LoopbackServer> {
    const loopback = new LoopbackServer(http.createServer(handler));
    await new Promise<void>((resolve) => loopback.server.listen(port, '127.0.0.1', resolve));
    return loopback;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
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
