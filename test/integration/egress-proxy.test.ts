/**
 * The deployer's explicit egress proxy (GENESYS_HTTPS_PROXY), over loopback: a CONNECT proxy that
 * records everything it relays, and a Genesys emulator serving HTTPS as Genesys does. The built
 * data action bundle runs in a fresh process (trusting the emulator's test certificate through
 * NODE_EXTRA_CA_CERTS), configured from its environment as in Lambda.
 *
 * The proxy must see host names and ports, and ciphertext: never a token, a client secret or a
 * request line. Generic proxy variables are never followed, and a host that is not an allowed
 * Genesys host is refused before the proxy is contacted.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tunnelAgent } from '../../lib/genesys/proxy-tunnel';
import { GenesysEmulator } from '../emulators/genesys';
import { SecretsManagerEmulator } from '../emulators/secrets-manager';
import { CLIENT_ID, CLIENT_SECRET } from '../support/harness';

const ROOT = path.resolve(__dirname, '../..');
// A self-signed certificate for localhost, for these tests only (test/fixtures/tls).
const CERT = path.join(ROOT, 'test/fixtures/tls/localhost.crt');
const TLS = { key: readFileSync(path.join(ROOT, 'test/fixtures/tls/localhost.key'), 'utf8'), cert: readFileSync(CERT, 'utf8') };

/** A CONNECT proxy that records each tunnel's target and every byte it relays. */
class RecordingProxy {
  readonly tunnels: string[] = [];
  relayed = Buffer.alloc(0);
  refuse = false;
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<RecordingProxy> {
    const proxy = new RecordingProxy(http.createServer((_req, res) => res.writeHead(405).end()));
    proxy.server.on('connect', (req: http.IncomingMessage, client: Socket) => proxy.tunnel(req, client));
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

  private tunnel(req: http.IncomingMessage, client: Socket): void {
    const target = req.url ?? '';
    this.tunnels.push(target);
    if (this.refuse) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
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
    client.on('error', () => upstream.destroy());
    this.sockets.add(upstream);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let genesys: GenesysEmulator;
let secrets: SecretsManagerEmulator;
let proxy: RecordingProxy;

beforeAll(async () => {
  genesys = await GenesysEmulator.start({ clients: { [CLIENT_ID]: CLIENT_SECRET }, tls: TLS });
  secrets = await SecretsManagerEmulator.start();
  secrets.put('proxy/credentials', JSON.stringify({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, environment: 'mypurecloud.com' }));
  proxy = await RecordingProxy.start();
});
afterAll(async () => {
  await Promise.all([genesys.close(), secrets.close(), proxy.close()]);
});

/** One flag by the built data action bundle in a fresh process, configured from `env`. */
function flagInBundle(env: Record<string, string>): Promise<Record<string, unknown>> {
  const conversationId = randomUUID();
  const participantId = randomUUID();
  genesys.addConversation(conversationId, [{ id: participantId, purpose: 'customer' }]);
  const script = `
    const { handler } = await import(${JSON.stringify(path.join(ROOT, 'dist/functions/data-action.mjs'))});
    const end = Date.now() + 10000;
    const r = await handler(${JSON.stringify({ conversationId, participantId, compliance_checked: true })}, { awsRequestId: 'r', getRemainingTimeInMillis: () => end - Date.now() });
    process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n');`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_EXTRA_CA_CERTS: CERT,
        GENESYS_CREDENTIALS_SECRET_ID: 'proxy/credentials',
        GENESYS_API_BASE_URL: genesys.url,
        GENESYS_LOGIN_BASE_URL: genesys.url,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIAEMULATOR',
        AWS_SECRET_ACCESS_KEY: 'emulator-aws-secret',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
      },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) return reject(new Error(`no result: ${out}`));
      resolve(JSON.parse(line.slice(7)) as Record<string, unknown>);
    });
  });
}

