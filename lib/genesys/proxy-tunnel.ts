/**
 * An explicit egress proxy for Genesys traffic, opted into by the deployer (GENESYS_HTTPS_PROXY).
 * Each connection to a Genesys host is a CONNECT tunnel through the proxy, and TLS runs inside the
 * tunnel from this function to Genesys: the proxy sees the host name and port, never a request, a
 * token or a client secret. Only hosts that `allowed` accepts are tunnelled; anything else is
 * refused before the proxy is contacted.
 *
 * Opening a tunnel (the proxy's answer to CONNECT, then the TLS handshake inside it) has a bounded
 * wait of its own. The request's attempt timeout cannot reach it: Node hands the request a socket
 * only once the tunnel is open, so aborting the request leaves a pending CONNECT alone. Without
 * this bound a proxy that accepts the connection and never answers would keep that socket, and the
 * container, waiting for good.
 *
 * (A CONNECT tunnel is a few lines on Node's own Agent; the usual libraries bring their own logging
 * dependency and no way to refuse a host.)
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

export interface TunnelOptions {
  /** The proxy, http://host:port. */
  proxy: URL;
  /** Whether a target host may be reached at all. */
  allowed: (host: string) => boolean;
  /** TLS inside the tunnel (an https target); false only for plain-http targets (emulators). */
  secure: boolean;
  /** Longest wait for the tunnel to open, CONNECT and TLS handshake (default `DEFAULT_TUNNEL_TIMEOUT_MS`). */
  timeoutMs?: number;
}

/** FLAG_ATTEMPT_TIMEOUT_MS's default; the function passes its configured attempt timeout. */
export const DEFAULT_TUNNEL_TIMEOUT_MS = 3000;

type ConnectionCallback = (error: Error | null, socket?: Duplex) => void;

/** A keep-alive agent whose every connection is a CONNECT tunnel through the proxy. */
export function tunnelAgent(options: TunnelOptions): http.Agent {
  const Base = options.secure ? https.Agent : http.Agent;
  class TunnelAgent extends Base {
    override createConnection(target: http.ClientRequestArgs, callback: ConnectionCallback): undefined {
      const host = String(target.host ?? target.hostname ?? '');
      const port = Number(target.port ?? (options.secure ? 443 : 80));
      if (!options.allowed(host)) {
        callback(new Error('the host is not an allowed Genesys host: not tunnelled'));
        return undefined;
      }
      // What a failed or late tunnel must destroy: the socket to the proxy, and TLS over it.
      const opened: Duplex[] = [];
      let settled = false;
      // Exactly one answer to the agent; whatever was opened for a failed tunnel is destroyed.
      const settle = (error: Error | null, socket?: Duplex): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) {
          connect.destroy();
          for (const socket of opened) socket.destroy();
          callback(error);
        } else {
          callback(null, socket);
        }
      };
      const timeoutMs = options.timeoutMs ?? DEFAULT_TUNNEL_TIMEOUT_MS;
      const timer = setTimeout(() => {
        settle(Object.assign(new Error(`the proxy did not open the tunnel within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
      }, timeoutMs);
      const connect = http.request({
        host: options.proxy.hostname,
        port: Number(options.proxy.port || 80),
        method: 'CONNECT',
        path: `${host}:${port}`,
        headers: { host: `${host}:${port}` },
        agent: false,
      });
      connect.once('connect', (response, socket) => {
        opened.push(socket);
        if (settled) {
          socket.destroy();
          return;
        }
        if (response.statusCode !== 200) {
          settle(new Error(`the proxy refused the tunnel (${response.statusCode ?? 0})`));
          return;
        }
        if (!options.secure) {
          settle(null, socket);
          return;
        }
        const secured = tls.connect({ ...(target as tls.ConnectionOptions), socket, servername: host });
        opened.push(secured);
        const failed = (error: Error): void => settle(error);
        secured.once('error', failed);
        secured.once('secureConnect', () => {
          // From here on, errors belong to the request using the socket.
          secured.removeListener('error', failed);
          settle(null, secured);
        });
      });
      // `on`, not `once`: destroying a pending CONNECT may emit an error after the first.
      connect.on('error', (error) => settle(error));
      connect.end();
      return undefined;
    }
  }
  return new TunnelAgent({ keepAlive: true });
}
