/**
 * The deployer's explicit egress proxy (GENESYS_HTTPS_PROXY), over loopback: a CONNECT proxy that
 * records everything it relays, and a Genesys emulator serving HTTPS as Genesys does. The built
 * data action bundle runs in a fresh process (trusting the emulator's test certificate through
 * NODE_EXTRA_CA_CERTS), configured from its environment as in Lambda.
 *
 * The proxy must see host names and ports, and ciphertext: never a token, a client secret or a
 * request line. Generic proxy variables are never followed, and a host that is not an allowed
 * Genesys host is refused before the proxy is contacted, by the function's own allow-list
 * (isGenesysHost). A proxy that never answers CONNECT costs one bounded wait, never a socket left
 * open: its CONNECT ends with the attempt (or prefetch) it was opened for. A proxy that refuses the
 * tunnel is the deployer's configuration: CONFIG_ERROR after one CONNECT, named by its status only.
 * The proxy is test/emulators/connect-proxy.ts.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { axiosHttpClient, createGenesysAxios } from '../../lib/genesys/api-client';
import { tunnelAgent } from '../../lib/genesys/proxy-tunnel';
import { ConnectProxy } from '../emulators/connect-proxy';
import type { GenesysEmulator } from '../emulators/genesys';
import { CLIENT_ID, CLIENT_SECRET, type Emulators, startEmulators } from '../support/emulator-env';

const ROOT = path.resolve(__dirname, '../..');
// A self-signed certificate for localhost, for these tests only (test/fixtures/tls).
const CERT = path.join(ROOT, 'test/fixtures/tls/localhost.crt');
const TLS = {
  key: readFileSync(path.join(ROOT, 'test/fixtures/tls/localhost.key'), 'utf8'),
  cert: readFileSync(CERT, 'utf8'),
};

let emulators: Emulators;
let genesys: GenesysEmulator;
/** Tunnels (or refuses, where a test says so), recording each CONNECT and every byte relayed. */
let proxy: ConnectProxy;
/** Accepts connections, reads each CONNECT and never answers it. */
let silent: ConnectProxy;

/** The CONNECT request lines a proxy has received. */
const received = (p: ConnectProxy): string[] => p.connects.map((c) => c.line);
const targets = (p: ConnectProxy): string[] => p.connects.map((c) => c.target);

beforeAll(async () => {
  emulators = await startEmulators({ genesys: { tls: TLS } });
  genesys = emulators.genesys;
  proxy = await ConnectProxy.start('tunnel');
  silent = await ConnectProxy.start('silent');
});
afterAll(async () => {
  await Promise.all([emulators.close(), proxy.close(), silent.close()]);
});

/** One flag by the built data action bundle in a fresh process, configured from `env`. */
function flagInBundle(env: Record<string, string>): Promise<Record<string, unknown>> {
  return flagInBundleTimed(env).then(({ result }) => result);
}

/** The same, with how long the process took to exit after it printed the result, and the function's log lines. */
function flagInBundleTimed(
  env: Record<string, string>,
): Promise<{ result: Record<string, unknown>; exitAfterResultMs: number; logs: string[] }> {
  const conversationId = randomUUID();
  const participantId = randomUUID();
  genesys.addConversation(conversationId, [{ id: participantId, purpose: 'customer' }]);
  const script = `
    const { handler } = await import(${JSON.stringify(path.join(ROOT, 'dist/functions/data-action.mjs'))});
    const end = Date.now() + 10000;
    const r = await handler(${JSON.stringify({ conversationId, participantId, compliance_checked: true })}, {
      awsRequestId: 'r',
      getRemainingTimeInMillis: () => end - Date.now(),
    });
    process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n');`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_EXTRA_CA_CERTS: CERT,
        ...emulators.env,
        ...env,
      },
    });
    let out = '';
    let resultAt = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!resultAt && out.includes('RESULT ')) resultAt = Date.now();
    });
    child.on('error', reject);
    child.on('close', () => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) return reject(new Error(`no result: ${out}`));
      const logs = out.split('\n').filter((l) => l.startsWith('{'));
      resolve({
        result: JSON.parse(line.slice(7)) as Record<string, unknown>,
        exitAfterResultMs: Date.now() - resultAt,
        logs,
      });
    });
  });
}

