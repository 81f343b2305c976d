/**
 * An explicit egress proxy for Genesys traffic, opted into by the deployer (GENESYS_HTTPS_PROXY).
 * Each connection to a Genesys host is a CONNECT tunnel through the proxy, and TLS runs inside the
 * tunnel from this function to Genesys: the proxy sees the host name and port, never a request, a
 * token or a client secret. Only hosts that `allowed` accepts are tunnelled; anything else is
 * refused before the proxy is contacted.
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
      const connect = http.request({
        host: options.proxy.hostname,
        port: Number(options.proxy.port || 80),
        method: 'CONNECT',
        path: `${host}:${port}`,
        headers: { host: `${host}:${port}` },
        agent: false,
      });
      connect.once('connect', (response, socket) => {
        if (response.statusCode !== 200) {
          socket.destroy();
          callback(new Error(`the proxy refused the tunnel (${response.statusCode ?? 0})`));
          return;
        }
        if (!options.secure) {
          callback(null, socket);
          return;
        }
        const secured = tls.connect({ ...(target as tls.ConnectionOptions), socket, servername: host });
        const failed = (error: Error): void => callback(error);
        secured.once('error', failed);
        secured.once('secureConnect', () => {
          // From here on, errors belong to the request using the socket.
          secured.removeListener('error', failed);
          callback(null, secured);
        });
      });
      connect.once('error', (error) => callback(error));
      connect.end();
      return undefined;
    }
  }
  return new TunnelAgent({ keepAlive: true });
}