test('with GENESYS_HTTPS_PROXY, Genesys traffic tunnels through the proxy, which sees host names and ciphertext only', async () => {
  proxy.tunnels.length = 0;
  proxy.relayed = Buffer.alloc(0);
  const before = genesys.requests.length;
  const result = await flagInBundle({ GENESYS_HTTPS_PROXY: proxy.url, FLAG_INIT_PREFETCH_MS: '0' });
  expect(result).toMatchObject({ status: 'UPDATED', attempts: 1 });
  expect(genesys.requests.slice(before).map((r) => r.route)).toEqual(['token', 'patch-attributes']);

  const port = new URL(genesys.url).port;
  expect(proxy.tunnels.length).toBeGreaterThan(0);
  expect(new Set(proxy.tunnels)).toEqual(new Set([`localhost:${port}`]));
  const seen = proxy.relayed.toString('latin1');
  expect(seen.length).toBeGreaterThan(1000); // TLS handshakes and records did pass through
  for (const secret of [CLIENT_SECRET, Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'), ...genesys.issuedTokens(), 'Bearer', 'PATCH', 'oauth/token', 'compliance_checked']) {
    expect(seen).not.toContain(secret);
  }
});

test('generic proxy variables are never followed: without GENESYS_HTTPS_PROXY the proxy sees nothing', async () => {
  proxy.tunnels.length = 0;
  const result = await flagInBundle({ HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, https_proxy: proxy.url, ALL_PROXY: proxy.url, FLAG_INIT_PREFETCH_MS: '0' });
  expect(result).toMatchObject({ status: 'UPDATED' });
  expect(proxy.tunnels).toEqual([]);
});

test('a proxy that refuses the tunnel is a network fault, retried and reported, never a bypass', async () => {
  proxy.tunnels.length = 0;
  proxy.refuse = true;
  const before = genesys.requests.length;
  try {
    const result = await flagInBundle({ GENESYS_HTTPS_PROXY: proxy.url, FLAG_INIT_PREFETCH_MS: '0', FLAG_DEADLINE_MS: '1000' });
    expect(result).toMatchObject({ status: 'UPSTREAM_ERROR', attempts: 0 });
    expect(proxy.tunnels.length).toBeGreaterThan(0);
    expect(genesys.requests.length).toBe(before);
  } finally {
    proxy.refuse = false;
  }
});

test('the tunnel itself: TLS to the target inside CONNECT, the certificate checked for the target host', async () => {
  proxy.tunnels.length = 0;
  const agent = tunnelAgent({ proxy: new URL(proxy.url), allowed: (host) => host === 'localhost', secure: true });
  const get = (options: https.RequestOptions) =>
    new Promise<number | string>((resolve) => {
      https.get(`${genesys.url}/api/v2/tokens/me`, { agent, ...options }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', (error) => resolve(error.message));
    });
  expect(await get({ ca: TLS.cert })).toBe(401); // an answer from Genesys, through the tunnel
  expect(proxy.tunnels).toEqual([`localhost:${new URL(genesys.url).port}`]);
  // Without trusting the emulator's certificate the TLS handshake fails: TLS is end to end.
  const fresh = tunnelAgent({ proxy: new URL(proxy.url), allowed: () => true, secure: true });
  expect(await get({ agent: fresh })).toMatch(/self-signed|certificate/i);
  agent.destroy();
  fresh.destroy();
  // A plain-http target (an emulator) goes through a tunnel too, never around the proxy.
  const plain = tunnelAgent({ proxy: new URL(proxy.url), allowed: () => true, secure: false });
  const status = await new Promise<number>((resolve) => http.get(`${secrets.url}/`, { agent: plain }, (res) => (res.resume(), resolve(res.statusCode ?? 0))));
  expect(status).toBeGreaterThan(0);
  expect(proxy.tunnels.at(-1)).toBe(`127.0.0.1:${new URL(secrets.url).port}`);
  plain.destroy();
});

test('a host that is not an allowed Genesys host is refused before the proxy is asked', async () => {
  proxy.tunnels.length = 0;
  const agent = tunnelAgent({ proxy: new URL(proxy.url), allowed: (host) => host === 'api.mypurecloud.com', secure: true });
  const outcome = await new Promise<string>((resolve) => {
    https
      .get('https://evil.example/steal', { agent }, () => resolve('answered'))
      .on('error', (error) => resolve(error.message));
  });
  expect(outcome).toBe('the host is not an allowed Genesys host: not tunnelled');
  expect(proxy.tunnels).toEqual([]);
  agent.destroy();
});

test('GENESYS_HTTPS_PROXY must be http://host:port: credentials, paths and other schemes are configuration errors', async () => {
  for (const bad of ['http://user:pw@proxy:3128', 'socks5://proxy:1080', 'http://proxy:3128/path', 'not a url']) {
    const result = await flagInBundle({ GENESYS_HTTPS_PROXY: bad });
    expect(result).toMatchObject({ status: 'CONFIG_ERROR', message: expect.stringContaining('GENESYS_HTTPS_PROXY') });
    expect(String(result.message)).not.toContain('pw');
  }
});