test(
  'with GENESYS_HTTPS_PROXY, Genesys traffic tunnels through the proxy, ' + 'which sees host names and ciphertext only',
  async () => {
    proxy.connects.length = 0;
    proxy.relayed = Buffer.alloc(0);
    const before = genesys.requests.length;
    const result = await flagInBundle({ GENESYS_HTTPS_PROXY: proxy.url, FLAG_INIT_PREFETCH_MS: '0' });
    expect(result).toMatchObject({ status: 'UPDATED', attempts: 1 });
    expect(genesys.requests.slice(before).map((r) => r.route)).toEqual(['token', 'patch-attributes']);

    const port = new URL(genesys.url).port;
    expect(targets(proxy).length).toBeGreaterThan(0);
    expect(new Set(targets(proxy))).toEqual(new Set([`localhost:${port}`]));
    const seen = proxy.relayed.toString('latin1');
    expect(seen.length).toBeGreaterThan(1000); // TLS handshakes and records did pass through
    for (const secret of [
      CLIENT_SECRET,
      Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'),
      ...genesys.issuedTokens(),
      'Bearer',
      'PATCH',
      'oauth/token',
      'compliance_checked',
    ]) {
      expect(seen).not.toContain(secret);
    }
  },
);

test('generic proxy variables are never followed: without GENESYS_HTTPS_PROXY the proxy sees nothing', async () => {
  proxy.connects.length = 0;
  const result = await flagInBundle({
    HTTPS_PROXY: proxy.url,
    HTTP_PROXY: proxy.url,
    https_proxy: proxy.url,
    ALL_PROXY: proxy.url,
    FLAG_INIT_PREFETCH_MS: '0',
  });
  expect(result).toMatchObject({ status: 'UPDATED' });
  expect(targets(proxy)).toEqual([]);
});

test.each([
  [
    407,
    {
      status: 407,
      reason: 'Proxy Authentication Required',
      headers: { 'proxy-authenticate': 'Basic realm="sentinel-realm"' },
      body: 'sentinel-body',
    },
  ],
  [403, { status: 403, reason: 'Forbidden' }],
  [302, { status: 302, reason: 'Found', headers: { location: 'https://evil.example/' } }],
] as const)(
  'a proxy that refuses the tunnel (%i) is CONFIG_ERROR after one CONNECT, ' +
    'named in the result and the log by its status only, never a bypass',
  async (status, answer) => {
    proxy.connects.length = 0;
    proxy.answer = answer;
    const before = genesys.requests.length;
    try {
      const { result, logs } = await flagInBundleTimed({
        GENESYS_HTTPS_PROXY: proxy.url,
        FLAG_INIT_PREFETCH_MS: '0',
        FLAG_DEADLINE_MS: '1000',
        FLAG_ATTEMPT_TIMEOUT_MS: '1000',
      });
      const refused = 'the egress proxy (GENESYS_HTTPS_PROXY) refused the tunnel to Genesys';
      const message = `${refused}: it answered CONNECT with ${status}`;
      expect(result).toMatchObject({ status: 'CONFIG_ERROR', attempts: 0, message });
      expect(proxy.connects).toHaveLength(1);
      expect(genesys.requests.length).toBe(before);
      expect(
        logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === 'not flagged'),
      ).toEqual([expect.objectContaining({ status: 'CONFIG_ERROR', reason: message })]);
      expect(logs.join('\n')).not.toMatch(/sentinel|realm|evil|Forbidden|Found|Authentication Required/);
    } finally {
      proxy.answer = 'tunnel';
    }
  },
);

