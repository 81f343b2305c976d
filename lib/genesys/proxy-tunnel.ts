/**
 * An explicit egress proxy for Genesys traffic, opted into by the deployer (GENESYS_HTTPS_PROXY).
 * Each connection to a Genesys host is a CONNECT tunnel through the proxy, and TLS runs inside the
 * tunnel from this function to Genesys: the proxy sees the host name and port, never a request, a
 * token or a client secret. Only hosts that `allowed` accepts are tunnelled; anything else is
 * refused before the proxy is contacted.
 *
 * Opening a tunnel (the proxy's answer to CONNECT, then the TLS handshake inside it) ends with the
 * request it is opened for. Node hands a request its socket only once the tunnel is open, so
 * aborting the request alone would leave a pending CONNECT behind: the request's signal is passed
 * to the agent as the `TUNNEL_SIGNAL` option (api-client.ts does), and its abort (the attempt's
 * timeout, the caller's deadline, the end of a prefetch) destroys whatever the tunnel has opened.
 * A bounded wait of its own backs that up for a request without a signal: a proxy that accepts the
 * connection and never answers cannot keep that socket, and the container, waiting for good.
 *
 * A proxy that answers CONNECT with anything but 200 refuses the tunnel (407: it wants credentials,
 * 403: its rules forbid the host, a redirect ...): that is the deployer's configuration, not a
 * passing fault, so it is a `ProxyRefusedError` that carries the status and nothing else of the
 * answer (its reason phrase, headers and body are the proxy's, untrusted, and never shown).
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
  /** Longest wait for the tunnel to open, CONNECT and TLS handshake: the function passes its attempt timeout. */
  timeoutMs: number;
}

/**
 * The request option (a symbol: Node passes it through to the agent, as it does every option but
 * `signal`) holding the AbortSignal that ends the tunnel being opened for that request.
 */
export const TUNNEL_SIGNAL = Symbol('tunnelSignal');

/** The proxy answered CONNECT with `proxyStatus` (not 200): it refuses the tunnel. */
export class ProxyRefusedError extends Error {
  readonly code = 'EPROXYREFUSED';
  /** The status, when it is one (a whole number from 100 to 599); 0 otherwise. */
  readonly proxyStatus: number;

  constructor(status: unknown) {
    const proxyStatus =
      typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599 ? status : 0;
    super(`the proxy refused the tunnel (${proxyStatus})`);
    this.name = 'ProxyRefusedError';
    this.proxyStatus = proxyStatus;
  }
}

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
      const signal = (target as Record<symbol, unknown>)[TUNNEL_SIGNAL];
      const abandoned = signal instanceof AbortSignal ? signal : undefined;
      if (abandoned?.aborted) {
        callback(
          Object.assign(new Error('the request was abandoned before its tunnel was opened'), { code: 'ECONNABORTED' }),
        );
        return undefined;
      }
      // Exactly one answer to the agent; whatever was opened for a failed tunnel is destroyed.
      const settle = (error: Error | null, socket?: Duplex): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        abandoned?.removeEventListener('abort', onAbandoned);
        if (error) {
          connect.destroy();
          for (const socket of opened) socket.destroy();
          callback(error);
        } else {
          callback(null, socket);
        }
      };
      const { timeoutMs } = options;
      const timer = setTimeout(() => {
        settle(
          Object.assign(new Error(`the proxy did not open the tunnel within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }),
        );
      }, timeoutMs);
      // The request gave up (attempt timeout, deadline, end of a prefetch): so does its tunnel.
      const onAbandoned = (): void =>
        settle(
          Object.assign(new Error('the request was abandoned while its tunnel was opening'), { code: 'ECONNABORTED' }),
        );
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
          settle(new ProxyRefusedError(response.statusCode));
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
      abandoned?.addEventListener('abort', onAbandoned, { once: true });
      return undefined;
    }
  }
  return new TunnelAgent({ keepAlive: true });
}