test('the tunnel itself: TLS to the target inside CONNECT, the certificate checked for the target host', async () => {
  proxy.connects.length = 0;
  const agent = tunnelAgent({
    proxy: new URL(proxy.url),
    allowed: (host) => host === 'localhost',
    secure: true,
    timeoutMs: 3000,
  });
  const get = (options: https.RequestOptions) =>
    new Promise<number | string>((resolve) => {
      https
        .get(`${genesys.url}/api/v2/tokens/me`, { agent, ...options }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', (error) => resolve(error.message));
    });
  expect(await get({ ca: TLS.cert })).toBe(401); // an answer from Genesys, through the tunnel
  expect(targets(proxy)).toEqual([`localhost:${new URL(genesys.url).port}`]);
  // Without trusting the emulator's certificate the TLS handshake fails: TLS is end to end.
  const fresh = tunnelAgent({ proxy: new URL(proxy.url), allowed: () => true, secure: true, timeoutMs: 3000 });
  expect(await get({ agent: fresh })).toMatch(/self-signed|certificate/i);
  agent.destroy();
  fresh.destroy();
  // A plain-http target (an emulator) goes through a tunnel too, never around the proxy.
  const plain = tunnelAgent({ proxy: new URL(proxy.url), allowed: () => true, secure: false, timeoutMs: 3000 });
  const answer = await new Promise<{ status: number | undefined; type: unknown }>((resolve) =>
    http.get(`${emulators.secrets.url}/`, { agent: plain }, (res) => {
      res.resume();
      resolve({ status: res.statusCode, type: res.headers['x-amzn-errortype'] });
    }),
  );
  // The emulator's own answer to an unsigned request: it was reached, through the tunnel.
  expect(answer).toEqual({ status: 403, type: 'MissingAuthenticationTokenException' });
  expect(targets(proxy).at(-1)).toBe(`127.0.0.1:${new URL(emulators.secrets.url).port}`);
  plain.destroy();
});

test('a host that is not an allowed Genesys host is refused before the proxy is asked', async () => {
  proxy.connects.length = 0;
  const agent = tunnelAgent({
    proxy: new URL(proxy.url),
    allowed: (host) => host === 'api.mypurecloud.com',
    secure: true,
    timeoutMs: 3000,
  });
  const outcome = await new Promise<string>((resolve) => {
    https
      .get('https://evil.example/steal', { agent }, () => resolve('answered'))
      .on('error', (error) => resolve(error.message));
  });
  expect(outcome).toBe('the host is not an allowed Genesys host: not tunnelled');
  expect(targets(proxy)).toEqual([]);
  agent.destroy();
});

test(
  'GENESYS_HTTPS_PROXY must be http://host:port: credentials, ' + 'paths and other schemes are configuration errors',
  async () => {
    for (const bad of ['http://user:pw@proxy:3128', 'socks5://proxy:1080', 'http://proxy:3128/path', 'not a url']) {
      const result = await flagInBundle({ GENESYS_HTTPS_PROXY: bad });
      expect(result).toMatchObject({ status: 'CONFIG_ERROR', message: expect.stringContaining('GENESYS_HTTPS_PROXY') });
      expect(String(result.message)).not.toContain('pw');
    }
  },
);

describe('a proxy that accepts the connection and never answers CONNECT', () => {
  test('the tunnel gives up after its bounded wait and closes the socket to the proxy', async () => {
    silent.connects.length = 0;
    const agent = tunnelAgent({ proxy: new URL(silent.url), allowed: () => true, secure: true, timeoutMs: 300 });
    const started = Date.now();
    const outcome = await new Promise<{ message: string; code?: string | undefined }>((resolve) => {
      https
        .get('https://api.mypurecloud.ie/api/v2/tokens/me', { agent }, () => resolve({ message: 'answered' }))
        .on('error', (error: NodeJS.ErrnoException) => resolve({ message: error.message, code: error.code }));
    });
    const waited = Date.now() - started;
    // The tunnel's own timer ended it (its message), not a socket fault.
    expect(outcome).toEqual({ message: 'the proxy did not open the tunnel within 300 ms', code: 'ETIMEDOUT' });
    expect(waited).toBeLessThan(2000);
    expect(received(silent)).toEqual(['CONNECT api.mypurecloud.ie:443 HTTP/1.1']);
    expect(await silent.drained(1000)).toBe(0);
    agent.destroy();
  });

  test("through the function's own client: the attempt times out, " +
    "and the pending CONNECT is closed with it, not at the tunnel's own bound", async () => {
    silent.connects.length = 0;
    const client = axiosHttpClient(createGenesysAxios(silent.url, {}, 5000));
    const started = Date.now();
    const reply = await client({
      method: 'GET',
      url: 'https://api.mypurecloud.com/api/v2/tokens/me',
      headers: {},
      timeoutMs: 200,
    });
    expect(reply).toEqual({ kind: 'network', reason: 'timeout', code: 'ATTEMPT_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(received(silent)).toEqual(['CONNECT api.mypurecloud.com:443 HTTP/1.1']);
    // The tunnel was asked to wait up to 5 s; the attempt's end closed it.
    expect(await silent.drained(1000)).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
  }, 10_000);

  test('a signal that aborts while the tunnel is opening closes the CONNECT (the prefetch ends so)', async () => {
    silent.connects.length = 0;
    const client = axiosHttpClient(createGenesysAxios(silent.url, {}, 5000));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const reply = await client({
      method: 'POST',
      url: 'https://login.mypurecloud.com/oauth/token',
      headers: {},
      timeoutMs: 5000,
      signal: controller.signal,
    });
    expect(reply).toEqual({ kind: 'network', reason: 'aborted', code: 'DEADLINE' });
    expect(await silent.drained(1000)).toBe(0);
    expect(received(silent)).toEqual(['CONNECT login.mypurecloud.com:443 HTTP/1.1']);
  }, 10_000);

  test('the built bundle answers within its deadline and its process exits: no socket is left pending', async () => {
    silent.connects.length = 0;
    const { result, exitAfterResultMs } = await flagInBundleTimed({
      GENESYS_HTTPS_PROXY: silent.url,
      FLAG_INIT_PREFETCH_MS: '0',
      FLAG_DEADLINE_MS: '1000',
      FLAG_ATTEMPT_TIMEOUT_MS: '800',
    });
    expect(result).toMatchObject({ status: expect.stringMatching(/^(TIMEOUT|UPSTREAM_ERROR)$/), attempts: 0 });
    expect(received(silent).length).toBeGreaterThan(0);
    for (const line of received(silent)) expect(line).toMatch(/^CONNECT localhost:\d+ HTTP\/1\.1$/);
    expect(exitAfterResultMs).toBeLessThan(800 + 1500);
    expect(await silent.drained(1000)).toBe(0);
  }, 15_000);
});

describe("the allow-list through the proxy: the function's own predicate (isGenesysHost)", () => {
  /** One GET through the function's Genesys client with the proxy, as it is built in Lambda. */
  const getThroughProxy = (url: string) =>
    axiosHttpClient(createGenesysAxios(proxy.url, {}, 3000))({ method: 'GET', url, headers: {}, timeoutMs: 2000 });

  test.each([
    'https://api.mypurecloud.ie/api/v2/tokens/me',
    'https://login.mypurecloud.ie/oauth/token',
    'https://API.MyPureCloud.com.au/api/v2/tokens/me',
    'https://login.usw2.pure.cloud/oauth/token',
  ])('%s is tunnelled: the proxy is asked for CONNECT <host>:443 (and refuses it here)', async (url) => {
    proxy.connects.length = 0;
    proxy.answer = { status: 403, reason: 'Forbidden' };
    try {
      const reply = await getThroughProxy(url);
      expect(reply).toEqual({ kind: 'proxy-refused', proxyStatus: 403 });
      expect(targets(proxy)).toEqual([`${new URL(url).hostname}:443`]);
    } finally {
      proxy.answer = 'tunnel';
    }
  });

  test.each([
    'https://api.mypurecloud.com.evil.com/api/v2/tokens/me',
    'https://evilmypurecloud.com/oauth/token',
    'https://api.evilmypurecloud.com/oauth/token',
    'https://mypurecloud.com/oauth/token',
    'https://apps.mypurecloud.com/',
    'https://login.eu-west-1/oauth/token',
    'https://api.mypurecloud.com./api/v2/tokens/me',
    'https://169.254.169.254/latest/meta-data/',
    'https://localhost/oauth/token',
  ])('%s never reaches the proxy', async (url) => {
    proxy.connects.length = 0;
    const reply = await getThroughProxy(url);
    expect(reply).toMatchObject({ kind: 'network' });
    expect(targets(proxy)).toEqual([]);
  });

  test('an explicit override is tunnelled to its own host only', async () => {
    proxy.connects.length = 0;
    proxy.answer = { status: 403, reason: 'Forbidden' };
    try {
      const client = axiosHttpClient(
        createGenesysAxios(proxy.url, { loginBaseUrl: 'https://login.partner.example:8443' }, 3000),
      );
      await client({
        method: 'GET',
        url: 'https://login.partner.example:8443/oauth/token',
        headers: {},
        timeoutMs: 2000,
      });
      await client({
        method: 'GET',
        url: 'https://api.partner.example/api/v2/tokens/me',
        headers: {},
        timeoutMs: 2000,
      });
      expect(targets(proxy)).toEqual(['login.partner.example:8443']);
    } finally {
      proxy.answer = 'tunnel';
    }
  });
});
